"""Stacks sharing one AWS account cannot reach each other: every role of a stack carries the
stack's permissions boundary, and an IAM evaluator Slipway did not write (Principal Mapper,
tests/iam_eval.py) says what the apply role of one stack may do to another's resources.

The evaluator decides on the request context a test gives it. Which condition keys AWS puts
into a real request (``aws:ResourceTag`` for ``ecs:UpdateService``, say) is AWS's side; where
a rule leans on that, the test names the key it supplies, and the rules that tags cannot
decide are written against ARNs and evaluated without any tag.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from infra.domains import github
from slipway.errors import ConfigError
from slipway.stack_boundary import (
    ACCOUNT_RESOURCE_ACTIONS,
    ENVIRONMENT_TAG,
    MAX_MANAGED_POLICY_CHARS,
    MAX_RECORD_DOMAIN,
    ROLE_TYPE,
    AccountResource,
    BoundaryScope,
    StackBoundary,
    StackBoundaryArgs,
    bound_roles,
    boundary_document,
    compact_json,
    record_domain_problems,
    record_name_patterns,
    role_name,
)
from slipway.workflows.infra_pipeline import InfraPipelineSpec
from tests.conftest import recorded
from tests.iam_checks import parliament_findings
from tests.iam_eval import Principal
from tests.stack_files import environment_of
from tooling.offline import (
    ACCOUNT_ID,
    STACKS,
    GithubRepository,
    Recording,
    run_stack,
    stack_settings,
)

POLICY = "aws:iam/policy:Policy"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
POLICY_PART = "deploymentEnvironment"
REGION = "eu-west-1"
APP = "storefront"
RESOURCE_TAG = f"aws:ResourceTag/{ENVIRONMENT_TAG}"
REQUEST_TAG = f"aws:RequestTag/{ENVIRONMENT_TAG}"


def recording(stack: str) -> Recording:
    return recorded(stack)


def boundary_of(stack: str) -> tuple[str, dict[str, Any]]:
    """(ARN, document) of the stack's boundary, as the stack registered them."""
    rec = recording(stack)
    policy = rec.one(POLICY, "boundary-policy")
    apply = rec.one(ROLE_TYPE, "github-oidc-apply")
    return apply.inputs["permissionsBoundary"], policy.json_input("policy")


def apply_role(stack: str) -> Principal:
    """The stack's apply role: AdministratorAccess under the stack's boundary."""
    arn, document = boundary_of(stack)
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-{stack}-github-oidc-apply",
        boundary_arn=arn,
        boundary=document,
    )


def bounded_principal(boundary: dict[str, Any]) -> Principal:
    """An AdministratorAccess role under ``boundary``."""
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{APP}-dev-ci-boundary"
    return Principal(arn=f"arn:aws:iam::{ACCOUNT_ID}:role/x", boundary_arn=arn, boundary=boundary)


def others(stack: str) -> list[str]:
    return [s for s in STACKS if s != stack]


def service_arn(env: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/{APP}-{env}/{APP}-{env}"


def repository_arn(env: str) -> str:
    return f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{APP}/{env}"


def parameter_arn(env: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/slipway/{APP}/{env}/image-channel/deployed"


def tagged(env: str) -> dict[str, str]:
    return {RESOURCE_TAG: env}


# The boundary, as each stack registers it ------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_of_the_stack_carries_its_boundary(stack: str) -> None:
    rec = recording(stack)
    policy = rec.one(POLICY, "boundary-policy")
    assert policy.inputs["name"] == f"{APP}-{environment_of(stack)}-ci-boundary"
    assert policy.inputs["tags"][ENVIRONMENT_TAG] == environment_of(stack)
    arn, _ = boundary_of(stack)
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:policy/{APP}-{environment_of(stack)}-ci-boundary"
    roles = rec.of_type(ROLE_TYPE)
    assert {"github-oidc-preview", "github-oidc-apply", "github-oidc-deploy"} <= {
        r.name for r in roles
    }
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {
        r.name: arn for r in roles
    }


@pytest.mark.parametrize("stack", STACKS)
def test_boundary_fits_a_managed_policy_and_is_valid(stack: str) -> None:
    _, document = boundary_of(stack)
    assert len(compact_json(document)) <= MAX_MANAGED_POLICY_CHARS * 0.9
    IAMPolicyDocumentValidator(json.dumps(document)).validate()
    allow, *denies = document["Statement"]
    # The Allow is the ceiling a boundary must state (a boundary grants nothing by itself):
    # everything but record changes, which only OwnRecords allows, and only with hostedZoneId
    # (no stack file sets it). Parliament reads it as a grant, so it is checked by shape.
    assert allow == {
        "Sid": "Everything",
        "Effect": "Allow",
        "NotAction": "route53:ChangeResourceRecordSets",
        "Resource": "*",
    }
    assert all(s["Effect"] == "Deny" for s in denies)
    # Parliament expands "Action": "*" to every action of every service (about 4 s a
    # statement): the four tag denies are the same two shapes in every stack, checked once by
    # test_the_wildcard_tag_denies_pass_parliament; here their shape, and the rest in full.
    wildcard = [s for s in denies if s["Action"] == "*"]
    assert [s["Sid"] for s in wildcard] == [
        "OtherEnvironments",
        "OtherEnvironmentTags",
        "OtherApplications",
        "OtherApplicationTags",
    ]
    for statement in wildcard:
        (key,) = statement["Condition"]["Null"]
        assert statement["Condition"] == {
            "Null": {key: "false"},
            "StringNotEquals": {key: statement["Condition"]["StringNotEquals"][key]},
        }
    listed = [s for s in denies if s["Action"] != "*"]
    assert parliament_findings({"Version": document["Version"], "Statement": listed}) == []


def test_the_wildcard_tag_denies_pass_parliament() -> None:
    """One resource-tag and one request-tag deny (the app rules differ only in the tag key)."""
    _, document = boundary_of("prod")
    checked = [
        s
        for s in document["Statement"]
        if s["Sid"] in {"OtherEnvironments", "OtherEnvironmentTags"}
    ]
    assert len(checked) == 2
    assert parliament_findings({"Version": document["Version"], "Statement": checked}) == []


MARGIN = 150
"""Characters a boundary keeps free below the limit at the largest settings allowed; the
registered stacks keep a tenth of the limit free."""


def test_largest_boundary_stays_under_the_limit_with_a_margin() -> None:
    """The longest application name and environment (24 characters each, infra.common.name),
    the longest partition, owning nothing (every account statement present) and the longest
    domain the boundary may name."""
    domain = ("d" * 60 + "." + "e" * 60)[: MAX_RECORD_DOMAIN - len(".example")] + ".example"
    assert len(domain) == MAX_RECORD_DOMAIN
    scope = BoundaryScope(
        "aws-us-gov",
        ACCOUNT_ID,
        "a" * 24,
        "e" * 24,
        record_names=record_name_patterns(domain),
        record_zone_id="Z" + "A" * 31,  # HOSTED_ZONE_ID: at most 32 characters
    )
    size = len(compact_json(boundary_document(scope)))
    assert size <= MAX_MANAGED_POLICY_CHARS - MARGIN, size
    assert record_domain_problems(domain, "slipway:domainName") == []
    (problem,) = record_domain_problems(domain + "x", "slipway:domainName")
    assert problem.startswith("slipway:domainName: got 'ddd")


# Tag isolation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_apply_role_changes_its_own_resources_and_no_other(stack: str) -> None:
    role = apply_role(stack)
    assert role.allows(
        "ecs:UpdateService", service_arn(environment_of(stack)), tagged(environment_of(stack))
    )
    assert role.allows(
        "ecr:DeleteRepository", repository_arn(environment_of(stack)), tagged(environment_of(stack))
    )
    assert role.allows("ssm:PutParameter", parameter_arn(environment_of(stack)))
    for other in others(stack):
        assert not role.allows(
            "ecs:UpdateService", service_arn(environment_of(other)), tagged(environment_of(other))
        )
        assert not role.allows(
            "ecr:DeleteRepository",
            repository_arn(environment_of(other)),
            tagged(environment_of(other)),
        )
        assert not role.allows("secretsmanager:GetSecretValue", "*", tagged(environment_of(other)))
        assert not role.allows("kms:Decrypt", "*", tagged(environment_of(other)))
        # SSM parameters are confined by name: no tag in the request at all.
        assert not role.allows("ssm:PutParameter", parameter_arn(environment_of(other)))


@pytest.mark.parametrize("stack", STACKS)
def test_another_applications_stack_of_the_same_name_is_out_of_reach(stack: str) -> None:
    role = apply_role(stack)
    billing = {RESOURCE_TAG: environment_of(stack), "aws:ResourceTag/slipway:app": "billing"}
    assert not role.allows("ecs:UpdateService", service_arn(environment_of(stack)), billing)
    assert not role.allows(
        "ecr:CreateRepository",
        repository_arn(environment_of(stack)),
        {"aws:RequestTag/slipway:app": "billing"},
    )
    own = {RESOURCE_TAG: environment_of(stack), "aws:ResourceTag/slipway:app": APP}
    assert role.allows("ecs:UpdateService", service_arn(environment_of(stack)), own)
    assert not role.allows(
        "ecs:UntagResource",
        service_arn(environment_of(stack)),
        {**own, "aws:TagKeys": ["slipway:app"]},
    )


@pytest.mark.parametrize("stack", STACKS)
def test_untagged_resources_are_not_refused_by_the_tag_rule(stack: str) -> None:
    """``Null: false`` keeps a missing tag from matching: StringNotEquals(IfExists) alone would
    be true for every untagged resource and every create call."""
    role = apply_role(stack)
    assert role.allows("ecs:UpdateService", service_arn(environment_of(stack)))
    assert role.allows("ec2:CreateVpc", "*")


@pytest.mark.parametrize("stack", STACKS)
def test_apply_role_creates_only_with_its_own_environment_tag(stack: str) -> None:
    role = apply_role(stack)
    assert role.allows(
        "ecr:CreateRepository",
        repository_arn(environment_of(stack)),
        {REQUEST_TAG: environment_of(stack)},
    )
    for other in others(stack):
        assert not role.allows(
            "ecr:CreateRepository",
            repository_arn(environment_of(stack)),
            {REQUEST_TAG: environment_of(other)},
        )
        # Re-tagging its own resource into another environment is the same request tag.
        assert not role.allows(
            "ecs:TagResource",
            service_arn(environment_of(stack)),
            {**tagged(environment_of(stack)), REQUEST_TAG: other},
        )


@pytest.mark.parametrize("stack", STACKS)
def test_environment_tag_cannot_be_removed(stack: str) -> None:
    role = apply_role(stack)
    untag = {**tagged(environment_of(stack)), "aws:TagKeys": [ENVIRONMENT_TAG]}
    assert not role.allows("ecs:UntagResource", service_arn(environment_of(stack)), untag)
    assert not role.allows("iam:UntagRole", f"arn:aws:iam::{ACCOUNT_ID}:role/x", untag)
    assert role.allows(
        "ecs:UntagResource",
        service_arn(environment_of(stack)),
        {**tagged(environment_of(stack)), "aws:TagKeys": ["team"]},
    )


# No escalation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_roles_and_users_only_under_this_boundary(stack: str) -> None:
    role = apply_role(stack)
    own, _ = boundary_of(stack)
    new_role = f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-{stack}-anything"
    assert not role.allows("iam:CreateRole", new_role)
    assert not role.allows("iam:CreateUser", f"arn:aws:iam::{ACCOUNT_ID}:user/u")
    assert role.allows("iam:CreateRole", new_role, {"iam:PermissionsBoundary": own})
    for other in others(stack):
        theirs, _ = boundary_of(other)
        assert not role.allows("iam:CreateRole", new_role, {"iam:PermissionsBoundary": theirs})
        assert not role.allows(
            "iam:PutRolePermissionsBoundary", new_role, {"iam:PermissionsBoundary": theirs}
        )
    # A role without this boundary (IAM then sends no iam:PermissionsBoundary) gets no policy.
    for action in ("iam:AttachRolePolicy", "iam:PutRolePolicy"):
        assert not role.allows(action, new_role)
        assert role.allows(action, new_role, {"iam:PermissionsBoundary": own})


@pytest.mark.parametrize("stack", STACKS)
def test_boundary_cannot_be_changed_or_removed(stack: str) -> None:
    role = apply_role(stack)
    own, _ = boundary_of(stack)
    for action in (
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    ):
        assert not role.allows(action, own, tagged(environment_of(stack)))
        for other in others(stack):
            assert not role.allows(action, boundary_of(other)[0])
    assert not role.allows(
        "iam:DeleteRolePermissionsBoundary", role.arn, tagged(environment_of(stack))
    )
    assert not role.allows("iam:DeleteUserPermissionsBoundary", "*")
    # An ordinary policy of its own remains the stack's to change.
    assert role.allows(
        "iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT_ID}:policy/{APP}-{stack}-app"
    )


# Account-wide resources and names ---------------------------------------------------------------

OIDC_PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{APP}-account-trail"


ACCOUNT_CHECKS = {
    AccountResource.OIDC_PROVIDER: [
        ("iam:DeleteOpenIDConnectProvider", OIDC_PROVIDER),
        ("iam:UpdateOpenIDConnectProviderThumbprint", OIDC_PROVIDER),
    ],
    AccountResource.AUDIT_TRAIL: [
        ("cloudtrail:StopLogging", TRAIL),
        ("cloudtrail:DeleteTrail", TRAIL),
    ],
    AccountResource.REGISTRY_REPLICATION: [
        ("ecr:PutReplicationConfiguration", "*"),
        ("ecr:DeleteRepositoryCreationTemplate", "*"),
    ],
    AccountResource.THREAT_DETECTION: [
        ("guardduty:DeleteDetector", f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/d1"),
    ],
    AccountResource.ACCOUNT_SETTINGS: [
        ("ecs:PutAccountSettingDefault", "*"),
        ("backup:UpdateRegionSettings", "*"),
        ("ecr:PutRegistryScanningConfiguration", "*"),
        ("iam:UpdateAccountPasswordPolicy", "*"),
    ],
}


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_owner_touches_account_resources(stack: str) -> None:
    role = apply_role(stack)
    owned = stack_settings(stack).account.owned()
    for resource, checks in ACCOUNT_CHECKS.items():
        for action, arn in checks:
            assert role.allows(action, arn) is (resource in owned), (stack, action)


@pytest.mark.parametrize("owned", [frozenset(), *({r} for r in AccountResource)], ids=str)
def test_each_account_resource_is_owned_on_its_own(owned: frozenset[AccountResource]) -> None:
    """One flag per thing: owning one account-wide resource reaches that one only (evaluated
    by Principal Mapper against the boundary alone)."""
    scope = BoundaryScope("aws", ACCOUNT_ID, APP, "dev", frozenset(owned))
    role = bounded_principal(boundary_document(scope))
    for resource, checks in ACCOUNT_CHECKS.items():
        for action, arn in checks:
            assert role.allows(action, arn) is (resource in owned), (sorted(owned), action)


def test_account_actions_are_denied_as_a_whole_outside_the_owner() -> None:
    """Structure: a stack that owns nothing denies every account action, on every resource."""
    scope = BoundaryScope("aws", ACCOUNT_ID, APP, "dev")
    denied = {
        s["Sid"]: s for s in boundary_document(scope)["Statement"] if s["Sid"].startswith("Account")
    }
    assert sorted(a for s in denied.values() for a in s["Action"]) == sorted(
        a for actions in ACCOUNT_RESOURCE_ACTIONS.values() for a in actions
    )
    assert {s["Resource"] for s in denied.values()} == {"*"}


@pytest.mark.parametrize("stack", STACKS)
def test_vault_locks_and_dashboards_by_name(stack: str) -> None:
    role = apply_role(stack)
    vault = f"arn:aws:backup:{REGION}:{ACCOUNT_ID}:backup-vault:{APP}-{{}}-vault"
    dashboard = f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{APP}-{{}}"
    assert role.allows(
        "backup:PutBackupVaultLockConfiguration", vault.format(environment_of(stack))
    )
    assert role.allows("cloudwatch:PutDashboard", dashboard.format(environment_of(stack)))
    for other in others(stack):
        assert not role.allows(
            "backup:PutBackupVaultLockConfiguration", vault.format(environment_of(other))
        )
        assert not role.allows(
            "backup:DeleteBackupVaultLockConfiguration", vault.format(environment_of(other))
        )
        assert not role.allows(
            "cloudwatch:DeleteDashboards", dashboard.format(environment_of(other))
        )


def test_without_the_boundary_the_apply_role_reaches_prod() -> None:
    """The evaluator's baseline: the same checks pass only because of the boundary."""
    role = Principal(arn=f"arn:aws:iam::{ACCOUNT_ID}:role/github-oidc-apply-dev")
    assert role.allows("ecs:UpdateService", service_arn("prod"), tagged("prod"))
    assert role.allows("iam:CreateRole", f"arn:aws:iam::{ACCOUNT_ID}:role/x")


# The infrastructure repository's environments ---------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_infra_environment_is_created_and_gated(stack: str) -> None:
    rec = recording(stack)
    environments = {r.inputs["environment"]: r for r in rec.of_type(ENVIRONMENT)}
    infra = environments[f"infra-{environment_of(stack)}"]
    assert infra.inputs["repository"] == "storefront-infra"
    assert infra.inputs["canAdminsBypass"] is False
    assert infra.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    branches = [
        r.inputs["branchPattern"]
        for r in rec.of_type(
            "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
        )
        if r.parent_name == "github-infra-environment"
    ]
    assert branches == ["main"]
    reviewers = infra.inputs.get("reviewers")
    if stack_settings(stack).github.decided().infra_reviewers:
        assert reviewers
        assert reviewers[0].get("users") or reviewers[0].get("teams")
        assert infra.inputs["preventSelfReview"] is True
    else:
        assert not reviewers
    assert rec.outputs["infraEnvironment"] == f"infra-{environment_of(stack)}"
    variables = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in rec.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
        if r.parent_name == "github-infra-environment"
    }
    # The apply role, and the application repository the pipeline's app token is scoped to.
    assert variables == {
        InfraPipelineSpec().apply_role_variable: rec.outputs["infraApplyRoleArn"],
        "APPLICATION_REPOSITORY": "storefront",
    }


def test_a_private_infra_repository_below_enterprise_gets_no_gate_and_a_warning() -> None:
    private = {
        "acme-corp/storefront-infra": GithubRepository(
            "acme-corp/storefront-infra", visibility="private"
        )
    }
    rec = run_stack("prod", overrides={"githubPlan": "team"}, github_repositories=private)
    (infra,) = [r for r in rec.of_type(ENVIRONMENT) if r.inputs["environment"] == "infra-prod"]
    assert not infra.inputs.get("reviewers")
    assert any("infra-prod of acme-corp/storefront-infra has no required reviewers" in w
               for w in rec.warnings)  # fmt: skip


def test_infra_repository_of_another_owner_is_refused() -> None:
    with pytest.raises(ConfigError, match="githubInfraRepository"):
        github.check_provider_owner("acme-corp/storefront", "someone-else/storefront-infra")


# The component and its transformation -----------------------------------------------------------


def test_args_are_validated() -> None:
    with pytest.raises(
        ConfigError, match=r"(?s)StackBoundaryArgs\.app.*StackBoundaryArgs\.environment"
    ):
        StackBoundaryArgs(app="Shop!", environment="")


def test_a_role_with_its_own_boundary_keeps_it_and_every_role_gets_the_prefix() -> None:
    transform = bound_roles("arn:aws:iam::111122223333:policy/b", "shop-dev")
    opts = pulumi.ResourceOptions()

    def run(type_: str, props: dict[str, Any], name: str = "r") -> Any:
        return transform(
            pulumi.ResourceTransformationArgs(
                resource=None,  # type: ignore[arg-type]
                type_=type_,
                name=name,
                props=props,
                opts=opts,
            )
        )

    mine = {"permissions_boundary": "arn:aws:iam::1:policy/mine"}
    assert run(ROLE_TYPE, mine).props == {**mine, "name": "shop-dev-r"}
    assert run("aws:iam/policy:Policy", {}) is None
    result = run(ROLE_TYPE, {"name": "shop-dev-x"})
    assert result.props == {
        "name": "shop-dev-x",
        "permissions_boundary": "arn:aws:iam::111122223333:policy/b",
    }
    assert run(ROLE_TYPE, {}, "github-oidc-apply").props["name"] == "shop-dev-github-oidc-apply"
    # A role named outside the stack's prefix could never be created, assumed or passed.
    with pytest.raises(ConfigError, match="name of role r: got 'x'; a name starting with shop-"):
        run(ROLE_TYPE, {"name": "x"})


def test_long_role_names_fit_and_stay_apart() -> None:
    prefix = "a" * 24 + "-" + "e" * 24
    first = role_name(prefix, "registry-replication-template-role")
    second = role_name(prefix, "registry-replication-template-other")
    assert len(first) == len(second) == 64
    assert first != second
    assert first.startswith(prefix + "-")
    assert role_name("shop-dev", "x") == "shop-dev-x"


def test_component_registers_one_policy(run_component: Any) -> None:
    def program() -> dict[str, Any]:
        boundary = StackBoundary("b", StackBoundaryArgs(app="shop", environment="dev"))
        return {"arn": boundary.policy_arn, "name": boundary.policy_name}

    rec = run_component(program)
    policy = rec.one(POLICY)
    assert policy.parent_type == StackBoundary.TOKEN
    assert policy.inputs["name"] == "shop-dev-ci-boundary"
    sids = [s["Sid"] for s in policy.json_input("policy")["Statement"]]
    assert {"AccountOidcProvider", "AccountTrail", "AccountRegistryReplication"} <= set(sids)


# The deploy role and ECS service deployments ---------------------------------------------------


def deploy_role(stack: str) -> Principal:
    """The stack's deploy role: its own policy under the stack's boundary."""
    arn, boundary = boundary_of(stack)
    policy = recording(stack).one("aws:iam/rolePolicy:RolePolicy", "github-oidc-deploy-policy")
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-{stack}-github-oidc-deploy",
        policies={"deploy": policy.json_input("policy")},
        boundary_arn=arn,
        boundary=boundary,
    )


def service_deployment_arn(env: str, kind: str = "service-deployment") -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:{kind}/{APP}-{env}/{APP}-{env}/r9i43YFjvgF_xlg7"


FOLLOW = ("ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments")


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_role_follows_and_stops_its_own_service_deployments_only(stack: str) -> None:
    """Principal Mapper, policy and boundary together: deploy.yml may find, follow and roll back
    its own service's deployments (whatever the strategy), and no other stack's."""
    role = deploy_role(stack)
    own = tagged(environment_of(stack))
    assert role.allows("ecs:ListServiceDeployments", service_arn(environment_of(stack)), own)
    assert role.allows("ecs:DescribeServiceDeployments", service_deployment_arn(stack), own)
    assert role.allows(
        "ecs:DescribeServiceRevisions", service_deployment_arn(stack, "service-revision"), own
    )
    assert role.allows("ecs:StopServiceDeployment", service_deployment_arn(stack), own)
    assert role.allows("ecs:StopServiceDeployment", service_deployment_arn(stack))  # untagged
    for other in others(stack):
        for action in (*FOLLOW, "ecs:StopServiceDeployment"):
            assert not role.allows(action, service_deployment_arn(other)), (action, other)
            assert not role.allows(action, service_arn(environment_of(other))), (action, other)
    # Nothing beyond following and stopping: no new deployments but through UpdateService,
    # which only takes the family's revisions; no deletes; no other service of the cluster.
    sibling = service_deployment_arn(stack).replace(f"/{APP}-{stack}/r9", f"/{APP}-{stack}-x/r9")
    assert not role.allows("ecs:StopServiceDeployment", sibling)
    assert not role.allows("ecs:StopServiceDeployment", service_deployment_arn(stack, "task"))
    assert not role.allows("ecs:DeleteService", service_arn(environment_of(stack)), own)
    assert not role.allows("ecs:CreateService", service_arn(environment_of(stack)), own)


# Record names (hostedZoneId) ---------------------------------------------------------------------

RECORD_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"


def test_with_a_hosted_zone_the_stack_changes_only_its_own_records() -> None:
    """Route 53 puts the change batch's normalized names into the request (and no tag: a
    shared zone carries none of any stack's)."""
    zone_settings = {
        "hostedZoneId": "Z0123456789ABCDEFGHIJ",
        "certificateArn": None,
        "domainName": "staging.acme-corp.example",
    }
    rec = recorded("staging", overrides=zone_settings)
    boundary = rec.one(POLICY, "boundary-policy").json_input("policy")
    role = bounded_principal(boundary)
    validation = "_" + "0f" * 16 + ".staging.acme-corp.example"
    for names in (["staging.acme-corp.example"], [validation], ["staging.acme-corp.example",
                                                                 validation]):  # fmt: skip
        assert role.allows("route53:ChangeResourceRecordSets", ZONE, {RECORD_NAMES: names})
    # Only in the stack's own zone: the same name in another zone is another's record.
    other_zone = "arn:aws:route53:::hostedzone/Z9999999999999999999"
    assert not role.allows(
        "route53:ChangeResourceRecordSets",
        other_zone,
        {RECORD_NAMES: ["staging.acme-corp.example"]},
    )
    for names in (
        ["acme-corp.example"],
        ["www.staging.acme-corp.example"],
        ["_x.prod.staging.acme-corp.example"],
        ["staging.acme-corp.example", "storefront.acme-corp.example"],
    ):
        assert not role.allows("route53:ChangeResourceRecordSets", ZONE, {RECORD_NAMES: names})


@pytest.mark.parametrize("stack", STACKS)
def test_without_a_hosted_zone_the_stack_changes_no_record(stack: str) -> None:
    role = apply_role(stack)
    assert not role.allows(
        "route53:ChangeResourceRecordSets", ZONE, {RECORD_NAMES: [f"{stack}.example.com"]}
    )


# Principals by name ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_own_principals_are_named_and_untagged_ones_are_out_of_reach(stack: str) -> None:
    role = apply_role(stack)
    own = f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-{stack}-service-task-role"
    org = f"arn:aws:iam::{ACCOUNT_ID}:role/OrganizationAccountAccessRole"
    for action in ("iam:PassRole", "sts:AssumeRole", "iam:UpdateAssumeRolePolicy"):
        assert role.allows(action, own)
        assert not role.allows(action, org)
        # Tagging the untagged role with its own environment makes it no more its own.
        assert not role.allows(action, org, tagged(stack))
        for other in others(stack):
            assert not role.allows(action, own.replace(f"-{stack}-", f"-{other}-"))
    user = f"arn:aws:iam::{ACCOUNT_ID}:user/break-glass"
    for action in ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UploadSSHPublicKey"):
        assert not role.allows(action, user)
        # Not even a user named like its own: a stack has no users (no static keys).
        assert not role.allows(action, f"arn:aws:iam::{ACCOUNT_ID}:user/{APP}-{stack}-x")
    assert not role.allows("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/Admins")
    assert not role.allows("s3:BypassGovernanceRetention", "arn:aws:s3:::any/key")
