#!/usr/bin/env bash
set -euo pipefail
version=$(npm --version)
oldest=$(printf '%s\n' "${NPM_MIN_VERSION}" "${version}" | sort -V | head -n 1)
if [[ "${oldest}" != "${NPM_MIN_VERSION}" ]]; then
  echo "::error::npm ${version} predates ${NPM_MIN_VERSION}, the first with trusted publishing"
  exit 1
fi
echo "npm ${version}"
