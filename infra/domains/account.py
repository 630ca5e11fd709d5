"""Account: the resources one AWS account has once, each owned by exactly one stack: the GitHub
OIDC provider, the CloudTrail trail, the registry's cross-region replication and GuardDuty."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

import pulumi
import pulumi_aws as aws
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
from slipway.github_oidc import ProviderOwnership
from slipway.registry_replication import (
    RegistryReplication,
    RegistryReplicationArgs,
    ReplicaTemplate,
    templated_prefix_problems,
)
from slipway.stack_boundary import AccountResource
from slipway.threat_detection import ThreatDetection, ThreatDetectionArgs, detector_id_problems


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
        description="Shorthand: this stack owns every account-wide resource whose own setting "
        "is unset (githubOidcProvider create, ownsAuditTrail, ownsRegistryReplication, "
        "ownsAccountSettings). "
        "Exactly one stack per AWS account owns each of them; the others reference them.",
    )

    github_oidc_provider: ProviderOwnership | None = Field(
        default=None,
        description="How this stack holds the account's GitHub OIDC identity provider: "
        "`create` it, `adopt` one the account already has (imported on the next up, then "
        "owned; its audiences and thumbprints are left as they are; protected and retained), "
        "or `reference` the one another stack or team owns. Default: create with "
        "ownsAccountResources, else reference.",
    )

    owns_audit_trail: bool | None = Field(
        default=None,
        description="This stack creates the account's CloudTrail trail (or records "
        "existingTrailArn). Default: ownsAccountResources.",
    )

    owns_account_settings: bool | None = Field(
        default=None,
        description="This stack may change the account's settings (ECS account setting "
        "defaults, AWS Backup region and global settings, ECR registry scanning and account "
        "settings, EBS default encryption, the account's S3 public access block, password "
        "policy and alias, SSM service settings, CloudWatch Logs account policies). Every other "
        "stack's boundary denies them. Default: ownsAccountResources.",
    )

    owns_registry_replication: bool | None = Field(
        default=None,
        description="This stack owns the registry's replication to backupCopyRegion and the "
        "replica repositories' creation template. ECR keeps one replication configuration per "
        "account and region and each up replaces it whole: rules other teams added outside "
        "this stack are removed (the plan warns). Default: ownsAccountResources.",
    )

    replicated_repositories: Annotated[
        list[str] | None, component_rule(templated_prefix_problems)
    ] = Field(
        default=None,
        description="Repositories the registry replicates (prefix match), all under one "
        "namespace. Default: this stack's own repository when its profile is prod; required "
        "otherwise. Replicate only prod's repositories.",
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
        "key, security group, network ACL and S3 bucket policy changes), paging the stack's "
        "alert topic. IAM policy, security group, network ACL and bucket policy changes made by "
        "the application's own stack roles (`<app>-…` sessions, each under its boundary) do not "
        "page, so a reviewed CI up does not either. "
        "Opt-in; only on the stack that owns and creates the trail (ownsAuditTrail).",
    )

    guard_duty: bool = Field(
        default=False,
        description="Amazon GuardDuty for the account and region, with Runtime Monitoring of "
        "ECS on Fargate (GuardDuty adds its agent to every Fargate task; every stack's "
        "execution role may pull it). Opt-in, and its own ownership flag: an account has one "
        "detector per region, so one stack per account and region sets it.",
    )

    guard_duty_detector_id: Annotated[str | None, component_rule(detector_id_problems)] = Field(
        default=None,
        description="With guardDuty: the ID of the GuardDuty detector the account already has "
        "in this region, to adopt it (imported on the next up, then owned; its finding "
        "frequency and tags are left as they are; protected and retained) instead of failing "
        "to create a second one. Default: create the detector.",
    )

    @property
    def oidc_provider(self) -> ProviderOwnership:
        """How this stack holds the GitHub OIDC provider."""
        if self.github_oidc_provider is not None:
            return ProviderOwnership(self.github_oidc_provider)
        if self.owns_account_resources:
            return ProviderOwnership.CREATE
        return ProviderOwnership.REFERENCE

    @property
    def trail_owner(self) -> bool:
        """This stack owns the trail."""
        return (
            self.owns_account_resources if self.owns_audit_trail is None else self.owns_audit_trail
        )

    @property
    def replication_owner(self) -> bool:
        """This stack owns the registry's replication."""
        if self.owns_registry_replication is None:
            return self.owns_account_resources
        return self.owns_registry_replication

    @property
    def settings_owner(self) -> bool:
        """This stack owns the account's settings."""
        if self.owns_account_settings is None:
            return self.owns_account_resources
        return self.owns_account_settings

    def owned(self) -> frozenset[AccountResource]:
        """The account-wide resources this stack owns (its boundary lets it change them)."""
        owned = {
            AccountResource.OIDC_PROVIDER: self.oidc_provider is not ProviderOwnership.REFERENCE,
            AccountResource.AUDIT_TRAIL: self.trail_owner,
            AccountResource.REGISTRY_REPLICATION: self.replication_owner,
            AccountResource.THREAT_DETECTION: self.guard_duty,
            AccountResource.ACCOUNT_SETTINGS: self.settings_owner,
        }
        return frozenset(resource for resource, yes in owned.items() if yes)

    def replicated(self, own_repository: str) -> list[str]:
        """The repositories the registry replicates (``replicatedRepositories``, or this
        stack's own on prod)."""
        if self.replicated_repositories is not None:
            return list(self.replicated_repositories)
        return [own_repository] if self.is_prod else []

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings."""
        problems: list[str] = []
        if self.existing_trail_arn is not None and not self.trail_owner:
            problems.append(
                self.invalid(
                    "existing_trail_arn",
                    "set only on the stack that owns the trail (ownsAuditTrail, or "
                    "ownsAccountResources)",
                )
            )
        if self.cis_alarms and (not self.trail_owner or self.existing_trail_arn):
            problems.append(
                self.invalid(
                    "cis_alarms",
                    "false unless this stack owns and creates the trail (ownsAuditTrail or "
                    "ownsAccountResources true, no existingTrailArn): the alarms read the "
                    "trail's log group",
                )
            )
        if self.guard_duty_detector_id is not None and not self.guard_duty:
            problems.append(
                self.invalid(
                    "guard_duty_detector_id",
                    "set only with guardDuty true (the stack that owns the account's detector)",
                )
            )
        if self.replicated_repositories is not None and not self.replication_owner:
            problems.append(
                self.invalid(
                    "replicated_repositories",
                    "set only on the stack that owns the registry's replication "
                    "(ownsRegistryReplication, or ownsAccountResources)",
                )
            )
        return problems


@dataclass(frozen=True)
class Replication:
    """What the registry's replication needs from other domains."""

    copy_region: str | None
    """The disaster-recovery region (``backupCopyRegion``); None: no replication."""
    repository: str
    """This stack's own repository name."""
    template: ReplicaTemplate
    """The replica repositories' settings (the source registry's lifecycle values)."""


def build(
    settings: AccountSettings,
    identity: StackIdentity,
    log_retention_days: int,
    replication: Replication,
    alert_topic_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The account-wide resources this stack owns: the trail (with CIS alarms), GuardDuty and
    the registry's replication; their outputs."""
    outputs: dict[str, Any] = {}
    if settings.trail_owner:
        outputs |= build_trail(settings, identity, log_retention_days, alert_topic_arn)
    if settings.guard_duty:
        ThreatDetection(
            "guardduty",
            ThreatDetectionArgs(
                protect=identity.protect,
                adopt_detector_id=settings.guard_duty_detector_id,
                tags=identity.tags,
            ),
        )
    if settings.replication_owner and replication.copy_region is not None:
        replicated = settings.replicated(replication.repository)
        outputs["replicatedRepositories"] = replicated
        RegistryReplication(
            "registry-replication",
            RegistryReplicationArgs(
                destination_region=replication.copy_region,
                repository_prefixes=tuple(replicated),
                source_region=identity.region,
                replica_template=replace(
                    replication.template,
                    key_deletion_window_days=identity.key_deletion_window_days,
                ),
                protect=identity.protect,
                tags=identity.tags,
            ),
        )
    return outputs


def build_trail(
    settings: AccountSettings,
    identity: StackIdentity,
    log_retention_days: int,
    alert_topic_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The account's trail and, with ``cisAlarms``, the CIS alarms on its log group."""
    trail = AuditTrail(
        "audit",
        AuditTrailArgs(
            trail_name=f"{identity.app}-account-trail",
            use_existing_trail_arn=settings.existing_trail_arn,
            retention_days=settings.by_profile("audit_retention_days"),
            log_retention_days=log_retention_days,
            object_lock=settings.by_profile("audit_object_lock"),
            owner_role_prefix=f"{identity.resource_prefix}-",
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
                ci_role_session_prefix=pulumi.Output.format(
                    "arn:{0}:sts::{1}:assumed-role/{2}-",
                    aws.get_partition_output().partition,
                    aws.get_caller_identity_output().account_id,
                    identity.app,
                ),
                tags=identity.tags,
            ),
        )
    return {"auditTrailArn": trail.trail_arn, "auditBucketName": trail.bucket_name}
