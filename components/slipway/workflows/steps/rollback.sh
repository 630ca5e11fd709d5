#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/follow-deployment.sh"
echo "::warning::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET}"
echo "target=${ROLLBACK_TARGET}" >> "${GITHUB_OUTPUT}"
if deployment=$(start_deployment "${ROLLBACK_TARGET}") && follow_deployment "${deployment}"; then
  echo "result=rolled-back" >> "${GITHUB_OUTPUT}"
  echo "::error::Deploy failed; ${ECS_SERVICE} is back on ${ROLLBACK_TARGET}"
else
  echo "result=rollback-failed" >> "${GITHUB_OUTPUT}"
  echo "::error::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET} did not complete; follow" \
    "docs/runbooks/rollback.md"
fi
exit 1
