"""CisAlarms: the CIS monitoring checks on the account trail's log group, and the opt-in
setting of the stack that owns the account's resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway.cis_alarms import (
    CHECKS,
    CI_QUIET_CHECKS,
    METRIC_NAMESPACE,
    CisAlarms,
    CisAlarmsArgs,
    check_pattern,
)
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tests.conftest import recorded
from tooling.offline import ACCOUNT_ID, Recording, run_stack

Runner = Callable[..., Recording]
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:shop-prod-alerts"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CIS = "slipway:index:CisAlarms"


def program(**overrides: Any) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        args = {
            "log_group_name": "cloudtrail/shop-account-trail",
            "alarm_actions": (TOPIC,),
            "name_prefix": "shop-account",
            **overrides,
        }
        CisAlarms("cis", CisAlarmsArgs(**args))
        return {}

    return run


def test_each_check_has_a_filter_and_an_alarm_on_its_metric(run_component: Runner) -> None:
    recording = run_component(program())
    filters = {f.name.removeprefix("cis-"): f.inputs for f in recording.of_type(FILTER)}
    alarms = {
        a.name.removeprefix("cis-").removesuffix("-alarm"): a.inputs
        for a in recording.of_type(ALARM)
    }
    assert set(filters) == set(alarms) == set(CHECKS)
    for key, (description, pattern) in CHECKS.items():
        transformation = filters[key]["metricTransformation"]
        assert filters[key]["logGroupName"] == "cloudtrail/shop-account-trail"
        assert filters[key]["pattern"] == pattern
        assert (transformation["namespace"], transformation["value"]) == (METRIC_NAMESPACE, "1")
        alarm = alarms[key]
        assert (alarm["namespace"], alarm["metricName"]) == (
            METRIC_NAMESPACE,
            transformation["name"],
        )
        assert alarm["alarmActions"] == [TOPIC]
        assert (alarm["comparisonOperator"], alarm["threshold"]) == (
            "GreaterThanOrEqualToThreshold",
            1,
        )
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["alarmDescription"] == description


def test_filters_and_alarms_are_valid_api_requests(run_component: Runner) -> None:
    """CloudWatch Logs' and CloudWatch's own request models (botocore). moto cannot evaluate
    JSON filter patterns (moto.logs.utils handles plain terms only), so the patterns are
    checked as documents: the text Security Hub's controls CloudWatch.1 to .11 give."""
    logs = service_model("logs").operation_model("PutMetricFilter").input_shape
    cloudwatch = service_model("cloudwatch").operation_model("PutMetricAlarm")
    recording = run_component(program())
    for item in recording.of_type(FILTER):
        t = item.inputs["metricTransformation"]
        params = {
            "logGroupName": item.inputs["logGroupName"],
            "filterName": item.inputs["name"],
            "filterPattern": item.inputs["pattern"],
            "metricTransformations": [
                {
                    "metricName": t["name"],
                    "metricNamespace": t["namespace"],
                    "metricValue": t["value"],
                }
            ],
        }
        botocore.validate.validate_parameters(params, logs)
    for item in recording.of_type(ALARM):
        a = item.inputs
        params = {
            "AlarmName": a["name"],
            "AlarmDescription": a["alarmDescription"],
            "Namespace": a["namespace"],
            "MetricName": a["metricName"],
            "Statistic": a["statistic"],
            "Period": int(a["period"]),
            "EvaluationPeriods": int(a["evaluationPeriods"]),
            "Threshold": float(a["threshold"]),
            "ComparisonOperator": a["comparisonOperator"],
            "TreatMissingData": a["treatMissingData"],
            "AlarmActions": a["alarmActions"],
        }
        botocore.validate.validate_parameters(params, cloudwatch.input_shape)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name_prefix": "shop account"}, "CisAlarmsArgs.name_prefix: got 'shop account'"),
        ({"alarm_actions": ()}, "CisAlarmsArgs.alarm_actions: got []"),
        ({"alarm_actions": ("arn:aws:sqs:eu-west-1:1:q",)}, "CisAlarmsArgs.alarm_actions"),
        (
            {"ci_role_session_prefix": "arn:aws:sts::1:assumed-role/shop-*"},
            "CisAlarmsArgs.ci_role_session_prefix",
        ),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(
        ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")
    ) as caught:
        run_component(program(**overrides))
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_account_owner_stack_opts_in() -> None:
    assert not recorded_alarms(recorded("prod"))
    prod = run_stack("prod", overrides={"cisAlarms": "true"})
    alarms = recorded_alarms(prod)
    assert len(alarms) == len(CHECKS)
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [prod.outputs["alertTopicArn"]]
    groups = {f.inputs["logGroupName"] for f in prod.of_type(FILTER) if f.parent_type == CIS}
    assert groups == {prod.one(LOG_GROUP, "audit-logs").inputs["name"]}
    # A reviewed CI up of any stack of the application does not page; anyone else does.
    sessions = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/storefront-"
    patterns = {
        f.name.removeprefix("cis-"): f.inputs["pattern"]
        for f in prod.of_type(FILTER)
        if f.parent_type == CIS
    }
    assert patterns == {key: check_pattern(key, sessions) for key in CHECKS}


def test_bucket_policy_changes_are_noticed() -> None:
    """CIS 3.8 / Security Hub CloudWatch.8: the audit bucket's policy among them."""
    pattern = CHECKS["bucket-policy-changes"][1]
    assert pattern.startswith("{ ($.eventSource = s3.amazonaws.com) && (")
    for event in ("PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLifecycle", "PutBucketAcl"):
        assert f"($.eventName = {event})" in pattern


def test_only_the_checks_ci_trips_leave_out_the_stacks_sessions() -> None:
    prefix = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/shop-"
    assert set(CHECKS) > CI_QUIET_CHECKS
    for key in CHECKS:
        quiet = check_pattern(key, prefix)
        if key in CI_QUIET_CHECKS:
            inner = CHECKS[key][1].strip()[1:-1].strip()
            assert quiet == f'{{ ({inner}) && ($.userIdentity.arn != "{prefix}*") }}'
            assert quiet.count("{") == quiet.count("}") == 1
        else:
            # Root use, sign-in without MFA, trail and key changes page whoever makes them.
            assert quiet == CHECKS[key][1]
        assert check_pattern(key) == CHECKS[key][1]


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("dev", {"cisAlarms": "true"}),
        (
            "prod",
            {
                "cisAlarms": "true",
                "existingTrailArn": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT_ID}:trail/org",
            },
        ),
    ],
)
def test_only_the_stack_that_creates_the_trail_may_opt_in(
    stack: str, overrides: dict[str, str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack(stack, overrides=overrides)
    assert any(p.startswith("slipway:cisAlarms: got True;") for p in caught.value.problems)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def recorded_alarms(recording: Recording) -> list[Any]:
    return [r for r in recording.of_type(ALARM) if r.parent_type == CIS]
