#!/usr/bin/env bash
set -euo pipefail
run_url="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
mode=$(jq -r '.mode.outputs.mode // "unknown"' <<<"${NEEDS_JSON}")
failed=$(jq -r '[to_entries[] | select(.value.result == "failure" or .value.result == "cancelled")
  | "\(.key) (\(.value.result))"] | join(", ")' <<<"${NEEDS_JSON}")
published=$(jq -r '.publish.outputs["published-packages"] // "" | if . == "" then ""
  else (fromjson | map("\(.name)@\(.version)") | join(", ")) end' <<<"${NEEDS_JSON}")
if [[ -n "${failed}" ]]; then
  text="Release on ${GITHUB_REF_NAME} failed at: ${failed}."
  if [[ -n "${published}" ]]; then
    text="${text} Already published: ${published}; finish with Re-run failed jobs."
  else
    text="${text} Nothing was published."
  fi
elif [[ -n "${published}" ]]; then
  text="Published ${published} from ${GITHUB_REF_NAME}."
else
  text="Release run on ${GITHUB_REF_NAME}: mode ${mode}, nothing published."
fi
text="${text} ${run_url}"
echo "${text}"
echo "${text}" >> "${GITHUB_STEP_SUMMARY}"
if [[ -n "${SLACK_WEBHOOK_URL:-}" && ( -n "${failed}" || -n "${published}" ) ]]; then
  jq -n --arg text "${text}" '{text: $text}' |
    curl --fail --silent --show-error --retry 3 --max-time 20 \
      -H 'Content-Type: application/json' --data @- "${SLACK_WEBHOOK_URL}" >/dev/null
fi
