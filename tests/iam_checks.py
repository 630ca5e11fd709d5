"""IAM document checks shared by the tests: moto's validators and parliament."""

from __future__ import annotations

import functools
import gc
import json
import re
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

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
    ("PERMISSIONS_MANAGEMENT_ACTIONS", ("kms:creategrant", "kms:retiregrant")): (
        "The role ECR assumes for the replicas' creation template: ECR grants itself use of the "
        "replica key for each repository it creates (Amazon ECR User Guide, 'Create a custom "
        "policy for repository creation templates'); on that one key only."
    ),
}
"""The only parliament findings a Slipway permission policy may have, each with its reason."""

NEWER_ACTIONS: dict[str, dict[str, Any]] = {
    "ecs": {
        "privilege": "StopServiceDeployment",
        "description": "Grants permission to stop an ongoing service deployment",
        "access_level": "Write",
        "resource_types": [
            {
                "resource_type": "service*",
                "condition_keys": ["ecs:cluster", "aws:ResourceTag/${TagKey}"],
                "dependent_actions": [],
            },
            {
                "resource_type": "service-deployment*",
                "condition_keys": ["ecs:cluster", "ecs:service", "aws:ResourceTag/${TagKey}"],
                "dependent_actions": [],
            },
        ],
    },
}
"""Actions newer than parliament's own copy of the Service Authorization Reference (its last
release predates them), added to that copy so that parliament checks them like any other:
``ecs:StopServiceDeployment`` (2024-10) with the resource types of its sibling
``ecs:DescribeServiceDeployments`` in parliament's copy (``service*``, ``service-deployment*``;
AWS's "Stopping Amazon ECS service deployments" page stops a deployment by its ARN). Without
it parliament reports ``UNKNOWN_ACTION`` for every policy that names the action."""


@functools.cache
def _parliament() -> ModuleType:
    """parliament, imported on first use (about 1 s), with :data:`NEWER_ACTIONS` added."""
    with warnings.catch_warnings():
        # parliament and pkg_resources open data files at import without closing them; collect
        # those here, where their warnings are ignored, so that warnings-as-errors stays on for
        # everything else.
        warnings.simplefilter("ignore")
        import parliament

        gc.collect()
    for service in parliament.iam_definition:
        entry = NEWER_ACTIONS.get(service["prefix"])
        known = {p["privilege"] for p in service["privileges"]}
        if entry is not None and entry["privilege"] not in known:
            service["privileges"].append(entry)
    _index_privileges(parliament)
    module: ModuleType = parliament
    return module


def _index_privileges(parliament: ModuleType) -> None:
    """parliament's ``statement.get_privilege_info``, answered from an index.

    parliament looks each action up by scanning every service and privilege of its definition
    (455 services): a statement with ``Action: *`` looks up some 18,000 actions, 6 of its 12 s.
    The index holds, for each (prefix, privilege), the first match that scan would find (a
    prefix can span several services); the answer, its side effect (the service's resources
    and conditions set on the privilege) and the error for an unknown action are the scan's
    (tests/test_iam_checks.py compares both over the whole definition)."""
    from parliament import statement

    index: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for service_info in parliament.iam_definition:
        for privilege_info in service_info["privileges"]:
            key = (service_info["prefix"], privilege_info["privilege"])
            index.setdefault(key, (privilege_info, service_info))
    scan: Callable[[str, str], dict[str, Any]] = statement.get_privilege_info

    def get_privilege_info(service: str, action: str) -> dict[str, Any]:
        found = index.get((service, action))
        if found is None:
            return scan(service, action)  # raises UnknownActionException, as before
        privilege_info, service_info = found
        privilege_info["service_resources"] = service_info["resources"]
        privilege_info["service_conditions"] = service_info["conditions"]
        return privilege_info

    get_privilege_info.scan = scan  # type: ignore[attr-defined]
    statement.get_privilege_info = get_privilege_info


def _text(document: str | dict[str, Any]) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def parliament_findings(document: str | dict[str, Any]) -> list[str]:
    """Parliament's findings (community auditors on) minus :data:`ACCEPTED_FINDINGS`."""
    analysed = _parliament().analyze_policy_string(_text(document), include_community_auditors=True)
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
    from moto.iam.policy_validation import IAMPolicyDocumentValidator

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
    from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

    IAMTrustPolicyDocumentValidator(_text(document)).validate()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    """IAM's ``StringLike``: ``*`` matches any run of characters, ``?`` exactly one."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _condition_holds(condition: dict[str, Any], claims: dict[str, str]) -> bool:
    """Every operator block, and every key in it, holds (IAM ANDs them; the values listed for
    one key are ORed). Keys compare case-insensitively, values case-sensitively."""
    lowered = {k.lower(): v for k, v in claims.items()}
    for operator, block in condition.items():
        for condition_key, expected in block.items():
            actual = lowered.get(condition_key.lower())
            if actual is None:
                return False
            if operator == "StringEquals":
                matched = actual in _as_list(expected)
            elif operator == "StringLike":
                matched = any(_like(p, actual) for p in _as_list(expected))
            else:
                raise NotImplementedError(f"condition operator {operator} is not evaluated here")
            if not matched:
                return False
    return True


def trust_allows(
    document: str | dict[str, Any],
    claims: dict[str, str],
    provider_arn: str,
    action: str = "sts:AssumeRoleWithWebIdentity",
) -> bool:
    """Would IAM let a web identity whose token carries ``claims`` (condition keys such as
    ``token.actions.githubusercontent.com:sub``) assume a role with this trust policy?

    Evaluates what Slipway's trust policies use (Allow and Deny statements, a federated
    principal, ``StringEquals`` and ``StringLike``); refuses to guess about anything else.
    """
    parsed = json.loads(_text(document))
    allowed = False
    for statement in _as_list(parsed["Statement"]):
        principals = _as_list((statement.get("Principal") or {}).get("Federated"))
        actions = _as_list(statement.get("Action"))
        if provider_arn not in principals or action not in actions:
            continue
        if not _condition_holds(statement.get("Condition") or {}, claims):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed
