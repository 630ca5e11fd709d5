#!/usr/bin/env bash
set -euo pipefail
if [[ "${GITHUB_EVENT_NAME}" != "workflow_dispatch" ]]; then
  exit 0
fi
if [[ ! "${VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::version '${VERSION}' is not X.Y.Z"
  exit 1
fi
if [[ "${GITHUB_REF_TYPE}" != "tag" || ( "${GITHUB_REF_NAME}" != "v${VERSION}" \
    && "${GITHUB_REF_NAME}" != *"@${VERSION}" ) ]]; then
  echo "::error::run this workflow from the release tag of ${VERSION} (v${VERSION} or \
<package>@${VERSION}), not from ${GITHUB_REF_TYPE} ${GITHUB_REF_NAME}: the image must be built \
from the released commit"
  exit 1
fi
echo "Rebuilding ${VERSION} from ${GITHUB_REF_NAME}"
