#!/usr/bin/env bash
set -euo pipefail
# Create or update pull request PREVIEW_PR's preview (docs/previews.md), renewing its expiry.
# env: PREVIEW_APP, PREVIEW_PR, PREVIEW_DOMAIN, PREVIEW_LISTENER_ARN, PREVIEW_CLUSTER,
#   PREVIEW_VPC_ID, PREVIEW_SUBNETS and PREVIEW_SECURITY_GROUPS (comma-separated),
#   PREVIEW_IMAGE (by digest), PREVIEW_EXECUTION_ROLE_ARN, PREVIEW_CONTAINER_PORT,
#   PREVIEW_HEALTH_CHECK_PATH; optional PREVIEW_TTL_HOURS (72), PREVIEW_RULES_QUOTA (the account's),
#   PREVIEW_LOG_RETENTION_DAYS (3), PREVIEW_NOW (epoch seconds, default now).
# Outputs: url, expires (epoch seconds), priority, task-definition (the revision registered, which
#   preview-wait.sh waits for).
source "$(dirname "${BASH_SOURCE[0]}")/lib/preview.sh"
# Elastic Load Balancing, "Quotas for your Application Load Balancers": 100 target groups per
# load balancer (not adjustable); 100 rules per load balancer, default rules excepted
# (adjustable: read from describe-account-limits unless PREVIEW_RULES_QUOTA is set).
target_groups_per_alb=100
quotas_url="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html"
preview_check_common
preview_check_pr "${PREVIEW_PR:-}"
[[ "${PREVIEW_DOMAIN:-}" =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] ||
  preview_fail "PREVIEW_DOMAIN='${PREVIEW_DOMAIN:-}' must be a lower-case DNS name"
[[ "${PREVIEW_IMAGE:-}" =~ ^[^[:space:]@]+@sha256:[0-9a-f]{64}$ ]] ||
  preview_fail "PREVIEW_IMAGE='${PREVIEW_IMAGE:-}' must be an image by digest (<repository>@sha256:<64 hex>)"
ttl_hours=${PREVIEW_TTL_HOURS:-72}
[[ "${ttl_hours}" =~ ^[1-9][0-9]{0,3}$ ]] ||
  preview_fail "PREVIEW_TTL_HOURS='${ttl_hours}' must be a whole number of hours, 1-9999"
rules_quota=${PREVIEW_RULES_QUOTA:-}
[[ -z "${rules_quota}" || "${rules_quota}" =~ ^[1-9][0-9]{0,4}$ ]] ||
  preview_fail "PREVIEW_RULES_QUOTA='${rules_quota}' must be the load balancer's rules quota (or unset: read from the account)"
retention=${PREVIEW_LOG_RETENTION_DAYS:-3}
# CloudWatch Logs PutRetentionPolicy accepts only these values (botocore's logs model).
[[ " 1 3 5 7 14 " == *" ${retention} "* ]] ||
  preview_fail "PREVIEW_LOG_RETENTION_DAYS='${retention}' must be one of 1, 3, 5, 7, 14"
[[ "${PREVIEW_CONTAINER_PORT:-}" =~ ^[1-9][0-9]{0,4}$ ]] ||
  preview_fail "PREVIEW_CONTAINER_PORT='${PREVIEW_CONTAINER_PORT:-}' must be a port number"

pr=${PREVIEW_PR}
name=$(preview_name "${pr}")
host=$(preview_host "${pr}")
log_group=$(preview_log_group "${pr}")
now=$(preview_now)
expires=$(( now + ttl_hours * 3600 ))
tags_json=$(preview_tags_json "${pr}" "${expires}" "${now}")
# The same tags as the ELB commands take them (Key=...,Value=... words: no value has a space).
mapfile -t tags_args < <(jq -r '.[] | "Key=\(.key),Value=\(.value)"' <<< "${tags_json}")
starting='Type=fixed-response,FixedResponseConfig={StatusCode=503,ContentType=text/plain,MessageBody=preview starting}'

# 1. The record: this pull request's rule, created first under a free priority.
rule=$(preview_record_arn "${pr}")
if [[ -z "${rule}" ]]; then
  lb=$(aws elbv2 describe-listeners --listener-arns "${PREVIEW_LISTENER_ARN}" \
    --query 'Listeners[0].LoadBalancerArn' --output text)
  if [[ -z "${rules_quota}" ]]; then
    # The account's own value (the quota is adjustable), as Elastic Load Balancing reports it.
    rules_quota=$(aws elbv2 describe-account-limits \
      --query "Limits[?Name=='rules-per-application-load-balancer'].Max | [0]" --output text)
    [[ "${rules_quota}" =~ ^[0-9]+$ ]] || rules_quota=100
  fi
  open=$(preview_records | jq -s length)
  # The rules quota counts every listener's rules but the default ones.
  all_rules=0
  for listener in $(aws elbv2 describe-listeners --load-balancer-arn "${lb}" \
      --query 'Listeners[].ListenerArn' --output text); do
    count=$(aws elbv2 describe-rules --listener-arn "${listener}" \
      --query 'length(Rules[?!IsDefault])' --output text)
    all_rules=$(( all_rules + count ))
  done
  all_groups=$(aws elbv2 describe-target-groups --load-balancer-arn "${lb}" \
    --query 'length(TargetGroups)' --output text)
  preview_groups=$(aws elbv2 describe-target-groups --load-balancer-arn "${lb}" \
    --query 'TargetGroups[].TargetGroupName' --output text | tr '\t' '\n' |
    grep -cE "^pr-[0-9]+-${PREVIEW_APP}$" || true)
  base_rules=$(( all_rules - open ))
  base_groups=$(( all_groups - preview_groups ))
  cap=$(( target_groups_per_alb - base_groups ))
  if (( rules_quota - base_rules < cap )); then cap=$(( rules_quota - base_rules )); fi
  if (( open >= cap )); then
    echo "cap-reached=true" >> "${GITHUB_OUTPUT:-/dev/null}"
    preview_fail "No preview for pull request ${pr}: ${open} previews are open and the cap is ${cap} = min(${target_groups_per_alb} target groups per load balancer, not adjustable; ${rules_quota} rules per load balancer, default rules excepted) minus what the base uses (${base_groups} target groups, ${base_rules} rules); ${quotas_url}. Close a pull request or wait for a preview to expire, then push again."
  fi
  # Another pull request may take the same priority between our read and our create: ELB
  # refuses a priority in use (CreateRule: PriorityInUseException), so read again and retry.
  for attempt in 1 2 3 4 5; do
    priority=$(preview_rules | jq -r .priority | preview_first_free_priority)
    [[ -n "${priority}" ]] || preview_fail "no free rule priority on ${PREVIEW_LISTENER_ARN}"
    status=0
    out=$(aws elbv2 create-rule --listener-arn "${PREVIEW_LISTENER_ARN}" --priority "${priority}" \
      --conditions "Field=host-header,HostHeaderConfig={Values=[${host}]}" \
      --actions "${starting}" --tags "${tags_args[@]}" \
      --query 'Rules[0].RuleArn' --output text 2>&1) || status=$?
    if (( status == 0 )); then rule=${out}; break; fi
    if [[ "${out}" != *"(PriorityInUse)"* ]]; then echo "${out}" >&2; exit "${status}"; fi
    echo "priority ${priority} taken meanwhile (attempt ${attempt}); reading the rules again"
  done
  [[ -n "${rule}" ]] || preview_fail "could not claim a rule priority for ${host} after 5 attempts"
  echo "Created ${host} at priority ${priority}"
else
  aws elbv2 add-tags --resource-arns "${rule}" --tags "${tags_args[@]}"
fi
priority=$(preview_rules | jq -r --arg arn "${rule}" 'select(.arn == $arn) | .priority')

# 2. The target group.
tg=$(preview_target_group_arn "${pr}")
if [[ -z "${tg}" ]]; then
  tg=$(aws elbv2 create-target-group --name "${name}" --protocol HTTP \
    --port "${PREVIEW_CONTAINER_PORT}" --vpc-id "${PREVIEW_VPC_ID}" --target-type ip \
    --health-check-path "${PREVIEW_HEALTH_CHECK_PATH:-/}" --health-check-interval-seconds 10 \
    --healthy-threshold-count 2 --tags "${tags_args[@]}" \
    --query 'TargetGroups[0].TargetGroupArn' --output text)
else
  aws elbv2 add-tags --resource-arns "${tg}" --tags "${tags_args[@]}"
fi
# Drain quickly: a preview has no long requests to protect.
aws elbv2 modify-target-group-attributes --target-group-arn "${tg}" \
  --attributes Key=deregistration_delay.timeout_seconds,Value=5 >/dev/null

# 3. The log group, short retention.
preview_gone_ok ResourceAlreadyExistsException -- \
  aws logs create-log-group --log-group-name "${log_group}"
aws logs put-retention-policy --log-group-name "${log_group}" --retention-in-days "${retention}"
aws logs tag-resource \
  --resource-arn "arn:${PREVIEW_PARTITION}:logs:${PREVIEW_REGION}:${PREVIEW_ACCOUNT}:log-group:${log_group}" \
  --tags "$(jq -c 'map({(.key): .value}) | add' <<< "${tags_json}")"

# 4. The task definition: one container, ARM64 (Fargate Spot runs ARM64 tasks, platform 1.4.0+).
definition=$(jq -n --arg family "${name}" --arg image "${PREVIEW_IMAGE}" \
  --arg role "${PREVIEW_EXECUTION_ROLE_ARN}" --arg logs "${log_group}" \
  --arg region "${PREVIEW_REGION}" --argjson port "${PREVIEW_CONTAINER_PORT}" \
  --argjson tags "${tags_json}" '{
    family: $family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"],
    cpu: "256", memory: "512", executionRoleArn: $role,
    runtimePlatform: {cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX"},
    containerDefinitions: [{name: "app", image: $image, essential: true,
      portMappings: [{containerPort: $port, protocol: "tcp"}],
      logConfiguration: {logDriver: "awslogs", options: {"awslogs-group": $logs,
        "awslogs-region": $region, "awslogs-stream-prefix": "app"}}}],
    tags: $tags}')
task_definition=$(aws ecs register-task-definition --cli-input-json "${definition}" \
  --query taskDefinition.taskDefinitionArn --output text)

# 5. The service: one task on Fargate Spot.
service_status=$(aws ecs describe-services --cluster "${PREVIEW_CLUSTER}" --services "${name}" \
  --query 'services[0].status' --output text)
if [[ "${service_status}" == "ACTIVE" ]]; then
  service=$(aws ecs update-service --cluster "${PREVIEW_CLUSTER}" --service "${name}" \
    --task-definition "${task_definition}" --desired-count 1 \
    --query service.serviceArn --output text)
  aws ecs tag-resource --resource-arn "${service}" --tags "${tags_json}"
else
  aws ecs create-service --cluster "${PREVIEW_CLUSTER}" --service-name "${name}" \
    --task-definition "${task_definition}" --desired-count 1 \
    --capacity-provider-strategy capacityProvider=FARGATE_SPOT,weight=1 \
    --network-configuration "awsvpcConfiguration={subnets=[${PREVIEW_SUBNETS}],securityGroups=[${PREVIEW_SECURITY_GROUPS}],assignPublicIp=DISABLED}" \
    --load-balancers "targetGroupArn=${tg},containerName=app,containerPort=${PREVIEW_CONTAINER_PORT}" \
    --health-check-grace-period-seconds 30 --tags "${tags_json}" >/dev/null
fi

# 6. Route the host to the target group.
aws elbv2 modify-rule --rule-arn "${rule}" --actions "Type=forward,TargetGroupArn=${tg}" >/dev/null

url="https://${host}"
{
  echo "url=${url}"
  echo "expires=${expires}"
  echo "priority=${priority}"
  echo "task-definition=${task_definition}"
} >> "${GITHUB_OUTPUT:-/dev/null}"
echo "Preview of pull request ${pr}: ${url} (rule priority ${priority}, expires $(date -u -d "@${expires}" +%Y-%m-%dT%H:%MZ))"
