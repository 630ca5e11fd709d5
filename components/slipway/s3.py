"""The controls every Slipway bucket carries, written once: owner-enforced object ownership,
all four public-access blocks, versioning and default encryption, TLS only; expiring
lifecycle rules, and their S3 API shape (``PutBucketLifecycleConfiguration``) as the provider's
arguments.

Used by the audit trail's bucket, the backup data bucket and the load balancer's access-log
bucket. The children are named ``<prefix>-ownership``, ``-public-access``, ``-versioning`` and
``-encryption``, children of ``parent``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

ABORT_MULTIPART_AFTER_DAYS = 7
"""Unfinished multipart uploads are removed after this many days."""

_SseDefault = (
    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
)


@dataclass(frozen=True)
class BucketControls:
    """The controls :func:`private_bucket_controls` registered: a bucket policy should depend on
    ``public_access`` and ``ownership``, a lifecycle configuration on ``versioning``."""

    ownership: aws.s3.BucketOwnershipControls
    public_access: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration


def private_bucket_controls(
    prefix: str,
    bucket: aws.s3.Bucket,
    parent: pulumi.Resource,
    kms_key_arn: pulumi.Input[str] | None = None,
    bucket_key_enabled: bool | None = None,
) -> BucketControls:
    """Owner-enforced ownership (no ACLs), every public-access block, versioning, and default
    encryption: SSE-KMS with ``kms_key_arn`` (and ``bucket_key_enabled`` as given), else SSE-S3.
    """
    child = pulumi.ResourceOptions(parent=parent)
    ownership = aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{prefix}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
        opts=child,
    )
    by_default = (
        _SseDefault(sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)
        if kms_key_arn is not None
        else _SseDefault(sse_algorithm="AES256")
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=by_default,
                bucket_key_enabled=bucket_key_enabled,
            )
        ],
        opts=child,
    )
    return BucketControls(ownership, public_access, versioning, encryption)


def expiry_rules(
    rule_id: str,
    retention_days: int,
    noncurrent_days: int,
    transitions: Sequence[tuple[int, str]] = (),
) -> list[dict[str, Any]]:
    """A bucket's lifecycle as S3's API names it (``PutBucketLifecycleConfiguration``): objects
    move to each ``(days, storage class)`` of ``transitions`` and expire after
    ``retention_days``, versions no longer current ``noncurrent_days`` later, unfinished
    uploads after :data:`ABORT_MULTIPART_AFTER_DAYS`; then ``remove-expired-delete-markers``,
    the delete markers left alone once their object's versions are gone (S3 allows this only
    in a rule of its own)."""
    rule: dict[str, Any] = {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}}
    if transitions:
        rule["Transitions"] = [{"Days": d, "StorageClass": c} for d, c in transitions]
    rule |= {
        "Expiration": {"Days": retention_days},
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_MULTIPART_AFTER_DAYS},
    }
    return [
        rule,
        {
            "ID": "remove-expired-delete-markers",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
    ]


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """A bucket policy statement that refuses every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def lifecycle_rule_args(rule: dict[str, Any]) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """One lifecycle rule, written in the S3 API's shape (``ID``, ``Status``, ``Filter``,
    ``Transitions``, ``Expiration``, ``NoncurrentVersionExpiration``,
    ``AbortIncompleteMultipartUpload``; what the rule functions return and the tests check
    against botocore), as the provider's arguments."""
    expiration = rule["Expiration"]
    noncurrent = rule.get("NoncurrentVersionExpiration")
    multipart = rule.get("AbortIncompleteMultipartUpload")
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule["ID"],
        status=rule["Status"],
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule["Filter"]["Prefix"]),
        transitions=[
            aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                days=t["Days"], storage_class=t["StorageClass"]
            )
            for t in rule.get("Transitions", [])
        ]
        or None,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
            days=expiration.get("Days"),
            expired_object_delete_marker=expiration.get("ExpiredObjectDeleteMarker"),
        ),
        noncurrent_version_expiration=(
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent["NoncurrentDays"]
            )
            if noncurrent
            else None
        ),
        abort_incomplete_multipart_upload=(
            aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=multipart["DaysAfterInitiation"]
            )
            if multipart
            else None
        ),
    )
