"""Deployment-rollback alarms: the one owner of what they watch, when they fire and their names.

:class:`~slipway.fargate_service.FargateService` builds them (:func:`rollback_alarms`) and
names them in its service's ``alarms`` block, so that ECS rolls a deployment back when either
fires. :class:`~slipway.monitoring.ServiceMonitoring` has operational alarms on the same metrics
under the same keys (:data:`TARGET_5XX_ALARM`, :data:`UNHEALTHY_HOSTS_ALARM`); it reads the keys
and the metric of each (:data:`ROLLBACK_METRICS`, :func:`metric_inputs`) from here, so the two
never watch different metrics under one key and can stand in for each other
(``ServiceMonitoringArgs.existing_alarms``).

ECS deployment alarms: "How CloudWatch alarms detect Amazon ECS deployment failures"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import Problems
from slipway.patterns import SNS_TOPIC_ARN

ALB_NAMESPACE = "AWS/ApplicationELB"
TARGET_5XX = "HTTPCode_Target_5XX_Count"
UNHEALTHY_HOSTS = "UnHealthyHostCount"

TARGET_5XX_ALARM = "target-5xx"
"""Key of the alarm on the service's target 5xx responses (here and in
:class:`~slipway.monitoring.ServiceMonitoring`)."""
UNHEALTHY_HOSTS_ALARM = "unhealthy-hosts"
"""Key of the alarm on unhealthy targets (here and in ServiceMonitoring)."""
ALTERNATE_SUFFIX = "-alternate"
"""Suffix of the key of an alarm on the alternate target group (canary, linear and blue/green
strategies): ``target-5xx-alternate``, ``unhealthy-hosts-alternate``. ServiceMonitoring has no
alarm of these keys; the service's ``rollback_alarm_keys`` leave them out."""

MAX_5XX_THRESHOLD = 100_000

PERIOD_SECONDS = 60
"""A rollback alarm looks at one-minute periods…"""
PERIODS = 3
"""…and fires after this many breaching ones in a row."""


@dataclass(frozen=True)
class TargetGroupMetric:
    """A metric the load balancer publishes per target group, and how an alarm reads it."""

    metric_name: str
    statistic: str

    def inputs(
        self,
        load_balancer_arn_suffix: pulumi.Input[str],
        target_group_arn_suffix: pulumi.Input[str],
    ) -> dict[str, Any]:
        """``namespace``, ``metric_name``, ``dimensions`` and ``statistic`` of a
        ``MetricAlarm`` on this metric of one target group."""
        return {
            "namespace": ALB_NAMESPACE,
            "metric_name": self.metric_name,
            "dimensions": {
                "LoadBalancer": load_balancer_arn_suffix,
                "TargetGroup": target_group_arn_suffix,
            },
            "statistic": self.statistic,
        }


ROLLBACK_METRICS: Mapping[str, TargetGroupMetric] = {
    TARGET_5XX_ALARM: TargetGroupMetric(TARGET_5XX, "Sum"),
    UNHEALTHY_HOSTS_ALARM: TargetGroupMetric(UNHEALTHY_HOSTS, "Maximum"),
}
"""Each rollback alarm's key to the metric it watches, in creation order."""


def metric_inputs(
    key: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffix: pulumi.Input[str],
) -> dict[str, Any]:
    """The metric part of an alarm of ``key`` (one of :data:`ROLLBACK_METRICS`) on one target
    group, as ``MetricAlarm`` takes it."""
    return ROLLBACK_METRICS[key].inputs(load_balancer_arn_suffix, target_group_arn_suffix)


@dataclass(frozen=True)
class RollbackAlarmOptions:
    """The deployment-rollback alarms of a :class:`~slipway.fargate_service.FargateService`:
    ``<service>-target-5xx`` and ``<service>-unhealthy-hosts``, each firing after
    :data:`PERIODS` breaching minutes and rolling a deployment back."""

    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """SNS topic ARNs notified when an alarm changes state (alarm and OK). Default: none."""
    target_5xx_threshold: int = 10
    """Target 5xx responses per minute, three minutes running, that fire the 5xx alarm, 1 to
    100000. Default: 10."""

    def __post_init__(self) -> None:
        problems = Problems("RollbackAlarmOptions")
        bad_topics = [
            a for a in self.alarm_actions if isinstance(a, str) and not SNS_TOPIC_ARN.match(a)
        ]
        problems.check(not bad_topics, "alarm_actions", bad_topics, "SNS topic ARNs")
        problems.check(
            1 <= self.target_5xx_threshold <= MAX_5XX_THRESHOLD,
            "target_5xx_threshold",
            self.target_5xx_threshold,
            f"1 to {MAX_5XX_THRESHOLD}",
        )
        problems.raise_any()


def _rollback_rules(service_name: str, target_5xx_threshold: int) -> dict[str, tuple[int, str]]:
    """Each rollback alarm's key to its threshold (fires above it) and description."""
    return {
        TARGET_5XX_ALARM: (
            target_5xx_threshold,
            f"{service_name}: more than {target_5xx_threshold} target 5xx responses a minute, "
            f"{PERIODS} minutes running; rolls a deployment back",
        ),
        UNHEALTHY_HOSTS_ALARM: (
            0,
            f"{service_name}: a target failed its health checks for {PERIODS} minutes; rolls "
            "a deployment back",
        ),
    }


def rollback_alarms(
    name: str,
    *,
    service_name: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffix: pulumi.Input[str],
    options: RollbackAlarmOptions | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    alternate_target_group_arn_suffix: pulumi.Input[str] | None = None,
) -> dict[str, aws.cloudwatch.MetricAlarm]:
    """The rollback alarms (``<name>-<key>``, named ``<service_name>-<key>``), children of
    ``parent``, keyed like :data:`ROLLBACK_METRICS`; none without ``options``.

    With ``alternate_target_group_arn_suffix`` (a canary, linear or blue/green deployment),
    each alarm again on the alternate target group, keyed ``<key>-alternate``
    (:data:`ALTERNATE_SUFFIX`): ECS registers the new revision's tasks in whichever target
    group is not serving, and swaps the two after each deployment, so a rollback alarm on one
    target group alone would miss half the deployments. ECS keeps watching the alarms during
    the bake ("How CloudWatch alarms detect Amazon ECS deployment failures",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html)."""
    if options is None:
        return {}
    actions = list(options.alarm_actions)
    rules = _rollback_rules(service_name, options.target_5xx_threshold)
    groups: list[tuple[str, pulumi.Input[str], str]] = [("", target_group_arn_suffix, "")]
    if alternate_target_group_arn_suffix is not None:
        groups.append(
            (ALTERNATE_SUFFIX, alternate_target_group_arn_suffix, " (alternate target group)")
        )
    return {
        f"{key}{suffix}": aws.cloudwatch.MetricAlarm(
            f"{name}-{key}{suffix}",
            name=f"{service_name}-{key}{suffix}",
            alarm_description=description.replace(":", f"{which}:", 1),
            **metric_inputs(key, load_balancer_arn_suffix, group_suffix),
            period=PERIOD_SECONDS,
            evaluation_periods=PERIODS,
            datapoints_to_alarm=PERIODS,
            threshold=threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for suffix, group_suffix, which in groups
        for key, (threshold, description) in rules.items()
    }
