#!/usr/bin/env bash
set -euo pipefail
{
  echo "## Offline plan"
  echo
  echo '```text'
  head -c 900000 @PLAN_DIR@/plan.txt
  echo '```'
} >> "$GITHUB_STEP_SUMMARY"
