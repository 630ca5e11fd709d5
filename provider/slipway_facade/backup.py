"""``BackupPlan`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class BackupRule(TypedDict):
    """One rule of the plan: when to back up and how long to keep the recovery points."""

    name: str
    """Rule name, unique in the plan: letters, digits, '.', '_', '-', at most 50."""
    schedule: str
    """AWS cron expression in UTC, e.g. ``cron(0 3 * * ? *)`` (daily at 03:00)."""
    delete_after_days: int
    """Recovery points are deleted this many days after creation (1 to 36500)."""
    cold_storage_after_days: NotRequired[int]
    """Move recovery points to cold storage after this many days. Default: never. Only resource
    types that support cold storage move; AWS Backup keeps the others warm until deletion (the
    plan opts in with ``opt_in_to_archive_for_supported_resources``). AWS requires
    ``delete_after_days >= cold_storage_after_days + 90``."""
    start_window_minutes: NotRequired[int]
    """A job that has not started this long after its scheduled time is cancelled (at least 60).
    Default: 60, so that the daily backup starts within an hour and the RPO holds."""
    completion_window_minutes: NotRequired[int]
    """A started job that has not finished after this many minutes is cancelled. Default: 1 day;
    must be longer than the start window."""


class BackupPlanArgs(TypedDict):
    """Arguments of :class:`BackupPlan`. Every default is the secure choice."""

    name_prefix: str
    """Start of every name: the stack's ``<app>-<environment>``. The vault is ``<prefix>-vault``
    (see :func:`vault_name`), the plan ``<prefix>-plan``, the role ``<prefix>-backup``. Lower-
    case letters, digits and '-', at most 44 characters."""
    selection_tag_value: str
    """Resources tagged ``<selection_tag_key>=<selection_tag_value>`` are backed up; usually the
    environment name (``backup=prod``)."""
    rules: NotRequired[list[BackupRule]]
    """Rules of the plan; see :func:`dev_rules`, :func:`staging_rules`, :func:`prod_rules`.
    Default: the dev preset (daily, kept 7 days)."""
    selection_tag_key: NotRequired[str]
    """Tag key of the selection (matched with STRINGEQUALS). Default: ``backup``."""
    resource_arns: NotRequired[list[pulumi.Input[str]]]
    """Further resources to back up by ARN (databases, file systems, buckets) that are not tagged.
    Default: none."""
    region: NotRequired[str]
    """The primary region (that of the default provider). Required with ``copy_region``, so the two
    can be compared before anything is registered."""
    copy_region: NotRequired[str]
    """Copy every recovery point to a vault of the same name in this region (disaster recovery).
    Default: no copy. Must differ from ``region``."""
    vault_lock: NotRequired[slipway.VaultLock]
    """Vault lock mode on the vault and the copy vault. Default: none."""
    vault_lock_cool_off_days: NotRequired[int]
    """COMPLIANCE only, and required there (at least 3): days during which the lock can still be
    removed. After them it is immutable. Default: none."""
    vault_lock_min_retention_days: NotRequired[int]
    """Shortest retention the lock allows. Default: the shortest ``delete_after_days`` of the
    rules."""
    vault_lock_max_retention_days: NotRequired[int]
    """Longest retention the lock allows. Default: the longest ``delete_after_days`` of the
    rules."""
    notification_topic_arn: NotRequired[pulumi.Input[str]]
    """SNS topic (in the vault's region) that pages on this plan's trouble: * failed, aborted and
    expired backup, copy and restore jobs, through one EventBridge rule per job kind named
    ``<prefix>-<kind>-failed`` (:func:`failure_event_patterns`); * no completed backup job in
    the vault for :func:`no_completed_job_hours` (a selection that matches nothing, a plan that
    stopped): a CloudWatch alarm ``<prefix>-backup-none-completed`` that also says when jobs
    complete again; * objects that failed in an S3 backup or restore (vault notifications,
    :data:`VAULT_NOTIFICATION_EVENTS`). Its topic policy must let ``events.amazonaws.com``,
    ``cloudwatch.amazonaws.com`` and ``backup.amazonaws.com`` publish, and an encrypted topic's
    key must let them use it (:class:`~slipway.alerting.Alerting` does both). Default: none of
    these."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Existing KMS key for the vault. Default: the component creates one, with rotation. The copy
    vault always gets its own key in its own region."""
    key_deletion_window_days: NotRequired[int]
    """Deletion window of the keys the component creates, 7 to 30 days. Default: 30."""
    data_bucket: NotRequired[bool]
    """Create an application data bucket (versioned, SSE-KMS with its own key, private, TLS-only,
    owner-enforced), selected by its ARN. A resource assigned by ARN is backed up whether or not
    its type is opted in for the region ("UpdateRegionSettings", ResourceTypeOptInPreference:
    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html), so
    the bucket needs no account-wide S3 opt-in that another stack or team also manages. Default:
    no bucket."""
    data_bucket_name: NotRequired[str]
    """Name of the data bucket. Default: a unique name Pulumi derives from the component's."""
    s3_backup: NotRequired[bool]
    """Also attach AWS's S3 backup and restore managed policies to the backup role, needed for any
    S3 bucket in the selection. Default: on exactly when ``data_bucket`` is on."""
    protect: NotRequired[bool]
    """Protect the vaults, keys, vault locks and bucket, and retain them if they leave the program.
    On in prod. Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child (and recovery points). Default: none."""


class BackupPlan(pulumi.ComponentResource):
    """An AWS Backup vault, plan, selections and role; optionally a DR copy vault in a second
    region, a vault lock, failure notifications and an application data bucket."""

    vault_name: pulumi.Output[str]
    """Name of the vault (``<prefix>-vault``; the copy vault has the same name)."""
    vault_arn: pulumi.Output[str]
    """ARN of the vault."""
    vault_kms_key_arn: pulumi.Output[str]
    """ARN of the key that encrypts the vault."""
    plan_id: pulumi.Output[str]
    """ID of the backup plan."""
    plan_arn: pulumi.Output[str]
    """ARN of the backup plan."""
    backup_role_arn: pulumi.Output[str]
    """ARN of the role AWS Backup uses to back up and restore."""
    copy_vault_arn: pulumi.Output[str] | None
    """ARN of the copy vault in ``copyRegion``; absent without one."""
    data_bucket_name: pulumi.Output[str] | None
    """Name of the data bucket; absent without one."""
    data_bucket_arn: pulumi.Output[str] | None
    """ARN of the data bucket; absent without one."""

    def __init__(
        self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:BackupPlan", name, None, opts)
        inner = slipway.BackupPlan(
            name,
            typed_args(
                slipway.BackupPlanArgs,
                args,
                {"rules": lambda rules: [slipway.BackupRule(**rule) for rule in rules]},
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.vault_name = inner.vault_name
        self.vault_arn = inner.vault_arn
        self.vault_kms_key_arn = inner.vault_kms_key_arn
        self.plan_id = inner.plan_id
        self.plan_arn = inner.plan_arn
        self.backup_role_arn = inner.backup_role_arn
        self.copy_vault_arn = inner.copy_vault_arn
        self.data_bucket_name = inner.data_bucket_name
        self.data_bucket_arn = inner.data_bucket_arn
        self.register_outputs(
            {
                "vault_name": self.vault_name,
                "vault_arn": self.vault_arn,
                "vault_kms_key_arn": self.vault_kms_key_arn,
                "plan_id": self.plan_id,
                "plan_arn": self.plan_arn,
                "backup_role_arn": self.backup_role_arn,
                "copy_vault_arn": self.copy_vault_arn,
                "data_bucket_name": self.data_bucket_name,
                "data_bucket_arn": self.data_bucket_arn,
            }
        )
