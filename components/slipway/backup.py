"""``BackupPlan``: an AWS Backup vault, plan and selection, with optional DR copy and data bucket.

What a stack gets:

* a vault encrypted with a customer-managed KMS key (its own, or ``kms_key_arn``);
* a plan whose rules come from the args (presets: :func:`dev_rules`, :func:`staging_rules`,
  :func:`prod_rules`);
* selections: every resource tagged ``<selection_tag_key>=<selection_tag_value>`` (by default
  ``backup=<environment>``), plus explicit ``resource_arns`` and the data bucket by ARN;
* an IAM role that AWS Backup assumes, carrying only AWS's managed backup and restore policies;
* optionally (prod): a copy of every recovery point in a vault in a second region, a vault lock,
  alerts to an SNS topic (failed jobs through EventBridge, an alarm when no backup job
  completes in time, failed S3 objects), and an application data bucket that the plan
  protects.

The vault name is derived from the stack's resource prefix (:func:`vault_name`), so the
restore drill (``python -m tooling.drill``) finds it without reading Pulumi state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import EncryptionKey, EncryptionKeyArgs, deletion_window_problems
from slipway.errors import ConfigError, invalid
from slipway.iam import (
    allow,
    aws_managed_policy_arn,
    policy_document,
    role_name_of,
    service_trust_policy,
)
from slipway.jsonout import json_output
from slipway.partition import regional_endpoint
from slipway.patterns import KMS_KEY_OR_ALIAS_ARN as KMS_KEY_ARN
from slipway.patterns import SNS_TOPIC_ARN, is_region
from slipway.s3 import private_bucket_controls, tls_only_statement

BACKUP_SERVICE_PRINCIPAL = "backup.amazonaws.com"
BACKUP_POLICY = "service-role/AWSBackupServiceRolePolicyForBackup"
RESTORE_POLICY = "service-role/AWSBackupServiceRolePolicyForRestores"
S3_BACKUP_POLICY = "AWSBackupServiceRolePolicyForS3Backup"
S3_RESTORE_POLICY = "AWSBackupServiceRolePolicyForS3Restore"
"""AWS managed policies (paths under ``arn:<partition>:iam::aws:policy/``). The two generic ones
do not cover S3: AWS Backup needs the S3 pair to back up and restore buckets."""

VAULT_NOTIFICATION_EVENTS = ("S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED")
"""Vault notification events sent to the alert topic: objects of an S3 backup or restore that
failed while the job itself completed, which no EventBridge job event reports.

Job failures do not come from vault notifications: ``BACKUP_JOB_FAILED`` and
``RESTORE_JOB_FAILED`` are deprecated events that AWS Backup no longer sends (AWS Backup API
reference, "PutBackupVaultNotifications", BackupVaultEvents:
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultNotifications.html),
and ``COPY_JOB_FAILED``, still sent, would page a second time for what the copy job rule
(:func:`failure_event_patterns`) reports."""

FAILED_JOB_STATES = ("FAILED", "ABORTED", "EXPIRED")
"""Job states that page: failed, cancelled, or not started within the rule's start window
("Monitoring AWS Backup events using Amazon EventBridge", sample events per state:
https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html)."""
BACKUP_EVENT_SOURCE = "aws.backup"
BACKUP_JOB_EVENT = "Backup Job State Change"
COPY_JOB_EVENT = "Copy Job State Change"
RESTORE_JOB_EVENT = "Restore Job State Change"
"""``detail-type`` of AWS Backup's job events (EventBridge events reference, "AWS Backup
events": https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-backup.html)."""
BACKUP_NAMESPACE = "AWS/Backup"
JOBS_COMPLETED_METRIC = "NumberOfBackupJobsCompleted"
"""Backup jobs that finished, per ``BackupVaultName``; AWS Backup publishes it every 5 minutes
and only when it is not zero ("AWS Backup metrics with Amazon CloudWatch":
https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html), so a missing data
point means no job completed."""
MAX_ALARM_WINDOW_HOURS = 7 * 24
"""CloudWatch evaluates at most seven days of hourly periods (PutMetricAlarm, ``Period``:
"Period multiplied by EvaluationPeriods can't be more than 604,800 seconds")."""

COLD_STORAGE_MINIMUM_DAYS = 90
"""AWS keeps a recovery point in cold storage at least this long: delete_after must be at least
cold_storage_after + 90."""
LOCK_MINIMUM_COOL_OFF_DAYS = 3
"""AWS's minimum ``ChangeableForDays`` of a compliance-mode vault lock."""
MAX_RETENTION_DAYS = 36500
"""AWS's upper bound for retention and vault lock days (100 years)."""


def cool_off_problems(days: object, setting: str) -> list[str]:
    """The one range rule for a compliance vault lock's cool-off (``ChangeableForDays``):
    :data:`LOCK_MINIMUM_COOL_OFF_DAYS` to :data:`MAX_RETENTION_DAYS` days."""
    if (
        isinstance(days, int)
        and not isinstance(days, bool)
        and LOCK_MINIMUM_COOL_OFF_DAYS <= days <= MAX_RETENTION_DAYS
    ):
        return []
    return [invalid(setting, days, f"{LOCK_MINIMUM_COOL_OFF_DAYS} to {MAX_RETENTION_DAYS} days")]


VAULT_SUFFIX = "-vault"
PREFIX_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
MAX_PREFIX_LENGTH = 50 - len(VAULT_SUFFIX)
"""Vault names are at most 50 characters; the longest suffix is ``-vault``."""
RULE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,50}$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RESOURCE_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
TAG_PART = re.compile(r"^[\w .:/=+@-]{1,128}$")


def vault_name(resource_prefix: str) -> str:
    """The vault's name for a stack whose resources start with ``resource_prefix``
    (``<app>-<environment>``). The drill derives the same name from the stack's settings."""
    return f"{resource_prefix}{VAULT_SUFFIX}"


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

_CRON_FIELDS = (
    # name, lowest, highest, named values
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    ("day-of-week", 1, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
    ("year", 1970, 2199, ()),
)
CRON_ALLOWED = (
    "an AWS cron expression 'cron(minutes hours day-of-month month day-of-week year)' with 6 "
    "fields, '?' in exactly one of day-of-month and day-of-week, and a single minute "
    "(AWS Backup runs a rule at most once an hour), e.g. 'cron(0 3 * * ? *)'"
)


def _cron_value_ok(text: str, low: int, high: int, names: Sequence[str]) -> bool:
    if text.isdigit():
        return low <= int(text) <= high
    return text.upper() in names


def _cron_item_ok(item: str, index: int) -> bool:
    _, low, high, names = _CRON_FIELDS[index]
    if item == "*":
        return True
    if index == 2 and re.fullmatch(r"L|LW|\d{1,2}W", item):
        return item in ("L", "LW") or 1 <= int(item[:-1]) <= 31
    if index == 4 and re.fullmatch(r"[1-7]L|[1-7]#[1-5]|L", item):
        return True
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and int(step) >= 1):
        return False
    if base == "*":
        return bool(step)
    start, _, end = base.partition("-")
    if not _cron_value_ok(start, low, high, names):
        return False
    return not end or _cron_value_ok(end, low, high, names)


def cron_is_valid(expression: str) -> bool:
    """True when ``expression`` is a ``cron(…)`` schedule AWS Backup accepts (see CRON_ALLOWED)."""
    match = re.fullmatch(r"cron\((.*)\)", expression)
    if not match:
        return False
    fields = match.group(1).split()
    if len(fields) != 6:
        return False
    if (fields[2] == "?") == (fields[4] == "?"):
        return False
    if not fields[0].isdigit():  # more than once an hour is refused by AWS Backup
        return False
    for index, text in enumerate(fields):
        if text == "?" and index in (2, 4):
            continue
        if not all(item and _cron_item_ok(item, index) for item in text.split(",")):
            return False
    return True


_SPECIAL_DAY = {2: re.compile(r"L|LW|\d{1,2}W"), 4: re.compile(r"[1-7]L|[1-7]#[1-5]|L")}
"""Day tokens (last day, nearest weekday, n-th weekday) that pick at most one day a month."""


def _cron_number(text: str, low: int, names: Sequence[str]) -> int:
    return int(text) if text.isdigit() else names.index(text.upper()) + low


def _cron_values(text: str, index: int) -> set[int] | None:
    """The values one field of a valid cron expression takes; None when it uses a special day
    token (:data:`_SPECIAL_DAY`), which runs a rule at most once a month."""
    _, low, high, names = _CRON_FIELDS[index]
    if text in ("*", "?"):
        return set(range(low, high + 1))
    values: set[int] = set()
    for item in text.split(","):
        special = _SPECIAL_DAY.get(index)
        if special is not None and special.fullmatch(item):
            return None
        base, _, step = item.partition("/")
        if base == "*":
            start, end = low, high
        else:
            first, _, last = base.partition("-")
            start = _cron_number(first, low, names)
            end = _cron_number(last, low, names) if last else (high if step else start)
        span = (
            list(range(start, end + 1))
            if start <= end
            else list(range(start, high + 1)) + list(range(low, end + 1))
        )
        values.update(span[:: int(step) if step else 1])
    return values


def longest_gap_hours(expression: str) -> float | None:
    """The longest time, in hours, between two runs of ``expression`` (a schedule
    :func:`cron_is_valid` accepts), over two calendar years. None when it cannot be bounded
    within a week anyway: special day tokens (at most monthly), a fixed year, fewer than two
    runs."""
    fields = expression[len("cron(") : -1].split()
    values = [_cron_values(text, index) for index, text in enumerate(fields[:5])]
    if fields[5] != "*" or any(v is None for v in values):
        return None
    _, hours, days, months, weekdays = (v or set() for v in values)
    minute = int(fields[0])
    runs: list[datetime] = []
    first = date(2027, 1, 1)
    for offset in range(731):
        day = first + timedelta(days=offset)
        if day.month not in months:
            continue
        if fields[2] != "?" and day.day not in days:
            continue
        if fields[4] != "?" and day.isoweekday() % 7 + 1 not in weekdays:  # SUN is 1
            continue
        runs.extend(datetime(day.year, day.month, day.day, h, minute) for h in sorted(hours))
    if len(runs) < 2:
        return None
    return max((b - a).total_seconds() for a, b in pairwise(runs)) / 3600


def no_completed_job_hours(rules: Sequence[BackupRule]) -> int | None:
    """How long without a completed backup job means backups have stopped: for each rule, its
    longest gap between runs plus its start and completion windows (a job may start and end as
    late as those allow); the shortest over the rules, in whole hours. None when no rule
    bounds it within :data:`MAX_ALARM_WINDOW_HOURS` (CloudWatch cannot alarm on more).

    The dev, staging and prod presets give 49 hours: a daily run, 1 hour to start and a day to
    complete."""
    windows = [
        gap + (rule.start_window_minutes + rule.completion_window_minutes) / 60
        for rule in rules
        if (gap := longest_gap_hours(rule.schedule)) is not None
    ]
    if not windows:
        return None
    hours = math.ceil(min(windows))
    return hours if hours <= MAX_ALARM_WINDOW_HOURS else None


def resource_arn_problems(arns: Sequence[pulumi.Input[str]], setting: str) -> list[str]:
    """A problem naming every literal in ``arns`` that is not a resource ARN (Outputs pass)."""
    bad = [a for a in arns if isinstance(a, str) and not RESOURCE_ARN.match(a)]
    return [invalid(setting, bad, "resource ARNs (arn:<partition>:…)")] if bad else []


@dataclass(frozen=True)
class BackupRule:
    """One rule of the plan: when to back up and how long to keep the recovery points.

    When :attr:`BackupPlanArgs.copy_region` is set, the component adds a copy action to every
    rule: each recovery point is copied to the second region's vault with the same lifecycle.
    """

    name: str
    """Rule name, unique in the plan: letters, digits, '.', '_', '-', at most 50."""
    schedule: str
    """AWS cron expression in UTC, e.g. ``cron(0 3 * * ? *)`` (daily at 03:00)."""
    delete_after_days: int
    """Recovery points are deleted this many days after creation (1 to 36500)."""
    cold_storage_after_days: int | None = None
    """Move recovery points to cold storage after this many days. Default: never. Only resource
    types that support cold storage move; AWS Backup keeps the others warm until deletion
    (the plan opts in with ``opt_in_to_archive_for_supported_resources``). AWS requires
    ``delete_after_days >= cold_storage_after_days + 90``."""
    start_window_minutes: int = 60
    """A job that has not started this long after its scheduled time is cancelled (at least 60).
    Default: 60, so that the daily backup starts within an hour and the RPO holds."""
    completion_window_minutes: int = 24 * 60
    """A started job that has not finished after this many minutes is cancelled. Default: 1 day;
    must be longer than the start window."""

    def problems(self, setting: str) -> list[str]:
        """Everything wrong with this rule, each naming ``setting`` (``…rules[0]``)."""
        found: list[str] = []
        if not RULE_NAME.match(self.name):
            found.append(
                invalid(f"{setting}.name", self.name, "1 to 50 letters, digits, '.', '_' and '-'")
            )
        if not cron_is_valid(self.schedule):
            found.append(invalid(f"{setting}.schedule", self.schedule, CRON_ALLOWED))
        if not 1 <= self.delete_after_days <= MAX_RETENTION_DAYS:
            found.append(
                invalid(
                    f"{setting}.delete_after_days",
                    self.delete_after_days,
                    f"1 to {MAX_RETENTION_DAYS} days (a recovery point must be kept at least "
                    "a day)",
                )
            )
        cold = self.cold_storage_after_days
        if cold is not None:
            if cold < 1:
                found.append(
                    invalid(f"{setting}.cold_storage_after_days", cold, "at least 1, or None")
                )
            elif self.delete_after_days < cold + COLD_STORAGE_MINIMUM_DAYS:
                found.append(
                    invalid(
                        f"{setting}.cold_storage_after_days",
                        cold,
                        f"AWS keeps cold recovery points at least {COLD_STORAGE_MINIMUM_DAYS} "
                        f"days, so delete_after_days ({self.delete_after_days}) must be at "
                        f"least cold_storage_after_days + {COLD_STORAGE_MINIMUM_DAYS} "
                        f"({cold + COLD_STORAGE_MINIMUM_DAYS}); lower it or set None",
                    )
                )
        if self.start_window_minutes < 60:
            found.append(
                invalid(
                    f"{setting}.start_window_minutes",
                    self.start_window_minutes,
                    "at least 60 minutes",
                )
            )
        if self.completion_window_minutes <= self.start_window_minutes:
            found.append(
                invalid(
                    f"{setting}.completion_window_minutes",
                    self.completion_window_minutes,
                    f"more than start_window_minutes ({self.start_window_minutes})",
                )
            )
        return found


DAILY = "cron(0 3 * * ? *)"
"""Every day at 03:00 UTC."""
MONTHLY = "cron(0 5 1 * ? *)"
"""The first day of every month at 05:00 UTC."""


def dev_rules() -> tuple[BackupRule, ...]:
    """dev: a daily backup kept 7 days."""
    return (BackupRule("daily", DAILY, delete_after_days=7),)


def staging_rules() -> tuple[BackupRule, ...]:
    """staging: a daily backup kept 14 days."""
    return (BackupRule("daily", DAILY, delete_after_days=14),)


def prod_rules() -> tuple[BackupRule, ...]:
    """prod: a daily backup kept 35 days and a monthly one kept a year, moved to cold storage
    after 90 days where the resource type supports it (365 >= 90 + 90, so AWS accepts it)."""
    return (
        BackupRule("daily", DAILY, delete_after_days=35),
        BackupRule("monthly", MONTHLY, delete_after_days=365, cold_storage_after_days=90),
    )


class VaultLock(StrEnum):
    """Vault lock mode (AWS Backup Vault Lock)."""

    NONE = "none"
    """No lock: recovery points can be deleted early by anyone with the permission."""
    GOVERNANCE = "governance"
    """Retention is enforced, but principals with ``backup:DeleteBackupVaultLockConfiguration``
    can remove the lock. No cool-off."""
    COMPLIANCE = "compliance"
    """Retention is enforced for everyone, root included. During the cool-off the lock can still
    be removed; after it, the lock and the vault's retention can never be changed or removed."""


# --------------------------------------------------------------------------------------------
# Args
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupPlanArgs:
    """Arguments of :class:`BackupPlan`. Every default is the secure choice."""

    name_prefix: str
    """Start of every name: the stack's ``<app>-<environment>``. The vault is
    ``<prefix>-vault`` (see :func:`vault_name`), the plan ``<prefix>-plan``, the role
    ``<prefix>-backup``. Lower-case letters, digits and '-', at most 44 characters."""
    selection_tag_value: str
    """Resources tagged ``<selection_tag_key>=<selection_tag_value>`` are backed up; usually
    the environment name (``backup=prod``)."""
    rules: Sequence[BackupRule] = field(default_factory=dev_rules)
    """Rules of the plan; see :func:`dev_rules`, :func:`staging_rules`, :func:`prod_rules`.
    Default: the dev preset (daily, kept 7 days)."""
    selection_tag_key: str = "backup"
    """Tag key of the selection (matched with STRINGEQUALS). Default: ``backup``."""
    resource_arns: Sequence[pulumi.Input[str]] = ()
    """Further resources to back up by ARN (databases, file systems, buckets) that are not
    tagged. Default: none."""
    region: str | None = None
    """The primary region (that of the default provider). Required with ``copy_region``, so the
    two can be compared before anything is registered."""
    copy_region: str | None = None
    """Copy every recovery point to a vault of the same name in this region (disaster
    recovery). Default: no copy. Must differ from ``region``."""
    vault_lock: VaultLock = VaultLock.NONE
    """Vault lock mode on the vault and the copy vault. Default: none."""
    vault_lock_cool_off_days: int | None = None
    """COMPLIANCE only, and required there (at least 3): days during which the lock can still be
    removed. After them it is immutable."""
    vault_lock_min_retention_days: int | None = None
    """Shortest retention the lock allows. Default: the shortest ``delete_after_days`` of the
    rules."""
    vault_lock_max_retention_days: int | None = None
    """Longest retention the lock allows. Default: the longest ``delete_after_days`` of the
    rules."""
    notification_topic_arn: pulumi.Input[str] | None = None
    """SNS topic (in the vault's region) that pages on this plan's trouble:

    * failed, aborted and expired backup, copy and restore jobs, through one EventBridge rule
      per job kind named ``<prefix>-<kind>-failed`` (:func:`failure_event_patterns`);
    * no completed backup job in the vault for :func:`no_completed_job_hours` (a selection
      that matches nothing, a plan that stopped): a CloudWatch alarm
      ``<prefix>-backup-none-completed`` that also says when jobs complete again;
    * objects that failed in an S3 backup or restore (vault notifications,
      :data:`VAULT_NOTIFICATION_EVENTS`).

    Its topic policy must let ``events.amazonaws.com``, ``cloudwatch.amazonaws.com`` and
    ``backup.amazonaws.com`` publish, and an encrypted topic's key must let them use it
    (:class:`~slipway.alerting.Alerting` does both). Default: none of these."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Existing KMS key for the vault. Default: the component creates one, with rotation. The
    copy vault always gets its own key in its own region."""
    key_deletion_window_days: int = 30
    """Deletion window of the keys the component creates, 7 to 30 days."""
    data_bucket: bool = False
    """Create an application data bucket (versioned, SSE-KMS with its own key, private,
    TLS-only, owner-enforced), selected by its ARN. A resource assigned by ARN is backed up
    whether or not its type is opted in for the region ("UpdateRegionSettings",
    ResourceTypeOptInPreference:
    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html), so
    the bucket needs no account-wide S3 opt-in that another stack or team also manages.
    Default: no bucket."""
    data_bucket_name: str | None = None
    """Name of the data bucket. Default: a unique name Pulumi derives from the component's."""
    s3_backup: bool | None = None
    """Also attach AWS's S3 backup and restore managed policies to the backup role, needed for
    any S3 bucket in the selection. Default: on exactly when ``data_bucket`` is on."""
    protect: bool = False
    """Protect the vaults, keys, vault locks and bucket, and retain them if they leave the
    program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child (and recovery points)."""

    @property
    def attaches_s3_policies(self) -> bool:
        """Whether the backup role carries the S3 managed policies."""
        return self.data_bucket if self.s3_backup is None else self.s3_backup

    def lock_retention(self) -> tuple[int, int]:
        """The (min, max) retention days of the vault lock."""
        days = [rule.delete_after_days for rule in self.rules]
        low = self.vault_lock_min_retention_days
        high = self.vault_lock_max_retention_days
        return (min(days) if low is None else low, max(days) if high is None else high)

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "BackupPlanArgs."
        lock: object = self.vault_lock
        if not isinstance(lock, VaultLock):
            try:
                object.__setattr__(self, "vault_lock", VaultLock(str(lock)))
            except ValueError:
                raise ConfigError(
                    invalid(name + "vault_lock", self.vault_lock, "none, governance or compliance")
                ) from None
        if not (
            len(self.name_prefix) <= MAX_PREFIX_LENGTH and PREFIX_PATTERN.match(self.name_prefix)
        ):
            problems.append(
                invalid(
                    name + "name_prefix",
                    self.name_prefix,
                    f"1 to {MAX_PREFIX_LENGTH} lower-case letters, digits and '-', not "
                    "starting or ending with '-' (vault names are at most 50 characters)",
                )
            )
        for key_name, value in (
            ("selection_tag_key", self.selection_tag_key),
            ("selection_tag_value", self.selection_tag_value),
        ):
            if not TAG_PART.match(value) or value.startswith("aws:"):
                problems.append(
                    invalid(
                        name + key_name,
                        value,
                        "1 to 128 letters, digits, spaces and _ . : / = + - @, not starting "
                        "with 'aws:'",
                    )
                )
        rule_problems = self._rule_problems(name)
        problems.extend(rule_problems)
        if (
            not rule_problems
            and self.notification_topic_arn is not None
            and no_completed_job_hours(self.rules) is None
        ):
            problems.append(
                invalid(
                    name + "rules",
                    [rule.schedule for rule in self.rules],
                    "with notification_topic_arn, at least one rule whose longest gap between "
                    f"runs plus its start and completion windows is at most "
                    f"{MAX_ALARM_WINDOW_HOURS} hours, so that backups that stop can page "
                    "(CloudWatch alarms look back at most seven days)",
                )
            )
        problems.extend(self._region_problems(name))
        problems.extend(self._lock_problems(name))
        problems.extend(resource_arn_problems(self.resource_arns, name + "resource_arns"))
        topic = self.notification_topic_arn
        if isinstance(topic, str):
            match = SNS_TOPIC_ARN.match(topic)
            if not match:
                problems.append(invalid(name + "notification_topic_arn", topic, "an SNS topic ARN"))
            elif self.region is not None and match.group(1) != self.region:
                problems.append(
                    invalid(
                        name + "notification_topic_arn",
                        topic,
                        f"a topic in the vault's region {self.region} (AWS Backup only "
                        "notifies topics in the vault's region)",
                    )
                )
        if isinstance(self.kms_key_arn, str) and not KMS_KEY_ARN.match(self.kms_key_arn):
            problems.append(invalid(name + "kms_key_arn", self.kms_key_arn, "a KMS key ARN"))
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        if self.data_bucket_name is not None and not (
            BUCKET_NAME.match(self.data_bucket_name)
            and ".." not in self.data_bucket_name
            and not re.fullmatch(r"[\d.]+", self.data_bucket_name)
        ):
            problems.append(
                invalid(
                    name + "data_bucket_name",
                    self.data_bucket_name,
                    "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', "
                    "starting and ending with a letter or digit",
                )
            )
        if self.data_bucket_name is not None and not self.data_bucket:
            problems.append(
                invalid(
                    name + "data_bucket_name",
                    self.data_bucket_name,
                    "only with data_bucket=True",
                )
            )
        if problems:
            raise ConfigError(problems)

    def _rule_problems(self, name: str) -> list[str]:
        problems: list[str] = []
        if not self.rules:
            problems.append(invalid(name + "rules", list(self.rules), "at least one BackupRule"))
        for index, rule in enumerate(self.rules):
            problems.extend(rule.problems(f"{name}rules[{index}]"))
        names = [rule.name for rule in self.rules]
        if len(set(names)) != len(names):
            problems.append(invalid(name + "rules", names, "rules with distinct names"))
        return problems

    def _region_problems(self, name: str) -> list[str]:
        problems: list[str] = []
        for key_name, value in (("region", self.region), ("copy_region", self.copy_region)):
            if value is not None and not is_region(value):
                problems.append(invalid(name + key_name, value, "an AWS region such as eu-west-1"))
        if self.copy_region is not None:
            if self.region is None:
                problems.append(
                    invalid(
                        name + "region",
                        None,
                        "the primary region, required with copy_region so that the two can "
                        "be compared",
                    )
                )
            elif self.copy_region == self.region:
                problems.append(
                    invalid(
                        name + "copy_region",
                        self.copy_region,
                        f"a region other than the primary region {self.region}: a copy in the "
                        "same region does not survive a regional outage",
                    )
                )
        return problems

    def _lock_problems(self, name: str) -> list[str]:
        problems: list[str] = []
        cool_off = self.vault_lock_cool_off_days
        if self.vault_lock is VaultLock.COMPLIANCE:
            if cool_off is None:
                problems.append(
                    invalid(
                        name + "vault_lock_cool_off_days",
                        cool_off,
                        f"a COMPLIANCE lock needs a cool-off of at least "
                        f"{LOCK_MINIMUM_COOL_OFF_DAYS} days, the time in which a mistaken "
                        "lock can still be removed; after it nobody can remove it",
                    )
                )
            else:
                problems.extend(cool_off_problems(cool_off, name + "vault_lock_cool_off_days"))
        elif cool_off is not None:
            problems.append(
                invalid(
                    name + "vault_lock_cool_off_days",
                    cool_off,
                    f"None: only a COMPLIANCE lock has a cool-off (vault_lock is "
                    f"{self.vault_lock.value})",
                )
            )
        if self.vault_lock is VaultLock.NONE:
            for key_name, value in (
                ("vault_lock_min_retention_days", self.vault_lock_min_retention_days),
                ("vault_lock_max_retention_days", self.vault_lock_max_retention_days),
            ):
                if value is not None:
                    problems.append(invalid(name + key_name, value, "None when vault_lock is none"))
            return problems
        if not self.rules or any(
            not 1 <= rule.delete_after_days <= MAX_RETENTION_DAYS for rule in self.rules
        ):
            return problems  # already reported against the rules
        low, high = self.lock_retention()
        shortest = min(rule.delete_after_days for rule in self.rules)
        longest = max(rule.delete_after_days for rule in self.rules)
        if not 1 <= low <= shortest:
            problems.append(
                invalid(
                    name + "vault_lock_min_retention_days",
                    low,
                    f"1 to the shortest rule retention ({shortest}); AWS Backup fails jobs "
                    "whose retention is below the lock's minimum",
                )
            )
        if not longest <= high <= MAX_RETENTION_DAYS:
            problems.append(
                invalid(
                    name + "vault_lock_max_retention_days",
                    high,
                    f"the longest rule retention ({longest}) to {MAX_RETENTION_DAYS}; AWS "
                    "Backup fails jobs whose retention is above the lock's maximum",
                )
            )
        return problems


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def backup_trust_policy() -> dict[str, Any]:
    """Lets AWS Backup, and nothing else, assume the role."""
    return service_trust_policy("AwsBackupAssumesRole", BACKUP_SERVICE_PRINCIPAL)


def notification_topic_statement(topic_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The statement an SNS topic policy needs so that AWS Backup can publish vault events."""
    return {
        "Sid": "AwsBackupPublishesVaultEvents",
        "Effect": "Allow",
        "Principal": {"Service": BACKUP_SERVICE_PRINCIPAL},
        "Action": "SNS:Publish",
        "Resource": topic_arn,
    }


def failure_event_patterns(
    vault_name_: pulumi.Input[str],
    vault_arn: pulumi.Input[str],
    copy_vault_arn: pulumi.Input[str] | None,
    role_arn: pulumi.Input[str],
) -> dict[str, dict[str, Any]]:
    """EventBridge event patterns, by job kind, of the jobs of one stack that page: state
    :data:`FAILED_JOB_STATES`, and only this stack's, so that stacks sharing an account and
    region page only their own topic.

    * ``backup-job``: ``detail.backupVaultName`` is the stack's vault.
    * ``copy-job``: copies out of the vault (``detail.sourceBackupVaultArn``, the plan's copies
      to the second region) or into either of the stack's vaults
      (``detail.destinationBackupVaultArn``). A copy job's events come from the region it runs
      in, that of its source vault.
    * ``restore-job``: a failed restore's event names no vault (AWS's sample carries only the
      role, the resource type and the message), so it is matched on ``detail.iamRoleArn``, the
      stack's backup role, which the restore drill and the runbook restore with. Restore events
      report ``status``, some samples ``state``: both are matched.

    Field names and values are those of AWS's sample events ("Monitoring AWS Backup events
    using Amazon EventBridge": https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
    """
    states = list(FAILED_JOB_STATES)

    def pattern(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        return {"source": [BACKUP_EVENT_SOURCE], "detail-type": [detail_type], "detail": detail}

    destinations = [vault_arn] if copy_vault_arn is None else [vault_arn, copy_vault_arn]
    return {
        "backup-job": pattern(
            BACKUP_JOB_EVENT, {"state": states, "backupVaultName": [vault_name_]}
        ),
        "copy-job": pattern(
            COPY_JOB_EVENT,
            {
                "state": states,
                "$or": [
                    {"sourceBackupVaultArn": [vault_arn]},
                    {"destinationBackupVaultArn": destinations},
                ],
            },
        ),
        "restore-job": pattern(
            RESTORE_JOB_EVENT,
            {"$or": [{"status": states}, {"state": states}], "iamRoleArn": [role_arn]},
        ),
    }


DATA_READ_WRITE_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
DATA_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What SSE-KMS needs from a reader (Decrypt) and a writer (GenerateDataKey)."""


# --------------------------------------------------------------------------------------------
# Component
# --------------------------------------------------------------------------------------------


class BackupPlan(pulumi.ComponentResource):
    """An AWS Backup vault, plan, selections and role; optionally a DR copy vault in a second
    region, a vault lock, failure notifications and an application data bucket.

    Outputs:
        vault_name: Name of the vault (``<prefix>-vault``; the copy vault has the same name).
        vault_arn: ARN of the vault.
        vault_kms_key_arn: ARN of the key that encrypts the vault.
        plan_id: ID of the backup plan.
        plan_arn: ARN of the backup plan.
        backup_role_arn: ARN of the role AWS Backup uses to back up and restore.
        copy_vault_arn: ARN of the copy vault in ``copy_region``, or None.
        data_bucket_name: Name of the data bucket, or None.
        data_bucket_arn: ARN of the data bucket, or None.
    """

    TOKEN = "slipway:index:BackupPlan"

    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    vault_kms_key_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    plan_arn: pulumi.Output[str]
    backup_role_arn: pulumi.Output[str]
    copy_vault_arn: pulumi.Output[str] | None
    data_bucket_name: pulumi.Output[str] | None
    data_bucket_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self._name_prefix = name
        self._data_bucket: aws.s3.Bucket | None = None
        self._data_key_arn: pulumi.Output[str] | None = None
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        self._region = aws.get_region_output(opts=invoke).region
        vault_name_ = vault_name(args.name_prefix)

        # --- vault ---------------------------------------------------------------------------
        if args.kms_key_arn is None:
            vault_key_arn: pulumi.Input[str] = self._key(
                f"{name}-key", f"backup/{args.name_prefix}", vault_name_, args, child
            )
        else:
            vault_key_arn = args.kms_key_arn
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=vault_name_,
            kms_key_arn=vault_key_arn,
            force_destroy=False,
            tags=dict(args.tags),
            opts=stateful,
        )
        self._lock(f"{name}-lock", vault, args, stateful)

        # --- copy vault in the DR region -----------------------------------------------------
        copy_vault: aws.backup.Vault | None = None
        if args.copy_region is not None:
            # The stack's own provider with pulumi-aws 7's per-resource region, not a second
            # provider: the copy is made with every setting the stack gives the provider
            # (allowed accounts, profile, assumed role, default tags; see
            # EncryptionKeyArgs.region).
            copy_key_arn = self._key(
                f"{name}-dr-key",
                f"backup/{args.name_prefix}",
                vault_name_,
                args,
                child,
                region=args.copy_region,
            )
            copy_vault = aws.backup.Vault(
                f"{name}-dr-vault",
                name=vault_name_,
                kms_key_arn=copy_key_arn,
                force_destroy=False,
                tags=dict(args.tags),
                region=args.copy_region,
                opts=stateful,
            )
            self._lock(f"{name}-dr-lock", copy_vault, args, stateful, region=args.copy_region)

        # --- plan ----------------------------------------------------------------------------
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-plan",
            rules=[self._rule(rule, vault.name, copy_vault, args.tags) for rule in args.rules],
            tags=dict(args.tags),
            opts=child,
        )

        # --- role ----------------------------------------------------------------------------
        role = aws.iam.Role(
            f"{name}-role",
            name=f"{args.name_prefix}-backup",
            description=f"Assumed by AWS Backup to back up and restore {args.name_prefix}",
            assume_role_policy=json_output(backup_trust_policy()),
            tags=dict(args.tags),
            opts=child,
        )
        managed = [BACKUP_POLICY, RESTORE_POLICY]
        if args.attaches_s3_policies:
            managed += [S3_BACKUP_POLICY, S3_RESTORE_POLICY]
        aws.iam.RolePolicyAttachmentsExclusive(
            f"{name}-role-policies",
            role_name=role.name,
            policy_arns=[aws_managed_policy_arn(partition, path) for path in managed],
            opts=child,
        )

        # --- data bucket ---------------------------------------------------------------------
        data_bucket = self._bucket(name, args, stateful, child) if args.data_bucket else None

        # --- selections ----------------------------------------------------------------------
        aws.backup.Selection(
            f"{name}-selection-tag",
            name=f"{args.name_prefix}-tag",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(
                    type="STRINGEQUALS",
                    key=args.selection_tag_key,
                    value=args.selection_tag_value,
                )
            ],
            opts=child,
        )
        by_arn = list(args.resource_arns)
        if data_bucket is not None:
            by_arn.append(data_bucket.arn)
        if by_arn:
            aws.backup.Selection(
                f"{name}-selection-arns",
                name=f"{args.name_prefix}-arns",
                plan_id=plan.id,
                iam_role_arn=role.arn,
                resources=by_arn,
                opts=child,
            )

        # --- alerts --------------------------------------------------------------------------
        if args.notification_topic_arn is not None:
            self._alerts(
                name, args, args.notification_topic_arn, vault, copy_vault, role.arn, child
            )

        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.vault_kms_key_arn = pulumi.Output.from_input(vault_key_arn)
        self.plan_id = plan.id
        self.plan_arn = plan.arn
        self.backup_role_arn = role.arn
        self.copy_vault_arn = copy_vault.arn if copy_vault is not None else None
        bucket = self._data_bucket
        self.data_bucket_name = bucket.bucket if bucket is not None else None
        self.data_bucket_arn = bucket.arn if bucket is not None else None
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

    # --- parts ---------------------------------------------------------------------------------

    @staticmethod
    def _key(
        name: str,
        alias: str,
        what: str,
        args: BackupPlanArgs,
        opts: pulumi.ResourceOptions,
        region: str | None = None,
    ) -> pulumi.Output[str]:
        key = EncryptionKey(
            name,
            EncryptionKeyArgs(
                description=f"Encrypts {what}",
                alias=alias,
                deletion_window_days=args.key_deletion_window_days,
                protect=args.protect,
                tags=args.tags,
                region=region,
            ),
            opts=opts,
        )
        return key.key_arn

    @staticmethod
    def _alerts(
        name: str,
        args: BackupPlanArgs,
        topic_arn: pulumi.Input[str],
        vault: aws.backup.Vault,
        copy_vault: aws.backup.Vault | None,
        role_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """The failure rules, the no-completed-job alarm and the S3 object notifications, all
        to ``topic_arn`` (see :attr:`BackupPlanArgs.notification_topic_arn`)."""
        patterns = failure_event_patterns(
            vault.name, vault.arn, copy_vault.arn if copy_vault is not None else None, role_arn
        )
        for kind, pattern in patterns.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}-failed",
                name=f"{args.name_prefix}-{kind}-failed",
                description=f"Failed, aborted or expired {kind.replace('-', ' ')}s of "
                f"{args.name_prefix}: pages the alert topic",
                event_pattern=json_output(pattern),
                tags=dict(args.tags),
                opts=opts,
            )
            # No role_arn: SNS targets use the topic's resource policy (EventBridge, "Using
            # resource-based policies": a role on an SNS target can fail delivery with KMS).
            aws.cloudwatch.EventTarget(
                f"{name}-{kind}-failed-topic", rule=rule.name, arn=topic_arn, opts=opts
            )
        hours = no_completed_job_hours(args.rules)
        assert hours is not None  # refused in BackupPlanArgs
        aws.cloudwatch.MetricAlarm(
            f"{name}-none-completed",
            name=f"{args.name_prefix}-backup-none-completed",
            alarm_description=f"No backup job of {vault_name(args.name_prefix)} completed in "
            f"{hours} hours (the plan's longest gap between runs plus its start and completion "
            "windows): the selection may match nothing, or every job failed",
            namespace=BACKUP_NAMESPACE,
            metric_name=JOBS_COMPLETED_METRIC,
            dimensions={"BackupVaultName": vault.name},
            statistic="Sum",
            period=3600,
            evaluation_periods=hours,
            datapoints_to_alarm=hours,
            comparison_operator="LessThanThreshold",
            threshold=1,
            # Nothing is published for an hour without a completed job: that is the signal.
            treat_missing_data="breaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags=dict(args.tags),
            opts=opts,
        )
        aws.backup.VaultNotifications(
            f"{name}-notifications",
            backup_vault_name=vault.name,
            sns_topic_arn=topic_arn,
            backup_vault_events=list(VAULT_NOTIFICATION_EVENTS),
            opts=opts,
        )

    @staticmethod
    def _lock(
        name: str,
        vault: aws.backup.Vault,
        args: BackupPlanArgs,
        opts: pulumi.ResourceOptions,
        region: str | None = None,
    ) -> None:
        if args.vault_lock is VaultLock.NONE:
            return
        low, high = args.lock_retention()
        aws.backup.VaultLockConfiguration(
            name,
            backup_vault_name=vault.name,
            min_retention_days=low,
            max_retention_days=high,
            # Without changeable_for_days the lock is in governance mode; with it, compliance.
            changeable_for_days=(
                args.vault_lock_cool_off_days if args.vault_lock is VaultLock.COMPLIANCE else None
            ),
            region=region,
            opts=opts,
        )

    @staticmethod
    def _rule(
        rule: BackupRule,
        vault_name_: pulumi.Input[str],
        copy_vault: aws.backup.Vault | None,
        tags: Mapping[str, str],
    ) -> aws.backup.PlanRuleArgs:
        cold = rule.cold_storage_after_days
        lifecycle = aws.backup.PlanRuleLifecycleArgs(
            delete_after=rule.delete_after_days,
            cold_storage_after=cold,
            opt_in_to_archive_for_supported_resources=True if cold is not None else None,
        )
        copy_actions = None
        if copy_vault is not None:
            copy_actions = [
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=copy_vault.arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=rule.delete_after_days,
                        cold_storage_after=cold,
                        opt_in_to_archive_for_supported_resources=(
                            True if cold is not None else None
                        ),
                    ),
                )
            ]
        return aws.backup.PlanRuleArgs(
            rule_name=rule.name,
            target_vault_name=vault_name_,
            schedule=rule.schedule,
            start_window=rule.start_window_minutes,
            completion_window=rule.completion_window_minutes,
            lifecycle=lifecycle,
            copy_actions=copy_actions,
            recovery_point_tags=dict(tags),
        )

    def _bucket(
        self,
        name: str,
        args: BackupPlanArgs,
        stateful: pulumi.ResourceOptions,
        child: pulumi.ResourceOptions,
    ) -> aws.s3.Bucket:
        key_arn = self._key(
            f"{name}-data-key",
            f"s3/{args.name_prefix}-data",
            f"the application data bucket of {args.name_prefix}",
            args,
            child,
        )
        bucket = aws.s3.Bucket(
            f"{name}-data",
            bucket=args.data_bucket_name,
            force_destroy=False,
            tags=dict(args.tags),
            opts=stateful,
        )
        # AWS Backup backs up only versioned buckets.
        private_bucket_controls(
            f"{name}-data", bucket, self, kms_key_arn=key_arn, bucket_key_enabled=True
        )
        aws.s3.BucketPolicy(
            f"{name}-data-policy",
            bucket=bucket.id,
            policy=policy_document([tls_only_statement(bucket.arn)]),
            opts=child,
        )
        self._data_bucket = bucket
        self._data_key_arn = key_arn
        return bucket

    # --- grants --------------------------------------------------------------------------------

    def grant_read_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let ``role`` (an application task role) list the data bucket and get, put and delete
        its objects, with the bucket key usable only through S3. Returns the policy."""
        bucket, key_arn = self._data_bucket, self._data_key_arn
        if bucket is None or key_arn is None:
            raise ConfigError(
                invalid(
                    "BackupPlanArgs.data_bucket",
                    False,
                    "True to grant access to the data bucket",
                )
            )
        return aws.iam.RolePolicy(
            f"{self._name_prefix}-readwrite-{role_name_of(role)}",
            role=role.name,
            policy=policy_document(
                [
                    allow("DataBucketList", ["s3:ListBucket"], [bucket.arn]),
                    allow(
                        "DataObjectsReadWrite",
                        DATA_READ_WRITE_ACTIONS,
                        [pulumi.Output.concat(bucket.arn, "/*")],
                    ),
                    {
                        **allow("DataKeyThroughS3", DATA_KEY_ACTIONS, [key_arn]),
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": regional_endpoint("s3", self._region)
                            }
                        },
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
