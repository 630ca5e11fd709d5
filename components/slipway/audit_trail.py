"""``AuditTrail``: a multi-region CloudTrail trail with tamper-evident, encrypted storage.

One trail per account is enough: a multi-region trail records every region's management events
and the global services' (IAM, STS, CloudFront). In an account that several stacks share, only
ONE stack creates the trail; every other stack sets ``use_existing_trail_arn`` (as does any
stack in an account that an organisation trail already covers), so events are not recorded,
stored and billed twice.

Where events go:

* An S3 bucket: versioned, encrypted with the trail's KMS key, public access blocked, ACLs
  disabled, TLS required, moved to STANDARD_IA after 30 days and GLACIER after 90, expired after
  ``retention_days`` (a deleted object's last version is removed 30 days later); optionally
  object-locked so nobody can delete or overwrite log files during the lock period. Log file
  validation writes signed digest files next to the logs, so tampering can be proven.
* A CloudWatch Logs group (encrypted with the same key) for searching and metric filters,
  written through a role that may only create streams and put events in that group.

CloudTrail files are usually smaller than 128 KB, and S3 does not transition objects that small
by default (it would cost more than it saves); those stay in STANDARD until they expire.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import (
    EncryptionKey,
    EncryptionKeyArgs,
    ServiceKeyAccess,
    deletion_window_problems,
)
from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document
from slipway.logs import log_group, logs_service_principal, retention_problems
from slipway.s3 import (
    expiry_rules,
    lifecycle_rule_args,
    private_bucket_controls,
    tls_only_statement,
)

_TRAIL_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?=[A-Za-z0-9])){2,127}"
TRAIL_NAME = re.compile(rf"^{_TRAIL_NAME}$")
"""CloudTrail's rule: 3 to 128 letters, digits, '.', '_', '-'; starts and ends with a letter or
digit; no two separators in a row."""
TRAIL_ARN = re.compile(
    rf"^arn:aws(?:-cn|-us-gov)?:cloudtrail:[a-z]{{2}}(?:-[a-z]+)+-\d:\d{{12}}:trail/{_TRAIL_NAME}$"
)
"""``arn:<partition>:cloudtrail:<region>:<account>:trail/<name>``."""


def trail_arn_problems(arn: object, setting: str) -> list[str]:
    """The one rule for an existing trail's ARN (:data:`TRAIL_ARN`)."""
    if isinstance(arn, str) and TRAIL_ARN.match(arn):
        return []
    return [
        invalid(
            setting,
            arn,
            "a trail ARN: arn:<partition>:cloudtrail:<region>:<12-digit account>:trail/<name>",
        )
    ]


BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
"""S3's rule, without dots (they break TLS for virtual-hosted URLs)."""

STANDARD_IA_AFTER_DAYS = 30
GLACIER_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 30
"""A version that is no longer current (the object expired or was deleted) goes this much later."""
MAX_RETENTION_DAYS = 3653
LOG_DELIVERY_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def audit_retention_problems(days: object, setting: str) -> list[str]:
    """The one range rule for how long the audit bucket keeps trail files:
    ``GLACIER_AFTER_DAYS + 1`` to :data:`MAX_RETENTION_DAYS` (files move to GLACIER at day
    :data:`GLACIER_AFTER_DAYS`; S3 expires them only after that)."""
    if (
        isinstance(days, int)
        and not isinstance(days, bool)
        and GLACIER_AFTER_DAYS < days <= MAX_RETENTION_DAYS
    ):
        return []
    return [
        invalid(
            setting,
            days,
            f"{GLACIER_AFTER_DAYS + 1} to {MAX_RETENTION_DAYS} (files move to GLACIER "
            f"at day {GLACIER_AFTER_DAYS}; S3 expires them only after that)",
        )
    ]


def lifecycle_rules(retention_days: int) -> list[dict[str, Any]]:
    """The bucket's lifecycle rules as S3's API names them (``PutBucketLifecycleConfiguration``).

    1. ``archive-then-expire``: STANDARD_IA after 30 days, GLACIER after 90, expiry after
       ``retention_days``; versions no longer current go 30 days later; unfinished multipart
       uploads after 7 days.
    2. ``remove-expired-delete-markers``: delete markers left alone once their object's
       versions are gone (S3 allows this only in a rule of its own).
    """
    return expiry_rules(
        "archive-then-expire",
        retention_days,
        NONCURRENT_EXPIRY_DAYS,
        transitions=((STANDARD_IA_AFTER_DAYS, "STANDARD_IA"), (GLACIER_AFTER_DAYS, "GLACIER")),
    )


OWNER_ROLE_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}-$")
"""``<app>-<env>-``: the start of the names of the roles that own the evidence."""
EVIDENCE_CHANGES = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
)
"""What only the bucket's owner may do to the evidence: delete it, shorten or bypass its lock,
change what keeps it (versioning, lifecycle, lock configuration) or the policy itself. S3
evaluates no resource tag on objects, so this is decided by the caller's ARN."""


IDENTITY_CENTER_ROLES = "aws-reserved/sso.amazonaws.com/"
"""The path of the roles IAM Identity Center makes for people's permission sets ("IAM
Identity Center and AWS Organizations", IAM Identity Center User Guide): an operator who runs
the owner stack's ``up`` with their own credentials keeps changing the bucket. No stack can make
or assume such a role (its boundary's ``OwnPrincipals`` allows only ``role/<app>-<env>-*``)."""


def evidence_owner_patterns(
    partition: pulumi.Input[str], account_id: pulumi.Input[str], owner_role_prefix: str
) -> list[pulumi.Output[str]]:
    """The principals that may change the evidence: the owning stack's roles
    (``role/<owner_role_prefix>*``) and the operators' Identity Center roles."""
    return [
        pulumi.Output.format("arn:{0}:iam::{1}:role/{2}*", partition, account_id, name)
        for name in (owner_role_prefix, IDENTITY_CENTER_ROLES)
    ]


def bucket_policy_statements(
    bucket_arn: pulumi.Input[str],
    trail_arn: pulumi.Input[str],
    account_id: pulumi.Input[str],
    owner_role_arns: Sequence[pulumi.Input[str]] | None = None,
) -> list[dict[str, Any]]:
    """Statements of the bucket policy (AWS's documented CloudTrail bucket policy, plus TLS).

    * ``AWSCloudTrailAclCheck``: CloudTrail may read the bucket ACL, for this trail only.
    * ``AWSCloudTrailWrite``: CloudTrail may write under ``AWSLogs/<account>/``, for this trail
      only, handing the object to the bucket owner.
    * ``DenyInsecureTransport``: every request without TLS is refused.
    * ``OnlyTheOwnerChangesEvidence`` (with ``owner_role_arns``, ARN patterns of the owning
      stack's roles and of the operators' IAM Identity Center roles,
      :func:`evidence_owner_patterns`): :data:`EVIDENCE_CHANGES` for every other principal,
      whatever its own
      policies allow (an explicit deny in a resource policy wins; IAM User Guide, "Policy
      evaluation logic"). The account's root user can still delete the bucket policy (S3 keeps
      that way out of a lock-out).
    """
    owner = (
        [
            {
                "Sid": "OnlyTheOwnerChangesEvidence",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(EVIDENCE_CHANGES),
                "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(owner_role_arns)}},
            }
        ]
        if owner_role_arns is not None
        else []
    )
    return [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account_id, "/*"),
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceArn": trail_arn,
                }
            },
        },
        tls_only_statement(bucket_arn),
        *owner,
    ]


def key_services(
    trail_arn: pulumi.Input[str],
    partition: pulumi.Input[str],
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    log_group_arn: pulumi.Input[str],
) -> list[ServiceKeyAccess]:
    """Who besides the account may use the trail's key (AWS's CloudTrail key policy sections).

    * CloudTrail may generate data keys to encrypt log and digest files, only for this trail
      (``aws:SourceArn``) and only with a CloudTrail encryption context of this account.
    * CloudTrail may describe the key, only for this trail.
    * CloudWatch Logs (of this region) may use it, only for the trail's log group.

    Decrypting log files is left to IAM: the account's key policy statement lets IAM policies
    grant ``kms:Decrypt``.
    """
    cloudtrail_context = pulumi.Output.concat(
        "arn:", partition, ":cloudtrail:*:", account_id, ":trail/*"
    )
    return [
        ServiceKeyAccess(
            service="cloudtrail.amazonaws.com",
            actions=("kms:GenerateDataKey*",),
            condition={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": cloudtrail_context},
            },
        ),
        ServiceKeyAccess(
            service="cloudtrail.amazonaws.com",
            actions=("kms:DescribeKey",),
            condition={"StringEquals": {"aws:SourceArn": trail_arn}},
        ),
        ServiceKeyAccess(
            service=logs_service_principal(region),
            condition={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
        ),
    ]


CLOUDTRAIL_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudTrailDeliversToLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
"""Trust of the log-delivery role. Without ``aws:SourceArn``/``aws:SourceAccount``: AWS documents
that CloudTrail's CloudWatch Logs role does not support them (the role can only write to one
log group, so a confused deputy could do nothing else)."""


@dataclass(frozen=True)
class AuditTrailArgs:
    """Arguments of :class:`AuditTrail`. Every default is the secure choice."""

    trail_name: str
    """Name of the trail, e.g. ``storefront-audit``. Also names the log group
    (``cloudtrail/<trail_name>``). Ignored with ``use_existing_trail_arn``."""
    use_existing_trail_arn: str | None = None
    """ARN of a trail that already records this account (an organisation trail, or the trail of
    the one stack that owns it in a shared account). The component then creates nothing and
    only reports this ARN. Default: create the trail."""
    bucket_name: str | None = None
    """Name of the log bucket (3 to 63 lower-case letters, digits and '-'). Default: a unique
    name derived from the component's name."""
    retention_days: int = 365
    """Days log files are kept in S3 before they expire (91 to 3653; after the GLACIER move at
    day 90). Default: 365."""
    log_retention_days: int = 365
    """Days events are kept in CloudWatch Logs (one of CloudWatch's values). Default: 365."""
    owner_role_prefix: str | None = None
    """The name prefix of the roles that own the evidence (the owning stack's ``<app>-<env>-``):
    the bucket policy denies every other principal deleting files, bypassing or changing their
    lock, and changing the bucket's policy, versioning or lifecycle
    (:data:`EVIDENCE_CHANGES`). Default: no such statement."""
    object_lock: bool = False
    """Create the bucket with S3 Object Lock, so log files cannot be deleted or overwritten for
    ``object_lock_days``. Can only be chosen when the bucket is created. On in prod."""
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    """``GOVERNANCE``: principals with ``s3:BypassGovernanceRetention`` can still remove a
    locked file. ``COMPLIANCE``: nobody can, the root user included, until the lock ends.
    Default: GOVERNANCE."""
    object_lock_days: int = 365
    """Default lock period of each new log file (1 to ``retention_days``). Default: 365."""
    key_deletion_window_days: int = 30
    """Deletion window of the trail's KMS key, 7 to 30 days."""
    protect: bool = False
    """Protect the bucket, key, log group and trail; retain the bucket, key and log group if
    they leave the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "AuditTrailArgs."
        if not TRAIL_NAME.match(self.trail_name):
            problems.append(
                invalid(
                    name + "trail_name",
                    self.trail_name,
                    "3 to 128 letters, digits, '.', '_' and '-', starting and ending with a "
                    "letter or digit, no two of '.', '_', '-' in a row",
                )
            )
        if self.use_existing_trail_arn is not None:
            problems.extend(
                trail_arn_problems(self.use_existing_trail_arn, name + "use_existing_trail_arn")
            )
        if self.bucket_name is not None and (
            not BUCKET_NAME.match(self.bucket_name)
            or self.bucket_name.startswith(("xn--", "sthree-"))
            or self.bucket_name.endswith(("-s3alias", "--ol-s3"))
            or _is_ip(self.bucket_name)
        ):
            problems.append(
                invalid(
                    name + "bucket_name",
                    self.bucket_name,
                    "3 to 63 lower-case letters, digits and '-', starting and ending with a "
                    "letter or digit",
                )
            )
        problems.extend(audit_retention_problems(self.retention_days, name + "retention_days"))
        problems.extend(retention_problems(self.log_retention_days, name + "log_retention_days"))
        if self.owner_role_prefix is not None and not OWNER_ROLE_PREFIX.match(
            str(self.owner_role_prefix)
        ):
            problems.append(
                invalid(
                    name + "owner_role_prefix",
                    self.owner_role_prefix,
                    "the owning stack's role-name prefix: 2 to 50 lower-case letters, digits "
                    "and '-', ending with '-' (e.g. 'storefront-prod-')",
                )
            )
        if self.object_lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            problems.append(
                invalid(
                    name + "object_lock_mode", self.object_lock_mode, "GOVERNANCE or COMPLIANCE"
                )
            )
        if self.object_lock and not 1 <= self.object_lock_days <= self.retention_days:
            problems.append(
                invalid(
                    name + "object_lock_days",
                    self.object_lock_days,
                    f"1 to retention_days ({self.retention_days}): a file cannot expire while "
                    "it is locked",
                )
            )
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        if problems:
            raise ConfigError(problems)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail into an encrypted, versioned, lifecycled (optionally
    object-locked) S3 bucket and a CloudWatch Logs group; or a reference to an existing trail.

    Outputs:
        trail_arn: ARN of the trail (the existing one with ``use_existing_trail_arn``).
        bucket_name: Name of the log bucket; None with ``use_existing_trail_arn``.
        log_group_name: Name of the CloudWatch Logs group; None with ``use_existing_trail_arn``.
        kms_key_arn: ARN of the key of bucket, logs and trail; None with
            ``use_existing_trail_arn``.
    """

    TOKEN = "slipway:index:AuditTrail"

    trail_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str] | None
    log_group_name: pulumi.Output[str] | None
    kms_key_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self.bucket_name = None
        self.log_group_name = None
        self.kms_key_arn = None
        if args.use_existing_trail_arn is not None:
            self.trail_arn = pulumi.Output.from_input(args.use_existing_trail_arn)
        else:
            self.trail_arn = self._create(name, args)
        self.register_outputs(
            {
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "log_group_name": self.log_group_name,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def _create(self, name: str, args: AuditTrailArgs) -> pulumi.Output[str]:
        """Key, bucket, log group, role and trail; returns the trail's ARN."""
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        account_id = identity.account_id

        # Known before the trail exists: the key and bucket policies name the trail, and the
        # trail needs both first, so its ARN is built from its name rather than read from it.
        trail_arn = pulumi.Output.format(
            "arn:{0}:cloudtrail:{1}:{2}:trail/{3}",
            partition.partition,
            region.region,
            account_id,
            args.trail_name,
        )
        log_group_name = f"cloudtrail/{args.trail_name}"
        log_group_arn = pulumi.Output.format(
            "arn:{0}:logs:{1}:{2}:log-group:{3}",
            partition.partition,
            region.region,
            account_id,
            log_group_name,
        )

        key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                description=f"Encrypts the files and events of CloudTrail trail {args.trail_name}",
                alias=f"cloudtrail/{args.trail_name}",
                deletion_window_days=args.key_deletion_window_days,
                services=key_services(
                    trail_arn, partition.partition, region.region, account_id, log_group_arn
                ),
                protect=args.protect,
                tags=args.tags,
            ),
            opts=child,
        )

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            object_lock_enabled=args.object_lock,
            force_destroy=False,
            tags=dict(args.tags),
            opts=stateful,
        )
        # Off: with a bucket key, S3 would ask KMS under the bucket's encryption context, not
        # the trail's that the key policy requires. Cost: cents a month.
        controls = private_bucket_controls(
            name, bucket, self, kms_key_arn=key.key_arn, bucket_key_enabled=False
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[lifecycle_rule_args(rule) for rule in lifecycle_rules(args.retention_days)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[controls.versioning]),
        )
        if args.object_lock:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock_mode, days=args.object_lock_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[controls.versioning]),
            )
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket.id,
            policy=policy_document(
                bucket_policy_statements(
                    bucket.arn,
                    trail_arn,
                    account_id,
                    None
                    if args.owner_role_prefix is None
                    else evidence_owner_patterns(
                        partition.partition, account_id, args.owner_role_prefix
                    ),
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[controls.public_access, controls.ownership]
            ),
        )

        logs = log_group(
            f"{name}-logs",
            parent=self,
            log_group_name=log_group_name,
            retention_days=args.log_retention_days,
            kms_key_arn=key.key_arn,
            protect=args.protect,
            tags=args.tags,
        )
        role = aws.iam.Role(
            f"{name}-logs-role",
            description=f"CloudTrail trail {args.trail_name} writes to {log_group_name}",
            assume_role_policy=CLOUDTRAIL_TRUST_POLICY,
            tags=dict(args.tags),
            opts=child,
        )
        # CloudTrail names its streams <account>_CloudTrail_<region>[_<n>].
        streams = pulumi.Output.concat(
            logs.arn, ":log-stream:", account_id, "_CloudTrail_", region.region, "*"
        )
        delivery = aws.iam.RolePolicy(
            f"{name}-logs-delivery",
            role=role.id,
            policy=policy_document([allow("CloudTrailDelivery", LOG_DELIVERY_ACTIONS, [streams])]),
            opts=child,
        )

        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=bucket.id,
            kms_key_id=key.key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            is_organization_trail=False,
            cloud_watch_logs_group_arn=pulumi.Output.concat(logs.arn, ":*"),
            cloud_watch_logs_role_arn=role.arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=[bucket_policy, controls.encryption, delivery],
            ),
        )

        self.bucket_name = bucket.bucket
        self.log_group_name = logs.name
        self.kms_key_arn = key.key_arn
        trail_output: pulumi.Output[str] = trail.arn
        return trail_output
