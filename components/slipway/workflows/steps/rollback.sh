#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/report-stage.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/follow-deployment.sh"
# 1. The job's own service deployment, if it has not ended: roll it back (StopServiceDeployment,
#    stopType ROLLBACK: a health check or channel failure, a timeout, a cancel mid-bake) and
#    follow the rollback ECS runs (its own, after an alarm, a hook or the circuit breaker, too).
# 2. Then the service must run the last known-good revision with no deployment under way;
#    otherwise (ECS went back to another revision, the deployment had ended SUCCESSFUL, the
#    rollback failed) a new deployment of that revision is started and followed.
echo "::warning::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET}"
echo "target=${ROLLBACK_TARGET}" >> "${GITHUB_OUTPUT}"
rolled_back() {
  echo "result=rolled-back" >> "${GITHUB_OUTPUT}"
  echo "::error::Deploy failed; ${ECS_SERVICE} is back on ${ROLLBACK_TARGET}"
  report_stage "rolled back to ${ROLLBACK_TARGET##*/}" slack
  exit 1
}
if [[ -n "${DEPLOYMENT_ARN}" ]]; then
  read_deployment "${DEPLOYMENT_ARN}" || deployment_status=""
  case "${deployment_status}" in
    PENDING | IN_PROGRESS)
      echo "Stopping service deployment ${DEPLOYMENT_ARN##*/} with a rollback"
      stop_deployment "${DEPLOYMENT_ARN}" || true ;;
  esac
  case "${deployment_status}" in
    PENDING | IN_PROGRESS | STOP_REQUESTED | ROLLBACK_REQUESTED | ROLLBACK_IN_PROGRESS)
      follow_deployment "${DEPLOYMENT_ARN}" settle || true ;;
  esac
  record_deployment_outcome
fi
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \
  --query 'services[0].taskDefinition' --output text)
ongoing=$(aws ecs list-service-deployments --cluster "${ECS_CLUSTER}" \
  --service "${ECS_SERVICE}" --status PENDING IN_PROGRESS STOP_REQUESTED ROLLBACK_REQUESTED \
  ROLLBACK_IN_PROGRESS --query 'length(serviceDeployments)' --output text)
if [[ "${current}" == "${ROLLBACK_TARGET}" && "${ongoing}" == "0" ]]; then
  rolled_back
fi
echo "${ECS_SERVICE} runs ${current} (${ongoing} deployments under way): deploying" \
  "${ROLLBACK_TARGET} again"
# shellcheck disable=SC2154 # started_deployment: set by start_deployment (lib)
if start_deployment "${ROLLBACK_TARGET}" \
    && follow_deployment "${started_deployment}" deploy; then
  rolled_back
fi
echo "result=rollback-failed" >> "${GITHUB_OUTPUT}"
echo "::error::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET} did not complete; follow" \
  "docs/runbooks/rollback.md"
report_stage "ROLLBACK FAILED: act now, see docs/runbooks/rollback.md" slack
exit 1
