"""``Alerting`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class AlertingArgs(TypedDict):
    """Arguments of :class:`Alerting`. Every default is the secure choice."""

    topic_name: str
    """Name of the SNS topic, e.g. ``storefront-prod-alerts`` (letters, digits, '-', '_')."""
    email_endpoints: NotRequired[list[str]]
    """E-mail addresses that receive every alert. Each address must confirm once, from the message
    SNS sends. Default: none."""
    https_endpoints: NotRequired[list[str]]
    """``https://`` URLs that receive every alert with SNS's HTTPS protocol (they must confirm the
    subscription). Slack incoming webhooks cannot: use AWS Chatbot or a forwarder (see the
    module docstring). ``http://`` and credentials in the URL are refused. Default: none."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """An existing KMS key for the topic. Its policy must let ``cloudwatch.amazonaws.com``,
    ``events.amazonaws.com`` and ``backup.amazonaws.com`` call ``kms:GenerateDataKey*`` and
    ``kms:Decrypt``, EventBridge without any ``aws:Source*`` condition (:data:`EVENTS_SERVICE`).
    Default: the component creates such a key, with rotation on."""
    event_rule_name_prefix: NotRequired[str]
    """Only EventBridge rules of this account and region whose names start with this may publish,
    e.g. ``storefront-prod-`` for the stack's own rules. Default: any rule of this account and
    region."""
    key_deletion_window_days: NotRequired[int]
    """Deletion window of the component's own key, 7 to 30 days (ignored with ``kms_key_arn``).
    Default: 30."""
    protect: NotRequired[bool]
    """Protect the key and retain it if it leaves the program. On in prod. Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


class Alerting(pulumi.ComponentResource):
    """One KMS-encrypted SNS topic that alarms, EventBridge and Backup publish to."""

    topic_arn: pulumi.Output[str]
    """ARN of the topic: for alarm actions, AWS Backup vault notifications and AWS Chatbot."""
    topic_name: pulumi.Output[str]
    """Name of the topic."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the key that encrypts the topic's messages at rest."""

    def __init__(
        self, name: str, args: AlertingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:Alerting", name, None, opts)
        inner = slipway.Alerting(
            name, typed_args(slipway.AlertingArgs, args), pulumi.ResourceOptions(parent=self)
        )
        self.topic_arn = inner.topic_arn
        self.topic_name = inner.topic_name
        self.kms_key_arn = inner.kms_key_arn
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "topic_name": self.topic_name,
                "kms_key_arn": self.kms_key_arn,
            }
        )
