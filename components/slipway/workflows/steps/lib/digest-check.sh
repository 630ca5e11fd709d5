# shellcheck shell=bash
if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image digest '${IMAGE_DIGEST}' is not sha256:<64 hex digits>"
  exit 1
fi
