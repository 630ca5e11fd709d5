#!/usr/bin/env bash
set -euo pipefail
previous=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \
  --query 'services[0].taskDefinition' --output text)
if [[ -z "${previous}" || "${previous}" == "None" ]]; then
  echo "::error::service ${ECS_SERVICE} not found in cluster ${ECS_CLUSTER}"
  exit 1
fi
echo "previous-task-definition=${previous}" >> "${GITHUB_OUTPUT}"
workdir="${RUNNER_TEMP:-/tmp}"
described="${workdir}/task-definition.described.json"
rendered="${workdir}/task-definition.json"
# The latest ACTIVE revision of the family, with its tags: its shape belongs to the stack, only
# the image is ours.
aws ecs describe-task-definition --task-definition "${ECS_TASK_FAMILY}" --include TAGS \
  --output json > "${described}"
if ! jq -e --arg name "${ECS_CONTAINER_NAME}" \
    'any(.taskDefinition.containerDefinitions[]; .name == $name)' "${described}" >/dev/null; then
  echo "::error::no container ${ECS_CONTAINER_NAME} in task definition ${ECS_TASK_FAMILY}"
  exit 1
fi
shape=$(jq -r --arg key "${SHAPE_TAG}" \
  'first((.tags // [])[] | select(.key == $key) | .value) // ""' "${described}")
if [[ "${shape}" == *$'\n'* || "${shape}" == *$'\r'* ]]; then
  echo "::error::the ${SHAPE_TAG} tag of ${ECS_TASK_FAMILY} spans several lines"
  exit 1
fi
if [[ -z "${shape}" ]]; then
  echo "::warning::${ECS_TASK_FAMILY} has no ${SHAPE_TAG} tag; the image channel records no shape"
fi
echo "shape=${shape}" >> "${GITHUB_OUTPUT}"
# Roll back to the channel's last known-good revision when it has the shape the stack registers
# now (the revision `pulumi up` keeps, components/slipway/image_channel.py); otherwise, to what ran.
target="${previous}"
if [[ -n "${KNOWN_GOOD_TASK_DEFINITION:-}" && -n "${shape}" \
    && "${KNOWN_GOOD_SHAPE:-}" == "${shape}" \
    && "${KNOWN_GOOD_TASK_DEFINITION}" == */"${ECS_TASK_FAMILY}":* ]]; then
  status=$(aws ecs describe-task-definition --task-definition "${KNOWN_GOOD_TASK_DEFINITION}" \
    --query taskDefinition.status --output text 2>/dev/null || true)
  if [[ "${status}" == "ACTIVE" ]]; then
    target="${KNOWN_GOOD_TASK_DEFINITION}"
  else
    echo "::warning::known-good ${KNOWN_GOOD_TASK_DEFINITION} is ${status:-unreadable};" \
      "rollback target is ${previous}"
  fi
fi
echo "rollback-target=${target}" >> "${GITHUB_OUTPUT}"
# The new revision carries the same tags (so the shape survives CI revisions); keys under the
# reserved aws: prefix cannot be set by callers and are left out.
jq --arg name "${ECS_CONTAINER_NAME}" --arg image "${IMAGE}" '
  [(.tags // [])[] | select(.key | ascii_downcase | startswith("aws:") | not)] as $tags
  | .taskDefinition
  | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities,
      .registeredAt, .registeredBy, .deregisteredAt)
  | .containerDefinitions |= map(if .name == $name then .image = $image else . end)
  | if ($tags | length) > 0 then .tags = $tags else . end
' "${described}" > "${rendered}"
echo "task-definition-file=${rendered}" >> "${GITHUB_OUTPUT}"
echo "Rendered ${ECS_TASK_FAMILY} with ${ECS_CONTAINER_NAME} on ${IMAGE} (was ${previous};" \
  "rollback target ${target})"
