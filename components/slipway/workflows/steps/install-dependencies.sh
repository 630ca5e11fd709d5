#!/usr/bin/env bash
set -euo pipefail
args=(--frozen-lockfile)
if [[ "${PNPM_IGNORE_SCRIPTS:-false}" == "true" ]]; then
  # Jobs that only need the Changesets CLI run none of the dependencies' install scripts.
  args+=(--ignore-scripts)
fi
pnpm install "${args[@]}"
