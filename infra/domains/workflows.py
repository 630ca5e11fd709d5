"""Workflows: what the stack that owns the application repository's shared files delivers
there (the generated workflows, the release environment, the rulesets) and the release
identity they run with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import Field

from infra.common import NAMESPACE, CheckContext, SettingsModel, component_rule, optional
from slipway.contract import EnvironmentSecret, ReleaseSecret, ReleaseVariable
from slipway.deployment_environment import (
    DeploymentEnvironment,
    DeploymentEnvironmentArgs,
    SecretName,
    VariableName,
)
from slipway.github_plan import RepositoryPlan
from slipway.patterns import GITHUB_APP_CLIENT_ID, code_owner_problems
from slipway.repository_guardrails import (
    RepositoryGuardrails,
    RepositoryGuardrailsArgs,
    app_id_problems,
    required_approvals_problems,
)
from slipway.workflow_set import WorkflowSet, WorkflowSetArgs
from slipway.workflows import NpmPublishMode, ReleaseTokenMode, WorkflowSpec
from slipway.workflows.deploy import deploy_timeout_for
from slipway.workflows.spec import (
    changesets_major_problems,
    environment_names_problems,
    image_package_problems,
    job_timeout_problems,
)


class WorkflowsSettings(SettingsModel):
    """The application repository's shared files and settings (owner stack)."""

    owns_repository_resources: bool = Field(
        default=False,
        description="This stack manages the application repository's shared files and "
        "settings: the generated workflows (delivered as a pull request), the rulesets "
        "(default branch, release branches, release-branch creation, release tags), the `npm` "
        "release environment and the Actions permissions. "
        "Exactly one stack per repository sets it.",
    )

    required_approvals: Annotated[int, component_rule(required_approvals_problems)] = Field(
        default=1,
        description="Approving reviews a pull request to the default branch needs (owner stack).",
    )

    workflows_direct_commit: bool = Field(
        default=False,
        description="Commit the generated workflow files straight to the default branch "
        "instead of opening a pull request (owner stack). Branch protection usually refuses it.",
    )

    workflow_environments: Annotated[list[str], component_rule(environment_names_problems)] = Field(
        default_factory=lambda: ["dev", "staging", "prod"],
        description="GitHub environments the generated deploy workflow walks through, in "
        "order (owner stack). Each needs its own stack.",
    )

    npm_publish: NpmPublishMode = Field(
        default=NpmPublishMode.TRUSTED,
        description="How the release workflow publishes to npm: trusted publishing (OIDC, "
        "provenance), an `NPM_TOKEN` secret in the `npm` environment, or not at all.",
    )

    release_token: ReleaseTokenMode = Field(
        default=ReleaseTokenMode.APP,
        description="Identity of the release jobs (owner stack). `app`: a GitHub App "
        "(`releaseAppId`, `releaseAppClientId`, its key in the release environment) opens the "
        "version pull request, so its checks run, and is the only actor the rulesets let "
        "create release branches and tags; workflows may not create or approve pull requests. "
        "`github-token`: the job's `GITHUB_TOKEN`, an explicit fallback: the version pull "
        "request runs no checks, workflows may create and approve pull requests, anyone with "
        "write access can create release branches and tags, and the plan warns.",
    )

    release_app_id: Annotated[int | None, component_rule(app_id_problems)] = Field(
        default=None,
        description="Numeric App ID of the release GitHub App (its settings page, 'App ID'): "
        "the rulesets' bypass actor. Required with `releaseToken: app` on the stack that owns "
        "repository resources; set only there.",
    )

    release_app_client_id: Annotated[
        str | None,
        optional(
            GITHUB_APP_CLIENT_ID,
            "a GitHub App client ID (Iv1.<16 hex> or Iv23…), not the numeric App ID and not an "
            "OAuth app's (Ov…)",
        ),
    ] = Field(
        default=None,
        description="Client ID of the release GitHub App, written as the variable "
        "`RELEASE_APP_CLIENT_ID` of the release environment (`actions/create-github-app-token` "
        "`client-id`). Required with `releaseToken: app` on the owner stack; set only there.",
    )

    workflow_code_owners: Annotated[list[str], component_rule(code_owner_problems)] = Field(
        default_factory=list,
        description="Owners (`@user`, `@org/team`) of the generated release machinery: "
        "`.github/CODEOWNERS` is delivered with the workflows, naming them for `.github/`, the "
        "Dockerfile and the Changesets configuration, and the rulesets then require a code "
        "owner's review. Empty (the default): no CODEOWNERS, and the plan warns.",
    )

    deploy_timeout_minutes: Annotated[int | None, component_rule(job_timeout_problems)] = Field(
        default=None,
        description="`timeout-minutes` of each deploy job in deploy.yml (5 to 360, GitHub's "
        "limit for hosted runners): it must hold a rollout that waits its full time and a full "
        "rollback. Default: 30, or enough for this stack's deployment strategy to complete "
        "twice (a prod canary with a 15-minute bake needs 75); `make plan` refuses a value "
        "too short for any stack's strategy.",
    )

    image_package: Annotated[str | None, component_rule(image_package_problems)] = Field(
        default=None,
        description="The npm package of the application repository whose released version "
        "tags the image and is deployed (`name` or `@scope/name`). Unset: the root package "
        "of a single-package repository; a workspace (pnpm-workspace.yaml or `workspaces`) "
        "must set it, or the release workflow's `mode` job fails naming this setting. A "
        "release that does not include this package builds no image and deploys nothing.",
    )

    changesets_cli_major: Annotated[int, component_rule(changesets_major_problems)] = Field(
        default=3,
        description="Major version of @changesets/cli the application uses; the release "
        "workflow picks the changesets/action major that matches it.",
    )

    def problems(self, context: CheckContext) -> list[str]:
        """The release identity: complete on the owner stack in app mode, absent elsewhere."""
        secrets = context.secrets
        problems: list[str] = []
        given = {
            "releaseAppId": self.release_app_id is not None,
            "releaseAppClientId": self.release_app_client_id is not None,
            "releaseAppPrivateKey": "releaseAppPrivateKey" in secrets,
        }
        if not self.owns_repository_resources:
            why = "set only on the stack that owns repository resources (ownsRepositoryResources)"
        elif self.release_token is ReleaseTokenMode.GITHUB_TOKEN:
            why = "unset with releaseToken github-token (no release app)"
        else:
            for setting in ("releaseAppId", "releaseAppClientId"):
                if not given[setting]:
                    problems.append(
                        f"{NAMESPACE}:{setting} is required with releaseToken app on the stack "
                        "that owns repository resources: create the release GitHub App "
                        "(docs/deployment-guide.md#the-release-github-app) and set its "
                        f"{'App ID' if setting == 'releaseAppId' else 'client ID'}, or set "
                        "releaseToken github-token to release with GITHUB_TOKEN"
                    )
            return problems
        for setting, present in given.items():
            if present:
                problems.append(f"{NAMESPACE}:{setting} is set; {why}")
        return problems


@dataclass(frozen=True)
class ApplicationFacts:
    """What the generated files need to know of the application and its repository."""

    repository: str
    container_port: int
    health_check_path: str
    repository_plan: RepositoryPlan
    code_scanning: bool
    rollout_minutes: int = 0
    """What this stack's deployments take until they complete (strategy, bake, task start):
    the deploy jobs must be able to wait that long twice."""


@dataclass(frozen=True)
class RepositoryPreviews:
    """Whether the repository's ``preview.yml`` is delivered, and with which label gate: the
    settings of the stack that turns previews on (``previews``), read from its stack file
    (:func:`infra.previews.repository_previews`)."""

    owner: str | None = None
    """The stack that sets ``previews`` for the repository (None: previews are off)."""
    label: str | None = None
    """Its ``previewLabel``."""

    @property
    def on(self) -> bool:
        """True when some stack of the repository sets ``previews``."""
        return self.owner is not None


PREVIEWS_OFF = RepositoryPreviews()
"""No stack of the repository sets ``previews``."""


DEFAULT_DEPLOY_TIMEOUT_MINUTES = 30


def deploy_timeout(settings: WorkflowsSettings, application: ApplicationFacts) -> int:
    """``deployTimeoutMinutes``, or the default: 30 minutes, more when this stack's own
    strategy needs it (:func:`slipway.workflows.deploy.deploy_timeout_for`)."""
    if settings.deploy_timeout_minutes is not None:
        return settings.deploy_timeout_minutes
    return max(DEFAULT_DEPLOY_TIMEOUT_MINUTES, deploy_timeout_for(application.rollout_minutes))


def spec(
    settings: WorkflowsSettings,
    application: ApplicationFacts,
    previews: RepositoryPreviews = PREVIEWS_OFF,
) -> WorkflowSpec:
    """What the application repository's generated files are rendered from. Identical for
    every stack with the same settings, so whichever stack owns the files renders the same;
    ``previews`` comes from the stack files (:func:`infra.previews.repository_previews`)."""
    return WorkflowSpec(
        repository=application.repository,
        environments=tuple(settings.workflow_environments),
        changesets_cli_major=settings.changesets_cli_major,
        image_package=settings.image_package,
        npm_publish=NpmPublishMode(settings.npm_publish),
        container_port=application.container_port,
        health_check_path=application.health_check_path,
        release_token=ReleaseTokenMode(settings.release_token),
        code_owners=tuple(settings.workflow_code_owners),
        attestations=application.repository_plan.attestations,
        code_scanning=application.code_scanning,
        deploy_timeout_minutes=deploy_timeout(settings, application),
        previews=previews.on,
        preview_label=previews.label,
    )


@dataclass(frozen=True)
class ReleaseSecrets:
    """The secret settings the release environment holds, when set."""

    app_private_key: pulumi.Output[str] | None
    slack_webhook: pulumi.Output[str] | None


def build(
    settings: WorkflowsSettings,
    application: ApplicationFacts,
    release_secrets: ReleaseSecrets,
    previews: RepositoryPreviews = PREVIEWS_OFF,
) -> dict[str, Any]:
    """On the stack that owns the repository's shared resources: the generated files (with
    ``preview.yml`` when ``previews`` is on), the release environment and the rulesets; their
    outputs (none on the other stacks)."""
    if not settings.owns_repository_resources:
        return {}
    workflow_spec = spec(settings, application, previews)
    workflows = WorkflowSet(
        "workflows",
        WorkflowSetArgs(
            repository=application.repository,
            spec=workflow_spec,
            direct_commit=settings.workflows_direct_commit,
        ),
    )
    app = workflow_spec.release_token is ReleaseTokenMode.APP
    # Every release run reports from it (the notify job), whatever else it holds.
    release_environment = _release_environment(
        settings, application, workflow_spec, release_secrets
    )
    owners = bool(workflow_spec.code_owners)
    if not owners:
        pulumi.log.warn(
            "slipway:workflowCodeOwners is empty: no .github/CODEOWNERS is delivered with "
            "the workflows, so a change to the release machinery needs no owner's review"
        )
    RepositoryGuardrails(
        "repository",
        RepositoryGuardrailsArgs(
            repository=application.repository,
            required_approvals=settings.required_approvals,
            release_app_id=settings.release_app_id if app else None,
            # Only GITHUB_TOKEN releases need workflows to open pull requests.
            actions_can_create_pull_requests=not app,
            # The workflow pull request delivers CODEOWNERS (WorkflowSpec.code_owners).
            require_code_owner_review=owners,
            external_codeowners=owners,
        ),
    )
    return {
        "workflowsContentSha": workflows.content_sha,
        "workflowsPullRequest": workflows.pull_request_number,
        "npmEnvironment": release_environment.environment,
    }


def _release_environment(
    settings: WorkflowsSettings,
    application: ApplicationFacts,
    workflow_spec: WorkflowSpec,
    release_secrets: ReleaseSecrets,
) -> DeploymentEnvironment:
    """The environment the version, publish and notify jobs run in (``spec.npm_environment``):
    it holds the release app's client ID and key and the Slack webhook of release reports, and
    trusted publishers name it. The component's default branches are the release workflow's
    (main and the release branches); no reviewers, since a merged version pull request is the
    approval."""
    variables: dict[VariableName, pulumi.Input[str]] = {}
    secrets: dict[SecretName, pulumi.Input[str]] = {}
    if workflow_spec.release_token is ReleaseTokenMode.APP:
        assert settings.release_app_client_id is not None  # the settings require it
        variables[ReleaseVariable.RELEASE_APP_CLIENT_ID] = settings.release_app_client_id
        if release_secrets.app_private_key is not None:
            secrets[ReleaseSecret.RELEASE_APP_PRIVATE_KEY] = release_secrets.app_private_key
    if release_secrets.slack_webhook is not None:
        secrets[EnvironmentSecret.SLACK_WEBHOOK_URL] = release_secrets.slack_webhook
    return DeploymentEnvironment(
        "npm-environment",
        DeploymentEnvironmentArgs(
            repository=application.repository,
            environment=workflow_spec.npm_environment,
            variables=variables,
            secrets=secrets,
            repository_plan=application.repository_plan,
        ),
    )
