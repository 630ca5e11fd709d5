"""Restore drill: prove that the newest backup of a stack is recent and really restores.

    python -m tooling.drill --stack prod [--vault NAME] [--region R] [--rpo-hours N]
                          [--resource-arn ARN] [--target-role-arn ARN] [--dry-run] [--json]
                          [--timeout-minutes N] [--poll-seconds N]

1. Reads the stack's settings from ``Pulumi.<stack>.yaml`` (no Pulumi engine, no state) to get
   the app, environment, region and profile; the vault is named as the stack names it
   (:func:`slipway.backup.vault_name`). It checks that the vault exists.
2. Lists the vault's recovery points (all pages), takes the newest COMPLETED one and checks
   that it is younger than the RPO (by profile: dev 48 h, staging 24 h, prod 24 h).
3. Unless ``--dry-run``, starts a restore job into a NEW, isolated resource named
   ``<app>-<env>-drill-<UTC timestamp>`` (a new bucket for S3, a new table, DB instance or
   cluster, file system or volume for the others), never into the original.
4. Waits for the job (at most the profile's RTO: dev 24 h, staging 8 h, prod 4 h; or
   ``--timeout-minutes``) and reports the recovery point's age, the job ID, its status and
   duration, as text or JSON.

Exit codes: 0 the drill passed; 1 bad arguments or settings, or a resource type the drill cannot
restore in isolation; 2 no recovery point or the newest one is older than the RPO; 3 an AWS API
error; 4 the restore job failed, was aborted or did not finish in time. Every failure prints one
line with the reason, and stops before anything further is touched: no restore is started when
the vault, the listing or the RPO check fails.

The restored resource is left in place for checking; delete it afterwards (see
docs/runbooks/restore.md). AWS calls go through an injected client, so tests run offline.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from infra.domains.backup import PROFILES
from infra.settings import NAMESPACE, parse_settings
from slipway.backup import vault_name
from slipway.errors import ConfigError
from tooling.offline import ROOT, load_stack_config

OK, USAGE, STALE, API_ERROR, RESTORE_FAILED = 0, 1, 2, 3, 4

TERMINAL = ("COMPLETED", "FAILED", "ABORTED")
"""Restore job states after which polling stops."""
ISOLATED_TYPES = ("Aurora", "DynamoDB", "EBS", "EFS", "RDS", "S3")
"""Resource types the drill knows how to restore into a new resource."""
MAX_NAME = 63
"""Longest name every isolated target accepts (S3 buckets, RDS identifiers)."""

Client = Any
"""A boto3 ``backup`` client (or one wrapped by botocore's Stubber in tests)."""


class DrillFailure(Exception):
    """Stops the drill with an exit code and a one-line reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """What the drill checks: one stack's vault in one region."""

    stack: str
    app: str
    environment: str
    region: str
    vault: str
    rpo_hours: float
    rto_minutes: float = PROFILES.prod.rto_minutes


@dataclass
class Report:
    """What the drill found and did; printed as text or JSON."""

    stack: str
    region: str
    vault: str
    rpo_hours: float
    dry_run: bool
    recovery_point_arn: str | None = None
    resource_arn: str | None = None
    resource_type: str | None = None
    recovery_point_age_hours: float | None = None
    restore_job_id: str | None = None
    restore_target: str | None = None
    status: str | None = None
    duration_seconds: float | None = None
    created_resource_arn: str | None = None
    exit_code: int = OK
    reason: str | None = None


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def resolve_target(
    stack: str,
    vault: str | None = None,
    region: str | None = None,
    rpo_hours: float | None = None,
    root: Path = ROOT,
) -> Target:
    """The stack's vault, region and RPO, from ``Pulumi.<stack>.yaml`` and the arguments."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", stack) or not (root / f"Pulumi.{stack}.yaml").is_file():
        raise DrillFailure(USAGE, f"no stack file Pulumi.{stack}.yaml in {root}")
    config, secret_keys = load_stack_config(stack, root)
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    secrets = {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)}
    try:
        settings, _ = parse_settings(raw, secrets, stack)
    except ConfigError as error:
        raise DrillFailure(
            USAGE, f"settings of stack {stack} are invalid: {'; '.join(error.problems)}"
        ) from None
    chosen_region = region or config.get("aws:region")
    if not chosen_region:
        raise DrillFailure(USAGE, f"stack {stack} sets no aws:region; pass --region")
    if rpo_hours is not None and rpo_hours <= 0:
        raise DrillFailure(USAGE, f"--rpo-hours must be positive, got {rpo_hours}")
    return Target(
        stack=stack,
        app=settings.identity.app,
        environment=settings.identity.env,
        region=chosen_region,
        vault=vault or vault_name(settings.identity.resource_prefix),
        rpo_hours=rpo_hours if rpo_hours is not None else settings.backup.decided().rpo_hours,
        rto_minutes=settings.backup.decided().rto_minutes,
    )


def check_vault(client: Client, vault: str) -> Mapping[str, Any]:
    """The vault's description; a missing vault is an API failure with a clear reason."""
    return _call(client, "describe_backup_vault", f"vault {vault}", BackupVaultName=vault)


def newest_completed(
    client: Client, vault: str, resource_arn: str | None = None
) -> Mapping[str, Any] | None:
    """The newest COMPLETED recovery point in ``vault`` (of ``resource_arn``), or None."""
    paginator = client.get_paginator("list_recovery_points_by_backup_vault")
    params: dict[str, Any] = {"BackupVaultName": vault}
    if resource_arn:
        params["ByResourceArn"] = resource_arn
    newest: Mapping[str, Any] | None = None
    try:
        for page in paginator.paginate(**params):
            for point in page.get("RecoveryPoints", []):
                if point.get("Status") != "COMPLETED":
                    continue
                if newest is None or point["CreationDate"] > newest["CreationDate"]:
                    newest = point
    except Exception as error:
        raise _api_failure(error, f"listing recovery points of vault {vault}") from None
    return newest


def drill_name(target: Target, now: datetime) -> str:
    """``<app>-<env>-drill-<UTC timestamp>``, shortened to fit every target's name rules."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    suffix = f"-drill-{stamp}"
    base = f"{target.app}-{target.environment}"[: MAX_NAME - len(suffix)].rstrip("-")
    return base + suffix


def isolated_metadata(resource_type: str, metadata: Mapping[str, str], name: str) -> dict[str, str]:
    """Restore metadata that creates a new resource called ``name`` instead of touching the
    original. Raises :class:`DrillFailure` for types the drill cannot isolate."""
    out = dict(metadata)
    if resource_type == "S3":
        out.update(DestinationBucketName=name, NewBucket="true")
    elif resource_type == "DynamoDB":
        out["TargetTableName"] = name
    elif resource_type == "RDS":
        out["DBInstanceIdentifier"] = name
    elif resource_type == "Aurora":
        out["DBClusterIdentifier"] = name
    elif resource_type == "EFS":
        out.update(newFileSystem="true", CreationToken=name)
    elif resource_type == "EBS":
        pass  # a restore always creates a new volume
    else:
        raise DrillFailure(
            USAGE,
            f"the drill cannot restore {resource_type} into an isolated resource (it knows "
            f"{', '.join(ISOLATED_TYPES)}); pick another resource with --resource-arn",
        )
    return out


def start_restore(
    client: Client,
    target: Target,
    point: Mapping[str, Any],
    role_arn: str | None,
    now: datetime,
) -> tuple[str, str]:
    """Start the restore of ``point`` into a new resource; returns (job ID, target name)."""
    resource_type = str(point.get("ResourceType", ""))
    name = drill_name(target, now)
    role = role_arn or point.get("IamRoleArn")
    if not role:
        raise DrillFailure(USAGE, "the recovery point names no IAM role; pass --target-role-arn")
    # Checked before any call, so an unsupported type touches nothing.
    isolated_metadata(resource_type, {}, name)
    arn = point["RecoveryPointArn"]
    metadata = _call(
        client,
        "get_recovery_point_restore_metadata",
        f"restore metadata of {arn}",
        BackupVaultName=target.vault,
        RecoveryPointArn=arn,
    ).get("RestoreMetadata", {})
    # Tags of the source are not copied (CopySourceTagsToRestoredResource stays false): the
    # restored copy must not carry backup=<environment> and join the plan.
    started = _call(
        client,
        "start_restore_job",
        f"starting the restore of {arn}",
        RecoveryPointArn=arn,
        Metadata=isolated_metadata(resource_type, metadata, name),
        IamRoleArn=role,
        ResourceType=resource_type,
        IdempotencyToken=str(uuid.uuid4()),
    )
    return str(started["RestoreJobId"]), name


def wait_for_restore(
    client: Client,
    job_id: str,
    timeout_minutes: float,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Mapping[str, Any]:
    """Poll the restore job until it is COMPLETED, FAILED or ABORTED, or the time is up."""
    deadline = clock() + timeout_minutes * 60
    while True:
        job = _call(client, "describe_restore_job", f"restore job {job_id}", RestoreJobId=job_id)
        if job.get("Status") in TERMINAL:
            return job
        if clock() >= deadline:
            raise DrillFailure(
                RESTORE_FAILED,
                f"restore job {job_id} is still {job.get('Status')} after {timeout_minutes:g} "
                "minutes (the RTO is at risk); it keeps running, check it in the console",
            )
        sleep(poll_seconds)


def run_drill(
    client: Client,
    target: Target,
    *,
    resource_arn: str | None = None,
    role_arn: str | None = None,
    dry_run: bool = False,
    timeout_minutes: float | None = None,
    poll_seconds: float = 30,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Report:
    """Every step of the drill; failures come back in the report with their exit code."""
    report = Report(target.stack, target.region, target.vault, target.rpo_hours, dry_run)
    try:
        check_vault(client, target.vault)
        point = newest_completed(client, target.vault, resource_arn)
        if point is None:
            where = f" for {resource_arn}" if resource_arn else ""
            raise DrillFailure(
                STALE,
                f"vault {target.vault} in {target.region} holds no COMPLETED recovery point{where}",
            )
        started_at = now()
        age_hours = (started_at - point["CreationDate"]).total_seconds() / 3600
        report.recovery_point_arn = point["RecoveryPointArn"]
        report.resource_arn = point.get("ResourceArn")
        report.resource_type = point.get("ResourceType")
        report.recovery_point_age_hours = round(age_hours, 2)
        if age_hours > target.rpo_hours:
            raise DrillFailure(
                STALE,
                f"newest recovery point {point['RecoveryPointArn']} is {age_hours:.1f} h old, "
                f"older than the RPO of {target.rpo_hours:g} h",
            )
        if dry_run:
            report.status = "DRY_RUN"
            return report
        job_id, name = start_restore(client, target, point, role_arn, started_at)
        report.restore_job_id, report.restore_target = job_id, name
        began = clock()
        limit = target.rto_minutes if timeout_minutes is None else timeout_minutes
        job = wait_for_restore(client, job_id, limit, poll_seconds, sleep, clock)
        report.status = str(job["Status"])
        report.created_resource_arn = job.get("CreatedResourceArn")
        created, completed = job.get("CreationDate"), job.get("CompletionDate")
        report.duration_seconds = round(
            (completed - created).total_seconds() if created and completed else clock() - began,
            1,
        )
        if report.status != "COMPLETED":
            message = job.get("StatusMessage") or "no message"
            raise DrillFailure(
                RESTORE_FAILED, f"restore job {job_id} ended {report.status}: {message}"
            )
    except DrillFailure as failure:
        report.exit_code, report.reason = failure.code, failure.reason
    return report


# --------------------------------------------------------------------------------------------
# AWS errors
# --------------------------------------------------------------------------------------------


def _api_failure(error: Exception, what: str) -> DrillFailure:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        code = response["Error"].get("Code", "Error")
        message = response["Error"].get("Message", "")
        return DrillFailure(API_ERROR, f"AWS refused {what}: {code}: {message}".rstrip(": "))
    if type(error).__module__.startswith("botocore"):
        return DrillFailure(API_ERROR, f"AWS call failed ({what}): {error}")
    raise error


def _call(client: Client, operation: str, what: str, **params: Any) -> Mapping[str, Any]:
    try:
        result: Mapping[str, Any] = getattr(client, operation)(**params)
    except Exception as error:
        raise _api_failure(error, what) from None
    return result


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors exit 1; 2 means a stale recovery point."""
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"drill: {message}\n")


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m tooling.drill``."""
    p = _Parser(
        prog="python -m tooling.drill",
        description="Check the newest backup of a stack against its RPO and restore it into "
        "a new, isolated resource.",
    )
    p.add_argument(
        "--stack", required=True, help="dev, staging or prod (reads Pulumi.<stack>.yaml)"
    )
    p.add_argument("--vault", help="vault name (default: <app>-<env>-vault, as the stack names it)")
    p.add_argument(
        "--region",
        help="region of the vault (default: the stack's aws:region; "
        "pass the copy region to drill the DR copy)",
    )
    p.add_argument(
        "--rpo-hours", type=float, help="RPO (default by profile: dev 48, staging 24, prod 24)"
    )
    p.add_argument("--resource-arn", help="only recovery points of this resource")
    p.add_argument(
        "--target-role-arn",
        help="role AWS Backup restores with (default: the role "
        "that made the recovery point, the stack's backup role)",
    )
    p.add_argument("--dry-run", action="store_true", help="check only; start no restore")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--timeout-minutes",
        type=float,
        help="give up waiting for the restore after this long (default: the profile's RTO: "
        "dev 1440, staging 480, prod 240)",
    )
    p.add_argument(
        "--poll-seconds", type=float, default=30, help="seconds between status checks (default: 30)"
    )
    return p


def render(report: Report) -> str:
    """The report as a few lines of text."""
    lines = [f"drill {report.stack}: vault {report.vault} in {report.region}"]
    if report.recovery_point_arn:
        lines.append(
            f"  recovery point {report.recovery_point_arn} ({report.resource_type} "
            f"{report.resource_arn}), {report.recovery_point_age_hours} h old, RPO "
            f"{report.rpo_hours:g} h"
        )
    if report.restore_job_id:
        lines.append(f"  restore job {report.restore_job_id} into {report.restore_target}")
    if report.status:
        duration = f" in {report.duration_seconds:g} s" if report.duration_seconds else ""
        lines.append(f"  status {report.status}{duration}")
    if report.created_resource_arn:
        lines.append(f"  restored resource {report.created_resource_arn} (delete it when checked)")
    lines.append("  PASSED" if report.exit_code == OK else f"  FAILED: {report.reason}")
    return "\n".join(lines)


def _default_client(region: str) -> Client:
    import boto3

    return boto3.client("backup", region_name=region)


def main(
    argv: Sequence[str] | None = None,
    make_client: Callable[[str], Client] = _default_client,
    root: Path = ROOT,
    **drill_options: Any,
) -> int:
    """Run the drill from the command line; returns the exit code."""
    options = parser().parse_args(argv)
    try:
        target = resolve_target(
            options.stack, options.vault, options.region, options.rpo_hours, root
        )
    except DrillFailure as failure:
        print(f"drill: {failure.reason}", file=sys.stderr)
        return failure.code
    report = run_drill(
        make_client(target.region),
        target,
        resource_arn=options.resource_arn,
        role_arn=options.target_role_arn,
        dry_run=options.dry_run,
        timeout_minutes=options.timeout_minutes,
        poll_seconds=options.poll_seconds,
        **drill_options,
    )
    if options.json:
        print(json.dumps(asdict(report), indent=2, sort_keys=True, default=str))
    else:
        print(render(report))
    if report.exit_code != OK:
        print(f"drill: {report.reason}", file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
