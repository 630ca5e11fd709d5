"""``StackBoundary``: the permissions boundary that keeps stacks sharing one AWS account apart.

Every role of a stack (its CI roles and every role the stack creates, :func:`bound_roles`)
carries one customer-managed policy, ``<app>-<env>-ci-boundary``, as its permissions boundary.
The boundary allows everything but Route 53 record changes (``Everything``), allows those only
for the stack's own names (``OwnRecords``, with ``hostedZoneId``) and then denies
(:func:`boundary_statements`):

* ``OtherEnvironments``: any action on a resource whose ``slipway:environment`` tag names
  another environment. The condition pairs ``Null: false`` with ``StringNotEquals``, because
  a negated operator is true when the key is missing, and so is every ``…IfExists`` operator:
  ``StringNotEqualsIfExists`` alone would deny every untagged resource and every create call
  (which has no ``aws:ResourceTag``). Untagged resources are left to the ARN rules below.
* ``OtherEnvironmentTags``: any request that sets ``slipway:environment`` to another value
  (``aws:RequestTag``; the same ``Null``/``StringNotEquals`` pairing), on create or on tag.
  The stack that owns the preview base shares one more environment, ``preview``
  (:attr:`BoundaryScope.shared_environments`): it creates the preview load balancer so tagged.
* ``OtherApplications``, ``OtherApplicationTags``: the same two rules for ``slipway:app``, so
  two applications' stacks of one environment name stay apart too.
* ``KeepEnvironmentTags``: removing the ``slipway:environment`` or ``slipway:app`` tag
  (``aws:TagKeys`` with ``ForAnyValue`` on the untag actions of the services Slipway uses).
* ``BoundedPrincipals``: creating a role or user, setting a boundary, or changing the policies
  of a role or user, unless ``iam:PermissionsBoundary`` is this very boundary. A role without it
  could be given any permissions and assumed, which would undo every rule here.
* ``KeepBoundaries``: removing a boundary, and changing, deleting or re-tagging any stack's
  boundary policy (``policy/*-ci-boundary``). Changing the boundary is the operator's job, with
  credentials that are not a stack's CI role.
* ``OwnVaultLocks``, ``OwnParameters``, ``OwnDashboards``: where tags do not decide, the
  stack's own names: backup vault locks, SSM parameter writes, dashboards.
* ``OwnPrincipals``: outside the stack's own roles and policies (named ``<app>-<env>-*``, never
  known by tag, because a stack can tag an untagged principal): trust rewrites, creating,
  deleting, re-bounding, assuming and passing roles, changing customer-managed policies; and,
  everywhere, credential minting and user and group actions (a stack has no users or groups).
  ``iam:PassRole`` and S3 objects carry no resource tag in their request context, so names are
  all that can decide them (:data:`ESCALATION_ACTIONS`).
* ``OwnFunctions``: changing, invoking or opening a Lambda function other than the stack's own
  (``function:<app>-<env>-*``), :data:`FUNCTION_CHANGES`.
* ``UnusedServices``: services whose existing resources run code under their own role and that
  Slipway never uses (:data:`UNUSED_SERVICES`).
* ``NoRetentionBypass``: ``s3:BypassGovernanceRetention``, for every stack (the audit bucket's
  GOVERNANCE lock then holds against every CI role).
* ``OwnRecords`` (an Allow, not a Deny): ``route53:ChangeResourceRecordSets`` only when every
  name of the change batch (``route53:ChangeResourceRecordSetsNormalizedRecordNames``) is the
  stack's domain or its ACM validation record, in its hosted zone. It is the boundary's only
  grant of the action, with ``ForAllValues:StringLike``, rather than a Deny with
  ``ForAnyValue:StringNotLike``: both mean the same to IAM, but Principal Mapper 1.1.5 compares
  a ``ForAnyValue`` set as a whole (``local_policy_simulation._get_condition_match`` passes the
  whole context, not the one value), so it would let a batch of one own and one foreign name
  through. Route 53 always sends the key for this action (Service Authorization Reference), so
  ``ForAllValues`` never meets an empty set.
* ``AccountOidcProvider``, ``AccountTrail``, ``AccountRegistryReplication``,
  ``AccountThreatDetection``, ``AccountSettings``: one per account-wide resource the stack does
  not own (:class:`AccountResource`): the GitHub OIDC provider, CloudTrail trails, the
  registry's replication, policy and creation templates, the GuardDuty detector, the account's
  settings.

Exceptions AWS forces (the action has no resource, so no name or tag can spare the stack's
own): ``iam:ListGroups`` and ``iam:ListVirtualMFADevices`` (matched by the group and MFA
wildcards) are denied to every stack, which reads neither; the account settings
(``ecs:PutAccountSettingDefault``, ``backup:UpdateRegionSettings``,
``ecr:PutRegistryScanningConfiguration``...) take no resource either, so they go to one owner
stack whole. Sources for the resource types and condition keys: the Service Authorization
Reference as parliament ships it (``parliament/iam_definition.json``).

Sources: IAM User Guide, "IAM JSON policy elements: Condition operators" (a missing key makes
negated operators and ``…IfExists`` true;
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
"Permissions boundaries for IAM entities" (the ``iam:PermissionsBoundary`` condition;
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), "Controlling
access to AWS resources using tags"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html) and "IAM and AWS STS quotas"
(6,144 characters per managed policy;
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). The limits of the
model are in docs/security.md, "Isolation between stacks in one account".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.iam import POLICY_VERSION

ENVIRONMENT_TAG = "slipway:environment"
"""The tag that says which environment (stack) a resource belongs to."""
APP_TAG = "slipway:app"
"""The tag that says which application a resource belongs to: two applications' ``dev``
stacks in one account are kept apart by it."""
BOUNDARY_SUFFIX = "-ci-boundary"
"""``<app>-<env>`` plus this names a stack's boundary policy."""
MAX_MANAGED_POLICY_CHARS = 6144
"""IAM's limit on a managed policy document, whitespace excluded."""
ROLE_TYPE = "aws:iam/role:Role"

NAME_PART = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

UNTAG_ACTIONS = (
    "backup:UntagResource",
    "cloudtrail:RemoveTags",
    "cloudwatch:UntagResource",
    "ec2:DeleteTags",
    "ecr:UntagResource",
    "ecs:UntagResource",
    "elasticloadbalancing:RemoveTags",
    "events:UntagResource",
    "iam:Untag*",
    "kms:UntagResource",
    "lambda:UntagResource",
    "logs:UntagResource",
    "secretsmanager:UntagResource",
    "sns:UntagResource",
    "ssm:RemoveTagsFromResource",
)
"""Untag actions of the services Slipway creates resources in (they carry ``aws:TagKeys``)."""

PRINCIPAL_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteRolePolicy",
    "iam:DeleteUserPolicy",
    "iam:DetachRolePolicy",
    "iam:DetachUserPolicy",
    "iam:Put*PermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
)
"""The actions for which IAM sets ``iam:PermissionsBoundary`` (the boundary requested, or the
one the role or user carries)."""

BOUNDARY_REMOVALS = ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary")
POLICY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
VAULT_LOCK_ACTIONS = (
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:PutBackupVaultLockConfiguration",
)
PARAMETER_WRITES = (
    "ssm:DeleteParameter",
    "ssm:DeleteParameters",
    "ssm:LabelParameterVersion",
    "ssm:PutParameter",
    "ssm:UnlabelParameterVersion",
)
DASHBOARD_WRITES = ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard")
ESCALATION_ACTIONS = (
    "iam:*AccessKey*",
    "iam:*Group*",
    "iam:*LoginProfile",
    "iam:*MFADevice*",
    "iam:*SSHPublicKey*",
    "iam:*ServiceSpecificCredential*",
    "iam:*SigningCertificate*",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteRole",
    "iam:DeleteUser",
    "iam:PassRole",
    "iam:Put*PermissionsBoundary",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "sts:AssumeRole",
)
"""What a stack may do only to its own roles (``role/<app>-<env>-*``): trust rewrites, creating,
deleting or re-bounding a role, assuming it and passing it. Credential minting (access keys,
login profiles, service-specific credentials, SSH keys, signing certificates, MFA devices), user
and group actions have no own resource at all: a stack has no users or groups, so they are
denied everywhere. Names decide, not tags: a stack can tag an untagged principal with its own
environment. ``iam:PassRole`` carries no resource tag in its request context, so only a name
can decide it."""
RECORD_CHANGES = "route53:ChangeResourceRecordSets"
NORMALIZED_RECORD_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
"""The record names of a change batch, lower-case and without the final dot (Route 53
Developer Guide, "Using IAM policy conditions for fine-grained access control")."""
ACM_VALIDATION_LABEL = "_" + "?" * 32
"""The label ACM puts before a DNS-validated name: ``_`` and 32 hexadecimal digits (ACM User
Guide, "DNS validation"). One ``?`` per character, so it matches no deeper name."""
FUNCTION_CHANGES = ("lambda:AddPermission", "lambda:InvokeFunction", "lambda:Update*")
"""Changing, running or opening a Lambda function: only the stack's own (``function:<app>-<env>-*``;
an untagged, hand-made function with a powerful role is another's). ``lambda:Update*`` also
matches event source mappings and code signing configurations, which a stack does not have."""
UNUSED_SERVICES = (
    "cloudformation:*",
    "codebuild:*",
    "datapipeline:*",
    "glue:*",
    "sagemaker:*",
    "ssm:SendCommand",
    "ssm:StartSession",
)
"""Services Slipway's stacks never use whose existing resources run code under a role of their own
without ``iam:PassRole`` (an existing CloudFormation stack's service role, a CodeBuild project's,
a Glue dev endpoint's, a SageMaker notebook's, an EC2 instance's through SSM: Principal Mapper's
``cloudformation``, ``codebuild``, ``sagemaker`` and ``ssm`` edges, Rhino Security Labs' methods
5, 6 and 21): denied whole. (CodeBuild's one use is bootstrap/'s placeholder build, run by the
set-up command with the operator's credentials: a stack role that could start it with a
buildspec of its own could push into the placeholder every new environment runs.)"""
RETENTION_BYPASS = ("s3:BypassGovernanceRetention",)
"""Deleting or shortening a GOVERNANCE-locked object version: no stack role may, not even the
audit bucket's owner (the bucket's lifecycle expires versions without it)."""


class AccountResource(StrEnum):
    """An account-wide resource that exactly one stack per account (or per account and region)
    owns. The boundary of every other stack denies changing it (:data:`ACCOUNT_RESOURCE_ACTIONS`).
    """

    OIDC_PROVIDER = "oidc-provider"
    """The GitHub OIDC identity provider (IAM allows one per URL per account)."""
    AUDIT_TRAIL = "audit-trail"
    """The CloudTrail trail recording the account."""
    REGISTRY_REPLICATION = "registry-replication"
    """The registry's replication configuration (one per account and region, replaced whole by
    each ``PutReplicationConfiguration``), its registry policy and repository creation
    templates."""
    THREAT_DETECTION = "threat-detection"
    """The GuardDuty detector (one per account and region) and its features."""
    ACCOUNT_SETTINGS = "account-settings"
    """Settings AWS keeps once per account (or account and region): ECS account setting
    defaults, AWS Backup's region and global settings, ECR's registry scanning and account
    settings, EBS default encryption, the account's S3 public access block, password policy
    and alias, SSM service settings and CloudWatch Logs account policies."""


ACCOUNT_RESOURCE_ACTIONS: Mapping[AccountResource, tuple[str, ...]] = {
    AccountResource.OIDC_PROVIDER: ("iam:*OpenIDConnectProvider*",),
    AccountResource.AUDIT_TRAIL: (
        "cloudtrail:*Logging",
        "cloudtrail:*Tags",
        "cloudtrail:*Trail",
        "cloudtrail:Put*Selectors",
    ),
    AccountResource.REGISTRY_REPLICATION: (
        "ecr:*RegistryPolicy",
        "ecr:*RepositoryCreationTemplate",
        "ecr:PutReplicationConfiguration",
    ),
    AccountResource.THREAT_DETECTION: ("guardduty:*Detector",),
    AccountResource.ACCOUNT_SETTINGS: (
        "backup:UpdateGlobalSettings",
        "backup:UpdateRegionSettings",
        "ec2:*EbsEncryptionByDefault",
        "ec2:ModifyEbsDefaultKmsKeyId",
        "ecr:PutAccountSetting",
        "ecr:PutRegistryScanningConfiguration",
        "ecs:PutAccountSetting*",
        "iam:*AccountAlias",
        "iam:*AccountPasswordPolicy",
        "logs:*AccountPolicy",
        "s3:PutAccountPublicAccessBlock",
        "ssm:*ServiceSetting",
    ),
}
"""What only the stack owning each account-wide resource may do. The wildcards also match a
few reads (``iam:GetOpenIDConnectProvider``, ``cloudtrail:GetTrail``, ``ecr:GetRegistryPolicy``,
``guardduty:GetDetector``): no other stack reads them, and the boundary has no room for every
write by name."""

_STATEMENT_IDS = {
    AccountResource.OIDC_PROVIDER: "AccountOidcProvider",
    AccountResource.AUDIT_TRAIL: "AccountTrail",
    AccountResource.REGISTRY_REPLICATION: "AccountRegistryReplication",
    AccountResource.THREAT_DETECTION: "AccountThreatDetection",
    AccountResource.ACCOUNT_SETTINGS: "AccountSettings",
}


def record_name_patterns(domain_name: str) -> tuple[str, ...]:
    """A stack's own DNS names for ``domain_name``: the name, and ACM's validation record for
    it, normalized as Route 53 compares them (lower-case, no final dot)."""
    name = domain_name.lower().rstrip(".")
    return (name, f"{ACM_VALIDATION_LABEL}.{name}")


MAX_RECORD_DOMAIN = 90
"""The longest domain whose records a stack's boundary names (twice: the name and its ACM
validation record). Longer, and the largest boundary (24-character application and environment
names, the ``aws-us-gov`` partition) would pass the 6,144 characters of a managed policy."""


def record_domain_problems(domain_name: str, setting: str) -> list[str]:
    """The one rule for a domain the boundary names (:data:`MAX_RECORD_DOMAIN`)."""
    if len(domain_name) <= MAX_RECORD_DOMAIN:
        return []
    return [
        invalid(
            setting,
            domain_name,
            f"at most {MAX_RECORD_DOMAIN} characters with hostedZoneId: the stack's "
            "permissions boundary names it, and a managed policy holds 6,144 characters",
        )
    ]


def boundary_name(resource_prefix: str) -> str:
    """``<app>-<env>-ci-boundary``: the name of a stack's boundary policy."""
    return f"{resource_prefix}{BOUNDARY_SUFFIX}"


@dataclass(frozen=True)
class BoundaryScope:
    """Who the boundary is for: plain strings, so the document can be evaluated offline."""

    partition: str
    account_id: str
    app: str
    environment: str
    owned: frozenset[AccountResource] = frozenset()
    """The account-wide resources this stack owns."""
    record_names: tuple[str, ...] = ()
    """The DNS names whose records the stack changes (:func:`record_name_patterns`); none: it
    changes no record."""
    record_zone_id: str | None = None
    """The hosted zone those records are in; None: any zone."""
    shared_environments: tuple[str, ...] = ()
    """Other ``slipway:environment`` values the stack may tag and change: ``preview`` for the
    stack that owns the preview base (:mod:`slipway.preview_base`); none otherwise."""

    @property
    def environments(self) -> str | list[str]:
        """The ``slipway:environment`` values the stack may touch: its own, and the shared."""
        if not self.shared_environments:
            return self.environment
        return [self.environment, *self.shared_environments]

    @property
    def resource_prefix(self) -> str:
        """``<app>-<env>``."""
        return f"{self.app}-{self.environment}"

    def arn(self, service: str, resource: str, region: str = "*") -> str:
        """An ARN of this account; IAM ARNs have no region."""
        region = "" if service == "iam" else region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    @property
    def own_iam(self) -> list[str]:
        """The ARN patterns of this stack's IAM roles and customer-managed policies, by name:
        ``role/<app>-<env>-*`` and ``policy/<app>-<env>-*``. A stack has no users or groups of
        its own (Slipway creates none), so every user and group is another's."""
        return [self.arn("iam", f"{kind}/{self.resource_prefix}-*") for kind in ("role", "policy")]

    @property
    def boundary_arn(self) -> str:
        """The ARN of this stack's boundary policy."""
        return self.arn("iam", f"policy/{boundary_name(self.resource_prefix)}")


def _deny(sid: str, actions: Sequence[str] | str, **rest: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Deny",
        "Action": actions if isinstance(actions, str) else sorted(actions),
    }
    if "NotResource" not in rest:
        statement["Resource"] = "*"
    return statement | rest


def boundary_statements(scope: BoundaryScope) -> list[dict[str, Any]]:
    """The boundary's statements for ``scope`` (the module docstring explains each)."""
    env = scope.environment
    statements: list[dict[str, Any]] = [
        {"Sid": "Everything", "Effect": "Allow", "NotAction": RECORD_CHANGES, "Resource": "*"}
    ]
    if scope.record_names:
        statements.append(
            {
                "Sid": "OwnRecords",
                "Effect": "Allow",
                "Action": RECORD_CHANGES,
                "Resource": f"arn:{scope.partition}:route53:::hostedzone/"
                + (scope.record_zone_id or "*"),
                "Condition": {
                    "ForAllValues:StringLike": {NORMALIZED_RECORD_NAMES: list(scope.record_names)}
                },
            }
        )
    for sid, key, tag, value in (
        ("OtherEnvironments", "ResourceTag", ENVIRONMENT_TAG, scope.environments),
        ("OtherEnvironmentTags", "RequestTag", ENVIRONMENT_TAG, scope.environments),
        ("OtherApplications", "ResourceTag", APP_TAG, scope.app),
        ("OtherApplicationTags", "RequestTag", APP_TAG, scope.app),
    ):
        condition_key = f"aws:{key}/{tag}"
        statements.append(
            _deny(
                sid,
                "*",
                Condition={
                    "Null": {condition_key: "false"},
                    "StringNotEquals": {condition_key: value},
                },
            )
        )
    statements += [
        _deny(
            "KeepEnvironmentTags",
            UNTAG_ACTIONS,
            Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": [ENVIRONMENT_TAG, APP_TAG]}},
        ),
        _deny(
            "BoundedPrincipals",
            PRINCIPAL_ACTIONS,
            Condition={"ArnNotEquals": {"iam:PermissionsBoundary": scope.boundary_arn}},
        ),
        _deny("KeepBoundaries", BOUNDARY_REMOVALS),
        _deny(
            "KeepBoundaryPolicies",
            POLICY_CHANGES,
            Resource=scope.arn("iam", f"policy/*{BOUNDARY_SUFFIX}"),
        ),
        _deny(
            "OwnVaultLocks",
            VAULT_LOCK_ACTIONS,
            NotResource=[scope.arn("backup", f"backup-vault:{scope.resource_prefix}-*")],
        ),
        _deny(
            "OwnParameters",
            PARAMETER_WRITES,
            NotResource=[
                scope.arn("ssm", f"parameter/slipway/{scope.app}/{env}/*"),
                scope.arn("ssm", f"parameter/{scope.resource_prefix}-*"),
            ],
        ),
        _deny(
            "OwnDashboards",
            DASHBOARD_WRITES,
            NotResource=[scope.arn("cloudwatch", f"dashboard/{scope.resource_prefix}*", "")],
        ),
    ]
    statements += [
        _deny("OwnPrincipals", (*ESCALATION_ACTIONS, *POLICY_CHANGES), NotResource=scope.own_iam),
        _deny(
            "OwnFunctions",
            FUNCTION_CHANGES,
            NotResource=scope.arn("lambda", f"function:{scope.resource_prefix}-*"),
        ),
        _deny("UnusedServices", UNUSED_SERVICES),
        _deny("NoRetentionBypass", RETENTION_BYPASS),
    ]
    statements += [
        _deny(_STATEMENT_IDS[resource], actions)
        for resource, actions in ACCOUNT_RESOURCE_ACTIONS.items()
        if resource not in scope.owned
    ]
    return statements


def boundary_document(scope: BoundaryScope) -> dict[str, Any]:
    """The boundary policy document for ``scope``."""
    return {"Version": POLICY_VERSION, "Statement": boundary_statements(scope)}


def compact_json(document: Mapping[str, Any]) -> str:
    """``document`` as IAM counts it: JSON without whitespace."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class StackBoundaryArgs:
    """Arguments of :class:`StackBoundary`."""

    app: str
    """The application's short name (the first part of ``<app>-<env>``)."""
    environment: str
    """The stack's environment: the ``slipway:environment`` value its resources carry."""
    owned_account_resources: frozenset[AccountResource] = frozenset()
    """The account-wide resources this stack owns (:class:`AccountResource`). Default: none, so
    the boundary denies changing any of them."""
    record_names: tuple[str, ...] = ()
    """The DNS names whose records the stack changes (:func:`record_name_patterns` of its
    domain). Default: none, so the boundary denies every record change."""
    record_zone_id: str | None = None
    """The hosted zone of ``record_names`` (``hostedZoneId``). Default: any zone."""
    shared_environments: tuple[str, ...] = ()
    """Other ``slipway:environment`` values the stack may tag and change
    (:attr:`BoundaryScope.shared_environments`). Default: none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the policy (the stack's, so other stacks cannot change it)."""

    def __post_init__(self) -> None:
        problems = [
            invalid(
                f"StackBoundaryArgs.{name}",
                value,
                "lower-case letters, digits and '-', starting and ending with a letter or digit",
            )
            for name, value in (("app", self.app), ("environment", self.environment))
            if not (isinstance(value, str) and NAME_PART.match(value))
        ]
        if problems:
            raise ConfigError(problems)

    @property
    def resource_prefix(self) -> str:
        """``<app>-<env>``."""
        return f"{self.app}-{self.environment}"


class StackBoundary(pulumi.ComponentResource):
    """The stack's permissions boundary policy.

    Outputs:
        policy_arn: ARN of the boundary policy.
        policy_name: Its name, ``<app>-<env>-ci-boundary``.
    """

    TOKEN = "slipway:index:StackBoundary"

    policy_arn: pulumi.Output[str]
    policy_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: StackBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id

        def render(values: list[str]) -> str:
            scope = BoundaryScope(
                partition=values[0],
                account_id=values[1],
                app=args.app,
                environment=args.environment,
                owned=frozenset(args.owned_account_resources),
                record_names=tuple(args.record_names),
                record_zone_id=args.record_zone_id,
                shared_environments=tuple(args.shared_environments),
            )
            return compact_json(boundary_document(scope))

        policy = aws.iam.Policy(
            f"{name}-policy",
            name=boundary_name(args.resource_prefix),
            description=f"Permissions boundary of every role of {args.resource_prefix}",
            policy=pulumi.Output.all(partition, account).apply(render),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy_arn = policy.arn
        self.policy_name = policy.name
        self.register_outputs({"policy_arn": self.policy_arn, "policy_name": self.policy_name})


MAX_ROLE_NAME = 64
"""IAM's limit on a role name ("IAM and AWS STS quotas")."""


def role_name(resource_prefix: str, logical_name: str) -> str:
    """``<app>-<env>-<logical name>``, the name :func:`bound_roles` gives a role; a name over
    :data:`MAX_ROLE_NAME` keeps its start and ends in a digest of the logical name, so two
    roles never share it."""
    name = f"{resource_prefix}-{logical_name}"
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha256(logical_name.encode()).hexdigest()[:8]
    return f"{name[: MAX_ROLE_NAME - len(digest) - 1]}-{digest}"


def bound_roles(
    boundary_arn: pulumi.Input[str], resource_prefix: str
) -> pulumi.ResourceTransformation:
    """A stack transformation for every IAM role: it gets ``boundary_arn`` unless it has a
    boundary, and a name that starts with ``<app>-<env>-`` (:func:`role_name`) unless it is
    named. The boundary knows a stack's own principals by that prefix (``OwnPrincipals``): a
    role named otherwise could not be created, assumed or passed by the stack, so a role named
    without the prefix is refused here, before anything is registered.

    Register it (``pulumi.runtime.register_stack_transformation``) before the stack's first
    role: a role created without this boundary is refused by the boundary itself.
    """

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        if args.type_ != ROLE_TYPE:
            return None  # type: ignore[return-value]
        props = dict(args.props)
        given = props.get("name") or props.get("name_prefix")
        if isinstance(given, str) and not given.startswith(f"{resource_prefix}-"):
            raise ConfigError(
                invalid(
                    f"the name of role {args.name}",
                    given,
                    f"a name starting with {resource_prefix}- (the stack's own principals)",
                )
            )
        if given is None:
            props["name"] = role_name(resource_prefix, args.name)
        if props.get("permissions_boundary") is None:
            props["permissions_boundary"] = boundary_arn
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform
