"""The escalation catalogue: published privilege-escalation paths, tried by one stack's CI on
another stack of the same account, decided by Principal Mapper (tests/iam_eval.py).

For every ordered pair of stacks (every stack file in the project), each attempt in
:data:`ATTEMPTS` is made by the attacker's apply, deploy and preview roles (the preview role is
also what a same-repository pull-request job can assume) against the victim's roles, the
account's untagged principals and groups, the audit bucket, the victim's DNS names, its secrets
key and the account settings. Every one must be denied. Positive controls (:func:`controls`)
are generated from each stack's registered resource types: the same roles still do their own
work, create-then-tag flows included, and a boundary that denies everything fails them.

Sources, cited per attempt in its ``source`` column:

* ``rhino-N``: Rhino Security Labs, "AWS IAM Privilege Escalation - Methods and Mitigation"
  (Spencer Gietzen, https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/),
  method N of 21.
* ``pmapper:<module>``: Principal Mapper's own escalation checks,
  ``principalmapper/graphing/<module>_edges.py`` (principalmapper 1.1.5, under .venv):
  ``iam`` (CreateAccessKey, CreateLoginProfile/UpdateLoginProfile, UpdateAssumeRolePolicy),
  ``sts`` (AssumeRole), ``ec2``/``lambda``/``cloudformation``/``codebuild``/``sagemaker``/
  ``autoscaling`` (iam:PassRole to a service), and the edges that need no PassRole: an existing
  function's code or configuration (``lambda``), an existing stack or project
  (``cloudformation``, ``codebuild``), a command or session on an instance (``ssm``).
* ``issue-22``: the paths the issue found (audit evidence, DNS, account settings).

The request context is what AWS sends: where AWS puts no resource tag into it (``iam:PassRole``,
S3 objects, Route 53 records), the attempt carries none. The state bucket and secrets key of
``bootstrap/`` are tried in tests/test_state_isolation.py; its rows can join :data:`ATTEMPTS`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from slipway.stack_boundary import ROLE_TYPE, AccountResource, boundary_name
from tests.conftest import recorded
from tests.iam_eval import Principal
from tooling.offline import ACCOUNT_ID, STACKS, Recording, stack_settings

REGION = "eu-west-1"
IAM = f"arn:aws:iam::{ACCOUNT_ID}"
ENV_TAG = "aws:ResourceTag/slipway:environment"
APP_TAG = "aws:ResourceTag/slipway:app"
REQUEST_ENV_TAG = "aws:RequestTag/slipway:environment"
RECORD_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
ORG_ROLE = f"{IAM}:role/OrganizationAccountAccessRole"
BREAK_GLASS_USER = f"{IAM}:user/break-glass"
ADMINS_GROUP = f"{IAM}:group/Admins"
HAND_MADE_POLICY = f"{IAM}:policy/ops-admin"
HAND_MADE_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:ops-rotate-keys"


@dataclass(frozen=True)
class Stack:
    """What the catalogue knows of one stack, from its registrations and settings."""

    name: str
    rec: Recording

    @property
    def prefix(self) -> str:
        return str(self.rec.one("aws:iam/policy:Policy", "boundary-policy").inputs["name"])[
            : -len("-ci-boundary")
        ]

    @property
    def app(self) -> str:
        return str(self.rec.one(ROLE_TYPE, "github-oidc-apply").inputs["tags"]["slipway:app"])

    def role_arn(self, logical: str) -> str:
        return f"{IAM}:role/{self.rec.one(ROLE_TYPE, logical).inputs['name']}"

    @property
    def tags(self) -> dict[str, str]:
        return {ENV_TAG: self.name, APP_TAG: self.app}

    @property
    def boundary(self) -> tuple[str, dict[str, Any]]:
        policy = self.rec.one("aws:iam/policy:Policy", "boundary-policy")
        return f"{IAM}:policy/{boundary_name(self.prefix)}", policy.json_input("policy")

    @property
    def domain(self) -> str:
        """The stack's own DNS name, or the one it would have under the shared zone."""
        return stack_settings(self.name).compute.domain_name or f"{self.name}.example.com"

    def owns(self, resource: AccountResource) -> bool:
        return resource in stack_settings(self.name).account.owned()


def stack(name: str) -> Stack:
    return Stack(name, recorded(name))


def attackers(s: Stack) -> dict[str, Principal]:
    """The stack's CI roles as Principal Mapper sees them: identity policies under the boundary.
    The apply role has AdministratorAccess. The preview role is modelled with
    AdministratorAccess too, an upper bound of ReadOnlyAccess (whose document is not offline),
    plus its own inline limits: what this denies, ReadOnlyAccess cannot reach either."""
    boundary_arn, boundary = s.boundary
    deploy = s.rec.one("aws:iam/rolePolicy:RolePolicy", "github-oidc-deploy-policy")
    limits = s.rec.one("aws:iam/rolePolicy:RolePolicy", "github-oidc-preview-limits")
    admin = Principal("x").policies

    def role(logical: str, policies: dict[str, dict[str, Any]]) -> Principal:
        return Principal(s.role_arn(logical), policies, boundary_arn, boundary)

    return {
        "apply": role("github-oidc-apply", admin),
        "deploy": role("github-oidc-deploy", {"deploy": deploy.json_input("policy")}),
        "preview": role("github-oidc-preview", {**admin, "limits": limits.json_input("policy")}),
    }


def pull_request_roles(s: Stack) -> list[str]:
    """The stack's roles a ``pull_request`` job can assume (their trust names that subject)."""
    return [
        r.name
        for r in s.rec.of_type(ROLE_TYPE)
        if ":pull_request" in json.dumps(r.json_input("assumeRolePolicy"))
    ]


@dataclass(frozen=True)
class Attempt:
    """One escalation step: ``action`` on what ``resource`` names in the victim stack, with
    the request context AWS would send, and the bucket policy when the resource has one."""

    name: str
    source: str
    action: str
    resource: Callable[[Stack], str]
    context: Callable[[Stack, Stack], dict[str, Any]] = lambda attacker, victim: {}
    applies: Callable[[Stack, Stack], bool] = lambda attacker, victim: True
    bucket_policy: bool = False


def _victim_tags(attacker: Stack, victim: Stack) -> dict[str, Any]:
    return victim.tags


def _records(names: Callable[[Stack], list[str]]) -> Callable[[Stack, Stack], dict[str, Any]]:
    return lambda attacker, victim: {RECORD_NAMES: names(victim)}


def _not_owner(resource: AccountResource) -> Callable[[Stack, Stack], bool]:
    return lambda attacker, victim: not attacker.owns(resource)


def _audit_bucket(victim: Stack) -> str:
    return f"arn:aws:s3:::{_audit_owner().rec.outputs['auditBucketName']}"


def _audit_owner() -> Stack:
    (owner,) = [s for s in map(stack, STACKS) if s.owns(AccountResource.AUDIT_TRAIL)]
    return owner


def _audit_attempt(name: str, action: str, obj: bool) -> Attempt:
    suffix = "/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/07/log.json.gz" if obj else ""
    return Attempt(
        name,
        "issue-22",
        action,
        lambda v: _audit_bucket(v) + suffix,
        # Buckets carry tags, objects carry none into the context (S3 evaluates no
        # aws:ResourceTag for objects): the bucket-level attempts are made without it too.
        applies=_not_owner(AccountResource.AUDIT_TRAIL),
        bucket_policy=True,
    )


ATTEMPTS: tuple[Attempt, ...] = (
    # Another stack's roles ------------------------------------------------------------------
    Attempt("pass-apply-role", "rhino-3..7,19,21; pmapper:ec2,lambda,cloudformation,codebuild",
            "iam:PassRole", lambda v: v.role_arn("github-oidc-apply")),
    Attempt("pass-task-role", "rhino-3; pmapper:ec2", "iam:PassRole",
            lambda v: v.role_arn("service-task-role")),
    Attempt("pass-execution-role", "pmapper:sagemaker,autoscaling", "iam:PassRole",
            lambda v: v.role_arn("service-execution-role")),
    Attempt("rewrite-trust-tagged", "rhino-18; pmapper:iam", "iam:UpdateAssumeRolePolicy",
            lambda v: v.role_arn("github-oidc-apply"), _victim_tags),
    Attempt("rewrite-trust-untagged-context", "rhino-18", "iam:UpdateAssumeRolePolicy",
            lambda v: v.role_arn("github-oidc-deploy")),
    Attempt("assume-apply-role", "pmapper:sts", "sts:AssumeRole",
            lambda v: v.role_arn("github-oidc-apply"), _victim_tags),
    Attempt("assume-untagged-context", "pmapper:sts", "sts:AssumeRole",
            lambda v: v.role_arn("github-oidc-deploy")),
    Attempt("attach-policy-to-role", "rhino-13", "iam:AttachRolePolicy",
            lambda v: v.role_arn("github-oidc-deploy"),
            lambda a, v: {**v.tags, "iam:PermissionsBoundary": v.boundary[0]}),
    Attempt("put-role-policy", "rhino-16", "iam:PutRolePolicy",
            lambda v: v.role_arn("service-task-role"),
            lambda a, v: {"iam:PermissionsBoundary": v.boundary[0]}),
    Attempt("swap-role-boundary", "rhino-13", "iam:PutRolePermissionsBoundary",
            lambda v: v.role_arn("github-oidc-deploy"),
            lambda a, v: {"iam:PermissionsBoundary": a.boundary[0]}),
    Attempt("remove-role-boundary", "rhino-13", "iam:DeleteRolePermissionsBoundary",
            lambda v: v.role_arn("github-oidc-deploy")),
    Attempt("new-boundary-version", "rhino-1", "iam:CreatePolicyVersion",
            lambda v: v.boundary[0]),
    Attempt("old-boundary-version", "rhino-2", "iam:SetDefaultPolicyVersion",
            lambda v: v.boundary[0]),
    # Untagged principals and groups ---------------------------------------------------------
    Attempt("rewrite-org-role-trust", "rhino-18; pmapper:iam", "iam:UpdateAssumeRolePolicy",
            lambda v: ORG_ROLE),
    Attempt("tag-then-rewrite-org-role", "rhino-18", "iam:UpdateAssumeRolePolicy",
            lambda v: ORG_ROLE, lambda a, v: a.tags),
    Attempt("assume-org-role", "pmapper:sts", "sts:AssumeRole", lambda v: ORG_ROLE),
    Attempt("pass-org-role", "rhino-3", "iam:PassRole", lambda v: ORG_ROLE),
    Attempt("attach-policy-to-org-role", "rhino-13", "iam:AttachRolePolicy", lambda v: ORG_ROLE),
    Attempt("bound-org-role-with-own", "rhino-13", "iam:PutRolePermissionsBoundary",
            lambda v: ORG_ROLE, lambda a, v: {"iam:PermissionsBoundary": a.boundary[0]}),
    Attempt("access-key", "rhino-8; pmapper:iam", "iam:CreateAccessKey",
            lambda v: BREAK_GLASS_USER),
    Attempt("login-profile", "rhino-9; pmapper:iam", "iam:CreateLoginProfile",
            lambda v: BREAK_GLASS_USER),
    Attempt("update-login-profile", "rhino-10; pmapper:iam", "iam:UpdateLoginProfile",
            lambda v: BREAK_GLASS_USER),
    Attempt("service-credential", "rhino-8", "iam:CreateServiceSpecificCredential",
            lambda v: BREAK_GLASS_USER),
    Attempt("ssh-key", "rhino-8", "iam:UploadSSHPublicKey", lambda v: BREAK_GLASS_USER),
    Attempt("signing-certificate", "rhino-8", "iam:UploadSigningCertificate",
            lambda v: BREAK_GLASS_USER),
    Attempt("mfa-device", "rhino-9", "iam:EnableMFADevice", lambda v: BREAK_GLASS_USER),
    Attempt("attach-user-policy", "rhino-11", "iam:AttachUserPolicy",
            lambda v: BREAK_GLASS_USER),
    Attempt("put-user-policy", "rhino-14", "iam:PutUserPolicy", lambda v: BREAK_GLASS_USER),
    Attempt("attach-group-policy", "rhino-12", "iam:AttachGroupPolicy", lambda v: ADMINS_GROUP),
    Attempt("put-group-policy", "rhino-15", "iam:PutGroupPolicy", lambda v: ADMINS_GROUP),
    Attempt("add-user-to-group", "rhino-17", "iam:AddUserToGroup", lambda v: ADMINS_GROUP),
    Attempt("hand-made-policy-version", "rhino-1", "iam:CreatePolicyVersion",
            lambda v: HAND_MADE_POLICY),
    Attempt("hand-made-policy-default", "rhino-2", "iam:SetDefaultPolicyVersion",
            lambda v: HAND_MADE_POLICY),
    # Untagged resources that run code under a role of their own (no PassRole needed) -------
    Attempt("update-hand-made-function", "rhino-20; pmapper:lambda", "lambda:UpdateFunctionCode",
            lambda v: HAND_MADE_FUNCTION),
    Attempt("repoint-hand-made-function", "pmapper:lambda", "lambda:UpdateFunctionConfiguration",
            lambda v: HAND_MADE_FUNCTION),
    Attempt("invoke-hand-made-function", "pmapper:lambda", "lambda:InvokeFunction",
            lambda v: HAND_MADE_FUNCTION),
    Attempt("update-victim-function", "rhino-20", "lambda:UpdateFunctionCode",
            lambda v: f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{v.prefix}-smoke-test"),
    Attempt("update-hand-made-stack", "rhino-5; pmapper:cloudformation",
            "cloudformation:UpdateStack",
            lambda v: f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/ops/1"),
    Attempt("start-hand-made-build", "pmapper:codebuild", "codebuild:StartBuild",
            lambda v: f"arn:aws:codebuild:{REGION}:{ACCOUNT_ID}:project/ops"),
    Attempt("glue-dev-endpoint", "rhino-21", "glue:UpdateDevEndpoint",
            lambda v: f"arn:aws:glue:{REGION}:{ACCOUNT_ID}:devEndpoint/ops"),
    Attempt("notebook", "pmapper:sagemaker", "sagemaker:CreateNotebookInstance",
            lambda v: f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:notebook-instance/ops"),
    Attempt("send-command", "pmapper:ssm", "ssm:SendCommand",
            lambda v: f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"),
    Attempt("start-session", "pmapper:ssm", "ssm:StartSession",
            lambda v: f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"),
    # Secrets key and secrets of the victim (tagged) -----------------------------------------
    Attempt("decrypt-victim-secrets", "issue-22", "kms:Decrypt",
            lambda v: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/victim", _victim_tags),
    Attempt("read-victim-secret", "issue-22", "secretsmanager:GetSecretValue",
            lambda v: f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{v.prefix}-x",
            _victim_tags),
    # Audit evidence (owned by the trail's stack) --------------------------------------------
    _audit_attempt("replace-audit-policy", "s3:PutBucketPolicy", obj=False),
    _audit_attempt("delete-audit-policy", "s3:DeleteBucketPolicy", obj=False),
    _audit_attempt("bypass-governance", "s3:BypassGovernanceRetention", obj=True),
    _audit_attempt("delete-log-version", "s3:DeleteObjectVersion", obj=True),
    _audit_attempt("shorten-retention", "s3:PutObjectRetention", obj=True),
    _audit_attempt("change-lock", "s3:PutBucketObjectLockConfiguration", obj=False),
    _audit_attempt("expire-logs", "s3:PutLifecycleConfiguration", obj=False),
    Attempt("identity-center-lookalike", "issue-22", "iam:CreateRole",
            lambda v: f"{IAM}:role/aws-reserved/sso.amazonaws.com/{v.prefix}-x",
            lambda a, v: {"iam:PermissionsBoundary": a.boundary[0]}),
    # DNS names of the victim ----------------------------------------------------------------
    Attempt("rewrite-victim-record", "issue-22", "route53:ChangeResourceRecordSets",
            lambda v: ZONE, _records(lambda v: [v.domain])),
    Attempt("rewrite-victim-validation", "issue-22", "route53:ChangeResourceRecordSets",
            lambda v: ZONE, _records(lambda v: ["_" + "a" * 32 + "." + v.domain])),
    Attempt("own-and-victim-record", "issue-22", "route53:ChangeResourceRecordSets",
            lambda v: ZONE, lambda a, v: {RECORD_NAMES: [a.domain, v.domain]}),
    # Account settings (one owner) -----------------------------------------------------------
    Attempt("ecs-account-default", "issue-22", "ecs:PutAccountSettingDefault", lambda v: "*",
            applies=_not_owner(AccountResource.ACCOUNT_SETTINGS)),
    Attempt("backup-region-settings", "issue-22", "backup:UpdateRegionSettings", lambda v: "*",
            applies=_not_owner(AccountResource.ACCOUNT_SETTINGS)),
    Attempt("registry-scanning", "issue-22", "ecr:PutRegistryScanningConfiguration",
            lambda v: "*", applies=_not_owner(AccountResource.ACCOUNT_SETTINGS)),
    Attempt("ebs-default-encryption", "issue-22", "ec2:DisableEbsEncryptionByDefault",
            lambda v: "*", applies=_not_owner(AccountResource.ACCOUNT_SETTINGS)),
    Attempt("account-public-access", "issue-22", "s3:PutAccountPublicAccessBlock",
            lambda v: "*", applies=_not_owner(AccountResource.ACCOUNT_SETTINGS)),
)  # fmt: skip
"""The catalogue: one row per attempt. Rows from other test files join by adding to it."""

PAIRS = list(itertools.permutations(STACKS, 2))


def audit_policy() -> dict[str, Any]:
    owner = _audit_owner()
    policy: dict[str, Any] = owner.rec.one(
        "aws:s3/bucketPolicy:BucketPolicy", "audit-bucket-policy"
    ).json_input("policy")
    return policy


def decide(principal: Principal, attempt: Attempt, attacker: Stack, victim: Stack) -> bool:
    policy = audit_policy() if attempt.bucket_policy else None
    return principal.allows(
        attempt.action, attempt.resource(victim), attempt.context(attacker, victim), policy
    )


def test_the_catalogue_is_large_enough_and_cited() -> None:
    assert len(ATTEMPTS) >= 30
    assert len({a.name for a in ATTEMPTS}) == len(ATTEMPTS)
    assert all(a.source.startswith(("rhino-", "pmapper:", "issue-22")) for a in ATTEMPTS)
    assert len(PAIRS) == len(STACKS) * (len(STACKS) - 1)


@pytest.mark.parametrize(("attacker_name", "victim_name"), PAIRS)
def test_every_attempt_is_denied_for_every_pair(attacker_name: str, victim_name: str) -> None:
    attacker, victim = stack(attacker_name), stack(victim_name)
    allowed = []
    tried = 0
    for role, principal in attackers(attacker).items():
        for attempt in ATTEMPTS:
            if not attempt.applies(attacker, victim):
                continue
            tried += 1
            if decide(principal, attempt, attacker, victim):
                allowed.append((role, attempt.name, attempt.source))
    assert tried >= 30 * 3
    assert allowed == []


@pytest.mark.parametrize("name", STACKS)
def test_a_pull_request_job_assumes_only_preview_roles(name: str) -> None:
    """What a pull request's job can hold is a preview role: the catalogue's ``preview``
    attacker (tests/test_state_isolation.py decides which stacks' preview roles trust it)."""
    assert set(pull_request_roles(stack(name))) <= {"github-oidc-preview"}


def test_without_the_boundary_the_catalogue_finds_the_paths() -> None:
    """The evaluator's baseline: with no boundary (and no bucket policy), the apply role is
    allowed each attempt, so every denial above is the boundary's or the bucket policy's."""
    attacker, victim = stack(STACKS[0]), stack(STACKS[-1])
    bare = Principal(attacker.role_arn("github-oidc-apply"))
    for attempt in ATTEMPTS:
        assert bare.allows(
            attempt.action, attempt.resource(victim), attempt.context(attacker, victim)
        ), attempt.name


# Positive controls ------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """Work the stack's own role must still be allowed."""

    role: str
    action: str
    resource: str
    context: dict[str, Any]
    bucket_policy: bool = False


SERVICE_ACTIONS: dict[str, tuple[str, str]] = {
    "ecs": ("ecs:CreateService", "service/{p}/{p}"),
    "ecr": ("ecr:CreateRepository", "repository/{app}/{env}"),
    "ec2": ("ec2:CreateVpc", "vpc/vpc-0123"),
    "vpc": ("ec2:AuthorizeSecurityGroupIngress", "security-group/sg-0123"),
    "lb": ("elasticloadbalancing:CreateLoadBalancer", "loadbalancer/app/{p}/1"),
    "kms": ("kms:CreateKey", "key/k"),
    "cloudwatch": ("cloudwatch:PutMetricAlarm", "alarm:{p}-x"),
    "sns": ("sns:CreateTopic", "{p}-alerts"),
    "secretsmanager": ("secretsmanager:CreateSecret", "secret:{p}-x"),
    "ssm": ("ssm:PutParameter", "parameter/slipway/{app}/{env}/x"),
    "backup": ("backup:CreateBackupVault", "backup-vault:{p}-vault"),
    "s3": ("s3:CreateBucket", "bucket"),
    "iam": ("iam:CreateRole", "role/{p}-x"),
    "appautoscaling": ("application-autoscaling:RegisterScalableTarget", "scalable-target/x"),
    "cloudtrail": ("cloudtrail:CreateTrail", "trail/{app}-account-trail"),
    "wafv2": ("wafv2:CreateWebACL", "regional/webacl/{p}/1"),
    "lambda": ("lambda:CreateFunction", "function:{p}-x"),
    "guardduty": ("guardduty:CreateDetector", "detector/d"),
    "route53": ("route53:ChangeResourceRecordSets", "hostedzone/Z0123456789ABCDEFGHIJ"),
    "acm": ("acm:RequestCertificate", "certificate/c"),
    "logs": ("logs:CreateLogGroup", "log-group:/ecs/{p}"),
}
"""Per service module of the registered ``aws:`` types: the create call the apply role makes
and the resource it names. A registered module with no row fails
:func:`test_every_registered_service_has_a_control`."""

ACCOUNT_MODULES = {
    "cloudtrail": AccountResource.AUDIT_TRAIL,
    "guardduty": AccountResource.THREAT_DETECTION,
}


def _modules(s: Stack) -> set[str]:
    return {
        r.type.split(":")[1].split("/")[0]
        for r in s.rec.resources
        if r.type.startswith("aws:") and not r.type.startswith("pulumi:")
    }


def _arn(service: str, resource: str, s: Stack) -> str:
    resource = resource.format(p=s.prefix, app=s.app, env=s.name)
    if service == "iam":
        return f"{IAM}:{resource}"
    if service == "s3":
        return f"arn:aws:s3:::{s.prefix}-{resource}"
    if service == "route53":
        return f"arn:aws:route53:::{resource}"
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def controls(s: Stack) -> list[Control]:
    """Generated from the stack's registered resource types: for each service it registers,
    the create call with the stack's own tags in the request, then tagging the created
    resource (create-then-tag); and the named work the catalogue must leave alone."""
    own_request = {REQUEST_ENV_TAG: s.name, "aws:RequestTag/slipway:app": s.app}
    found: list[Control] = []
    for module in sorted(_modules(s)):
        if module == "providers" or (
            module in ACCOUNT_MODULES and not s.owns(ACCOUNT_MODULES[module])
        ):
            continue
        action, resource = SERVICE_ACTIONS[module]
        service = action.split(":")[0]
        arn = _arn(service, resource, s)
        context: dict[str, Any] = dict(own_request)
        if action == "iam:CreateRole":
            context["iam:PermissionsBoundary"] = s.boundary[0]
        if action == "route53:ChangeResourceRecordSets":
            context = {RECORD_NAMES: [s.domain]}
        found.append(Control("apply", action, arn, context))
        if module not in ("route53", "appautoscaling", "vpc", "iam"):
            tag = {"s3": "s3:PutBucketTagging", "ec2": "ec2:CreateTags"}.get(
                service, f"{service}:TagResource"
            )
            found.append(Control("apply", tag, arn, {**s.tags, **own_request}))
    apply_role = s.role_arn("github-oidc-apply")
    found += [
        Control("apply", "iam:PassRole", s.role_arn("service-task-role"), {}),
        Control("apply", "iam:PassRole", s.role_arn("service-execution-role"), {}),
        Control("apply", "iam:UpdateAssumeRolePolicy", s.role_arn("github-oidc-deploy"), s.tags),
        Control("apply", "sts:AssumeRole", s.role_arn("github-oidc-deploy"), s.tags),
        Control("apply", "iam:DeleteRole", s.role_arn("service-task-role"), s.tags),
        Control(
            "apply",
            "iam:PutRolePolicy",
            s.role_arn("github-oidc-deploy"),
            {**s.tags, "iam:PermissionsBoundary": s.boundary[0]},
        ),
        Control(
            "apply",
            "kms:Decrypt",
            f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/own",
            s.tags,
        ),
        Control(
            "deploy", "ecs:UpdateService", f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/"
            f"{s.prefix}/{s.prefix}", {**s.tags, "ecs:task-definition":
            f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/{s.prefix}:7"},
        ),
        Control("apply", "iam:GetRole", apply_role, s.tags),
        Control(
            "apply",
            "lambda:UpdateFunctionCode",
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{s.prefix}-smoke-test",
            s.tags,
        ),
    ]  # fmt: skip
    if s.owns(AccountResource.ACCOUNT_SETTINGS):
        found.append(Control("apply", "ecs:PutAccountSettingDefault", "*", {}))
    if s.owns(AccountResource.AUDIT_TRAIL):
        bucket = f"arn:aws:s3:::{s.rec.outputs['auditBucketName']}"
        found += [
            Control("apply", "s3:PutBucketPolicy", bucket, {}, bucket_policy=True),
            Control("apply", "s3:PutLifecycleConfiguration", bucket, {}, bucket_policy=True),
        ]
    return found


def denied_controls(s: Stack, roles: dict[str, Principal]) -> list[tuple[str, str, str]]:
    """The controls ``roles`` are refused (empty when the stack can do its own work)."""
    refused = []
    for control in controls(s):
        policy = audit_policy() if control.bucket_policy else None
        if not roles[control.role].allows(
            control.action, control.resource, control.context, policy
        ):
            refused.append((control.role, control.action, control.resource))
    return refused


@pytest.mark.parametrize("name", STACKS)
def test_every_registered_service_has_a_control(name: str) -> None:
    s = stack(name)
    assert _modules(s) - {"providers"} <= set(SERVICE_ACTIONS)
    assert len(controls(s)) >= len(_modules(s))


@pytest.mark.parametrize("name", STACKS)
def test_every_generated_control_is_allowed(name: str) -> None:
    s = stack(name)
    assert denied_controls(s, attackers(s)) == []


def test_a_boundary_that_denies_everything_fails_the_controls() -> None:
    s = stack(STACKS[0])
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    roles = {
        role: Principal(p.arn, p.policies, p.boundary_arn, deny_all)
        for role, p in attackers(s).items()
    }
    assert len(denied_controls(s, roles)) == len(controls(s))
