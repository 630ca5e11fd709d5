#!/usr/bin/env bash
set -euo pipefail
mkdir -p @PLAN_DIR@
make plan PLAN_ARGS="--out @PLAN_DIR@" | tee @PLAN_DIR@/plan.txt
