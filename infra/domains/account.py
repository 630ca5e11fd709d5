"""Account: the resources one AWS account has once, whichever stack owns them: the CloudTrail
trail and the cross-region replication of the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import Field

from infra.common import CheckContext, ProfileTable, SettingsModel, component_rule, decision
from infra.domains.identity import StackIdentity
from slipway.audit_trail import (
    AuditTrail,
    AuditTrailArgs,
    audit_retention_problems,
    trail_arn_problems,
)
from slipway.cis_alarms import CisAlarms, CisAlarmsArgs
from slipway.registry_replication import RegistryReplication, RegistryReplicationArgs
from slipway.threat_detection import ThreatDetection, ThreatDetectionArgs


@dataclass(frozen=True)
class AccountProfile:
    """What the profile decides for the account's audit trail (owner stack)."""

    audit_retention_days: int = decision("Days the audit bucket keeps trail files")
    audit_object_lock: bool = decision("The audit bucket is object-locked")


PROFILES = ProfileTable(
    dev=AccountProfile(audit_retention_days=91, audit_object_lock=False),
    staging=AccountProfile(audit_retention_days=365, audit_object_lock=False),
    prod=AccountProfile(audit_retention_days=2557, audit_object_lock=True),
)


class AccountSettings(SettingsModel):
    """Account-wide resources."""

    PROFILES = PROFILES

    owns_account_resources: bool = Field(
        default=False,
        description="This stack creates the account-wide resources: the GitHub OIDC identity "
        "provider and the CloudTrail trail. Exactly one stack per AWS account sets it; the "
        "others reference them.",
    )

    existing_trail_arn: Annotated[str | None, component_rule(trail_arn_problems)] = Field(
        default=None,
        description="An organisation or account trail that already records this account; the "
        "stack then creates no trail of its own.",
    )

    audit_retention_days: Annotated[int | None, component_rule(audit_retention_problems)] = Field(
        default=None,
        description="Days the audit bucket keeps trail files (2557: seven years).",
    )

    audit_object_lock: bool | None = Field(
        default=None,
        description="Object-lock the audit bucket (governance mode, one year) so trail files "
        "cannot be altered or deleted.",
    )

    cis_alarms: bool = Field(
        default=False,
        description="The CIS AWS Foundations Benchmark's monitoring alarms on the account "
        "trail's log group (root use, console sign-in without MFA, IAM policy, CloudTrail, KMS "
        "key, security group and network ACL changes), paging the stack's alert topic. "
        "Opt-in; only on the stack that owns account resources and creates the trail.",
    )

    guard_duty: bool = Field(
        default=False,
        description="Amazon GuardDuty for the account and region, with Runtime Monitoring of "
        "ECS on Fargate (GuardDuty adds its agent to every Fargate task; every stack's "
        "execution role may pull it). Opt-in; only on the stack that owns account resources: "
        "an account has one detector per region.",
    )

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings."""
        problems: list[str] = []
        if self.existing_trail_arn is not None and not self.owns_account_resources:
            problems.append(
                self.invalid(
                    "existing_trail_arn", "set only on the stack that owns account resources"
                )
            )
        if self.cis_alarms and (not self.owns_account_resources or self.existing_trail_arn):
            problems.append(
                self.invalid(
                    "cis_alarms",
                    "false unless this stack owns account resources and creates the trail "
                    "(ownsAccountResources true, no existingTrailArn): the alarms read the "
                    "trail's log group",
                )
            )
        if self.guard_duty and not self.owns_account_resources:
            problems.append(
                self.invalid(
                    "guard_duty",
                    "false unless this stack owns account resources (ownsAccountResources): an "
                    "account has one GuardDuty detector per region",
                )
            )
        return problems


def build(
    settings: AccountSettings,
    identity: StackIdentity,
    log_retention_days: int,
    copy_region: str | None,
    alert_topic_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The trail, and the registry's replication to ``copy_region``, on the stack that owns
    the account's resources; its outputs (none on the other stacks)."""
    if not settings.owns_account_resources:
        return {}
    trail = AuditTrail(
        "audit",
        AuditTrailArgs(
            trail_name=f"{identity.app}-account-trail",
            use_existing_trail_arn=settings.existing_trail_arn,
            retention_days=settings.by_profile("audit_retention_days"),
            log_retention_days=log_retention_days,
            object_lock=settings.by_profile("audit_object_lock"),
            key_deletion_window_days=identity.key_deletion_window_days,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )
    if settings.cis_alarms and trail.log_group_name is not None:
        CisAlarms(
            "cis",
            CisAlarmsArgs(
                log_group_name=trail.log_group_name,
                alarm_actions=(alert_topic_arn,),
                name_prefix=f"{identity.app}-account",
                tags=identity.tags,
            ),
        )
    if settings.guard_duty:
        ThreatDetection(
            "guardduty", ThreatDetectionArgs(protect=identity.protect, tags=identity.tags)
        )
    if copy_region is not None:
        RegistryReplication(
            "registry-replication",
            RegistryReplicationArgs(
                destination_region=copy_region,
                repository_prefixes=(f"{identity.app}/",),
                source_region=identity.region,
            ),
        )
    return {"auditTrailArn": trail.trail_arn, "auditBucketName": trail.bucket_name}
