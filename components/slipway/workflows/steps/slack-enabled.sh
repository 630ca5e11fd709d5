#!/usr/bin/env bash
set -euo pipefail
if [[ -n "${SLACK_WEBHOOK_URL:-}" ]]; then
  echo "enabled=true" >> "${GITHUB_OUTPUT}"
else
  echo "SLACK_WEBHOOK_URL is not set for this environment; no notification."
fi
