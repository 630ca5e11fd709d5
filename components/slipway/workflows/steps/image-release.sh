#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/version-lt.sh"
refuse() {
  echo "::error::refused ${IMAGE_DIGEST} for ${ENVIRONMENT_NAME}: $*;" \
    "nothing was promoted or deployed"
  exit 1
}
if ! configs=$(docker buildx imagetools inspect "${SOURCE_IMAGE}@${IMAGE_DIGEST}" \
    --format '{{json .Image}}'); then
  refuse "cannot read ${SOURCE_IMAGE}@${IMAGE_DIGEST}"
fi
# One image config (single platform) or a map of them by platform; entries without a config
# (attestation manifests) carry no labels.
mapfile -t labels < <(jq -r --arg key "${VERSION_LABEL}" '
  (if type == "object" and has("config") then [.] else [.[]? | objects | select(has("config"))] end)
  | map(.config.Labels[$key]? // "") | unique | .[]' <<<"${configs}")
if (( ${#labels[@]} != 1 )) || [[ -z "${labels[0]}" ]]; then
  refuse "it is not a release: its ${VERSION_LABEL} label is missing or differs between platforms"
fi
version="${labels[0]}"
if [[ ! "${version}" =~ ${SEMVER} ]]; then
  refuse "it is not a release: its ${VERSION_LABEL} label is '${version}', not a release version"
fi
if [[ -n "${EXPECTED_VERSION:-}" && "${EXPECTED_VERSION}" != "${version}" ]]; then
  refuse "the version input says '${EXPECTED_VERSION}' but the image is ${version}"
fi
keep() {
  echo "::notice::${ENVIRONMENT_NAME} keeps ${CURRENT_VERSION:-its version}: $*"
  {
    echo "version=${version}"
    echo "keep=true"
  } >> "${GITHUB_OUTPUT}"
  exit 0
}
if [[ "${version}" == *-* && "${PRERELEASE_ALLOWED:-true}" != "true" ]]; then
  # A pre-release (Changesets' pre mode) never reaches the last environment on its own.
  keep "${version} is a pre-release; dispatch deploy.yml with environment=${ENVIRONMENT_NAME}" \
    "to deploy it there on purpose"
fi
line_of() {
  local core="${1%%-*}"
  echo "${core%.*}"
}
if [[ -n "${CURRENT_VERSION:-}" ]] && version_lt "${version}" "${CURRENT_VERSION}"; then
  line="$(line_of "${version}")"
  current_line="$(line_of "${CURRENT_VERSION}")"
  if [[ "${ALLOW_DOWNGRADE:-false}" == "true" ]]; then
    echo "::warning::Downgrading ${ENVIRONMENT_NAME} from ${CURRENT_VERSION} to ${version}" \
      "(allow-downgrade)"
  elif [[ "${HOTFIX:-false}" == "true" && "${line}" == "${current_line}" ]]; then
    echo "::warning::Downgrading ${ENVIRONMENT_NAME} from ${CURRENT_VERSION} to ${version}" \
      "within the ${line} line (hotfix)"
  elif [[ "${HOTFIX:-false}" == "true" ]]; then
    # A hotfix of an older line never takes an environment back across lines on its own.
    keep "it runs a later line than the hotfix ${version} (${line}); dispatch deploy.yml" \
      "with allow-downgrade to deploy it there on purpose"
  else
    refuse "${version} is lower than ${CURRENT_VERSION}, which ${ENVIRONMENT_NAME} runs;" \
      "start deploy.yml with allow-downgrade to roll back on purpose (a downgrade)"
  fi
fi
echo "version=${version}" >> "${GITHUB_OUTPUT}"
echo "${SOURCE_IMAGE}@${IMAGE_DIGEST} is release ${version}"
