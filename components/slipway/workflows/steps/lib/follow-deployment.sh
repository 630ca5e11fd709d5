# shellcheck shell=bash
# Follow one ECS deployment (by id) every STABILITY_POLL_SECONDS. Success: it is the PRIMARY and
# only deployment, COMPLETED, with every desired task running (the services-stable waiter's
# test, for this deployment). Failure, at the first poll that sees it: ECS marked it FAILED
# (circuit breaker), or another deployment replaced it; or STABILITY_TIMEOUT_SECONDS passed.
# A failed DescribeServices is retried; DESCRIBE_ATTEMPTS failures in a row end the wait.
sleeper=""
follow_deployment() {
  local id="$1" deadline=$((SECONDS + STABILITY_TIMEOUT_SECONDS)) errors=0 state
  local status="" rollout="" running="" desired="" count="" reason=""
  while true; do
    if state=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \
        --output json | jq -er --arg id "${id}" '
          .services[0] // error("service not found")
          | . as $service | (.deployments // []) as $all
          | (first($all[] | select(.id == $id)) // {}) as $ours
          | [$ours.status // "GONE", $ours.rolloutState // "NONE", $service.runningCount,
             $service.desiredCount, ($all | length), $ours.rolloutStateReason // ""]
          | map(tostring) | @tsv'); then
      errors=0
      IFS=$'\t' read -r status rollout running desired count reason <<<"${state}"
      if [[ "${rollout}" == "FAILED" ]]; then
        echo "::error::deployment ${id} of ${ECS_SERVICE} FAILED: ${reason}"
        return 1
      fi
      if [[ "${status}" != "PRIMARY" ]]; then
        echo "::error::deployment ${id} of ${ECS_SERVICE} is ${status}: another deployment" \
          "replaced it (the circuit breaker rolled back, or someone deployed meanwhile)"
        return 1
      fi
      if [[ "${count}" == "1" && "${running}" == "${desired}" \
          && ( "${rollout}" == "COMPLETED" || "${rollout}" == "NONE" ) ]]; then
        echo "${ECS_SERVICE} is stable on deployment ${id} (${running}/${desired} running)"
        return 0
      fi
    else
      errors=$((errors + 1))
      echo "::warning::cannot read ${ECS_SERVICE} (attempt ${errors} of ${DESCRIBE_ATTEMPTS})"
      if (( errors >= DESCRIBE_ATTEMPTS )); then
        echo "::error::${ECS_SERVICE} unreadable ${DESCRIBE_ATTEMPTS} times in a row; giving up"
        return 1
      fi
    fi
    if (( SECONDS >= deadline )); then
      echo "::error::${ECS_SERVICE} not stable after ${STABILITY_TIMEOUT_SECONDS}s" \
        "(deployment ${id} ${rollout:-?}, ${running:-?}/${desired:-?} running, ${count:-?}" \
        "deployments)"
      return 1
    fi
    echo "Waiting for ${ECS_SERVICE}: deployment ${id} ${rollout:-?}," \
      "${running:-?}/${desired:-?} running, ${count:-?} deployments"
    # In the background, so that a signal is handled at once rather than after the sleep.
    sleep "${STABILITY_POLL_SECONDS}" &
    sleeper=$!
    wait "${sleeper}"
    sleeper=""
  done
}
# Point the service at a task definition; prints the id of the deployment that runs it.
start_deployment() {
  aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \
    --task-definition "$1" --output json |
    jq -er '.service.deployments[] | select(.status == "PRIMARY") | .id'
}
