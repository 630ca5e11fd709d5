"""The names that tie the stacks, the GitHub environments and the generated workflows together.

Each stack writes the values of :class:`EnvironmentVariable` into its own GitHub deployment
environment; the generated workflows read them as ``${{ vars.NAME }}``. Because both sides take
the names from here, they cannot drift. Renaming a member is a breaking change for every
application repository that already runs the generated workflows.
"""

from __future__ import annotations

from enum import StrEnum


class EnvironmentVariable(StrEnum):
    """GitHub Actions variables that each stack writes into its deployment environment."""

    AWS_REGION = "AWS_REGION"
    """Region of the stack's AWS resources."""
    AWS_ACCOUNT_ID = "AWS_ACCOUNT_ID"
    """Account the deploy role lives in; passed to ``allowed-account-ids``."""
    AWS_DEPLOY_ROLE_ARN = "AWS_DEPLOY_ROLE_ARN"
    """Role the environment's jobs assume through GitHub OIDC."""
    ECR_REPOSITORY_URL = "ECR_REPOSITORY_URL"
    """``<account>.dkr.ecr.<region>.amazonaws.com/<name>`` of the stack's ECR repository."""
    ECS_CLUSTER = "ECS_CLUSTER"
    """Name of the ECS cluster."""
    ECS_SERVICE = "ECS_SERVICE"
    """Name of the ECS service."""
    ECS_CONTAINER_NAME = "ECS_CONTAINER_NAME"
    """Name of the application container inside the task definition."""
    ECS_TASK_FAMILY = "ECS_TASK_FAMILY"
    """Task definition family the deploy registers new revisions in."""
    ENVIRONMENT_URL = "ENVIRONMENT_URL"
    """Public base URL of the environment (``https://…``)."""
    HEALTH_CHECK_PATH = "HEALTH_CHECK_PATH"
    """Path on ``ENVIRONMENT_URL`` that answers 200 when the application is healthy."""
    IMAGE_CHANNEL_PARAMETER = "IMAGE_CHANNEL_PARAMETER"
    """SSM parameter holding the image (by digest) CI deployed last; docs/image-channel.md."""


class EnvironmentSecret(StrEnum):
    """GitHub Actions secrets that a stack may write into its deployment environment."""

    SLACK_WEBHOOK_URL = "SLACK_WEBHOOK_URL"
    """Incoming-webhook URL for deployment notifications; optional."""


class InfraVariable(StrEnum):
    """GitHub Actions variables a stack writes into its ``infra-<env>`` environment of the
    infrastructure repository, which that repository's ``pulumi up`` job reads
    (``InfraPipelineSpec.apply_role_variable``)."""

    AWS_INFRA_ROLE_ARN = "AWS_INFRA_ROLE_ARN"
    """The stack's apply role (its ``infraApplyRoleArn`` output)."""
    AWS_PREVIEW_ROLE_ARN = "AWS_PREVIEW_ROLE_ARN"
    """The stack's read-only preview role (``infraPreviewRoleArn``), written into its
    ``infra-preview-<env>`` and ``infra-drift-<env>`` environments
    (``InfraPipelineSpec.preview_role_variable``)."""
    APPLICATION_REPOSITORY = "APPLICATION_REPOSITORY"
    """The application repository's name (without its owner, which is the infrastructure
    repository's), in all three environments: the pipeline's GitHub App token is scoped to it
    and to the infrastructure repository (``repositories`` of actions/create-github-app-token)."""


class InfraSecret(StrEnum):
    """GitHub Actions secrets the set-up command writes into the infrastructure repository's
    ``infra-<env>``, ``infra-preview-<env>`` and ``infra-drift-<env>`` environments (never into
    Pulumi config or state): the credential of the GitHub App the infra pipeline's job mints its
    installation token with (``actions/create-github-app-token``), passed to the pulumi-github
    provider as ``GITHUB_TOKEN``. ``infra-<env>`` (default branch only) holds the infra app's,
    which may write; the preview and drift environments hold the read-only infra app's, so a
    pull request's code can never mint a token that writes (docs/deployment-guide.md,
    "The infra pipeline's GitHub credential")."""

    INFRA_APP_CLIENT_ID = "INFRA_APP_CLIENT_ID"
    """Client ID of the app (``client-id``); not secret, kept beside its key."""
    INFRA_APP_PRIVATE_KEY = "INFRA_APP_PRIVATE_KEY"
    """Private key (PEM) of the app (``private-key``)."""


INFRA_APP_PERMISSIONS: dict[str, str] = {
    "actions": "read",
    "administration": "write",
    "contents": "write",
    "environments": "write",
    "metadata": "read",
    "pull_requests": "write",
    "workflows": "write",
}
"""Repository permissions of the infra app (GitHub App permission names), exactly what the
pulumi-github resources and data sources the stacks use call (GitHub Docs, "Permissions required
for GitHub Apps"; the endpoint -> permission table and the calls, each cited, are
tests/setup/app_permissions.py): Actions (read) to read environments and their deployment
branch and tag policies (``GET /repos/{o}/{r}/environments/{name}``); Administration to write
them, the rulesets (``/repos/{o}/{r}/rulesets``) and the Actions workflow permissions
(``/repos/{o}/{r}/actions/permissions/workflow``); Environments for the environments' variables
and secrets (the page also lists those under Secrets and Variables, as alternatives: Environments
reaches environments only, not the repositories' own secrets and variables); Contents, Pull
requests and Workflows for the workflow files' branch, commits (files under
``.github/workflows/``) and pull request; Metadata, which every app has. The job's token asks for
exactly these (``permission-*`` of actions/create-github-app-token), and the manifest grants no
more."""

INFRA_READ_APP_PERMISSIONS: dict[str, str] = {
    name: "read" for name in INFRA_APP_PERMISSIONS if name != "workflows"
}
"""The read-only infra app's: the same, read (Workflows has no read level: the files are read
with Contents). ``pulumi preview --refresh`` reads every resource the stack manages."""


class PreviewVariable(StrEnum):
    """GitHub Actions variables of the ``preview`` environment, written by the stack that owns
    the preview base (``slipway:previews``) and read by ``preview.yml``'s jobs
    (docs/previews.md), besides ``AWS_REGION`` and ``AWS_ACCOUNT_ID``."""

    PREVIEW_APP = "PREVIEW_APP"
    """The application's short name (``pr-<n>-<app>`` names every preview resource)."""
    PREVIEW_DOMAIN = "PREVIEW_DOMAIN"
    """The owner's domain: previews answer at ``pr-<n>.pr.<domain>``."""
    PREVIEW_LISTENER_ARN = "PREVIEW_LISTENER_ARN"
    """The preview base's HTTPS listener."""
    PREVIEW_CLUSTER = "PREVIEW_CLUSTER"
    """The owner's ECS cluster, where preview services run."""
    PREVIEW_VPC_ID = "PREVIEW_VPC_ID"
    """The owner's VPC (preview target groups are created in it)."""
    PREVIEW_SUBNETS = "PREVIEW_SUBNETS"
    """The owner's private subnets, comma-separated."""
    PREVIEW_SECURITY_GROUPS = "PREVIEW_SECURITY_GROUPS"
    """The preview tasks' security group."""
    PREVIEW_EXECUTION_ROLE_ARN = "PREVIEW_EXECUTION_ROLE_ARN"
    """The execution role preview tasks run with (the preview role may pass only it)."""
    PREVIEW_TTL_HOURS = "PREVIEW_TTL_HOURS"
    """A preview's lifetime after its last push, in hours (``slipway:previewTtlHours``): the
    same number the preview base's images' lifecycle rule is built from."""


class ReleaseVariable(StrEnum):
    """GitHub Actions variables of the release environment (``WorkflowSpec.npm_environment``),
    which the version and publish jobs run in (``deployment: false``)."""

    RELEASE_APP_CLIENT_ID = "RELEASE_APP_CLIENT_ID"
    """Client ID of the GitHub App the release jobs act as (``actions/create-github-app-token``
    ``client-id``): its token opens the version pull request (so its checks run) and is the
    only identity allowed to create release branches and release tags."""


class ReleaseSecret(StrEnum):
    """GitHub Actions secrets of the release environment."""

    RELEASE_APP_PRIVATE_KEY = "RELEASE_APP_PRIVATE_KEY"
    """Private key (PEM) of the release GitHub App."""
