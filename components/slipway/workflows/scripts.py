"""The bash scripts of the generated ``run:`` steps, one named constant per step.

Every script takes its inputs only from environment variables set by the step's ``env:`` (or
from GitHub's own runner variables such as ``GITHUB_OUTPUT``), never from ``${{ }}``
expressions, so no value can be injected into the shell. Tests run the deploy scripts against a
local AWS API emulator as the rendered deploy.yml runs them.

The shell lives in files, ``components/slipway/workflows/steps/<name>.sh`` (shared functions in
``steps/lib/<name>.sh``), shellchecked as files. The deploy job's steps are delivered as files
into the application repository and run from there (:func:`delivered_step`); every other step
is inlined by :func:`step_script`, the one loader that turns a file into the text of a ``run:``
step:

* the first line of a step file is ``#!/usr/bin/env bash`` (of a library,
  ``# shellcheck shell=bash``) and is dropped: ``shell: bash`` runs the step;
* an include line, exactly ``source "$(dirname "${BASH_SOURCE[0]}")/lib/<name>.sh"``, is
  replaced by that library's text, so the step stays one self-contained script. The file runs
  as it is too, and ShellCheck follows the line into the library (``steps/.shellcheckrc``:
  ``source-path=SCRIPTDIR``; "SC1090", https://www.shellcheck.net/wiki/SC1090);
* a placeholder ``@NAME@`` is replaced by the value passed as ``NAME=...``. Only for constants
  of the generator (never a user's setting: those reach the script through ``env:``); a value
  must be one plain shell word, and every placeholder must get a value and every value a
  placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files

from slipway.patterns import PLAIN_PATH
from slipway.workflows.yamlio import header, with_header

SHEBANG = "#!/usr/bin/env bash\n"
"""First line of every step file, dropped by :func:`step_script`."""
LIBRARY_DIRECTIVE = "# shellcheck shell=bash\n"
"""First line of every library file (sourced, never run), dropped when it is included."""

_INCLUDE = re.compile(
    r'^source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)/lib/([a-z0-9-]+)\.sh"\n', re.M
)
_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def _source(relative: str) -> str:
    return files("slipway.workflows").joinpath("steps", relative).read_text(encoding="utf-8")


def _read(relative: str, first_line: str) -> str:
    text = _source(relative)
    if not text.startswith(first_line):
        raise ValueError(f"steps/{relative} must start with {first_line!r}")
    return text[len(first_line) :]


def step_library(name: str) -> str:
    """The text of ``steps/lib/<name>.sh`` without its first line."""
    return _read(f"lib/{name}.sh", LIBRARY_DIRECTIVE)


def step_script(name: str, **values: str) -> str:
    """The ``run:`` text of ``steps/<name>.sh``: its first line dropped, its include lines
    replaced by the libraries and its ``@NAME@`` placeholders by ``values`` (see the module's
    docstring)."""
    text = _INCLUDE.sub(lambda m: step_library(m.group(1)), _read(f"{name}.sh", SHEBANG))
    if "BASH_SOURCE" in text:
        # A near miss of the include line (or one inside a library) would source a file that
        # does not exist where the runner writes the step's script.
        raise ValueError(
            f"steps/{name}.sh: an include must be a step file's line "
            '\'source "$(dirname "${BASH_SOURCE[0]}")/lib/<name>.sh"\', nothing else'
        )
    wanted = set(_PLACEHOLDER.findall(text))
    if wanted != set(values):
        raise ValueError(
            f"steps/{name}.sh has the placeholders {sorted(wanted)}; values were given for "
            f"{sorted(values)}"
        )
    for key, value in values.items():
        if not PLAIN_PATH.match(value):
            raise ValueError(
                f"steps/{name}.sh: value {value!r} for @{key}@ is not one plain shell word "
                "(letters, digits, '.', '_', '/', '-')"
            )
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


DELIVERED_DIR = ".github/scripts/deploy"
"""Where, in the application repository, :func:`delivered_step` scripts live (their libraries
in ``lib/``, as in ``steps/``)."""


@dataclass(frozen=True)
class DeliveredStep:
    """A step file delivered into the application repository and run from a checkout of it,
    instead of inlined into the workflow.

    Inlined, the deploy job's steps carried their libraries in every step that includes them,
    once per environment: about 55 KB of deploy.yml per environment, while GitHub does not start
    runs of a workflow file larger than 500 KB ("Workflow file size",
    https://docs.github.com/en/actions/reference/limits): ten environments could not deploy.
    Delivered, a step is one line and deploy.yml stays small for any number of environments.
    The job checks the files out first (a sparse checkout of :data:`DELIVERED_DIR` at the
    workflow's own commit).

    The step runs the file with ``exec``: the runner cancels a step by signalling the step's
    shell process, and ``exec`` makes the script that process, so its traps see the signal."""

    name: str

    @property
    def path(self) -> str:
        """The file's path in the application repository."""
        return f"{DELIVERED_DIR}/{self.name}.sh"

    @property
    def run(self) -> str:
        """The step's ``run:`` text."""
        return f"exec bash {self.path}\n"

    @property
    def source(self) -> str:
        """The text of ``steps/<name>.sh``."""
        return _source(f"{self.name}.sh")

    def libraries(self) -> tuple[str, ...]:
        """The ``steps/lib/`` libraries the file includes, in order."""
        return tuple(_INCLUDE.findall(_read(f"{self.name}.sh", SHEBANG)))


def delivered_step(name: str) -> DeliveredStep:
    """``steps/<name>.sh`` as a :class:`DeliveredStep`. Neither it nor its libraries may hold a
    ``@NAME@`` placeholder: what a delivered file needs comes through the step's ``env:``."""
    step = DeliveredStep(name)
    for relative in (f"{name}.sh", *(f"lib/{library}.sh" for library in step.libraries())):
        if _PLACEHOLDER.search(_source(relative)):
            raise ValueError(f"steps/{relative} is delivered as a file: it may hold no @NAME@")
    return step


def included_paths(path: str, text: str) -> list[str]:
    """The repository paths of the libraries the script ``text`` at ``path`` includes (each
    ``lib/<name>.sh`` beside it)."""
    directory = path.rpartition("/")[0]
    return [f"{directory}/lib/{name}.sh" for name in _INCLUDE.findall(text)]


def delivered_files(
    runs: Iterable[str], known: Iterable[DeliveredStep] | None = None
) -> dict[str, str]:
    """The files the ``run:`` texts ``runs`` execute from :data:`DELIVERED_DIR`, keyed by
    repository path, each with the generated-file header after its first line, and the
    ShellCheck settings that let ShellCheck follow their includes there as it does here
    (``steps/.shellcheckrc``). ``known``: the delivered steps to look for (default
    :data:`DELIVERED_STEPS`, the deploy job's)."""
    steps = {step.run: step for step in (DELIVERED_STEPS if known is None else known)}
    out: dict[str, str] = {}
    for text in runs:
        step = steps.get(text)
        if step is None:
            continue
        out[step.path] = with_header(step.source)
        for path in included_paths(step.path, step.source):  # laid out as in steps/
            out[path] = with_header(_source(path.removeprefix(DELIVERED_DIR + "/")))
    if out:
        out[f"{DELIVERED_DIR}/.shellcheckrc"] = header() + _source(".shellcheckrc")
    return out


# --------------------------------------------------------------------------------------------
# release.yml
# --------------------------------------------------------------------------------------------

SETUP_PNPM = step_script("setup-pnpm")
"""Activate the pinned pnpm through corepack (env: PNPM_VERSION)."""

CHECK_NPM = step_script("check-npm")
"""Fail early unless the bundled npm can publish through OIDC (env: NPM_MIN_VERSION)."""

INSTALL_DEPENDENCIES = step_script("install-dependencies")
"""Install the repository's dependencies exactly as locked (env: PNPM_IGNORE_SCRIPTS)."""

RUN_TESTS = step_script("run-tests")
"""Build (when the repository has a build script) and run the test suite before packing."""

RELEASE_DECISIONS = step_script("release-decisions")
"""Decide, before anything is published, what this run releases (env: MODE, IMAGE_PACKAGE,
DEFAULT_BRANCH, CREATED, RUNNER_TEMP, GH_TOKEN; the runner's GITHUB_REF_NAME,
GITHUB_REPOSITORY). The releases are the entries of select-mode's publish plan (the packages
Changesets manages whose versions are not on the registry) that have no git tag yet. Outputs:
``version``, the image package's version (IMAGE_PACKAGE, or the root package of a
single-package repository; a workspace without IMAGE_PACKAGE fails; empty when it is not
released); ``tag-latest`` and ``tag-minor``, whether ``latest`` and ``X.Y`` move to it (only
forward); ``dist-tag``, ``release-<major>.<minor>`` when a release branch publishes a version
lower than one already released, else empty (Changesets' own choice); and
``latest-release-id``, the GitHub Release that must stay latest then. In mode ``none`` on a
release branch: a green no-op when the push created the branch or moved it to a commit a
release tag names; otherwise it fails, since a merge there that releases nothing is a
mistake."""

REQUIRE_PUBLISHED = step_script("require-published")
"""Decide the publish job's success from the publish plan (env: PACK_DIR, CHECK_REGISTRY,
GH_TOKEN): every planned version on the registry and its release tag on GitHub, whichever
attempt did it; outputs ``published`` and ``published-packages``, or fails naming what is
missing."""

RESTORE_LATEST_RELEASE = step_script("restore-latest-release")
"""Mark the release that was the latest before an older line published as the latest again:
changesets/action creates releases with GitHub's default ``make_latest`` (env:
LATEST_RELEASE_ID, GH_TOKEN)."""

RELEASE_BRANCHES = step_script("release-branches")
"""Cut the release line the default branch has just left (env: PUBLISHED_PACKAGES, GH_TOKEN):
for each published stable version, ``release/<major>.<minor>.x`` (or
``release/<name>@<major>.<minor>.x``) of the highest lower line, at its highest release, through
the API so no git credentials are kept (``lib/release-line.sh``). ``release.yml`` runs it only
on the default branch."""

RELEASE_LINE = step_script("release-line")
"""Cut one release line on demand, at the highest release of that line (env: RELEASE_LINE,
``<major>.<minor>`` or ``<package>@<major>.<minor>``; GH_TOKEN); ``release-line.yml``."""

START_DEPLOY = step_script("start-deploy")
"""Start ``deploy.yml`` as its own run (``gh workflow run``; env: IMAGE_DIGEST, VERSION,
HOTFIX, GH_TOKEN, DEPLOY_WORKFLOW; the runner's GITHUB_REF_NAME), so the release run ends and
leaves its concurrency group before any environment waits for approval."""

RELEASE_REPORT = step_script("release-report")
"""Summarise the release run from every job's result (env: NEEDS_JSON = ``toJSON(needs)``,
SLACK_WEBHOOK_URL): published packages, or the jobs that failed or were cancelled and whether
anything was published before; written to the run summary, and to Slack when the release
environment has a webhook and there is news."""

# --------------------------------------------------------------------------------------------
# docker.yml
# --------------------------------------------------------------------------------------------

HADOLINT = step_script("hadolint")
"""Lint the Dockerfile with the pinned hadolint (env: HADOLINT_VERSION, DOCKERFILE)."""

CHECK_DISPATCHED_VERSION = step_script("check-dispatched-version")
"""A dispatched rebuild must run on the version's release tag, so the image is built from the
released commit (env: VERSION; the runner's GITHUB_EVENT_NAME, GITHUB_REF_TYPE,
GITHUB_REF_NAME). Calls from ``release.yml`` pass through."""

CHECK_TRIVY_IGNORES = step_script("check-trivy-ignores")
"""Refuse a plain ``.trivyignore`` (Trivy would read it unasked: no reason, no expiry) and name
the YAML ignore file the scan may read, when the repository has one (env: IGNORE_FILE); output
``file``."""

SMOKE_TEST = step_script("smoke-test")
"""Start the runtime image as ECS would (read-only root filesystem, writable ``/tmp``) and wait
for its health path to answer; check its version label first when one is expected (env: IMAGE,
CONTAINER_PORT, HEALTH_CHECK_PATH, EXPECTED_VERSION)."""

EXPORT_DIGEST = step_script("export-digest")
"""Write this platform's pushed digest to ``$RUNNER_TEMP/digests/<pair>`` for upload."""

MERGE_MANIFESTS = step_script("merge-manifests")
"""Merge the per-platform digests into one manifest list per registry and tag it; idempotent
for a re-run (env: METADATA_JSON, GHCR_IMAGE, ECR_REPOSITORY_URL, VERSION); outputs
``digest``, ``ecr-digest``."""


# --------------------------------------------------------------------------------------------
# deploy.yml
# --------------------------------------------------------------------------------------------

READ_IMAGE_CHANNEL = delivered_step("read-image-channel")
"""Read the environment's image channel (env: IMAGE_CHANNEL_PARAMETER, SEMVER); outputs the
last healthy deploy's ``task-definition``, ``version`` and ``shape``, each empty when the record
lacks it (Pulumi's bootstrap record, or one written before CI recorded versions) or holds an
invalid value (warned). Only an unreadable parameter fails the step."""

VERIFY_ATTESTATION = delivered_step("verify-attestation")
"""Refuse a digest without a build-provenance attestation made by this repository's image
workflow (env: IMAGE_DIGEST, SOURCE_IMAGE, SIGNER_WORKFLOW, GH_TOKEN; the runner's
GITHUB_REPOSITORY)."""

IMAGE_RELEASE = delivered_step("image-release")
"""Take the release version from the image's own ``VERSION_LABEL`` (the same on every platform)
and refuse a digest that is not a release, one whose label differs from a given
``EXPECTED_VERSION``, and one lower than the environment's ``CURRENT_VERSION`` unless
``ALLOW_DOWNGRADE`` is ``true`` (env: IMAGE_DIGEST, SOURCE_IMAGE, VERSION_LABEL, SEMVER,
EXPECTED_VERSION, CURRENT_VERSION, ALLOW_DOWNGRADE, ENVIRONMENT_NAME); outputs ``version``."""

ENSURE_IMAGE = delivered_step("ensure-image")
"""Make sure this environment's ECR repository holds the digest under its release version,
idempotently: a tag already on the digest is kept, a digest already present is tagged through
the ECR API, a missing one is copied by digest from GHCR; a tag on another digest fails, since
ECR tags are immutable (env: IMAGE_DIGEST, IMAGE_VERSION, SEMVER, ECR_REPOSITORY_URL,
SOURCE_IMAGE); outputs ``image`` = ``<repository-url>@sha256:…``."""

RENDER_TASK_DEFINITION = delivered_step("render-task-definition")
"""Capture the service's current task definition, choose the rollback target and render the
latest revision of the family with only the container's image changed and its tags kept (env:
ECS_CLUSTER, ECS_SERVICE, ECS_TASK_FAMILY, ECS_CONTAINER_NAME, IMAGE, SHAPE_TAG,
KNOWN_GOOD_TASK_DEFINITION, KNOWN_GOOD_SHAPE); outputs ``previous-task-definition``,
``rollback-target`` (the channel's known-good revision when it is an ACTIVE revision of the
family with today's shape, else ``previous-task-definition``), ``task-definition-file`` and
``shape`` (the value of the ``SHAPE_TAG`` tag, empty when absent)."""

DEPLOY_SERVICE = delivered_step("deploy-service")
"""Register the rendered task definition, point the service at it and follow that service
deployment by ARN, reporting each stage, until it is SUCCESSFUL or starts to roll back or stop
(env: ECS_CLUSTER, ECS_SERVICE, TASK_DEFINITION_FILE, ROLLBACK_TARGET, STABILITY_*,
DESCRIBE_ATTEMPTS (``steps/lib/follow-deployment.sh``) and ``steps/lib/report-stage.sh``'s);
outputs ``task-definition``, ``deployment`` (the
service deployment's ARN), ``ecs-status`` and ``ecs-reason`` (its last status and reason) and,
when a SIGINT or SIGTERM arrived after the update, ``rollback-started`` (the deployment was
stopped with a rollback, or the service pointed back)."""

HEALTH_CHECK = delivered_step("health-check")
"""Probe ``$ENVIRONMENT_URL$HEALTH_CHECK_PATH`` until it answers 200 (env: ENVIRONMENT_URL,
HEALTH_CHECK_PATH, HEALTH_CHECK_RETRIES, HEALTH_CHECK_INTERVAL_SECONDS,
HEALTH_CHECK_TIMEOUT_SECONDS)."""

WRITE_IMAGE_CHANNEL = delivered_step("write-image-channel")
"""Record the healthy deploy in the stack's image channel parameter as
``{"image", "taskDefinitionArn", "shape", "version"}`` JSON, so the next ``pulumi up`` keeps it
and the next deploy knows the version and revision to compare and fall back to (env:
IMAGE_CHANNEL_PARAMETER, IMAGE, TASK_DEFINITION_ARN, SHAPE, VERSION, SEMVER, ECS_CLUSTER,
ECS_SERVICE). ``slipway.image_channel`` reads the first three keys and ignores the rest."""

ROLLBACK = delivered_step("rollback")
"""Roll the job's service deployment back if it has not ended (StopServiceDeployment, stopType
ROLLBACK) and follow the rollback; then, unless the service runs the rollback target with no
deployment under way, deploy the target again and follow it; fail either way (env:
ECS_CLUSTER, ECS_SERVICE, DEPLOYMENT_ARN, ROLLBACK_TARGET, STABILITY_*, DESCRIBE_ATTEMPTS and
``steps/lib/report-stage.sh``'s); outputs ``target`` and ``result`` (``rolled-back`` or
``rollback-failed``)."""

DEPLOY_NOTICE = delivered_step("deploy-notice")
"""Say how the deploy job ended, for the job's outputs and Slack (env: ENVIRONMENT_NAME,
VERSION, IMAGE_DIGEST, CHANNEL_OUTCOME, ROLLBACK_OUTCOME, ROLLBACK_RESULT, ROLLBACK_TARGET,
REFUSAL_OUTCOMES (the outcomes of the steps that may refuse a digest), JOB_STATUS,
SLACK_WEBHOOK_URL; the runner's GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID); outputs
``outcome`` (``deployed``, ``rolled-back``, ``rollback-failed``, ``refused``, ``cancelled`` or
``failed``), one-line ``text`` and ``enabled`` when the environment has a webhook."""

DELIVERED_STEPS = (
    READ_IMAGE_CHANNEL,
    VERIFY_ATTESTATION,
    IMAGE_RELEASE,
    ENSURE_IMAGE,
    RENDER_TASK_DEFINITION,
    DEPLOY_SERVICE,
    HEALTH_CHECK,
    WRITE_IMAGE_CHANNEL,
    ROLLBACK,
    DEPLOY_NOTICE,
)
"""Every :class:`DeliveredStep`: the deploy job's (``delivered_files`` knows them by their
``run:`` text)."""

SLACK_ENABLED = step_script("slack-enabled")
"""Tell whether the environment has a Slack webhook (env: SLACK_WEBHOOK_URL); outputs
``enabled``."""

# --------------------------------------------------------------------------------------------
# ghcr-retention.yml
# --------------------------------------------------------------------------------------------

GHCR_RETENTION = step_script("ghcr-retention")
"""Delete untagged GHCR versions older than ``OLDER_THAN_DAYS``, keeping the newest
``KEEP_LATEST`` and every child of a tagged manifest list (env: GHCR_IMAGE, KEEP_LATEST,
OLDER_THAN_DAYS, DRY_RUN, GH_TOKEN)."""
