"""The typed input of the workflow generator.

A :class:`WorkflowSpec` holds only repository-level choices. Nothing account-specific lives in
it: the AWS side (role ARNs, registry URLs, cluster and service names, URLs) reaches the
workflows through the GitHub environment variables each stack writes
(:class:`slipway.contract.EnvironmentVariable`), so every stack renders identical files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from slipway.errors import ConfigError, Problems, invalid
from slipway.patterns import (
    BRANCH_NAME,
    CRON,
    HEALTH_CHECK_PATH,
    PLAIN_PATH,
    REPOSITORY_SLUG,
    SEMVER,
    VERSION_TAG,
    WORKFLOW_NAME,
    code_owner_problems,
)
from slipway.workflows.pins import CHANGESETS_ACTION_FOR_CLI_MAJOR, base_image

_NODE = re.compile(r"^(\d+)(?:\.\d+\.\d+)?$")
_IMAGE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$")
_NODE_IMAGE = re.compile(r"^[a-z0-9./-]+:[A-Za-z0-9._-]+(?:@sha256:[0-9a-f]{64})?$")
_PACKAGE = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")


def job_timeout_problems(minutes: object, setting: str) -> list[str]:
    """The one rule for a generated job's ``timeout-minutes``: 5 to 360, GitHub's limit for a
    job on a GitHub-hosted runner (docs: "Usage limits, billing, and administration", job
    execution time)."""
    if isinstance(minutes, int) and not isinstance(minutes, bool) and 5 <= minutes <= 360:
        return []
    return [invalid(setting, minutes, "a whole number of minutes from 5 to 360")]


def environment_names_problems(environments: Sequence[str], setting: str) -> list[str]:
    """The one rule for the environments deploy.yml walks through: one or more distinct
    names of lower-case letters, digits and '-' starting with a letter, none named ``all``
    (deploy.yml's input uses it for every environment)."""
    names = list(environments)
    problems = [
        invalid(setting, env, "names of lower-case letters, digits and '-', starting with a letter")
        for env in names
        if not isinstance(env, str) or not WORKFLOW_NAME.match(env)
    ]
    if not names:
        problems.append(invalid(setting, names, "one or more environment names"))
    if len(set(names)) != len(names):
        problems.append(invalid(setting, names, "no duplicate names"))
    if "all" in names:
        problems.append(
            invalid(
                setting,
                names,
                "no environment named 'all' (deploy.yml's input uses it for every environment)",
            )
        )
    return problems


def changesets_major_problems(major: object, setting: str) -> list[str]:
    """The one rule for the @changesets/cli major version the release workflow runs."""
    if major in CHANGESETS_ACTION_FOR_CLI_MAJOR and not isinstance(major, bool):
        return []
    return [
        invalid(
            setting,
            major,
            f"one of {sorted(CHANGESETS_ACTION_FOR_CLI_MAJOR)}: the release workflow splits "
            "versioning, packing and publishing with changesets/action v2's sub-actions, which "
            "need @changesets/cli 3",
        )
    ]


def image_package_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is an npm package name (``name`` or ``@scope/name``): the
    package whose released version tags the image. Unset, the release workflow takes the root
    package of a single-package repository and fails in a workspace."""
    if isinstance(value, str) and len(value) <= 214 and _PACKAGE.match(value):
        return []
    return [
        invalid(
            setting,
            value,
            "an npm package name ('name' or '@scope/name', lower case, at most 214 characters): "
            "the package of the application repository whose version tags the image",
        )
    ]


SUPPORTED_NODE_MAJORS = (22, 24)
"""Node.js LTS lines the workflows and the Dockerfile template support."""

COMPROMISED_TRIVY_VERSIONS = frozenset({"v0.69.4", "v0.69.5", "v0.69.6"})
"""Trivy releases published by an attacker in March 2026 (GHSA-69fq-xp46-6x23)."""

MIN_TRUSTED_PUBLISHING_NPM = (11, 5, 1)
"""npm needs 11.5.1 or later to publish through OIDC trusted publishing."""

NPM_PUBLISHING_NODE_MAJOR = 24
"""Oldest Node.js line whose bundled npm publishes through OIDC; checked again at run time."""


class NpmPublishMode(StrEnum):
    """How the release workflow publishes to npm."""

    TRUSTED = "trusted"
    """OIDC trusted publishing: no token at all; provenance is automatic for public packages."""
    TOKEN = "token"
    """Fallback: ``NPM_TOKEN`` from the npm environment's secrets, with provenance."""
    NONE = "none"
    """No npm publishing: Changesets only versions, tags and releases (private packages)."""


class ReleaseTokenMode(StrEnum):
    """Which identity the release jobs use to open the version pull request and to create
    release tags, GitHub Releases and release branches."""

    APP = "app"
    """A GitHub App installation token (``actions/create-github-app-token``): the version pull
    request's checks run, workflows need no right to create pull requests, and rulesets can let
    only the app create release branches and tags."""
    GITHUB_TOKEN = "github-token"
    """The job's ``GITHUB_TOKEN``: no app needed, but pull requests it opens start no workflow
    (so the version pull request runs no checks) and "Allow GitHub Actions to create and approve
    pull requests" must stay on. An explicit fallback; the plan warns."""


GHCR_MIN_AGE_DAYS = 30
"""Untagged GHCR versions younger than this are never deleted: GitHub re-runs a run's jobs for
up to 30 days (GitHub Docs, "Re-running workflows and jobs"), and the publish stage of a re-run
tags the images its verify stage pushed untagged."""


@dataclass(frozen=True)
class GhcrRetention:
    """How the scheduled clean-up prunes the GHCR package (GitHub has no retention setting)."""

    keep_latest: int = 10
    """Untagged versions always kept, newest first, whatever their age."""
    older_than_days: int = 30
    """Only untagged versions older than this many days are deleted."""
    schedule_cron: str = "17 3 * * 1"
    """When the clean-up runs (UTC cron); weekly by default."""


PREVIEW_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,49}")
"""A label for the preview gate: GitHub labels are at most 50 characters; no quote, so it
stands inside a quoted expression string as it is."""


def preview_label_problems(value: object, name: str) -> list[str]:
    """The label that gates previews (``WorkflowSpec.preview_label``): a GitHub label name of
    at most 50 characters that stands in a quoted expression string as it is."""
    if isinstance(value, str) and PREVIEW_LABEL.fullmatch(value):
        return []
    return [
        invalid(
            name,
            value,
            "a label of 1-50 letters, digits, spaces and . _ : / - starting with a letter or "
            "digit (quoted in an expression: no quote)",
        )
    ]


@dataclass(frozen=True)
class WorkflowSpec:
    """Everything the generated workflows depend on that is not a per-environment variable.

    Defaults describe a single-package pnpm repository on Node.js 24 that publishes to npm
    through trusted publishing and deploys dev → staging → prod.
    """

    repository: str
    """``owner/name`` of the application repository."""
    environments: tuple[str, ...] = ("dev", "staging", "prod")
    """GitHub deployment environments, in deploy order; each stack writes one."""
    default_branch: str = "main"
    """Branch releases are cut from."""
    build_environment: str | None = None
    """Environment whose ECR repository and role the image build uses; the first by default."""
    node_version: str = "24"
    """Node.js for the release job: a supported LTS major or an exact ``X.Y.Z``."""
    node_image: str = field(default_factory=base_image)
    """Base image of the Dockerfile template: ``name:tag`` with an optional real digest. Default:
    the ``FROM`` of ``workflows/images/Dockerfile`` (:data:`pins.BASE_IMAGE_FILE`), which
    Slipway's own Dependabot keeps current."""
    pnpm_version: str = "10.34.9"
    """Exact pnpm version, activated through corepack."""
    changesets_cli_major: int = 3
    """Major of ``@changesets/cli`` in the repository; picks the changesets/action major."""
    npm_publish: NpmPublishMode = NpmPublishMode.TRUSTED
    """How packages reach npm."""
    npm_environment: str = "npm"
    """GitHub environment of the release job when publishing (holds ``NPM_TOKEN`` in token mode;
    trusted publishers can be restricted to it)."""
    npm_access: str = "public"
    """Changesets ``access``: ``public`` or ``restricted``."""
    release_token: ReleaseTokenMode = ReleaseTokenMode.APP
    """Identity of the version and publish jobs; see :class:`ReleaseTokenMode`."""
    attestations: bool = True
    """Create and verify build-provenance attestations. Private repositories need GitHub
    Enterprise Cloud for them; elsewhere they are free."""
    code_scanning: bool = True
    """Upload the Trivy SARIF report to code scanning (public repositories, or private ones with
    GitHub Code Security). The scan gates the release either way."""
    code_owners: tuple[str, ...] = ()
    """Owners (``@user``, ``@org/team``) of the generated files in
    ``.github/CODEOWNERS``; no file when empty (the plan warns)."""
    extra_code_owner_lines: tuple[str, ...] = ()
    """The application's own CODEOWNERS lines, written before the generated entries (GitHub
    reads only one CODEOWNERS file, and ``.github/CODEOWNERS`` comes first)."""
    image_package: str | None = None
    """npm package whose published version tags the image (:func:`image_package_problems`);
    None: the root package of a single-package repository (a workspace must name it, or the
    release workflow's ``mode`` job fails)."""
    ghcr_image: str | None = None
    """GHCR image path under ``ghcr.io/``; the repository slug in lower case by default."""
    trivy_version: str = "v0.69.3"
    """Exact Trivy release the scan installs (never ``latest``)."""
    ghcr_retention: GhcrRetention = field(default_factory=GhcrRetention)
    """Clean-up policy for untagged GHCR versions."""
    dockerfile: str = "Dockerfile"
    """Path of the Dockerfile, relative to the repository root."""
    docker_context: str = "."
    """Build context, relative to the repository root."""
    container_port: int = 3000
    """Port the application listens on inside the container."""
    health_check_path: str = "/health"
    """Path the Dockerfile's HEALTHCHECK probes inside the container."""
    health_check_retries: int = 10
    """Attempts of the post-deploy health check."""
    health_check_interval_seconds: int = 10
    """Seconds between health check attempts."""
    deploy_timeout_minutes: int = 30
    """``timeout-minutes`` of each deploy job."""
    previews: bool = False
    """Also deliver ``preview.yml`` and its scripts (docs/previews.md): per-pull-request previews
    and their teardown. Off by default; on when a stack of the repository sets ``previews``
    (infra/previews.py reads it from the stack files)."""
    preview_label: str | None = None
    """With ``previews``: only a pull request with this label gets a preview (None: every pull
    request from this repository)."""

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ConfigError(problems)

    def _problems(self) -> list[str]:
        problems = Problems("WorkflowSpec")
        check, p = problems.check, problems.found

        check(
            bool(REPOSITORY_SLUG.match(self.repository)),
            "repository",
            self.repository,
            "an 'owner/name' slug",
        )
        if self.preview_label is not None:
            problems.extend(
                preview_label_problems(self.preview_label, problems.name("preview_label"))
            )
        envs = self.environments
        check(isinstance(envs, tuple), "environments", envs, "a tuple of environment names")
        problems.extend(environment_names_problems(envs, problems.name("environments")))
        check(
            self.build_environment is None or self.build_environment in envs,
            "build_environment",
            self.build_environment,
            f"None or one of {list(envs)}",
        )
        check(
            bool(BRANCH_NAME.match(self.default_branch)),
            "default_branch",
            self.default_branch,
            "a branch name",
        )
        node = _NODE.match(self.node_version)
        check(
            node is not None and int(node.group(1)) in SUPPORTED_NODE_MAJORS,
            "node_version",
            self.node_version,
            f"a major in {SUPPORTED_NODE_MAJORS} or an exact X.Y.Z of one",
        )
        check(
            bool(_NODE_IMAGE.match(self.node_image)),
            "node_image",
            self.node_image,
            "'name:tag' optionally followed by '@sha256:<64 hex>'",
        )
        check(
            bool(SEMVER.match(self.pnpm_version)),
            "pnpm_version",
            self.pnpm_version,
            "an exact X.Y.Z version",
        )
        if node is not None and self.npm_publish is not NpmPublishMode.NONE:
            check(
                int(node.group(1)) >= NPM_PUBLISHING_NODE_MAJOR,
                "node_version",
                self.node_version,
                f"Node.js {NPM_PUBLISHING_NODE_MAJOR} or later when publishing to npm: its "
                "bundled npm (11.5.1+) supports trusted publishing; Node.js 22 ships npm 10",
            )
        problems.extend(
            changesets_major_problems(
                self.changesets_cli_major, problems.name("changesets_cli_major")
            )
        )
        check(
            isinstance(self.npm_publish, NpmPublishMode),
            "npm_publish",
            self.npm_publish,
            f"one of {[m.value for m in NpmPublishMode]}",
        )
        check(
            bool(WORKFLOW_NAME.match(self.npm_environment)) and self.npm_environment not in envs,
            "npm_environment",
            self.npm_environment,
            "an environment name that is not one of the deploy environments",
        )
        check(
            isinstance(self.release_token, ReleaseTokenMode),
            "release_token",
            self.release_token,
            f"one of {[m.value for m in ReleaseTokenMode]}",
        )
        problems.extend(code_owner_problems(list(self.code_owners), problems.name("code_owners")))
        for line in self.extra_code_owner_lines:
            check(
                "\n" not in line and bool(line.strip()),
                "extra_code_owner_lines",
                line,
                "one non-empty CODEOWNERS line each",
            )
        for flag in ("attestations", "code_scanning"):
            check(isinstance(getattr(self, flag), bool), flag, getattr(self, flag), "a bool")
        check(
            self.npm_access in ("public", "restricted"),
            "npm_access",
            self.npm_access,
            "'public' or 'restricted'",
        )
        if self.image_package is not None:
            problems.extend(
                image_package_problems(self.image_package, problems.name("image_package"))
            )
        check(
            self.ghcr_image is None or bool(_IMAGE.match(self.ghcr_image)),
            "ghcr_image",
            self.ghcr_image,
            "None or a lower-case 'owner/name' image path",
        )
        check(
            bool(VERSION_TAG.match(self.trivy_version))
            and self.trivy_version not in COMPROMISED_TRIVY_VERSIONS,
            "trivy_version",
            self.trivy_version,
            "an exact 'vX.Y.Z' release that was not compromised",
        )
        r = self.ghcr_retention
        check(
            isinstance(r.keep_latest, int) and 0 <= r.keep_latest <= 1000,
            "ghcr_retention.keep_latest",
            r.keep_latest,
            "an integer from 0 to 1000",
        )
        check(
            isinstance(r.older_than_days, int) and GHCR_MIN_AGE_DAYS <= r.older_than_days <= 3650,
            "ghcr_retention.older_than_days",
            r.older_than_days,
            f"an integer from {GHCR_MIN_AGE_DAYS} to 3650: the untagged images a release "
            "verified are tagged from GHCR when a failed publish is re-run, up to 30 days later",
        )
        check(
            bool(CRON.match(r.schedule_cron)),
            "ghcr_retention.schedule_cron",
            r.schedule_cron,
            "a five-field cron expression",
        )
        for name in ("dockerfile", "docker_context"):
            value = getattr(self, name)
            check(
                bool(PLAIN_PATH.match(value))
                and ".." not in value.split("/")
                and not value.startswith("/"),
                name,
                value,
                "a relative path inside the repository",
            )
        check(
            isinstance(self.container_port, int) and 1 <= self.container_port <= 65535,
            "container_port",
            self.container_port,
            "a port from 1 to 65535",
        )
        check(
            bool(HEALTH_CHECK_PATH.match(self.health_check_path)),
            "health_check_path",
            self.health_check_path,
            "a URL path starting with '/'",
        )
        check(
            isinstance(self.health_check_retries, int) and 1 <= self.health_check_retries <= 60,
            "health_check_retries",
            self.health_check_retries,
            "an integer from 1 to 60",
        )
        check(
            isinstance(self.health_check_interval_seconds, int)
            and 1 <= self.health_check_interval_seconds <= 300,
            "health_check_interval_seconds",
            self.health_check_interval_seconds,
            "an integer from 1 to 300",
        )
        problems.extend(
            job_timeout_problems(
                self.deploy_timeout_minutes, problems.name("deploy_timeout_minutes")
            )
        )
        return p

    @property
    def image_build_environment(self) -> str:
        """The environment the image build runs in (its ECR and role)."""
        return self.build_environment or self.environments[0]

    @property
    def ghcr_image_path(self) -> str:
        """``owner/name`` of the GHCR image (lower case, as GHCR requires)."""
        return self.ghcr_image or self.repository.lower()

    @property
    def ghcr_image_ref(self) -> str:
        """``ghcr.io/owner/name``."""
        return f"ghcr.io/{self.ghcr_image_path}"


def docker_caller_grants(spec: WorkflowSpec) -> list[tuple[str, str]]:
    """What a job calling docker.yml grants (release.yml, preview.yml): what every job of it may
    need, whichever stage runs (a called job gets at most its caller's permissions)."""
    grants: list[tuple[str, str]] = [
        ("contents", "read"),
        ("packages", "write"),
        ("id-token", "write"),
    ]
    if spec.code_scanning:
        grants += [("security-events", "write"), ("actions", "read")]
    if spec.attestations:
        grants.append(("attestations", "write"))
    return grants
