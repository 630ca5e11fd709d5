#!/usr/bin/env bash
set -euo pipefail
pnpm run --if-present build
pnpm test
