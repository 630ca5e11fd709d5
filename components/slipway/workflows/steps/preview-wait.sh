#!/usr/bin/env bash
set -euo pipefail
# Wait until pull request PREVIEW_PR's preview answers (docs/previews.md, "Waiting for the
# preview to answer"), so that GitHub says "ready" only for a URL that serves the new revision.
# env: PREVIEW_APP, PREVIEW_PR, PREVIEW_LISTENER_ARN, PREVIEW_CLUSTER, PREVIEW_TASK_DEFINITION
#   (the revision preview-deploy.sh registered: its output task-definition); optional
#   PREVIEW_WAIT_SECONDS (300), PREVIEW_POLL_SECONDS (5).
# Output `reason` on failure: why, in one line (the sticky comment shows it).
#
# Ready: a task of this revision (ECS ListTasks/DescribeTasks: taskDefinitionArn, its
# ElasticNetworkInterface attachment's privateIPv4Address) is a target in state `healthy` of
# the preview's target group (ELB DescribeTargetHealth; "Check the health of your Application
# Load Balancer targets": `initial` while registering and during the first checks, `healthy`
# after HealthyThresholdCount consecutive passes). Registered is not enough: a target group
# whose targets are all unhealthy "fails open" and routes to them anyway ("Health checks for
# Application Load Balancer target groups").
# Failed, at once: a task of this revision whose desired status is STOPPED (the service
# scheduler stops a task whose essential container exited, that could not pull its image or
# start, or that failed the load balancer's health checks after the grace period); its
# stoppedReason, stopCode and the containers' reasons and exit codes (DescribeTasks, Task and
# Container) are the reason. ECS keeps stopped tasks visible to ListTasks and DescribeTasks for
# a while after they stop ("Amazon ECS stopped task errors").
# Failed, at the deadline: anything else (no capacity, a task that never registers or stays
# unhealthy within the grace period), with the last state seen and the service's last event.
source "$(dirname "${BASH_SOURCE[0]}")/lib/preview.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/follow-deployment.sh"
# A cancel (the runner's SIGINT, then SIGTERM) ends the wait at once: the poll and its sleep run
# in the background (interruptible), and the trap ends them. The preview stays as it is.
trap 'stop_waiting; exit 130' INT
trap 'stop_waiting; exit 143' TERM
preview_check_common
preview_check_pr "${PREVIEW_PR:-}"
pr=${PREVIEW_PR}
name=$(preview_name "${pr}")
[[ "${PREVIEW_TASK_DEFINITION:-}" =~ ^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/${name}:[1-9][0-9]*$ ]] ||
  preview_fail "PREVIEW_TASK_DEFINITION='${PREVIEW_TASK_DEFINITION:-}' must be the ARN of a revision of task definition ${name}"
wait_seconds=${PREVIEW_WAIT_SECONDS:-300}
[[ "${wait_seconds}" =~ ^[1-9][0-9]{0,3}$ ]] ||
  preview_fail "PREVIEW_WAIT_SECONDS='${wait_seconds}' must be a whole number of seconds, 1-9999"
poll=${PREVIEW_POLL_SECONDS:-5}
[[ "${poll}" =~ ^([1-9][0-9]?(\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*)$ ]] ||
  preview_fail "PREVIEW_POLL_SECONDS='${poll}' must be seconds, more than 0 and under 100"
revision=${PREVIEW_TASK_DEFINITION##*/}
host=$(preview_host "${pr}")

# End the wait as failed: the reason on one line, as the step's output and its error.
give_up() {
  local reason
  reason=$(tr -s '[:cntrl:]' ' ' <<< "$1" | cut -c1-400)
  echo "reason=${reason}" >> "${GITHUB_OUTPUT:-/dev/null}"
  echo "::error::Preview of pull request ${pr} (${revision}) does not answer: ${reason}" >&2
  exit 1
}

tg=$(preview_target_group_arn "${pr}")
[[ -n "${tg}" ]] || give_up "its target group ${name} does not exist"

# One look: prints "ready|stopped|waiting<TAB>what was seen".
preview_look() {
  # Every command's failure is returned: this runs where errexit is ignored (an `if`).
  local found="" status listed tasks stopped targets
  for status in RUNNING STOPPED; do
    listed=$(aws ecs list-tasks --cluster "${PREVIEW_CLUSTER}" --service-name "${name}" \
      --desired-status "${status}" --query 'taskArns[]' --output text) || return 1
    [[ "${listed}" == None ]] || found+=" ${listed}"
  done
  found=$(tr -s "[:space:]" "\n" <<< "${found}" | grep -v "^$" | head -n 100 || true)
  if [[ -z "${found}" ]]; then
    printf 'waiting\tno task started yet\n'
    return 0
  fi
  # shellcheck disable=SC2086 # one ARN per word
  tasks=$(aws ecs describe-tasks --cluster "${PREVIEW_CLUSTER}" --tasks ${found} --output json |
    jq -c --arg td "${PREVIEW_TASK_DEFINITION}" '[.tasks[] | select(.taskDefinitionArn == $td)
      | {id: (.taskArn | split("/") | last), desired: .desiredStatus, last: .lastStatus,
         why: ([(.stopCode // empty), (.stoppedReason // empty)]
               + [.containers[]? | select(.reason != null or .exitCode != null)
                  | "\(.name): \(.reason // "exit code \(.exitCode)")"] | join("; ")),
         ip: ([.attachments[]? | select(.type == "ElasticNetworkInterface") | .details[]?
               | select(.name == "privateIPv4Address") | .value] | first // "")}]') || return 1
  stopped=$(jq -r 'map(select(.desired == "STOPPED")) | first
    | if . then "task \(.id) stopped: \(.why)" else empty end' <<< "${tasks}")
  if [[ -n "${stopped}" ]]; then
    printf 'stopped\t%s\n' "${stopped}"
    return 0
  fi
  if [[ "$(jq length <<< "${tasks}")" == 0 ]]; then
    printf 'waiting\tno task of %s started yet\n' "${revision}"
    return 0
  fi
  targets=$(aws elbv2 describe-target-health --target-group-arn "${tg}" --output json) ||
    return 1
  jq -r --argjson tasks "${tasks}" '
    [.TargetHealthDescriptions[] | {ip: .Target.Id, state: .TargetHealth.State,
      why: ([.TargetHealth.Reason, .TargetHealth.Description] | map(select(. != null)) | join(": "))}]
    as $targets
    | [$tasks[] | . as $t | ($targets | map(select(.ip == $t.ip)) | first) as $h
       | {id, last, ip, state: ($h.state // "not registered"), why: ($h.why // "")}]
    | (map(select(.state == "healthy")) | first) as $ready
    | if $ready then "ready\ttask \($ready.id) (\($ready.ip)) is healthy in the target group"
      else "waiting\t" + (map("task \(.id) \(.last), target \(.state)"
        + (if .why != "" then " (\(.why))" else "" end)) | join("; ")) end' <<< "${targets}"
}

# Microseconds since the epoch (bash's EPOCHREALTIME; SECONDS counts whole seconds from a
# fraction of one, so a deadline on it comes up to a second early).
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
echo "Waiting up to ${wait_seconds}s for https://${host} to answer with ${revision}"
start=$(now_us)
deadline=$(( start + wait_seconds * 1000000 ))
look=$(mktemp)
said=""
while true; do
  if interruptible "${look}" preview_look; then
    IFS=$'\t' read -r state seen < "${look}" || true
    case "${state}" in
      ready)
        echo "https://${host} answers: ${seen}"
        exit 0 ;;
      stopped) give_up "${seen}" ;;
    esac
    if [[ "${seen}" != "${said}" ]]; then
      echo "$(( ($(now_us) - start) / 1000000 ))s: ${seen}"
      said=${seen}
    fi
  else
    echo "::warning::could not read the preview's tasks or targets; trying again"
  fi
  if (( $(now_us) >= deadline )); then
    event=$(aws ecs describe-services --cluster "${PREVIEW_CLUSTER}" --services "${name}" \
      --query 'services[0].events[0].message' --output text 2>/dev/null || true)
    [[ -n "${event}" && "${event}" != "None" ]] || event="none"
    give_up "not healthy after ${wait_seconds}s: ${said:-nothing seen}; the service's last event: ${event}"
  fi
  interruptible /dev/null sleep "${poll}" || true
done
