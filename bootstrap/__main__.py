"""Slipway bootstrap: the Pulumi state backend and secrets key of one AWS account.

Run once per account, with a local backend, before any Slipway stack (bootstrap/README.md):

* an S3 bucket for Pulumi state: versioned, encrypted with the key below (SSE-KMS, bucket
  key on), public access blocked, object ownership enforced (no ACLs), TLS-only policy, old
  versions expired after ``noncurrentVersionDays``; protected and retained;
* a KMS key for Pulumi's ``awskms`` secrets provider (and the bucket): yearly rotation on,
  multi-Region (so a replica in another region can decrypt the stacks' secrets after a
  regional failure), key policy delegating to IAM, alias ``alias/slipway-pulumi-secrets``;
  protected and retained.

Outputs: ``loginUrl`` (for ``pulumi login``) and ``secretsProvider`` (for ``pulumi stack init
--secrets-provider``), plus the bucket's and key's names and ARNs.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws

PROJECT = "slipway-bootstrap"
"""Pulumi.yaml's project name: the namespace of this program's settings."""
KEY_ALIAS = "alias/slipway-pulumi-secrets"
"""Alias of the secrets key; the ``awskms://`` URL names it."""
BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DEFAULT_NONCURRENT_DAYS = 90


def key_policy(account_id: str, partition: str) -> str:
    """Key policy: the account administers and uses the key through IAM, as AWS's default."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def bucket_policy(bucket_arn: str) -> str:
    """Bucket policy: refuse every request not made over TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def settings() -> tuple[str | None, int]:
    """The optional settings, validated before anything is created."""
    config = pulumi.Config(PROJECT)
    name = config.get("stateBucketName")
    days = config.get_int("noncurrentVersionDays") or DEFAULT_NONCURRENT_DAYS
    problems = []
    if name is not None and not BUCKET_NAME.match(name):
        problems.append(f"stateBucketName: got {name!r}; a valid S3 bucket name (3-63, a-z0-9.-)")
    if not 1 <= days <= 3650:
        problems.append(f"noncurrentVersionDays: got {days}; 1 to 3650")
    if problems:
        raise ValueError("; ".join(problems))
    return name, days


def main() -> dict[str, Any]:
    """Create the bucket and the key; return the outputs (also exported)."""
    bucket_name_setting, noncurrent_days = settings()
    region = aws.get_region_output().region
    identity = aws.get_caller_identity_output()
    partition = aws.get_partition_output().partition
    stateful = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    tags = {"slipway:purpose": "pulumi-state"}

    key = aws.kms.Key(
        "state-key",
        description="Pulumi secrets provider and state bucket of Slipway",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        multi_region=True,
        policy=pulumi.Output.all(identity.account_id, partition).apply(
            lambda values: key_policy(str(values[0]), str(values[1]))
        ),
        tags=tags,
        opts=stateful,
    )
    aws.kms.Alias("state-key-alias", name=KEY_ALIAS, target_key_id=key.key_id)

    bucket_name: pulumi.Input[str] = bucket_name_setting or pulumi.Output.concat(
        "slipway-pulumi-state-", identity.account_id, "-", region
    )
    bucket = aws.s3.Bucket(
        "state",
        bucket=bucket_name,
        force_destroy=False,
        tags=tags,
        opts=stateful,
    )
    aws.s3.BucketPublicAccessBlock(
        "state-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketOwnershipControls(
        "state-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
    )
    aws.s3.BucketVersioning(
        "state-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
    )
    sse_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "state-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=sse_default(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    aws.s3.BucketLifecycleConfiguration(
        "state-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-state-versions",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=(
                    aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=noncurrent_days
                    )
                ),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    )
                ),
            )
        ],
    )
    aws.s3.BucketPolicy(
        "state-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(bucket_policy),
    )

    outputs: dict[str, Any] = {
        "stateBucketName": bucket.bucket,
        "stateBucketArn": bucket.arn,
        "secretsKeyArn": key.arn,
        "secretsKeyId": key.key_id,
        "secretsKeyAlias": KEY_ALIAS,
        "loginUrl": pulumi.Output.concat("s3://", bucket.bucket, "?region=", region, "&awssdk=v2"),
        "secretsProvider": pulumi.Output.concat("awskms://", KEY_ALIAS, "?region=", region),
    }
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs


if __name__ == "__main__":
    main()
