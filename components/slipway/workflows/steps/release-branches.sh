#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-tags.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/released-versions.sh"
# A release line is cut when the default branch leaves it: when a package's first release of a
# higher line is published, `release/<line>` is created at the highest release of the line it
# left. Cut then, a line never needs to follow the default branch: from then on only its own
# hotfix pull requests move it (the release-branch ruleset refuses any other update, the
# release app's included). The line the default branch is on has no branch: a fix to it is
# released from the default branch.
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
  tag="${prefix}${left}"
  if is_workspace; then
    branch="release/${name}@${left%.*}.x"
  else
    branch="release/${left%.*}.x"
  fi
  sha=$(git rev-list -n 1 "${tag}")
  if ! current=$(gh api "repos/${GITHUB_REPOSITORY}/git/ref/heads/${branch}" \
      --jq .object.sha 2>/dev/null); then
    gh api --method POST "repos/${GITHUB_REPOSITORY}/git/refs" \
      -f "ref=refs/heads/${branch}" -f "sha=${sha}" >/dev/null
    echo "Created ${branch} at ${tag} (${sha})"
    continue
  fi
  if [[ "${current}" == "${sha}" ]]; then
    echo "${branch} is at ${tag} already"
  elif git merge-base --is-ancestor "${tag}" "${current}" 2>/dev/null; then
    echo "${branch} holds ${tag} and hotfixes after it: left where it is"
  elif ! git merge-base --is-ancestor "${current}" "${tag}" 2>/dev/null; then
    echo "::warning::${branch} (${current}) has commits ${tag} lacks: left where it is; a \
hotfix of ${left%.*} starts from it"
  elif out=$(gh api --method PATCH "repos/${GITHUB_REPOSITORY}/git/refs/heads/${branch}" \
      -f "sha=${sha}" -F force=false 2>&1); then
    echo "Advanced ${branch} to ${tag} (${sha})"
  else
    # A fast-forward (the line is an ancestor of the tag) was refused: not divergence, but a
    # ruleset or a missing permission. The line is behind its highest release.
    echo "::error::${branch} is behind ${tag}, and GitHub refused to fast-forward it: ${out}." \
      "Open a pull request from ${tag} into ${branch}, or move the branch as an actor the" \
      "release-branch ruleset lets update it (docs/runbooks/hotfix.md)"
    failed=true
  fi
done < <(jq -r '.[] | "\(.name)\t\(.version)"' <<<"${PUBLISHED_PACKAGES}")
if [[ "${failed}" == "true" ]]; then
  exit 1
fi
