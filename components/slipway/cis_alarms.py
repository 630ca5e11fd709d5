"""CisAlarms: the CIS AWS Foundations Benchmark's monitoring checks on a CloudTrail log group.

One CloudWatch Logs metric filter and one alarm per check, on the log group the account's trail
writes to (:class:`~slipway.audit_trail.AuditTrail`'s ``log_group_name``), paging an SNS topic.
The checks and their filter patterns are those AWS Security Hub evaluates as controls
CloudWatch.1 to CloudWatch.14 ("Security Hub CSPM controls for Amazon CloudWatch",
https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html), which
restate CIS AWS Foundations Benchmark v1.2.0 section 3 and v1.4.0 section 4:

* ``root-usage`` (CloudWatch.1): any use of the root user not made by an AWS service;
* ``console-sign-in-without-mfa`` (CloudWatch.2): a console sign-in without MFA;
* ``iam-policy-changes`` (CloudWatch.4);
* ``cloudtrail-changes`` (CloudWatch.5);
* ``kms-key-disabled-or-deleted`` (CloudWatch.7);
* ``security-group-changes`` (CloudWatch.10);
* ``network-acl-changes`` (CloudWatch.11);
* ``bucket-policy-changes`` (CloudWatch.8): an S3 bucket's ACL, policy, CORS, lifecycle or
  replication was changed (the audit bucket's policy among them).

With ``ci_role_session_prefix`` (the stacks' own role sessions,
``arn:<partition>:sts::<account>:assumed-role/<app>-``), the checks that every reviewed CI
``up`` trips (:data:`CI_QUIET_CHECKS`: IAM policy, security group, network ACL and bucket policy
changes) leave out the changes made by those sessions, so they page for changes from anyone
else (people, other tools, the root user). ``$.userIdentity.arn`` is present for users, roles
and the root user; ``!=`` with a trailing ``*`` is the documented JSON filter form
("Using filter patterns to match terms in JSON log events", CloudWatch Logs User Guide:
``{ $.sourceIPAddress != 123.123.* }``). Every role a stack may use is named ``<app>-<env>-…``
and carries its boundary (:mod:`slipway.stack_boundary`), so what these sessions can change is
what the boundary lets a stack change. Root use, sign-in without MFA, trail and key changes page
whoever makes them.

It is opt-in and account-wide: the stack that owns the account's resources creates it once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.monitoring import NAME_PREFIX
from slipway.patterns import SNS_TOPIC_ARN

CI_SESSION_PREFIX = re.compile(r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/[a-z0-9][a-z0-9-]*-$")
METRIC_NAMESPACE = "Slipway/CIS"
"""Namespace of the metrics the filters emit."""


def _events(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


def _any_event(*names: str) -> str:
    return "{ " + _events(*names) + " }"


CHECKS: Mapping[str, tuple[str, str]] = {
    "root-usage": (
        "The root user was used (CIS 1.7 / 4.3, Security Hub CloudWatch.1)",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType != "AwsServiceEvent" }',
    ),
    "console-sign-in-without-mfa": (
        "A console sign-in without MFA (CIS 4.2, Security Hub CloudWatch.2)",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    "iam-policy-changes": (
        "An IAM policy was changed (CIS 4.4, Security Hub CloudWatch.4)",
        _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
    ),
    "cloudtrail-changes": (
        "A CloudTrail trail was changed or stopped (CIS 4.5, Security Hub CloudWatch.5)",
        _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    "kms-key-disabled-or-deleted": (
        "A customer-managed KMS key was disabled or scheduled for deletion (CIS 4.7, Security "
        "Hub CloudWatch.7)",
        "{ ($.eventSource = kms.amazonaws.com) && "
        "(($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    ),
    "security-group-changes": (
        "A security group was changed (CIS 4.10, Security Hub CloudWatch.10)",
        _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ),
    ),
    "bucket-policy-changes": (
        "An S3 bucket's ACL, policy, CORS, lifecycle or replication was changed (CIS 3.8, "
        "Security Hub CloudWatch.8)",
        "{ ($.eventSource = s3.amazonaws.com) && ("
        + _events(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ") }",
    ),
    "network-acl-changes": (
        "A network ACL was changed (CIS 4.11, Security Hub CloudWatch.11)",
        _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
    ),
}
"""Check key to (what it detects, its CloudWatch Logs filter pattern)."""

CI_QUIET_CHECKS = frozenset(
    {"iam-policy-changes", "security-group-changes", "network-acl-changes", "bucket-policy-changes"}
)
"""The checks a reviewed CI ``up`` trips on its own: with ``ci_role_session_prefix`` they leave
out the stacks' own role sessions."""


def check_pattern(key: str, ci_role_session_prefix: str | None = None) -> str:
    """The filter pattern of check ``key``; for :data:`CI_QUIET_CHECKS`, without the events of
    sessions whose ARN starts with ``ci_role_session_prefix`` (when given)."""
    pattern = CHECKS[key][1]
    if ci_role_session_prefix is None or key not in CI_QUIET_CHECKS:
        return pattern
    inner = pattern.strip()[1:-1].strip()
    return f'{{ ({inner}) && ($.userIdentity.arn != "{ci_role_session_prefix}*") }}'


@dataclass(frozen=True)
class CisAlarmsArgs:
    """Arguments of :class:`CisAlarms`."""

    log_group_name: pulumi.Input[str]
    """The CloudTrail trail's CloudWatch Logs group."""
    alarm_actions: Sequence[pulumi.Input[str]]
    """SNS topic ARNs paged when a check fires (1 to 5)."""
    name_prefix: str
    """Prefix of the filters', metrics' and alarms' names, e.g. ``storefront-account``."""
    ci_role_session_prefix: pulumi.Input[str] | None = None
    """The start of the ARNs of the stacks' own role sessions,
    ``arn:<partition>:sts::<account>:assumed-role/<app>-``: :data:`CI_QUIET_CHECKS` leave their
    changes out. Default: every change pages."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every alarm."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "CisAlarmsArgs."
        if not (isinstance(self.name_prefix, str) and NAME_PREFIX.match(self.name_prefix)):
            problems.append(
                invalid(name + "name_prefix", self.name_prefix, "letters, digits, '_' and '-'")
            )
        actions = list(self.alarm_actions)
        bad = [a for a in actions if isinstance(a, str) and not SNS_TOPIC_ARN.match(a)]
        if not 1 <= len(actions) <= 5 or bad:
            problems.append(invalid(name + "alarm_actions", bad or actions, "1 to 5 SNS topics"))
        prefix = self.ci_role_session_prefix
        if isinstance(prefix, str) and not CI_SESSION_PREFIX.match(prefix):
            problems.append(
                invalid(
                    name + "ci_role_session_prefix",
                    self.ci_role_session_prefix,
                    "arn:<partition>:sts::<account>:assumed-role/<app>- (a name prefix ending "
                    "in '-', no wildcard)",
                )
            )
        if problems:
            raise ConfigError(problems)


def _pattern(key: str, prefix: pulumi.Input[str] | None) -> pulumi.Input[str]:
    """:func:`check_pattern` for a prefix that may be an Output."""
    if prefix is None:
        return check_pattern(key)
    return pulumi.Output.from_input(prefix).apply(lambda value: check_pattern(key, value))


class CisAlarms(pulumi.ComponentResource):
    """A metric filter and an alarm per CIS monitoring check (:data:`CHECKS`).

    Outputs:
        alarm_arns: Check key to its alarm's ARN.
    """

    TOKEN = "slipway:index:CisAlarms"

    alarm_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: CisAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.alarm_arns = {}
        for key, (description, _) in CHECKS.items():
            metric = f"{args.name_prefix}-{key}"
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{key}",
                name=metric,
                log_group_name=args.log_group_name,
                pattern=_pattern(key, args.ci_role_session_prefix),
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=metric, namespace=METRIC_NAMESPACE, value="1"
                ),
                opts=child,
            )
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{key}-alarm",
                name=f"{args.name_prefix}-cis-{key}",
                alarm_description=description,
                namespace=METRIC_NAMESPACE,
                metric_name=metric,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=1,
                # No matching event writes no data point: nothing happened.
                treat_missing_data="notBreaching",
                alarm_actions=list(args.alarm_actions),
                tags=dict(args.tags),
                opts=child,
            )
            self.alarm_arns[key] = alarm.arn
        self.register_outputs({"alarm_arns": self.alarm_arns})
