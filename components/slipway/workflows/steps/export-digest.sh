#!/usr/bin/env bash
set -euo pipefail
if [[ ! "${DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::build returned no image digest"
  exit 1
fi
mkdir -p "${RUNNER_TEMP}/digests"
printf '%s' "${DIGEST}" > "${RUNNER_TEMP}/digests/${PLATFORM_PAIR}"
