#!/usr/bin/env bash
set -euo pipefail
url="${ENVIRONMENT_URL%/}${HEALTH_CHECK_PATH:-/}"
for attempt in $(seq 1 "${HEALTH_CHECK_RETRIES}"); do
  status=$(curl --silent --output /dev/null --write-out '%{http_code}' \
    --max-time "${HEALTH_CHECK_TIMEOUT_SECONDS}" "${url}" || true)
  if [[ "${status}" == "200" ]]; then
    echo "${url} is healthy"
    exit 0
  fi
  echo "Attempt ${attempt}/${HEALTH_CHECK_RETRIES}: ${url} answered ${status:-nothing}"
  if (( attempt < HEALTH_CHECK_RETRIES )); then
    sleep "${HEALTH_CHECK_INTERVAL_SECONDS}"
  fi
done
echo "::error::${url} did not answer 200 after ${HEALTH_CHECK_RETRIES} attempts"
exit 1
