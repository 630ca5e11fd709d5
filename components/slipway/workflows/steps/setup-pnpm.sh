#!/usr/bin/env bash
set -euo pipefail
# Node.js 22 and 24 bundle corepack; it fetches the pinned pnpm and checks its signature.
corepack enable
corepack prepare "pnpm@${PNPM_VERSION}" --activate
pnpm --version
