#!/usr/bin/env bash
set -euo pipefail
# The last known-good deploy of this environment, as the image channel recorded it.
if ! value=$(aws ssm get-parameter --name "${IMAGE_CHANNEL_PARAMETER}" \
    --query Parameter.Value --output text); then
  echo "::error::cannot read the image channel ${IMAGE_CHANNEL_PARAMETER}"
  exit 1
fi
field() {
  jq -r --arg key "$1" 'if type == "object" then (.[$key] // "" | strings) else "" end' \
    <<<"${value}" 2>/dev/null || true
}
arn=$(field taskDefinitionArn)
version=$(field version)
shape=$(field shape)
if ! jq -e 'type == "object"' <<<"${value}" >/dev/null 2>&1; then
  echo "::warning::${IMAGE_CHANNEL_PARAMETER} holds no JSON object; no known-good revision"
fi
revision='^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]+:[0-9]+$'
if [[ -n "${arn}" && ! "${arn}" =~ ${revision} ]]; then
  echo "::warning::the channel's taskDefinitionArn '${arn}' is not a revision ARN; ignored"
  arn=""
fi
if [[ -n "${version}" && ! "${version}" =~ ${SEMVER} ]]; then
  echo "::warning::the channel's version '${version}' is not a release version; ignored"
  version=""
fi
if [[ ! "${shape}" =~ ^[0-9a-f]{64}$ ]]; then
  shape=""
fi
{
  echo "task-definition=${arn}"
  echo "version=${version}"
  echo "shape=${shape}"
} >> "${GITHUB_OUTPUT}"
echo "Known good: ${arn:-none} (version ${version:-unknown})"
