"""GithubOidc: the provider, trust policies matched exactly, least-privilege deploy roles."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pulumi
import pytest
from moto import mock_aws
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from slipway.errors import ConfigError
from slipway.github_oidc import (
    ADMINISTRATOR_ACCESS,
    GITHUB_OIDC_HOST,
    PREVIEW_DENIED_DATA_READS,
    READ_ONLY_ACCESS,
    DeployRoleArgs,
    GithubOidc,
    GithubOidcArgs,
    GithubRepositoryFacts,
    OwnerType,
    RepositoryIds,
    SubjectFormat,
    read_repository,
)
from slipway.registry import PUSH_ACTIONS
from tests.iam_checks import (
    assert_valid_permission_policy,
    assert_valid_trust_policy,
    parliament_findings,
    trust_allows,
)
from tooling.offline import (
    ACCOUNT_ID,
    GithubRepository,
    RecordedResource,
    Recording,
    github_account_id,
    github_repository_id,
)

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
REGION = "eu-west-1"
ECR_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/shop/dev"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/shop-dev/shop-dev-web"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/shop-dev-task"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/shop-dev-execution"
PARAMETER_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/slipway/shop/dev/image"
STATE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
APP_IDS = RepositoryIds(owner_id=72338249, repository_id=901234567)
"""IDs of acme-corp (an organisation) and acme-corp/storefront, as GitHub would give them."""
INFRA_IDS = RepositoryIds(owner_id=72338249, repository_id=901234999)
INFRA: dict[str, Any] = {
    "infrastructure_repository": "acme-corp/storefront-infra",
    "infrastructure_repository_ids": INFRA_IDS,
}
INFRA_PREFIX = "acme-corp@72338249/storefront-infra@901234999"

PROPOSED_ACCEPTED_FINDINGS = {
    "RESOURCE_STAR - ['ecs:RegisterTaskDefinition']",
    "PERMISSIONS_MANAGEMENT_ACTIONS -  - {'actions': ['iam:passrole']",
}
"""Findings of the deploy policy that the lead is asked to add to tests.iam_checks'
ACCEPTED_FINDINGS (see the module report): RegisterTaskDefinition has no usable resource-level
permission, and a deploy must pass its task and execution roles. Nothing else may show up."""


def deploy_args(**overrides: Any) -> DeployRoleArgs:
    values: dict[str, Any] = {
        "repository": "acme-corp/storefront",
        "environment": "dev",
        "repository_ids": APP_IDS,
        "ecr_repository_arn": ECR_ARN,
        "ecs_service_arn": SERVICE_ARN,
        "task_family": "shop-dev",
        "task_role_arn": TASK_ROLE,
        "execution_role_arn": EXECUTION_ROLE,
        "image_channel_parameter_arn": PARAMETER_ARN,
        **overrides,
    }
    return DeployRoleArgs(**values)


def oidc(
    run: Runner,
    deploy: dict[str, Any] | None = None,
    **overrides: Any,
) -> Recording:
    def program() -> dict[str, Any]:
        role_args = deploy_args(**(deploy or {}))
        component = GithubOidc("github", GithubOidcArgs(**overrides))
        role = component.deploy_role("deploy-dev", role_args)
        return {
            "provider": component.provider_arn,
            "deploy_arn": role.arn,
            "preview_arn": component.preview_role_arn,
            "apply_arn": component.apply_role_arn,
        }

    return run(program)


def statement_by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def trust_condition(role: RecordedResource) -> dict[str, Any]:
    document = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(document)
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert set(statement["Condition"]) == {"StringEquals"}
    condition: dict[str, Any] = statement["Condition"]["StringEquals"]
    return condition


def assert_deploy_policy_valid(document: dict[str, Any]) -> None:
    """assert_valid_permission_policy, less the two findings proposed for acceptance."""
    IAMPolicyDocumentValidator(json.dumps(document)).validate()
    left = [
        f
        for f in parliament_findings(document)
        if not any(f.startswith(accepted) for accepted in PROPOSED_ACCEPTED_FINDINGS)
    ]
    assert left == []
    for statement in document["Statement"]:
        assert "*" not in statement["Action"], statement
        if "iam:PassRole" in statement["Action"]:
            assert statement["Resource"] not in ("*", ["*"])


def test_provider_is_created_without_thumbprints(run_component: Runner) -> None:
    recording = oidc(run_component, tags={"app": "shop"}, protect=True)
    provider = recording.one(PROVIDER)
    assert provider.name == "github-provider"
    assert provider.inputs["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in provider.inputs
    assert provider.inputs["tags"] == {"app": "shop"}
    assert provider.protect
    assert provider.retain_on_delete
    assert recording.outputs["provider"] == PROVIDER_ARN


def test_existing_provider_is_referenced_not_created(run_component: Runner) -> None:
    other = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
    recording = oidc(run_component, existing_provider_arn=other)
    assert recording.of_type(PROVIDER) == []
    assert recording.outputs["provider"] == other
    assert trust_condition(recording.one(ROLE, "github-deploy-dev"))


def test_existing_provider_is_adopted_by_import_and_kept(run_component: Runner) -> None:
    """Adopting imports the account's provider (the ``import`` option with its ARN, IAM's
    import ID) instead of creating a second one, which IAM refuses (EntityAlreadyExists); its
    audiences and thumbprints are left as they are and it is never deleted."""
    recording = oidc(run_component, existing_provider_arn=PROVIDER_ARN, provider_ownership="adopt")
    provider = recording.one(PROVIDER)
    assert provider.import_id == PROVIDER_ARN
    assert provider.protect
    assert provider.retain_on_delete
    assert sorted(provider.ignore_changes) == ["clientIdLists", "thumbprintLists"]
    assert provider.inputs["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert trust_condition(recording.one(ROLE, "github-deploy-dev"))


def test_deploy_role_trusts_exactly_one_environment_of_one_repository(
    run_component: Runner,
) -> None:
    role = oidc(run_component).one(ROLE, "github-deploy-dev")
    condition = trust_condition(role)
    assert condition == {
        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
        f"{GITHUB_OIDC_HOST}:sub": "repo:acme-corp@72338249/storefront@901234567:environment:dev",
    }
    assert role.inputs["maxSessionDuration"] == 3600
    assert not any("*" in str(v) or "?" in str(v) for v in condition.values())


def test_trust_policy_is_accepted_by_moto_iam(
    run_component: Runner,
) -> None:
    document = oidc(run_component).one(ROLE, "github-deploy-dev").inputs["assumeRolePolicy"]
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_open_id_connect_provider(
            Url=f"https://{GITHUB_OIDC_HOST}", ClientIDList=["sts.amazonaws.com"]
        )
        created = iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=document)
        assert created["Role"]["RoleName"] == "deploy"


def test_deploy_policy_is_least_privilege(run_component: Runner) -> None:
    recording = oidc(run_component)
    policy = recording.one(ROLE_POLICY, "github-deploy-dev-policy")
    document = policy.json_input("policy")
    assert_deploy_policy_valid(document)
    sids = statement_by_sid(document)
    task_definitions = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/shop-dev:*"
    assert sids["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert sids["EcrLogin"]["Resource"] == "*"
    assert sorted(sids["EcrPushPull"]["Action"]) == sorted(PUSH_ACTIONS)
    assert "ecr:DescribeImages" in sids["EcrPushPull"]["Action"]
    assert sids["EcrPushPull"]["Resource"] == [ECR_ARN]
    assert sids["EcsDescribeTaskDefinitions"]["Resource"] == "*"
    assert sids["EcsRegisterTaskDefinitions"]["Action"] == ["ecs:RegisterTaskDefinition"]
    assert sids["EcsTagNewTaskDefinitions"]["Resource"] == [task_definitions]
    assert sids["EcsTagNewTaskDefinitions"]["Condition"] == {
        "StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}
    }
    assert sids["EcsDescribeService"] == {
        "Sid": "EcsDescribeService",
        "Effect": "Allow",
        "Action": ["ecs:DescribeServices"],
        "Resource": [SERVICE_ARN],
    }
    assert sids["EcsDeployService"]["Action"] == ["ecs:UpdateService"]
    assert sids["EcsDeployService"]["Resource"] == [SERVICE_ARN]
    assert sids["EcsDeployService"]["Condition"] == {
        "ArnLike": {"ecs:task-definition": task_definitions}
    }
    deployments = SERVICE_ARN.replace(":service/", ":service-deployment/") + "/*"
    revisions = SERVICE_ARN.replace(":service/", ":service-revision/") + "/*"
    assert sids["EcsFollowDeployments"] == {
        "Sid": "EcsFollowDeployments",
        "Effect": "Allow",
        "Action": [
            "ecs:DescribeServiceDeployments",
            "ecs:DescribeServiceRevisions",
            "ecs:ListServiceDeployments",
        ],
        "Resource": [SERVICE_ARN, deployments, revisions],
    }
    assert sids["EcsStopDeployment"] == {
        "Sid": "EcsStopDeployment",
        "Effect": "Allow",
        "Action": ["ecs:StopServiceDeployment"],
        "Resource": [SERVICE_ARN, deployments],
    }
    assert sids["EcsPassRoles"]["Resource"] == [TASK_ROLE, EXECUTION_ROLE]
    assert sids["EcsPassRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert sids["ImageChannel"]["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert sids["ImageChannel"]["Resource"] == [PARAMETER_ARN]
    # Only the actions AWS offers no resource scope for use "*".
    star = {a for s in document["Statement"] if s["Resource"] == "*" for a in s["Action"]}
    assert star == {
        "ecr:GetAuthorizationToken",
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
    }
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_deploy_policy_has_only_the_findings_proposed_for_acceptance(
    run_component: Runner,
) -> None:
    """Parliament's findings are exactly the two explained ones: nothing new slipped in."""
    document = oidc(run_component).one(ROLE_POLICY, "github-deploy-dev-policy").json_input("policy")
    findings = parliament_findings(document)
    for finding in findings:
        assert any(finding.startswith(accepted) for accepted in PROPOSED_ACCEPTED_FINDINGS)


def test_deploy_policy_is_accepted_by_moto_iam(run_component: Runner) -> None:
    text = oidc(run_component).one(ROLE_POLICY, "github-deploy-dev-policy").inputs["policy"]
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=text)
        stored = iam.get_role_policy(RoleName="r", PolicyName="p")["PolicyDocument"]
        assert stored == json.loads(text)


def test_no_infrastructure_roles_without_the_infrastructure_repository(
    run_component: Runner,
) -> None:
    recording = oidc(run_component)
    assert [r.name for r in recording.of_type(ROLE)] == ["github-deploy-dev"]
    assert recording.outputs["preview_arn"] is None
    assert recording.outputs["apply_arn"] is None


def test_preview_role_trusts_pull_requests_and_reads_no_data(run_component: Runner) -> None:
    recording = oidc(
        run_component,
        **INFRA,
        state_key_arn=STATE_KEY,
    )
    role = recording.one(ROLE, "github-preview")
    document = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(document)
    # Pull requests, and the scheduled drift check in its own environment: one statement each.
    assert [s["Condition"]["StringEquals"] for s in document["Statement"]] == [
        {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{INFRA_PREFIX}:pull_request",
        },
        {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{INFRA_PREFIX}:environment:infra-drift",
        },
    ]
    (attachment,) = [
        a for a in recording.of_type(ATTACHMENT) if a.name.startswith("github-preview")
    ]
    assert attachment.inputs["policyArn"] == f"arn:aws:iam::aws:policy/{READ_ONLY_ACCESS}"
    limits = recording.one(ROLE_POLICY, "github-preview-limits").json_input("policy")
    assert_valid_permission_policy(limits)
    sids = statement_by_sid(limits)
    assert sids["PreviewReadsNoData"]["Effect"] == "Deny"
    assert sids["PreviewReadsNoData"]["Action"] == list(PREVIEW_DENIED_DATA_READS)
    assert sids["PreviewReadsNoOtherObjects"]["Effect"] == "Deny"
    assert sids["PreviewReadsNoOtherObjects"]["Resource"] == "*"
    key = recording.one(ROLE_POLICY, "github-preview-state-key").json_input("policy")
    assert_valid_permission_policy(key)
    assert key["Statement"] == [
        {
            "Sid": "StateKeyDecrypt",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [STATE_KEY],
        }
    ]
    assert "github-apply" not in [r.name for r in recording.of_type(ROLE)]


def test_preview_environments_replace_the_pull_request_subject(run_component: Runner) -> None:
    """With its own environments, the preview role trusts exactly their subjects: a pull
    request's job gets it only through an environment (and its reviewers), never through the
    bare ``pull_request`` subject."""
    bucket_key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/mrk-0123456789abcdef0123456789abcdef"
    recording = oidc(
        run_component,
        **INFRA,
        preview_environments=("infra-preview-prod", "infra-drift-prod"),
        state_key_arn=STATE_KEY,
        state_bucket_key_arn=bucket_key,
    )
    document = recording.one(ROLE, "github-preview").json_input("assumeRolePolicy")
    assert_valid_trust_policy(document)
    subjects = [
        s["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"] for s in document["Statement"]
    ]
    assert subjects == [
        f"repo:{INFRA_PREFIX}:environment:infra-preview-prod",
        f"repo:{INFRA_PREFIX}:environment:infra-drift-prod",
    ]
    key = recording.one(ROLE_POLICY, "github-preview-state-key").json_input("policy")
    assert key["Statement"][0]["Resource"] == [STATE_KEY, bucket_key]
    with pytest.raises(ConfigError, match=r"GithubOidcArgs\.preview_environments"):
        oidc(run_component, **INFRA, preview_environments=("infra-preview:prod",))


def test_preview_may_read_the_state_bucket_only(run_component: Runner) -> None:
    recording = oidc(
        run_component,
        **INFRA,
        state_bucket_arn="arn:aws:s3:::acme-pulumi-state",
    )
    limits = recording.one(ROLE_POLICY, "github-preview-limits").json_input("policy")
    assert_valid_permission_policy(limits)
    objects = statement_by_sid(limits)["PreviewReadsNoOtherObjects"]
    assert objects["NotResource"] == ["arn:aws:s3:::acme-pulumi-state/*"]
    assert "Resource" not in objects


def test_apply_role_trusts_exactly_its_environments(run_component: Runner) -> None:
    boundary = f"arn:aws:iam::{ACCOUNT_ID}:policy/slipway-boundary"
    recording = oidc(
        run_component,
        **INFRA,
        infrastructure_environments=("infra-dev", "infra-prod"),
        permissions_boundary_arn=boundary,
        state_key_arn=STATE_KEY,
    )
    apply = recording.one(ROLE, "github-apply")
    document = apply.json_input("assumeRolePolicy")
    assert_valid_trust_policy(document)
    assert [s["Condition"]["StringEquals"] for s in document["Statement"]] == [
        {
            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
            f"{GITHUB_OIDC_HOST}:sub": f"repo:{INFRA_PREFIX}:environment:{env}",
        }
        for env in ("infra-dev", "infra-prod")
    ]
    assert apply.inputs["permissionsBoundary"] == boundary
    assert recording.one(ROLE, "github-preview").inputs["permissionsBoundary"] == boundary
    assert apply.inputs["maxSessionDuration"] == 3600
    attachment = recording.one(ATTACHMENT, "github-apply-managed-0")
    assert attachment.inputs["policyArn"] == f"arn:aws:iam::aws:policy/{ADMINISTRATOR_ACCESS}"
    key = recording.one(ROLE_POLICY, "github-apply-state-key").json_input("policy")
    assert_valid_permission_policy(key)
    assert recording.outputs["apply_arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/github-apply")


def test_every_child_is_parented_and_named_after_the_component(run_component: Runner) -> None:
    recording = oidc(
        run_component,
        **INFRA,
        infrastructure_environments=("infra-dev",),
    )
    for resource in recording.resources:
        if resource.type == GithubOidc.TOKEN:
            assert resource.parent_type == "pulumi:pulumi:Stack"
            continue
        assert resource.parent_type == GithubOidc.TOKEN, resource.name
        assert resource.name.startswith("github-"), resource.name


def test_role_tags_merge_component_and_deploy_tags(run_component: Runner) -> None:
    recording = oidc(run_component, deploy={"tags": {"env": "dev"}}, tags={"app": "shop"})
    assert recording.one(ROLE, "github-deploy-dev").inputs["tags"] == {"app": "shop", "env": "dev"}


def test_outputs_given_as_outputs_are_not_validated_early(run_component: Runner) -> None:
    recording = oidc(
        run_component,
        deploy={"ecr_repository_arn": pulumi.Output.from_input(ECR_ARN)},
    )
    assert recording.one(ROLE_POLICY, "github-deploy-dev-policy")


@pytest.mark.parametrize(
    ("overrides", "deploy", "message"),
    [
        ({"existing_provider_arn": "arn:aws:iam::1:oidc-provider/x"}, {}, "existing_provider_arn"),
        (
            {"provider_ownership": "adopt"},
            {},
            "GithubOidcArgs.existing_provider_arn: got None; none when the provider is created",
        ),
        (
            {"provider_ownership": "create", "existing_provider_arn": PROVIDER_ARN},
            {},
            "GithubOidcArgs.existing_provider_arn: got 'arn:aws:iam::",
        ),
        (
            {"provider_ownership": "import"},
            {},
            "GithubOidcArgs.provider_ownership: got 'import'; one of ['adopt', 'create', 'ref",
        ),
        ({"infrastructure_repository": "acme/*"}, {}, "infrastructure_repository: got 'acme/*'"),
        ({"infrastructure_environments": ("prod",)}, {}, "only with infrastructure_repository"),
        (
            {**INFRA, "preview_policy_arns": (ADMINISTRATOR_ACCESS,)},
            {},
            "pull requests must never get write access",
        ),
        (
            {"infrastructure_repository": "acme-corp/storefront-infra"},
            {},
            "GithubOidcArgs.infrastructure_repository_ids: got None; the owner and repository IDs",
        ),
        (
            {"infrastructure_repository_ids": INFRA_IDS},
            {},
            "infrastructure_repository_ids: got RepositoryIds(",
        ),
        (
            {**INFRA, "infrastructure_subject_format": "immutable"},
            {},
            "GithubOidcArgs.infrastructure_subject_format: got 'immutable'; a SubjectFormat member",
        ),
        ({}, {"repository_ids": None}, "DeployRoleArgs.repository_ids: got None;"),
        (
            {},
            {"repository_ids": None, "subject_format": SubjectFormat.BOTH},
            "when DeployRoleArgs.subject_format is 'both'",
        ),
        ({"apply_policy_arns": ()}, {}, "GithubOidcArgs.apply_policy_arns: got []"),
        ({"state_key_arn": "alias/state"}, {}, "GithubOidcArgs.state_key_arn"),
        ({}, {"repository": "acme-corp/*"}, "DeployRoleArgs.repository: got 'acme-corp/*'"),
        ({}, {"repository": "acme-corp"}, "DeployRoleArgs.repository"),
        ({}, {"repository": "-acme/shop"}, "DeployRoleArgs.repository"),
        ({}, {"environment": "prod*"}, "DeployRoleArgs.environment: got ['prod*']"),
        ({}, {"environment": "a:b"}, "DeployRoleArgs.environment"),
        ({}, {"task_role_arn": "*"}, "DeployRoleArgs.task_role_arn: got '*'"),
        ({}, {"ecs_service_arn": SERVICE_ARN.replace("shop-dev/", "")}, "long format"),
        ({}, {"task_family": "shop:1"}, "DeployRoleArgs.task_family"),
        ({}, {"image_channel_parameter_arn": "/slipway/image"}, "image_channel_parameter_arn"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], deploy: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        oidc(run_component, deploy=deploy, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_bad_deploy_role_name_is_refused(run_component: Runner) -> None:
    def program() -> dict[str, Any]:
        GithubOidc("github", GithubOidcArgs()).deploy_role("Deploy_Dev", deploy_args())
        return {}

    with pytest.raises(ConfigError, match=r"GithubOidc\.deploy_role\.name: got 'Deploy_Dev'"):
        run_component(program)


def token(prefix: str, context: str) -> dict[str, str]:
    """The claims IAM sees from a GitHub Actions OIDC token (aud and sub)."""
    return {
        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
        f"{GITHUB_OIDC_HOST}:sub": f"repo:{prefix}:{context}",
    }


IMMUTABLE = "acme-corp@72338249/storefront@901234567"
"""GitHub's immutable form: each name followed by ``@`` and its numeric ID."""
NAME = "acme-corp/storefront"
RECYCLED = "acme-corp@88888888/storefront@777777777"
"""The same names registered again by someone else after a deletion: new IDs."""


@pytest.mark.parametrize(
    ("subject_format", "accepted"),
    [
        (SubjectFormat.IMMUTABLE, {IMMUTABLE}),
        (SubjectFormat.NAME, {NAME}),
        (SubjectFormat.BOTH, {IMMUTABLE, NAME}),
    ],
)
def test_the_deploy_role_accepts_exactly_the_subjects_of_its_format(
    run_component: Runner, subject_format: SubjectFormat, accepted: set[str]
) -> None:
    """Evaluated like IAM would: a token of each form, of the right and a wrong environment,
    and a token of a repository that took over the names, against the recorded trust."""
    role = oidc(run_component, deploy={"subject_format": subject_format}).one(
        ROLE, "github-deploy-dev"
    )
    document = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(document)
    for prefix in (IMMUTABLE, NAME, RECYCLED):
        allowed = trust_allows(document, token(prefix, "environment:dev"), PROVIDER_ARN)
        assert allowed is (prefix in accepted), (subject_format, prefix)
        assert not trust_allows(document, token(prefix, "environment:prod"), PROVIDER_ARN)
        assert not trust_allows(document, token(prefix, "pull_request"), PROVIDER_ARN)
    wrong_audience = {**token(IMMUTABLE, "environment:dev"), f"{GITHUB_OIDC_HOST}:aud": "x"}
    assert not trust_allows(document, wrong_audience, PROVIDER_ARN)
    # One exact subject per statement, never a pattern.
    assert len(document["Statement"]) == len(accepted)
    for statement in document["Statement"]:
        assert set(statement["Condition"]) == {"StringEquals"}


@pytest.mark.parametrize("subject_format", list(SubjectFormat))
def test_the_infrastructure_roles_follow_their_format(
    run_component: Runner, subject_format: SubjectFormat
) -> None:
    recording = oidc(
        run_component,
        **INFRA,
        infrastructure_subject_format=subject_format,
        infrastructure_environments=("infra-prod",),
    )
    preview = recording.one(ROLE, "github-preview").json_input("assumeRolePolicy")
    apply = recording.one(ROLE, "github-apply").json_input("assumeRolePolicy")
    immutable, name = INFRA_PREFIX, "acme-corp/storefront-infra"
    expected = {
        SubjectFormat.IMMUTABLE: {immutable},
        SubjectFormat.NAME: {name},
        SubjectFormat.BOTH: {immutable, name},
    }[subject_format]
    for prefix in (immutable, name, "acme-corp@1/storefront-infra@2"):
        trusted = prefix in expected
        for document, context in (
            (preview, "pull_request"),
            (preview, "environment:infra-drift"),
            (apply, "environment:infra-prod"),
        ):
            assert trust_allows(document, token(prefix, context), PROVIDER_ARN) is trusted
        assert not trust_allows(preview, token(prefix, "environment:infra-prod"), PROVIDER_ARN)
        assert not trust_allows(apply, token(prefix, "pull_request"), PROVIDER_ARN)
    # The application repository's subjects open neither infrastructure role.
    assert not trust_allows(preview, token(IMMUTABLE, "pull_request"), PROVIDER_ARN)


def test_name_format_needs_no_ids(run_component: Runner) -> None:
    recording = oidc(
        run_component,
        deploy={"repository_ids": None, "subject_format": SubjectFormat.NAME},
        infrastructure_repository="acme-corp/storefront-infra",
        infrastructure_subject_format=SubjectFormat.NAME,
    )
    condition = trust_condition(recording.one(ROLE, "github-deploy-dev"))
    assert condition[f"{GITHUB_OIDC_HOST}:sub"] == "repo:acme-corp/storefront:environment:dev"


@pytest.mark.parametrize(
    ("owner_id", "repository_id", "message"),
    [
        (0, 1, "RepositoryIds.owner_id: got 0;"),
        (1, -5, "RepositoryIds.repository_id: got -5;"),
        (True, 1, "RepositoryIds.owner_id: got True;"),
        ("72338249", 1, "RepositoryIds.owner_id: got '72338249'; a GitHub ID"),
    ],
)
def test_repository_ids_are_positive_whole_numbers(
    owner_id: Any, repository_id: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        RepositoryIds(owner_id=owner_id, repository_id=repository_id)
    assert message in str(caught.value)


def read(
    run: Callable[..., Recording],
    repository: str,
    owner_type: OwnerType = OwnerType.ORGANIZATION,
    known: dict[str, GithubRepository] | None = None,
) -> GithubRepositoryFacts:
    found: list[GithubRepositoryFacts] = []

    def program() -> dict[str, Any]:
        found.append(read_repository(repository, owner_type, "slipway:githubRepository"))
        return {}

    run(program, github_repositories=known)
    return found[0]


def test_ids_are_read_through_the_github_provider(run_component: Callable[..., Recording]) -> None:
    facts = read(run_component, "acme-corp/storefront")
    assert facts == GithubRepositoryFacts(
        full_name="acme-corp/storefront",
        ids=RepositoryIds(
            owner_id=github_account_id("acme-corp"),
            repository_id=github_repository_id("acme-corp/storefront"),
        ),
        visibility="public",
    )
    private = read(
        run_component,
        "octocat/hello",
        OwnerType.USER,
        {"octocat/hello": GithubRepository("octocat/hello", visibility="private")},
    )
    assert private.ids.owner_id == github_account_id("octocat")
    assert private.visibility == "private"


@pytest.mark.parametrize(
    ("known", "message"),
    [
        (
            {"acme-corp/storefront": GithubRepository("acme-corp/storefront", exists=False)},
            "slipway:githubRepository: got 'acme-corp/storefront'; a repository the GitHub "
            "provider's credentials can read",
        ),
        (
            {"acme-corp/storefront": GithubRepository("Acme-Corp/Storefront")},
            "exactly as GitHub spells it now, 'Acme-Corp/Storefront': OIDC subjects compare "
            "case-sensitively",
        ),
    ],
)
def test_a_repository_github_does_not_know_so_is_refused(
    run_component: Callable[..., Recording], known: dict[str, GithubRepository], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        read(run_component, "acme-corp/storefront", known=known)
    assert message in str(caught.value)
