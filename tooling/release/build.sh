#!/usr/bin/env bash
# Build Slipway's wheel and sdist into dist/, then install the wheel (not the checkout) into a
# fresh virtual environment and test it there. Usage: tooling/release/build.sh vX.Y.Z
# The tag must name the version the code declares (slipway.__version__).
set -euo pipefail

tag="${1:?usage: build.sh vX.Y.Z}"
version="${tag#v}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

python3 -m venv .release-venv
# shellcheck disable=SC1091  # created just above
source .release-venv/bin/activate
python -m pip install --quiet --disable-pip-version-check build==1.6.1 twine==7.0.0
rm -rf dist
python -m build --outdir dist .
python -m twine check --strict dist/*

# The built wheel, installed with the exact pins the tests use; never the checkout itself.
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall dist/*.whl
built="$(cd /tmp && python -c 'import slipway; print(slipway.__version__)')"
if [ "$built" != "$version" ]; then
  echo "::error::tag $tag but the wheel says slipway.__version__ = $built" >&2
  exit 1
fi
where="$(cd /tmp && python -c 'import slipway; print(slipway.__file__)')"
case "$where" in
  "$root"/components/*) echo "::error::imported the checkout ($where), not the wheel" >&2; exit 1 ;;
esac
python -m pytest -p no:randomly -q tests/test_public_api.py tests/test_consumer_project.py
