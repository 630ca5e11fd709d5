"""BackupPlan's alerts: EventBridge rules on AWS Backup's job events, checked against AWS's own
sample events with moto's pattern matcher, and the alarm on a missing backup.

The sample events keep the fields AWS documents for each job kind and state ("Monitoring AWS
Backup events using Amazon EventBridge":
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html): a backup job names its
vault (``backupVaultName``), a copy job its source and destination vaults, a failed restore job
only its role (``iamRoleArn``) and reports ``status`` rather than ``state``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

from slipway.backup import (
    FAILED_JOB_STATES,
    MAX_ALARM_WINDOW_HOURS,
    BackupPlan,
    BackupPlanArgs,
    BackupRule,
    dev_rules,
    failure_event_patterns,
    longest_gap_hours,
    no_completed_job_hours,
    prod_rules,
    staging_rules,
)
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tooling.offline import ACCOUNT_ID, Recording, run_program

Runner = Callable[..., Recording]
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NOTIFICATIONS = "aws:backup/vaultNotifications:VaultNotifications"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:storefront-prod-alerts"
VAULT = "storefront-prod-vault"
VAULT_ARN = f"arn:aws:backup:eu-west-1:{ACCOUNT_ID}:backup-vault:{VAULT}"
DR_VAULT_ARN = f"arn:aws:backup:eu-central-1:{ACCOUNT_ID}:backup-vault:{VAULT}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-prod-backup"
OTHER_VAULT = "storefront-staging-vault"
OTHER_VAULT_ARN = f"arn:aws:backup:eu-west-1:{ACCOUNT_ID}:backup-vault:{OTHER_VAULT}"
OTHER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-staging-backup"

PROD: dict[str, Any] = {
    "name_prefix": "storefront-prod",
    "selection_tag_value": "prod",
    "rules": prod_rules(),
    "region": "eu-west-1",
    "copy_region": "eu-central-1",
    "notification_topic_arn": TOPIC,
    "data_bucket": True,
    "tags": {"slipway:environment": "prod"},
}


def _envelope(detail_type: str, detail: dict[str, Any]) -> EventMessageType:
    return {
        "version": "0",
        "id": "710b0398-d48e-f3c3-afca-cfeb2fdaa656",
        "detail-type": detail_type,
        "source": "aws.backup",
        "account": ACCOUNT_ID,
        "time": "2020-07-29T20:15:26Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def backup_job(state: str, vault: str = VAULT, account: str = ACCOUNT_ID) -> EventMessageType:
    """AWS's "Backup Job State Change" sample (FAILED, ABORTED, EXPIRED, COMPLETED)."""
    return _envelope(
        "Backup Job State Change",
        {
            "backupJobId": "34176239-e96d-4e1d-9fad-529dbb3c3556",
            "backupVaultArn": f"arn:aws:backup:eu-west-1:{account}:backup-vault:{vault}",
            "backupVaultName": vault,
            "bytesTransferred": "0",
            "creationDate": "2020-07-29T20:13:07.392Z",
            "iamRoleArn": ROLE_ARN,
            "resourceArn": "arn:aws:service:eu-west-1:111122223333:resource-type/resource-id",
            "resourceType": "type",
            "state": state,
            "statusMessage": '"Backup job failed because backup vault does not exist."',
            "startBy": "2020-07-30T04:13:07.392Z",
            "percentDone": 0,
        },
    )


def copy_job(
    state: str, source: str = VAULT_ARN, destination: str = DR_VAULT_ARN
) -> EventMessageType:
    """AWS's "Copy Job State Change" sample (FAILED, COMPLETED)."""
    return _envelope(
        "Copy Job State Change",
        {
            "copyJobId": "47C8EF56-74D8-059D-1301-C5BE1D5C926E",
            "backupSizeInBytes": 22548578304,
            "creationDate": "2020-07-15T20:36:13.239Z",
            "iamRoleArn": ROLE_ARN,
            "resourceArn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0515aee7de03f58e1",
            "resourceType": "EC2",
            "sourceBackupVaultArn": source,
            "state": state,
            "statusMessage": "Access denied exception while trying to list tags",
            "completionDate": "2020-07-15T20:37:28.704Z",
            "destinationBackupVaultArn": destination,
            "destinationRecoveryPointArn": {},
        },
    )


def restore_job(status: str, role: str = ROLE_ARN) -> EventMessageType:
    """AWS's "Restore Job State Change" sample: a failed one names no vault, only the role."""
    return _envelope(
        "Restore Job State Change",
        {
            "restoreJobId": "1B234A56-789B-01CD-2A34-4567A08901FD",
            "backupSizeInBytes": "22548578304",
            "creationDate": "2020-07-15T20:19:07.303Z",
            "iamRoleArn": role,
            "percentDone": 0,
            "resourceType": "EC2",
            "status": status,
            "statusMessage": "AWS Backup does not permit attaching a new instance profile.",
        },
    )


def build(run: Runner, **overrides: Any) -> Recording:
    values = {**PROD, **overrides}

    def program() -> Mapping[str, Any]:
        plan = BackupPlan("backup", BackupPlanArgs(**values))
        return {"vault_arn": plan.vault_arn, "role": plan.backup_role_arn}

    return run(program)


@pytest.fixture(scope="module")
def prod() -> Recording:
    def run(program: Callable[[], Mapping[str, Any]]) -> Recording:
        return run_program("test", {"aws:region": "eu-west-1"}, (), program)

    return build(run)


def rules_of(recording: Recording) -> dict[str, EventPattern]:
    """The recorded rules by name, each as moto's EventBridge pattern matcher."""
    return {
        rule.inputs["name"]: EventPattern.load(rule.inputs["eventPattern"])
        for rule in recording.of_type(RULE)
    }


def matching(recording: Recording, event: EventMessageType) -> list[str]:
    return sorted(name for name, p in rules_of(recording).items() if p.matches_event(event))


def test_the_recorded_names_are_those_the_samples_use(prod: Recording) -> None:
    assert prod.outputs["vault_arn"] == VAULT_ARN
    assert prod.outputs["role"] == ROLE_ARN


@pytest.mark.parametrize("state", FAILED_JOB_STATES)
def test_a_failed_aborted_or_expired_backup_job_of_the_vault_pages(
    prod: Recording, state: str
) -> None:
    assert matching(prod, backup_job(state)) == ["storefront-prod-backup-job-failed"]


@pytest.mark.parametrize(
    "event",
    [
        backup_job("COMPLETED"),
        backup_job("RUNNING"),
        backup_job("FAILED", vault=OTHER_VAULT),
        copy_job("COMPLETED"),
        copy_job("FAILED", source=OTHER_VAULT_ARN, destination=OTHER_VAULT_ARN),
        restore_job("COMPLETED"),
        restore_job("FAILED", role=OTHER_ROLE_ARN),
    ],
    ids=[
        "backup-completed",
        "backup-running",
        "backup-failed-other-vault",
        "copy-completed",
        "copy-failed-other-vaults",
        "restore-completed",
        "restore-failed-other-stack",
    ],
)
def test_success_and_other_stacks_jobs_do_not_page(
    prod: Recording, event: EventMessageType
) -> None:
    assert matching(prod, event) == []


def test_a_failed_copy_out_of_or_into_the_stacks_vaults_pages(prod: Recording) -> None:
    rule = ["storefront-prod-copy-job-failed"]
    assert matching(prod, copy_job("FAILED")) == rule  # the plan's copy to the DR region
    assert matching(prod, copy_job("FAILED", source=OTHER_VAULT_ARN)) == rule  # into the DR vault
    into_vault = copy_job("FAILED", source=OTHER_VAULT_ARN, destination=VAULT_ARN)
    assert matching(prod, into_vault) == rule


@pytest.mark.parametrize("status", ["FAILED", "ABORTED"])
def test_a_failed_restore_with_the_stacks_backup_role_pages(prod: Recording, status: str) -> None:
    assert matching(prod, restore_job(status)) == ["storefront-prod-restore-job-failed"]
    # Some samples report "state" instead of "status": both page.
    event = restore_job("COMPLETED")
    event["detail"].pop("status")
    event["detail"]["state"] = status
    assert matching(prod, event) == ["storefront-prod-restore-job-failed"]


def test_the_aws_sample_events_match_their_own_vault() -> None:
    """AWS's samples as published, vault names and all, page a stack with those names."""
    sample_vault = "9ab3e749-82c6-4342-9320-5edbf4918b86"
    event = backup_job("FAILED", vault=sample_vault, account="1112233445566")
    patterns = failure_event_patterns(sample_vault, VAULT_ARN, None, ROLE_ARN)
    assert EventPattern.load(json.dumps(patterns["backup-job"])).matches_event(event)
    assert not EventPattern.load(json.dumps(patterns["copy-job"])).matches_event(event)


def test_each_rule_targets_the_topic_without_a_role(prod: Recording) -> None:
    rules = {r.name: r for r in prod.of_type(RULE)}
    targets = prod.of_type(TARGET)
    assert len(rules) == 3
    assert len(targets) == 3
    for target in targets:
        assert target.inputs["arn"] == TOPIC
        assert "roleArn" not in target.inputs  # SNS targets use the topic policy
        assert target.inputs["rule"] in {r.inputs["name"] for r in rules.values()}
    for rule in rules.values():
        assert rule.inputs["tags"] == {"slipway:environment": "prod"}
        assert rule.inputs["name"].startswith("storefront-prod-")


def test_rules_and_targets_are_requests_eventbridge_accepts(prod: Recording) -> None:
    model = service_model("events")
    with mock_aws():
        client = boto3.client("events", region_name="eu-west-1")
        for rule in prod.of_type(RULE):
            request = {
                "Name": rule.inputs["name"],
                "EventPattern": rule.inputs["eventPattern"],
                "Description": rule.inputs["description"],
            }
            validate_parameters(request, model.operation_model("PutRule").input_shape)
            client.put_rule(**request)  # moto parses and validates the pattern
        for target in prod.of_type(TARGET):
            request = {"Rule": target.inputs["rule"], "Targets": [{"Id": "t", "Arn": TOPIC}]}
            validate_parameters(request, model.operation_model("PutTargets").input_shape)
            client.put_targets(**request)
        assert len(client.list_rules(NamePrefix="storefront-prod-")["Rules"]) == 3


def test_no_completed_backup_job_in_49_hours_pages(prod: Recording) -> None:
    alarm = prod.one(ALARM).inputs
    assert alarm["name"] == "storefront-prod-backup-none-completed"
    assert (alarm["namespace"], alarm["metricName"]) == (
        "AWS/Backup",
        "NumberOfBackupJobsCompleted",
    )
    assert alarm["dimensions"] == {"BackupVaultName": VAULT}
    assert alarm["statistic"] == "Sum"
    # Every hour of the last 49 without a completed job: a daily rule, 1 hour to start, 1 day
    # to complete. Missing data is the signal (AWS publishes the metric only when non-zero).
    assert (alarm["period"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (
        3600,
        49,
        49,
    )
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 1)
    assert alarm["treatMissingData"] == "breaching"
    assert alarm["alarmActions"] == [TOPIC]
    assert alarm["okActions"] == [TOPIC]
    request = {
        "AlarmName": alarm["name"],
        "AlarmDescription": alarm["alarmDescription"],
        "Namespace": alarm["namespace"],
        "MetricName": alarm["metricName"],
        "Dimensions": [{"Name": "BackupVaultName", "Value": VAULT}],
        "Statistic": alarm["statistic"],
        "Period": int(alarm["period"]),
        "EvaluationPeriods": int(alarm["evaluationPeriods"]),
        "DatapointsToAlarm": int(alarm["datapointsToAlarm"]),
        "Threshold": alarm["threshold"],
        "ComparisonOperator": alarm["comparisonOperator"],
        "TreatMissingData": alarm["treatMissingData"],
        "AlarmActions": alarm["alarmActions"],
        "OKActions": alarm["okActions"],
    }
    model = service_model("cloudwatch")
    validate_parameters(request, model.operation_model("PutMetricAlarm").input_shape)
    # CloudWatch's limit on an alarm's look-back with hourly periods: seven days.
    assert request["Period"] * request["EvaluationPeriods"] <= 604_800
    with mock_aws():
        boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(**request)


def test_without_a_topic_there_are_no_alerts(run_component: Runner) -> None:
    recording = build(run_component, notification_topic_arn=None)
    for kind in (RULE, TARGET, ALARM, NOTIFICATIONS):
        assert recording.of_type(kind) == []


def test_without_a_copy_region_copies_into_the_vault_still_page(run_component: Runner) -> None:
    recording = build(run_component, copy_region=None)
    rule = ["storefront-prod-copy-job-failed"]
    assert matching(recording, copy_job("FAILED", destination=VAULT_ARN)) == rule
    assert matching(recording, copy_job("FAILED", source=OTHER_VAULT_ARN)) == []


def test_the_data_bucket_alone_is_selected_by_arn(run_component: Runner) -> None:
    recording = build(run_component, notification_topic_arn=None)
    (by_arn,) = [
        s for s in recording.of_type("aws:backup/selection:Selection") if s.inputs.get("resources")
    ]
    [bucket] = by_arn.inputs["resources"]
    assert bucket.startswith("arn:aws:s3:::")


# --- the window of the no-completed-job alarm ---------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "hours"),
    [
        ("cron(0 3 * * ? *)", 24),
        ("cron(0 */6 * * ? *)", 6),
        ("cron(0 22-2 * * ? *)", 20),  # 22, 23, 0, 1, 2: the night's last run to the next
        ("cron(30 2 ? * MON-FRI *)", 72),  # Friday to Monday
        ("cron(0 1 ? * SUN *)", 168),
        ("cron(0 5 1 * ? *)", 744),  # 31-day months
        ("cron(0 3 L * ? *)", None),  # once a month at most
        ("cron(0 3 ? * 2#1 *)", None),
        ("cron(0 3 * * ? 2030)", None),  # one year only
    ],
)
def test_longest_gap_between_runs(schedule: str, hours: float | None) -> None:
    assert longest_gap_hours(schedule) == hours


def test_the_presets_page_after_49_hours() -> None:
    for rules in (dev_rules(), staging_rules(), prod_rules()):
        assert no_completed_job_hours(rules) == 49


def test_the_most_frequent_rule_sets_the_window() -> None:
    hourly = BackupRule(
        "hourly",
        "cron(0 * * * ? *)",
        delete_after_days=1,
        start_window_minutes=60,
        completion_window_minutes=120,
    )
    assert no_completed_job_hours((*prod_rules(), hourly)) == 1 + 1 + 2


def test_a_plan_that_cannot_page_in_seven_days_is_refused_with_a_topic() -> None:
    weekly = BackupRule("weekly", "cron(0 1 ? * SUN *)", delete_after_days=35)
    assert no_completed_job_hours((weekly,)) is None  # 168 + 25 hours > MAX_ALARM_WINDOW_HOURS
    assert MAX_ALARM_WINDOW_HOURS == 168
    with pytest.raises(ConfigError, match=r"BackupPlanArgs\.rules: .*at most 168 hours"):
        BackupPlanArgs(**{**PROD, "rules": (weekly,)})
    # Without alerts, a weekly plan is fine.
    BackupPlanArgs(**{**PROD, "rules": (weekly,), "notification_topic_arn": None})


def test_each_rule_listens_to_one_documented_aws_backup_event(prod: Recording) -> None:
    kinds = {
        rule.inputs["name"]: json.loads(rule.inputs["eventPattern"]) for rule in prod.of_type(RULE)
    }
    assert {name: (p["source"], p["detail-type"]) for name, p in kinds.items()} == {
        "storefront-prod-backup-job-failed": (["aws.backup"], ["Backup Job State Change"]),
        "storefront-prod-copy-job-failed": (["aws.backup"], ["Copy Job State Change"]),
        "storefront-prod-restore-job-failed": (["aws.backup"], ["Restore Job State Change"]),
    }
