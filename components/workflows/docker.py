"""``.github/workflows/docker.yml``: test, build, scan, publish and attest the image.

Two entry points:

* ``pull_request``: build the Dockerfile's ``test`` stage (the tests run inside the image) and
  the runtime stage for both platforms; nothing is pushed and no credential is requested.
* ``workflow_call`` from ``release.yml``: per platform on a native runner, build and run the
  ``test`` stage, then push the runtime image by digest to GHCR and to the build environment's
  ECR; scan each platform's digest with Trivy (CRITICAL/HIGH fail); only then merge the digests
  into one tagged manifest list per registry and attest it. Nothing is tagged before the tests
  and the scan pass.

Tags: ECR gets the version alone (its tags are immutable). GHCR gets the version, ``sha-<short
commit>`` and two floating tags that only ever move forward, as the caller decides from the
release history: ``latest`` (input ``tag-latest``: the package's highest release) and ``X.Y``
(input ``tag-minor``: the highest release of that line). A hotfix of an older line, published
from a release branch, moves neither backwards. Both inputs default to ``false``.

Layer cache: pull requests read the GitHub Actions cache; the publishing jobs only write it
(``cache-to``) and never restore it, so a poisoned cache entry cannot reach a published image.
"""

from __future__ import annotations

from typing import Any

from components.contract import EnvironmentVariable
from components.workflows import pins, scripts
from components.workflows.common import (
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
from components.workflows.release import RELEASE_BRANCH_PATTERNS
from components.workflows.spec import WorkflowSpec

PLATFORMS: tuple[dict[str, str], ...] = (
    {"platform": "linux/amd64", "runner": "ubuntu-24.04", "pair": "linux-amd64"},
    {"platform": "linux/arm64", "runner": "ubuntu-24.04-arm", "pair": "linux-arm64"},
)
"""Each platform builds on a native runner: emulated arm64 builds are several times slower."""

TEST_TARGET = "test"
"""Dockerfile stage whose build runs the test suite."""
RUNTIME_TARGET = "runtime"
"""Dockerfile stage that is published."""

_MATRIX = {"include": [dict(p) for p in PLATFORMS]}


def _build(spec: WorkflowSpec, name: str, target: str, **extra: Any) -> Step:
    with_: dict[str, Any] = {
        "context": spec.docker_context,
        "file": spec.dockerfile,
        "target": target,
        "platforms": expr("matrix.platform"),
    }
    with_.update(extra)
    return uses(pins.BUILD_PUSH, name, with_, **({"id": "push"} if "outputs" in extra else {}))


def _pr_job(spec: WorkflowSpec) -> Job:
    cache_from = "type=gha,scope=" + expr("matrix.pair")
    return {
        "name": "Test the image (" + expr("matrix.platform") + ")",
        "if": "github.event_name == 'pull_request'",
        "runs-on": expr("matrix.runner"),
        "timeout-minutes": 60,
        "permissions": permissions(("contents", "read")),
        "strategy": {"fail-fast": False, "matrix": _MATRIX},
        "steps": [
            checkout(),
            uses(pins.SETUP_BUILDX, "Set up Buildx"),
            _build(
                spec,
                "Build and run the tests",
                TEST_TARGET,
                push=False,
                provenance=False,
                sbom=False,
                **{"cache-from": cache_from},
            ),
            _build(
                spec,
                "Build the runtime image",
                RUNTIME_TARGET,
                push=False,
                provenance=False,
                sbom=False,
                **{"cache-from": cache_from},
            ),
        ],
    }


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


def _ecr_steps() -> list[Step]:
    return [
        aws_credentials("docker-build"),
        uses(pins.ECR_LOGIN, "Log in to Amazon ECR", id="ecr"),
    ]


def _build_job(spec: WorkflowSpec) -> Job:
    names = f"{spec.ghcr_image_ref},{var(EnvironmentVariable.ECR_REPOSITORY_URL)}"
    return {
        "name": "Build and push (" + expr("matrix.platform") + ")",
        "if": "github.event_name != 'pull_request'",
        "runs-on": expr("matrix.runner"),
        "timeout-minutes": 60,
        "environment": expr("inputs.environment"),
        "permissions": permissions(
            ("contents", "read"),
            ("packages", "write"),
            ("id-token", "write"),
            reasons={
                "packages": "push the image to GHCR by digest",
                "id-token": "assume the build environment's AWS role to push to ECR",
            },
        ),
        "strategy": {"fail-fast": True, "matrix": _MATRIX},
        "steps": [
            checkout(),
            uses(pins.SETUP_BUILDX, "Set up Buildx"),
            *_ecr_steps(),
            ghcr_login(),
            _metadata(spec),
            _build(
                spec,
                "Build and run the tests",
                TEST_TARGET,
                push=False,
                provenance=False,
                sbom=False,
            ),
            _build(
                spec,
                "Push the runtime image by digest",
                RUNTIME_TARGET,
                labels=expr("steps.meta.outputs.labels"),
                outputs=f'type=image,"name={names}",push-by-digest=true,name-canonical=true,'
                "push=true",
                provenance="mode=max",
                sbom=True,
                **{"cache-to": "type=gha,mode=max,scope=" + expr("matrix.pair")},
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
                    "retention-days": 1,
                },
            ),
        ],
    }


def _download_digests(**with_: Any) -> Step:
    return uses(
        pins.DOWNLOAD_ARTIFACT,
        "Download the digests",
        {"path": expr("runner.temp") + "/digests", **with_},
    )


def _scan_job(spec: WorkflowSpec) -> Job:
    image = spec.ghcr_image_ref + "@" + expr("steps.digest.outputs.digest")
    sarif = "trivy-" + expr("matrix.pair") + ".sarif"
    return {
        "name": "Scan (" + expr("matrix.platform") + ")",
        "needs": "build",
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "permissions": permissions(
            ("contents", "read"),
            ("packages", "read"),
            ("security-events", "write"),
            ("actions", "read"),
            reasons={
                "contents": "let code scanning resolve the commit of the report",
                "packages": "pull the image from GHCR to scan it",
            },
        ),
        "strategy": {"fail-fast": False, "matrix": _MATRIX},
        "steps": [
            _download_digests(name="digest-" + expr("matrix.pair")),
            run(
                "Read the digest",
                scripts.READ_DIGEST,
                {"PLATFORM_PAIR": expr("matrix.pair")},
                id="digest",
            ),
            uses(
                pins.TRIVY,
                "Scan the image by digest",
                {
                    "image-ref": image,
                    "version": spec.trivy_version,
                    "format": "sarif",
                    "output": sarif,
                    "severity": "CRITICAL,HIGH",
                    "limit-severities-for-sarif": True,
                    "ignore-unfixed": True,
                    "exit-code": "1",
                },
                env={
                    "TRIVY_PLATFORM": expr("matrix.platform"),
                    "TRIVY_USERNAME": expr("github.actor"),
                    "TRIVY_PASSWORD": expr("github.token"),
                },
            ),
            uses(
                pins.UPLOAD_SARIF,
                "Upload the scan to code scanning",
                {"sarif_file": sarif, "category": "trivy-" + expr("matrix.pair")},
                if_="!cancelled()",
            ),
        ],
    }


def _merge_job(spec: WorkflowSpec) -> Job:
    digest = expr("steps.merge.outputs.digest")
    return {
        "name": "Publish the manifest list",
        "needs": ["build", "scan"],
        "runs-on": RUNNER,
        "timeout-minutes": 20,
        "environment": expr("inputs.environment"),
        "permissions": permissions(
            ("packages", "write"),
            ("id-token", "write"),
            ("attestations", "write"),
            reasons={
                "packages": "tag the manifest list in GHCR and push its attestation",
                "id-token": "AWS role for ECR, and keyless signing of the attestations",
            },
        ),
        "outputs": {
            "digest": digest,
            "version": expr("inputs.version"),
        },
        "steps": [
            _download_digests(pattern="digest-*", **{"merge-multiple": True}),
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
            uses(
                pins.ATTEST,
                "Attest the GHCR image",
                {
                    "subject-name": spec.ghcr_image_ref,
                    "subject-digest": digest,
                    "push-to-registry": True,
                },
            ),
            uses(
                pins.ATTEST,
                "Attest the ECR image",
                {
                    "subject-name": var(EnvironmentVariable.ECR_REPOSITORY_URL),
                    "subject-digest": expr("steps.merge.outputs.ecr-digest"),
                    "push-to-registry": True,
                },
            ),
        ],
    }


def docker_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The image workflow as data."""
    return {
        "name": "Docker",
        "on": {
            # Pull requests into release branches (hotfixes) get the same checks as into main.
            "pull_request": {"branches": [spec.default_branch, *RELEASE_BRANCH_PATTERNS]},
            "workflow_call": {
                "inputs": {
                    "version": {
                        "description": "Release version the image is tagged with (X.Y.Z).",
                        "type": "string",
                        "required": True,
                    },
                    "environment": {
                        "description": "GitHub environment whose ECR repository and role the "
                        "build uses.",
                        "type": "string",
                        "required": False,
                        "default": spec.image_build_environment,
                    },
                    "tag-latest": {
                        "description": "Also tag the GHCR image latest: only for the highest "
                        "release of the package.",
                        "type": "boolean",
                        "required": False,
                        "default": False,
                    },
                    "tag-minor": {
                        "description": "Also move the GHCR X.Y tag: only for the highest release "
                        "of that X.Y line.",
                        "type": "boolean",
                        "required": False,
                        "default": False,
                    },
                },
                "outputs": {
                    "image-digest": {
                        "description": "Digest of the published manifest list.",
                        "value": expr("jobs.merge.outputs.digest"),
                    },
                    "version": {
                        "description": "Version the image was tagged with.",
                        "value": expr("jobs.merge.outputs.version"),
                    },
                },
            },
        },
        "permissions": {},
        "concurrency": {
            "group": "docker-" + expr("github.event_name") + "-" + expr("github.ref"),
            "cancel-in-progress": expr("github.event_name == 'pull_request'"),
        },
        "jobs": {
            "test": _pr_job(spec),
            "build": _build_job(spec),
            "scan": _scan_job(spec),
            "merge": _merge_job(spec),
        },
    }
