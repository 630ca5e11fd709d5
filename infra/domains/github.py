"""GitHub: the application repository as GitHub reports it, the CI roles GitHub Actions assumes
through OIDC, the stack's protected deployment environment, the infrastructure repository's
``infra-<env>`` environment, and the permissions boundary every role of the stack carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from infra.common import (
    CheckContext,
    ProfileTable,
    SettingsModel,
    component_rule,
    decision,
    key,
    optional,
)
from infra.domains.identity import StackIdentity
from slipway import ContainerRegistry
from slipway.contract import (
    EnvironmentSecret,
    EnvironmentVariable,
    InfraVariable,
    PreviewVariable,
)
from slipway.deployment_environment import (
    DEFAULT_BRANCH_PATTERNS,
    DEFAULT_TAG_PATTERNS,
    MAX_WAIT_TIMER_MINUTES,
    DeploymentEnvironment,
    DeploymentEnvironmentArgs,
    SecretName,
    VariableName,
    deploy_pattern_problems,
    reviewer_problems,
    wait_timer_problems,
)
from slipway.errors import ConfigError, invalid
from slipway.fargate_service import FargateService
from slipway.github_oidc import (
    S3_BUCKET_ARN,
    DeployRoleArgs,
    GithubOidc,
    GithubOidcArgs,
    GithubRepositoryFacts,
    OwnerType,
    ProviderOwnership,
    SubjectFormat,
    provider_arn,
    read_repository,
)
from slipway.github_plan import (
    ORGANIZATION_PLANS,
    PERSONAL_PLANS,
    GithubPlan,
    RepositoryPlan,
    Visibility,
)
from slipway.patterns import KMS_KEY_OR_ALIAS_ARN as KEY_ARN
from slipway.patterns import repository_slug_problems
from slipway.preview_access import PREVIEW_ENVIRONMENT
from slipway.preview_role import PreviewRoleArgs, PreviewRoles
from slipway.stack_boundary import AccountResource, StackBoundary, StackBoundaryArgs, bound_roles
from slipway.workflows.infra_pipeline import INFRA_ENVIRONMENT_PREFIX, InfraPipelineSpec


@dataclass(frozen=True)
class GithubProfile:
    """What the profile decides for the deployment environment."""

    require_reviewers: bool = decision("An environment without reviewers is refused")
    wait_timer_minutes: int = decision("Minutes a deploy waits after approval")
    admins_may_bypass: bool = decision(
        "`environmentAdminsBypass` may let administrators skip the approval"
    )
    infra_reviewers: bool = decision(
        "The infrastructure repository's `infra-<env>` environment requires `reviewers` and "
        "`reviewerTeams` before `pulumi up` (its administrators never bypass)"
    )


PROFILES = ProfileTable(
    dev=GithubProfile(
        require_reviewers=False, wait_timer_minutes=0, admins_may_bypass=True, infra_reviewers=False
    ),
    staging=GithubProfile(
        require_reviewers=False, wait_timer_minutes=0, admins_may_bypass=True, infra_reviewers=False
    ),
    prod=GithubProfile(
        require_reviewers=True, wait_timer_minutes=5, admins_may_bypass=False, infra_reviewers=True
    ),
)
INFRA_DEPLOY_BRANCHES = (InfraPipelineSpec.default_branch,)
"""Branches whose jobs may use an ``infra-<env>`` environment: the pipeline's ``pulumi up``
runs only on pushes to its default branch."""


class GithubSettings(SettingsModel):
    """GitHub: the repository's plan, OIDC and the deployment environment."""

    PROFILES = PROFILES

    github_infra_repository: Annotated[str | None, component_rule(repository_slug_problems)] = (
        Field(
            default=None,
            description="This infrastructure repository, `owner/name`, when its own pipeline "
            "should get CI roles. Default: none.",
        )
    )

    github_owner_type: OwnerType = Field(
        default=OwnerType.ORGANIZATION,
        description="Kind of account that owns `githubRepository` (and `githubInfraRepository`): "
        "Slipway reads the owner's numeric ID through the GitHub provider with "
        "`get_organization` or `get_user`.",
    )

    github_repository_visibility: Visibility = Field(
        default=Visibility.PUBLIC,
        description="Visibility of `githubRepository`, checked against what GitHub reports "
        "before anything is created. With `githubPlan` it decides what GitHub enforces: a "
        "private repository's required reviewers and wait timers only on `enterprise`, so a "
        "stack asking for them elsewhere is refused.",
    )

    github_plan: GithubPlan = Field(
        default=GithubPlan.FREE,
        description="GitHub plan of the repository's owner: `free`, `pro` (personal), `team` "
        "(organisation) or `enterprise` (Enterprise Cloud). Private repositories need `pro` "
        "or `team` for environments and rulesets, `enterprise` for required reviewers, wait "
        "timers and artifact attestations.",
    )

    github_code_scanning: bool | None = Field(
        default=None,
        description="Code scanning is available, so the generated workflows upload the image "
        "scan's SARIF report (the scan gates releases either way). Default: on for a public "
        "repository, off otherwise; a private repository needs `team` or `enterprise` with "
        "GitHub Code Security enabled.",
    )

    github_oidc_subject_format: SubjectFormat = Field(
        default=SubjectFormat.IMMUTABLE,
        description="OIDC subjects every CI role trusts. `immutable`: "
        "`repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:ENV`, what GitHub issues to "
        "repositories created or renamed on or after 2026-07-15 and to older ones that opted "
        "in; the IDs are read through the GitHub provider. `name`: the name-only "
        "`repo:OWNER/REPO:…` of older repositories (a recycled name could mint it). `both`: "
        "either, only while migrating (docs/deployment-guide.md#oidc-subjects).",
    )

    reviewers: list[str] = Field(
        default_factory=list,
        description="GitHub users who must approve a deploy to this environment.",
    )

    reviewer_teams: list[str] = Field(
        default_factory=list,
        description="GitHub teams (slugs) who may approve a deploy to this environment. "
        "GitHub allows six reviewers, users and teams together.",
    )

    require_reviewers: bool | None = Field(
        default=None,
        description="Refuse an environment without reviewers.",
    )

    prevent_self_review: bool = Field(
        default=True,
        description="The person who started a deploy cannot approve it.",
    )

    wait_timer_minutes: Annotated[int | None, component_rule(wait_timer_problems)] = Field(
        default=None,
        description="Minutes a deploy waits after approval before it starts (0 to "
        f"{MAX_WAIT_TIMER_MINUTES}).",
    )

    environment_admins_bypass: bool = Field(
        default=False,
        description="Repository admins may skip the environment's protection rules. Refused "
        "in prod.",
    )

    deploy_branch_patterns: Annotated[list[str], component_rule(deploy_pattern_problems)] = Field(
        default_factory=lambda: list(DEFAULT_BRANCH_PATTERNS),
        description="Branches (GitHub glob patterns) allowed to deploy to this environment: "
        "by default `main` and the release lines the release workflow creates "
        "(`release/1.4.x`, `release/@scope/pkg@1.4.x`), where hotfixes are released.",
    )

    deploy_tag_patterns: Annotated[list[str], component_rule(deploy_pattern_problems)] = Field(
        default_factory=lambda: list(DEFAULT_TAG_PATTERNS),
        description="Tags (GitHub glob patterns, e.g. `v*`) allowed to deploy to this environment: "
        "by default the release tags (`v1.4.2`, `pkg@1.4.2`, `@scope/pkg@1.4.2`), which only the "
        "release identity may create. The image build environment (the first of "
        "`workflowEnvironments`) must admit them: a rebuild (`gh workflow run docker.yml --ref "
        "v1.4.2 -f version=1.4.2`) runs from the tag in that environment.",
    )

    state_bucket_arn: Annotated[
        str | None, optional(S3_BUCKET_ARN, "an S3 bucket ARN (arn:<partition>:s3:::<bucket>)")
    ] = Field(
        default=None,
        description="Bucket of the self-managed Pulumi state (bootstrap/): the preview role "
        "may read it.",
    )

    state_key_arn: Annotated[str | None, optional(KEY_ARN, "a KMS key or alias ARN")] = Field(
        default=None,
        description="KMS key of this stack's Pulumi secrets provider: its own key from "
        "bootstrap/'s `stacks` (alias/slipway/<app>/<environment>), which only this stack's "
        "roles may use; the preview and apply roles may use it.",
    )

    state_bucket_key_arn: Annotated[str | None, optional(KEY_ARN, "a KMS key or alias ARN")] = (
        Field(
            default=None,
            description="KMS key of the state bucket's objects (bootstrap/'s shared key), when "
            "`stateKeyArn` is the stack's own secrets key: the preview and apply roles may use "
            "it.",
        )
    )

    @property
    def repository_plan(self) -> RepositoryPlan:
        """The application repository's visibility and its owner's plan."""
        return RepositoryPlan(
            Visibility(self.github_repository_visibility), GithubPlan(self.github_plan)
        )

    @property
    def code_scanning(self) -> bool:
        """Effective ``githubCodeScanning``: as set, or on exactly for public repositories."""
        if self.github_code_scanning is not None:
            return self.github_code_scanning
        return self.repository_plan.public

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings, for the stack's environment."""
        problems = reviewer_problems(
            self.reviewers, self.reviewer_teams, (key("reviewers"), key("reviewer_teams"))
        )
        if self.by_profile("require_reviewers") and not (self.reviewers or self.reviewer_teams):
            problems.append(
                self.invalid(
                    "reviewers",
                    f"at least one reviewer or reviewer team: the {self.profile.value} "
                    "environment requires approval",
                )
            )
        problems.extend(self._plan_problems(context.environment))
        if self.environment_admins_bypass and not self.decided().admins_may_bypass:
            problems.append(
                self.invalid(
                    "environment_admins_bypass",
                    f"false in {self.profile.value}: admins do not skip approval",
                )
            )
        return problems

    def _plan_problems(self, environment: str) -> list[str]:
        """What the repository's visibility and plan cannot deliver (slipway.github_plan)."""
        problems: list[str] = []
        repository = self.repository_plan
        plan = repository.plan
        personal = self.github_owner_type is OwnerType.USER
        if plan not in (PERSONAL_PLANS if personal else ORGANIZATION_PLANS):
            kinds = PERSONAL_PLANS if personal else ORGANIZATION_PLANS
            problems.append(
                self.invalid(
                    "github_plan",
                    f"one of {sorted(k.value for k in kinds)} for a repository owned by "
                    f"{'a user' if personal else 'an organisation'} (githubOwnerType "
                    f"{self.github_owner_type})",
                )
            )
        if repository.visibility is Visibility.INTERNAL and plan is not GithubPlan.ENTERPRISE:
            problems.append(
                self.invalid(
                    "github_repository_visibility",
                    f"public or private: internal repositories exist only on GitHub Enterprise "
                    f"(githubPlan is {plan.value})",
                )
            )
        elif not repository.environments:
            problems.append(
                self.invalid(
                    "github_plan",
                    "pro, team or enterprise for a private repository: on GitHub Free a "
                    "private repository has no environments, environment secrets or rulesets, "
                    "which every stack writes (or make it public: githubRepositoryVisibility "
                    "public)",
                )
            )
        elif not repository.protection_rules:
            wait = self.by_profile("wait_timer_minutes")
            asks = []
            if self.reviewers or self.reviewer_teams:
                asks.append("required reviewers (reviewers, reviewerTeams)")
            if wait:
                asks.append(f"a {wait}-minute wait timer (waitTimerMinutes)")
            if asks:
                problems.append(
                    self.invalid(
                        "github_repository_visibility",
                        f"public, or githubPlan enterprise: the {environment} environment asks "
                        f"for {' and '.join(asks)}, which GitHub enforces on "
                        f"{repository.describe()} only with GitHub Enterprise, so its approval "
                        "gate would silently not exist. To run without the gate, say so: "
                        "reviewers [], reviewerTeams [], requireReviewers false, "
                        "waitTimerMinutes 0",
                    )
                )
        if self.github_code_scanning and not repository.code_scanning_purchasable:
            problems.append(
                self.invalid(
                    "github_code_scanning",
                    f"false or unset: code scanning is not available on {repository.describe()} "
                    "(it needs a public repository, or team or enterprise with GitHub Code "
                    "Security)",
                )
            )
        return problems


def check_provider_owner(repository: str, infra_repository: str | None = None) -> None:
    """The GitHub provider's ``owner`` must be the application repository's owner, and the
    infrastructure repository (whose ``infra-<env>`` environment the stack writes) must have
    the same owner."""
    owner = pulumi.Config("github").get("owner")
    repository_owner = repository.split("/", 1)[0]
    infra_owner = infra_repository.split("/", 1)[0] if infra_repository else None
    if infra_owner is not None and infra_owner.lower() != repository_owner.lower():
        raise ConfigError(
            invalid(
                key("github_infra_repository"),
                infra_repository,
                f"a repository of {repository_owner}, the owner of slipway:githubRepository: "
                "the GitHub provider writes its infra environment with the same owner",
            )
        )
    if owner is not None and owner.lower() != repository_owner.lower():
        raise ConfigError(
            invalid(
                "github:owner",
                owner,
                f"the owner of slipway:githubRepository ({repository_owner}): the GitHub "
                "provider writes the environment and files there",
            )
        )


def read_repositories(
    settings: GithubSettings, repository: str
) -> tuple[GithubRepositoryFacts, GithubRepositoryFacts | None]:
    """What GitHub says about the application and infrastructure repositories (IDs, spelling,
    visibility), read before anything is registered: a repository the provider cannot read,
    or one spelled differently, stops the program before the first resource."""
    owner_type = OwnerType(settings.github_owner_type)
    owner_key = key("github_owner_type")
    application = read_repository(repository, owner_type, key("github_repository"), owner_key)
    infra = settings.github_infra_repository
    infrastructure = (
        read_repository(infra, owner_type, key("github_infra_repository"), owner_key)
        if infra is not None
        else None
    )
    if application.visibility != settings.github_repository_visibility:
        raise ConfigError(
            invalid(
                key("github_repository_visibility"),
                settings.github_repository_visibility,
                f"{application.visibility!r}, what GitHub reports for {application.full_name}: "
                "the visibility decides which protections GitHub enforces",
            )
        )
    return application, infrastructure


@dataclass(frozen=True)
class DeliveryTargets:
    """What the deploy role may change and the environment's variables describe."""

    registry: ContainerRegistry
    service: FargateService
    health_check_path: str
    slack_webhook: pulumi.Output[str] | None


def build_boundary(
    identity: StackIdentity,
    owned: frozenset[AccountResource],
    record_names: tuple[str, ...] = (),
    record_zone_id: str | None = None,
    shared_environments: tuple[str, ...] = (),
) -> StackBoundary:
    """The stack's permissions boundary (``<app>-<env>-ci-boundary``), given to every IAM role
    the stack registers from here on, each named ``<app>-<env>-…``
    (:func:`slipway.stack_boundary.bound_roles`). ``record_names``: the DNS names whose
    records the stack changes, in hosted zone ``record_zone_id``; ``shared_environments``: the
    other ``slipway:environment`` values it may tag (``preview`` for the preview base's owner).
    Call it before any other
    domain builds: the boundary refuses to create a role without itself."""
    boundary = StackBoundary(
        "boundary",
        StackBoundaryArgs(
            app=identity.app,
            environment=identity.environment,
            owned_account_resources=owned,
            record_names=record_names,
            record_zone_id=record_zone_id,
            shared_environments=shared_environments,
            tags=identity.tags,
        ),
    )
    pulumi.runtime.register_stack_transformation(
        bound_roles(boundary.policy_arn, identity.resource_prefix)
    )
    return boundary


def build_infra_environment(
    settings: GithubSettings,
    identity: StackIdentity,
    infrastructure: GithubRepositoryFacts,
    apply_role_arn: pulumi.Input[str] | None,
) -> DeploymentEnvironment:
    """The infrastructure repository's ``infra-<env>`` environment, the only one whose jobs may
    assume the apply role: deployments only from the pipeline's default branch, administrators
    never bypass, and in the profiles that say so (``infra_reviewers``) the stack's reviewers.
    It holds the apply role's ARN for the pipeline's ``pulumi up`` job.

    Where GitHub would not enforce reviewers (a private infrastructure repository below
    Enterprise), none are set and the plan warns: the apply role stays under the boundary, but
    nobody approves its ``pulumi up``."""
    plan = RepositoryPlan(Visibility(infrastructure.visibility), GithubPlan(settings.github_plan))
    gated = bool(settings.decided().infra_reviewers)
    if gated and not plan.protection_rules:
        gated = False
        pulumi.log.warn(
            f"{INFRA_ENVIRONMENT_PREFIX}{identity.environment} of {infrastructure.full_name} has "
            f"no required reviewers: GitHub does not enforce them on {plan.describe()} "
            "(make the repository public or use GitHub Enterprise); its pulumi up runs unapproved"
        )
    return DeploymentEnvironment(
        "github-infra-environment",
        DeploymentEnvironmentArgs(
            repository=infrastructure.full_name,
            environment=f"{INFRA_ENVIRONMENT_PREFIX}{identity.environment}",
            reviewers=tuple(settings.reviewers) if gated else (),
            reviewer_teams=tuple(settings.reviewer_teams) if gated else (),
            require_reviewers=gated and bool(settings.by_profile("require_reviewers")),
            prevent_self_review=settings.prevent_self_review,
            can_admins_bypass=False,
            deploy_branch_patterns=INFRA_DEPLOY_BRANCHES,
            variables={
                **({InfraVariable.AWS_INFRA_ROLE_ARN: apply_role_arn} if apply_role_arn else {}),
                InfraVariable.APPLICATION_REPOSITORY: identity.repository.split("/", 1)[1],
            },
            repository_plan=plan,
        ),
    )


def preview_environments(
    settings: GithubSettings, identity: StackIdentity, infrastructure: GithubRepositoryFacts
) -> tuple[str, ...]:
    """The infrastructure repository's environments whose jobs may assume this stack's
    preview role: its drift environment (default branch only) and, unless the stack's
    preview must be approved and GitHub would not enforce that, its preview environment.

    A preview runs the pull request's code with the stack's config secrets. Where the profile
    gates the infra environment with reviewers (prod), the preview environment gets the same
    reviewers; where GitHub does not enforce reviewers (a private repository below
    Enterprise) no pull request may assume the role, so the stack is previewed with the
    offline plan only, and the plan warns."""
    spec = InfraPipelineSpec()
    drift = spec.drift_environment(identity.environment)
    if _preview_gated(settings) and not _infra_plan(settings, infrastructure).protection_rules:
        pulumi.log.warn(
            f"{spec.preview_environment(identity.environment)} of {infrastructure.full_name} "
            "cannot have required reviewers on this plan, so pull requests do not preview "
            f"{identity.environment} with its role (its secrets would reach every pull "
            "request's author): the offline plan (make plan) is its preview"
        )
        return (drift,)
    return (spec.preview_environment(identity.environment), drift)


def _preview_gated(settings: GithubSettings) -> bool:
    return bool(settings.decided().infra_reviewers)


def _infra_plan(settings: GithubSettings, infrastructure: GithubRepositoryFacts) -> RepositoryPlan:
    return RepositoryPlan(Visibility(infrastructure.visibility), GithubPlan(settings.github_plan))


def build_preview_environments(
    settings: GithubSettings,
    identity: StackIdentity,
    infrastructure: GithubRepositoryFacts,
    environments: tuple[str, ...],
    preview_role_arn: pulumi.Input[str],
) -> list[DeploymentEnvironment]:
    """The stack's preview and drift environments of the infrastructure repository, each
    holding the stack's own preview role's ARN. The drift environment is limited to the
    default branch; the preview environment takes pull requests from any branch, with the
    stack's reviewers where the profile gates previews (prod)."""
    spec = InfraPipelineSpec()
    plan = _infra_plan(settings, infrastructure)
    gated = _preview_gated(settings)
    built = []
    for environment in environments:
        drift = environment.startswith(spec.drift_environment_prefix)
        kind = "drift" if drift else "preview"
        reviewed = gated and not drift
        built.append(
            DeploymentEnvironment(
                f"github-infra-{kind}-environment",
                DeploymentEnvironmentArgs(
                    repository=infrastructure.full_name,
                    environment=environment,
                    reviewers=tuple(settings.reviewers) if reviewed else (),
                    reviewer_teams=tuple(settings.reviewer_teams) if reviewed else (),
                    require_reviewers=reviewed and bool(settings.by_profile("require_reviewers")),
                    prevent_self_review=settings.prevent_self_review,
                    can_admins_bypass=False,
                    deploy_branch_patterns=INFRA_DEPLOY_BRANCHES if drift else (),
                    variables={
                        InfraVariable.AWS_PREVIEW_ROLE_ARN: preview_role_arn,
                        InfraVariable.APPLICATION_REPOSITORY: identity.repository.split("/", 1)[1],
                    },
                    repository_plan=plan,
                ),
            )
        )
    return built


@dataclass(frozen=True)
class PreviewTargets:
    """What the ``preview`` environment's variables point at: the preview base and the owner
    stack's cluster and network."""

    listener_arn: pulumi.Input[str]
    domain: str
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    provider_arn: pulumi.Input[str]
    """The account's GitHub OIDC provider (the preview role trusts it)."""
    repository_url: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    """The previews' own ECR repository (the preview base's ``<app>-previews``): the
    environment's ``ECR_REPOSITORY_URL``, pushed to by the preview role, pulled from by the
    execution role, with GHCR too."""
    ttl_hours: int
    """A preview's lifetime after its last push (``slipway:previewTtlHours``), the same number
    the base's images' lifecycle rule is built from: ``PREVIEW_TTL_HOURS``."""


def build_preview_environment(
    settings: GithubSettings,
    identity: StackIdentity,
    application: GithubRepositoryFacts,
    targets: PreviewTargets,
    boundary_arn: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The application repository's ``preview`` environment (docs/previews.md), holding what
    ``preview.yml`` reads (:class:`slipway.contract.PreviewVariable`). Its jobs run on pull
    requests, from any branch of the repository (forks get no ``pull_request`` run with this
    environment's variables and no OIDC token), so no branch policy; no reviewers, because
    a preview must come up without anyone's approval. Built only by the stack that owns
    previews. With it, the preview role and its execution role
    (:class:`slipway.preview_role.PreviewRoles`), whose ARN is the environment's
    ``AWS_DEPLOY_ROLE_ARN``."""
    account = aws.get_caller_identity_output()
    roles = PreviewRoles(
        "preview-roles",
        PreviewRoleArgs(
            repository=identity.repository,
            provider_arn=targets.provider_arn,
            app=identity.app,
            cluster_name=targets.cluster_name,
            listener_arn=targets.listener_arn,
            repository_arn=targets.repository_arn,
            repository_ids=application.ids,
            subject_format=SubjectFormat(settings.github_oidc_subject_format),
            permissions_boundary_arn=boundary_arn,
            tags=identity.tags,
        ),
    )
    subnets = pulumi.Output.from_input(targets.subnet_ids).apply(",".join)
    variables: dict[VariableName, pulumi.Input[str]] = {
        EnvironmentVariable.AWS_REGION: identity.region,
        EnvironmentVariable.AWS_ACCOUNT_ID: account.account_id,
        EnvironmentVariable.AWS_DEPLOY_ROLE_ARN: roles.role_arn,
        EnvironmentVariable.ECR_REPOSITORY_URL: targets.repository_url,
        PreviewVariable.PREVIEW_APP: identity.app,
        PreviewVariable.PREVIEW_DOMAIN: targets.domain,
        PreviewVariable.PREVIEW_LISTENER_ARN: targets.listener_arn,
        PreviewVariable.PREVIEW_CLUSTER: targets.cluster_name,
        PreviewVariable.PREVIEW_VPC_ID: targets.vpc_id,
        PreviewVariable.PREVIEW_SUBNETS: subnets,
        PreviewVariable.PREVIEW_SECURITY_GROUPS: targets.security_group_id,
        PreviewVariable.PREVIEW_EXECUTION_ROLE_ARN: roles.execution_role_arn,
        PreviewVariable.PREVIEW_TTL_HOURS: str(targets.ttl_hours),
    }
    environment = DeploymentEnvironment(
        "github-preview-environment",
        DeploymentEnvironmentArgs(
            repository=identity.repository,
            environment=PREVIEW_ENVIRONMENT,
            deploy_branch_patterns=(),
            variables=variables,
            repository_plan=settings.repository_plan,
        ),
    )
    return {
        "previewEnvironment": environment.environment,
        "previewRoleArn": roles.role_arn,
        "previewExecutionRoleArn": roles.execution_role_arn,
    }


def existing_provider_arn(ownership: ProviderOwnership, account: Any) -> pulumi.Input[str] | None:
    """The ARN of the account's GitHub OIDC provider when this stack does not create it. To
    adopt it, the ARN is the import ID, a plain string: read synchronously, before any
    resource registers."""
    if ownership is ProviderOwnership.CREATE:
        return None
    if ownership is ProviderOwnership.ADOPT:
        return provider_arn(aws.get_partition().partition, aws.get_caller_identity().account_id)
    partition = aws.get_partition_output().partition
    return pulumi.Output.all(partition, account.account_id).apply(
        lambda values: provider_arn(values[0], values[1])
    )


def build(
    settings: GithubSettings,
    identity: StackIdentity,
    repositories: tuple[GithubRepositoryFacts, GithubRepositoryFacts | None],
    oidc_provider: ProviderOwnership,
    targets: DeliveryTargets,
    boundary_arn: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The OIDC provider (or a reference to the account's), the CI roles under
    ``boundary_arn``, the stack's deployment environment and, with an infrastructure
    repository, its ``infra-<env>`` environment; their outputs."""
    account = aws.get_caller_identity_output()
    infra = settings.github_infra_repository
    application, infrastructure = repositories
    subject_format = SubjectFormat(settings.github_oidc_subject_format)
    registry, service = targets.registry, targets.service
    previews = preview_environments(settings, identity, infrastructure) if infrastructure else ()
    oidc = GithubOidc(
        "github-oidc",
        GithubOidcArgs(
            existing_provider_arn=existing_provider_arn(oidc_provider, account),
            provider_ownership=oidc_provider,
            infrastructure_repository=infra,
            infrastructure_repository_ids=infrastructure.ids if infrastructure else None,
            infrastructure_subject_format=subject_format,
            infrastructure_environments=(
                (f"{INFRA_ENVIRONMENT_PREFIX}{identity.environment}",) if infra else ()
            ),
            preview_environments=previews,
            permissions_boundary_arn=boundary_arn,
            state_bucket_arn=settings.state_bucket_arn,
            state_key_arn=settings.state_key_arn,
            state_bucket_key_arn=settings.state_bucket_key_arn,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )
    deploy_role = oidc.deploy_role(
        "deploy",
        DeployRoleArgs(
            repository=identity.repository,
            environment=identity.environment,
            repository_ids=application.ids,
            subject_format=subject_format,
            ecr_repository_arn=registry.repository_arn,
            ecs_service_arn=service.service_arn,
            task_family=service.task_family,
            task_role_arn=service.task_role_arn,
            execution_role_arn=service.execution_role_arn,
            image_channel_parameter_arn=service.image_channel.deployed_parameter_arn,
            permissions_boundary_arn=boundary_arn,
            tags=identity.tags,
        ),
    )
    variables: dict[VariableName, pulumi.Input[str]] = {
        EnvironmentVariable.AWS_REGION: identity.region,
        EnvironmentVariable.AWS_ACCOUNT_ID: account.account_id,
        EnvironmentVariable.AWS_DEPLOY_ROLE_ARN: deploy_role.arn,
        EnvironmentVariable.ECR_REPOSITORY_URL: registry.repository_url,
        EnvironmentVariable.ECS_CLUSTER: pulumi.Output.from_input(identity.resource_prefix),
        EnvironmentVariable.ECS_SERVICE: service.service_name,
        EnvironmentVariable.ECS_CONTAINER_NAME: service.container_name,
        EnvironmentVariable.ECS_TASK_FAMILY: service.task_family,
        EnvironmentVariable.ENVIRONMENT_URL: service.url,
        EnvironmentVariable.HEALTH_CHECK_PATH: targets.health_check_path,
        EnvironmentVariable.IMAGE_CHANNEL_PARAMETER: (
            service.image_channel.deployed_parameter_name
        ),
    }
    environment_secrets: dict[SecretName, pulumi.Input[str]] = {}
    if targets.slack_webhook is not None:
        environment_secrets[EnvironmentSecret.SLACK_WEBHOOK_URL] = targets.slack_webhook
    environment = DeploymentEnvironment(
        "github-environment",
        DeploymentEnvironmentArgs(
            repository=identity.repository,
            environment=identity.environment,
            reviewers=tuple(settings.reviewers),
            reviewer_teams=tuple(settings.reviewer_teams),
            require_reviewers=settings.by_profile("require_reviewers"),
            prevent_self_review=settings.prevent_self_review,
            wait_timer_minutes=settings.by_profile("wait_timer_minutes"),
            can_admins_bypass=settings.environment_admins_bypass,
            deploy_branch_patterns=tuple(settings.deploy_branch_patterns),
            deploy_tag_patterns=tuple(settings.deploy_tag_patterns),
            variables=variables,
            secrets=environment_secrets,
            repository_plan=settings.repository_plan,
        ),
    )
    outputs: dict[str, Any] = {
        "githubEnvironment": environment.environment,
        "deployRoleArn": deploy_role.arn,
        "githubOidcProviderArn": oidc.provider_arn,
    }
    if oidc.preview_role_arn is not None:
        outputs["infraPreviewRoleArn"] = oidc.preview_role_arn
    if oidc.apply_role_arn is not None:
        outputs["infraApplyRoleArn"] = oidc.apply_role_arn
    if boundary_arn is not None:
        outputs["permissionsBoundaryArn"] = boundary_arn
    if infrastructure is not None:
        outputs["infraEnvironment"] = build_infra_environment(
            settings, identity, infrastructure, oidc.apply_role_arn
        ).environment
        if oidc.preview_role_arn is not None:
            outputs["infraPreviewEnvironments"] = [
                environment.environment
                for environment in build_preview_environments(
                    settings, identity, infrastructure, previews, oidc.preview_role_arn
                )
            ]
    return outputs
