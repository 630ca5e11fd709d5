"""Backup: the stack's backup vault and plan, its copies in a second region, the vault lock
and the optional application data bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import Field

from infra.common import (
    NAMESPACE,
    CheckContext,
    ProfileTable,
    SettingsModel,
    component_rule,
    decision,
)
from infra.domains.identity import StackIdentity
from slipway.backup import (
    LOCK_MINIMUM_COOL_OFF_DAYS,
    BackupPlan,
    BackupPlanArgs,
    BackupRule,
    VaultLock,
    cool_off_problems,
    dev_rules,
    prod_rules,
    resource_arn_problems,
    staging_rules,
)
from slipway.patterns import region_problems


@dataclass(frozen=True)
class BackupProfile:
    """What the profile decides for backups."""

    backup_vault_lock: VaultLock = decision("Lock on the backup vaults (`backupVaultLock`)")
    rules: tuple[BackupRule, ...] = decision("The plan's rules (the component's preset)")
    copy_region_required: bool = decision(
        "Every recovery point is copied out of region, so `backupCopyRegion` is required"
    )
    notify_failures: bool = decision(
        "The alert topic is paged for failed, aborted or expired backup, copy and restore jobs "
        "(EventBridge rules), for no completed backup job in the plan's window (49 hours for a "
        "daily rule) and for failed S3 objects"
    )
    rpo_hours: float = decision(
        "Recovery point objective: the restore drill fails on an older newest recovery point"
    )
    rto_minutes: float = decision(
        "Recovery time objective: how long the restore drill waits for its restore job"
    )


PROFILES = ProfileTable(
    dev=BackupProfile(
        backup_vault_lock=VaultLock.NONE,
        rules=dev_rules(),
        copy_region_required=False,
        notify_failures=False,
        rpo_hours=48.0,
        rto_minutes=24 * 60.0,
    ),
    staging=BackupProfile(
        backup_vault_lock=VaultLock.GOVERNANCE,
        rules=staging_rules(),
        copy_region_required=False,
        notify_failures=False,
        rpo_hours=24.0,
        rto_minutes=8 * 60.0,
    ),
    prod=BackupProfile(
        backup_vault_lock=VaultLock.COMPLIANCE,
        rules=prod_rules(),
        copy_region_required=True,
        notify_failures=True,
        rpo_hours=24.0,
        rto_minutes=4 * 60.0,
    ),
)


class BackupSettings(SettingsModel):
    """Backups and the data bucket."""

    PROFILES = PROFILES

    backup_copy_region: Annotated[str | None, component_rule(region_problems)] = Field(
        default=None,
        description="Second region every recovery point is copied to. Required in prod; must "
        "differ from `aws:region`.",
    )

    backup_vault_lock: VaultLock | None = Field(
        default=None,
        description="Lock on the backup vaults; a compliance lock is immutable once its "
        "cool-off ends.",
    )

    backup_vault_lock_cool_off_days: Annotated[int | None, component_rule(cool_off_problems)] = (
        Field(
            default=None,
            description="Days a compliance lock can still be removed; required with `compliance`. "
            "After it the lock, and every recovery point's retention, cannot be changed.",
        )
    )

    backup_resource_arns: Annotated[list[str], component_rule(resource_arn_problems)] = Field(
        default_factory=list,
        description="ARNs of resources the backup plan takes besides those tagged "
        "`backup=<environment>` (an RDS cluster, an EFS file system…).",
    )

    data_bucket: bool = Field(
        default=False,
        description="An application data bucket (versioned, KMS-encrypted, TLS-only) that the "
        "task role may read and write, backed up with the plan.",
    )

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings and the region."""
        region = context.region
        problems: list[str] = []
        if self.decided().copy_region_required and self.backup_copy_region is None:
            problems.append(
                self.invalid(
                    "backup_copy_region",
                    f"a second region: {self.profile.value} copies every backup out of region",
                )
            )
        if region is not None and self.backup_copy_region == region:
            problems.append(
                self.invalid(
                    "backup_copy_region",
                    f"a region other than aws:region ({region}); a copy in the same region "
                    "does not survive a regional outage",
                )
            )
        lock = self.by_profile("backup_vault_lock")
        if lock is VaultLock.COMPLIANCE and self.backup_vault_lock_cool_off_days is None:
            problems.append(
                f"{NAMESPACE}:backupVaultLockCoolOffDays is required with a compliance vault "
                f"lock: it is the window ({LOCK_MINIMUM_COOL_OFF_DAYS} days or more) in which "
                "the lock can still be removed"
            )
        if lock is not VaultLock.COMPLIANCE and self.backup_vault_lock_cool_off_days is not None:
            problems.append(
                self.invalid(
                    "backup_vault_lock_cool_off_days",
                    "unset unless backupVaultLock is compliance",
                )
            )
        return problems


def build(
    settings: BackupSettings, identity: StackIdentity, alert_topic_arn: pulumi.Input[str]
) -> BackupPlan:
    """The vault, the plan and its copies; failures and missing backups page
    ``alert_topic_arn`` when the profile says so (``notify_failures``)."""
    decided = settings.decided()
    return BackupPlan(
        "backup",
        BackupPlanArgs(
            name_prefix=identity.resource_prefix,
            selection_tag_value=identity.environment,
            rules=decided.rules,
            resource_arns=tuple(settings.backup_resource_arns),
            region=identity.region,
            copy_region=settings.backup_copy_region,
            vault_lock=VaultLock(settings.by_profile("backup_vault_lock")),
            vault_lock_cool_off_days=settings.backup_vault_lock_cool_off_days,
            notification_topic_arn=alert_topic_arn if decided.notify_failures else None,
            key_deletion_window_days=identity.key_deletion_window_days,
            data_bucket=settings.data_bucket,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def outputs(backups: BackupPlan) -> dict[str, Any]:
    """The backups' part of the stack outputs (docs/outputs.md)."""
    return {
        "backupVaultName": backups.vault_name,
        "backupPlanId": backups.plan_id,
        "backupCopyVaultArn": backups.copy_vault_arn,
        "dataBucketName": backups.data_bucket_name,
    }
