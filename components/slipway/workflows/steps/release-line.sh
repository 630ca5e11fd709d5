#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-tags.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/released-versions.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/release-line.sh"
# On demand: the branch of one release line, at the highest release of that line. RELEASE_LINE is
# `<major>.<minor>` (a single-package repository) or `<package>@<major>.<minor>` (a workspace).
if [[ ! "${RELEASE_LINE}" =~ ^((@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*@)?([0-9]+\.[0-9]+)$ ]]; then
  echo "::error::line '${RELEASE_LINE}' is not <major>.<minor> (1.4) or <package>@<major>.<minor> \
(@acme/web@1.4)"
  exit 1
fi
name="${BASH_REMATCH[1]%@}"
line="${BASH_REMATCH[3]}"
if is_workspace && [[ -z "${name}" ]]; then
  echo "::error::this repository is a workspace: name the package, <package>@${line}"
  exit 1
fi
if ! is_workspace; then
  if [[ -n "${name}" && "${name}" != "$(jq -r '.name' package.json)" ]]; then
    echo "::error::this repository's package is $(jq -r '.name' package.json), not ${name}"
    exit 1
  fi
  name=$(jq -r '.name' package.json)
fi
prefix=$(tag_prefix "${name}")
highest=$(highest_of_line "${prefix}" "${line}")
if [[ -z "${highest}" ]]; then
  echo "::error::${name} has no release of the ${line} line (no tag ${prefix}${line}.<patch>)"
  exit 1
fi
cut_line "$(line_branch "${name}" "${line}")" "${prefix}${highest}"
