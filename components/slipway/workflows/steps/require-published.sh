#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-tags.sh"
# Success is decided from the publish plan, not from this attempt: every planned version is on
# the registry and its release tag is on GitHub, whichever attempt published or tagged it. (A
# re-run after the tags were pushed publishes and tags nothing, so changesets/action reports
# `published=false`: src/run.ts, runPublish, at 8488615.)
plan="${PACK_DIR}/publish-plan.json"
missing=()
released='[]'
while IFS=$'\t' read -r kind name version; do
  tag="$(tag_prefix "${name}")${version}"
  if [[ "${CHECK_REGISTRY}" == "true" && "${kind}" == "publish" ]]; then
    on_registry=$(npm view "${name}@${version}" version 2>/dev/null || true)
    if [[ "${on_registry}" != "${version}" ]]; then
      missing+=("${name}@${version} is not on the registry")
    fi
  fi
  if ! gh api "repos/${GITHUB_REPOSITORY}/git/ref/tags/${tag}" --jq .object.sha >/dev/null; then
    missing+=("${name}@${version} has no tag ${tag} on GitHub")
  fi
  released=$(jq -c --arg name "${name}" --arg version "${version}" \
    '. + [{name: $name, version: $version}]' <<<"${released}")
done < <(jq -r '.plan[][] | [.kind, .name, .version] | @tsv' "${plan}")
if (( ${#missing[@]} > 0 )); then
  for problem in "${missing[@]}"; do
    echo "::error::${problem}"
  done
  echo "::error::the release is not complete; see the publish step's log, then re-run the \
failed jobs (what is released already is skipped)"
  exit 1
fi
echo "published=true" >> "${GITHUB_OUTPUT}"
echo "published-packages=${released}" >> "${GITHUB_OUTPUT}"
echo "Released: $(jq -r 'map("\(.name)@\(.version)") | join(", ")' <<<"${released}")"
