#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-tags.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/released-versions.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-line.sh"
# A release line is cut when the default branch leaves it: when a package's first release of a
# higher line is published, `release/<line>` is created at the highest release of the line it
# left. Cut then, a line never needs to follow the default branch: from then on only its own
# hotfix pull requests move it (the release-branch ruleset refuses any other update, the
# release app's included). The line the default branch is on gets a branch on demand
# (release-line.yml), at its highest release.
failed=false
while IFS=$'\t' read -r name version; do
  if [[ ! "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "${name}@${version} is a pre-release: no release line"
    continue
  fi
  prefix=$(tag_prefix "${name}")
  line="${version%.*}"
  # The highest stable release of the highest line below this one.
  left=$(released_versions "${prefix}" | awk -F. -v line="${line}" '
    { split(line, l, "."); if ($1 < l[1] || ($1 == l[1] && $2 < l[2])) print }' |
    sort -V | tail -n 1)
  if [[ -z "${left}" ]]; then
    echo "${name}@${version}: no earlier line to cut"
    continue
  fi
  if ! cut_line "$(line_branch "${name}" "${left%.*}")" "${prefix}${left}"; then
    failed=true
  fi
done < <(jq -r '.[] | "\(.name)\t\(.version)"' <<<"${PUBLISHED_PACKAGES}")
if [[ "${failed}" == "true" ]]; then
  exit 1
fi
