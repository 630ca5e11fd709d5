"""The preview role reaches a preview's resources and nothing of dev, staging or prod: decided
by Principal Mapper (:mod:`tests.iam_eval`) from the role's identity policy and boundary."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from slipway.iam import POLICY_VERSION
from slipway.preview_access import (
    PreviewScope,
    preview_boundary_document,
    preview_policy_document,
)
from tests.iam_checks import parliament_findings
from tests.iam_eval import ADMINISTRATOR_ACCESS, Principal

ACCOUNT = "123456789012"
REGION = "eu-west-1"
APP = "web"
LB = "app/web-previews/50dc6c495c0c9188"
LISTENER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/{LB}/f2f7dc8efc522ab2"
SCOPE = PreviewScope(
    partition="aws",
    account_id=ACCOUNT,
    region=REGION,
    app=APP,
    cluster_name="web-dev",
    listener_arn=LISTENER,
    execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/web-preview-execution",
)
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/web-preview-ci-boundary"
ENVIRONMENTS = ("dev", "staging", "prod")


def _role(policies: dict[str, dict[str, Any]] | None = None) -> Principal:
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT}:role/web-preview-github-oidc",
        policies=policies or {"preview": preview_policy_document(SCOPE)},
        boundary_arn=BOUNDARY_ARN,
        boundary=preview_boundary_document(SCOPE),
    )


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


PREVIEW = {"aws:ResourceTag/slipway:preview": APP}
CLAIM = {"aws:RequestTag/slipway:preview": APP}
RULE = LISTENER.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee"

MANAGES = [
    ("elasticloadbalancing:CreateRule", LISTENER, CLAIM),
    ("elasticloadbalancing:ModifyRule", RULE, PREVIEW),
    ("elasticloadbalancing:DeleteRule", RULE, PREVIEW),
    ("elasticloadbalancing:AddTags", RULE, {**PREVIEW, **CLAIM}),
    (
        "elasticloadbalancing:CreateTargetGroup",
        _arn("elasticloadbalancing", "targetgroup/pr-12-web/1"),
        CLAIM,
    ),
    (
        "elasticloadbalancing:DeleteTargetGroup",
        _arn("elasticloadbalancing", "targetgroup/pr-12-web/1"),
        PREVIEW,
    ),
    ("ecs:CreateService", _arn("ecs", "service/web-dev/pr-12-web"), CLAIM),
    ("ecs:UpdateService", _arn("ecs", "service/web-dev/pr-12-web"), PREVIEW),
    ("ecs:DeleteService", _arn("ecs", "service/web-dev/pr-12-web"), PREVIEW),
    ("ecs:RegisterTaskDefinition", _arn("ecs", "task-definition/pr-12-web:3"), CLAIM),
    ("ecs:DeleteTaskDefinitions", _arn("ecs", "task-definition/pr-12-web:3"), PREVIEW),
    ("logs:CreateLogGroup", _arn("logs", "log-group:/slipway/previews/pr-12-web"), CLAIM),
    ("logs:DeleteLogGroup", _arn("logs", "log-group:/slipway/previews/pr-12-web"), {}),
    ("logs:PutRetentionPolicy", _arn("logs", "log-group:/slipway/previews/pr-12-web"), {}),
    ("elasticloadbalancing:DescribeRules", "*", {}),
    # preview-wait.sh: the new revision's tasks, and their targets' health.
    ("elasticloadbalancing:DescribeTargetHealth", "*", {}),
    ("ecs:ListTasks", "*", {"ecs:cluster": SCOPE.cluster}),
    ("ecs:DescribeTasks", _arn("ecs", "task/web-dev/0f3c9a"), {"ecs:cluster": SCOPE.cluster}),
]


@pytest.mark.parametrize(("action", "resource", "context"), MANAGES, ids=lambda v: str(v)[-40:])
def test_the_preview_role_manages_a_previews_resources(
    action: str, resource: str, context: dict[str, str]
) -> None:
    assert _role().allows(action, resource, context)


def test_the_preview_role_passes_only_the_preview_execution_role_to_ecs_tasks() -> None:
    passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    assert _role().allows("iam:PassRole", SCOPE.execution_role_arn, passed)
    for env in ENVIRONMENTS:
        assert not _role().allows(
            "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/web-{env}-task", passed
        )


def _environment_resources(env: str) -> list[tuple[str, str, dict[str, str]]]:
    tagged = {"aws:ResourceTag/slipway:environment": env, "aws:ResourceTag/slipway:app": APP}
    listener_rule = _arn("elasticloadbalancing", f"listener-rule/app/web-{env}/1/2/3")
    return [
        ("ecs:UpdateService", _arn("ecs", f"service/web-{env}/web-{env}"), tagged),
        ("ecs:DeleteService", _arn("ecs", f"service/web-{env}/web-{env}"), tagged),
        (
            "elasticloadbalancing:DeleteTargetGroup",
            _arn("elasticloadbalancing", f"targetgroup/web-{env}/1"),
            tagged,
        ),
        ("elasticloadbalancing:ModifyRule", listener_rule, tagged),
        (
            "elasticloadbalancing:CreateRule",
            _arn("elasticloadbalancing", f"listener/app/web-{env}/1/2"),
            {**tagged, **CLAIM},
        ),
        ("logs:DeleteLogGroup", _arn("logs", f"log-group:/slipway/web-{env}"), tagged),
        ("ecs:RegisterTaskDefinition", _arn("ecs", f"task-definition/web-{env}:7"), tagged),
        # A preview's name on a resource tagged with an environment: the tag rules decide.
        ("ecs:UpdateService", _arn("ecs", "service/web-dev/pr-12-web"), {**tagged, **PREVIEW}),
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_preview_role_cannot_touch_an_environments_resources(env: str) -> None:
    role = _role()
    for action, resource, context in _environment_resources(env):
        assert not role.allows(action, resource, context), (action, resource)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_boundary_alone_keeps_an_administrator_out_of_every_environment(env: str) -> None:
    # Under the boundary even AdministratorAccess reaches no environment's resources (tagged or
    # not): the boundary is what holds if the identity policy is ever widened.
    admin = _role({"AdministratorAccess": ADMINISTRATOR_ACCESS})
    for action, resource, context in _environment_resources(env):
        assert not admin.allows(action, resource, context), (action, resource)
        if "/pr-" in resource:
            continue  # untagged, that one is a preview's by name
        untagged = {k: v for k, v in context.items() if "environment" not in k}
        assert not admin.allows(action, resource, untagged), (action, resource, "untagged")
    assert admin.allows(*MANAGES[5])  # positive control: a preview's target group


def test_a_rule_of_the_preview_listener_that_is_no_preview_is_left_alone() -> None:
    assert not _role().allows("elasticloadbalancing:ModifyRule", RULE, {})
    assert not _role().allows(
        "elasticloadbalancing:DeleteRule", RULE, {"aws:ResourceTag/slipway:preview": "other"}
    )
    assert not _role().allows("elasticloadbalancing:CreateRule", LISTENER, {})


def _net_only_mismatch(finding: str) -> bool:
    """parliament 1.6 checks an ``elasticloadbalancing`` rule or listener ARN against the
    Network Load Balancer format too (``listener/net/...``) and reports the miss, though the ARN
    is an Application Load Balancer's (``listener/app/...``), a format of the same actions."""
    formats = re.findall(r"'required_format': '([^']*)'", finding)
    return finding.startswith("RESOURCE_MISMATCH") and all("/net/" in f for f in formats)


def _list_tasks_by_cluster(finding: str) -> bool:
    """ListTasks on ``*`` under the condition ``ecs:cluster`` (preview_access.py says why)."""
    return finding.startswith("RESOURCE_STAR - ['ecs:ListTasks']")


def test_the_documents_are_valid_policies() -> None:
    document = preview_policy_document(SCOPE)
    assert document["Version"] == POLICY_VERSION
    IAMPolicyDocumentValidator(json.dumps(document)).validate()
    IAMPolicyDocumentValidator(json.dumps(preview_boundary_document(SCOPE))).validate()
    findings = [
        f
        for f in parliament_findings(document)
        if not _net_only_mismatch(f) and not _list_tasks_by_cluster(f)
    ]
    assert findings == []
    (listing,) = [s for s in document["Statement"] if s["Sid"] == "ListTasks"]
    assert listing["Condition"] == {"ArnEquals": {"ecs:cluster": SCOPE.cluster}}


def test_the_preview_role_lists_and_describes_tasks_of_its_cluster_only() -> None:
    other = _arn("ecs", "cluster/web-prod")
    assert not _role().allows("ecs:ListTasks", "*", {"ecs:cluster": other})
    assert not _role().allows(
        "ecs:DescribeTasks", _arn("ecs", "task/web-prod/0f3c9a"), {"ecs:cluster": other}
    )


def test_the_boundary_keeps_the_preview_push_out_of_an_environments_repository() -> None:
    """Why preview images have a repository of their own (docs/previews.md, "The preview
    image"): even with an ECR push granted on every repository in its identity policy, the
    preview role's boundary refuses a push into an environment's repository, tagged with its
    environment (the tag rules) or not (``OnlyPreviews``); into ``web-previews``, tagged
    ``preview``, the role's own policy lets it push."""
    push = ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart"]
    policy = preview_policy_document(SCOPE)
    policy["Statement"].append(
        {"Sid": "PushAnywhere", "Effect": "Allow", "Action": push, "Resource": "*"}
    )
    role = _role({"preview": policy})
    for env in ENVIRONMENTS:
        repository = _arn("ecr", f"repository/web/{env}")
        tagged = {"aws:ResourceTag/slipway:environment": env, "aws:ResourceTag/slipway:app": APP}
        preview = {**tagged, "aws:ResourceTag/slipway:environment": "preview"}
        for action in push:
            for context in (tagged, preview, {}):
                assert not role.allows(action, repository, context), (env, action, context)
    previews = {
        "aws:ResourceTag/slipway:environment": "preview",
        "aws:ResourceTag/slipway:app": APP,
    }
    own = _role()
    repository = _arn("ecr", "repository/web-previews")
    assert all(own.allows(action, repository, previews) for action in push)
    assert own.allows("ecr:GetAuthorizationToken", "*", {})
    assert not any(own.allows(a, _arn("ecr", "repository/web-previews2"), previews) for a in push)


def test_pushing_to_the_kms_encrypted_previews_repository_needs_no_kms_permission() -> None:
    """The previews' repository is encrypted with its own customer-managed key, and ECR makes
    the KMS calls of a push and a pull itself, under the grant it adds to the key when the
    repository is created (Amazon ECR User Guide, "Encryption at rest"; cited in
    ``slipway.preview_access.IMAGE_WRITES``). So the preview role needs, and holds, the ECR
    push and no KMS action on the key: the positive control is the push, the negative one
    that no key use was granted along the way."""
    own = _role()
    previews = {
        "aws:ResourceTag/slipway:environment": "preview",
        "aws:ResourceTag/slipway:app": APP,
    }
    repository = _arn("ecr", "repository/web-previews")
    for action in ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"):
        assert own.allows(action, repository, previews), action
    assert own.allows("ecr:PutImage", repository, previews)
    key = _arn("kms", "key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9")
    for action in ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:CreateGrant"):
        assert not own.allows(action, key, previews), action
        assert not own.allows(action, key, {}), action
    granted = {
        action
        for statement in preview_policy_document(SCOPE)["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert not any(a.startswith("kms:") for a in granted)
