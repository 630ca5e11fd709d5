"""Observability: the log groups' retention and key, the alert topic, and the service's
dashboard and operational alarms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws
from pydantic import Field

from infra.common import CheckContext, ProfileTable, SettingsModel, component_rule, decision, key
from infra.domains.identity import StackIdentity
from slipway import EncryptionKey, EncryptionKeyArgs, ServiceKeyAccess
from slipway.alerting import Alerting, AlertingArgs, email_problems, https_endpoints_problems
from slipway.fargate_service import FargateService
from slipway.logs import RETENTION_ALLOWED, logs_service_principal, retention_problems
from slipway.monitoring import AlarmThresholds, ServiceMonitoring, ServiceMonitoringArgs


@dataclass(frozen=True)
class ObservabilityProfile:
    """What the profile decides for logs and alarms."""

    log_retention_days: int = decision("Retention of every log group (`logRetentionDays`)")
    minimum_log_retention_days: int | None = decision(
        "The least `logRetentionDays` the profile accepts"
    )
    encrypt_logs: bool = decision("Log groups encrypted with the stack's key (`encryptLogs`)")
    thresholds: AlarmThresholds = decision(
        "When the rollback and operational alarms fire (the component's preset)"
    )


PROFILES = ProfileTable(
    dev=ObservabilityProfile(
        log_retention_days=30,
        minimum_log_retention_days=None,
        encrypt_logs=False,
        thresholds=AlarmThresholds.dev(),
    ),
    staging=ObservabilityProfile(
        log_retention_days=90,
        minimum_log_retention_days=None,
        encrypt_logs=True,
        thresholds=AlarmThresholds.staging(),
    ),
    prod=ObservabilityProfile(
        log_retention_days=365,
        minimum_log_retention_days=90,
        encrypt_logs=True,
        thresholds=AlarmThresholds.prod(),
    ),
)


class ObservabilitySettings(SettingsModel):
    """Logs and alerts."""

    PROFILES = PROFILES

    log_retention_days: Annotated[int | None, component_rule(retention_problems)] = Field(
        default=None,
        description=f"Retention of every log group, in days; {RETENTION_ALLOWED}.",
    )

    encrypt_logs: bool | None = Field(
        default=None,
        description="Encrypt every log group with the stack's customer-managed key.",
    )

    alert_emails: Annotated[list[str], component_rule(email_problems)] = Field(
        default_factory=list,
        description="E-mail addresses subscribed to the stack's alert topic (each confirms "
        "once by e-mail).",
    )

    alert_https_endpoints: Annotated[list[str], component_rule(https_endpoints_problems)] = Field(
        default_factory=list,
        description="HTTPS endpoints subscribed to the alert topic (AWS Chatbot, an "
        "incident tool's webhook).",
    )

    @property
    def log_retention(self) -> int:
        """Effective log retention in days."""
        value = self.by_profile("log_retention_days")
        assert isinstance(value, int)
        return value

    @property
    def thresholds(self) -> AlarmThresholds:
        """One set of thresholds for the rollback alarms and the operational ones."""
        thresholds: AlarmThresholds = self.decided().thresholds
        return thresholds

    def problems(self, context: CheckContext) -> list[str]:
        """Rules that depend on the profile."""
        minimum = self.decided().minimum_log_retention_days
        if minimum is None or self.log_retention_days is None:
            return []
        return retention_problems(
            self.log_retention_days,
            key("log_retention_days"),
            minimum=minimum,
            reason=f"the {self.profile.value} profile keeps logs at least {minimum} days",
        )


def build_log_key(settings: ObservabilitySettings, identity: StackIdentity) -> EncryptionKey | None:
    """The key every log group of the stack is encrypted with, when the profile says so."""
    if not settings.by_profile("encrypt_logs"):
        return None
    region = identity.region
    account = aws.get_caller_identity_output()
    partition = aws.get_partition_output().partition
    log_groups = pulumi.Output.concat(
        "arn:", partition, ":logs:", region, ":", account.account_id, ":*"
    )
    return EncryptionKey(
        "logs-key",
        EncryptionKeyArgs(
            description=f"Encrypts the log groups of {identity.resource_prefix}",
            alias=f"{identity.resource_prefix}/logs",
            deletion_window_days=identity.key_deletion_window_days,
            services=(
                ServiceKeyAccess(
                    service=logs_service_principal(region),
                    condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                ),
            ),
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def build_alerting(settings: ObservabilitySettings, identity: StackIdentity) -> Alerting:
    """The stack's alert topic and its subscriptions."""
    return Alerting(
        "alerting",
        AlertingArgs(
            topic_name=f"{identity.resource_prefix}-alerts",
            email_endpoints=tuple(settings.alert_emails),
            https_endpoints=tuple(settings.alert_https_endpoints),
            # Only the stack's own rules (``<app>-<environment>-…``) may publish.
            event_rule_name_prefix=f"{identity.resource_prefix}-",
            key_deletion_window_days=identity.key_deletion_window_days,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def build_monitoring(
    settings: ObservabilitySettings,
    identity: StackIdentity,
    cluster_name: pulumi.Input[str],
    service: FargateService,
    alerting: Alerting,
    minimum_running_tasks: int,
) -> ServiceMonitoring:
    """The dashboard and the operational alarms of ``service``, whose floor is
    ``minimum_running_tasks`` (fewer running tasks page). Backups page through the
    backup domain's own rules and alarm (``notify_failures``), not here: a second alarm on
    failed backup jobs would page twice for one failure."""
    return ServiceMonitoring(
        "monitoring",
        ServiceMonitoringArgs(
            name_prefix=identity.resource_prefix,
            cluster_name=cluster_name,
            service_name=service.service_name,
            lb_arn_suffix=service.lb_arn_suffix,
            target_group_arn_suffix=service.target_group_arn_suffix,
            alarm_actions=(alerting.topic_arn,),
            thresholds=settings.thresholds,
            minimum_running_tasks=minimum_running_tasks,
            tags=identity.tags,
            # The rollback alarms already page on these metrics: no second alarm for them.
            existing_alarms={
                key: service.rollback_alarm_arns[key] for key in service.rollback_alarm_keys
            },
            other_alarm_arns=service.alternate_alarm_arns,
        ),
    )


def outputs(alerting: Alerting, monitoring: ServiceMonitoring) -> dict[str, Any]:
    """Alerting's and monitoring's part of the stack outputs (docs/outputs.md)."""
    return {"alertTopicArn": alerting.topic_arn, "dashboardName": monitoring.dashboard_name}
