"""``EncryptionKey``: a customer-managed KMS key with rotation and an explicit key policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.iam import account_root_arn, policy_document
from slipway.patterns import region_problems

KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
"""What a service that encrypts with the key on the account's behalf is allowed to do."""

DELETION_WINDOW_DAYS = range(7, 31)
"""Days KMS lets a scheduled key deletion wait: 7 to 30 (AWS KMS API Reference,
"ScheduleKeyDeletion", ``PendingWindowInDays``:
https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)."""


def deletion_window_problems(days: object, setting: str) -> list[str]:
    """The one rule for a KMS key's deletion window: a problem naming ``setting`` unless
    ``days`` is a whole number in :data:`DELETION_WINDOW_DAYS`.

    ``setting`` is how the caller's user spells the value
    (``EcsClusterArgs.key_deletion_window_days``, ``slipway:kmsDeletionWindowDays``).
    """
    if isinstance(days, int) and not isinstance(days, bool) and days in DELETION_WINDOW_DAYS:
        return []
    low, high = DELETION_WINDOW_DAYS[0], DELETION_WINDOW_DAYS[-1]
    return [invalid(setting, days, f"KMS allows {low} to {high} days")]


@dataclass(frozen=True)
class ServiceKeyAccess:
    """Lets an AWS service principal use the key, for example CloudWatch Logs or SNS."""

    service: pulumi.Input[str]
    """Service principal, e.g. ``logs.eu-west-1.amazonaws.com``."""
    condition: Mapping[str, Any] | None = None
    """IAM condition block that narrows the access (recommended: the resource's ARN)."""
    actions: Sequence[str] = KEY_USE_ACTIONS
    """Key actions the service may call; by default encrypt, decrypt and describe."""


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Arguments of :class:`EncryptionKey`."""

    description: str
    """Shown in the KMS console; say what the key protects."""
    alias: str | None = None
    """Alias without the ``alias/`` prefix. Default: no alias."""
    deletion_window_days: int = 30
    """Days a scheduled deletion waits (7 to 30, :func:`deletion_window_problems`). Default: 30,
    the longest."""
    services: Sequence[ServiceKeyAccess] = ()
    """AWS services that may use the key. The account's IAM policies always may (a key policy
    statement for the account root), so IAM roles get access through ``grant_*`` helpers."""
    protect: bool = False
    """Protect the key and retain it if it leaves the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the key."""
    region: str | None = None
    """Region of the key and its alias when it is not the provider's: pulumi-aws 7's
    per-resource ``region`` (Terraform AWS provider 6, "Enhanced Region Support",
    https://hashicorp.github.io/terraform-provider-aws/enhanced-region-support/), so the key is
    made by the same provider, with every setting the stack gives it (allowed accounts, profile,
    assumed role, default tags), only in another region. Default: the provider's region."""

    def __post_init__(self) -> None:
        problems = []
        if self.region is not None:
            problems.extend(region_problems(self.region, "EncryptionKeyArgs.region"))
        problems.extend(
            deletion_window_problems(
                self.deletion_window_days, "EncryptionKeyArgs.deletion_window_days"
            )
        )
        if self.alias is not None and (
            not self.alias
            or self.alias.startswith(("alias/", "aws/"))
            or not all(c.isalnum() or c in "/_-" for c in self.alias)
        ):
            problems.append(
                invalid(
                    "EncryptionKeyArgs.alias",
                    self.alias,
                    "letters, digits, '/', '_' and '-', without the 'alias/' prefix",
                )
            )
        if problems:
            raise ConfigError(problems)


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric customer-managed KMS key with yearly rotation and an explicit key policy.

    Outputs:
        key_arn: ARN of the key.
        key_id: ID of the key.
        alias_arn: ARN of the alias, or None when no alias was asked for.
    """

    TOKEN = "slipway:index:EncryptionKey"

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        statements: list[dict[str, Any]] = [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {
                    "AWS": account_root_arn(partition.partition, identity.account_id),
                },
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        for index, access in enumerate(args.services):
            statement: dict[str, Any] = {
                "Sid": f"ServiceUse{index}",
                "Effect": "Allow",
                "Principal": {"Service": access.service},
                "Action": sorted(access.actions),
                "Resource": "*",
            }
            if access.condition:
                statement["Condition"] = dict(access.condition)
            statements.append(statement)

        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy_document(statements),
            tags=dict(args.tags),
            region=args.region,
            opts=stateful,
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_arn = None
        if args.alias is not None:
            alias = aws.kms.Alias(
                f"{name}-alias",
                name=f"alias/{args.alias}",
                target_key_id=key.key_id,
                region=args.region,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.alias_arn = alias.arn
        self.register_outputs(
            {"key_arn": self.key_arn, "key_id": self.key_id, "alias_arn": self.alias_arn}
        )


def given_or_new_key_arn(
    given: pulumi.Input[str] | None,
    name: str,
    new_key: Callable[[], EncryptionKeyArgs],
    parent: pulumi.Resource,
) -> pulumi.Input[str]:
    """The key a component encrypts with: ``given`` when the caller brings its own key,
    otherwise the ARN of a new :class:`EncryptionKey` ``name``, a child of ``parent``, made
    from ``new_key()`` (called only then, so the new key's arguments, and any invoke they
    need, cost nothing when a key is given)."""
    if given is not None:
        return given
    return EncryptionKey(name, new_key(), opts=pulumi.ResourceOptions(parent=parent)).key_arn
