"""The accepted parliament findings are exact: nothing broader slips through."""

from __future__ import annotations

from tests.iam_checks import parliament_findings


def _policy(action: str, resource: str = "*") -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def test_accepted_findings_are_accepted() -> None:
    assert parliament_findings(_policy("ecr:GetAuthorizationToken")) == []
    assert parliament_findings(_policy("ecs:RegisterTaskDefinition")) == []


def test_other_resource_star_findings_are_not() -> None:
    assert parliament_findings(_policy("ecs:UpdateService"))
    assert parliament_findings(_policy("s3:GetObject"))
