#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/released-versions.sh"
if [[ "${MODE}" == "none" ]]; then
  if [[ "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" ]]; then
    echo "::error::this push to ${GITHUB_REF_NAME} releases nothing: a fix merged into a release \
branch needs a changeset (pnpm changeset), or it is never versioned, published nor deployed"
    exit 1
  fi
  echo "Nothing to version or publish."
  exit 0
fi
if [[ "${MODE}" != "publish" ]]; then
  echo "Mode ${MODE}: nothing to decide."
  exit 0
fi
# Every package.json in the repository with its name and version (unreadable ones skipped).
packages() {
  git ls-files -z -- package.json '*/package.json' | while IFS= read -r -d '' file; do
    jq -r --arg file "${file}" '[$file, .name // "", .version // ""] | @tsv' "${file}" || true
  done
}
semver='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
stable='^[0-9]+\.[0-9]+\.[0-9]+$'
image_name=""
image_version=""
image_released=()
older=""
dist_tag=""
while IFS=$'\t' read -r file name version; do
  if [[ -z "${name}" || ! "${version}" =~ ${semver} ]]; then
    continue
  fi
  # Changesets tags a monorepo package `<name>@<version>`, a single package `v<version>`.
  prefixes=("${name}@")
  if [[ "${file}" == "package.json" ]]; then
    prefixes+=("v")
  fi
  released=()
  tagged=false
  for prefix in "${prefixes[@]}"; do
    mapfile -t -O "${#released[@]}" released < <(released_versions "${prefix}")
    if git rev-parse --quiet --verify "refs/tags/${prefix}${version}" >/dev/null; then
      tagged=true
    fi
  done
  if [[ "${tagged}" == "true" ]]; then
    continue  # released already: not part of this publish
  fi
  echo "To release: ${name}@${version}"
  if [[ -z "${image_name}" && ( -z "${IMAGE_PACKAGE}" || "${IMAGE_PACKAGE}" == "${name}" ) ]]; then
    image_name="${name}"
    image_version="${version}"
    image_released=("${released[@]}")
  fi
  # A release branch may publish an older line; `changeset publish` passes `--tag latest`
  # explicitly, which skips npm's own guard, so the older line gets a dist-tag of its own.
  if [[ "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" && "${version}" =~ ${stable} ]]; then
    highest=$(printf '%s\n' "${version}" "${released[@]}" | sort -V | tail -n 1)
    if [[ "${highest}" != "${version}" && -z "${older}" ]]; then
      older="${name}@${version} is older than ${name}@${highest}"
      dist_tag="release-${version%.*}"
    fi
  fi
done < <(packages)
echo "dist-tag=${dist_tag}" >> "${GITHUB_OUTPUT}"
if [[ -n "${older}" ]]; then
  echo "::notice::${older}: npm dist-tag ${dist_tag}; latest and the latest GitHub Release stay put"
  latest=$(gh api "repos/${GITHUB_REPOSITORY}/releases/latest" --jq .id 2>/dev/null || true)
  if [[ "${latest}" =~ ^[0-9]+$ ]]; then
    echo "latest-release-id=${latest}" >> "${GITHUB_OUTPUT}"
  fi
fi
if [[ -z "${image_version}" ]]; then
  echo "The image package is not part of this release: no image, no deploy."
  exit 0
fi
echo "version=${image_version}" >> "${GITHUB_OUTPUT}"
# Floating image tags only move forward: `latest` to the highest release of the package, `X.Y`
# to the highest release of its X.Y line. Pre-releases move neither.
tag_latest=false
tag_minor=false
if [[ "${image_version}" =~ ${stable} ]]; then
  line="${image_version%.*}"
  in_line=("${image_version}")
  for candidate in "${image_released[@]}"; do
    if [[ "${candidate%.*}" == "${line}" ]]; then
      in_line+=("${candidate}")
    fi
  done
  highest=$(printf '%s\n' "${image_version}" "${image_released[@]}" | sort -V | tail -n 1)
  highest_in_line=$(printf '%s\n' "${in_line[@]}" | sort -V | tail -n 1)
  if [[ "${highest}" == "${image_version}" ]]; then
    tag_latest=true
  fi
  if [[ "${highest_in_line}" == "${image_version}" ]]; then
    tag_minor=true
  fi
fi
echo "tag-latest=${tag_latest}" >> "${GITHUB_OUTPUT}"
echo "tag-minor=${tag_minor}" >> "${GITHUB_OUTPUT}"
echo "Image ${image_name}@${image_version}: latest moves: ${tag_latest}; \
${image_version%.*} moves: ${tag_minor}"
