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
pnpm install --frozen-lockfile
"""
"""Install the repository's dependencies exactly as locked."""

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
"""Shell function shared by :data:`NPM_DIST_TAG` and :data:`IMAGE_VERSION`."""

NPM_DIST_TAG = (
    "set -euo pipefail\n"
    + _RELEASED_VERSIONS
    + """\
script="${PUBLISH_SCRIPT}"
older=""
line=""
# Every package.json in the repository with its name and version (unreadable ones skipped).
packages() {
  git ls-files -z -- package.json '*/package.json' | while IFS= read -r -d '' file; do
    jq -r --arg file "${file}" '[$file, .name // "", .version // ""] | @tsv' "${file}" || true
  done
}
# On the default branch Changesets chooses the dist-tag itself (latest, or the pre-release tag).
# A release branch may publish an older line, and `changeset publish` passes `--tag latest`
# explicitly, which skips npm's own guard: `latest` would move back to the old line.
if [[ "${GITHUB_REF_NAME}" != "${DEFAULT_BRANCH}" ]]; then
  while IFS=$'\\t' read -r file name version; do
    if [[ -z "${name}" || ! "${version}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
      continue
    fi
    # Changesets tags a monorepo package `<name>@<version>`, a single package `v<version>`.
    prefixes=("${name}@")
    if [[ "${file}" == "package.json" ]]; then
      prefixes+=("v")
    fi
    released=()
    for prefix in "${prefixes[@]}"; do
      mapfile -t -O "${#released[@]}" released < <(released_versions "${prefix}")
    done
    if [[ " ${released[*]} " == *" ${version} "* ]]; then
      continue
    fi
    highest=$(printf '%s\\n' "${version}" "${released[@]}" | sort -V | tail -n 1)
    if [[ "${highest}" != "${version}" && -z "${older}" ]]; then
      older="${name}@${version} is older than ${name}@${highest}"
      line="${version%.*}"
    fi
  done < <(packages)
fi
if [[ -n "${older}" ]]; then
  tag="release-${line}"
  script="${script} --tag ${tag}"
  echo "::notice::${older}: npm dist-tag ${tag}; latest and the latest GitHub Release stay put"
  echo "older-line=true" >> "${GITHUB_OUTPUT}"
  latest=$(gh api "repos/${GITHUB_REPOSITORY}/releases/latest" --jq .id 2>/dev/null || true)
  if [[ "${latest}" =~ ^[0-9]+$ ]]; then
    echo "latest-release-id=${latest}" >> "${GITHUB_OUTPUT}"
  fi
else
  echo "older-line=false" >> "${GITHUB_OUTPUT}"
fi
echo "publish-script=${script}" >> "${GITHUB_OUTPUT}"
echo "Publish script: ${script}"
"""
)
"""Choose how a release branch publishes (env: PUBLISH_SCRIPT, DEFAULT_BRANCH, GH_TOKEN; the
runner's GITHUB_REF_NAME, GITHUB_REPOSITORY). On the default branch ``publish-script`` is
``PUBLISH_SCRIPT`` unchanged. On a release branch, when a version about to be published (a
``package.json`` version with no git tag yet) is lower than a version of the same package already
released (tagged), ``publish-script`` gets ``--tag release-<major>.<minor>``, ``older-line`` is
``true`` and ``latest-release-id`` names the GitHub Release that is the latest now. A hotfix of the
newest line publishes to ``latest`` as from the default branch, since npm resolves a range to the
``latest`` version whenever that version satisfies it."""

RESTORE_LATEST_RELEASE = """\
set -euo pipefail
tag=$(gh api --method PATCH "repos/${GITHUB_REPOSITORY}/releases/${LATEST_RELEASE_ID}" \\
  -f make_latest=true --jq .tag_name)
echo "${tag} stays the latest GitHub Release"
"""
"""Mark the release that was the latest before an older line published as the latest again:
changesets/action creates releases with GitHub's default ``make_latest`` (env:
LATEST_RELEASE_ID, GH_TOKEN)."""

IMAGE_VERSION = (
    "set -euo pipefail\n"
    + _RELEASED_VERSIONS
    + """\
if [[ -n "${IMAGE_PACKAGE}" ]]; then
  selected=$(jq -c --arg name "${IMAGE_PACKAGE}" \\
    'map(select(.name == $name)) | first // empty' <<<"${PUBLISHED_PACKAGES}")
else
  selected=$(jq -c 'first // empty' <<<"${PUBLISHED_PACKAGES}")
fi
name=$(jq -r '.name // empty' <<<"${selected:-null}")
version=$(jq -r '.version // empty' <<<"${selected:-null}")
if [[ -z "${version}" ]]; then
  echo "No published package to build an image for."
  exit 0
fi
if [[ ! "${version}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::published version '${version}' is not semantic"
  exit 1
fi
echo "version=${version}" >> "${GITHUB_OUTPUT}"
# Floating image tags only move forward: `latest` to the highest release of the package, `X.Y`
# to the highest release of its X.Y line. The version tags are the release history.
if git rev-parse --quiet --verify "refs/tags/${name}@${version}" >/dev/null; then
  prefix="${name}@"
elif git rev-parse --quiet --verify "refs/tags/v${version}" >/dev/null; then
  prefix="v"
else
  echo "::warning::no git tag for ${name}@${version}; no floating image tag moves"
  prefix=""
fi
released=()
if [[ -n "${prefix}" ]]; then
  mapfile -t released < <(released_versions "${prefix}")
fi
tag_latest=false
tag_minor=false
if [[ -n "${prefix}" && "${version}" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+$ ]]; then
  line="${version%.*}"
  in_line=("${version}")
  for candidate in "${released[@]}"; do
    if [[ "${candidate%.*}" == "${line}" ]]; then
      in_line+=("${candidate}")
    fi
  done
  highest=$(printf '%s\\n' "${version}" "${released[@]}" | sort -V | tail -n 1)
  highest_in_line=$(printf '%s\\n' "${in_line[@]}" | sort -V | tail -n 1)
  if [[ "${highest}" == "${version}" ]]; then
    tag_latest=true
  fi
  if [[ "${highest_in_line}" == "${version}" ]]; then
    tag_minor=true
  fi
fi
echo "tag-latest=${tag_latest}" >> "${GITHUB_OUTPUT}"
echo "tag-minor=${tag_minor}" >> "${GITHUB_OUTPUT}"
echo "Image ${version}: latest moves: ${tag_latest}; ${version%.*} moves: ${tag_minor}"
"""
)
"""Pick the image version from the published-packages JSON (env: PUBLISHED_PACKAGES,
IMAGE_PACKAGE); outputs ``version`` (empty when the image package was not published),
``tag-latest`` (``true`` only when it is the package's highest released version) and
``tag-minor`` (``true`` only when it is the highest of its ``X.Y`` line). Pre-releases move
neither; a hotfix of an older line published from a release branch moves neither ``latest``
nor, unless it is the newest of its line, ``X.Y``."""

RELEASE_BRANCHES = """\
set -euo pipefail
jq -r '.[] | "\\(.name)\\t\\(.version)"' <<<"${PUBLISHED_PACKAGES}" |
  while IFS=$'\\t' read -r name version; do
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
    if [[ "${tag}" == "v${version}" ]]; then
      branch="release/v${version}"
    else
      branch="release/${tag}"
    fi
    sha=$(git rev-list -n 1 "${tag}")
    if gh api "repos/${GITHUB_REPOSITORY}/git/ref/heads/${branch}" >/dev/null 2>&1; then
      echo "${branch} already exists"
      continue
    fi
    gh api --method POST "repos/${GITHUB_REPOSITORY}/git/refs" \\
      -f "ref=refs/heads/${branch}" -f "sha=${sha}" >/dev/null
    echo "Created ${branch} at ${tag} (${sha})"
  done
"""
"""Create ``release/v<version>`` (or ``release/<name>@<version>``) from each new tag through
the API, so no git credentials are kept (env: PUBLISHED_PACKAGES, GH_TOKEN). Idempotent: an
existing branch is left alone. ``release.yml`` runs it only on the default branch."""

# --------------------------------------------------------------------------------------------
# docker.yml
# --------------------------------------------------------------------------------------------

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

READ_DIGEST = """\
set -euo pipefail
digest=$(cat "${RUNNER_TEMP}/digests/${PLATFORM_PAIR}")
if [[ ! "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::no valid digest for ${PLATFORM_PAIR}"
  exit 1
fi
echo "digest=${digest}" >> "${GITHUB_OUTPUT}"
"""
"""Read one platform's digest back from the downloaded artifact; outputs ``digest``."""

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
# The stack's ECR repository keeps immutable tags: only the release version is tagged there.
docker buildx imagetools create --tag "${ECR_REPOSITORY_URL}:${VERSION}" \\
  "${sources[@]/#/${ECR_REPOSITORY_URL}@}"
ghcr_digest=$(docker buildx imagetools inspect "${GHCR_IMAGE}:${VERSION}" \\
  --format '{{json .Manifest}}' | jq -r .digest)
ecr_digest=$(docker buildx imagetools inspect "${ECR_REPOSITORY_URL}:${VERSION}" \\
  --format '{{json .Manifest}}' | jq -r .digest)
echo "digest=${ghcr_digest}" >> "${GITHUB_OUTPUT}"
echo "ecr-digest=${ecr_digest}" >> "${GITHUB_OUTPUT}"
echo "Merged ${GHCR_IMAGE}@${ghcr_digest} and ${ECR_REPOSITORY_URL}@${ecr_digest}"
"""
"""Merge the per-platform digests into one manifest list per registry and tag it
(env: METADATA_JSON, GHCR_IMAGE, ECR_REPOSITORY_URL, VERSION); outputs ``digest``,
``ecr-digest``."""

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
# now (the revision `pulumi up` keeps, components/image_channel.py); otherwise, to what ran.
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
ECS_SERVICE). ``components.image_channel`` reads the first three keys and ignores the rest."""

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
