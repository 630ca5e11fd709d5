#!/usr/bin/env bash
set -euo pipefail
if [[ "${PUBLISHED}" != "true" ]]; then
  echo "::error::the release plan had packages to publish, but nothing was published; \
see the publish step's log (a version already on the registry is skipped)"
  exit 1
fi
