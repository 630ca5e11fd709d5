#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh"
reference="oci://${SOURCE_IMAGE}@${IMAGE_DIGEST}"
signer="${GITHUB_REPOSITORY}/${SIGNER_WORKFLOW}"
# --cert-identity-regex, not --signer-workflow: the latter accepts docker.yml from any ref.
if ! gh attestation verify "${reference}" --bundle-from-oci --repo "${GITHUB_REPOSITORY}" \
    --cert-identity-regex "${SIGNER_IDENTITY_REGEX}" --deny-self-hosted-runners; then
  echo "::error::refused ${IMAGE_DIGEST}: no build-provenance attestation signed by ${signer}" \
    "on the default branch, a release line or a release tag, on a GitHub-hosted runner," \
    "verifies for it; nothing was promoted or deployed"
  exit 1
fi
echo "${reference} has a verified build-provenance attestation from ${signer}" \
  "(${SIGNER_IDENTITY_REGEX})"
