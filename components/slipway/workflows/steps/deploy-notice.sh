#!/usr/bin/env bash
set -euo pipefail
what="${VERSION:-${IMAGE_DIGEST//[^A-Za-z0-9:]/}}"
what="${what:0:80}"
run="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
if [[ "${CHANNEL_OUTCOME}" == "success" ]]; then
  outcome="deployed"
  text="Deployed ${what} to ${ENVIRONMENT_NAME}."
elif [[ "${ROLLBACK_RESULT}" == "rolled-back" ]]; then
  outcome="rolled-back"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} failed; rolled back to ${ROLLBACK_TARGET##*/}."
  if [[ "${ECS_STATUS:-}" == ROLLBACK_* || "${ECS_STATUS:-}" == STOP* ]]; then
    reason="${ECS_REASON//[^[:print:]]/ }"
    text="${text} ECS: ${ECS_STATUS} (${reason:0:200})."
  fi
elif [[ -n "${ROLLBACK_OUTCOME}" && "${ROLLBACK_OUTCOME}" != "skipped" ]]; then
  outcome="rollback-failed"
  text="ROLLBACK FAILED in ${ENVIRONMENT_NAME} (deploy of ${what}): act now,"
  text="${text} see docs/runbooks/rollback.md."
elif [[ "${REFUSAL_OUTCOMES}" == *failure* ]]; then
  outcome="refused"
  text="Refused to deploy ${what} to ${ENVIRONMENT_NAME}; the service is unchanged."
elif [[ "${KEPT:-}" == "true" && "${JOB_STATUS}" == "success" ]]; then
  outcome="kept"
  text="${ENVIRONMENT_NAME} keeps its version; ${what} was not deployed there (a hotfix of an"
  text="${text} older line, or a pre-release in the last environment)."
elif [[ "${JOB_STATUS}" == "cancelled" ]]; then
  outcome="cancelled"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} was cancelled before the service changed."
else
  outcome="failed"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} failed before the service changed."
fi
{
  echo "outcome=${outcome}"
  echo "text=${text} ${run}"
} >> "${GITHUB_OUTPUT}"
echo "${outcome}: ${text}"
if [[ -n "${SLACK_WEBHOOK_URL:-}" ]]; then
  echo "enabled=true" >> "${GITHUB_OUTPUT}"
else
  echo "SLACK_WEBHOOK_URL is not set for this environment; no notification."
fi
