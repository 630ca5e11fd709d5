# shellcheck shell=bash
# Shared by preview-deploy.sh, preview-teardown.sh and preview-sweep.sh (docs/previews.md).
#
# A preview of pull request N of application APP is, on the preview base's listener:
#   - its record: the listener rule for host `pr-N.pr.DOMAIN`, tagged slipway:preview=APP,
#     slipway:pull-request=N, slipway:expires=<epoch seconds>. It is created first (with a
#     fixed response) and deleted last, so no other resource of a preview exists without it
#     except after a failed teardown, which the tag sweep finishes;
#   - target group, ECS service and task definition family `pr-N-APP`, and log group
#     `/slipway/previews/pr-N-APP`, each tagged the same way.
# Every delete tolerates "already gone" (preview_gone_ok), so a teardown can be run again until
# it finishes.

PREVIEW_TAG="slipway:preview"
PREVIEW_PR_TAG="slipway:pull-request"
PREVIEW_EXPIRES_TAG="slipway:expires"
PREVIEW_TOUCHED_TAG="slipway:touched"
# Rule priorities are 1-50,000 (botocore's elbv2 model, CreateRule "Priority").
PREVIEW_MAX_PRIORITY=50000

# A preview's tags as ECS takes them, [{key, value}], for pull request $1, expiring at $2,
# touched at $3 (epoch seconds). slipway:environment=preview and slipway:app put previews in
# the stacks' isolation model: no environment's role may touch them (stack_boundary.py).
preview_tags_json() {
  jq -cn --arg app "${PREVIEW_APP}" --arg pr "$1" --arg exp "$2" --arg now "$3" \
    --arg t "${PREVIEW_TAG}" --arg p "${PREVIEW_PR_TAG}" --arg e "${PREVIEW_EXPIRES_TAG}" \
    --arg n "${PREVIEW_TOUCHED_TAG}" \
    '[{key: $t, value: $app}, {key: $p, value: $pr}, {key: $e, value: $exp}, {key: $n, value: $now},
      {key: "slipway:environment", value: "preview"}, {key: "slipway:app", value: $app}]'
}

preview_fail() {
  echo "::error::$1" >&2
  exit 1
}

# Check the settings every preview script reads; fail naming the variable and value.
preview_check_common() {
  [[ "${PREVIEW_APP:-}" =~ ^[a-z][a-z0-9-]{0,19}$ ]] ||
    preview_fail "PREVIEW_APP='${PREVIEW_APP:-}' must be 1-20 of a-z, 0-9, '-', starting with a letter (names pr-<n>-<app> must fit a target group's 32 characters)"
  [[ "${PREVIEW_LISTENER_ARN:-}" =~ ^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/ ]] ||
    preview_fail "PREVIEW_LISTENER_ARN='${PREVIEW_LISTENER_ARN:-}' must be the preview load balancer's listener ARN"
  [[ "${PREVIEW_CLUSTER:-}" =~ ^[A-Za-z0-9_:/.-]+$ ]] ||
    preview_fail "PREVIEW_CLUSTER='${PREVIEW_CLUSTER:-}' must be the ECS cluster's name or ARN"
  [[ -z "${PREVIEW_NOW:-}" || "${PREVIEW_NOW}" =~ ^[0-9]+$ ]] ||
    preview_fail "PREVIEW_NOW='${PREVIEW_NOW}' must be epoch seconds (or unset: now)"
  local rest
  IFS=: read -r _ PREVIEW_PARTITION _ PREVIEW_REGION PREVIEW_ACCOUNT rest <<< "${PREVIEW_LISTENER_ARN}"
  export PREVIEW_PARTITION PREVIEW_REGION PREVIEW_ACCOUNT
  : "${rest}"
}

preview_check_pr() {
  [[ "$1" =~ ^[1-9][0-9]{0,8}$ ]] || preview_fail "PREVIEW_PR='$1' must be a pull request number"
}

preview_now() {
  if [[ -n "${PREVIEW_NOW:-}" ]]; then echo "${PREVIEW_NOW}"; else date +%s; fi
}

preview_name() { echo "pr-$1-${PREVIEW_APP}"; }
preview_log_group() { echo "/slipway/previews/pr-$1-${PREVIEW_APP}"; }
preview_host() { echo "pr-$1.pr.${PREVIEW_DOMAIN}"; }

# Run an AWS CLI command; succeed when it does or when it fails only because the resource is
# already gone (one of the error codes given before `--`).
preview_gone_ok() {
  local codes=()
  while [[ "$1" != "--" ]]; do codes+=("$1"); shift; done
  shift
  local err status=0
  err=$("$@" 2>&1 >/dev/null) || status=$?
  if (( status == 0 )); then return 0; fi
  local code
  for code in "${codes[@]}"; do
    if [[ "${err}" == *"(${code})"* ]]; then
      echo "already gone (${code}): $*"
      return 0
    fi
  done
  echo "${err}" >&2
  return "${status}"
}

# The smallest priority in 1..PREVIEW_MAX_PRIORITY not among the used ones (one per line on
# stdin; anything not a number, such as "default", ignored). Prints nothing when all are used.
preview_first_free_priority() {
  awk -v max="${PREVIEW_MAX_PRIORITY}" '
    /^[0-9]+$/ { used[$0 + 0] = 1 }
    END { for (p = 1; p <= max; p++) if (!(p in used)) { print p; exit } }'
}

# The listener's rules as JSON lines {arn, priority, host} (the default rule left out).
preview_rules() {
  aws elbv2 describe-rules --listener-arn "${PREVIEW_LISTENER_ARN}" --output json |
    jq -c '.Rules[] | select(.IsDefault | not)
      | {arn: .RuleArn, priority: .Priority,
         host: ([.Conditions[] | select(.Field == "host-header")
                 | (.HostHeaderConfig.Values // .Values // [])[]] | first)}'
}

# JSON lines {arn, tags: {...}} for the given ARNs (describe-tags takes 20 at a time).
preview_tags_of() {
  local arns=("$@") i
  for (( i = 0; i < ${#arns[@]}; i += 20 )); do
    aws elbv2 describe-tags --resource-arns "${arns[@]:i:20}" --output json |
      jq -c '.TagDescriptions[] | {arn: .ResourceArn, tags: (.Tags | from_entries)}'
  done
}

# This application's preview records: JSON lines {arn, priority, pr, expires}.
preview_records() {
  local arns
  mapfile -t arns < <(preview_rules | jq -r .arn)
  if (( ${#arns[@]} == 0 )); then return 0; fi
  local rules
  rules=$(preview_rules | jq -s .)
  preview_tags_of "${arns[@]}" | jq -c --arg app "${PREVIEW_APP}" --argjson rules "${rules}" \
    --arg tag "${PREVIEW_TAG}" --arg pr "${PREVIEW_PR_TAG}" --arg exp "${PREVIEW_EXPIRES_TAG}" '
    select(.tags[$tag] == $app) | . as $t
    | {arn, priority: ($rules[] | select(.arn == $t.arn) | .priority),
       pr: .tags[$pr], expires: ((.tags[$exp] // "0") | tonumber)}'
}

# The record (listener rule) ARN of pull request $1, or nothing.
preview_record_arn() {
  preview_rules | jq -r --arg host "$(preview_host "$1")" 'select(.host == $host) | .arn'
}

# The target group ARN of pull request $1, or nothing when there is none.
preview_target_group_arn() {
  local out status=0
  out=$(aws elbv2 describe-target-groups --names "$(preview_name "$1")" \
    --query 'TargetGroups[0].TargetGroupArn' --output text 2>&1) || status=$?
  if (( status == 0 )); then echo "${out}"; return 0; fi
  if [[ "${out}" == *"(TargetGroupNotFound)"* ]]; then return 0; fi
  echo "${out}" >&2
  return "${status}"
}

# Remove everything of pull request $1's preview, the record last. Idempotent.
preview_teardown() {
  local pr=$1 name rule tg
  name=$(preview_name "${pr}")
  rule=$(preview_record_arn "${pr}")
  if [[ -n "${rule}" ]]; then
    # Stop forwarding first: a target group used by a rule cannot be deleted (ResourceInUse).
    aws elbv2 modify-rule --rule-arn "${rule}" --actions \
      'Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=preview removed}' \
      >/dev/null
  fi
  preview_gone_ok ServiceNotFoundException ServiceNotActiveException ClusterNotFoundException -- \
    aws ecs delete-service --cluster "${PREVIEW_CLUSTER}" --service "${name}" --force
  local defs def
  mapfile -t defs < <(aws ecs list-task-definitions --family-prefix "${name}" --status ACTIVE \
    --query 'taskDefinitionArns[]' --output text | tr '\t' '\n' | grep -E ":task-definition/${name}:[0-9]+$" || true)
  for def in "${defs[@]}"; do
    preview_gone_ok ClientException -- aws ecs deregister-task-definition --task-definition "${def}"
  done
  mapfile -t defs < <(aws ecs list-task-definitions --family-prefix "${name}" --status INACTIVE \
    --query 'taskDefinitionArns[]' --output text | tr '\t' '\n' | grep -E ":task-definition/${name}:[0-9]+$" || true)
  for def in "${defs[@]}"; do
    preview_gone_ok ClientException -- aws ecs delete-task-definitions --task-definitions "${def}"
  done
  tg=$(preview_target_group_arn "${pr}")
  if [[ -n "${tg}" ]]; then
    preview_gone_ok TargetGroupNotFound -- aws elbv2 delete-target-group --target-group-arn "${tg}"
  fi
  preview_gone_ok ResourceNotFoundException -- \
    aws logs delete-log-group --log-group-name "$(preview_log_group "${pr}")"
  if [[ -n "${rule}" ]]; then
    preview_gone_ok RuleNotFound -- aws elbv2 delete-rule --rule-arn "${rule}"
  fi
  echo "Preview of pull request ${pr} removed"
}
