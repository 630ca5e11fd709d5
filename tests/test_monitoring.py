"""ServiceMonitoring: each alarm's metric and threshold per preset, and the dashboard."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import botocore.validate
import pulumi_aws as aws
import pytest

from slipway import monitoring
from slipway.errors import ConfigError
from slipway.monitoring import (
    ALARM_KEYS,
    AlarmThresholds,
    ServiceMonitoring,
    ServiceMonitoringArgs,
    thresholds_for,
)
from slipway.rollback_alarms import TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM
from tests.aws_models import service_model
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:ops-alerts"
ALARM_ARN = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT_ID}:alarm:shop-prod-target-5xx"
EXISTING = "ServiceMonitoringArgs.existing_alarms"

DOCUMENTED_METRICS: dict[str, set[str]] = {
    "AWS/ApplicationELB": {
        "ActiveConnectionCount",
        "ConsumedLCUs",
        "HTTPCode_ELB_3XX_Count",
        "HTTPCode_ELB_4XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_ELB_502_Count",
        "HTTPCode_ELB_503_Count",
        "HTTPCode_ELB_504_Count",
        "HTTPCode_Target_2XX_Count",
        "HTTPCode_Target_3XX_Count",
        "HTTPCode_Target_4XX_Count",
        "HTTPCode_Target_5XX_Count",
        "HealthyHostCount",
        "NewConnectionCount",
        "ProcessedBytes",
        "RejectedConnectionCount",
        "RequestCount",
        "RequestCountPerTarget",
        "TargetConnectionErrorCount",
        "TargetResponseTime",
        "UnHealthyHostCount",
    },
    "AWS/ECS": {"CPUReservation", "CPUUtilization", "MemoryReservation", "MemoryUtilization"},
    "ECS/ContainerInsights": {
        "CpuReserved",
        "CpuUtilized",
        "DeploymentCount",
        "DesiredTaskCount",
        "MemoryReserved",
        "MemoryUtilized",
        "PendingTaskCount",
        "RunningTaskCount",
        "TaskSetCount",
    },
    "AWS/Backup": {
        "NumberOfBackupJobsAborted",
        "NumberOfBackupJobsCompleted",
        "NumberOfBackupJobsCreated",
        "NumberOfBackupJobsExpired",
        "NumberOfBackupJobsFailed",
        "NumberOfBackupJobsPending",
        "NumberOfBackupJobsRunning",
    },
}
"""Metric names as AWS documents them per namespace (ALB, ECS, Container Insights and Backup
user guides), written out independently of the module under test."""

DOCUMENTED_DIMENSIONS: dict[str, list[set[str]]] = {
    "AWS/ApplicationELB": [{"LoadBalancer"}, {"TargetGroup", "LoadBalancer"}],
    "AWS/ECS": [{"ClusterName", "ServiceName"}],
    "ECS/ContainerInsights": [{"ClusterName", "ServiceName"}],
    "AWS/Backup": [{"BackupVaultName"}],
}

# key: (namespace, metric, dimension names, statistic, comparison, threshold field or value,
#       treat missing data)
EXPECTED: dict[str, tuple[str, str, set[str], str, str, str | float, str]] = {
    "target-5xx": (
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        {"TargetGroup", "LoadBalancer"},
        "Sum",
        "GreaterThanThreshold",
        "target_5xx_count",
        "notBreaching",
    ),
    "elb-5xx": (
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        {"LoadBalancer"},
        "Sum",
        "GreaterThanThreshold",
        "elb_5xx_count",
        "notBreaching",
    ),
    "unhealthy-hosts": (
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        {"TargetGroup", "LoadBalancer"},
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        "unhealthy_hosts",
        "notBreaching",
    ),
    "latency-p99": (
        "AWS/ApplicationELB",
        "TargetResponseTime",
        {"TargetGroup", "LoadBalancer"},
        "p99",
        "GreaterThanThreshold",
        "latency_p99_seconds",
        "notBreaching",
    ),
    "cpu-high": (
        "AWS/ECS",
        "CPUUtilization",
        {"ClusterName", "ServiceName"},
        "Average",
        "GreaterThanThreshold",
        "cpu_percent",
        "notBreaching",
    ),
    "memory-high": (
        "AWS/ECS",
        "MemoryUtilization",
        {"ClusterName", "ServiceName"},
        "Average",
        "GreaterThanThreshold",
        "memory_percent",
        "notBreaching",
    ),
    "backup-jobs-failed": (
        "AWS/Backup",
        "NumberOfBackupJobsFailed",
        {"BackupVaultName"},
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1.0,
        "notBreaching",
    ),
}


def service_program(
    thresholds: AlarmThresholds | None = None,
    prefix: str = "shop-prod",
    backup_vault_name: str | None = None,
    lb_name: str = "web-lb",
    rollback_alarms: bool = False,
    existing_alarms: dict[str, str] | None = None,
    minimum_running_tasks: object = None,
) -> Callable[[], dict[str, Any]]:
    """Real (mocked) load balancer, target group, cluster and service feed the component.
    ``rollback_alarms``: two alarms standing for the service's rollback alarms (outside the
    component) are passed as ``existing_alarms``; ``existing_alarms``: plain ARNs passed."""

    def program() -> dict[str, Any]:
        lb = aws.lb.LoadBalancer("lb", name=lb_name, load_balancer_type="application")
        tg = aws.lb.TargetGroup("tg", name=f"{lb_name}-tg", port=8080, protocol="HTTP")
        cluster = aws.ecs.Cluster("cluster", name=f"{prefix}-cluster")
        service = aws.ecs.Service("service", name=f"{prefix}-svc", cluster=cluster.arn)
        extra: dict[str, Any] = {}
        if thresholds is not None:
            extra["thresholds"] = thresholds
        outputs: dict[str, Any] = {}
        if minimum_running_tasks is not None:
            extra["minimum_running_tasks"] = minimum_running_tasks
        if existing_alarms is not None:
            extra["existing_alarms"] = existing_alarms
        if rollback_alarms:
            given = {
                key: aws.cloudwatch.MetricAlarm(
                    f"svc-{key}",
                    name=f"{prefix}-svc-{key}",
                    namespace="AWS/ApplicationELB",
                    metric_name=metric,
                    dimensions={"LoadBalancer": lb.arn_suffix, "TargetGroup": tg.arn_suffix},
                    statistic=stat,
                    period=60,
                    evaluation_periods=3,
                    threshold=0,
                    comparison_operator="GreaterThanThreshold",
                    alarm_actions=[TOPIC_ARN],
                )
                for key, metric, stat in (
                    (TARGET_5XX_ALARM, "HTTPCode_Target_5XX_Count", "Sum"),
                    (UNHEALTHY_HOSTS_ALARM, "UnHealthyHostCount", "Maximum"),
                )
            }
            extra["existing_alarms"] = {key: alarm.arn for key, alarm in given.items()}
            outputs["given_arns"] = {key: alarm.arn for key, alarm in given.items()}
        component = ServiceMonitoring(
            "mon",
            ServiceMonitoringArgs(
                name_prefix=prefix,
                cluster_name=cluster.name,
                service_name=service.name,
                lb_arn_suffix=lb.arn_suffix,
                target_group_arn_suffix=tg.arn_suffix,
                alarm_actions=[TOPIC_ARN],
                backup_vault_name=backup_vault_name,
                tags={"team": "shop"},
                **extra,
            ),
        )
        return {
            "alarm_arns": component.alarm_arns,
            "alarm_names": component.alarm_names,
            "dashboard": component.dashboard_name,
            "lb_suffix": lb.arn_suffix,
            "tg_suffix": tg.arn_suffix,
            "cluster": cluster.name,
            "service": service.name,
            **outputs,
        }

    return program


def alarms_by_key(recording: Recording) -> dict[str, Any]:
    """Alarms by key, in ALARM_KEYS order (registration order follows Output resolution)."""
    found = {a.name.removeprefix("mon-"): a for a in recording.of_type(ALARM)}
    return {key: found[key] for key in ALARM_KEYS if key in found} | found


@pytest.mark.parametrize("profile", ["dev", "staging", "prod"])
def test_each_alarm_watches_the_right_metric_per_preset(
    run_component: Runner, profile: str
) -> None:
    thresholds = thresholds_for(profile)
    recording = run_component(service_program(thresholds, backup_vault_name="shop-vault"))
    out = recording.outputs
    alarms = alarms_by_key(recording)
    assert list(alarms) == list(ALARM_KEYS)
    expected_values = {
        "TargetGroup": out["tg_suffix"],
        "LoadBalancer": out["lb_suffix"],
        "ClusterName": out["cluster"],
        "ServiceName": out["service"],
        "BackupVaultName": "shop-vault",
    }
    for key, (namespace, metric, dims, stat, comparison, limit, missing) in EXPECTED.items():
        alarm = alarms[key].inputs
        assert alarm["name"] == f"shop-prod-ops-{key}"
        assert alarm["namespace"] == namespace, key
        assert alarm["metricName"] == metric, key
        assert set(alarm["dimensions"]) == dims, key
        assert alarm["dimensions"] == {d: expected_values[d] for d in dims}, key
        if stat.startswith("p"):
            assert alarm["extendedStatistic"] == stat
            assert "statistic" not in alarm
        else:
            assert alarm["statistic"] == stat, key
        assert alarm["comparisonOperator"] == comparison, key
        threshold = getattr(thresholds, limit) if isinstance(limit, str) else limit
        assert alarm["threshold"] == threshold, key
        assert alarm["treatMissingData"] == missing, key
        if key == "backup-jobs-failed":
            assert (alarm["period"], alarm["evaluationPeriods"]) == (3600, 1)
        else:
            assert alarm["period"] == thresholds.period_seconds
            assert alarm["evaluationPeriods"] == thresholds.evaluation_periods


def test_running_tasks_alarm_pages_below_the_floor_not_during_a_scale_out(
    run_component: Runner,
) -> None:
    """The alarm watches the fewest running tasks against the service's floor: in a scale-out
    the desired count rises minutes before the new tasks run, which a "running below desired"
    alarm would page on; running below the floor is an incident at any time."""
    recording = run_component(service_program(thresholds_for("staging"), minimum_running_tasks=2))
    alarm = alarms_by_key(recording)["running-tasks-low"].inputs
    out = recording.outputs
    assert alarm["namespace"] == "ECS/ContainerInsights"
    assert alarm["metricName"] == "RunningTaskCount"
    assert "DesiredTaskCount" not in json.dumps(alarm)
    assert alarm["dimensions"] == {"ClusterName": out["cluster"], "ServiceName": out["service"]}
    assert alarm["statistic"] == "Minimum"
    assert alarm["comparisonOperator"] == "LessThanThreshold"
    assert alarm["threshold"] == 2
    assert alarm["treatMissingData"] == "breaching"
    assert (alarm["period"], alarm["evaluationPeriods"]) == (60, 3)
    assert "metricQueries" not in alarm


@pytest.mark.parametrize("value", [0, 101, True, "2"])
def test_the_floor_is_checked(run_component: Runner, value: object) -> None:
    with pytest.raises(ConfigError, match=r"ServiceMonitoringArgs\.minimum_running_tasks: got"):
        run_component(service_program(minimum_running_tasks=value))


def test_every_alarm_notifies_on_alarm_and_on_recovery(run_component: Runner) -> None:
    recording = run_component(service_program(backup_vault_name="shop-vault"))
    alarms = recording.of_type(ALARM)
    assert len(alarms) == len(ALARM_KEYS)
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [TOPIC_ARN], alarm.name
        assert alarm.inputs["okActions"] == [TOPIC_ARN], alarm.name
        assert alarm.inputs["actionsEnabled"] is True
        assert alarm.inputs["tags"] == {"team": "shop"}
        assert alarm.parent_name == "mon"


def test_backup_alarm_only_with_a_vault(run_component: Runner) -> None:
    recording = run_component(service_program())
    assert "backup-jobs-failed" not in alarms_by_key(recording)
    assert list(recording.outputs["alarm_arns"]) == list(ALARM_KEYS[:-1])


def test_alarms_are_valid_put_metric_alarm_requests(run_component: Runner) -> None:
    recording = run_component(service_program(backup_vault_name="shop-vault"))
    shape = service_model("cloudwatch").operation_model("PutMetricAlarm").input_shape

    def dimensions(values: dict[str, str]) -> list[dict[str, str]]:
        return [{"Name": k, "Value": v} for k, v in values.items()]

    for alarm in recording.of_type(ALARM):
        a = alarm.inputs
        params: dict[str, Any] = {
            "AlarmName": a["name"],
            "AlarmDescription": a["alarmDescription"],
            "ActionsEnabled": a["actionsEnabled"],
            "AlarmActions": a["alarmActions"],
            "OKActions": a["okActions"],
            "EvaluationPeriods": int(a["evaluationPeriods"]),
            "Threshold": float(a["threshold"]),
            "ComparisonOperator": a["comparisonOperator"],
            "TreatMissingData": a["treatMissingData"],
            "Tags": [{"Key": k, "Value": v} for k, v in a["tags"].items()],
        }
        if "metricQueries" in a:
            params["Metrics"] = [
                {
                    "Id": q["id"],
                    "ReturnData": q["returnData"],
                    **({"Expression": q["expression"]} if "expression" in q else {}),
                    **({"Label": q["label"]} if "label" in q else {}),
                    **(
                        {
                            "MetricStat": {
                                "Metric": {
                                    "Namespace": q["metric"]["namespace"],
                                    "MetricName": q["metric"]["metricName"],
                                    "Dimensions": dimensions(q["metric"]["dimensions"]),
                                },
                                "Period": int(q["metric"]["period"]),
                                "Stat": q["metric"]["stat"],
                            }
                        }
                        if "metric" in q
                        else {}
                    ),
                }
                for q in a["metricQueries"]
            ]
        else:
            params.update(
                Namespace=a["namespace"],
                MetricName=a["metricName"],
                Dimensions=dimensions(a["dimensions"]),
                Period=int(a["period"]),
            )
            if "extendedStatistic" in a:
                params["ExtendedStatistic"] = a["extendedStatistic"]
            else:
                params["Statistic"] = a["statistic"]
        botocore.validate.validate_parameters(params, shape)
        assert len(params["AlarmName"]) <= 255


def test_alarm_and_dashboard_metrics_are_documented_aws_metrics(run_component: Runner) -> None:
    for namespace, metrics in monitoring.METRICS.items():
        assert metrics <= DOCUMENTED_METRICS[namespace], namespace
    recording = run_component(service_program(backup_vault_name="shop-vault"))
    seen: list[tuple[str, str, set[str]]] = []
    for alarm in recording.of_type(ALARM):
        a = alarm.inputs
        if "metricQueries" in a:
            seen += [
                (
                    q["metric"]["namespace"],
                    q["metric"]["metricName"],
                    set(q["metric"]["dimensions"]),
                )
                for q in a["metricQueries"]
                if "metric" in q
            ]
        else:
            seen.append((a["namespace"], a["metricName"], set(a["dimensions"])))
    body = json.loads(recording.one(DASHBOARD).inputs["dashboardBody"])
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        for line in widget["properties"]["metrics"]:
            namespace, metric, *rest = line
            pairs = [x for x in rest if isinstance(x, str)]
            seen.append((namespace, metric, set(pairs[0::2])))
    assert len(seen) > 10
    for namespace, metric, dims in seen:
        assert metric in DOCUMENTED_METRICS[namespace], (namespace, metric)
        assert metric in monitoring.METRICS[namespace], (namespace, metric)
        assert dims in DOCUMENTED_DIMENSIONS[namespace], (namespace, metric, dims)


def test_dashboard_is_built_from_the_recorded_resources(run_component: Runner) -> None:
    recording = run_component(
        service_program(prefix="ledger-qa", lb_name="ledger-edge"), region="us-east-2"
    )
    out = recording.outputs
    dashboard = recording.one(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == "ledger-qa" == out["dashboard"]
    text = dashboard.inputs["dashboardBody"]
    assert "storefront" not in text
    body = json.loads(text)
    widgets = body["widgets"]
    metric_widgets = [w for w in widgets if w["type"] == "metric"]
    titles = {w["properties"]["title"] for w in metric_widgets}
    assert titles == {
        "Requests",
        "Latency (target response time)",
        "5xx responses",
        "Targets",
        "CPU and memory (% of reservation)",
        "Tasks",
    }
    by_title = {w["properties"]["title"]: w["properties"] for w in metric_widgets}
    for props in by_title.values():
        assert props["region"] == "us-east-2"
        for line in props["metrics"]:
            values = dict(zip(line[2:-1:2], line[3:-1:2], strict=True))
            for dim, value in values.items():
                assert (
                    value
                    == {
                        "TargetGroup": out["tg_suffix"],
                        "LoadBalancer": out["lb_suffix"],
                        "ClusterName": out["cluster"],
                        "ServiceName": out["service"],
                    }[dim]
                )
    assert out["lb_suffix"].startswith("app/ledger-edge/")
    latency_stats = sorted(
        line[-1]["stat"] for line in by_title["Latency (target response time)"]["metrics"]
    )
    assert latency_stats == ["p50", "p99"]
    five_xx = {line[1] for line in by_title["5xx responses"]["metrics"]}
    assert five_xx == {"HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"}
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    alarms = alarms_by_key(recording)
    assert list(alarms) == list(ALARM_KEYS[:-1])
    expected_arns = [
        f"arn:aws:cloudwatch:us-east-2:{ACCOUNT_ID}:alarm:{a.inputs['name']}"
        for a in alarms.values()
    ]
    assert alarm_widget["properties"]["alarms"] == expected_arns
    assert alarm_widget["properties"]["alarms"] == list(out["alarm_arns"].values())
    assert out["alarm_names"] == [a.inputs["name"] for a in alarms.values()]
    assert all(name.startswith("ledger-qa-ops-") for name in out["alarm_names"])
    # Every alarm ARN reaches the dashboard as a dependency (built from their Outputs).
    alarm_urns = {a.urn for a in recording.of_type(ALARM)}
    assert alarm_urns <= set(dashboard.dependencies)


def test_dashboard_widgets_do_not_overlap() -> None:
    body = json.loads(
        monitoring.dashboard_body(
            region="eu-west-1",
            load_balancer="app/a/1",
            target_group="targetgroup/t/2",
            cluster="c",
            service="s",
            alarm_arns=["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:x"],
            period=60,
        )
    )
    cells: set[tuple[int, int]] = set()
    for w in body["widgets"]:
        assert w["x"] + w["width"] <= 24
        area = {
            (x, y)
            for x in range(w["x"], w["x"] + w["width"])
            for y in range(w["y"], w["y"] + w["height"])
        }
        assert not area & cells, w
        cells |= area


def test_presets_tighten_from_dev_to_prod() -> None:
    dev, staging, prod = (thresholds_for(p) for p in ("dev", "staging", "prod"))
    for name in ("target_5xx_count", "elb_5xx_count", "cpu_percent", "memory_percent"):
        assert getattr(dev, name) >= getattr(staging, name) >= getattr(prod, name), name
    assert dev.latency_p99_seconds >= staging.latency_p99_seconds >= prod.latency_p99_seconds
    assert dev.evaluation_periods >= prod.evaluation_periods
    assert (
        prod
        == AlarmThresholds.prod()
        == ServiceMonitoringArgs(
            name_prefix="x",
            cluster_name="c",
            service_name="s",
            lb_arn_suffix="app/a/1",
            target_group_arn_suffix="targetgroup/t/2",
            alarm_actions=[TOPIC_ARN],
        ).thresholds
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        prod.cpu_percent = 1.0  # type: ignore[misc]


def test_thresholds_for_unknown_profile() -> None:
    with pytest.raises(ConfigError, match="profile: got 'qa'"):
        thresholds_for("qa")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_5xx_count", -1),
        ("elb_5xx_count", 1.5),
        ("unhealthy_hosts", 0),
        ("cpu_percent", 101),
        ("memory_percent", 0),
        ("latency_p99_seconds", 0),
        ("latency_p99_seconds", 120),
        ("evaluation_periods", 0),
        ("period_seconds", 30),
        ("period_seconds", 90),
        ("period_seconds", True),
    ],
)
def test_thresholds_out_of_range_fail_before_anything_is_registered(
    run_component: Runner, field: str, value: Any
) -> None:
    def program() -> dict[str, Any]:
        return service_program(dataclasses.replace(AlarmThresholds.prod(), **{field: value}))()

    with pytest.raises(ConfigError) as caught:
        run_component(program)
    (problem,) = caught.value.problems
    assert problem.startswith(f"AlarmThresholds.{field}: got ")
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_evaluation_window_longer_than_a_day_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"AlarmThresholds.evaluation_periods: got 25"):
        AlarmThresholds(period_seconds=3600, evaluation_periods=25)
    assert AlarmThresholds(period_seconds=3600, evaluation_periods=24).evaluation_periods == 24


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"alarm_actions": []}, "ServiceMonitoringArgs.alarm_actions"),
        ({"alarm_actions": ["not-an-arn"]}, "ServiceMonitoringArgs.alarm_actions"),
        ({"alarm_actions": [TOPIC_ARN] * 6}, "ServiceMonitoringArgs.alarm_actions"),
        ({"name_prefix": "shop prod"}, "ServiceMonitoringArgs.name_prefix"),
        ({"backup_vault_name": "x"}, "ServiceMonitoringArgs.backup_vault_name"),
        ({"existing_alarms": {"target-5xx-rollback": ALARM_ARN}}, EXISTING),
        ({"existing_alarms": {"backup-jobs-failed": ALARM_ARN}}, EXISTING),
        ({"existing_alarms": {"target-5xx": "shop-prod-target-5xx"}}, EXISTING + "['target-5xx']"),
        ({"existing_alarms": [("target-5xx", ALARM_ARN)]}, EXISTING),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], setting: str
) -> None:
    def program() -> dict[str, Any]:
        args = {
            "name_prefix": "shop-prod",
            "cluster_name": "c",
            "service_name": "s",
            "lb_arn_suffix": "app/a/1",
            "target_group_arn_suffix": "targetgroup/t/2",
            "alarm_actions": [TOPIC_ARN],
            **overrides,
        }
        ServiceMonitoring("mon", ServiceMonitoringArgs(**args))
        return {}

    with pytest.raises(ConfigError) as caught:
        run_component(program)
    (problem,) = caught.value.problems
    assert problem.startswith(setting + ": got ")
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_alarm_names_cannot_collide_with_the_services_rollback_alarms(
    run_component: Runner,
) -> None:
    recording = run_component(service_program(prefix="shop-prod"))
    names = set(recording.outputs["alarm_names"])
    # FargateService names its two rollback alarms <service>-target-5xx / -unhealthy-hosts.
    assert not names & {"shop-prod-target-5xx", "shop-prod-unhealthy-hosts"}
    assert {"shop-prod-ops-target-5xx", "shop-prod-ops-unhealthy-hosts"} <= names


def test_existing_alarms_replace_the_alarms_of_their_keys(run_component: Runner) -> None:
    recording = run_component(service_program(rollback_alarms=True, backup_vault_name="vault-1"))
    out = recording.outputs
    given = out["given_arns"]
    assert list(given) == [TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM]
    created = [a for a in recording.of_type(ALARM) if a.parent_name == "mon"]
    created_keys = {a.name.removeprefix("mon-") for a in created}
    assert created_keys == set(ALARM_KEYS) - set(given)
    assert not any(
        a.inputs["name"].endswith(("-ops-target-5xx", "-ops-unhealthy-hosts")) for a in created
    )
    # alarm_arns: every alarm that pages, the given ones at their keys, in ALARM_KEYS order.
    assert list(out["alarm_arns"]) == list(ALARM_KEYS)
    for key, arn in given.items():
        assert out["alarm_arns"][key] == arn
    created_arns = {
        a.name.removeprefix("mon-"): f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT_ID}:alarm:"
        + a.inputs["name"]
        for a in created
    }
    assert out["alarm_arns"] == {k: given.get(k) or created_arns[k] for k in ALARM_KEYS}
    # alarm_names: only the alarms created here.
    assert out["alarm_names"] == [f"shop-prod-ops-{k}" for k in ALARM_KEYS if k not in given]
    # The dashboard's alarm widget shows every alarm that pages, given ones included.
    dashboard = recording.one(DASHBOARD)
    (widget,) = [
        w for w in json.loads(dashboard.inputs["dashboardBody"])["widgets"] if w["type"] == "alarm"
    ]
    assert widget["properties"]["alarms"] == list(out["alarm_arns"].values())
    assert set(given.values()) <= set(widget["properties"]["alarms"])
    svc_alarms = {a.urn for a in recording.of_type(ALARM) if a.parent_name != "mon"}
    assert len(svc_alarms) == 2
    assert svc_alarms <= set(dashboard.dependencies)


@pytest.mark.parametrize("key", ALARM_KEYS)
def test_any_alarm_key_can_be_given_as_existing(run_component: Runner, key: str) -> None:
    arn = f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT_ID}:alarm:elsewhere-{key}"
    recording = run_component(
        service_program(backup_vault_name="vault-1", existing_alarms={key: arn})
    )
    created = {a.name.removeprefix("mon-") for a in recording.of_type(ALARM)}
    assert created == set(ALARM_KEYS) - {key}
    assert list(recording.outputs["alarm_arns"]) == list(ALARM_KEYS)
    assert recording.outputs["alarm_arns"][key] == arn
    assert f"shop-prod-ops-{key}" not in recording.outputs["alarm_names"]
    body = json.loads(recording.one(DASHBOARD).inputs["dashboardBody"])
    (widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert widget["properties"]["alarms"][ALARM_KEYS.index(key)] == arn


def test_unknown_existing_alarm_key_names_the_key_and_the_allowed_ones(
    run_component: Runner,
) -> None:
    def program() -> dict[str, Any]:
        ServiceMonitoring(
            "mon",
            ServiceMonitoringArgs(
                name_prefix="shop-prod",
                cluster_name="c",
                service_name="s",
                lb_arn_suffix="app/a/1",
                target_group_arn_suffix="targetgroup/t/2",
                alarm_actions=[TOPIC_ARN],
                existing_alarms={"5xx": ALARM_ARN, TARGET_5XX_ALARM: ALARM_ARN},
            ),
        )
        return {}

    with pytest.raises(ConfigError) as caught:
        run_component(program)
    (problem,) = caught.value.problems
    assert problem.startswith("ServiceMonitoringArgs.existing_alarms: got '5xx'; ")
    allowed = problem.split("; ", 1)[1]
    # Without a backup vault there is no backup alarm to stand in for.
    for key in ALARM_KEYS[:-1]:
        assert key in allowed
    assert "backup-jobs-failed" not in allowed
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
