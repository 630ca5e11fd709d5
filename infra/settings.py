"""Typed, validated settings of one Slipway stack, read once from Pulumi config.

Every setting is a flat key in the ``slipway`` namespace (``slipway:logRetentionDays``), because
Pulumi's project-config schema types only strings, integers, booleans and arrays. This module is
the single source of the settings: the ``config:`` block of ``Pulumi.yaml`` and
``docs/configuration.md`` are rendered from it (``make docs``), and a test fails when either is
stale.

Secrets are not fields of the model. They are declared in :data:`SECRET_SETTINGS`, must be set
with ``pulumi config set --secret``, and are only ever read as secret Outputs through
:meth:`StackSecrets.get`.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args, get_origin

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from slipway.alerting import email_problems
from slipway.audit_trail import audit_retention_problems, trail_arn_problems
from slipway.backup import LOCK_MINIMUM_COOL_OFF_DAYS, cool_off_problems, resource_arn_problems
from slipway.bootstrap_image import build_context_problems
from slipway.cluster import capacity_base_problems, capacity_weight_problems
from slipway.deployment_environment import (
    DEFAULT_BRANCH_PATTERNS,
    MAX_WAIT_TIMER_MINUTES,
    reviewer_problems,
    wait_timer_problems,
)
from slipway.encryption_key import DELETION_WINDOW_DAYS, deletion_window_problems
from slipway.errors import ConfigError, invalid
from slipway.fargate_service import (
    MAX_TASKS,
    container_port_problems,
    desired_count_problems,
    env_name_problems,
    fargate_size_problems,
    secret_looking_problems,
    task_count_problems,
)
from slipway.github_plan import (
    ORGANIZATION_PLANS,
    PERSONAL_PLANS,
    GithubPlan,
    RepositoryPlan,
    Visibility,
)
from slipway.load_balancer import domain_name_problems
from slipway.logs import RETENTION_ALLOWED, retention_problems
from slipway.patterns import ACM_CERTIFICATE_ARN as CERTIFICATE_ARN
from slipway.patterns import CODE_OWNER, REPOSITORY_SLUG, region_problems
from slipway.patterns import KMS_KEY_OR_ALIAS_ARN as KEY_ARN
from slipway.registry import (
    keep_release_problems,
    pull_account_problems,
    release_tag_pattern_problems,
    untagged_expiry_problems,
)
from slipway.secret_store import recovery_window_problems
from slipway.workflows.pins import CHANGESETS_ACTION_FOR_CLI_MAJOR

NAMESPACE = "slipway"
PROD_MIN_LOG_DAYS = 90
"""Fewest days the prod profile keeps logs."""


NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$")
HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")
GLOB = re.compile(r"^[A-Za-z0-9._/*?\[\]{}!,+@-]+$")
BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
APP_CLIENT_ID = re.compile(r"^Iv(?:1\.[0-9a-f]{16}|[0-9A-Za-z]{10,40})$")
"""A GitHub App's client ID: ``Iv1.`` and 16 hex digits (older apps) or ``Iv23…``; not an
OAuth app's (``Ov23…``) and not the numeric App ID."""
GHCR_IMAGE = re.compile(r"^ghcr\.io/[a-z0-9-]+/[a-z0-9._/-]+$")
IMAGE_REFERENCE = re.compile(
    r"^[a-z0-9.-]+(?::\d+)?/[a-z0-9._/-]+(?::[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$"
)


InterfaceEndpoint = Literal[
    "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "kms", "sts", "monitoring"
]
"""Interface VPC endpoints Slipway knows how to place (service names without the region)."""


def _default_endpoints() -> list[InterfaceEndpoint]:
    return ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]


class Profile(StrEnum):
    """Guardrail profile: how cheap or how hardened a stack is."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


def _slug(value: str | None) -> str | None:
    if value is not None and not REPOSITORY_SLUG.match(value):
        raise ValueError(
            "a GitHub repository as owner/name (owner: letters, digits and single inner "
            "hyphens, at most 39; name: letters, digits, '.', '_', '-', at most 100)"
        )
    return value


def _name(value: str | None) -> str | None:
    if value is not None and not NAME.match(value):
        raise ValueError(
            "2 to 24 lower-case letters, digits and '-', starting with a letter, not ending "
            "with '-'"
        )
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(
            f"an IPv4 network in CIDR notation such as 10.20.0.0/16 ({error})"
        ) from None
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ValueError("a private IPv4 network (RFC 1918) with a prefix from /16 to /24")
    return value


def _cidrs(value: list[str]) -> list[str]:
    for item in value:
        try:
            ipaddress.IPv4Network(item, strict=True)
        except ValueError as error:
            raise ValueError(f"IPv4 networks in CIDR notation; {item!r}: {error}") from None
    return value


def _environment_names(value: list[str]) -> list[str]:
    bad = [v for v in value if not NAME.match(v) or v == "all"]
    if not value or bad or len(set(value)) != len(value):
        raise ValueError(
            f"one or more distinct environment names (lower case, not 'all'); not {bad or value}"
        )
    return value


def _code_owners(value: list[str]) -> list[str]:
    bad = [v for v in value if not CODE_OWNER.match(v)]
    if bad or len(set(value)) != len(value):
        raise ValueError(f"distinct '@user' or '@org/team' owners; not {bad or value}")
    return value


def _globs(value: list[str]) -> list[str]:
    bad = [
        v
        for v in value
        if not GLOB.match(v)
        or ".." in v
        or "@{" in v
        or v.startswith("/")
        or v.count("[") != v.count("]")
    ]
    if bad:
        raise ValueError(f"GitHub glob patterns such as main, release/* or v*; not {bad}")
    return value


def _changesets_major(value: int) -> int:
    if value not in CHANGESETS_ACTION_FOR_CLI_MAJOR:
        allowed = sorted(CHANGESETS_ACTION_FOR_CLI_MAJOR)
        raise ValueError(
            f"one of {allowed}: the release workflow splits versioning, packing and publishing "
            "with changesets/action v2's sub-actions, which need @changesets/cli 3"
        )
    return value


def _https_urls(value: list[str]) -> list[str]:
    bad = [v for v in value if not v.startswith("https://") or " " in v or "@" in v]
    if bad:
        raise ValueError(f"https:// URLs without credentials; not {bad}")
    return value


def _variable_names(value: list[str], setting: str) -> list[str]:
    """Upper-case environment variable names (the component's rule), each once."""
    problems = env_name_problems(value, setting, upper_case=True)
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        problems.append(invalid(setting, repeated, "each name once"))
    return problems


def _assignments(value: list[str], setting: str) -> list[str]:
    """``NAME=value`` entries whose names pass :func:`_variable_names`."""
    without_value = [v.split("=", 1)[0] for v in value if "=" not in v]
    if without_value:
        return [invalid(setting, without_value, "NAME=value entries with upper-case names")]
    return _variable_names([v.split("=", 1)[0] for v in value], setting)


def _on_demand_base(value: int, setting: str) -> list[str]:
    return capacity_base_problems(
        value,
        setting,
        maximum=MAX_TASKS,
        reason=f"a stack's service runs at most {MAX_TASKS} tasks",
    )


def _desired_count(value: int, setting: str) -> list[str]:
    return desired_count_problems(
        value,
        setting,
        minimum=1,
        reason="a stack's service runs at least one task: minCount and maxCount start from it",
    )


def _component_rule(check: Callable[[Any, str], list[str]]) -> Any:
    """Validate a field with a component's own rule, passing the config key as the name.

    ``check(value, setting)`` is the function the component itself calls (one home per rule);
    its problems already name the setting, so :func:`_describe` reports them as they are.
    ``None`` (unset, the profile decides) is not checked.
    """

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.field_name is not None:
            problems = check(value, key(info.field_name))
            if problems:
                raise ConfigError(problems)
        return value

    return AfterValidator(validate)


def _plain_environment(value: list[str], setting: str) -> list[str]:
    names = [entry.split("=", 1)[0] for entry in value]
    return secret_looking_problems(names, setting, instead=key("app_secrets"))


def _build_context(value: str, setting: str) -> list[str]:
    return build_context_problems(value, context_name=setting)


def _optional(pattern: re.Pattern[str], allowed: str) -> Any:
    def check(value: str | None) -> str | None:
        if value is not None and not pattern.match(value):
            raise ValueError(allowed)
        return value

    return AfterValidator(check)


def _health_path(value: str) -> str:
    if not HEALTH_PATH.match(value):
        raise ValueError("a URL path starting with '/', without spaces, query or fragment")
    return value


def profile_default(**values: Any) -> dict[str, Any]:
    """Marks a setting whose default depends on the profile (rendered in the docs)."""
    return {"profile_default": values}


class StackSettings(BaseModel):
    """All non-secret settings of one stack. Field aliases are the config keys."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )

    # --- identity -----------------------------------------------------------------------------
    profile: Profile = Field(
        description="Guardrail profile: `dev` is cheap, `prod` is hardened (protection, "
        "retention, redundancy). The settings below that say 'by profile' follow it."
    )
    environment: Annotated[str | None, AfterValidator(_name)] = Field(
        default=None,
        description="Name of the environment: the GitHub deployment environment and part of "
        "every AWS resource name. Default: the stack name.",
    )
    app_name: Annotated[str | None, AfterValidator(_name)] = Field(
        default=None,
        description="Short name of the application, the first part of every AWS resource "
        "name. Default: the application repository's name, lower-cased.",
    )
    github_repository: Annotated[str, AfterValidator(_slug)] = Field(
        description="The application's GitHub repository, `owner/name`. The three stacks "
        "usually share it.",
    )
    github_infra_repository: Annotated[str | None, AfterValidator(_slug)] = Field(
        default=None,
        description="This infrastructure repository, `owner/name`, when its own pipeline "
        "should get CI roles. Default: none.",
    )
    github_owner_type: Literal["organization", "user"] = Field(
        default="organization",
        description="Kind of account that owns `githubRepository` (and `githubInfraRepository`): "
        "Slipway reads the owner's numeric ID through the GitHub provider with "
        "`get_organization` or `get_user`.",
    )
    github_repository_visibility: Literal["public", "private", "internal"] = Field(
        default="public",
        description="Visibility of `githubRepository`, checked against what GitHub reports "
        "before anything is created. With `githubPlan` it decides what GitHub enforces: a "
        "private repository's required reviewers and wait timers only on `enterprise`, so a "
        "stack asking for them elsewhere is refused.",
    )
    github_plan: Literal["free", "pro", "team", "enterprise"] = Field(
        default="free",
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
    github_oidc_subject_format: Literal["immutable", "name", "both"] = Field(
        default="immutable",
        description="OIDC subjects every CI role trusts. `immutable`: "
        "`repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:ENV`, what GitHub issues to "
        "repositories created or renamed on or after 2026-07-15 and to older ones that opted "
        "in; the IDs are read through the GitHub provider. `name`: the name-only "
        "`repo:OWNER/REPO:…` of older repositories (a recycled name could mint it). `both`: "
        "either, only while migrating (docs/deployment-guide.md#oidc-subjects).",
    )

    # --- container registry -------------------------------------------------------------------
    registry_untagged_expiry_days: Annotated[int, _component_rule(untagged_expiry_problems)] = (
        Field(default=7, description="Untagged images expire this many days after push.")
    )
    registry_keep_release_images: Annotated[int, _component_rule(keep_release_problems)] = Field(
        default=30,
        description="How many release-tagged images the registry keeps; older ones expire. "
        "Rollback can reach back this far.",
    )
    registry_release_tag_patterns: Annotated[
        list[str], _component_rule(release_tag_pattern_problems)
    ] = Field(
        default_factory=lambda: ["*.*.*"],
        description="ECR tag patterns that mark release images. Default: semantic versions "
        "(`1.4.2`), as the generated docker workflow tags them.",
    )
    registry_pull_account_ids: Annotated[list[str], _component_rule(pull_account_problems)] = Field(
        default_factory=list,
        description="Other AWS accounts allowed to pull images (never push). Every other "
        "account is denied by the repository policy.",
    )

    # --- encryption and logs ------------------------------------------------------------------
    kms_deletion_window_days: Annotated[int, _component_rule(deletion_window_problems)] = Field(
        default=30,
        description="Days a scheduled deletion of a KMS key waits before the key is gone: "
        f"{DELETION_WINDOW_DAYS[0]} to {DELETION_WINDOW_DAYS[-1]}.",
    )
    log_retention_days: Annotated[int | None, _component_rule(retention_problems)] = Field(
        default=None,
        description=f"Retention of every log group, in days; {RETENTION_ALLOWED}. "
        f"By profile: dev 30, staging 90, prod 365; prod refuses less than {PROD_MIN_LOG_DAYS}.",
        json_schema_extra=profile_default(dev=30, staging=90, prod=365),
    )

    # --- network ------------------------------------------------------------------------------
    vpc_cidr: Annotated[str, AfterValidator(_cidr)] = Field(
        default="10.20.0.0/16",
        description="IPv4 range of the VPC, private (RFC 1918), /16 to /24. Give each stack "
        "its own range if they may ever be peered.",
    )
    reserved_cidrs: Annotated[list[str], AfterValidator(_cidrs)] = Field(
        default_factory=list,
        description="Networks the VPC must not overlap: other VPCs, VPNs, on-premises ranges. "
        "An overlap stops the program.",
    )
    az_count: int | None = Field(
        default=None,
        ge=2,
        le=3,
        description="Availability zones the VPC spans. By profile: dev 2, staging 2, prod 3.",
        json_schema_extra=profile_default(dev=2, staging=2, prod=3),
    )
    nat_strategy: Literal["none", "single", "per_az"] | None = Field(
        default=None,
        description="NAT gateways for the private subnets: `none` (VPC endpoints only), "
        "`single` or `per_az`. By profile: dev single, staging single, prod per_az.",
        json_schema_extra=profile_default(dev="single", staging="single", prod="per_az"),
    )
    vpc_interface_endpoints: list[InterfaceEndpoint] = Field(
        default_factory=_default_endpoints,
        description="Interface VPC endpoints in the private subnets: they keep image pulls, "
        "logs and secret reads off the NAT and off the internet.",
    )
    vpc_s3_gateway_endpoint: bool = Field(
        default=True,
        description="S3 gateway endpoint on the private route tables (free; ECR layers "
        "come from S3).",
    )
    flow_logs: bool | None = Field(
        default=None,
        description="VPC flow logs to CloudWatch Logs. By profile: dev off, staging on, prod on.",
        json_schema_extra=profile_default(dev=False, staging=True, prod=True),
    )
    encrypt_logs: bool | None = Field(
        default=None,
        description="Encrypt every log group with the stack's customer-managed key. By "
        "profile: dev off, staging on, prod on.",
        json_schema_extra=profile_default(dev=False, staging=True, prod=True),
    )

    # --- ECS cluster --------------------------------------------------------------------------
    container_insights: Literal["enhanced", "enabled", "disabled"] = Field(
        default="enhanced",
        description="Container Insights level of the cluster.",
    )
    capacity_on_demand_base: Annotated[int | None, _component_rule(_on_demand_base)] = Field(
        default=None,
        description="Tasks that always run on on-demand Fargate before the weights apply. "
        "By profile: dev 0, staging 1, prod 2.",
        json_schema_extra=profile_default(dev=0, staging=1, prod=2),
    )
    capacity_spot_weight: Annotated[int | None, _component_rule(capacity_weight_problems)] = Field(
        default=None,
        description="Weight of Fargate Spot against on-demand Fargate (weight 1) beyond the "
        "base. By profile: dev 3, staging 1, prod 0.",
        json_schema_extra=profile_default(dev=3, staging=1, prod=0),
    )
    execute_command: bool = Field(
        default=False,
        description="Allow `aws ecs execute-command` into tasks; every session is logged to "
        "an encrypted, retained log group.",
    )

    # --- service ------------------------------------------------------------------------------
    container_port: Annotated[int, _component_rule(container_port_problems)] = Field(
        default=3000,
        description="Port the application listens on: 1024 to 65535 (the container runs "
        "without root, so it cannot bind a lower port).",
    )
    health_check_path: Annotated[str, AfterValidator(_health_path)] = Field(
        default="/health",
        description="Path that answers 200 when the application is healthy; used by the "
        "load balancer, the container health check and the deploy workflow.",
    )
    task_cpu: int | None = Field(
        default=None,
        description="Task CPU units (256 = 0.25 vCPU), a Fargate size. By profile: dev 256, "
        "staging 512, prod 1024.",
        json_schema_extra=profile_default(dev=256, staging=512, prod=1024),
    )
    task_memory: int | None = Field(
        default=None,
        description="Task memory in MiB; must be a valid Fargate combination with "
        "`taskCpu`. By profile: dev 512, staging 1024, prod 2048.",
        json_schema_extra=profile_default(dev=512, staging=1024, prod=2048),
    )
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        default="X86_64",
        description="CPU architecture of the tasks. Fargate Spot runs only X86_64.",
    )
    desired_count: Annotated[int | None, _component_rule(_desired_count)] = Field(
        default=None,
        description="Tasks to run (the starting point when autoscaling is on). By profile: "
        "dev 1, staging 2, prod 3.",
        json_schema_extra=profile_default(dev=1, staging=2, prod=3),
    )
    autoscaling: bool | None = Field(
        default=None,
        description="Target tracking on CPU and requests per target; autoscaling then owns "
        "the task count. By profile: dev off, staging off, prod on.",
        json_schema_extra=profile_default(dev=False, staging=False, prod=True),
    )
    min_count: int | None = Field(
        default=None,
        description="Fewest tasks autoscaling may leave. Default: `desiredCount`.",
    )
    max_count: int | None = Field(
        default=None,
        description="Most tasks autoscaling may start. Default: four times `desiredCount`, at "
        "most 100.",
    )
    certificate_arn: Annotated[
        str | None,
        _optional(
            CERTIFICATE_ARN,
            "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
        ),
    ] = Field(
        default=None,
        description="ACM certificate for the HTTPS listener; HTTP then redirects to HTTPS. "
        "Required in staging and prod; without it dev serves plain HTTP and the plan says so.",
    )
    alarm_rollback: bool | None = Field(
        default=None,
        description="Roll a deployment back when its 5xx or unhealthy-host alarm fires. By "
        "profile: dev off, staging on, prod on. The circuit breaker is always on.",
        json_schema_extra=profile_default(dev=False, staging=True, prod=True),
    )
    ingress_cidrs: Annotated[list[str], AfterValidator(_cidrs)] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        description="Who may reach the load balancer on 80/443. The load balancer is the only "
        "thing that accepts traffic from outside the VPC.",
    )
    app_environment: Annotated[
        list[str], _component_rule(_assignments), _component_rule(_plain_environment)
    ] = Field(
        default_factory=list,
        description="Plain environment variables of the application, `NAME=value`. Never put "
        "secrets here: use `appSecrets`.",
    )
    app_secrets: Annotated[list[str], _component_rule(_variable_names)] = Field(
        default_factory=list,
        description="Secrets the application reads as environment variables. Each becomes a "
        "Secrets Manager secret created empty and filled outside Pulumi (`aws secretsmanager "
        "put-secret-value`), so its value never enters Pulumi state; see docs/secrets.md.",
    )

    # --- images -------------------------------------------------------------------------------
    image_source: Literal["ecr", "ghcr"] = Field(
        default="ecr",
        description="Where ECS pulls the application image: the stack's ECR repository, or "
        "GHCR through a read-only package token (`ghcrPullToken`).",
    )
    ghcr_image: Annotated[
        str | None, _optional(GHCR_IMAGE, "a GHCR image such as ghcr.io/acme-corp/storefront")
    ] = Field(
        default=None,
        description="GHCR image (without tag) to run when `imageSource` is `ghcr`.",
    )
    ghcr_username: str | None = Field(
        default=None,
        description="GitHub user or bot that owns `ghcrPullToken`. Required with GHCR.",
    )
    bootstrap_image: Annotated[
        str | None,
        _optional(IMAGE_REFERENCE, "an image reference with a tag or an @sha256 digest"),
    ] = Field(
        default=None,
        description="Image a brand-new environment runs until CI deploys. Default: the "
        "repository's `bootstrap` tag, or the image built from `bootstrapBuildContext`.",
    )
    bootstrap_build_context: Annotated[str | None, _component_rule(_build_context)] = Field(
        default=None,
        description="Local Docker context that `pulumi up` builds and pushes to ECR when the "
        "environment is new (pulumi-docker). Default: off.",
    )

    # --- alerting, audit trail ----------------------------------------------------------------
    alert_emails: Annotated[list[str], _component_rule(email_problems)] = Field(
        default_factory=list,
        description="E-mail addresses subscribed to the stack's alert topic (each confirms "
        "once by e-mail).",
    )
    alert_https_endpoints: Annotated[list[str], AfterValidator(_https_urls)] = Field(
        default_factory=list,
        description="HTTPS endpoints subscribed to the alert topic (AWS Chatbot, an "
        "incident tool's webhook).",
    )
    owns_account_resources: bool = Field(
        default=False,
        description="This stack creates the account-wide resources: the GitHub OIDC identity "
        "provider and the CloudTrail trail. Exactly one stack per AWS account sets it; the "
        "others reference them.",
    )
    existing_trail_arn: Annotated[str | None, _component_rule(trail_arn_problems)] = Field(
        default=None,
        description="An organisation or account trail that already records this account; the "
        "stack then creates no trail of its own.",
    )
    audit_retention_days: Annotated[int | None, _component_rule(audit_retention_problems)] = Field(
        default=None,
        description="Days the audit bucket keeps trail files. By profile: dev 91, staging "
        "365, prod 2557 (seven years).",
        json_schema_extra=profile_default(dev=91, staging=365, prod=2557),
    )
    audit_object_lock: bool | None = Field(
        default=None,
        description="Object-lock the audit bucket (governance mode, one year) so trail files "
        "cannot be altered or deleted. By profile: dev off, staging off, prod on.",
        json_schema_extra=profile_default(dev=False, staging=False, prod=True),
    )

    # --- backups ------------------------------------------------------------------------------
    backup_copy_region: Annotated[str | None, _component_rule(region_problems)] = Field(
        default=None,
        description="Second region every recovery point is copied to. Required in prod; must "
        "differ from `aws:region`.",
    )
    backup_vault_lock: Literal["none", "governance", "compliance"] | None = Field(
        default=None,
        description="Lock on the backup vaults. By profile: dev none, staging governance, prod "
        "compliance (immutable once the cool-off ends).",
        json_schema_extra=profile_default(dev="none", staging="governance", prod="compliance"),
    )
    backup_vault_lock_cool_off_days: Annotated[int | None, _component_rule(cool_off_problems)] = (
        Field(
            default=None,
            description="Days a compliance lock can still be removed; required with `compliance`. "
            "After it the lock, and every recovery point's retention, cannot be changed.",
        )
    )
    backup_resource_arns: Annotated[list[str], _component_rule(resource_arn_problems)] = Field(
        default_factory=list,
        description="ARNs of resources the backup plan takes besides those tagged "
        "`backup=<environment>` (an RDS cluster, an EFS file system…).",
    )
    data_bucket: bool = Field(
        default=False,
        description="An application data bucket (versioned, KMS-encrypted, TLS-only) that the "
        "task role may read and write, backed up with the plan.",
    )
    secrets_recovery_window_days: Annotated[
        int | None, _component_rule(recovery_window_problems)
    ] = Field(
        default=None,
        description="Days a deleted secret can be restored (0 or 7 to 30). By profile: dev 0 "
        "(so a rebuilt stack can reuse the names), staging 7, prod 30.",
        json_schema_extra=profile_default(dev=0, staging=7, prod=30),
    )

    # --- GitHub -------------------------------------------------------------------------------
    domain_name: Annotated[str | None, _component_rule(domain_name_problems)] = Field(
        default=None,
        description="Public name of the environment (covered by `certificateArn`); point a DNS "
        "alias at the load balancer (output `loadBalancerDnsName`). It makes the environment "
        "URL that GitHub shows and the deploy workflow probes. Required with a certificate.",
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
        description="Refuse an environment without reviewers. By profile: dev off, staging "
        "off, prod on.",
        json_schema_extra=profile_default(dev=False, staging=False, prod=True),
    )
    prevent_self_review: bool = Field(
        default=True,
        description="The person who started a deploy cannot approve it.",
    )
    wait_timer_minutes: Annotated[int | None, _component_rule(wait_timer_problems)] = Field(
        default=None,
        description="Minutes a deploy waits after approval before it starts (0 to "
        f"{MAX_WAIT_TIMER_MINUTES}). "
        "By profile: dev 0, staging 0, prod 5.",
        json_schema_extra=profile_default(dev=0, staging=0, prod=5),
    )
    environment_admins_bypass: bool = Field(
        default=False,
        description="Repository admins may skip the environment's protection rules. Refused "
        "in prod.",
    )
    deploy_branch_patterns: Annotated[list[str], AfterValidator(_globs)] = Field(
        default_factory=lambda: list(DEFAULT_BRANCH_PATTERNS),
        description="Branches (GitHub glob patterns) allowed to deploy to this environment: "
        "by default `main` and the release lines the release workflow creates "
        "(`release/1.4.x`, `release/@scope/pkg@1.4.x`), where hotfixes are released.",
    )
    deploy_tag_patterns: Annotated[list[str], AfterValidator(_globs)] = Field(
        default_factory=list,
        description="Tags (GitHub glob patterns, e.g. `v*`) allowed to deploy to this environment.",
    )
    owns_repository_resources: bool = Field(
        default=False,
        description="This stack manages the application repository's shared files and "
        "settings: the generated workflows (delivered as a pull request), the rulesets "
        "(default branch, release branches, release-branch creation, release tags), the `npm` "
        "release environment and the Actions permissions. "
        "Exactly one stack per repository sets it.",
    )
    required_approvals: int = Field(
        default=1,
        ge=1,
        le=6,
        description="Approving reviews a pull request to the default branch needs (owner stack).",
    )
    workflows_direct_commit: bool = Field(
        default=False,
        description="Commit the generated workflow files straight to the default branch "
        "instead of opening a pull request (owner stack). Branch protection usually refuses it.",
    )

    # --- generated workflows (owner stack) ----------------------------------------------------
    workflow_environments: Annotated[list[str], AfterValidator(_environment_names)] = Field(
        default_factory=lambda: ["dev", "staging", "prod"],
        description="GitHub environments the generated deploy workflow walks through, in "
        "order (owner stack). Each needs its own stack.",
    )
    npm_publish: Literal["trusted", "token", "none"] = Field(
        default="trusted",
        description="How the release workflow publishes to npm: trusted publishing (OIDC, "
        "provenance), an `NPM_TOKEN` secret in the `npm` environment, or not at all.",
    )
    release_token: Literal["app", "github-token"] = Field(
        default="app",
        description="Identity of the release jobs (owner stack). `app`: a GitHub App "
        "(`releaseAppId`, `releaseAppClientId`, its key in the release environment) opens the "
        "version pull request, so its checks run, and is the only actor the rulesets let "
        "create release branches and tags; workflows may not create or approve pull requests. "
        "`github-token`: the job's `GITHUB_TOKEN`, an explicit fallback: the version pull "
        "request runs no checks, workflows may create and approve pull requests, anyone with "
        "write access can create release branches and tags, and the plan warns.",
    )
    release_app_id: int | None = Field(
        default=None,
        ge=1,
        description="Numeric App ID of the release GitHub App (its settings page, 'App ID'): "
        "the rulesets' bypass actor. Required with `releaseToken: app` on the stack that owns "
        "repository resources; set only there.",
    )
    release_app_client_id: Annotated[
        str | None,
        _optional(
            APP_CLIENT_ID,
            "a GitHub App client ID (Iv1.<16 hex> or Iv23…), not the numeric App ID and not an "
            "OAuth app's (Ov…)",
        ),
    ] = Field(
        default=None,
        description="Client ID of the release GitHub App, written as the variable "
        "`RELEASE_APP_CLIENT_ID` of the release environment (`actions/create-github-app-token` "
        "`client-id`). Required with `releaseToken: app` on the owner stack; set only there.",
    )
    workflow_code_owners: Annotated[list[str], AfterValidator(_code_owners)] = Field(
        default_factory=list,
        description="Owners (`@user`, `@org/team`) of the generated release machinery: "
        "`.github/CODEOWNERS` is delivered with the workflows, naming them for `.github/`, the "
        "Dockerfile and the Changesets configuration, and the rulesets then require a code "
        "owner's review. Empty (the default): no CODEOWNERS, and the plan warns.",
    )
    changesets_cli_major: Annotated[int, AfterValidator(_changesets_major)] = Field(
        default=3,
        description="Major version of @changesets/cli the application uses; the release "
        "workflow picks the changesets/action major that matches it.",
    )

    # --- this repository's own CI -------------------------------------------------------------
    state_bucket_arn: Annotated[
        str | None, _optional(BUCKET_ARN, "an S3 bucket ARN (arn:aws:s3:::<bucket>)")
    ] = Field(
        default=None,
        description="Bucket of the self-managed Pulumi state (bootstrap/): the preview role "
        "may read it.",
    )
    state_key_arn: Annotated[str | None, _optional(KEY_ARN, "a KMS key or alias ARN")] = Field(
        default=None,
        description="KMS key of Pulumi's secrets provider (bootstrap/): the preview and apply "
        "roles may use it.",
    )

    # --- derived values -----------------------------------------------------------------------
    def by_profile(self, field_name: str) -> Any:
        """A setting's value: what the stack file says, or the profile's default."""
        value = getattr(self, field_name)
        if value is not None:
            return value
        extra = StackSettings.model_fields[field_name].json_schema_extra
        assert isinstance(extra, dict), field_name
        defaults = extra["profile_default"]
        assert isinstance(defaults, dict)
        return defaults[self.profile.value]

    @property
    def is_prod(self) -> bool:
        """True for the prod profile."""
        return self.profile is Profile.PROD

    @property
    def protect_stateful(self) -> bool:
        """Registries, keys, secrets and log groups are protected and retained in prod."""
        return self.is_prod

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

    @property
    def repository_owner(self) -> str:
        """Owner (organisation or user) of the application repository."""
        return self.github_repository.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """Name of the application repository, without the owner."""
        return self.github_repository.split("/", 1)[1]

    @property
    def app(self) -> str:
        """The application's short name."""
        if self.app_name is not None:
            return self.app_name
        cleaned = re.sub(r"[^a-z0-9]+", "-", self.repository_name.lower()).strip("-")
        return (cleaned or "app")[:24].rstrip("-")

    @property
    def env(self) -> str:
        """The environment name (always set once loaded; see :func:`load_settings`)."""
        assert self.environment is not None
        return self.environment

    @property
    def resource_prefix(self) -> str:
        """``<app>-<environment>``: the start of every AWS resource name of this stack."""
        return f"{self.app}-{self.env}"

    @property
    def task_counts(self) -> tuple[int, int, int]:
        """Autoscaling's fewest, starting and most tasks: ``minCount`` (default: the desired
        count), ``desiredCount`` (by profile) and ``maxCount`` (default: four times the desired
        count, at most :data:`~slipway.fargate_service.MAX_TASKS`).

        An unset bound never falls on the wrong side of a set one, so a problem with them
        (:func:`~slipway.fargate_service.task_count_problems`) names the setting the user
        wrote: ``desiredCount 20`` with ``maxCount 12`` blames desiredCount, not minCount.
        """
        desired = self.by_profile("desired_count")
        assert isinstance(desired, int)
        high = self.max_count if self.max_count is not None else min(4 * desired, MAX_TASKS)
        low = self.min_count if self.min_count is not None else min(desired, high)
        if self.max_count is None:
            high = max(high, low)
        return low, desired, high

    @property
    def log_retention(self) -> int:
        """Effective log retention in days."""
        value = self.by_profile("log_retention_days")
        assert isinstance(value, int)
        return value

    @property
    def tags(self) -> dict[str, str]:
        """Tags put on every taggable AWS resource of the stack."""
        return {
            "slipway:app": self.app,
            "slipway:environment": self.env,
            "slipway:profile": self.profile.value,
            "slipway:repository": self.github_repository,
        }

    def cross_field_problems(
        self, secrets: frozenset[str] = frozenset(), region: str | None = None
    ) -> list[str]:
        """Rules that involve more than one setting or depend on the profile.

        ``secrets`` names the secret settings that are set; ``region`` is ``aws:region``.
        """
        problems: list[str] = []

        def problem(field_name: str, allowed: str) -> None:
            problems.append(invalid(key(field_name), getattr(self, field_name), allowed))

        if self.is_prod and self.log_retention_days is not None:
            problems.extend(
                retention_problems(
                    self.log_retention_days,
                    key("log_retention_days"),
                    minimum=PROD_MIN_LOG_DAYS,
                    reason=f"the prod profile keeps logs at least {PROD_MIN_LOG_DAYS} days",
                )
            )
        if self.profile is not Profile.DEV and self.certificate_arn is None:
            problem(
                "certificate_arn",
                f"the {self.profile.value} profile serves HTTPS only, so the HTTPS listener "
                "needs an ACM certificate ARN; plain HTTP is allowed only in dev",
            )
        for reserved in self.reserved_cidrs:
            if ipaddress.IPv4Network(reserved).overlaps(ipaddress.IPv4Network(self.vpc_cidr)):
                problem("vpc_cidr", f"a range that does not overlap reservedCidrs ({reserved})")
        if self.by_profile("nat_strategy") == "none":
            missing = sorted({"ecr.api", "ecr.dkr", "logs"} - set(self.vpc_interface_endpoints))
            if missing or not self.vpc_s3_gateway_endpoint:
                problem(
                    "nat_strategy",
                    "`none` only with the ecr.api, ecr.dkr and logs interface endpoints and "
                    "the S3 gateway endpoint (tasks could not pull images or ship logs); "
                    f"missing: {missing + ([] if self.vpc_s3_gateway_endpoint else ['s3'])}",
                )
        if self.cpu_architecture == "ARM64" and self.by_profile("capacity_spot_weight") > 0:
            problem("cpu_architecture", "X86_64 while capacitySpotWeight > 0 (Spot is x86 only)")
        problems.extend(
            fargate_size_problems(
                self.by_profile("task_cpu"),
                self.by_profile("task_memory"),
                key("task_cpu"),
                key("task_memory"),
            )
        )
        problems.extend(
            task_count_problems(
                *self.task_counts, (key("min_count"), key("desired_count"), key("max_count"))
            )
        )
        if self.image_source == "ghcr":
            if self.ghcr_image is None:
                problem("ghcr_image", "a GHCR image when imageSource is ghcr")
            if self.ghcr_username is None:
                problem("ghcr_username", "the token owner's login when imageSource is ghcr")
            if "ghcrPullToken" not in secrets:
                problems.append(
                    f"{NAMESPACE}:ghcrPullToken is required when imageSource is ghcr; set it "
                    "with `pulumi config set --secret ghcrPullToken <read-only package token>`"
                )
        if self.profile is Profile.PROD and self.backup_copy_region is None:
            problem("backup_copy_region", "a second region: prod copies every backup out of region")
        if region is not None and self.backup_copy_region == region:
            problem(
                "backup_copy_region",
                f"a region other than aws:region ({region}); a copy in the same region does not "
                "survive a regional outage",
            )
        lock = self.by_profile("backup_vault_lock")
        if lock == "compliance" and self.backup_vault_lock_cool_off_days is None:
            problems.append(
                f"{NAMESPACE}:backupVaultLockCoolOffDays is required with a compliance vault "
                f"lock: it is the window ({LOCK_MINIMUM_COOL_OFF_DAYS} days or more) in which the "
                "lock can still be removed"
            )
        if lock != "compliance" and self.backup_vault_lock_cool_off_days is not None:
            problem("backup_vault_lock_cool_off_days", "unset unless backupVaultLock is compliance")
        if self.container_insights == "disabled":
            problem(
                "container_insights",
                "enabled or enhanced: the running-tasks alarm reads Container Insights metrics",
            )
        if self.existing_trail_arn is not None and not self.owns_account_resources:
            problem("existing_trail_arn", "set only on the stack that owns account resources")
        if self.certificate_arn is not None and self.domain_name is None:
            problem("domain_name", "the name the certificate covers (set with certificateArn)")
        if self.certificate_arn is not None and region is not None:
            certificate_region = self.certificate_arn.split(":")[3]
            if certificate_region != region:
                problem(
                    "certificate_arn",
                    f"an ACM certificate in {region} (aws:region): a load balancer's listener "
                    f"can only use certificates of its own region, not {certificate_region}",
                )
        problems.extend(
            reviewer_problems(
                self.reviewers, self.reviewer_teams, (key("reviewers"), key("reviewer_teams"))
            )
        )
        if self.by_profile("require_reviewers") and not (self.reviewers or self.reviewer_teams):
            problem(
                "reviewers",
                f"at least one reviewer or reviewer team: the {self.profile.value} environment "
                "requires approval",
            )
        problems.extend(_plan_problems(self))
        problems.extend(_release_problems(self, secrets))
        if self.is_prod and self.environment_admins_bypass:
            problem("environment_admins_bypass", "false in prod: admins do not skip approval")
        if self.bootstrap_image is not None and self.bootstrap_build_context is not None:
            problem("bootstrap_build_context", "unset when bootstrapImage is set (pick one)")
        plain = {entry.split("=", 1)[0] for entry in self.app_environment}
        if plain & set(self.app_secrets):
            problem(
                "app_environment",
                f"names that are not also secrets; {sorted(plain & set(self.app_secrets))} "
                "are in appSecrets",
            )
        return problems


def _plan_problems(settings: StackSettings) -> list[str]:
    """What the repository's visibility and plan cannot deliver (slipway.github_plan)."""
    problems: list[str] = []
    repository = settings.repository_plan
    plan = repository.plan

    def problem(field_name: str, allowed: str) -> None:
        problems.append(invalid(key(field_name), getattr(settings, field_name), allowed))

    personal = settings.github_owner_type == "user"
    if plan not in (PERSONAL_PLANS if personal else ORGANIZATION_PLANS):
        kinds = PERSONAL_PLANS if personal else ORGANIZATION_PLANS
        problem(
            "github_plan",
            f"one of {sorted(k.value for k in kinds)} for a repository owned by "
            f"{'a user' if personal else 'an organisation'} (githubOwnerType "
            f"{settings.github_owner_type})",
        )
    if repository.visibility is Visibility.INTERNAL and plan is not GithubPlan.ENTERPRISE:
        problem(
            "github_repository_visibility",
            f"public or private: internal repositories exist only on GitHub Enterprise "
            f"(githubPlan is {plan.value})",
        )
    elif not repository.environments:
        problem(
            "github_plan",
            "pro, team or enterprise for a private repository: on GitHub Free a private "
            "repository has no environments, environment secrets or rulesets, which every "
            "stack writes (or make it public: githubRepositoryVisibility public)",
        )
    elif not repository.protection_rules:
        wait = settings.by_profile("wait_timer_minutes")
        asks = []
        if settings.reviewers or settings.reviewer_teams:
            asks.append("required reviewers (reviewers, reviewerTeams)")
        if wait:
            asks.append(f"a {wait}-minute wait timer (waitTimerMinutes)")
        if asks:
            problem(
                "github_repository_visibility",
                f"public, or githubPlan enterprise: the {settings.env} environment asks for "
                f"{' and '.join(asks)}, which GitHub enforces on {repository.describe()} only "
                "with GitHub Enterprise, so its approval gate would silently not exist. To run "
                "without the gate, say so: reviewers [], reviewerTeams [], requireReviewers "
                "false, waitTimerMinutes 0",
            )
    if settings.github_code_scanning and not repository.code_scanning_purchasable:
        problem(
            "github_code_scanning",
            f"false or unset: code scanning is not available on {repository.describe()} (it "
            "needs a public repository, or team or enterprise with GitHub Code Security)",
        )
    return problems


def _release_problems(settings: StackSettings, secrets: frozenset[str]) -> list[str]:
    """The release identity: complete on the owner stack in app mode, absent elsewhere."""
    problems: list[str] = []
    given = {
        "releaseAppId": settings.release_app_id is not None,
        "releaseAppClientId": settings.release_app_client_id is not None,
        "releaseAppPrivateKey": "releaseAppPrivateKey" in secrets,
    }
    if not settings.owns_repository_resources:
        why = "set only on the stack that owns repository resources (ownsRepositoryResources)"
    elif settings.release_token == "github-token":
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
class SecretSetting:
    """A setting whose value is a secret; it never enters :class:`StackSettings`."""

    key: str
    description: str


SECRET_SETTINGS: tuple[SecretSetting, ...] = (
    SecretSetting(
        "ghcrPullToken",
        "Read-only GitHub package token ECS pulls GHCR images with (`imageSource: ghcr`). "
        "Stored in Secrets Manager; only the task execution role may read it.",
    ),
    SecretSetting(
        "releaseAppPrivateKey",
        "Private key (PEM) of the release GitHub App, written as the secret "
        "`RELEASE_APP_PRIVATE_KEY` of the release environment. Optional: without it, add the "
        "secret to the environment yourself (`gh secret set RELEASE_APP_PRIVATE_KEY --env npm`). "
        "Owner stack with `releaseToken: app` only.",
    ),
    SecretSetting(
        "slackWebhookUrl",
        "Slack incoming-webhook URL for deployment notifications, written as the GitHub "
        "environment secret `SLACK_WEBHOOK_URL`. Optional.",
    ),
)
"""Secret settings; each must be set with ``pulumi config set --secret``."""


# --------------------------------------------------------------------------------------------
# Reading config
# --------------------------------------------------------------------------------------------

PulumiType = Literal["string", "integer", "boolean", "array"]


def key(field_name: str) -> str:
    """The config key of a model field, as the user writes it: ``slipway:logRetentionDays``."""
    return f"{NAMESPACE}:{_alias(field_name)}"


def _alias(field_name: str) -> str:
    info = StackSettings.model_fields[field_name]
    return info.alias or field_name


def pulumi_type(info: FieldInfo) -> PulumiType:
    """The Pulumi project-config type of a field."""
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and args and get_origin(annotation) is not list:
        annotation = args[0]
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if get_origin(annotation) is list:
        return "array"
    return "string"


def _parse(raw: str, kind: PulumiType, config_key: str) -> Any:
    """Turn the string Pulumi hands the program into the declared type."""
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(invalid(config_key, raw, "a whole number")) from None
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        raise ConfigError(invalid(config_key, raw, "true or false"))
    if kind == "array":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(invalid(config_key, raw, "a list of strings"))
        return value
    return raw


def _all_config() -> dict[str, str]:
    """Every config key the engine passed in (``namespace:key``), as strings."""
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _all_secret_keys() -> set[str]:
    from pulumi.runtime import config as runtime_config

    return set(runtime_config.get_config_secret_keys_env()) | runtime_config._SECRET_KEYS.get()


def _raw_config() -> dict[str, str]:
    """Every ``slipway:`` key the engine passed in, as the strings Pulumi hands programs."""
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in _all_config().items() if k.startswith(prefix)}


def _secret_keys() -> set[str]:
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :] for k in _all_secret_keys() if k.startswith(prefix)}


def provider_config(config: Mapping[str, Any], secret_keys: Iterable[str]) -> ProviderConfig:
    """The ``aws:`` and ``github:`` keys of a whole config map, and which of them are secret."""
    providers = ("aws:", "github:")
    return ProviderConfig(
        {k: str(v) for k, v in config.items() if k.startswith(providers)},
        frozenset(k for k in secret_keys if k.startswith(providers)),
    )


def _provider_config() -> ProviderConfig:
    """The providers' keys the engine passed in, and which of them are secret."""
    return provider_config(_all_config(), _all_secret_keys())


AWS_CREDENTIAL_KEYS = ("aws:accessKey", "aws:secretKey", "aws:token")
"""AWS provider settings that hold credentials: refused in any stack file, secret or not."""
PROVIDER_SECRET_KEYS = ("github:token",)
"""Provider settings that hold credentials: allowed only when set with ``--secret``."""


@dataclass(frozen=True)
class ProviderConfig:
    """The providers' settings of a stack (``aws:*``, ``github:*``), as Pulumi passes them."""

    values: Mapping[str, str]
    """Full keys (``aws:region``) to their raw values."""
    secret_keys: frozenset[str] = frozenset()
    """Full keys set with ``--secret``."""


def provider_problems(provider: ProviderConfig) -> list[str]:
    """Problems with the providers' settings; credential values are never echoed.

    AWS keys never belong in a stack file, not even encrypted: keys in the provider's
    configuration come before the environment (Terraform AWS provider, "Authentication and
    Configuration", https://registry.terraform.io/providers/hashicorp/aws/latest/docs, which
    the Pulumi provider bridges), so they would replace the infrastructure pipeline's OIDC role
    and the developer's own SSO session, and they are long-lived where those expire. The
    provider reads credentials from the environment and the shared AWS config files
    (Pulumi Registry, "AWS: Installation & Configuration",
    https://www.pulumi.com/registry/packages/aws/installation-configuration/). The GitHub
    token may live in config only as a secret (docs/secrets.md).
    """
    problems: list[str] = []
    region = provider.values.get("aws:region")
    if region is None:
        problems.append(
            "aws:region is required and not set; set it with `pulumi config set aws:region "
            "<code>`, a region code from pulumi_aws.Region such as eu-west-1"
        )
    else:
        problems.extend(region_problems(region, "aws:region"))
    for credential in AWS_CREDENTIAL_KEYS:
        if credential in provider.values:
            how = "with --secret" if credential in provider.secret_keys else "in plain text"
            problems.append(
                f"{credential} is set ({how}); AWS credentials never go in a stack file: remove "
                f"it (`pulumi config rm {credential}`) and let the provider find them in the "
                "environment: `aws sso login` or AWS_PROFILE on your machine, the OIDC role in "
                "the pipeline (docs/secrets.md)"
            )
    for credential in PROVIDER_SECRET_KEYS:
        if credential in provider.values and credential not in provider.secret_keys:
            problems.append(
                f"{credential} holds a secret in plain text; remove it (`pulumi config rm "
                f"{credential}`) and set it with `pulumi config set --secret {credential} …`, "
                "or export GITHUB_TOKEN instead (docs/secrets.md)"
            )
    return problems


def parse_settings(
    raw: Mapping[str, str],
    secret_keys: set[str],
    stack: str,
    region: str | None = None,
    provider: ProviderConfig | None = None,
) -> tuple[StackSettings, StackSecrets]:
    """Validate raw config strings (keys without namespace) into settings and secret handles.

    Raises :class:`ConfigError` listing every problem, each naming the key, the value and what
    is allowed. Nothing in here touches the Pulumi engine, so a bad value stops the program
    before any resource is registered. With ``provider``, the providers' settings are checked
    in the same round (:func:`provider_problems`) and ``aws:region`` comes from them.
    """
    fields = {
        (info.alias or name): (name, info) for name, info in StackSettings.model_fields.items()
    }
    secret_names = {s.key for s in SECRET_SETTINGS}
    known = sorted([*fields, *secret_names])
    problems: list[str] = []
    provider_found: list[str] = []
    if provider is not None:
        provider_found = provider_problems(provider)
        region = provider.values.get("aws:region")
        if any(p.startswith("aws:region") for p in provider_found):
            region = None
    values: dict[str, Any] = {}
    app_secret_values: set[str] = set()
    for raw_key, raw_value in sorted(raw.items()):
        config_key = f"{NAMESPACE}:{raw_key}"
        if APP_SECRET_KEY.match(raw_key):
            app_secret_values.add(raw_key)
            if raw_key not in secret_keys:
                problems.append(
                    f"{config_key} holds a secret in plain text; remove it and set it with "
                    f"`pulumi config set --secret {raw_key} …`"
                )
            continue
        if raw_key in secret_names:
            if raw_key not in secret_keys:
                problems.append(
                    f"{config_key} holds a secret in plain text; remove it and set it with "
                    f"`pulumi config set --secret {raw_key} …`"
                )
            continue
        if raw_key not in fields:
            close = difflib.get_close_matches(raw_key, known, n=1)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
            problems.append(
                f"{config_key} is not a Slipway setting{hint} (all settings: docs/configuration.md)"
            )
            continue
        if raw_key in secret_keys:
            problems.append(
                f"{config_key} is not a secret setting but was set with --secret; set it in "
                f"plain text so that reviewers can see it"
            )
            continue
        _, info = fields[raw_key]
        try:
            values[raw_key] = _parse(str(raw_value), pulumi_type(info), config_key)
        except ConfigError as error:
            problems.extend(error.problems)

    failed = {_key_of(p) for p in problems}
    if "environment" not in values and "environment" not in failed:
        values["environment"] = stack
    settings: StackSettings | None = None
    checked: StackSettings | None = None
    try:
        settings = checked = StackSettings.model_validate(values)
    except ValidationError as error:
        problems.extend(p for p in _describe(error) if _key_of(p) not in failed)
        failed |= {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        # The rules across settings still run in this round, on the settings that are valid
        # (a refused value is left to its default), so that every problem shows at once.
        try:
            checked = StackSettings.model_validate(
                {k: v for k, v in values.items() if k not in failed}
            )
        except ValidationError:
            checked = None
    if checked is not None:
        problems.extend(
            p
            for p in checked.cross_field_problems(frozenset(secret_names & set(raw)), region)
            if not _mentions(p, failed)
        )
    if settings is not None and not problems:
        declared = {app_secret_key(v): v for v in settings.app_secrets}
        for orphan in sorted(app_secret_values - set(declared)):
            problems.append(
                f"{NAMESPACE}:{orphan} is the value of no application secret; add its variable "
                f"to {NAMESPACE}:appSecrets (known: {sorted(declared) or 'none'})"
            )
    if problems or provider_found:
        raise ConfigError(provider_found + problems)
    assert settings is not None
    return settings, StackSecrets(frozenset((secret_names | app_secret_values) & set(raw)))


APP_SECRET_KEY = re.compile(r"^secret[A-Z][A-Za-z0-9]*$")
"""Secret settings that give an application secret its value (``secretDatabaseUrl``)."""


def app_secret_key(variable: str) -> str:
    """The secret setting that may hold ``variable``'s value: ``DATABASE_URL`` →
    ``secretDatabaseUrl``. When it is not set, the secret is created empty and filled outside
    Pulumi (docs/secrets.md)."""
    return "secret" + "".join(part.capitalize() for part in variable.lower().split("_") if part)


def _mentions(problem: str, aliases: set[str]) -> bool:
    """True when a problem names any of ``aliases`` (with or without the namespace): a rule
    across settings that involves a refused value says nothing reliable about the others."""
    return any(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(a)}(?![A-Za-z0-9])", problem) for a in aliases if a
    )


def _key_of(problem: str) -> str:
    """The setting a problem message starts with (``slipway:<key>…``)."""
    return problem.split(" ")[0].split(":")[1] if problem.startswith(f"{NAMESPACE}:") else ""


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        alias = str(item["loc"][0]) if item["loc"] else "?"
        config_key = f"{NAMESPACE}:{alias}"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            problems.append(
                f"{config_key} is required and not set; set it with "
                f"`pulumi config set {alias} …` (see docs/configuration.md)"
            )
        elif item["type"] == "extra_forbidden":
            problems.append(f"{config_key} is not a Slipway setting")
        elif isinstance(item.get("ctx", {}).get("error"), ConfigError):
            problems.extend(item["ctx"]["error"].problems)  # a component's rule, already named
        else:
            problems.append(invalid(config_key, item.get("input"), message))
    return problems


@dataclass(frozen=True)
class StackSecrets:
    """Handles on the secret settings that are set; values only ever come out as secrets."""

    present: frozenset[str]

    def get(self, secret_key: str) -> pulumi.Output[str] | None:
        """The secret as a secret Output, or None when it is not set."""
        declared = {s.key for s in SECRET_SETTINGS}
        if secret_key not in declared and not APP_SECRET_KEY.match(secret_key):
            raise KeyError(f"{NAMESPACE}:{secret_key} is not a declared secret setting")
        if secret_key not in self.present:
            return None
        return pulumi.Config(NAMESPACE).require_secret(secret_key)


def load_settings() -> tuple[StackSettings, StackSecrets]:
    """Read and validate the current stack's config; see :func:`parse_settings`."""
    return parse_settings(
        _raw_config(), _secret_keys(), pulumi.get_stack(), provider=_provider_config()
    )
