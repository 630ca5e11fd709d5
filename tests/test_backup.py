"""BackupPlan: what it sends for each preset and option, and what it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest
from botocore.validate import validate_parameters
from moto import mock_aws

from slipway.backup import (
    VAULT_NOTIFICATION_EVENTS,
    BackupPlan,
    BackupPlanArgs,
    BackupRule,
    VaultLock,
    cron_is_valid,
    dev_rules,
    notification_topic_statement,
    prod_rules,
    staging_rules,
    vault_name,
)
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy, assert_valid_trust_policy
from tooling.offline import Recording, run_program

Runner = Callable[..., Recording]

VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
NOTIFICATIONS = "aws:backup/vaultNotifications:VaultNotifications"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ATTACHMENTS = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
PROVIDER = "pulumi:providers:aws"
BUCKET = "aws:s3/bucket:Bucket"
TOPIC = "arn:aws:sns:eu-west-1:111122223333:storefront-prod-alerts"

OUTPUTS = (
    "vault_name",
    "vault_arn",
    "vault_kms_key_arn",
    "plan_id",
    "plan_arn",
    "backup_role_arn",
    "copy_vault_arn",
    "data_bucket_name",
    "data_bucket_arn",
)


def outputs_of(plan: BackupPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in OUTPUTS}


def build(run: Runner, **overrides: Any) -> Recording:
    values: dict[str, Any] = {"name_prefix": "storefront-dev", "selection_tag_value": "dev"}
    values.update(overrides)

    def program() -> Mapping[str, Any]:
        return outputs_of(BackupPlan("backup", BackupPlanArgs(**values)))

    return run(program)


PROD: dict[str, Any] = {
    "name_prefix": "storefront-prod",
    "selection_tag_value": "prod",
    "rules": prod_rules(),
    "region": "eu-west-1",
    "copy_region": "eu-central-1",
    "vault_lock": VaultLock.GOVERNANCE,
    "notification_topic_arn": TOPIC,
    "resource_arns": ("arn:aws:rds:eu-west-1:111122223333:db:storefront-prod",),
    "data_bucket": True,
    "protect": True,
    "tags": {"slipway:environment": "prod"},
}


@pytest.fixture(scope="module")
def prod() -> Recording:
    """The prod-shaped instance, built once: the program is deterministic."""

    def run(program: Callable[[], Mapping[str, Any]]) -> Recording:
        return run_program("test", {"aws:region": "eu-west-1"}, (), program)

    return build(run, **PROD)


def rule_input(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded Plan rule in CreateBackupPlan's ``BackupRuleInput`` shape."""

    def lifecycle(value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"DeleteAfterDays": int(value["deleteAfter"])}
        if "coldStorageAfter" in value:
            out["MoveToColdStorageAfterDays"] = int(value["coldStorageAfter"])
        if "optInToArchiveForSupportedResources" in value:
            out["OptInToArchiveForSupportedResources"] = value[
                "optInToArchiveForSupportedResources"
            ]
        return out

    shaped: dict[str, Any] = {
        "RuleName": recorded["ruleName"],
        "TargetBackupVaultName": recorded["targetVaultName"],
        "ScheduleExpression": recorded["schedule"],
        "StartWindowMinutes": int(recorded["startWindow"]),
        "CompletionWindowMinutes": int(recorded["completionWindow"]),
        "Lifecycle": lifecycle(recorded["lifecycle"]),
        "RecoveryPointTags": recorded["recoveryPointTags"],
    }
    if recorded.get("copyActions"):
        shaped["CopyActions"] = [
            {
                "DestinationBackupVaultArn": action["destinationVaultArn"],
                "Lifecycle": lifecycle(action["lifecycle"]),
            }
            for action in recorded["copyActions"]
        ]
    return shaped


# --------------------------------------------------------------------------------------------
# Presets and rules
# --------------------------------------------------------------------------------------------


def test_dev_preset_is_one_daily_rule_kept_a_week_and_nothing_optional(
    run_component: Runner,
) -> None:
    recording = build(run_component)
    plan = recording.one(PLAN)
    assert plan.inputs["name"] == "storefront-dev-plan"
    [rule] = plan.inputs["rules"]
    assert rule["ruleName"] == "daily"
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["targetVaultName"] == "storefront-dev-vault"
    assert rule["lifecycle"] == {"deleteAfter": 7}
    assert "copyActions" not in rule
    assert rule["startWindow"] == 60
    assert recording.of_type(PROVIDER) == []
    assert recording.of_type(LOCK) == []
    assert recording.of_type(NOTIFICATIONS) == []
    assert recording.of_type(BUCKET) == []
    assert [s.name for s in recording.of_type(SELECTION)] == ["backup-selection-tag"]
    for output in ("copy_vault_arn", "data_bucket_name", "data_bucket_arn"):
        assert recording.outputs[output] is None


def test_staging_preset_keeps_daily_backups_two_weeks() -> None:
    assert [(r.name, r.delete_after_days, r.cold_storage_after_days) for r in staging_rules()] == [
        ("daily", 14, None)
    ]


def test_prod_preset_adds_a_monthly_rule_moved_to_cold_storage_where_supported(
    prod: Recording,
) -> None:
    daily, monthly = prod.one(PLAN).inputs["rules"]
    assert daily["ruleName"] == "daily"
    assert daily["lifecycle"] == {"deleteAfter": 35}
    assert monthly["ruleName"] == "monthly"
    assert monthly["schedule"] == "cron(0 5 1 * ? *)"
    assert monthly["lifecycle"] == {
        "deleteAfter": 365,
        "coldStorageAfter": 90,
        # Only resource types that support cold storage move; the others stay warm.
        "optInToArchiveForSupportedResources": True,
    }
    assert monthly["recoveryPointTags"] == {"slipway:environment": "prod"}


def test_the_plan_document_is_a_valid_create_backup_plan_request(prod: Recording) -> None:
    plan = prod.one(PLAN)
    request = {
        "BackupPlan": {
            "BackupPlanName": plan.inputs["name"],
            "Rules": [rule_input(r) for r in plan.inputs["rules"]],
        }
    }
    validate_parameters(
        request, service_model("backup").operation_model("CreateBackupPlan").input_shape
    )
    assert len(request["BackupPlan"]["Rules"][1]["CopyActions"]) == 1
    with mock_aws():
        client = boto3.client("backup", region_name="eu-west-1")
        client.create_backup_vault(BackupVaultName="storefront-prod-vault")
        created = client.create_backup_plan(**request)
        stored = client.get_backup_plan(BackupPlanId=created["BackupPlanId"])["BackupPlan"]
        assert [r["RuleName"] for r in stored["Rules"]] == ["daily", "monthly"]


# --------------------------------------------------------------------------------------------
# Vaults, keys and the copy region
# --------------------------------------------------------------------------------------------


def test_vault_is_encrypted_with_its_own_rotating_key(run_component: Runner) -> None:
    recording = build(run_component)
    vault = recording.one(VAULT)
    assert vault.inputs["name"] == vault_name("storefront-dev") == "storefront-dev-vault"
    assert vault.inputs["forceDestroy"] is False
    key = recording.one(KEY)
    assert key.parent_name == "backup-key"
    assert key.inputs["enableKeyRotation"] is True
    assert vault.inputs["kmsKeyArn"] == recording.outputs["vault_kms_key_arn"]
    assert vault.inputs["kmsKeyArn"].startswith("arn:aws:kms:eu-west-1:")
    assert any(d.endswith("::backup-key-key") for d in vault.dependencies)


def test_an_existing_key_is_used_and_none_is_created(run_component: Runner) -> None:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    recording = build(run_component, kms_key_arn=arn)
    assert recording.one(VAULT).inputs["kmsKeyArn"] == arn
    assert recording.of_type(KEY) == []


def test_copy_region_adds_a_keyed_vault_there_and_copy_actions(prod: Recording) -> None:
    # No second provider: the copy vault, its key and alias carry pulumi-aws 7's per-resource
    # region and go through the stack's own provider, with all of its settings.
    assert prod.of_type(PROVIDER) == []
    primary = prod.one(VAULT, "backup-vault")
    copy = prod.one(VAULT, "backup-dr-vault")
    assert copy.inputs["name"] == primary.inputs["name"] == "storefront-prod-vault"
    assert copy.inputs["region"] == "eu-central-1"
    assert "region" not in primary.inputs
    assert copy.provider == primary.provider == ""
    dr_key = next(k for k in prod.of_type(KEY) if k.parent_name == "backup-dr-key")
    assert dr_key.inputs["region"] == "eu-central-1"
    alias = next(a for a in prod.of_type("aws:kms/alias:Alias") if a.parent_name == "backup-dr-key")
    assert alias.inputs["region"] == "eu-central-1"
    assert copy.inputs["kmsKeyArn"].startswith("arn:aws:kms:eu-central-1:")
    assert copy.inputs["kmsKeyArn"] != primary.inputs["kmsKeyArn"]
    assert any(d.endswith("::backup-dr-key-key") for d in copy.dependencies)
    plan = prod.one(PLAN)
    assert copy.urn in plan.dependencies
    for rule in plan.inputs["rules"]:
        [action] = rule["copyActions"]
        assert action["destinationVaultArn"] == prod.outputs["copy_vault_arn"]
        assert action["lifecycle"] == rule["lifecycle"]


def test_stateful_children_are_protected_and_retained_in_prod(prod: Recording) -> None:
    stateful = [*prod.of_type(VAULT), *prod.of_type(KEY), *prod.of_type(LOCK)]
    stateful.append(prod.one(BUCKET))
    assert len(stateful) == 2 + 3 + 2 + 1
    for resource in stateful:
        assert (resource.protect, resource.retain_on_delete) == (True, True), resource.name
    assert not prod.one(PLAN).protect


def test_every_child_is_named_after_and_parented_by_the_component(prod: Recording) -> None:
    for resource in prod.resources:
        if resource.type == BackupPlan.TOKEN:
            continue
        assert resource.name.startswith("backup-"), resource.name
        assert resource.parent, resource.name


# --------------------------------------------------------------------------------------------
# Vault lock and notifications
# --------------------------------------------------------------------------------------------


def test_governance_lock_has_no_cool_off_and_spans_the_rules_retention(prod: Recording) -> None:
    locks = prod.of_type(LOCK)
    assert sorted(lock.name for lock in locks) == ["backup-dr-lock", "backup-lock"]
    for lock in locks:
        assert lock.inputs["backupVaultName"] == "storefront-prod-vault"
        assert lock.inputs["minRetentionDays"] == 35
        assert lock.inputs["maxRetentionDays"] == 365
        assert "changeableForDays" not in lock.inputs
    assert prod.one(LOCK, "backup-dr-lock").inputs["region"] == "eu-central-1"
    assert "region" not in prod.one(LOCK, "backup-lock").inputs


def test_compliance_lock_carries_its_cool_off_and_aws_accepts_it(run_component: Runner) -> None:
    recording = build(
        run_component,
        **{**PROD, "vault_lock": VaultLock.COMPLIANCE, "vault_lock_cool_off_days": 7},
    )
    lock = recording.one(LOCK, "backup-lock")
    assert lock.inputs["changeableForDays"] == 7
    request = {
        "BackupVaultName": lock.inputs["backupVaultName"],
        "MinRetentionDays": int(lock.inputs["minRetentionDays"]),
        "MaxRetentionDays": int(lock.inputs["maxRetentionDays"]),
        "ChangeableForDays": int(lock.inputs["changeableForDays"]),
    }
    shape = service_model("backup").operation_model("PutBackupVaultLockConfiguration").input_shape
    validate_parameters(request, shape)
    with mock_aws():
        client = boto3.client("backup", region_name="eu-west-1")
        client.create_backup_vault(BackupVaultName=request["BackupVaultName"])
        client.put_backup_vault_lock_configuration(**request)
        described = client.describe_backup_vault(BackupVaultName=request["BackupVaultName"])
        assert described["Locked"] is True
        assert described["MinRetentionDays"] == 35


def test_a_compliance_lock_accepts_the_string_form_of_the_mode() -> None:
    mode: Any = "compliance"  # as a stack setting would pass it
    args = BackupPlanArgs(**{**PROD, "vault_lock": mode, "vault_lock_cool_off_days": 3})
    assert args.vault_lock is VaultLock.COMPLIANCE


def test_vault_notifications_keep_only_s3_object_failures_aws_still_sends(
    prod: Recording,
) -> None:
    notifications = prod.one(NOTIFICATIONS)
    assert notifications.inputs["snsTopicArn"] == TOPIC
    assert notifications.inputs["backupVaultName"] == "storefront-prod-vault"
    events = notifications.inputs["backupVaultEvents"]
    assert events == list(VAULT_NOTIFICATION_EVENTS)
    assert events == ["S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"]
    # Deprecated and never sent (BACKUP_JOB_FAILED, RESTORE_JOB_FAILED), or reported by the
    # copy job rule (COPY_JOB_FAILED): job failures come from EventBridge.
    assert not {"BACKUP_JOB_FAILED", "RESTORE_JOB_FAILED", "COPY_JOB_FAILED"} & set(events)
    valid = service_model("backup").shape_for("BackupVaultEvent").enum
    assert set(events) <= set(valid)
    validate_parameters(
        {"BackupVaultName": "v", "SNSTopicArn": TOPIC, "BackupVaultEvents": events},
        service_model("backup").operation_model("PutBackupVaultNotifications").input_shape,
    )


def test_topic_statement_lets_only_aws_backup_publish() -> None:
    statement = notification_topic_statement(TOPIC)
    assert statement["Principal"] == {"Service": "backup.amazonaws.com"}
    assert statement["Action"] == "SNS:Publish"
    assert statement["Resource"] == TOPIC


# --------------------------------------------------------------------------------------------
# Selection and role
# --------------------------------------------------------------------------------------------


def test_selection_by_tag_and_by_arn_use_the_backup_role(prod: Recording) -> None:
    role_arn = prod.outputs["backup_role_arn"]
    by_tag = prod.one(SELECTION, "backup-selection-tag")
    assert by_tag.inputs["name"] == "storefront-prod-tag"
    assert by_tag.inputs["selectionTags"] == [
        {"type": "STRINGEQUALS", "key": "backup", "value": "prod"}
    ]
    assert "resources" not in by_tag.inputs
    by_arn = prod.one(SELECTION, "backup-selection-arns")
    assert by_arn.inputs["resources"] == [
        "arn:aws:rds:eu-west-1:111122223333:db:storefront-prod",
        prod.outputs["data_bucket_arn"],
    ]
    assert "selectionTags" not in by_arn.inputs
    for selection in (by_tag, by_arn):
        assert selection.inputs["iamRoleArn"] == role_arn
        assert selection.inputs["planId"] == prod.outputs["plan_id"]


def test_role_trusts_aws_backup_and_carries_only_the_two_managed_policies(
    run_component: Runner,
) -> None:
    recording = build(run_component)
    role = recording.one(ROLE)
    assert role.inputs["name"] == "storefront-dev-backup"
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "backup.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert "inlinePolicies" not in role.inputs
    assert "managedPolicyArns" not in role.inputs
    attachments = recording.one(ATTACHMENTS)
    assert attachments.inputs["roleName"] == "storefront-dev-backup"
    assert attachments.inputs["policyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]
    assert recording.of_type("aws:iam/rolePolicy:RolePolicy") == []


def test_with_a_data_bucket_the_role_also_gets_the_s3_managed_policies(prod: Recording) -> None:
    assert prod.one(ATTACHMENTS).inputs["policyArns"][2:] == [
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    ]


# --------------------------------------------------------------------------------------------
# Data bucket
# --------------------------------------------------------------------------------------------


def test_data_bucket_is_private_versioned_kms_encrypted_tls_only_and_selected(
    prod: Recording,
) -> None:
    bucket = prod.one(BUCKET)
    # Selected by ARN (test_selection_by_tag_and_by_arn_use_the_backup_role), so backed up
    # without the account's S3 opt-in; not tagged, or both selections would name it.
    assert bucket.inputs["tags"] == {"slipway:environment": "prod"}
    assert bucket.inputs["forceDestroy"] is False
    block = prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"):
        assert block.inputs[setting] is True
    assert block.inputs["restrictPublicBuckets"] is True
    ownership = prod.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = prod.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    [rule] = prod.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    assert default["kmsMasterKeyId"].startswith("arn:aws:kms:eu-west-1:")
    arn = prod.outputs["data_bucket_arn"]
    policy = prod.one("aws:s3/bucketPolicy:BucketPolicy").json_input("policy")
    assert policy["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    for part in (block, ownership, versioning):
        assert part.inputs["bucket"] == prod.outputs["data_bucket_name"]


def test_data_bucket_key_is_its_own_key(prod: Recording) -> None:
    encryption = prod.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    [data_key] = [k for k in prod.of_type(KEY) if k.parent_name == "backup-data-key"]
    assert any(d.endswith("::backup-data-key-key") for d in encryption.dependencies)
    assert data_key.inputs["enableKeyRotation"] is True
    [rule] = encryption.inputs["rules"]
    key_arn = rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    assert key_arn not in (
        prod.one(VAULT, "backup-vault").inputs["kmsKeyArn"],
        prod.one(VAULT, "backup-dr-vault").inputs["kmsKeyArn"],
    )


def test_grant_read_write_is_scoped_to_the_bucket_and_the_key_through_s3(
    run_component: Runner,
) -> None:
    import pulumi
    import pulumi_aws as aws

    def program() -> Mapping[str, Any]:
        backup = BackupPlan("backup", BackupPlanArgs(**PROD))
        role = aws.iam.Role(
            "task",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        backup.grant_read_write(role)
        assert isinstance(backup.data_bucket_arn, pulumi.Output)
        return outputs_of(backup)

    recording = run_component(program)
    policy = recording.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.name == "backup-readwrite-task"
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    arn = recording.outputs["data_bucket_arn"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["DataBucketList"]["Action"] == ["s3:ListBucket"]
    assert statements["DataBucketList"]["Resource"] == [arn]
    assert statements["DataObjectsReadWrite"]["Action"] == [
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert statements["DataObjectsReadWrite"]["Resource"] == [f"{arn}/*"]
    key = statements["DataKeyThroughS3"]
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    [key_arn] = key["Resource"]
    assert key_arn.startswith("arn:aws:kms:eu-west-1:")
    assert key_arn != recording.outputs["vault_kms_key_arn"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def test_grant_read_write_without_a_bucket_is_refused(run_component: Runner) -> None:
    import pulumi_aws as aws

    def program() -> Mapping[str, Any]:
        backup = BackupPlan("backup", BackupPlanArgs("storefront-dev", "dev"))
        backup.grant_read_write(aws.iam.Role("task", assume_role_policy="{}"))
        return {}

    with pytest.raises(ConfigError, match=r"BackupPlanArgs\.data_bucket"):
        run_component(program)


# --------------------------------------------------------------------------------------------
# Refused arguments
# --------------------------------------------------------------------------------------------

BAD_ARGS: list[tuple[dict[str, Any], str]] = [
    (
        {"rules": (BackupRule("monthly", "cron(0 5 1 * ? *)", 100, cold_storage_after_days=30),)},
        r"BackupPlanArgs\.rules\[0\]\.cold_storage_after_days: got 30; .*at least "
        r"cold_storage_after_days \+ 90 \(120\)",
    ),
    (
        {"region": "eu-west-1", "copy_region": "eu-west-1"},
        r"BackupPlanArgs\.copy_region: got 'eu-west-1'; a region other than the primary",
    ),
    (
        {"copy_region": "eu-central-1"},
        r"BackupPlanArgs\.region: got None; the primary region, required with copy_region",
    ),
    (
        {"vault_lock": VaultLock.COMPLIANCE},
        r"BackupPlanArgs\.vault_lock_cool_off_days: got None; a COMPLIANCE lock needs a "
        r"cool-off of at least 3 days",
    ),
    (
        {"vault_lock": VaultLock.COMPLIANCE, "vault_lock_cool_off_days": 2},
        r"BackupPlanArgs\.vault_lock_cool_off_days: got 2; 3 to 36500",
    ),
    (
        {"vault_lock": VaultLock.GOVERNANCE, "vault_lock_cool_off_days": 7},
        r"BackupPlanArgs\.vault_lock_cool_off_days: got 7; None: only a COMPLIANCE lock",
    ),
    ({"vault_lock": "frozen"}, r"BackupPlanArgs\.vault_lock: got 'frozen'"),
    (
        {"vault_lock": VaultLock.GOVERNANCE, "vault_lock_min_retention_days": 30},
        r"BackupPlanArgs\.vault_lock_min_retention_days: got 30; 1 to the shortest rule "
        r"retention \(7\)",
    ),
    (
        {"rules": (BackupRule("daily", "cron(0 3 * * * *)", 7),)},
        r"BackupPlanArgs\.rules\[0\]\.schedule: got 'cron\(0 3 \* \* \* \*\)'; an AWS cron",
    ),
    (
        {"rules": (BackupRule("daily", "rate(1 day)", 7),)},
        r"BackupPlanArgs\.rules\[0\]\.schedule: got 'rate\(1 day\)'",
    ),
    (
        {"rules": (BackupRule("daily", "cron(0 3 * * ? *)", 0),)},
        r"BackupPlanArgs\.rules\[0\]\.delete_after_days: got 0; 1 to 36500",
    ),
    ({"rules": ()}, r"BackupPlanArgs\.rules: got \[\]; at least one BackupRule"),
    (
        {"rules": (*dev_rules(), *dev_rules())},
        r"BackupPlanArgs\.rules: got \['daily', 'daily'\]; rules with distinct names",
    ),
    ({"name_prefix": "Storefront_Dev"}, r"BackupPlanArgs\.name_prefix: got 'Storefront_Dev'"),
    ({"name_prefix": "a" * 45}, r"BackupPlanArgs\.name_prefix: .*at most 50 characters"),
    (
        {
            "notification_topic_arn": "arn:aws:sns:us-east-1:111122223333:alerts",
            "region": "eu-west-1",
        },
        r"BackupPlanArgs\.notification_topic_arn: .*a topic in the vault's region eu-west-1",
    ),
    (
        {"copy_region": "europe", "region": "eu-west-1"},
        r"BackupPlanArgs\.copy_region: got 'europe'",
    ),
    ({"resource_arns": ("db-1",)}, r"BackupPlanArgs\.resource_arns: got \['db-1'\]"),
    (
        {"data_bucket_name": "my-bucket"},
        r"BackupPlanArgs\.data_bucket_name: .*only with data_bucket",
    ),
    (
        {"data_bucket": True, "data_bucket_name": "My_Bucket"},
        r"BackupPlanArgs\.data_bucket_name: got 'My_Bucket'; an S3 bucket name",
    ),
    ({"selection_tag_key": "aws:backup"}, r"BackupPlanArgs\.selection_tag_key: got 'aws:backup'"),
    ({"key_deletion_window_days": 3}, r"BackupPlanArgs\.key_deletion_window_days: got 3"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_ARGS)
def test_bad_arguments_fail_before_anything_registers(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        build(run_component, **overrides)
    assert raised.value.recording.resources == []  # type: ignore[attr-defined]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        BackupPlanArgs(
            "storefront-prod",
            "prod",
            rules=(BackupRule("daily", "cron(0 3 * * ?)", 0),),
            region="eu-west-1",
            copy_region="eu-west-1",
            vault_lock=VaultLock.COMPLIANCE,
        )
    fields = [p.split(":")[0] for p in raised.value.problems]
    assert fields == [
        "BackupPlanArgs.rules[0].schedule",
        "BackupPlanArgs.rules[0].delete_after_days",
        "BackupPlanArgs.copy_region",
        "BackupPlanArgs.vault_lock_cool_off_days",
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 * * ? *)",
        "cron(30 1 ? * MON-FRI *)",
        "cron(0 5 1 * ? *)",
        "cron(0 0/6 * * ? *)",
        "cron(15 2 L * ? *)",
        "cron(0 4 ? * 1#1 *)",
        "cron(0 3 1,15 JAN,JUL ? 2030-2040)",
    ],
)
def test_cron_accepts_aws_schedules(expression: str) -> None:
    assert cron_is_valid(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "0 3 * * ? *",  # no cron(...)
        "cron(0 3 * * ?)",  # 5 fields
        "cron(0 3 * * * *)",  # neither day field is '?'
        "cron(0 3 ? * ? *)",  # both are
        "cron(*/15 * * * ? *)",  # more than once an hour
        "cron(0 24 * * ? *)",
        "cron(0 3 32 * ? *)",
        "cron(0 3 * 13 ? *)",
        "cron(0 3 ? * FUNDAY *)",
        "cron(0 3 * * ? 1800)",
        "cron(0 3 1-x * ? *)",
        "cron(0 3 1/0 * ? *)",
    ],
)
def test_cron_refuses_what_aws_refuses(expression: str) -> None:
    assert not cron_is_valid(expression)
