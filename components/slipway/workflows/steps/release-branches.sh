#!/usr/bin/env bash
set -euo pipefail
jq -r '.[] | "\(.name)\t\(.version)"' <<<"${PUBLISHED_PACKAGES}" |
  while IFS=$'\t' read -r name version; do
    if [[ ! "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
      echo "${name}@${version} is a pre-release: no release line"
      continue
    fi
    tag=""
    for candidate in "${name}@${version}" "v${version}"; do
      if git rev-parse --quiet --verify "refs/tags/${candidate}" >/dev/null; then
        tag="${candidate}"
        break
      fi
    done
    if [[ -z "${tag}" ]]; then
      echo "::error::no git tag for ${name}@${version}"
      exit 1
    fi
    line="${version%.*}.x"
    if [[ "${tag}" == "v${version}" ]]; then
      branch="release/${line}"
    else
      branch="release/${name}@${line}"
    fi
    sha=$(git rev-list -n 1 "${tag}")
    if current=$(gh api "repos/${GITHUB_REPOSITORY}/git/ref/heads/${branch}" \
        --jq .object.sha 2>/dev/null); then
      if [[ "${current}" == "${sha}" ]]; then
        echo "${branch} is at ${tag} already"
      elif gh api --method PATCH "repos/${GITHUB_REPOSITORY}/git/refs/heads/${branch}" \
          -f "sha=${sha}" -F force=false >/dev/null; then
        echo "Advanced ${branch} to ${tag} (${sha})"
      else
        echo "::warning::${branch} has commits ${tag} lacks (hotfixes): left where it is"
      fi
      continue
    fi
    gh api --method POST "repos/${GITHUB_REPOSITORY}/git/refs" \
      -f "ref=refs/heads/${branch}" -f "sha=${sha}" >/dev/null
    echo "Created ${branch} at ${tag} (${sha})"
  done
