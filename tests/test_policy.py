"""Policy rules: each rejects a bad resource and accepts a good one."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from policy import rules
from policy.rules import RULES, ResourceView, evaluate
from slipway.logs import retention_problems
from tooling.offline import ROOT

PROD_TAGS = {"tags": {"slipway:profile": "prod"}}


def view(
    type_: str, props: dict[str, Any], protect: bool = False, retain: bool | None = False
) -> ResourceView:
    return ResourceView.of(type_, "r", props, protect, retain)


def trust(sub: Any, aud: str = "sts.amazonaws.com", operator: str = "StringEquals") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": "arn:aws:iam::111122223333:oidc-provider/"
                        "token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        operator: {
                            "token.actions.githubusercontent.com:aud": aud,
                            "token.actions.githubusercontent.com:sub": sub,
                        }
                    },
                }
            ],
        }
    )


GOOD_REPO = {
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": True},
    "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:…"}],
}
ECR = "aws:ecr/repository:Repository"
SERVICE = "aws:ecs/service:Service"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GOOD_SERVICE = {
    "networkConfiguration": {"assignPublicIp": False},
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
}
PROD_SERVICE = {
    "tags": {"slipway:profile": "prod"},
    "deploymentConfiguration": {"strategy": "CANARY"},
    "alarms": {"enable": True, "rollback": True, "alarmNames": ["shop-prod-target-5xx"]},
}

# rule function, good resource, bad resource, fragment of the bad resource's message
CASES: list[tuple[Any, ResourceView, ResourceView, str]] = [
    (
        rules.ecr_immutable_scanned_encrypted,
        view(ECR, GOOD_REPO),
        view(ECR, {**GOOD_REPO, "imageTagMutability": "MUTABLE"}),
        "IMMUTABLE",
    ),
    (
        rules.ecr_immutable_scanned_encrypted,
        view(ECR, GOOD_REPO),
        view(ECR, {**GOOD_REPO, "encryptionConfigurations": [{"encryptionType": "AES256"}]}),
        "customer-managed KMS key",
    ),
    (
        rules.ecr_immutable_scanned_encrypted,
        view(ECR, GOOD_REPO),
        view(ECR, {**GOOD_REPO, "imageScanningConfiguration": {"scanOnPush": False}}),
        "scanOnPush",
    ),
    (
        rules.no_public_ip_on_tasks,
        view(SERVICE, GOOD_SERVICE),
        view(SERVICE, {**GOOD_SERVICE, "networkConfiguration": {"assignPublicIp": True}}),
        "assignPublicIp",
    ),
    (
        rules.no_world_open_ports,
        view(
            INGRESS, {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"}
        ),
        view(INGRESS, {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"}),
        "only 80 and 443",
    ),
    (
        rules.no_world_open_ports,
        view(INGRESS, {"cidrIpv4": "10.0.0.0/16", "ipProtocol": "-1"}),
        view(INGRESS, {"cidrIpv6": "::/0", "ipProtocol": "-1"}),
        "ports all",
    ),
    (
        rules.no_world_open_ports,
        view(
            "aws:ec2/securityGroup:SecurityGroup",
            {
                "ingress": [
                    {"cidrBlocks": ["0.0.0.0/0"], "fromPort": 80, "toPort": 80, "protocol": "tcp"}
                ]
            },
        ),
        view(
            "aws:ec2/securityGroup:SecurityGroup",
            {
                "ingress": [
                    {"cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "toPort": 65535, "protocol": "tcp"}
                ]
            },
        ),
        "world-open",
    ),
    (
        rules.log_retention_set,
        view("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}),
        view("aws:cloudwatch/logGroup:LogGroup", {}),
        "kept forever",
    ),
    (
        rules.kms_rotation_on,
        view("aws:kms/key:Key", {"enableKeyRotation": True}),
        view("aws:kms/key:Key", {"enableKeyRotation": False}),
        "enableKeyRotation",
    ),
    (
        rules.oidc_trust_scoped,
        view("aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/shop:environment:prod")}),
        view("aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/*:environment:prod")}),
        "exactly one subject",
    ),
    (
        rules.oidc_trust_scoped,
        view("aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/shop-infra:pull_request")}),
        view(
            "aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/shop:ref:refs/heads/main")}
        ),
        "must be repo:<owner>/<repo>:environment:<name>",
    ),
    (
        rules.oidc_trust_scoped,
        view("aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/shop:environment:dev")}),
        view(
            "aws:iam/role:Role",
            {"assumeRolePolicy": trust("repo:acme/shop:environment:dev", aud="x")},
        ),
        "aud = sts.amazonaws.com",
    ),
    (
        rules.oidc_trust_scoped,
        view(
            "aws:iam/role:Role",
            {"assumeRolePolicy": trust("repo:acme@4821/shop@90210:environment:prod")},
        ),
        view(
            "aws:iam/role:Role",
            {"assumeRolePolicy": trust("repo:acme@/shop@90210:environment:prod")},
        ),
        "<owner>@<owner-id>/<repo>@<repo-id>",
    ),
    (
        rules.oidc_trust_scoped,
        view(
            "aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme@4821/shop@9:pull_request")}
        ),
        view(
            "aws:iam/role:Role",
            {"assumeRolePolicy": trust("repo:acme@4821/shop@9:environment:prod:extra")},
        ),
        "must be repo:<owner>/<repo>:environment:<name>",
    ),
    (
        rules.oidc_trust_scoped,
        view("aws:iam/role:Role", {"assumeRolePolicy": trust("repo:acme/shop:environment:dev")}),
        view(
            "aws:iam/role:Role",
            {"assumeRolePolicy": trust("repo:acme/shop:environment:dev", operator="StringLike")},
        ),
        "StringEquals",
    ),
    (
        rules.roles_bounded,
        view(
            "aws:iam/role:Role",
            {"permissionsBoundary": "arn:aws:iam::111122223333:policy/shop-dev-ci-boundary"},
        ),
        view("aws:iam/role:Role", {"assumeRolePolicy": "{}"}),
        "permissions boundary",
    ),
    (
        rules.prod_stateful_protected,
        view("aws:kms/key:Key", PROD_TAGS, protect=True, retain=True),
        view("aws:kms/key:Key", PROD_TAGS, protect=True, retain=False),
        "protected and retained",
    ),
    (
        rules.circuit_breaker_with_rollback,
        view(SERVICE, GOOD_SERVICE),
        view(
            SERVICE,
            {**GOOD_SERVICE, "deploymentCircuitBreaker": {"enable": True, "rollback": False}},
        ),
        "rollback",
    ),
    (
        rules.prod_progressive_with_alarms,
        view(SERVICE, {**GOOD_SERVICE, **PROD_SERVICE}),
        view(SERVICE, {**GOOD_SERVICE, **PROD_SERVICE, "deploymentConfiguration": {}}),
        "CANARY, LINEAR or BLUE_GREEN",
    ),
    (
        rules.prod_progressive_with_alarms,
        view(SERVICE, {**GOOD_SERVICE, **PROD_SERVICE}),
        view(SERVICE, {**GOOD_SERVICE, **PROD_SERVICE, "alarms": None}),
        "roll back on CloudWatch alarms",
    ),
]


@pytest.mark.parametrize("strategy", ["CANARY", "LINEAR", "BLUE_GREEN"])
def test_prod_accepts_every_progressive_strategy_and_dev_stays_free(strategy: str) -> None:
    prod = {**GOOD_SERVICE, **PROD_SERVICE, "deploymentConfiguration": {"strategy": strategy}}
    assert rules.prod_progressive_with_alarms(view(SERVICE, prod)) == []
    rolling = {**prod, "deploymentConfiguration": {"strategy": "ROLLING"}, "alarms": None}
    assert len(rules.prod_progressive_with_alarms(view(SERVICE, rolling))) == 2
    dev = {**rolling, "tags": {"slipway:profile": "dev"}}
    assert rules.prod_progressive_with_alarms(view(SERVICE, dev)) == []


def test_the_prod_stack_passes_and_a_rolling_prod_stack_fails() -> None:
    from tests.conftest import recorded
    from tooling.offline import run_stack
    from tooling.plan import policy_violations

    assert policy_violations(recorded("prod")) == []
    rolling = run_stack("prod", overrides={"deploymentStrategy": "rolling"})
    assert policy_violations(rolling) == [
        "[prod-progressive-with-alarms] service-service: a prod service must deploy with a "
        "CANARY, LINEAR or BLUE_GREEN deploymentConfiguration.strategy, not ROLLING"
    ]


@pytest.mark.parametrize(
    ("check", "good", "bad", "fragment"),
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_accepts_good_and_rejects_bad(
    check: Any, good: ResourceView, bad: ResourceView, fragment: str
) -> None:
    assert check(good) == []
    problems = check(bad)
    assert problems
    assert any(fragment in p for p in problems), problems


def test_every_resource_rule_has_a_case() -> None:
    covered = {c[0] for c in CASES}
    assert {r.check for r in RULES if r.check is not None} <= covered


def test_rules_ignore_other_types_and_non_prod() -> None:
    other = view("aws:sns/topic:Topic", {})
    assert all(rule.check(other) == [] for rule in RULES if rule.check is not None)
    dev_key = view(
        "aws:kms/key:Key", {"enableKeyRotation": True, "tags": {"slipway:profile": "dev"}}
    )
    assert rules.prod_stateful_protected(dev_key) == []


def test_unknown_retention_counts_as_protected_when_crossguard_cannot_see_it() -> None:
    key = view("aws:kms/key:Key", PROD_TAGS, protect=True, retain=None)
    assert rules.prod_stateful_protected(key) == []
    assert rules.prod_stateful_protected(view("aws:kms/key:Key", PROD_TAGS, retain=None))


def test_prod_backups_must_be_copied_and_locked() -> None:
    plan = "aws:backup/plan:Plan"
    lock = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    marker = view("aws:kms/key:Key", PROD_TAGS)
    copied = view(
        plan, {"rules": [{"ruleName": "daily", "copyActions": [{"destinationVaultArn": "x"}]}]}
    )
    uncopied = view(plan, {"rules": [{"ruleName": "daily"}]})
    assert rules.prod_backups_copied_and_locked([marker, copied, view(lock, {})]) == []
    assert rules.prod_backups_copied_and_locked([marker]) == ["prod stack has no AWS Backup plan"]
    problems = rules.prod_backups_copied_and_locked([marker, uncopied])
    assert any("copies to another region" in p for p in problems)
    assert any("not locked" in p for p in problems)
    assert rules.prod_backups_copied_and_locked([view(plan, {})]) == []  # not a prod stack


def test_evaluate_prefixes_rule_names() -> None:
    bad = view("aws:kms/key:Key", {"enableKeyRotation": False})
    assert evaluate([bad]) == ["[kms-rotation-on] r: enableKeyRotation must be true"]


def test_pack_is_declared_for_the_pulumi_cli() -> None:
    declared = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert declared["runtime"]["name"] == "python"
    assert "PolicyPack(" in (ROOT / "policy" / "__main__.py").read_text()


@pytest.mark.parametrize("days", [1, 10, 30, 3654])
def test_log_retention_rule_is_the_components_rule(days: int) -> None:
    """The pack refuses exactly the retentions the components refuse (one rule, in
    components/slipway/logs.py), naming the resource and the property."""
    found = rules.log_retention_set(
        view("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": float(days)})
    )
    assert found == retention_problems(days, "r: retentionInDays")
    assert bool(found) == (days in (10, 3654))
