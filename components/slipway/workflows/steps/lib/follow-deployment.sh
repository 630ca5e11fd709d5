# shellcheck shell=bash
# Start and follow ECS service deployments by ARN, for every strategy (rolling, canary, linear,
# blue/green): UpdateService starts one; ListServiceDeployments and DescribeServiceRevisions find
# it (the newest PENDING or IN_PROGRESS one whose target revision runs the task definition);
# DescribeServiceDeployments follows it every STABILITY_POLL_SECONDS, reporting each lifecycle
# stage (report_stage). A failed DescribeServiceDeployments is retried; DESCRIBE_ATTEMPTS
# failures in a row end the wait, as does STABILITY_TIMEOUT_SECONDS.
sleeper=""
deployment_status=""
deployment_reason=""

# interruptible FILE COMMAND...: run COMMAND with its output in FILE, in the background, and
# wait for it. Bash runs a trap only after the foreground command returns, a command
# substitution included, but a trapped signal ends `wait` at once (bash(1), SIGNALS): the
# runner's SIGINT is then handled within its 7.5 s grace, never after the command.
interruptible() {
  local out="$1" status=0
  shift
  "$@" > "${out}" &
  sleeper=$!
  wait "${sleeper}" || status=$?
  sleeper=""
  return "${status}"
}

# stop_waiting: for a trap, end what interruptible runs in the background. Every background job
# (jobs -p), not only ${sleeper}: a signal that lands after the fork but before `sleeper=$!` runs
# the trap between the two (bash runs a pending trap after each command), and a command left
# running would hold the step's output open (and keep sleeping) after the step has exited.
stop_waiting() {
  local pids
  pids="$(jobs -p)"
  if [[ -n "${pids}" ]]; then
    # shellcheck disable=SC2086 # one PID per word
    kill ${pids} 2>/dev/null || true
  fi
}

# Point the service at a task definition; sets started_deployment to the ARN of the service
# deployment it started (no command substitution: a cancel meanwhile is handled at once).
# shellcheck disable=SC2034 # read by the steps that source this library
started_deployment=""
start_deployment() {
  local task_definition="$1" attempt listing
  listing="$(mktemp)"
  started_deployment=""
  aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \
    --task-definition "${task_definition}" >/dev/null
  for attempt in 1 2 3 4 5; do
    if interruptible "${listing}" find_deployment "${task_definition}" \
        && [[ -s "${listing}" ]]; then
      # shellcheck disable=SC2034 # read by the steps that source this library
      started_deployment="$(<"${listing}")"
      rm -f "${listing}"
      return 0
    fi
    echo "::warning::no service deployment of ${task_definition} listed yet (attempt" \
      "${attempt} of 5)"
    interruptible /dev/null sleep "${STABILITY_POLL_SECONDS}" || true
  done
  rm -f "${listing}"
  echo "::error::ECS lists no service deployment of ${task_definition} for ${ECS_SERVICE}"
  return 1
}

# The newest ongoing service deployment of ECS_SERVICE whose target revision runs $1.
find_deployment() {
  local listed revisions
  listed=$(aws ecs list-service-deployments --cluster "${ECS_CLUSTER}" \
    --service "${ECS_SERVICE}" --status PENDING IN_PROGRESS --output json)
  revisions=$(jq -r '[.serviceDeployments[].targetServiceRevisionArn] | unique | .[:20] | .[]' \
    <<<"${listed}")
  if [[ -z "${revisions}" ]]; then
    return 0
  fi
  # shellcheck disable=SC2086 # one ARN per word
  aws ecs describe-service-revisions --service-revision-arns ${revisions} --output json |
    jq -r --argjson listed "${listed}" --arg td "$1" '
      [.serviceRevisions[] | select(.taskDefinition == $td) | .serviceRevisionArn] as $ours
      | [$listed.serviceDeployments[] | select(.targetServiceRevisionArn as $r | $ours | index($r))]
      | sort_by(.createdAt) | last | .serviceDeploymentArn // empty'
}

# Roll back an ongoing service deployment (StopServiceDeployment, stopType ROLLBACK).
stop_deployment() {
  aws ecs stop-service-deployment --service-deployment-arn "$1" --stop-type ROLLBACK >/dev/null
}

# What people read for a stage; empty for a rolling update's (it reports none).
stage_text() {
  case "$1" in
    RECONCILE_SERVICE) echo "reconciling the service" ;;
    PRE_SCALE_UP | SCALE_UP | POST_SCALE_UP) echo "starting the new revision's tasks" ;;
    TEST_TRAFFIC_SHIFT | POST_TEST_TRAFFIC_SHIFT)
      echo "test traffic: the new revision answers the test listener, production traffic" \
        "stays on the old one" ;;
    PRE_PRODUCTION_TRAFFIC_SHIFT | PRODUCTION_TRAFFIC_SHIFT | POST_PRODUCTION_TRAFFIC_SHIFT)
      echo "shifting: ${2}% of production traffic on the new revision" ;;
    BAKE_TIME) echo "baking: all traffic on the new revision, rollback alarms watching" ;;
    CLEAN_UP) echo "cleaning up the old revision" ;;
    *) echo "$1" ;;
  esac
}

# One DescribeServiceDeployments: sets deployment_status, deployment_reason, stage, weight,
# alarms (in ALARM), hooks (failed or timed out) and breaker (the circuit breaker's status).
stage="" weight="" alarms="" hooks="" breaker=""
read_deployment() {
  local state
  state=$(aws ecs describe-service-deployments --service-deployment-arns "$1" --output json |
    jq -er '
      .serviceDeployments[0] // error("service deployment not found")
      | [.status, .lifecycleStage // "",
         (.targetServiceRevision.requestedProductionTrafficWeight // 0 | floor),
         .statusReason // "", (.alarms.triggeredAlarmNames // [] | join(", ")),
         ([.lifecycleHookDetails[]? | select(.status == "FAILED" or .status == "TIMED_OUT")
           | "\(.hookId) \(.status)"] | join(", ")),
         .deploymentCircuitBreaker.status // ""]
      | map(tostring | gsub("[[:cntrl:]]"; " ")) | join("\u001f")') || return 1
  IFS=$'\x1f' read -r deployment_status stage weight deployment_reason alarms hooks breaker \
    <<<"${state}"
}

# Write the last status seen and its reason as the step's ecs-status and ecs-reason outputs.
record_deployment_outcome() {
  {
    echo "ecs-status=${deployment_status}"
    echo "ecs-reason=${deployment_reason}"
  } >> "${GITHUB_OUTPUT}"
}

# follow_deployment ARN MODE. MODE deploy: 0 on SUCCESSFUL, 1 at the first poll that sees it
# roll back or stop (ROLLBACK_*, STOP_REQUESTED, STOPPED), or on a timeout. MODE settle: wait
# until it ends, however (0), or time out (1). deployment_status holds the last status seen.
follow_deployment() {
  local arn="$1" mode="$2" deadline=$((SECONDS + STABILITY_TIMEOUT_SECONDS)) errors=0
  local said="" text
  deployment_status=""
  deployment_reason=""
  stage=""
  while true; do
    if read_deployment "${arn}"; then
      errors=0
      case "${deployment_status}" in
        SUCCESSFUL)
          echo "${ECS_SERVICE}: service deployment ${arn##*/} SUCCESSFUL"
          return 0 ;;
        ROLLBACK_REQUESTED | ROLLBACK_IN_PROGRESS | STOP_REQUESTED | ROLLBACK_SUCCESSFUL \
          | ROLLBACK_FAILED | STOPPED)
          text="${deployment_status}: ${deployment_reason}"
          if [[ -n "${alarms}" ]]; then
            text="${text} (alarms in ALARM: ${alarms})"
          fi
          if [[ -n "${hooks}" ]]; then
            text="${text} (lifecycle hooks: ${hooks})"
          fi
          if [[ "${breaker}" == "TRIGGERED" ]]; then
            text="${text} (circuit breaker triggered)"
          fi
          if [[ "${text}" != "${said}" ]]; then
            said="${text}"
            report_stage "${text}" slack
          fi
          if [[ "${mode}" == "deploy" ]]; then
            echo "::error::service deployment ${arn##*/} of ${ECS_SERVICE} is ${text}"
            return 1
          fi
          case "${deployment_status}" in
            ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED | STOPPED) return 0 ;;
          esac ;;
        *)
          text=$(stage_text "${stage}" "${weight}")
          if [[ -n "${text}" && "${text}" != "${said}" ]]; then
            said="${text}"
            case "${stage}" in
              *TEST_TRAFFIC* | *PRODUCTION_TRAFFIC* | BAKE_TIME) report_stage "${text}" slack ;;
              *) report_stage "${text}" ;;
            esac
          fi ;;
      esac
    else
      errors=$((errors + 1))
      echo "::warning::cannot read service deployment ${arn##*/} (attempt ${errors} of" \
        "${DESCRIBE_ATTEMPTS})"
      if (( errors >= DESCRIBE_ATTEMPTS )); then
        echo "::error::service deployment ${arn##*/} unreadable ${DESCRIBE_ATTEMPTS} times in a" \
          "row; giving up"
        return 1
      fi
    fi
    if (( SECONDS >= deadline )); then
      echo "::error::service deployment ${arn##*/} of ${ECS_SERVICE} not finished after" \
        "${STABILITY_TIMEOUT_SECONDS}s (${deployment_status:-?} ${stage})"
      return 1
    fi
    echo "Waiting for ${ECS_SERVICE}: deployment ${arn##*/} ${deployment_status:-?}" \
      "${stage:+(${stage}, ${weight}% of production traffic)}"
    # In the background, so that a signal is handled at once rather than after the sleep.
    interruptible /dev/null sleep "${STABILITY_POLL_SECONDS}" || true
  done
}
