"""``WorkflowSet`` for every Pulumi language, delegating to the Python API's own."""

from typing import Any, NotRequired, Optional, TypedDict

import pulumi

from slipway.workflow_set import WorkflowSet as PythonWorkflowSet
from slipway.workflow_set import WorkflowSetArgs as PythonWorkflowSetArgs
from slipway.workflows import GhcrRetention as PythonGhcrRetention
from slipway.workflows import NpmPublishMode, ReleaseTokenMode
from slipway.workflows import WorkflowSpec as PythonWorkflowSpec
from slipway_facade.args import typed_args


class GhcrRetention(TypedDict):
    """How the scheduled clean-up prunes the GHCR package (GitHub has no retention setting)."""

    keep_latest: NotRequired[int]
    """Untagged versions always kept, newest first, whatever their age. Default: 10."""
    older_than_days: NotRequired[int]
    """Only untagged versions older than this many days are deleted. Default: 30."""
    schedule_cron: NotRequired[str]
    """When the clean-up runs (UTC cron); weekly by default."""


class WorkflowSpec(TypedDict):
    """Everything the generated workflows depend on that is not a per-environment variable."""

    repository: str
    """``owner/name`` of the application repository."""
    environments: NotRequired[list[str]]
    """GitHub deployment environments, in deploy order; each stack writes one. Default: ``[dev,
    staging, prod]``."""
    default_branch: NotRequired[str]
    """Branch releases are cut from. Default: 'main'."""
    build_environment: NotRequired[str]
    """Environment whose ECR repository and role the image build uses; the first by default."""
    node_version: NotRequired[str]
    """Node.js for the release job: a supported LTS major or an exact ``X.Y.Z``. Default: '24'."""
    node_image: NotRequired[str]
    """Base image of the Dockerfile template: ``name:tag`` with an optional real digest. Default:
    'node:24.21.0-slim'."""
    pnpm_version: NotRequired[str]
    """Exact pnpm version, activated through corepack. Default: '10.34.9'."""
    changesets_cli_major: NotRequired[int]
    """Major of ``@changesets/cli`` in the repository; picks the changesets/action major. Default:
    3."""
    npm_publish: NotRequired[NpmPublishMode]
    """How packages reach npm. Default: ``trusted``."""
    npm_environment: NotRequired[str]
    """GitHub environment of the release job when publishing (holds ``NPM_TOKEN`` in token mode;
    trusted publishers can be restricted to it). Default: 'npm'."""
    npm_access: NotRequired[str]
    """Changesets ``access``: ``public`` or ``restricted``. Default: 'public'."""
    release_token: NotRequired[ReleaseTokenMode]
    """Identity of the version and publish jobs; see :class:`ReleaseTokenMode`. Default: ``app``."""
    attestations: NotRequired[bool]
    """Create and verify build-provenance attestations. Private repositories need GitHub Enterprise
    Cloud for them; elsewhere they are free. Default: true."""
    code_scanning: NotRequired[bool]
    """Upload the Trivy SARIF report to code scanning (public repositories, or private ones with
    GitHub Code Security). The scan gates the release either way. Default: true."""
    code_owners: NotRequired[list[str]]
    """Owners (``@user``, ``@org/team``) of the generated files in ``.github/CODEOWNERS``; no file
    when empty (the plan warns). Default: none."""
    extra_code_owner_lines: NotRequired[list[str]]
    """The application's own CODEOWNERS lines, written before the generated entries (GitHub reads
    only one CODEOWNERS file, and ``.github/CODEOWNERS`` comes first). Default: none."""
    image_package: NotRequired[str]
    """npm package whose published version tags the image (:func:`image_package_problems`);
    absent: the root package of a single-package repository (a workspace must name it, or the
    release workflow's ``mode`` job fails). Default: none."""
    ghcr_image: NotRequired[str]
    """GHCR image path under ``ghcr.io/``; the repository slug in lower case by default."""
    trivy_version: NotRequired[str]
    """Exact Trivy release the scan installs (never ``latest``). Default: 'v0.69.3'."""
    ghcr_retention: NotRequired[GhcrRetention]
    """Clean-up policy for untagged GHCR versions. Default: none."""
    dockerfile: NotRequired[str]
    """Path of the Dockerfile, relative to the repository root. Default: 'Dockerfile'."""
    docker_context: NotRequired[str]
    """Build context, relative to the repository root. Default: '.'."""
    container_port: NotRequired[int]
    """Port the application listens on inside the container. Default: 3000."""
    health_check_path: NotRequired[str]
    """Path the Dockerfile's HEALTHCHECK probes inside the container. Default: '/health'."""
    health_check_retries: NotRequired[int]
    """Attempts of the post-deploy health check. Default: 10."""
    health_check_interval_seconds: NotRequired[int]
    """Seconds between health check attempts. Default: 10."""
    deploy_timeout_minutes: NotRequired[int]
    """``timeout-minutes`` of each deploy job. Default: 30."""


class WorkflowSetArgs(TypedDict):
    """Arguments of :class:`WorkflowSet`. The default is a reviewed pull request."""

    repository: str
    """``owner/name`` of the application repository; must be the spec's repository. The GitHub
    provider must be configured for that owner."""
    spec: WorkflowSpec
    """What to render. The same spec renders the same bytes in every stack."""
    branch: NotRequired[str]
    """Branch the files are committed to before the pull request (a valid git branch name other
    than the default branch). Default: ``slipway/workflows``. Ignored with ``direct_commit``."""
    commit_author: NotRequired[str]
    """Author and committer name of the commits. Default: ``slipway[bot]``. ``None`` together with
    ``commit_email=None`` lets GitHub sign the commits as the token's GitHub App."""
    commit_email: NotRequired[str]
    """Author and committer e-mail; set exactly when ``commit_author`` is set. Default:
    ``slipway[bot]@users.noreply.github.com``."""
    direct_commit: NotRequired[bool]
    """Commit straight to the default branch, with no branch and no pull request. Default: off;
    branch protection usually rejects it."""
    paths: NotRequired[list[str]]
    """Which rendered files to deliver, by repository path. Default: all of them. A chosen workflow
    comes with every file it uses (:func:`slipway.workflows.render.files_used_by`: deploy.yml
    its scripts and docker.yml, release.yml its scripts and both workflows it calls); the
    Dockerfile template may be left out."""


def _spec(given: WorkflowSpec) -> PythonWorkflowSpec:
    convert: dict[str, Any] = {
        "environments": tuple,
        "code_owners": tuple,
        "extra_code_owner_lines": tuple,
        "ghcr_retention": lambda retention: PythonGhcrRetention(**retention),
    }
    return typed_args(PythonWorkflowSpec, given, convert)


class WorkflowSet(pulumi.ComponentResource):
    """The generated workflow files in the application repository, by pull request by default."""

    branch: pulumi.Output[str]
    """Branch the files were committed to (the default branch with ``directCommit``)."""
    pull_request_number: pulumi.Output[Optional[int]]  # noqa: UP045 (the analyzer's spelling)
    """Number of the pull request; absent with ``directCommit``."""
    file_paths: pulumi.Output[list[str]]
    """Repository paths of the delivered files, sorted."""
    content_sha: pulumi.Output[str]
    """SHA-256 over all delivered files."""

    def __init__(
        self, name: str, args: WorkflowSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:WorkflowSet", name, None, opts)
        inner = PythonWorkflowSet(
            name,
            typed_args(PythonWorkflowSetArgs, args, {"spec": _spec}),
            pulumi.ResourceOptions(parent=self),
        )
        self.branch = inner.branch
        self.pull_request_number = inner.pull_request_number
        self.file_paths = inner.file_paths
        self.content_sha = inner.content_sha
        self.register_outputs(
            {
                "branch": self.branch,
                "pull_request_number": self.pull_request_number,
                "file_paths": self.file_paths,
                "content_sha": self.content_sha,
            }
        )
