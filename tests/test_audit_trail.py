"""AuditTrail: the trail, its bucket, key, log group and role, and the existing-trail switch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import botocore.validate
import pytest
from moto import mock_aws

from slipway.audit_trail import EVIDENCE_CHANGES, AuditTrail, AuditTrailArgs, lifecycle_rules
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy, assert_valid_trust_policy
from tests.iam_eval import Principal
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def audit(run: Runner, region: str = "eu-west-1", **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = AuditTrailArgs(**{"trail_name": "shop-audit", **overrides})
        component = AuditTrail("audit", args)
        return {
            "trail": component.trail_arn,
            "bucket": component.bucket_name,
            "log_group": component.log_group_name,
            "key": component.kms_key_arn,
        }

    return run(program, region=region)


def trail_arn(region: str = "eu-west-1", name: str = "shop-audit") -> str:
    return f"arn:aws:cloudtrail:{region}:{ACCOUNT_ID}:trail/{name}"


def test_trail_records_every_region_with_validation_encryption_and_logs(
    run_component: Runner,
) -> None:
    recording = audit(run_component, tags={"team": "shop"})
    trail = recording.one(TRAIL)
    inputs = trail.inputs
    assert inputs["name"] == "shop-audit"
    assert inputs["isMultiRegionTrail"] is True
    assert inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True
    assert inputs["enableLogging"] is True
    assert inputs["isOrganizationTrail"] is False
    assert inputs["tags"] == {"team": "shop"}
    key_arn = inputs["kmsKeyId"]
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert recording.outputs["key"] == key_arn
    bucket = recording.one(BUCKET)
    assert inputs["s3BucketName"] == recording.outputs["bucket"]
    log_group = recording.one(LOG_GROUP)
    assert log_group.inputs["name"] == "cloudtrail/shop-audit" == recording.outputs["log_group"]
    assert inputs["cloudWatchLogsGroupArn"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:cloudtrail/shop-audit:*"
    )
    role = recording.one(ROLE)
    assert inputs["cloudWatchLogsRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/audit-logs")
    # CloudTrail checks the bucket policy, the key and the role when the trail is created.
    for dependency in (
        recording.one(BUCKET_POLICY),
        recording.one(ROLE_POLICY),
        recording.one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ),
        bucket,
        role,
        log_group,
    ):
        assert dependency.urn in trail.dependencies, dependency.name
    assert recording.outputs["trail"] == trail_arn()


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-2"])
def test_the_arn_in_the_policies_is_the_trails_arn(run_component: Runner, region: str) -> None:
    recording = audit(run_component, region=region)
    real = recording.outputs["trail"]
    assert real == trail_arn(region)
    policy = recording.one(BUCKET_POLICY).json_input("policy")
    sources = {
        s["Sid"]: s["Condition"]["StringEquals"]["aws:SourceArn"]
        for s in policy["Statement"]
        if s["Effect"] == "Allow"
    }
    assert sources == {"AWSCloudTrailAclCheck": real, "AWSCloudTrailWrite": real}
    key_policy = recording.one(KEY).json_input("policy")
    cloudtrail = [
        s
        for s in key_policy["Statement"]
        if s["Principal"].get("Service") == "cloudtrail.amazonaws.com"
    ]
    assert [s["Condition"]["StringEquals"]["aws:SourceArn"] for s in cloudtrail] == [real, real]
    # The trail does not depend on itself through the policies: no cycle.
    trail_urn = recording.one(TRAIL).urn
    assert trail_urn not in recording.one(BUCKET_POLICY).dependencies
    assert trail_urn not in recording.one(KEY).dependencies


def test_key_policy_follows_the_cloudtrail_documentation(run_component: Runner) -> None:
    recording = audit(run_component)
    statements = recording.one(KEY).json_input("policy")["Statement"]
    account, encrypt, describe, logs = statements
    assert account["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == ["kms:GenerateDataKey*"]
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceArn": trail_arn()},
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT_ID}:trail/*"
        },
    }
    assert describe["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert describe["Action"] == ["kms:DescribeKey"]
    assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn()}}
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:cloudtrail/shop-audit"
            )
        }
    }
    assert "kms:Decrypt" not in encrypt["Action"] + describe["Action"]
    assert recording.one(LOG_GROUP).inputs["kmsKeyId"] == recording.outputs["key"]


def test_bucket_is_private_versioned_encrypted_and_owner_enforced(run_component: Runner) -> None:
    recording = audit(run_component, bucket_name="shop-audit-logs-111122223333")
    bucket = recording.one(BUCKET)
    assert bucket.inputs["bucket"] == "shop-audit-logs-111122223333"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["objectLockEnabled"] is False
    name = recording.outputs["bucket"]
    assert name == "shop-audit-logs-111122223333"
    versioning = recording.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning == {"bucket": name, "versioningConfiguration": {"status": "Enabled"}}
    public = recording.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert public == {
        "bucket": name,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    ownership = recording.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = recording.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": recording.outputs["key"],
    }
    assert rule["bucketKeyEnabled"] is False


def test_bucket_policy_lets_only_this_trail_write_and_denies_plain_http(
    run_component: Runner,
) -> None:
    recording = audit(run_component, bucket_name="shop-audit-logs")
    bucket_arn = "arn:aws:s3:::shop-audit-logs"
    statements = {
        s["Sid"]: s for s in recording.one(BUCKET_POLICY).json_input("policy")["Statement"]
    }
    assert set(statements) == {
        "AWSCloudTrailAclCheck",
        "AWSCloudTrailWrite",
        "DenyInsecureTransport",
    }
    acl = statements["AWSCloudTrailAclCheck"]
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Resource"] == bucket_arn
    write = statements["AWSCloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"{bucket_arn}/AWSLogs/{ACCOUNT_ID}/*"
    assert write["Condition"] == {
        "StringEquals": {
            "s3:x-amz-acl": "bucket-owner-full-control",
            "aws:SourceArn": trail_arn(),
        }
    }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Resource"] == [bucket_arn, f"{bucket_arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_only_the_owners_roles_change_or_delete_the_evidence(run_component: Runner) -> None:
    """Principal Mapper, with the bucket policy as the resource policy: an AdministratorAccess
    role of another stack (no tag is in the request: S3 evaluates none for objects) is refused
    every evidence change; the owner's role and CloudTrail's writes are not."""
    recording = audit(run_component, bucket_name="shop-audit-logs", owner_role_prefix="shop-prod-")
    policy = recording.one(BUCKET_POLICY).json_input("policy")
    bucket = "arn:aws:s3:::shop-audit-logs"
    log = f"{bucket}/AWSLogs/{ACCOUNT_ID}/CloudTrail/eu-west-1/2026/12/07/x.json.gz"
    other = Principal(f"arn:aws:iam::{ACCOUNT_ID}:role/shop-dev-github-oidc-apply")
    owner = Principal(f"arn:aws:iam::{ACCOUNT_ID}:role/shop-prod-github-oidc-apply")
    for action in EVIDENCE_CHANGES:
        resource = log if "Object" in action or action.startswith("s3:Bypass") else bucket
        assert not other.allows(action, resource, {}, policy), action
        assert owner.allows(action, resource, {}, policy), action
    operator = Principal(
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/"
        "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    )
    assert operator.allows("s3:PutBucketPolicy", bucket, {}, policy)
    # A role of another stack named like an Identity Center role is still another's.
    assert not Principal(f"arn:aws:iam::{ACCOUNT_ID}:role/shop-dev-aws-reserved").allows(
        "s3:PutBucketPolicy", bucket, {}, policy
    )
    assert other.allows("s3:GetObject", log, {}, policy)
    deny = next(s for s in policy["Statement"] if s["Sid"] == "OnlyTheOwnerChangesEvidence")
    assert deny["Condition"] == {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                f"arn:aws:iam::{ACCOUNT_ID}:role/shop-prod-*",
                f"arn:aws:iam::{ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/*",
            ]
        }
    }
    assert "s3:PutObject" not in deny["Action"]  # CloudTrail's delivery is untouched


def _api_rules(recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recorded (provider-shaped) lifecycle rules in S3's API shape."""
    rules = []
    for r in recorded:
        rule: dict[str, Any] = {
            "ID": r["id"],
            "Status": r["status"],
            "Filter": {"Prefix": r["filter"]["prefix"]},
        }
        if "transitions" in r:
            rule["Transitions"] = [
                {"Days": int(t["days"]), "StorageClass": t["storageClass"]}
                for t in r["transitions"]
            ]
        expiration = r["expiration"]
        rule["Expiration"] = (
            {"Days": int(expiration["days"])}
            if "days" in expiration
            else {"ExpiredObjectDeleteMarker": expiration["expiredObjectDeleteMarker"]}
        )
        if "noncurrentVersionExpiration" in r:
            rule["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(r["noncurrentVersionExpiration"]["noncurrentDays"])
            }
        if "abortIncompleteMultipartUpload" in r:
            rule["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(
                    r["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
                )
            }
        rules.append(rule)
    return rules


def test_lifecycle_archives_then_expires_after_the_retention(run_component: Runner) -> None:
    recording = audit(run_component, retention_days=2557)
    lifecycle = recording.one(LIFECYCLE)
    rules = _api_rules(lifecycle.inputs["rules"])
    assert rules == lifecycle_rules(2557)
    archive, markers = rules
    assert archive["Transitions"] == [
        {"Days": 30, "StorageClass": "STANDARD_IA"},
        {"Days": 90, "StorageClass": "GLACIER"},
    ]
    assert archive["Expiration"] == {"Days": 2557}
    assert archive["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert markers["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    versioning = recording.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.urn in lifecycle.dependencies


@pytest.mark.parametrize("retention", [91, 365, 3653])
def test_lifecycle_is_a_valid_s3_request(retention: int) -> None:
    model = service_model("s3")
    botocore.validate.validate_parameters(
        {
            "Bucket": "shop-audit-logs",
            "LifecycleConfiguration": {"Rules": lifecycle_rules(retention)},
        },
        model.operation_model("PutBucketLifecycleConfiguration").input_shape,
    )


def test_object_lock_on(run_component: Runner) -> None:
    recording = audit(
        run_component,
        object_lock=True,
        object_lock_mode="COMPLIANCE",
        object_lock_days=400,
        retention_days=731,
    )
    assert recording.one(BUCKET).inputs["objectLockEnabled"] is True
    lock = recording.one(LOCK)
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 400}}
    assert lock.inputs["bucket"] == recording.outputs["bucket"]
    versioning = recording.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.urn in lock.dependencies


def test_object_lock_off_by_default(run_component: Runner) -> None:
    recording = audit(run_component)
    assert recording.one(BUCKET).inputs["objectLockEnabled"] is False
    assert recording.of_type(LOCK) == []


def test_log_delivery_role_is_trusted_by_cloudtrail_and_scoped_to_the_log_group(
    run_component: Runner,
) -> None:
    recording = audit(run_component, region="us-east-2")
    role = recording.one(ROLE)
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    policy = recording.one(ROLE_POLICY)
    # Attached to that role (by its name, which the mock echoes as the role's ID).
    assert (
        recording.one(TRAIL)
        .inputs["cloudWatchLogsRoleArn"]
        .endswith(":role/" + policy.inputs["role"])
    )
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    (grant,) = document["Statement"]
    assert grant["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"] == [
        f"arn:aws:logs:us-east-2:{ACCOUNT_ID}:log-group:cloudtrail/shop-audit:log-stream:"
        f"{ACCOUNT_ID}_CloudTrail_us-east-2*"
    ]


def test_aws_accepts_the_bucket_configuration_and_the_trail(run_component: Runner) -> None:
    """botocore's models check the request shapes; moto's S3 and CloudTrail take them."""
    recording = audit(
        run_component, bucket_name="shop-audit-logs", object_lock=True, object_lock_days=30
    )
    trail = recording.one(TRAIL).inputs
    create_trail = {
        "Name": trail["name"],
        "S3BucketName": trail["s3BucketName"],
        "IncludeGlobalServiceEvents": trail["includeGlobalServiceEvents"],
        "IsMultiRegionTrail": trail["isMultiRegionTrail"],
        "EnableLogFileValidation": trail["enableLogFileValidation"],
        "CloudWatchLogsLogGroupArn": trail["cloudWatchLogsGroupArn"],
        "CloudWatchLogsRoleArn": trail["cloudWatchLogsRoleArn"],
        "KmsKeyId": trail["kmsKeyId"],
        "IsOrganizationTrail": trail["isOrganizationTrail"],
        "TagsList": [{"Key": k, "Value": v} for k, v in trail["tags"].items()],
    }
    lifecycle = {
        "Bucket": "shop-audit-logs",
        "LifecycleConfiguration": {"Rules": _api_rules(recording.one(LIFECYCLE).inputs["rules"])},
    }
    lock = recording.one(LOCK).inputs
    retention = lock["rule"]["defaultRetention"]
    object_lock = {
        "Bucket": lock["bucket"],
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": lock["objectLockEnabled"],
            "Rule": {
                "DefaultRetention": {"Mode": retention["mode"], "Days": int(retention["days"])}
            },
        },
    }
    for service, operation, params in (
        ("cloudtrail", "CreateTrail", create_trail),
        ("s3", "PutBucketLifecycleConfiguration", lifecycle),
        ("s3", "PutObjectLockConfiguration", object_lock),
    ):
        botocore.validate.validate_parameters(
            params, service_model(service).operation_model(operation).input_shape
        )
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="shop-audit-logs",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            ObjectLockEnabledForBucket=recording.one(BUCKET).inputs["objectLockEnabled"],
        )
        s3.put_bucket_versioning(
            Bucket="shop-audit-logs", VersioningConfiguration={"Status": "Enabled"}
        )
        s3.put_bucket_lifecycle_configuration(**lifecycle)
        s3.put_object_lock_configuration(**object_lock)
        s3.put_bucket_policy(
            Bucket="shop-audit-logs", Policy=recording.one(BUCKET_POLICY).inputs["policy"]
        )
        stored = s3.get_bucket_lifecycle_configuration(Bucket="shop-audit-logs")["Rules"]
        assert [r["ID"] for r in stored] == ["archive-then-expire", "remove-expired-delete-markers"]
        stored_lock = s3.get_object_lock_configuration(Bucket="shop-audit-logs")
        stored_retention = stored_lock["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        assert (stored_retention["Mode"], stored_retention["Days"]) == ("GOVERNANCE", 30)
        created = boto3.client("cloudtrail", region_name="eu-west-1").create_trail(**create_trail)
        # moto plays its own account; region and name are what the program chose.
        assert created["TrailARN"].split(":")[3] == "eu-west-1"
        assert created["TrailARN"].endswith(":trail/shop-audit")
        assert created["LogFileValidationEnabled"] is True
        assert created["IsMultiRegionTrail"] is True


def test_protect_covers_bucket_key_log_group_and_trail(run_component: Runner) -> None:
    recording = audit(run_component, protect=True)
    for token in (BUCKET, KEY, LOG_GROUP):
        resource = recording.one(token)
        assert resource.protect, token
        assert resource.retain_on_delete, token
    assert recording.one(TRAIL).protect
    unprotected = audit(run_component)
    assert not any(r.protect for r in unprotected.resources)


def test_log_group_retention_follows_the_argument(run_component: Runner) -> None:
    recording = audit(run_component, log_retention_days=90)
    assert recording.one(LOG_GROUP).inputs["retentionInDays"] == 90


def test_an_existing_trail_creates_nothing(run_component: Runner) -> None:
    existing = "arn:aws:cloudtrail:us-east-1:999988887777:trail/org-trail"
    recording = audit(run_component, use_existing_trail_arn=existing)
    assert [r.type for r in recording.resources] == ["slipway:index:AuditTrail"]
    assert recording.outputs == {
        "trail": existing,
        "bucket": None,
        "log_group": None,
        "key": None,
    }


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"log_retention_days": 10}, "AuditTrailArgs.log_retention_days"),
        ({"retention_days": 10}, "AuditTrailArgs.retention_days"),
        ({"retention_days": 90}, "AuditTrailArgs.retention_days"),
        ({"retention_days": 4000}, "AuditTrailArgs.retention_days"),
        (
            {"use_existing_trail_arn": "arn:aws:s3:::not-a-trail"},
            "AuditTrailArgs.use_existing_trail_arn",
        ),
        (
            {"use_existing_trail_arn": "arn:aws:cloudtrail:eu-west-1:1234:trail/x-trail"},
            "AuditTrailArgs.use_existing_trail_arn",
        ),
        ({"use_existing_trail_arn": "org-trail"}, "AuditTrailArgs.use_existing_trail_arn"),
        ({"trail_name": "a"}, "AuditTrailArgs.trail_name"),
        ({"trail_name": "shop--audit"}, "AuditTrailArgs.trail_name"),
        ({"trail_name": "-shop"}, "AuditTrailArgs.trail_name"),
        ({"bucket_name": "Shop_Audit"}, "AuditTrailArgs.bucket_name"),
        ({"bucket_name": "shop.audit.logs"}, "AuditTrailArgs.bucket_name"),
        ({"bucket_name": "192.168.1.1"}, "AuditTrailArgs.bucket_name"),
        (
            {"object_lock": True, "retention_days": 180, "object_lock_days": 365},
            "AuditTrailArgs.object_lock_days",
        ),
        ({"object_lock": True, "object_lock_days": 0}, "AuditTrailArgs.object_lock_days"),
        ({"object_lock_mode": "LEGAL_HOLD"}, "AuditTrailArgs.object_lock_mode"),
        ({"key_deletion_window_days": 60}, "AuditTrailArgs.key_deletion_window_days"),
        ({"owner_role_prefix": "Shop-Prod"}, "AuditTrailArgs.owner_role_prefix"),
        ({"owner_role_prefix": "shop-prod-*"}, "AuditTrailArgs.owner_role_prefix"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        audit(run_component, **overrides)
    (problem,) = caught.value.problems
    assert problem.startswith(setting + ": got ")
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_valid_existing_trail_arns() -> None:
    for arn in (
        "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail",
        "arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/a.b_c-d",
        "arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/abc",
    ):
        assert AuditTrailArgs(trail_name="x-trail", use_existing_trail_arn=arn)


def test_trust_policy_document_is_plain_json() -> None:
    from slipway.audit_trail import CLOUDTRAIL_TRUST_POLICY

    assert json.loads(CLOUDTRAIL_TRUST_POLICY)["Version"] == "2012-10-17"
