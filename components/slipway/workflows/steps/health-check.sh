#!/usr/bin/env bash
set -euo pipefail
url="${ENVIRONMENT_URL%/}${HEALTH_CHECK_PATH:-/}"
body="$(mktemp)"
for attempt in $(seq 1 "${HEALTH_CHECK_RETRIES}"); do
  status=$(curl --silent --output "${body}" --write-out '%{http_code}' \
    --max-time "${HEALTH_CHECK_TIMEOUT_SECONDS}" "${url}" || true)
  if [[ "${status}" == "200" ]]; then
    # The version the answer reports: a JSON body's string "version", when it has one. An answer
    # from another version (tasks of the old revision, another image) is not this deploy's.
    reported=$(jq -r 'if type == "object" then (.version // empty | strings) else empty end' \
      "${body}" 2>/dev/null || true)
    if [[ -z "${VERSION:-}" || "${reported}" == "${VERSION}" ]]; then
      echo "${url} is healthy${reported:+ and runs ${reported}}"
      exit 0
    fi
    if [[ -z "${reported}" ]]; then
      echo "::warning::${url} is healthy but does not report its version (a JSON body with" \
        "\"version\": \"${VERSION}\"): the check cannot tell this deploy's tasks from older ones"
      exit 0
    fi
    status="200 for version ${reported}, not ${VERSION}"
  fi
  echo "Attempt ${attempt}/${HEALTH_CHECK_RETRIES}: ${url} answered ${status:-nothing}"
  if (( attempt < HEALTH_CHECK_RETRIES )); then
    sleep "${HEALTH_CHECK_INTERVAL_SECONDS}"
  fi
done
echo "::error::${url} did not answer 200 after ${HEALTH_CHECK_RETRIES} attempts" \
  "${VERSION:+(expected version ${VERSION})}"
exit 1
