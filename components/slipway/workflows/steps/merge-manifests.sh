#!/usr/bin/env bash
set -euo pipefail
sources=()
for file in "${RUNNER_TEMP}"/digests/*; do
  digest=$(cat "${file}")
  if [[ ! "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "::error::invalid digest in ${file}"
    exit 1
  fi
  sources+=("${digest}")
done
tags=()
while IFS= read -r tag; do
  tags+=(--tag "${tag}")
done < <(jq -r '.tags[]' <<<"${METADATA_JSON}")
docker buildx imagetools create "${tags[@]}" "${sources[@]/#/${GHCR_IMAGE}@}"
ghcr_digest=$(docker buildx imagetools inspect "${GHCR_IMAGE}:${VERSION}" \
  --format '{{json .Manifest}}' | jq -r .digest)
# The stack's ECR repository keeps immutable tags: only the release version is tagged there,
# once. A re-run finds the tag: the same manifest list is kept, another one is refused.
registry="${ECR_REPOSITORY_URL%%/*}"
repository="${ECR_REPOSITORY_URL#*/}"
existing=$(aws ecr describe-images --registry-id "${registry%%.*}" \
  --repository-name "${repository}" --image-ids "imageTag=${VERSION}" \
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
if [[ "${existing}" =~ ^sha256: ]]; then
  # The platform images of the existing list must be exactly the ones verified now (an index
  # lists its platform images; attestation manifests carry the platform unknown/unknown).
  platform_images() {
    docker buildx imagetools inspect --raw "$1" | jq -r --arg self "${1##*@}"       'if .manifests then .manifests[] | select(.platform.os != "unknown") | .digest
       else $self end'
  }
  have=$(platform_images "${ECR_REPOSITORY_URL}@${existing}" | sort | paste -sd ' ' -)
  want=$(for source in "${sources[@]}"; do platform_images "${GHCR_IMAGE}@${source}"
    done | sort | paste -sd ' ' -)
  if [[ "${have}" != "${want}" ]]; then
    echo "::error::${ECR_REPOSITORY_URL}:${VERSION} exists with other images (${have}) than this run verified (${want}): ECR tags are immutable, so a version is never re-pointed. Release a new version."
    exit 1
  fi
  ecr_digest="${existing}"
  echo "${ECR_REPOSITORY_URL}:${VERSION} exists already with these images; kept"
else
  # From the verified GHCR images, which GHCR retention keeps past GitHub's 30-day re-run
  # window; the untagged copies pushed to ECR may have expired (its lifecycle policy) by the
  # time a failed publish is re-run. imagetools copies the images across registries.
  docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${VERSION}" \
    "${sources[@]/#/${GHCR_IMAGE}@}"
  ecr_digest=$(docker buildx imagetools inspect "${ECR_REPOSITORY_URL}:${VERSION}"     --format '{{json .Manifest}}' | jq -r .digest)
fi
echo "digest=${ghcr_digest}" >> "${GITHUB_OUTPUT}"
echo "ecr-digest=${ecr_digest}" >> "${GITHUB_OUTPUT}"
echo "Merged ${GHCR_IMAGE}@${ghcr_digest} and ${ECR_REPOSITORY_URL}@${ecr_digest}"
