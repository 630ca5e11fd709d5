"""The restore drill, against a real boto3 client: moto where it implements AWS Backup (vaults),
botocore's Stubber (real request and response shapes) for recovery points and restore jobs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tooling import drill
from tooling.offline import ROOT

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
VAULT = "storefront-prod-vault"
ROLE = "arn:aws:iam::111122223333:role/storefront-prod-backup"
BUCKET_ARN = "arn:aws:s3:::storefront-prod-data"
POINT = "arn:aws:backup:eu-west-1:111122223333:recovery-point:storefront-prod-data-20260310"
JOB = "ABCD1234-5678-90EF-ABCD-1234567890EF"
DRILL_BUCKET = "storefront-prod-drill-20260310090000"


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "backup",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def point(
    age: timedelta,
    arn: str = POINT,
    status: str = "COMPLETED",
    resource_type: str = "S3",
    resource_arn: str = BUCKET_ARN,
) -> dict[str, Any]:
    return {
        "RecoveryPointArn": arn,
        "BackupVaultName": VAULT,
        "ResourceArn": resource_arn,
        "ResourceType": resource_type,
        "IamRoleArn": ROLE,
        "Status": status,
        "CreationDate": NOW - age,
    }


def expect_vault(stub: Stubber) -> None:
    stub.add_response(
        "describe_backup_vault",
        {"BackupVaultName": VAULT, "Locked": True},
        {"BackupVaultName": VAULT},
    )


def expect_points(stub: Stubber, *pages: list[dict[str, Any]]) -> None:
    for index, page in enumerate(pages):
        params: dict[str, Any] = {"BackupVaultName": VAULT}
        if index:
            params["NextToken"] = f"page-{index}"
        response: dict[str, Any] = {"RecoveryPoints": page}
        if index < len(pages) - 1:
            response["NextToken"] = f"page-{index + 1}"
        stub.add_response("list_recovery_points_by_backup_vault", response, params)


def expect_restore(stub: Stubber, metadata: dict[str, str], sent: dict[str, str]) -> None:
    stub.add_response(
        "get_recovery_point_restore_metadata",
        {"BackupVaultArn": "arn", "RecoveryPointArn": POINT, "RestoreMetadata": metadata},
        {"BackupVaultName": VAULT, "RecoveryPointArn": POINT},
    )
    stub.add_response(
        "start_restore_job",
        {"RestoreJobId": JOB},
        {
            "RecoveryPointArn": POINT,
            "Metadata": sent,
            "IamRoleArn": ROLE,
            "ResourceType": "S3",
            "IdempotencyToken": ANY,
        },
    )


def expect_job(stub: Stubber, *statuses: str, message: str = "") -> None:
    for status in statuses:
        response: dict[str, Any] = {"RestoreJobId": JOB, "Status": status}
        if status in drill.TERMINAL:
            response.update(
                CreationDate=NOW,
                CompletionDate=NOW + timedelta(minutes=42),
                CreatedResourceArn=f"arn:aws:s3:::{DRILL_BUCKET}",
            )
            if message:
                response["StatusMessage"] = message
        stub.add_response("describe_restore_job", response, {"RestoreJobId": JOB})


def run(client: Any, *args: str) -> int:
    return drill.main(
        ["--stack", "prod", "--poll-seconds", "0", *args],
        make_client=lambda region: client,
        now=lambda: NOW,
        sleep=lambda seconds: None,
    )


S3_METADATA = {"DestinationBucketName": "storefront-prod-data", "Encrypted": "true"}
S3_SENT = {**S3_METADATA, "DestinationBucketName": DRILL_BUCKET, "NewBucket": "true"}


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


def test_fresh_point_is_restored_into_a_new_bucket_and_completes(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    older = point(timedelta(hours=30), arn=POINT + "-old")
    failed = point(timedelta(hours=1), arn=POINT + "-failed", status="PARTIAL")
    expect_points(stub, [older, failed], [point(timedelta(hours=6))])
    expect_restore(stub, S3_METADATA, S3_SENT)
    expect_job(stub, "PENDING", "RUNNING", "COMPLETED")

    assert run(client) == drill.OK
    out = capsys.readouterr().out
    assert f"recovery point {POINT} (S3 {BUCKET_ARN}), 6.0 h old, RPO 24 h" in out
    assert f"restore job {JOB} into {DRILL_BUCKET}" in out
    assert "status COMPLETED in 2520 s" in out
    assert out.rstrip().endswith("PASSED")


def test_json_report_carries_age_job_status_and_duration(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=6))])
    expect_restore(stub, S3_METADATA, S3_SENT)
    expect_job(stub, "COMPLETED")

    assert run(client, "--json") == drill.OK
    report = json.loads(capsys.readouterr().out)
    assert report["recovery_point_age_hours"] == 6.0
    assert report["restore_job_id"] == JOB
    assert report["status"] == "COMPLETED"
    assert report["duration_seconds"] == 2520.0
    assert report["created_resource_arn"] == f"arn:aws:s3:::{DRILL_BUCKET}"
    assert report["exit_code"] == 0


def test_stale_point_exits_2_and_starts_no_restore(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=25))])
    # No get_recovery_point_restore_metadata or start_restore_job is queued: a call to either
    # would fail the drill with an API error instead of exit 2.

    assert run(client) == drill.STALE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"drill: newest recovery point {POINT} is 25.0 h old, older than the RPO of 24 h"
    ]


def test_rpo_hours_overrides_the_profile_default(client: Any, stub: Stubber) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=25))])
    assert run(client, "--rpo-hours", "26", "--dry-run") == drill.OK


def test_no_recovery_point_exits_2(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=1), status="EXPIRED")])

    assert run(client) == drill.STALE
    assert capsys.readouterr().err == (
        f"drill: vault {VAULT} in eu-west-1 holds no COMPLETED recovery point\n"
    )


def test_api_error_while_listing_exits_3_and_touches_nothing_else(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    stub.add_client_error(
        "list_recovery_points_by_backup_vault",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform backup:ListRecoveryPointsByBackupVault",
        http_status_code=403,
        expected_params={"BackupVaultName": VAULT},
    )

    assert run(client) == drill.API_ERROR
    assert capsys.readouterr().err == (
        f"drill: AWS refused listing recovery points of vault {VAULT}: AccessDeniedException: "
        "not authorized to perform backup:ListRecoveryPointsByBackupVault\n"
    )


def test_failed_restore_exits_4_with_the_reason(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=2))])
    expect_restore(stub, S3_METADATA, S3_SENT)
    expect_job(stub, "RUNNING", "FAILED", message="Access Denied on kms:Decrypt")

    assert run(client) == drill.RESTORE_FAILED
    assert capsys.readouterr().err == (
        f"drill: restore job {JOB} ended FAILED: Access Denied on kms:Decrypt\n"
    )


def test_a_restore_that_outlives_the_timeout_exits_4(client: Any, stub: Stubber) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=2))])
    expect_restore(stub, S3_METADATA, S3_SENT)
    expect_job(stub, "RUNNING", "RUNNING")
    ticks = iter([0.0, 0.0, 30.0, 61.0])
    # No --timeout-minutes: the profile's RTO bounds the wait (shortened here to a minute).
    target = replace(drill.resolve_target("prod"), rto_minutes=1)
    report = drill.run_drill(
        client,
        target,
        poll_seconds=0,
        now=lambda: NOW,
        sleep=lambda seconds: None,
        clock=lambda: next(ticks),
    )
    assert report.exit_code == drill.RESTORE_FAILED
    assert report.reason is not None
    assert "still RUNNING after 1 minutes" in report.reason


def test_dry_run_checks_the_point_and_starts_nothing(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=3))])

    assert run(client, "--dry-run") == drill.OK
    out = capsys.readouterr().out
    assert "status DRY_RUN" in out
    assert "restore job" not in out


def test_resource_arn_and_target_role_are_passed_through(client: Any, stub: Stubber) -> None:
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
    other_role = "arn:aws:iam::111122223333:role/drill-restore"
    expect_vault(stub)
    stub.add_response(
        "list_recovery_points_by_backup_vault",
        {
            "RecoveryPoints": [
                point(timedelta(hours=1), resource_type="DynamoDB", resource_arn=table)
            ]
        },
        {"BackupVaultName": VAULT, "ByResourceArn": table},
    )
    stub.add_response(
        "get_recovery_point_restore_metadata",
        {"RestoreMetadata": {"originalTableName": "orders"}},
        {"BackupVaultName": VAULT, "RecoveryPointArn": POINT},
    )
    stub.add_response(
        "start_restore_job",
        {"RestoreJobId": JOB},
        {
            "RecoveryPointArn": POINT,
            "Metadata": {"originalTableName": "orders", "TargetTableName": DRILL_BUCKET},
            "IamRoleArn": other_role,
            "ResourceType": "DynamoDB",
            "IdempotencyToken": ANY,
        },
    )
    expect_job(stub, "COMPLETED")
    assert run(client, "--resource-arn", table, "--target-role-arn", other_role) == drill.OK


def test_a_type_it_cannot_isolate_is_refused_before_any_restore_call(
    client: Any, stub: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_vault(stub)
    expect_points(stub, [point(timedelta(hours=1), resource_type="EC2")])
    assert run(client) == drill.USAGE
    assert "cannot restore EC2 into an isolated resource" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Vault (moto implements vaults)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def moto_client() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client(
            "backup",
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def test_the_stacks_vault_is_found_by_its_derived_name(moto_client: Any) -> None:
    target = drill.resolve_target("prod")
    moto_client.create_backup_vault(BackupVaultName=target.vault)
    described = drill.check_vault(moto_client, target.vault)
    assert described["BackupVaultName"] == "storefront-prod-vault"


def test_a_missing_vault_exits_3_before_any_listing(
    moto_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto would refuse the listing too (not implemented); exit 3 with the vault's reason
    # shows that the drill stopped at the vault.
    moto_client.create_backup_vault(BackupVaultName="someone-elses-vault")
    code = drill.main(["--stack", "prod"], make_client=lambda region: moto_client)
    assert code == drill.API_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"drill: AWS refused vault {VAULT}: ResourceNotFoundException")
    assert len(err.splitlines()) == 1


# --------------------------------------------------------------------------------------------
# Settings and names
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "vault", "rpo_hours", "rto_minutes"),
    [
        ("dev", "storefront-dev-vault", 48, 24 * 60),
        ("staging", "storefront-staging-vault", 24, 8 * 60),
        ("prod", "storefront-prod-vault", 24, 4 * 60),
    ],
)
def test_target_comes_from_the_stack_file(
    stack: str, vault: str, rpo_hours: float, rto_minutes: float
) -> None:
    target = drill.resolve_target(stack)
    assert (target.vault, target.region) == (vault, "eu-west-1")
    assert (target.rpo_hours, target.rto_minutes) == (rpo_hours, rto_minutes)


def test_arguments_override_vault_and_region() -> None:
    target = drill.resolve_target("prod", vault="other", region="eu-central-1", rpo_hours=6)
    assert (target.vault, target.region, target.rpo_hours) == ("other", "eu-central-1", 6)


def test_app_name_and_environment_settings_change_the_vault_name(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.live.yaml").write_text(
        "config:\n  aws:region: us-east-2\n  slipway:profile: dev\n"
        "  slipway:githubRepository: acme-corp/Shop.Web\n  slipway:environment: qa\n"
    )
    target = drill.resolve_target("live", root=tmp_path)
    assert (target.vault, target.region, target.rpo_hours) == ("shop-web-qa-vault", "us-east-2", 48)


def test_unknown_stack_and_bad_settings_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drill.main(["--stack", "../etc"], make_client=lambda region: None) == drill.USAGE
    assert "no stack file" in capsys.readouterr().err
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  slipway:profile: huge\n")
    code = drill.main(["--stack", "bad"], make_client=lambda region: None, root=tmp_path)
    assert code == drill.USAGE
    assert "settings of stack bad are invalid: slipway:profile" in capsys.readouterr().err


def test_usage_errors_exit_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        drill.main(["--rpo-hours", "1"])
    assert exited.value.code == drill.USAGE


def test_drill_names_fit_bucket_and_database_rules() -> None:
    target = drill.Target("prod", "a" * 24, "b" * 24, "eu-west-1", "v", 24)
    name = drill.drill_name(target, NOW)
    assert len(name) <= 63
    assert name.endswith("-drill-20260310090000")
    assert name == name.lower()
    assert "--" not in name
