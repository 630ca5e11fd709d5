"""Log groups with retention, optional KMS encryption and protection, made one way."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.errors import ConfigError, invalid

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
"""The values CloudWatch Logs accepts for a log group's retention, in days."""

RETENTION_ALLOWED = "one of CloudWatch's values: " + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS))


def check_retention(setting: str, days: int) -> None:
    """Raise :class:`ConfigError` naming ``setting`` unless CloudWatch accepts ``days``."""
    if days not in CLOUDWATCH_RETENTION_DAYS:
        raise ConfigError(invalid(setting, days, RETENTION_ALLOWED))


def logs_service_principal(region: pulumi.Input[str]) -> pulumi.Output[str]:
    """``logs.<region>.amazonaws.com``, the principal a log group's KMS key must let in."""
    return pulumi.Output.concat("logs.", region, ".amazonaws.com")


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

    ``retention_days`` must already be validated (:func:`check_retention`) by the caller's args,
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
