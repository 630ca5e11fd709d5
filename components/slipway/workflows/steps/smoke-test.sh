#!/usr/bin/env bash
set -euo pipefail
name="smoke-${RANDOM}"
# shellcheck disable=SC2064  # the name is fixed now, on purpose
trap "docker rm --force '${name}' >/dev/null 2>&1 || true" EXIT
if [[ -n "${EXPECTED_VERSION:-}" ]]; then
  label=$(docker image inspect "${IMAGE}" \
    --format '{{ index .Config.Labels "org.opencontainers.image.version" }}')
  if [[ "${label}" != "${EXPECTED_VERSION}" ]]; then
    echo "::error::the image's version label is '${label}', expected '${EXPECTED_VERSION}'"
    exit 1
  fi
fi
# As ECS runs it: read-only root, a writable /tmp, no privileges to gain.
docker run --detach --name "${name}" --read-only --tmpfs /tmp \
  --security-opt no-new-privileges --publish "127.0.0.1::${CONTAINER_PORT}" "${IMAGE}" >/dev/null
port=$(docker port "${name}" "${CONTAINER_PORT}/tcp" | head -n 1 | sed 's/.*://')
url="http://127.0.0.1:${port}${HEALTH_CHECK_PATH}"
for attempt in $(seq 1 30); do
  if [[ "$(docker inspect --format '{{.State.Running}}' "${name}")" != "true" ]]; then
    docker logs "${name}" || true
    echo "::error::the container exited before it answered ${HEALTH_CHECK_PATH}"
    exit 1
  fi
  if curl --fail --silent --show-error --max-time 5 "${url}" >/dev/null 2>&1; then
    echo "Healthy after ${attempt} attempt(s): ${url}"
    exit 0
  fi
  sleep 2
done
docker logs "${name}" || true
echo "::error::no healthy answer from ${HEALTH_CHECK_PATH} within 60 seconds"
exit 1
