"""Alerting: the topic, its key and policy, and its subscriptions, as the program sends them."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway.alerting import (
    PUBLISHING_SERVICES,
    Alerting,
    AlertingArgs,
    https_endpoint_problem,
)
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tests.iam_checks import parliament_findings
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
SERVICES = {"cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com"}
"""Written out here, not imported: the test states what the issue asks for."""


def alerting(run: Runner, region: str = "eu-west-1", **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = AlertingArgs(**{"topic_name": "shop-dev-alerts", **overrides})
        component = Alerting("alerts", args)
        return {"topic": component.topic_arn, "key": component.kms_key_arn}

    return run(program, region=region)


def subscriptions(recording: Recording) -> dict[str, tuple[str, str]]:
    return {
        s.name: (s.inputs["protocol"], s.inputs["endpoint"])
        for s in recording.of_type(SUBSCRIPTION)
    }


def test_topic_is_encrypted_with_its_own_key_and_signs_with_sha256(run_component: Runner) -> None:
    recording = alerting(run_component, tags={"team": "shop"})
    topic = recording.one(TOPIC)
    assert topic.inputs["name"] == "shop-dev-alerts"
    assert topic.inputs["signatureVersion"] == 2
    assert topic.inputs["tags"] == {"team": "shop"}
    key_arn = topic.inputs["kmsMasterKeyId"]
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert any(dep.endswith("::alerts-key-key") for dep in topic.dependencies)
    assert recording.outputs["key"] == key_arn
    assert recording.outputs["topic"] == f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:shop-dev-alerts"
    key = recording.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["tags"] == {"team": "shop"}
    assert recording.one("aws:kms/alias:Alias").inputs["name"] == "alias/sns/shop-dev-alerts"


def test_key_policy_lets_the_publishing_services_use_the_key_for_this_account_only(
    run_component: Runner,
) -> None:
    statements = alerting(run_component).one(KEY).json_input("policy")["Statement"]
    account, *services = statements
    assert account["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert {s["Principal"]["Service"] for s in services} == SERVICES
    for statement in services:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        if statement["Principal"]["Service"] != "events.amazonaws.com":
            assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def key_allows(policy: dict[str, Any], service: str, action: str) -> bool:
    """Does the key policy let ``service`` call ``action`` when the request carries no
    ``aws:Source*`` key, as when EventBridge publishes to an encrypted topic?"""
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if (
            statement["Effect"] == "Allow"
            and statement.get("Principal") == {"Service": service}
            and any(action == a or (a.endswith("*") and action.startswith(a[:-1])) for a in actions)
            and "Condition" not in statement
        ):
            return True
    return False


def test_eventbridge_may_use_the_key_without_a_source_condition(run_component: Runner) -> None:
    # SNS: "Adding the aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to a AWS KMS
    # policy is not supported for EventBridge-to-encrypted topics": with one, every publish
    # from a rule fails at KMS.
    policy = alerting(run_component).one(KEY).json_input("policy")
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert key_allows(policy, "events.amazonaws.com", action)
    (events,) = [
        s for s in policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    assert events["Resource"] == "*"  # a key policy's own key
    # Parliament reads policies as identity policies, where "*" is every key; in a key policy
    # it is this key, so it gets the key's ARN. The account root's administration statement
    # is the standard key policy and not this test's business.
    key_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    services = [
        {**s, "Resource": key_arn} for s in policy["Statement"] if "Service" in s["Principal"]
    ]
    assert parliament_findings({"Version": "2012-10-17", "Statement": services}) == []


def source_arn_allowed(statement: dict[str, Any], source_arn: str) -> bool:
    """IAM's ``ArnLike`` on ``aws:SourceArn`` (``*`` matches any run of characters)."""
    pattern = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    return fnmatch.fnmatchcase(source_arn, pattern)


def test_only_this_stacks_rules_may_publish(run_component: Runner) -> None:
    recording = alerting(run_component, event_rule_name_prefix="storefront-prod-")
    policy = recording.one("aws:sns/topicPolicy:TopicPolicy").json_input("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    events = statements["AllowEventsPublish"]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    # aws:SourceArn alone, as EventBridge documents it for its targets' resource policies.
    assert list(events["Condition"]) == ["ArnLike"]
    rule = f"arn:aws:events:eu-west-1:{ACCOUNT_ID}:rule/"
    assert source_arn_allowed(events, rule + "storefront-prod-backup-job-failed")
    assert not source_arn_allowed(events, rule + "storefront-staging-backup-job-failed")
    assert not source_arn_allowed(
        events, "arn:aws:events:eu-west-1:999988887777:rule/storefront-prod-backup-job-failed"
    )
    assert not source_arn_allowed(
        events, f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/storefront-prod-x"
    )
    assert parliament_findings(policy) == []


def test_a_rule_name_prefix_aws_cannot_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"AlertingArgs\.event_rule_name_prefix: got 'prod/'"):
        AlertingArgs(topic_name="t", event_rule_name_prefix="prod/")


def test_topic_policy_allows_service_publishing_scoped_and_denies_plain_http(
    run_component: Runner,
) -> None:
    recording = alerting(run_component, region="us-east-2")
    topic_arn = f"arn:aws:sns:us-east-2:{ACCOUNT_ID}:shop-dev-alerts"
    policy = recording.one("aws:sns/topicPolicy:TopicPolicy")
    assert policy.inputs["arn"] == topic_arn
    statements = {s["Sid"]: s for s in policy.json_input("policy")["Statement"]}
    expected_sources = {
        "cloudwatch.amazonaws.com": f"arn:aws:cloudwatch:us-east-2:{ACCOUNT_ID}:alarm:*",
        "events.amazonaws.com": f"arn:aws:events:us-east-2:{ACCOUNT_ID}:rule/*",
        "backup.amazonaws.com": f"arn:aws:backup:us-east-2:{ACCOUNT_ID}:backup-vault:*",
    }
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == SERVICES
    for statement in allows:
        service = statement["Principal"]["Service"]
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == topic_arn
        source = {"ArnLike": {"aws:SourceArn": expected_sources[service]}}
        if service == "events.amazonaws.com":  # the rule ARN names the account
            assert statement["Condition"] == source
        else:
            assert statement["Condition"] == {
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                **source,
            }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Resource"] == topic_arn
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(PUBLISHING_SERVICES) == SERVICES


def test_subscriptions_follow_the_arguments(run_component: Runner) -> None:
    recording = alerting(
        run_component,
        email_endpoints=("ops@example.com", "oncall+shop@example.org"),
        https_endpoints=("https://hooks.example.com/sns/alerts",),
    )
    subs = recording.of_type(SUBSCRIPTION)
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subs) == [
        ("email", "oncall+shop@example.org"),
        ("email", "ops@example.com"),
        ("https", "https://hooks.example.com/sns/alerts"),
    ]
    topic_arn = f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:shop-dev-alerts"
    for sub in subs:
        assert sub.inputs["topic"] == topic_arn
        assert sub.parent_name == "alerts"
        # No address in the logical name (URNs are logged and shown in the console).
        assert "@" not in sub.name
        assert "example" not in sub.name


def test_no_subscriptions_by_default(run_component: Runner) -> None:
    assert alerting(run_component).of_type(SUBSCRIPTION) == []


def test_reordering_endpoints_keeps_every_subscription(run_component: Runner) -> None:
    emails = ("a@example.com", "b@example.com", "c@example.com")
    first = subscriptions(alerting(run_component, email_endpoints=emails))
    second = subscriptions(alerting(run_component, email_endpoints=tuple(reversed(emails))))
    assert first == second
    assert len(first) == 3


def test_an_existing_key_is_used_as_given(run_component: Runner) -> None:
    existing = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
    recording = alerting(run_component, kms_key_arn=existing)
    assert recording.of_type(KEY) == []
    assert recording.of_type("slipway:index:EncryptionKey") == []
    assert recording.one(TOPIC).inputs["kmsMasterKeyId"] == existing
    assert recording.outputs["key"] == existing


def test_protect_covers_the_key(run_component: Runner) -> None:
    recording = alerting(run_component, protect=True)
    key = recording.one(KEY)
    assert key.protect
    assert key.retain_on_delete
    assert not alerting(run_component).one(KEY).protect


def test_requests_match_the_sns_api_model(run_component: Runner) -> None:
    recording = alerting(
        run_component,
        email_endpoints=("ops@example.com",),
        https_endpoints=("https://hooks.example.com/sns",),
        tags={"team": "shop"},
    )
    model = service_model("sns")
    topic = recording.one(TOPIC).inputs
    policy = recording.one("aws:sns/topicPolicy:TopicPolicy").inputs
    botocore.validate.validate_parameters(
        {
            "Name": topic["name"],
            "Attributes": {
                "KmsMasterKeyId": topic["kmsMasterKeyId"],
                "SignatureVersion": str(int(topic["signatureVersion"])),
                "Policy": policy["policy"],
            },
            "Tags": [{"Key": k, "Value": v} for k, v in topic["tags"].items()],
        },
        model.operation_model("CreateTopic").input_shape,
    )
    for sub in recording.of_type(SUBSCRIPTION):
        botocore.validate.validate_parameters(
            {
                "TopicArn": sub.inputs["topic"],
                "Protocol": sub.inputs["protocol"],
                "Endpoint": sub.inputs["endpoint"],
            },
            model.operation_model("Subscribe").input_shape,
        )
    assert json.loads(policy["policy"])["Version"] == "2012-10-17"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/sns", "not https://"),
        ("https://user:secret@hooks.example.com/sns", "credentials"),
        ("https://localhost/sns", "host name"),
        ("https://hooks.example.com:99999/sns", "not a URL"),
        ("hooks.example.com/sns", "not https://"),
        ("https://hooks.example.com/a b", "spaces"),
    ],
)
def test_https_endpoint_problems(url: str, reason: str) -> None:
    problem = https_endpoint_problem(url)
    assert problem is not None
    assert reason in problem


def test_slack_and_chatbot_style_urls_are_accepted() -> None:
    assert https_endpoint_problem("https://hooks.slack.com/services/T000/B000/XXXX") is None
    assert https_endpoint_problem("https://global.sns-api.chatbot.amazonaws.com") is None
    assert https_endpoint_problem("https://hooks.example.com:8443/sns?team=shop") is None


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"email_endpoints": ("not-an-address",)}, "AlertingArgs.email_endpoints"),
        ({"email_endpoints": ("ops@localhost",)}, "AlertingArgs.email_endpoints"),
        ({"email_endpoints": ("a@example.com", "a@example.com")}, "AlertingArgs.email_endpoints"),
        ({"https_endpoints": ("http://hooks.example.com/x",)}, "AlertingArgs.https_endpoints"),
        (
            {"https_endpoints": ("https://u:p@hooks.example.com/x",)},
            "AlertingArgs.https_endpoints",
        ),
        ({"topic_name": "alerts.fifo"}, "AlertingArgs.topic_name"),
        ({"topic_name": ""}, "AlertingArgs.topic_name"),
        ({"key_deletion_window_days": 3}, "AlertingArgs.key_deletion_window_days"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        alerting(run_component, **overrides)
    (problem,) = caught.value.problems
    assert problem.startswith(setting + ": got ")
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        AlertingArgs(
            topic_name="bad name",
            email_endpoints=("nope",),
            https_endpoints=("http://x.example.com",),
        )
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "AlertingArgs.topic_name",
        "AlertingArgs.email_endpoints",
        "AlertingArgs.https_endpoints",
    ]
