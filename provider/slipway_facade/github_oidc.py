"""``GithubOidc`` for every Pulumi language, delegating to the Python API's own."""

from typing import Any, NotRequired, TypedDict

import pulumi

import slipway
from slipway.github_oidc import ProviderOwnership
from slipway_facade.args import typed_args


class RepositoryIds(TypedDict):
    """The immutable numeric IDs GitHub puts into a repository's immutable subjects."""

    owner_id: int
    """ID of the owning organisation or user (``repository_owner_id`` claim)."""
    repository_id: int
    """ID of the repository (``repository_id`` claim)."""


class DeployRole(TypedDict):
    """Arguments of :meth:`GithubOidc.deploy_role`: one environment of the application."""

    name: str
    """Names the role's children: ``<component>-<name>`` (the role) and
    ``<component>-<name>-policy``; 1 to 32 lower-case letters, digits and '-'. Also the role's key
    in ``deployRoleArns``."""
    repository: str
    """``owner/name`` of the application repository, exactly as GitHub spells it (the ``sub`` claim
    is compared case-sensitively)."""
    environment: str
    """GitHub deployment environment whose jobs may assume the role."""
    ecr_repository_arn: pulumi.Input[str]
    """The stack's ECR repository: push, pull and read image metadata."""
    ecs_service_arn: pulumi.Input[str]
    """The stack's ECS service (long ARN format, ``service/<cluster>/<name>``): describe and
    update; also fixes the region and account of the task definition family."""
    task_family: pulumi.Input[str]
    """Task definition family the deploy registers revisions in."""
    task_role_arn: pulumi.Input[str]
    """Task role the registered task definitions name: the only role besides the execution role the
    deploy may pass, and only to ECS tasks."""
    execution_role_arn: pulumi.Input[str]
    """Execution role the registered task definitions name."""
    image_channel_parameter_arn: pulumi.Input[str]
    """SSM parameter of the image channel: read and write that one parameter."""
    repository_ids: NotRequired[RepositoryIds]
    """The repository's owner and repository IDs (:func:`read_repository`); required unless
    ``subject_format`` is ``name``. Default: none."""
    subject_format: NotRequired[slipway.SubjectFormat]
    """Subjects the role trusts (:class:`SubjectFormat`). Default: immutable."""
    permissions_boundary_arn: NotRequired[pulumi.Input[str]]
    """Permissions boundary of the role. Default: none."""
    tags: NotRequired[dict[str, str]]
    """Tags for the role. Default: none."""


class GithubOidcArgs(TypedDict):
    """Arguments of :class:`GithubOidc`."""

    existing_provider_arn: NotRequired[pulumi.Input[str]]
    """ARN of the account's GitHub OIDC provider when it exists already (:func:`provider_arn`):
    referenced, or adopted with ``provider_ownership`` ``adopt`` (then a plain string: it is the
    import ID). Default: none, this component creates the provider (only one stack per AWS
    account may)."""
    provider_ownership: NotRequired[ProviderOwnership]
    """How this stack holds the provider (:class:`ProviderOwnership`). Default: ``reference`` with
    ``existing_provider_arn``, else ``create``."""
    infrastructure_repository: NotRequired[str]
    """``owner/name`` of the infrastructure repository whose pipeline gets a preview role (and an
    apply role with ``infrastructure_environments``), exactly as GitHub spells it. Default:
    none, no infrastructure roles."""
    infrastructure_repository_ids: NotRequired[RepositoryIds]
    """The infrastructure repository's owner and repository IDs (:func:`read_repository`); required
    unless ``infrastructure_subject_format`` is ``name``. Default: none."""
    infrastructure_subject_format: NotRequired[slipway.SubjectFormat]
    """Subjects the infrastructure roles trust (:class:`SubjectFormat`). Default: immutable."""
    infrastructure_environments: NotRequired[list[str]]
    """GitHub environments of the infrastructure repository whose jobs may assume the apply role
    (give them required reviewers). Default: none, so no apply role."""
    drift_environment: NotRequired[str]
    """GitHub environment of the infrastructure repository whose jobs (the scheduled drift check)
    may also assume the read-only preview role: a scheduled run has no pull request subject.
    An empty string: only pull requests may. Ignored with ``preview_environments``. Default:
    ``infra-drift``."""
    preview_environments: NotRequired[list[str]]
    """GitHub environments of the infrastructure repository whose jobs, and only theirs, may assume
    the preview role; the ``pull_request`` subject is then not trusted at all. A preview runs
    the pull request's code and decrypts the stack's config secrets, so whoever can run a job
    that assumes the role can read them: give the environment required reviewers where the
    secrets matter (prod), and no branch limit (pull requests come from any branch); a drift
    environment limited to the default branch. Default: none, the ``pull_request`` subject and
    ``drift_environment`` (any same-repository pull request)."""
    preview_policy_arns: NotRequired[list[str]]
    """Managed policies of the preview role: ARNs, or names of AWS managed policies (their ARNs are
    built in the stack's partition). Default: AWS's ``ReadOnlyAccess``: a ``pulumi preview
    --refresh`` reads the configuration of every resource type the program manages (key
    policies, role policies, parameters by path), which ``ViewOnlyAccess`` does not cover. Its
    data reads are cut back by an explicit deny (:data:`PREVIEW_DENIED_DATA_READS`, S3 objects
    outside ``state_bucket_arn``). Write policies are refused."""
    apply_policy_arns: NotRequired[list[str]]
    """Managed policies of the apply role. Default: ``AdministratorAccess``, because the stack
    creates IAM roles, KMS keys and networks; narrow it with ``permissions_boundary_arn``."""
    permissions_boundary_arn: NotRequired[pulumi.Input[str]]
    """Permissions boundary for the preview and apply roles. Default: none."""
    state_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key of the Pulumi secrets provider (and state bucket). Both infrastructure roles may
    decrypt with it; the apply role may also encrypt. Default: none."""
    state_bucket_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key the state bucket's objects are encrypted with (SSE-KMS), when it is not
    ``state_key_arn``: both infrastructure roles may decrypt with it, and the apply role
    encrypt. Default: none."""
    state_bucket_arn: NotRequired[pulumi.Input[str]]
    """S3 bucket of a self-managed Pulumi backend: the preview role may read its objects and no
    other bucket's. Default: none (Pulumi Cloud backend), so the preview role reads no S3
    object."""
    protect: NotRequired[bool]
    """Protect the provider and retain it if it leaves the program: every GitHub role of the
    account depends on it. On in prod. Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for the provider and every role. Default: none."""
    deploy_roles: NotRequired[list[DeployRole]]
    """Deploy roles, one per application environment (what the Python API's ``deploy_role``
    makes). Default: none."""


def _deploy_role_args(role: DeployRole) -> Any:
    fields = {key: value for key, value in role.items() if key != "name"}
    return typed_args(slipway.DeployRoleArgs, fields, _IDS)


def _repository_ids(ids: RepositoryIds) -> slipway.RepositoryIds:
    return slipway.RepositoryIds(**ids)


_IDS: dict[str, Any] = {
    "repository_ids": _repository_ids,
    "infrastructure_repository_ids": _repository_ids,
}


class GithubOidc(pulumi.ComponentResource):
    """GitHub Actions' OIDC provider in this account, and the roles GitHub jobs assume."""

    provider_arn: pulumi.Output[str]
    """ARN of the OIDC provider (created or given)."""
    preview_role_arn: pulumi.Output[str] | None
    """ARN of the infrastructure repository's preview role; absent without one."""
    preview_role_name: pulumi.Output[str] | None
    """Name of the preview role; absent without one."""
    apply_role_arn: pulumi.Output[str] | None
    """ARN of the infrastructure repository's apply role; absent without one."""
    apply_role_name: pulumi.Output[str] | None
    """Name of the apply role; absent without one."""
    deploy_role_arns: pulumi.Output[dict[str, str]]
    """Each of ``deployRoles``' names to its role's ARN (for ``AWS_DEPLOY_ROLE_ARN``)."""

    def __init__(
        self, name: str, args: GithubOidcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:GithubOidc", name, None, opts)
        given = {key: value for key, value in args.items() if key != "deploy_roles"}
        inner = slipway.GithubOidc(
            name,
            typed_args(
                slipway.GithubOidcArgs,
                given,
                {**_IDS, "drift_environment": lambda environment: environment or None},
            ),
            pulumi.ResourceOptions(parent=self),
        )
        roles = {
            role["name"]: inner.deploy_role(role["name"], _deploy_role_args(role)).arn
            for role in args.get("deploy_roles", [])
        }
        self.provider_arn = inner.provider_arn
        self.preview_role_arn = inner.preview_role_arn
        self.preview_role_name = inner.preview_role_name
        self.apply_role_arn = inner.apply_role_arn
        self.apply_role_name = inner.apply_role_name
        self.deploy_role_arns = pulumi.Output.all(**roles).apply(dict)
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "preview_role_name": self.preview_role_name,
                "apply_role_arn": self.apply_role_arn,
                "apply_role_name": self.apply_role_name,
                "deploy_role_arns": self.deploy_role_arns,
            }
        )
