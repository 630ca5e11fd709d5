"""The accepted parliament findings are exact: nothing broader slips through; the trust
evaluator the tests rely on reads conditions the way IAM documents them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_checks import parliament_findings, trust_allows

PROVIDER = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"


def _policy(action: str, resource: str | list[str] = "*") -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def test_accepted_findings_are_accepted() -> None:
    assert parliament_findings(_policy("ecr:GetAuthorizationToken")) == []
    assert parliament_findings(_policy("ecs:RegisterTaskDefinition")) == []


def test_parliament_knows_stop_service_deployment_and_its_resource_types() -> None:
    """The action added to parliament's data (tests/iam_checks.py) is checked like the others:
    unknown no more, and on an ARN of another resource type it is a mismatch."""
    deployments = "arn:aws:ecs:eu-west-1:111122223333:service-deployment/c/s/*"
    own: Any = ["arn:aws:ecs:eu-west-1:111122223333:service/c/s", deployments]
    assert parliament_findings(_policy("ecs:StopServiceDeployment", own)) == []
    # Both resource types are required (as for DescribeServiceDeployments).
    alone = parliament_findings(_policy("ecs:StopServiceDeployment", deployments))
    assert any(f.startswith("RESOURCE_MISMATCH") for f in alone), alone
    star = parliament_findings(_policy("ecs:StopServiceDeployment"))
    assert any(f.startswith("RESOURCE_STAR") for f in star), star
    bucket = parliament_findings(_policy("ecs:StopServiceDeployment", "arn:aws:s3:::b/*"))
    assert any(f.startswith("RESOURCE_MISMATCH") for f in bucket), bucket
    assert parliament_findings(_policy("ecs:StopServiceDeploymentz", own))


def test_other_resource_star_findings_are_not() -> None:
    assert parliament_findings(_policy("ecs:UpdateService"))
    assert parliament_findings(_policy("s3:GetObject"))


def _trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                **statement,
            }
            for statement in statements
        ],
    }


def _claims(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, str]:
    return {SUB: sub, AUD: aud}


def test_string_equals_is_exact_and_case_sensitive_and_ors_listed_values() -> None:
    document = _trust(
        {
            "Condition": {
                "StringEquals": {AUD: "sts.amazonaws.com", SUB: ["repo:a/b:x", "repo:c/d:x"]}
            }
        }
    )
    assert trust_allows(document, _claims("repo:a/b:x"), PROVIDER)
    assert trust_allows(document, _claims("repo:c/d:x"), PROVIDER)
    assert not trust_allows(document, _claims("repo:A/b:x"), PROVIDER)
    assert not trust_allows(document, _claims("repo:a/b:x", aud="other"), PROVIDER)
    assert not trust_allows(document, {SUB: "repo:a/b:x"}, PROVIDER)  # no aud at all
    assert not trust_allows(document, _claims("repo:a/b:x"), PROVIDER.replace("1111", "9999"))


@pytest.mark.parametrize(
    ("pattern", "sub", "allowed"),
    [
        ("repo:a/b:*", "repo:a/b:environment:prod", True),
        ("repo:a/b:*", "repo:a/bb:environment:prod", False),
        ("repo:a@?/b@*:pull_request", "repo:a@1/b@42:pull_request", True),
        ("repo:a@?/b@*:pull_request", "repo:a@12/b@42:pull_request", False),
        ("repo:a/b.c:*", "repo:a/bxc:pull_request", False),  # '.' is literal
    ],
)
def test_string_like_wildcards(pattern: str, sub: str, allowed: bool) -> None:
    document = _trust({"Condition": {"StringLike": {SUB: pattern}}})
    assert trust_allows(document, _claims(sub), PROVIDER) is allowed


def test_an_explicit_deny_wins_and_other_operators_are_not_guessed() -> None:
    allow = {"Condition": {"StringLike": {SUB: "repo:a/*"}}}
    deny = {"Effect": "Deny", "Condition": {"StringEquals": {SUB: "repo:a/secret:x"}}}
    document = _trust(allow, deny)
    assert trust_allows(document, _claims("repo:a/open:x"), PROVIDER)
    assert not trust_allows(document, _claims("repo:a/secret:x"), PROVIDER)
    with pytest.raises(NotImplementedError, match="ForAnyValue:StringLike"):
        trust_allows(
            _trust({"Condition": {"ForAnyValue:StringLike": {SUB: "*"}}}),
            _claims("x"),
            PROVIDER,
        )


def test_the_privilege_index_answers_as_parliaments_scan() -> None:
    """Every (prefix, privilege) of parliament's definition, and an unknown action."""
    from tests.iam_checks import _parliament

    parliament = _parliament()
    indexed = parliament.statement.get_privilege_info
    scan = indexed.scan
    pairs = {
        (service["prefix"], privilege["privilege"])
        for service in parliament.iam_definition
        for privilege in service["privileges"]
    }
    assert len(pairs) > 15_000
    for prefix, privilege in sorted(pairs):
        assert indexed(prefix, privilege) is scan(prefix, privilege)
    with pytest.raises(parliament.statement.UnknownActionException):
        indexed("ecs", "NoSuchAction")
