"""``StackBoundary``: the permissions boundary that keeps stacks sharing one AWS account apart.

Every role of a stack (its CI roles and every role the stack creates, :func:`bound_roles`)
carries one customer-managed policy, ``<app>-<env>-ci-boundary``, as its permissions boundary.
The boundary allows everything and then denies (:func:`boundary_statements`):

* ``OtherEnvironments``: any action on a resource whose ``slipway:environment`` tag names
  another environment. The condition pairs ``Null: false`` with ``StringNotEquals``, because
  a negated operator is true when the key is missing, and so is every ``…IfExists`` operator:
  ``StringNotEqualsIfExists`` alone would deny every untagged resource and every create call
  (which has no ``aws:ResourceTag``). Untagged resources are left to the ARN rules below.
* ``OtherEnvironmentTags``: any request that sets ``slipway:environment`` to another value
  (``aws:RequestTag``; the same ``Null``/``StringNotEquals`` pairing), on create or on tag.
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
* ``AccountOidcProvider``, ``AccountTrail``, ``AccountRegistryReplication``,
  ``AccountThreatDetection``: one per account-wide resource the stack does not own
  (:class:`AccountResource`): the GitHub OIDC provider, CloudTrail trails, the registry's
  replication, policy and creation templates, the GuardDuty detector.

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
    "iam:UntagOpenIDConnectProvider",
    "iam:UntagPolicy",
    "iam:UntagRole",
    "iam:UntagUser",
    "kms:UntagResource",
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
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
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


ACCOUNT_RESOURCE_ACTIONS: Mapping[AccountResource, tuple[str, ...]] = {
    AccountResource.OIDC_PROVIDER: (
        "iam:AddClientIDToOpenIDConnectProvider",
        "iam:CreateOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider",
        "iam:RemoveClientIDFromOpenIDConnectProvider",
        "iam:TagOpenIDConnectProvider",
        "iam:UntagOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint",
    ),
    AccountResource.AUDIT_TRAIL: (
        "cloudtrail:AddTags",
        "cloudtrail:CreateTrail",
        "cloudtrail:DeleteTrail",
        "cloudtrail:PutEventSelectors",
        "cloudtrail:PutInsightSelectors",
        "cloudtrail:RemoveTags",
        "cloudtrail:StartLogging",
        "cloudtrail:StopLogging",
        "cloudtrail:UpdateTrail",
    ),
    AccountResource.REGISTRY_REPLICATION: (
        "ecr:CreateRepositoryCreationTemplate",
        "ecr:DeleteRegistryPolicy",
        "ecr:DeleteRepositoryCreationTemplate",
        "ecr:PutRegistryPolicy",
        "ecr:PutReplicationConfiguration",
        "ecr:UpdateRepositoryCreationTemplate",
    ),
    AccountResource.THREAT_DETECTION: (
        "guardduty:CreateDetector",
        "guardduty:DeleteDetector",
        "guardduty:UpdateDetector",
    ),
}
"""What only the stack owning each account-wide resource may do."""

_STATEMENT_IDS = {
    AccountResource.OIDC_PROVIDER: "AccountOidcProvider",
    AccountResource.AUDIT_TRAIL: "AccountTrail",
    AccountResource.REGISTRY_REPLICATION: "AccountRegistryReplication",
    AccountResource.THREAT_DETECTION: "AccountThreatDetection",
}


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

    @property
    def resource_prefix(self) -> str:
        """``<app>-<env>``."""
        return f"{self.app}-{self.environment}"

    def arn(self, service: str, resource: str, region: str = "*") -> str:
        """An ARN of this account; IAM ARNs have no region."""
        region = "" if service == "iam" else region
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

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
        {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    for sid, key, tag, value in (
        ("OtherEnvironments", "ResourceTag", ENVIRONMENT_TAG, env),
        ("OtherEnvironmentTags", "RequestTag", ENVIRONMENT_TAG, env),
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


def bound_roles(boundary_arn: pulumi.Input[str]) -> pulumi.ResourceTransformation:
    """A stack transformation that gives every IAM role without a boundary ``boundary_arn``.

    Register it (``pulumi.runtime.register_stack_transformation``) before the stack's first
    role: a role created without this boundary is refused by the boundary itself.
    """

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        if args.type_ != ROLE_TYPE or args.props.get("permissions_boundary") is not None:
            return None  # type: ignore[return-value]
        return pulumi.ResourceTransformationResult(
            {**args.props, "permissions_boundary": boundary_arn}, args.opts
        )

    return transform
