#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh"
if [[ ! "${IMAGE_VERSION}" =~ ${SEMVER} ]]; then
  echo "::error::no release version for ${IMAGE_DIGEST} ('${IMAGE_VERSION}')"
  exit 1
fi
registry="${ECR_REPOSITORY_URL%%/*}"
repository="${ECR_REPOSITORY_URL#*/}"
registry_id="${registry%%.*}"
ecr=(--registry-id "${registry_id}" --repository-name "${repository}")

# The digest ECR has under one image id (imageTag=… or imageDigest=…), empty when none.
ecr_digest() {
  local out
  if out=$(aws ecr describe-images "${ecr[@]}" --image-ids "$1" \
      --query 'imageDetails[0].imageDigest' --output text 2>&1); then
    echo "${out}"
    return 0
  fi
  if [[ "${out}" == *ImageNotFoundException* ]]; then
    return 0
  fi
  echo "${out}" >&2
  echo "::error::cannot read ${ECR_REPOSITORY_URL}"
  exit 1
}

tagged=$(ecr_digest "imageTag=${IMAGE_VERSION}")
present=$(ecr_digest "imageDigest=${IMAGE_DIGEST}")
if [[ -n "${tagged}" && "${tagged}" != "${IMAGE_DIGEST}" ]]; then
  echo "::error::${ECR_REPOSITORY_URL}:${IMAGE_VERSION} already points at ${tagged}, not" \
    "${IMAGE_DIGEST}. ECR tags are immutable: a release version names one image. Deploy" \
    "${tagged}, or release a new version."
  exit 1
elif [[ -n "${tagged}" ]]; then
  echo "${ECR_REPOSITORY_URL}:${IMAGE_VERSION} is already ${IMAGE_DIGEST}; nothing to promote"
elif [[ -n "${present}" ]]; then
  # Present under another tag or none (a promotion that stopped before tagging): tag it, so
  # the lifecycle policy keeps it as a release.
  manifest="${RUNNER_TEMP:-/tmp}/manifest-${IMAGE_DIGEST#sha256:}.json"
  aws ecr batch-get-image "${ecr[@]}" --image-ids "imageDigest=${IMAGE_DIGEST}" \
    --output json > "${manifest}.response"
  jq -j '.images[0].imageManifest' "${manifest}.response" > "${manifest}"
  media_type=$(jq -r '.images[0].imageManifestMediaType // empty' "${manifest}.response")
  media=()
  if [[ -n "${media_type}" ]]; then
    media=(--image-manifest-media-type "${media_type}")
  fi
  aws ecr put-image "${ecr[@]}" --image-tag "${IMAGE_VERSION}" \
    --image-manifest "file://${manifest}" --image-digest "${IMAGE_DIGEST}" "${media[@]}" \
    >/dev/null
  echo "Tagged ${ECR_REPOSITORY_URL}@${IMAGE_DIGEST} as ${IMAGE_VERSION}"
else
  if [[ -z "${SOURCE_IMAGE:-}" ]]; then
    echo "::error::image ${IMAGE_DIGEST} is not in ${ECR_REPOSITORY_URL}"
    exit 1
  fi
  echo "Promoting ${SOURCE_IMAGE}@${IMAGE_DIGEST} to ${ECR_REPOSITORY_URL}:${IMAGE_VERSION}"
  docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${IMAGE_VERSION}" \
    "${SOURCE_IMAGE}@${IMAGE_DIGEST}"
  promoted=$(ecr_digest "imageTag=${IMAGE_VERSION}")
  if [[ "${promoted}" != "${IMAGE_DIGEST}" ]]; then
    echo "::error::after promotion ${ECR_REPOSITORY_URL}:${IMAGE_VERSION} is" \
      "'${promoted}', not ${IMAGE_DIGEST}"
    exit 1
  fi
fi
echo "image=${ECR_REPOSITORY_URL}@${IMAGE_DIGEST}" >> "${GITHUB_OUTPUT}"
echo "Deploying ${ECR_REPOSITORY_URL}@${IMAGE_DIGEST} (${IMAGE_VERSION})"
