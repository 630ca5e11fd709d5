#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/report-stage.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/follow-deployment.sh"
updating=""
# The service deployment this step started, for the trap: stopped with a rollback on a cancel.
deployment_arn=""
# The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it 2.5 s after
# that; GitHub gives the whole job 5 minutes more. Roll back at once, so that ECS rolls back even
# if nothing is left to wait for it: the service deployment is stopped with a rollback (mid-bake
# too), or, before it is known, the service is pointed back. The rollback step follows it.
interrupted() {
  trap - INT TERM
  stop_waiting
  arn="${arn:-}"
  if [[ -n "${deployment_arn}" ]]; then
    echo "::warning::$1 received: rolling back service deployment ${deployment_arn##*/}"
    if stop_deployment "${deployment_arn}"; then
      echo "rollback-started=true" >> "${GITHUB_OUTPUT}"
      report_stage "cancelled: rolling back to the previous revision" slack
      exit "$2"
    fi
    echo "::warning::could not stop ${deployment_arn##*/}; pointing the service back instead"
  fi
  if [[ -n "${updating}" && -z "${deployment_arn}" ]]; then
    # Cancelled before the deployment was listed: look once more, and roll that one back, so
    # that no new deployment replays a canary or linear schedule back to the old revision.
    deployment_arn="$(find_deployment "${arn}" 2>/dev/null || true)"
    if [[ -n "${deployment_arn}" ]] && stop_deployment "${deployment_arn}"; then
      echo "::warning::$1 received: rolling back service deployment ${deployment_arn##*/}"
      {
        echo "deployment=${deployment_arn}"
        echo "rollback-started=true"
      } >> "${GITHUB_OUTPUT}"
      exit "$2"
    fi
  fi
  if [[ -n "${updating}" ]]; then
    echo "::warning::$1 received: pointing ${ECS_SERVICE} back at ${ROLLBACK_TARGET}"
    if aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \
        --task-definition "${ROLLBACK_TARGET}" >/dev/null; then
      echo "rollback-started=true" >> "${GITHUB_OUTPUT}"
    else
      echo "::error::could not point ${ECS_SERVICE} back at ${ROLLBACK_TARGET}"
    fi
  fi
  exit "$2"
}
trap 'interrupted SIGINT 130' INT
trap 'interrupted SIGTERM 143' TERM
arn=""
arn=$(aws ecs register-task-definition --cli-input-json "file://${TASK_DEFINITION_FILE}" \
  --query taskDefinition.taskDefinitionArn --output text)
echo "task-definition=${arn}" >> "${GITHUB_OUTPUT}"
echo "Registered ${arn}"
updating=1
start_deployment "${arn}"
# shellcheck disable=SC2154 # set by start_deployment (lib/follow-deployment.sh)
deployment_arn="${started_deployment}"
echo "deployment=${deployment_arn}" >> "${GITHUB_OUTPUT}"
echo "Following service deployment ${deployment_arn} of ${ECS_SERVICE} to ${arn}"
report_stage "deploying ${arn##*/}"
result=0
follow_deployment "${deployment_arn}" deploy || result=$?
record_deployment_outcome
if (( result != 0 )); then
  exit "${result}"
fi
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \
  --query 'services[0].taskDefinition' --output text)
if [[ "${current}" != "${arn}" ]]; then
  echo "::error::${ECS_SERVICE} runs ${current}, not ${arn} (rolled back by ECS?)"
  exit 1
fi
