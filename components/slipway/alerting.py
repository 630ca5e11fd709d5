"""``Alerting``: the stack's one SNS topic for alarms, encrypted, with its subscribers.

CloudWatch alarms, EventBridge rules and AWS Backup vaults of this account publish to the topic;
people and tools subscribe to it by e-mail or HTTPS.

Slack: an incoming webhook cannot subscribe to SNS directly. SNS first posts a subscription
confirmation, and later a JSON envelope, neither of which Slack's webhook accepts. Connect Slack
(or Microsoft Teams) through AWS Chatbot, which takes this topic's ARN and subscribes itself, or
through a small forwarder (for example a Lambda function) that reformats the message. The
``https_endpoints`` argument is for receivers that speak SNS's HTTPS protocol: they confirm the
subscription and check the message signature (the topic signs with SHA256, version 2).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import (
    EncryptionKeyArgs,
    ServiceKeyAccess,
    deletion_window_problems,
    given_or_new_key_arn,
)
from slipway.errors import ConfigError, invalid
from slipway.iam import policy_document

TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""SNS's rule for standard topic names."""
EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
"""An address SNS can deliver to: a dot-atom local part and a domain with a top-level label."""


def email_problems(emails: Sequence[str], setting: str) -> list[str]:
    """The one rule for alert e-mail addresses: each matches :data:`EMAIL`, is at most 254
    characters, and appears once."""
    bad = [e for e in emails if not EMAIL.match(e) or len(e) > 254]
    if bad:
        return [invalid(setting, bad, "e-mail addresses (name@example.com)")]
    if len(set(emails)) != len(emails):
        return [invalid(setting, list(emails), "no duplicates")]
    return []


HOSTNAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$")

PUBLISHING_SERVICES: Mapping[str, str] = {
    "cloudwatch.amazonaws.com": "alarm:*",
    "events.amazonaws.com": "rule/*",
    "backup.amazonaws.com": "backup-vault:*",
}
"""AWS services that may publish to the topic, with the resources (``aws:SourceArn``, in the
service's own ARN namespace) they publish for: alarms, EventBridge rules, backup vaults."""
SERVICE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
"""What a publishing service needs on the topic's key (AWS: "enable compatibility between event
sources from AWS services and encrypted topics")."""
EVENTS_SERVICE = "events.amazonaws.com"
"""EventBridge. Its key statement has no condition: "Adding the aws:SourceAccount,
aws:SourceArn, and aws:SourceOrgID to a AWS KMS policy is not supported for
EventBridge-to-encrypted topics" (Amazon SNS Developer Guide, "Enable compatibility between
event sources from AWS services and encrypted topics":
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services;
the EventBridge troubleshooting guide's encrypted-topic statement has none either, "My rule
runs, but I don't see any messages published into my Amazon SNS topic":
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html). With one,
every publish fails at KMS and shows only as the rule's ``FailedInvocations``."""
RULE_NAME_PREFIX = re.compile(r"^[A-Za-z0-9._-]{0,63}$")
"""The start of an EventBridge rule name (names are 1 to 64 of these characters)."""


def key_service_access(account_id: pulumi.Input[str]) -> list[ServiceKeyAccess]:
    """Key policy statements for the :data:`PUBLISHING_SERVICES`: ``kms:GenerateDataKey*`` and
    ``kms:Decrypt``, for this account's resources only (``aws:SourceAccount``), except
    EventBridge, which AWS supports only without a condition (:data:`EVENTS_SERVICE`). The key
    still only encrypts this topic, and EventBridge publishes only where the topic policy lets
    this account's rules (:func:`topic_policy_statements`)."""
    return [
        ServiceKeyAccess(
            service=service,
            actions=SERVICE_KEY_ACTIONS,
            condition=(
                None
                if service == EVENTS_SERVICE
                else {"StringEquals": {"aws:SourceAccount": account_id}}
            ),
        )
        for service in PUBLISHING_SERVICES
    ]


def _endpoint_id(endpoint: str) -> str:
    """A short, stable suffix for a subscription's logical name.

    Derived from the endpoint, not its position, so reordering the list does not replace
    subscriptions (which would send every recipient a new confirmation), and e-mail addresses
    do not appear in resource names.
    """
    return hashlib.sha256(endpoint.encode()).hexdigest()[:10]


def https_endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be an HTTPS subscription, or None when it can."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme != "https":
        return "not https:// (SNS would send alerts in clear text)"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL (stack settings are plain text)"
    host = parts.hostname or ""
    if not HOSTNAME.match(host):
        return "no public DNS host name"
    if port is not None and not 1 <= port <= 65535:
        return "bad port"
    if any(c.isspace() for c in url) or parts.fragment:
        return "spaces or a fragment"
    return None


def topic_policy_statements(
    topic_arn: pulumi.Input[str],
    partition: pulumi.Input[str],
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
    event_rule_name_prefix: str = "",
) -> list[dict[str, Any]]:
    """Statements of the topic policy.

    * ``Allow<Service>Publish``: each of :data:`PUBLISHING_SERVICES` may publish, only for its
      own resources in this account and region (``aws:SourceArn``, and ``aws:SourceAccount``
      besides for alarms and vaults), so no other account's alarm can use the service to write
      here (confused deputy). EventBridge's statement names the rules as EventBridge's own
      examples for its resource-policy targets do, ``aws:SourceArn`` alone (the rule ARN holds
      the account), and only rules whose names start with ``event_rule_name_prefix``
      ("Using resource-based policies for Amazon EventBridge":
      https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
    * ``DenyInsecureTransport``: publishing without TLS is refused for every principal.

    Principals of this account need no statement: their IAM policies are enough for SNS.
    """
    statements: list[dict[str, Any]] = []
    for service, resource in PUBLISHING_SERVICES.items():
        short = service.split(".", 1)[0]
        source_arn = pulumi.Output.format(
            "arn:{0}:{1}:{2}:{3}:{4}",
            partition,
            short,
            region,
            account_id,
            f"rule/{event_rule_name_prefix}*" if service == EVENTS_SERVICE else resource,
        )
        condition: dict[str, Any] = {"ArnLike": {"aws:SourceArn": source_arn}}
        if service != EVENTS_SERVICE:
            condition = {"StringEquals": {"aws:SourceAccount": account_id}, **condition}
        statements.append(
            {
                "Sid": f"Allow{short.capitalize()}Publish",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": condition,
            }
        )
    statements.append(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    return statements


def https_endpoints_problems(urls: Sequence[str], setting: str) -> list[str]:
    """The one rule for the HTTPS receivers of alerts: distinct https:// URLs with a public
    host name and no credentials (:func:`https_endpoint_problem`)."""
    bad_urls = {url: reason for url in urls if (reason := https_endpoint_problem(url)) is not None}
    if bad_urls:
        return [
            invalid(
                setting,
                list(bad_urls),
                "https:// URLs with a public host name and no credentials ("
                + "; ".join(f"{u}: {r}" for u, r in bad_urls.items())
                + ")",
            )
        ]
    if len(set(urls)) != len(urls):
        return [invalid(setting, list(urls), "no duplicates")]
    return []


@dataclass(frozen=True)
class AlertingArgs:
    """Arguments of :class:`Alerting`. Every default is the secure choice."""

    topic_name: str
    """Name of the SNS topic, e.g. ``storefront-prod-alerts`` (letters, digits, '-', '_')."""
    email_endpoints: Sequence[str] = ()
    """E-mail addresses that receive every alert. Each address must confirm once, from the
    message SNS sends. Default: none."""
    https_endpoints: Sequence[str] = ()
    """``https://`` URLs that receive every alert with SNS's HTTPS protocol (they must confirm
    the subscription). Slack incoming webhooks cannot: use AWS Chatbot or a forwarder (see the
    module docstring). ``http://`` and credentials in the URL are refused. Default: none."""
    kms_key_arn: pulumi.Input[str] | None = None
    """An existing KMS key for the topic. Its policy must let ``cloudwatch.amazonaws.com``,
    ``events.amazonaws.com`` and ``backup.amazonaws.com`` call ``kms:GenerateDataKey*`` and
    ``kms:Decrypt``, EventBridge without any ``aws:Source*`` condition
    (:data:`EVENTS_SERVICE`). Default: the component creates such a key, with rotation on."""
    event_rule_name_prefix: str = ""
    """Only EventBridge rules of this account and region whose names start with this may
    publish, e.g. ``storefront-prod-`` for the stack's own rules. Default: any rule of this
    account and region."""
    key_deletion_window_days: int = 30
    """Deletion window of the component's own key, 7 to 30 days (ignored with ``kms_key_arn``)."""
    protect: bool = False
    """Protect the key and retain it if it leaves the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "AlertingArgs."
        if not TOPIC_NAME.match(self.topic_name):
            problems.append(
                invalid(
                    name + "topic_name",
                    self.topic_name,
                    "1 to 256 letters, digits, '-' and '_'",
                )
            )
        problems.extend(email_problems(self.email_endpoints, name + "email_endpoints"))
        if not RULE_NAME_PREFIX.match(self.event_rule_name_prefix):
            problems.append(
                invalid(
                    name + "event_rule_name_prefix",
                    self.event_rule_name_prefix,
                    "0 to 63 letters, digits, '.', '_' and '-' (the start of a rule name)",
                )
            )
        problems.extend(https_endpoints_problems(self.https_endpoints, name + "https_endpoints"))
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        if problems:
            raise ConfigError(problems)


class Alerting(pulumi.ComponentResource):
    """One KMS-encrypted SNS topic that alarms, EventBridge and Backup publish to.

    Outputs:
        topic_arn: ARN of the topic; give it to alarms as ``alarm_actions``/``ok_actions``,
            to AWS Backup vault notifications and to AWS Chatbot.
        topic_name: Name of the topic.
        kms_key_arn: ARN of the key that encrypts the topic's messages at rest.
    """

    TOKEN = "slipway:index:Alerting"

    topic_arn: pulumi.Output[str]
    topic_name: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)

        kms_key_arn = given_or_new_key_arn(
            args.kms_key_arn,
            f"{name}-key",
            lambda: EncryptionKeyArgs(
                description=f"Encrypts the messages of SNS topic {args.topic_name}",
                alias=f"sns/{args.topic_name}",
                deletion_window_days=args.key_deletion_window_days,
                services=key_service_access(identity.account_id),
                protect=args.protect,
                tags=args.tags,
            ),
            parent=self,
        )

        topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id=kms_key_arn,
            signature_version=2,
            tags=dict(args.tags),
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=policy_document(
                topic_policy_statements(
                    topic.arn,
                    partition.partition,
                    region.region,
                    identity.account_id,
                    args.event_rule_name_prefix,
                )
            ),
            opts=child,
        )
        for email in args.email_endpoints:
            aws.sns.TopicSubscription(
                f"{name}-email-{_endpoint_id(email)}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        for url in args.https_endpoints:
            aws.sns.TopicSubscription(
                f"{name}-https-{_endpoint_id(url)}",
                topic=topic.arn,
                protocol="https",
                endpoint=url,
                opts=child,
            )

        self.topic_arn = topic.arn
        self.topic_name = topic.name
        self.kms_key_arn = pulumi.Output.from_input(kms_key_arn)
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "topic_name": self.topic_name,
                "kms_key_arn": self.kms_key_arn,
            }
        )
