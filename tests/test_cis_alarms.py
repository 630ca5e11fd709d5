"""CisAlarms: the CIS monitoring checks on the account trail's log group, and the opt-in
setting of the stack that owns the account's resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway.cis_alarms import CHECKS, METRIC_NAMESPACE, CisAlarms, CisAlarmsArgs
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
