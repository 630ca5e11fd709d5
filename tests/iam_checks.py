"""IAM document checks shared by the tests: moto's validators and parliament."""

from __future__ import annotations

import json
from typing import Any

import parliament
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

ACCEPTED_FINDINGS: dict[tuple[str, tuple[str, ...]], str] = {
    ("CREDENTIALS_EXPOSURE", ("ecr:getauthorizationtoken",)): (
        "ECR's login token: `docker login` to ECR cannot work without it and the action has no "
        "resource-level permissions; what the token may do is still limited by the repository "
        "statements next to it."
    ),
    ("RESOURCE_STAR", ("ecs:registertaskdefinition",)): (
        "RegisterTaskDefinition has no usable resource-level permission yet "
        "(aws/containers-roadmap#929); the deploy role can only update its own service to its "
        "own family, and PassRole bounds the roles a revision may name."
    ),
    ("PERMISSIONS_MANAGEMENT_ACTIONS", ("iam:passrole",)): (
        "A deploy registers task definitions that name the task and execution roles: PassRole "
        "on exactly those two ARNs, and only to ecs-tasks.amazonaws.com."
    ),
}
"""The only parliament findings a Slipway permission policy may have, each with its reason."""


def _text(document: str | dict[str, Any]) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def parliament_findings(document: str | dict[str, Any]) -> list[str]:
    """Parliament's findings (community auditors on) minus :data:`ACCEPTED_FINDINGS`."""
    analysed = parliament.analyze_policy_string(_text(document), include_community_auditors=True)
    left = []
    for finding in analysed.findings:
        listed = finding.location.get("actions") or (
            finding.detail if isinstance(finding.detail, list) else []
        )
        actions = tuple(sorted(str(a).lower() for a in listed))
        if (finding.issue, actions) not in ACCEPTED_FINDINGS:
            left.append(repr(finding))
    return left


def assert_valid_permission_policy(document: str | dict[str, Any]) -> None:
    """AWS would accept it (moto's validator) and parliament finds nothing wrong."""
    IAMPolicyDocumentValidator(_text(document)).validate()
    assert parliament_findings(document) == []
    parsed = json.loads(_text(document))
    for statement in parsed["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert "*" not in actions, statement
        if "iam:PassRole" in actions:
            assert statement["Resource"] not in ("*", ["*"]), statement


def assert_valid_trust_policy(document: str | dict[str, Any]) -> None:
    """AWS would accept it as an assume-role policy (moto's validator)."""
    IAMTrustPolicyDocumentValidator(_text(document)).validate()
