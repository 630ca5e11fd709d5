"""``GithubOidc``: GitHub Actions' OIDC identity provider and the roles its jobs assume.

* The provider (``https://token.actions.githubusercontent.com``, audience ``sts.amazonaws.com``)
  is created, or referenced with ``existing_provider_arn``: IAM allows one provider per URL per
  account, so when several stacks share an account exactly one of them owns it.
* :meth:`GithubOidc.deploy_role`: one role per GitHub deployment environment of the application
  repository, trusted only for that environment of that repository and allowed exactly what
  the generated ``docker.yml``/``deploy.yml`` do, nothing else.
* With ``infrastructure_repository``: a read-only preview role for that repository's pull
  requests (through ``preview_environments`` only, when given: a preview runs the pull
  request's code with the stack's secrets, so the environments decide who may) and an apply
  role for its deployment environments.

Every trust policy checks ``aud`` AND ``sub`` with ``StringEquals``: a trust policy that checks
only ``aud`` can be assumed from any repository on GitHub. Pull requests from forks get no OIDC
token at all, so a preview of a fork's pull request cannot use the preview role.

Subjects (:class:`SubjectFormat`). GitHub issues immutable subjects,
``repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:ENV``, to repositories created or renamed on or
after 2026-07-15, and to older repositories that opt in; older repositories keep the name-only
``repo:OWNER/REPO:environment:ENV`` until then. The numeric IDs never change and are never
reused, so an immutable subject cannot be minted by whoever later registers a deleted or
renamed owner's or repository's name. Sources: GitHub changelog 2026-04-23 "Immutable subject
claims for GitHub Actions OIDC tokens"
(https://github.blog/changelog/2026-04-23-immutable-subject-claims-for-github-actions-oidc-tokens);
GitHub Docs "OpenID Connect", section "Immutable subject claims"
(https://docs.github.com/en/actions/concepts/security/openid-connect; text proposed in
github/docs#45221: "The immutable ID is appended to each name with an ``@`` delimiter",
``repo:octocat@123456/my-repo@456789:ref:refs/heads/main``). The IDs are read through the
GitHub provider (:func:`read_repository`), so the trusted subject is built from the same
numbers GitHub puts into the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_github as github

from slipway.errors import ConfigError, invalid, require
from slipway.iam import Statement, allow, aws_managed_policy_arn, policy_document
from slipway.patterns import ECR_REPOSITORY_ARN, ECS_NAME, REPOSITORY_SLUG
from slipway.patterns import KMS_KEY_OR_ALIAS_ARN as KMS_KEY_ARN
from slipway.registry import PUSH_ACTIONS

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
AUDIENCE_KEY = f"{GITHUB_OIDC_HOST}:aud"
SUBJECT_KEY = f"{GITHUB_OIDC_HOST}:sub"
MAX_SESSION_SECONDS = 3600
"""Deploy jobs time out after 30 minutes by default; one hour is the shortest IAM allows."""

READ_ONLY_ACCESS = "ReadOnlyAccess"
ADMINISTRATOR_ACCESS = "AdministratorAccess"
"""AWS managed policies by name: their ARNs are built in the stack's partition
(:func:`slipway.iam.aws_managed_policy_arn`)."""
WRITE_MANAGED_POLICIES = frozenset({ADMINISTRATOR_ACCESS, "PowerUserAccess", "IAMFullAccess"})
"""AWS managed policies a preview role must never get: pull requests would gain write access."""


class ProviderOwnership(StrEnum):
    """How a stack holds the account's GitHub OIDC provider (IAM allows one per URL)."""

    CREATE = "create"
    """This stack creates the provider: the account has none yet."""
    ADOPT = "adopt"
    """The account already has the provider (made by hand, another tool or an older stack):
    this stack imports it on its next ``up`` and owns it from then on. Its audiences and
    thumbprints stay as they are (other teams' roles may rely on them); it is protected and
    retained, so removing the stack leaves it in place."""
    REFERENCE = "reference"
    """Another stack or team owns the provider: this stack only trusts it."""


PREVIEW_DENIED_DATA_READS = (
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PartiQLSelect",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:StartLiveTail",
    "logs:StartQuery",
    "secretsmanager:GetSecretValue",
)
"""Data reads that ``ReadOnlyAccess`` grants and a preview never needs (table items, log
contents, secret values). Object reads in S3 are denied separately, except for the state bucket."""
S3_OBJECT_READS = ("s3:GetObject", "s3:GetObjectVersion")

ENVIRONMENT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
"""GitHub environment names Slipway accepts: no ``*``, ``?``, ``:`` or ``/``, so the name is
literal inside ``repo:<owner>/<repo>:environment:<name>``."""
ROLE_PART = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
PROVIDER_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST) + "$"
)
MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy/[\w+=,.@/-]+$")
AWS_MANAGED_POLICY_NAME = re.compile(r"^[\w+=,.@-]+(?:/[\w+=,.@-]+)*$")
"""An AWS managed policy by name (``ReadOnlyAccess``, ``service-role/…``)."""
AWS_MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?P<path>.+)$")


def aws_managed_name(policy: str) -> str | None:
    """The name of ``policy`` if AWS manages it (given by name or by ARN), else None."""
    if AWS_MANAGED_POLICY_NAME.match(policy):
        return policy
    match = AWS_MANAGED_POLICY_ARN.match(policy)
    return match["path"] if match else None


ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
ECS_SERVICE_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service/[^/]+/[^/]+$")
SSM_PARAMETER_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$")
S3_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$")


class SubjectFormat(StrEnum):
    """Which form of the ``sub`` claim a trust policy accepts for one repository."""

    IMMUTABLE = "immutable"
    """``repo:OWNER@OWNER_ID/REPO@REPO_ID:…``: what GitHub issues to repositories created or
    renamed on or after 2026-07-15 and to older ones that opted in. The default."""
    NAME = "name"
    """``repo:OWNER/REPO:…``: the name-only subject of older repositories that have not opted
    in. Whoever registers the name after a deletion or rename could mint it."""
    BOTH = "both"
    """Either form: the window of a no-downtime migration (trust both, switch the repository to
    immutable subjects, then trust ``immutable`` only). Carries the risk of ``name``."""


class OwnerType(StrEnum):
    """The kind of account that owns a repository: decides how its numeric ID is read."""

    ORGANIZATION = "organization"
    USER = "user"


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass(frozen=True)
class RepositoryIds:
    """The immutable numeric IDs GitHub puts into a repository's immutable subjects."""

    owner_id: int
    """ID of the owning organisation or user (``repository_owner_id`` claim)."""
    repository_id: int
    """ID of the repository (``repository_id`` claim)."""

    def __post_init__(self) -> None:
        problems = [
            invalid(f"RepositoryIds.{name}", value, "a GitHub ID: a whole number above 0")
            for name, value in (("owner_id", self.owner_id), ("repository_id", self.repository_id))
            if not _is_id(value)
        ]
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True)
class GithubRepositoryFacts:
    """What GitHub says about a repository (:func:`read_repository`)."""

    full_name: str
    """``owner/name`` as GitHub spells it."""
    ids: RepositoryIds
    """Its owner's and its own immutable IDs."""
    visibility: str
    """``public``, ``private`` or ``internal``."""


def subject_prefixes(
    repository: str, ids: RepositoryIds | None, subject_format: SubjectFormat
) -> list[str]:
    """``repo:…`` parts of the subjects ``repository`` (``owner/name``) may present, immutable
    form first. ``ids`` is needed unless ``subject_format`` is ``name``."""
    owner, name = repository.split("/", 1)
    prefixes = []
    if subject_format is not SubjectFormat.NAME:
        if ids is None:
            raise ConfigError(
                invalid("repository_ids", None, f"the IDs of {repository} for {subject_format}")
            )
        prefixes.append(f"repo:{owner}@{ids.owner_id}/{name}@{ids.repository_id}")
    if subject_format is not SubjectFormat.IMMUTABLE:
        prefixes.append(f"repo:{repository}")
    return prefixes


def environment_subjects(
    repository: str,
    environment: str,
    ids: RepositoryIds | None = None,
    subject_format: SubjectFormat = SubjectFormat.IMMUTABLE,
) -> list[str]:
    """OIDC ``sub`` values of a job that runs in ``environment`` of ``repository``."""
    return [
        f"{prefix}:environment:{environment}"
        for prefix in subject_prefixes(repository, ids, subject_format)
    ]


def pull_request_subjects(
    repository: str,
    ids: RepositoryIds | None = None,
    subject_format: SubjectFormat = SubjectFormat.IMMUTABLE,
) -> list[str]:
    """OIDC ``sub`` values of a ``pull_request`` job of ``repository`` (same-repository
    branches only; GitHub gives pull requests from forks no token)."""
    return [
        f"{prefix}:pull_request" for prefix in subject_prefixes(repository, ids, subject_format)
    ]


def read_repository(
    repository: str,
    owner_type: OwnerType,
    setting: str,
    owner_type_setting: str = "owner_type",
    opts: pulumi.InvokeOptions | None = None,
) -> GithubRepositoryFacts:
    """Read ``repository``'s IDs and visibility through the GitHub provider, synchronously.

    Call it before registering any resource: a repository the provider cannot read, or one
    spelled differently from GitHub's spelling (subjects compare case-sensitively), stops the
    program with a :class:`ConfigError` naming ``setting`` (``owner_type_setting`` when the
    owner's ID is not a number). The repository ID is
    ``get_repository(...).repo_id``; the owner's is the ID of ``get_organization`` (with
    ``summary_only``, so no member or repository lists are fetched) or ``get_user``, which the
    provider sets to the account's numeric ID.
    """
    found = github.get_repository(full_name=repository, opts=opts)
    if not _is_id(found.repo_id) or not found.full_name:
        raise ConfigError(
            invalid(
                setting,
                repository,
                "a repository the GitHub provider's credentials can read (GitHub answered that "
                "it does not exist or is not visible to them)",
            )
        )
    if found.full_name != repository:
        raise ConfigError(
            invalid(
                setting,
                repository,
                f"the repository exactly as GitHub spells it now, {found.full_name!r}: OIDC "
                "subjects compare case-sensitively, and a renamed repository gets new ones",
            )
        )
    owner = repository.split("/", 1)[0]
    # A failing invoke is the provider's error (for a personal account read as an organisation:
    # "GET https://api.github.com/orgs/<login>: 404 Not Found"); Pulumi reports it itself.
    if owner_type is OwnerType.ORGANIZATION:
        owner_id = github.get_organization(name=owner, summary_only=True, opts=opts).id
    else:
        owner_id = github.get_user(username=owner, opts=opts).id
    if not str(owner_id).isdigit():
        raise ConfigError(
            invalid(
                owner_type_setting,
                owner_type.value,
                f"the kind of account {owner!r} is, with a numeric ID (the provider answered "
                f"{owner_id!r})",
            )
        )
    return GithubRepositoryFacts(
        full_name=found.full_name,
        ids=RepositoryIds(owner_id=int(owner_id), repository_id=int(found.repo_id)),
        visibility=found.visibility,
    )


def provider_arn(partition: str, account_id: str) -> str:
    """The ARN of GitHub's OIDC provider in an account: IAM names it after the URL's host."""
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def github_trust_policy(provider_arn: pulumi.Input[str], subjects: Sequence[str]) -> Any:
    """Trust policy for GitHub OIDC: the audience AND a subject, matched exactly. Each subject
    gets a statement of its own, so every statement names exactly one repository context."""
    return policy_document(
        [
            {
                "Sid": "GithubActionsOidc" if index == 0 else f"GithubActionsOidc{index}",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {AUDIENCE_KEY: STS_AUDIENCE, SUBJECT_KEY: subject},
                },
            }
            for index, subject in enumerate(subjects)
        ]
    )


def _is_output(value: object) -> bool:
    return isinstance(value, pulumi.Output)


def _check_arn(
    problems: list[str], setting: str, value: object, pattern: re.Pattern[str], allowed: str
) -> None:
    if value is None or _is_output(value):
        return
    if not (isinstance(value, str) and pattern.match(value)):
        problems.append(invalid(setting, value, allowed))


def _check_slug(problems: list[str], setting: str, value: str) -> None:
    if not REPOSITORY_SLUG.match(value):
        problems.append(
            invalid(
                setting,
                value,
                "owner/name of a GitHub repository (letters, digits, '-', '.', '_'; no wildcards)",
            )
        )


def _check_subject_format(
    problems: list[str], prefix: str, subject_format: object, ids: object
) -> None:
    """``<prefix>subject_format`` is a :class:`SubjectFormat`; ``<prefix>repository_ids`` is
    given whenever the format includes immutable subjects."""
    if not isinstance(subject_format, SubjectFormat):
        problems.append(
            invalid(
                prefix + "subject_format",
                subject_format,
                "a SubjectFormat member: "
                + ", ".join(f"SubjectFormat.{f.name}" for f in SubjectFormat),
            )
        )
    elif subject_format is not SubjectFormat.NAME and not isinstance(ids, RepositoryIds):
        problems.append(
            invalid(
                prefix + "repository_ids",
                ids,
                f"the owner and repository IDs (RepositoryIds, read with read_repository) "
                f"when {prefix}subject_format is {subject_format.value!r}: GitHub's immutable "
                "subjects name them; subject_format 'name' trusts name-only subjects instead",
            )
        )


def _check_environments(problems: list[str], setting: str, values: Sequence[str]) -> None:
    bad = [v for v in values if not ENVIRONMENT_NAME.match(v)]
    if bad or len(set(values)) != len(values):
        problems.append(
            invalid(
                setting,
                list(values),
                "distinct GitHub environment names of 1 to 255 letters, digits, '.', '_' and '-'",
            )
        )


@dataclass(frozen=True)
class GithubOidcArgs:
    """Arguments of :class:`GithubOidc`."""

    existing_provider_arn: pulumi.Input[str] | None = None
    """ARN of the account's GitHub OIDC provider when it exists already (:func:`provider_arn`):
    referenced, or adopted with ``provider_ownership`` ``adopt`` (then a plain string: it is
    the import ID). Default: none, this component creates the provider (only one stack per AWS
    account may)."""
    provider_ownership: ProviderOwnership | None = None
    """How this stack holds the provider (:class:`ProviderOwnership`). Default: ``reference``
    with ``existing_provider_arn``, else ``create``."""
    infrastructure_repository: str | None = None
    """``owner/name`` of the infrastructure repository whose pipeline gets a preview role (and an
    apply role with ``infrastructure_environments``), exactly as GitHub spells it. Default:
    none, no infrastructure roles."""
    infrastructure_repository_ids: RepositoryIds | None = None
    """The infrastructure repository's owner and repository IDs (:func:`read_repository`);
    required unless ``infrastructure_subject_format`` is ``name``."""
    infrastructure_subject_format: SubjectFormat = SubjectFormat.IMMUTABLE
    """Subjects the infrastructure roles trust (:class:`SubjectFormat`). Default: immutable."""
    infrastructure_environments: Sequence[str] = ()
    """GitHub environments of the infrastructure repository whose jobs may assume the apply role
    (give them required reviewers). Default: none, so no apply role."""
    drift_environment: str | None = "infra-drift"
    """GitHub environment of the infrastructure repository whose jobs (the scheduled drift
    check) may also assume the read-only preview role: a scheduled run has no pull request
    subject. None: only pull requests may. Ignored with ``preview_environments``."""
    preview_environments: Sequence[str] = ()
    """GitHub environments of the infrastructure repository whose jobs, and only theirs, may
    assume the preview role; the ``pull_request`` subject is then not trusted at all. A
    preview runs the pull request's code and decrypts the stack's config secrets, so whoever
    can run a job that assumes the role can read them: give the environment required
    reviewers where the secrets matter (prod), and no branch limit (pull requests come from
    any branch); a drift environment limited to the default branch. Default: none, the
    ``pull_request`` subject and ``drift_environment`` (any same-repository pull request)."""
    preview_policy_arns: Sequence[str] = (READ_ONLY_ACCESS,)
    """Managed policies of the preview role: ARNs, or names of AWS managed policies (their ARNs
    are built in the stack's partition). Default: AWS's ``ReadOnlyAccess``: a ``pulumi
    preview --refresh`` reads the configuration of every resource type the program manages
    (key policies, role policies, parameters by path), which ``ViewOnlyAccess`` does not cover.
    Its data reads are cut back by an explicit deny (:data:`PREVIEW_DENIED_DATA_READS`, S3
    objects outside ``state_bucket_arn``). Write policies are refused."""
    apply_policy_arns: Sequence[str] = (ADMINISTRATOR_ACCESS,)
    """Managed policies of the apply role. Default: ``AdministratorAccess``, because the stack
    creates IAM roles, KMS keys and networks; narrow it with ``permissions_boundary_arn``."""
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """Permissions boundary for the preview and apply roles. Default: none."""
    state_key_arn: pulumi.Input[str] | None = None
    """KMS key of the Pulumi secrets provider (and state bucket). Both infrastructure roles may
    decrypt with it; the apply role may also encrypt. Default: none."""
    state_bucket_key_arn: pulumi.Input[str] | None = None
    """KMS key the state bucket's objects are encrypted with (SSE-KMS), when it is not
    ``state_key_arn``: both infrastructure roles may decrypt with it, and the apply role
    encrypt. Default: none."""
    state_bucket_arn: pulumi.Input[str] | None = None
    """S3 bucket of a self-managed Pulumi backend: the preview role may read its objects and no
    other bucket's. Default: none (Pulumi Cloud backend), so the preview role reads no S3 object."""
    protect: bool = False
    """Protect the provider and retain it if it leaves the program: every GitHub role of the
    account depends on it. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the provider and every role."""

    @property
    def ownership(self) -> ProviderOwnership:
        """``provider_ownership``, or what ``existing_provider_arn`` implies."""
        if self.provider_ownership is not None:
            return ProviderOwnership(self.provider_ownership)
        if self.existing_provider_arn is None:
            return ProviderOwnership.CREATE
        return ProviderOwnership.REFERENCE

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "GithubOidcArgs."
        _check_arn(
            problems,
            name + "existing_provider_arn",
            self.existing_provider_arn,
            PROVIDER_ARN,
            f"arn:<partition>:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}",
        )
        known = {o.value for o in ProviderOwnership}
        if self.provider_ownership is not None and self.provider_ownership not in known:
            problems.append(
                invalid(
                    name + "provider_ownership", self.provider_ownership, f"one of {sorted(known)}"
                )
            )
            ownership = None
        else:
            ownership = self.ownership
        if ownership is not None and (ownership is ProviderOwnership.CREATE) == (
            self.existing_provider_arn is not None
        ):
            problems.append(
                invalid(
                    name + "existing_provider_arn",
                    self.existing_provider_arn,
                    "none when the provider is created; the provider's ARN to adopt or "
                    "reference it",
                )
            )
        elif ownership is ProviderOwnership.ADOPT and not isinstance(
            self.existing_provider_arn, str
        ):
            problems.append(
                invalid(
                    name + "existing_provider_arn",
                    self.existing_provider_arn,
                    "a plain string to adopt the provider (it is the import ID)",
                )
            )
        if self.infrastructure_repository is not None:
            _check_slug(
                problems, name + "infrastructure_repository", self.infrastructure_repository
            )
            _check_subject_format(
                problems,
                name + "infrastructure_",
                self.infrastructure_subject_format,
                self.infrastructure_repository_ids,
            )
        else:
            for setting, value in (
                ("infrastructure_environments", list(self.infrastructure_environments)),
                ("infrastructure_repository_ids", self.infrastructure_repository_ids),
            ):
                if value:
                    problems.append(
                        invalid(name + setting, value, "only with infrastructure_repository")
                    )
        _check_environments(
            problems, name + "infrastructure_environments", self.infrastructure_environments
        )
        if self.drift_environment is not None:
            _check_environments(problems, name + "drift_environment", [self.drift_environment])
        _check_environments(problems, name + "preview_environments", self.preview_environments)
        for setting, arns in (
            ("preview_policy_arns", self.preview_policy_arns),
            ("apply_policy_arns", self.apply_policy_arns),
        ):
            if not arns or not all(
                MANAGED_POLICY_ARN.match(a) or AWS_MANAGED_POLICY_NAME.match(a) for a in arns
            ):
                problems.append(
                    invalid(
                        name + setting,
                        list(arns),
                        "one or more IAM managed policy ARNs or names of AWS managed policies",
                    )
                )
        writes = sorted(
            policy
            for policy in self.preview_policy_arns
            if aws_managed_name(policy) in WRITE_MANAGED_POLICIES
        )
        if writes:
            problems.append(
                invalid(
                    name + "preview_policy_arns",
                    writes,
                    "read-only policies: pull requests must never get write access",
                )
            )
        _check_arn(
            problems,
            name + "permissions_boundary_arn",
            self.permissions_boundary_arn,
            MANAGED_POLICY_ARN,
            "an IAM managed policy ARN",
        )
        for setting in ("state_key_arn", "state_bucket_key_arn"):
            _check_arn(
                problems, name + setting, getattr(self, setting), KMS_KEY_ARN, "a KMS key ARN"
            )
        _check_arn(
            problems,
            name + "state_bucket_arn",
            self.state_bucket_arn,
            S3_BUCKET_ARN,
            "an S3 bucket ARN",
        )
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True)
class DeployRoleArgs:
    """Arguments of :meth:`GithubOidc.deploy_role`: one environment of the application."""

    repository: str
    """``owner/name`` of the application repository, exactly as GitHub spells it (the ``sub``
    claim is compared case-sensitively)."""
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
    """Task role the registered task definitions name: the only role besides the execution role
    the deploy may pass, and only to ECS tasks."""
    execution_role_arn: pulumi.Input[str]
    """Execution role the registered task definitions name."""
    image_channel_parameter_arn: pulumi.Input[str]
    """SSM parameter of the image channel: read and write that one parameter."""
    repository_ids: RepositoryIds | None = None
    """The repository's owner and repository IDs (:func:`read_repository`); required unless
    ``subject_format`` is ``name``."""
    subject_format: SubjectFormat = SubjectFormat.IMMUTABLE
    """Subjects the role trusts (:class:`SubjectFormat`). Default: immutable."""
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """Permissions boundary of the role. Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the role."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "DeployRoleArgs."
        _check_slug(problems, name + "repository", self.repository)
        _check_environments(problems, name + "environment", [self.environment])
        _check_subject_format(problems, name, self.subject_format, self.repository_ids)
        for setting, value, pattern, allowed in (
            ("ecr_repository_arn", self.ecr_repository_arn, ECR_REPOSITORY_ARN, "an ECR ARN"),
            (
                "ecs_service_arn",
                self.ecs_service_arn,
                ECS_SERVICE_ARN,
                "an ECS service ARN in the long format (service/<cluster>/<service>)",
            ),
            ("task_family", self.task_family, ECS_NAME, "letters, digits, '_' and '-'"),
            ("task_role_arn", self.task_role_arn, ROLE_ARN, "an IAM role ARN"),
            ("execution_role_arn", self.execution_role_arn, ROLE_ARN, "an IAM role ARN"),
            (
                "image_channel_parameter_arn",
                self.image_channel_parameter_arn,
                SSM_PARAMETER_ARN,
                "an SSM parameter ARN",
            ),
            (
                "permissions_boundary_arn",
                self.permissions_boundary_arn,
                MANAGED_POLICY_ARN,
                "an IAM managed policy ARN",
            ),
        ):
            _check_arn(problems, name + setting, value, pattern, allowed)
        if problems:
            raise ConfigError(problems)


def _task_definition_arn_pattern(service_arn: str, family: str) -> str:
    """``arn:…:ecs:<region>:<account>:task-definition/<family>:*`` next to ``service_arn``."""
    prefix, _ = service_arn.split(":service/", 1)
    return f"{prefix}:task-definition/{family}:*"


def _service_child_arn_pattern(service_arn: str, kind: str) -> str:
    """``arn:…:ecs:<region>:<account>:<kind>/<cluster>/<service>/*``: the service deployments
    (``kind`` ``service-deployment``) or revisions (``service-revision``) of ``service_arn``."""
    prefix, path = service_arn.split(":service/", 1)
    return f"{prefix}:{kind}/{path}/*"


SERVICE_DEPLOYMENT_READS = (
    "ecs:ListServiceDeployments",
    "ecs:DescribeServiceDeployments",
    "ecs:DescribeServiceRevisions",
)
"""What ``deploy.yml`` calls to find and follow its service deployment."""


def deploy_statements(args: DeployRoleArgs) -> list[Statement]:
    """Permissions of a deploy role: what ``docker.yml`` and ``deploy.yml`` call, scoped.

    * ``EcrLogin``: ``ecr:GetAuthorizationToken`` has no resource-level permissions, so ``*``.
    * ``EcrPushPull``: push, pull and ``DescribeImages`` on the stack's repository only.
    * ``EcsDescribeTaskDefinitions``: ``ecs:DescribeTaskDefinition`` has no resource-level
      permissions, so ``*`` (it reveals task definitions, never secrets' values).
    * ``EcsRegisterTaskDefinitions``: ``ecs:RegisterTaskDefinition`` on ``*``. ECS documents
      no resource-level permissions for task definitions (aws/containers-roadmap#929 is still
      open), so a family ARN risks an AccessDenied deploy; no condition key names the family.
      What a registered revision can do is bounded by ``EcsPassRoles``, and the service only
      runs revisions of its own family (``EcsDeployService``).
    * ``EcsTagNewTaskDefinitions``: ``ecs:TagResource`` on the family's revisions, and only as
      part of ``RegisterTaskDefinition`` (``ecs:CreateAction``), in case tags are sent.
    * ``EcsDescribeService`` and ``EcsDeployService``: the stack's service only; the update must
      name a revision of the family (``ecs:task-definition``), so the service cannot be pointed
      at another application's task definition. The workflow always passes a full ARN.
    * ``EcsFollowDeployments``: :data:`SERVICE_DEPLOYMENT_READS`, to find the service
      deployment an update started and follow it by ARN, on the service, its service
      deployments and its service revisions only (``service-deployment/<cluster>/<service>/*``,
      ``service-revision/<cluster>/<service>/*``). The Service Authorization Reference lists
      ``service*`` and ``service-deployment*`` (``service-revision*``) as the resource types of
      the two Describe actions and ``service*`` for the List action; AWS's own least-privilege
      example names the same three ARNs ("Permissions required for viewing Amazon ECS service
      deployments",
      https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment-permissions.html).
    * ``EcsStopDeployment``: ``ecs:StopServiceDeployment``, to roll back the job's deployment
      when it is cancelled, times out or fails after ECS called it successful
      (``stopType: ROLLBACK``), on the service's deployments only. The service ARN is listed
      too, as for ``DescribeServiceDeployments`` (the reference's row for this newer action
      could not be read offline; the service is the same one).
    * ``EcsPassRoles``: ``iam:PassRole`` on exactly the task and execution roles, only to ECS
      tasks (``iam:PassedToService``).
    * ``ImageChannel``: ``ssm:GetParameter`` and ``ssm:PutParameter`` on the one parameter.
    """
    task_definitions = pulumi.Output.all(
        pulumi.Output.from_input(args.ecs_service_arn),
        pulumi.Output.from_input(args.task_family),
    ).apply(lambda values: _task_definition_arn_pattern(str(values[0]), str(values[1])))
    service = pulumi.Output.from_input(args.ecs_service_arn)
    deployments = service.apply(
        lambda arn: _service_child_arn_pattern(str(arn), "service-deployment")
    )
    revisions = service.apply(lambda arn: _service_child_arn_pattern(str(arn), "service-revision"))
    return [
        allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
        allow("EcrPushPull", PUSH_ACTIONS, [args.ecr_repository_arn]),
        allow("EcsDescribeTaskDefinitions", ["ecs:DescribeTaskDefinition"], "*"),
        allow("EcsRegisterTaskDefinitions", ["ecs:RegisterTaskDefinition"], "*"),
        {
            **allow("EcsTagNewTaskDefinitions", ["ecs:TagResource"], [task_definitions]),
            "Condition": {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}},
        },
        allow("EcsDescribeService", ["ecs:DescribeServices"], [args.ecs_service_arn]),
        {
            **allow("EcsDeployService", ["ecs:UpdateService"], [args.ecs_service_arn]),
            "Condition": {"ArnLike": {"ecs:task-definition": task_definitions}},
        },
        allow(
            "EcsFollowDeployments",
            SERVICE_DEPLOYMENT_READS,
            [args.ecs_service_arn, deployments, revisions],
        ),
        allow(
            "EcsStopDeployment", ["ecs:StopServiceDeployment"], [args.ecs_service_arn, deployments]
        ),
        {
            **allow(
                "EcsPassRoles", ["iam:PassRole"], [args.task_role_arn, args.execution_role_arn]
            ),
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        allow(
            "ImageChannel",
            ["ssm:GetParameter", "ssm:PutParameter"],
            [args.image_channel_parameter_arn],
        ),
    ]


def _state_keys(args: GithubOidcArgs) -> list[pulumi.Input[str]]:
    """The secrets key and the state bucket's key, each once."""
    return [k for k in (args.state_key_arn, args.state_bucket_key_arn) if k is not None]


class GithubOidc(pulumi.ComponentResource):
    """GitHub Actions' OIDC provider in this account, and the roles GitHub jobs assume.

    Outputs:
        provider_arn: ARN of the OIDC provider (created or given).
        preview_role_arn: ARN of the infrastructure repository's preview role, or None.
        preview_role_name: Name of the preview role, or None.
        apply_role_arn: ARN of the infrastructure repository's apply role, or None.
        apply_role_name: Name of the apply role, or None.

    Deploy roles come from :meth:`deploy_role`, one per application environment.
    """

    TOKEN = "slipway:index:GithubOidc"

    provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str] | None
    preview_role_name: pulumi.Output[str] | None
    apply_role_arn: pulumi.Output[str] | None
    apply_role_name: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: GithubOidcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self._name_prefix = name
        self._tags = dict(args.tags)
        ownership = args.ownership
        if ownership is ProviderOwnership.REFERENCE:
            assert args.existing_provider_arn is not None
            self.provider_arn = pulumi.Output.from_input(args.existing_provider_arn)
        else:
            self.provider_arn = self._identity_provider(name, args, ownership).arn

        self.preview_role_arn = self.preview_role_name = None
        self.apply_role_arn = self.apply_role_name = None
        if args.infrastructure_repository is not None:
            preview = self._preview_role(args, args.infrastructure_repository)
            self.preview_role_arn, self.preview_role_name = preview.arn, preview.name
            if args.infrastructure_environments:
                apply = self._apply_role(args, args.infrastructure_repository)
                self.apply_role_arn, self.apply_role_name = apply.arn, apply.name

        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "preview_role_name": self.preview_role_name,
                "apply_role_arn": self.apply_role_arn,
                "apply_role_name": self.apply_role_name,
            }
        )

    def _identity_provider(
        self, name: str, args: GithubOidcArgs, ownership: ProviderOwnership
    ) -> aws.iam.OpenIdConnectProvider:
        """The provider this stack owns: created, or adopted with the ``import`` resource option.

        Adopting keeps the option for good: Pulumi imports a resource that is not in the stack's
        state yet and treats it like any other once it is (pulumi/pulumi,
        developer-docs/architecture/import.md, "import resource option"). The audiences and
        thumbprints of an adopted provider are ignored, so the import never rewrites what other
        teams' roles rely on; the provider is always protected and retained."""
        adopt = ownership is ProviderOwnership.ADOPT
        keep = adopt or args.protect
        return aws.iam.OpenIdConnectProvider(
            f"{name}-provider",
            url=GITHUB_OIDC_URL,
            client_id_lists=[STS_AUDIENCE],
            # No thumbprints: IAM verifies GitHub's certificate against its own trusted CAs
            # and ignores any thumbprint for this provider, so a list would only go stale.
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=keep,
                retain_on_delete=keep,
                import_=str(args.existing_provider_arn) if adopt else None,
                ignore_changes=["clientIdLists", "thumbprintLists"] if adopt else None,
            ),
        )

    def _role(
        self,
        part: str,
        description: str,
        subjects: Sequence[str],
        boundary: pulumi.Input[str] | None,
        tags: Mapping[str, str],
    ) -> aws.iam.Role:
        return aws.iam.Role(
            f"{self._name_prefix}-{part}",
            description=description,
            assume_role_policy=github_trust_policy(self.provider_arn, subjects),
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=boundary,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _attach(self, part: str, role: aws.iam.Role, policy_arns: Sequence[str]) -> None:
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        for index, policy in enumerate(policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{self._name_prefix}-{part}-managed-{index}",
                role=role.name,
                policy_arn=(
                    aws_managed_policy_arn(partition.partition, policy)
                    if AWS_MANAGED_POLICY_NAME.match(policy)
                    else policy
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _preview_role(self, args: GithubOidcArgs, repository: str) -> aws.iam.Role:
        ids, subject_format = args.infrastructure_repository_ids, args.infrastructure_subject_format
        if args.preview_environments:
            subjects = [
                subject
                for environment in args.preview_environments
                for subject in environment_subjects(repository, environment, ids, subject_format)
            ]
        else:
            subjects = pull_request_subjects(repository, ids, subject_format) + (
                environment_subjects(repository, args.drift_environment, ids, subject_format)
                if args.drift_environment
                else []
            )
        role = self._role(
            "preview",
            f"Read-only previews for pull requests of {repository}",
            subjects,
            args.permissions_boundary_arn,
            args.tags,
        )
        self._attach("preview", role, args.preview_policy_arns)
        object_reads: dict[str, Any] = {
            "Sid": "PreviewReadsNoOtherObjects",
            "Effect": "Deny",
            "Action": list(S3_OBJECT_READS),
        }
        if args.state_bucket_arn is None:
            object_reads["Resource"] = "*"
        else:
            object_reads["NotResource"] = [
                pulumi.Output.concat(args.state_bucket_arn, "/*"),
            ]
        statements: list[Statement] = [
            {
                "Sid": "PreviewReadsNoData",
                "Effect": "Deny",
                "Action": list(PREVIEW_DENIED_DATA_READS),
                "Resource": "*",
            },
            object_reads,
        ]
        aws.iam.RolePolicy(
            f"{self._name_prefix}-preview-limits",
            role=role.name,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
        keys = _state_keys(args)
        if keys:
            aws.iam.RolePolicy(
                f"{self._name_prefix}-preview-state-key",
                role=role.name,
                policy=policy_document([allow("StateKeyDecrypt", ["kms:Decrypt"], keys)]),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _apply_role(self, args: GithubOidcArgs, repository: str) -> aws.iam.Role:
        role = self._role(
            "apply",
            f"Applies the infrastructure from environments of {repository}",
            [
                subject
                for environment in args.infrastructure_environments
                for subject in environment_subjects(
                    repository,
                    environment,
                    args.infrastructure_repository_ids,
                    args.infrastructure_subject_format,
                )
            ],
            args.permissions_boundary_arn,
            args.tags,
        )
        self._attach("apply", role, args.apply_policy_arns)
        keys = _state_keys(args)
        if keys:
            aws.iam.RolePolicy(
                f"{self._name_prefix}-apply-state-key",
                role=role.name,
                policy=policy_document(
                    [
                        allow(
                            "StateKeyUse",
                            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                            keys,
                        )
                    ]
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def deploy_role(self, name: str, args: DeployRoleArgs) -> aws.iam.Role:
        """A role for the jobs of one GitHub environment, allowed :func:`deploy_statements`.

        ``name`` names the children: ``<component>-<name>`` (the role) and
        ``<component>-<name>-policy``; lower-case letters, digits and '-', at most 32.
        Returns the role (its ``arn`` goes into ``AWS_DEPLOY_ROLE_ARN``).
        """
        require(
            bool(ROLE_PART.match(name)),
            "GithubOidc.deploy_role.name",
            name,
            "1 to 32 lower-case letters, digits and '-'",
        )
        role = self._role(
            name,
            f"Deploys {args.repository} from its GitHub environment {args.environment}",
            environment_subjects(
                args.repository, args.environment, args.repository_ids, args.subject_format
            ),
            args.permissions_boundary_arn,
            {**self._tags, **args.tags},
        )
        aws.iam.RolePolicy(
            f"{self._name_prefix}-{name}-policy",
            role=role.name,
            policy=policy_document(deploy_statements(args)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role
