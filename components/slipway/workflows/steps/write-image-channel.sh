#!/usr/bin/env bash
set -euo pipefail
if [[ ! "${IMAGE}" =~ @sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image '${IMAGE}' is not pinned by digest"
  exit 1
fi
if [[ -z "${TASK_DEFINITION_ARN}" ]]; then
  echo "::error::no task definition was registered"
  exit 1
fi
if [[ ! "${VERSION}" =~ ${SEMVER} ]]; then
  echo "::error::'${VERSION}' is not a release version"
  exit 1
fi
# Record only the revision the service really runs now, never one ECS already rolled back.
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \
  --query 'services[0].taskDefinition' --output text)
if [[ "${current}" != "${TASK_DEFINITION_ARN}" ]]; then
  echo "::error::${ECS_SERVICE} runs ${current}, not ${TASK_DEFINITION_ARN}; channel unchanged"
  exit 1
fi
value=$(jq -cn --arg image "${IMAGE}" --arg taskDefinitionArn "${TASK_DEFINITION_ARN}" \
  --arg shape "${SHAPE:-}" --arg version "${VERSION}" \
  '{image: $image, taskDefinitionArn: $taskDefinitionArn, shape: $shape, version: $version}')
aws ssm put-parameter --name "${IMAGE_CHANNEL_PARAMETER}" --overwrite --type String \
  --value "${value}" >/dev/null
echo "Recorded ${value} in ${IMAGE_CHANNEL_PARAMETER}"
