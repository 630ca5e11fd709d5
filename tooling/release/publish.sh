#!/usr/bin/env bash
# Upload the distributions in dist/ to PyPI with a trusted-publishing token (pypi_token.sh).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv .publish-venv
# shellcheck disable=SC1091  # created just above
source .publish-venv/bin/activate
python -m pip install --quiet --disable-pip-version-check twine==7.0.0
TWINE_PASSWORD="$("$here/pypi_token.sh")"
export TWINE_USERNAME=__token__ TWINE_PASSWORD
python -m twine upload --non-interactive dist/*
