#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/released-versions.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-tags.sh"
# A push that only creates a release line, or moves one to a commit that is released already
# (a release tag points at it), releases nothing new: a green no-op, not a failure.
if [[ "${MODE}" == "none" && "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" ]]; then
  at_release=$(git tag --points-at HEAD --list 'v[0-9]*' '*@[0-9]*' | head -n 1)
  if [[ "${CREATED:-false}" == "true" || -n "${at_release}" ]]; then
    echo "${GITHUB_REF_NAME} was created or moved to ${at_release:-a released commit}:" \
      "nothing new to release."
    exit 0
  fi
  echo "::error::this push to ${GITHUB_REF_NAME} releases nothing: a fix merged into a release \
branch needs a changeset (pnpm changeset), or it is never versioned, published nor deployed"
  exit 1
fi
# The package whose version names the image: slipway:imagePackage, or the root package of a
# single-package repository. A workspace must name it: any of its packages could be the app.
image_name="${IMAGE_PACKAGE}"
if [[ -z "${image_name}" ]]; then
  if is_workspace; then
    echo "::error::this repository is a workspace, and slipway:imagePackage is unset: set it \
to the name of the package whose version tags the image and is deployed (pulumi config set \
slipway:imagePackage <name>, on the stack that owns the repository's files)"
    exit 1
  fi
  image_name=$(jq -r '.name // ""' package.json)
fi
if [[ "${MODE}" == "none" ]]; then
  echo "Nothing to version or publish."
  exit 0
fi
if [[ "${MODE}" != "publish" ]]; then
  echo "Mode ${MODE}: nothing to decide."
  exit 0
fi
# The publish plan select-mode wrote and uploaded (changesets/action 8488615
# src/select-mode/index.ts: $RUNNER_TEMP/changeset-publish-plan-<time>/publish-plan.json): the
# packages Changesets manages whose versions are not on the registry yet. No other manifest
# (examples, docs, test fixtures) is ever a release.
plans=("${RUNNER_TEMP}"/changeset-publish-plan-*/publish-plan.json)
if (( ${#plans[@]} != 1 )) || [[ ! -f "${plans[0]}" ]]; then
  echo "::error::expected the one publish plan select-mode writes under RUNNER_TEMP; found \
${plans[*]}"
  exit 1
fi
semver='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
stable='^[0-9]+\.[0-9]+\.[0-9]+$'
image_version=""
image_released=()
older=""
dist_tag=""
while IFS=$'\t' read -r name version; do
  if [[ -z "${name}" || ! "${version}" =~ ${semver} ]]; then
    echo "::error::the publish plan holds '${name}@${version}', not a release version"
    exit 1
  fi
  prefix=$(tag_prefix "${name}")
  mapfile -t released < <(released_versions "${prefix}")
  if git rev-parse --quiet --verify "refs/tags/${prefix}${version}" >/dev/null; then
    continue  # released already: not part of this publish
  fi
  echo "To release: ${name}@${version}"
  if [[ "${name}" == "${image_name}" ]]; then
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
done < <(jq -r '.plan[][] | [.name // "", .version // ""] | @tsv' "${plans[0]}")
echo "dist-tag=${dist_tag}" >> "${GITHUB_OUTPUT}"
if [[ -n "${older}" ]]; then
  echo "::notice::${older}: npm dist-tag ${dist_tag}; latest and the latest GitHub Release stay put"
  latest=$(gh api "repos/${GITHUB_REPOSITORY}/releases/latest" --jq .id 2>/dev/null || true)
  if [[ "${latest}" =~ ^[0-9]+$ ]]; then
    echo "latest-release-id=${latest}" >> "${GITHUB_OUTPUT}"
  fi
fi
if [[ -z "${image_version}" ]]; then
  echo "The image package ${image_name} is not part of this release: no image, no deploy."
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
