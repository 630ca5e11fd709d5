"""``AuditTrail`` for every Pulumi language, delegating to the Python API's own."""

from enum import StrEnum
from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class ObjectLockMode(StrEnum):
    """S3 Object Lock retention mode of the trail's log files."""

    GOVERNANCE = "GOVERNANCE"
    """Principals with ``s3:BypassGovernanceRetention`` can still remove a locked file."""
    COMPLIANCE = "COMPLIANCE"
    """Nobody can remove a locked file, the root user included, until the lock ends."""


class AuditTrailArgs(TypedDict):
    """Arguments of :class:`AuditTrail`. Every default is the secure choice."""

    trail_name: str
    """Name of the trail, e.g. ``storefront-audit``. Also names the log group
    (``cloudtrail/<trail_name>``). Ignored with ``use_existing_trail_arn``."""
    use_existing_trail_arn: NotRequired[str]
    """ARN of a trail that already records this account (an organisation trail, or the trail of the
    one stack that owns it in a shared account). The component then creates nothing and only
    reports this ARN. Default: create the trail."""
    bucket_name: NotRequired[str]
    """Name of the log bucket (3 to 63 lower-case letters, digits and '-'). Default: a unique name
    derived from the component's name."""
    retention_days: NotRequired[int]
    """Days log files are kept in S3 before they expire (91 to 3653; after the GLACIER move at day
    90). Default: 365."""
    log_retention_days: NotRequired[int]
    """Days events are kept in CloudWatch Logs (one of CloudWatch's values). Default: 365."""
    owner_role_prefix: NotRequired[str]
    """The name prefix of the roles that own the evidence (the owning stack's ``<app>-<env>-``):
    the bucket policy denies every other principal deleting files, bypassing or changing their
    lock, and changing the bucket's policy, versioning or lifecycle (:data:`EVIDENCE_CHANGES`).
    Default: no such statement."""
    object_lock: NotRequired[bool]
    """Create the bucket with S3 Object Lock, so log files cannot be deleted or overwritten for
    ``object_lock_days``. Can only be chosen when the bucket is created. On in prod. Default:
    false."""
    object_lock_mode: NotRequired[ObjectLockMode]
    """``GOVERNANCE``: principals with ``s3:BypassGovernanceRetention`` can still remove a locked
    file. ``COMPLIANCE``: nobody can, the root user included, until the lock ends. Default:
    GOVERNANCE."""
    object_lock_days: NotRequired[int]
    """Default lock period of each new log file (1 to ``retention_days``). Default: 365."""
    key_deletion_window_days: NotRequired[int]
    """Deletion window of the trail's KMS key, 7 to 30 days. Default: 30."""
    protect: NotRequired[bool]
    """Protect the bucket, key, log group and trail; retain the bucket, key and log group if they
    leave the program. On in prod. Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail into an encrypted, versioned, lifecycled (optionally
    object-locked) S3 bucket and a CloudWatch Logs group; or a reference to an existing trail."""

    trail_arn: pulumi.Output[str]
    """ARN of the trail (the existing one with ``useExistingTrailArn``)."""
    bucket_name: pulumi.Output[str] | None
    """Name of the log bucket; absent with ``useExistingTrailArn``."""
    log_group_name: pulumi.Output[str] | None
    """Name of the CloudWatch Logs group; absent with ``useExistingTrailArn``."""
    kms_key_arn: pulumi.Output[str] | None
    """ARN of the key of bucket, logs and trail; absent with ``useExistingTrailArn``."""

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:AuditTrail", name, None, opts)
        inner = slipway.AuditTrail(
            name,
            typed_args(
                slipway.AuditTrailArgs,
                args,
                {"object_lock_mode": lambda mode: ObjectLockMode(mode).value},
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.trail_arn = inner.trail_arn
        self.bucket_name = inner.bucket_name
        self.log_group_name = inner.log_group_name
        self.kms_key_arn = inner.kms_key_arn
        self.register_outputs(
            {
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "log_group_name": self.log_group_name,
                "kms_key_arn": self.kms_key_arn,
            }
        )
