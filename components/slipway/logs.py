"""Log groups with retention, optional KMS encryption and protection, made one way."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from slipway.errors import invalid
from slipway.partition import regional_endpoint

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
"""The values CloudWatch Logs accepts for a log group's retention, in days."""

RETENTION_ALLOWED = "one of CloudWatch's values: " + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS))
"""What :func:`retention_problems` says is allowed; the settings' docs quote it."""


def retention_problems(
    days: object, setting: str, *, minimum: int = 1, reason: str = ""
) -> list[str]:
    """The one rule for a log group's retention: a problem naming ``setting`` unless ``days``
    is one of :data:`CLOUDWATCH_RETENTION_DAYS` and at least ``minimum``.

    ``setting`` is how the caller's user spells the value (``NetworkArgs.flow_log_retention_days``,
    ``slipway:logRetentionDays``, a resource's ``retentionInDays`` in the policy pack);
    ``reason`` says why a ``minimum`` above 1 applies (the prod profile's 90 days).
    CloudWatch Logs' own list: PutRetentionPolicy, "retentionInDays"
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
    """
    if isinstance(days, int | float) and days in CLOUDWATCH_RETENTION_DAYS and days >= minimum:
        return []  # a float too: the engine hands integers over as floats
    if isinstance(days, float) and days.is_integer():
        days = int(days)
    if minimum <= CLOUDWATCH_RETENTION_DAYS[0]:
        return [invalid(setting, days, RETENTION_ALLOWED)]
    allowed = ", ".join(str(d) for d in CLOUDWATCH_RETENTION_DAYS if d >= minimum)
    return [invalid(setting, days, f"{reason}: one of {allowed}" if reason else allowed)]


def logs_service_principal(region: pulumi.Input[str]) -> pulumi.Output[str]:
    """``logs.<region>.<DNS suffix>``, the principal a log group's KMS key must let in (the
    partition's suffix: :func:`slipway.partition.regional_endpoint`)."""
    return regional_endpoint("logs", region)


def log_group(
    name: str,
    *,
    parent: pulumi.Resource,
    log_group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str] | None,
    protect: bool,
    tags: Mapping[str, str],
) -> aws.cloudwatch.LogGroup:
    """A log group that expires its events, is encrypted when a key is given, and in prod is
    protected and retained when it leaves the program (logs are evidence).

    ``retention_days`` must already be validated (:func:`retention_problems`) by the caller's args,
    so that a bad value fails before the caller's component registers.
    """
    return aws.cloudwatch.LogGroup(
        name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )
