#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh"
reference="oci://${SOURCE_IMAGE}@${IMAGE_DIGEST}"
signer="${GITHUB_REPOSITORY}/${SIGNER_WORKFLOW}"
if ! gh attestation verify "${reference}" --bundle-from-oci --repo "${GITHUB_REPOSITORY}" \
    --signer-workflow "${signer}"; then
  echo "::error::refused ${IMAGE_DIGEST}: no build-provenance attestation signed by ${signer}" \
    "verifies for it; nothing was promoted or deployed"
  exit 1
fi
echo "${reference} has a verified build-provenance attestation from ${signer}"
