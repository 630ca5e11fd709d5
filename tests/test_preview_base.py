"""The preview base (slipway.preview_base, docs/previews.md): one dedicated load balancer, its
HTTPS listener, a wildcard certificate and one wildcard alias record, made by the stack that
owns previews, tagged so that the preview role's boundary lets it add rules, and refused
before anything is registered without a hosted zone and a domain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from moto.ecr.policy_validation import EcrLifecyclePolicyValidator

from slipway.errors import ConfigError
from slipway.preview_access import (
    PreviewScope,
    preview_boundary_document,
    preview_policy_document,
)
from slipway.preview_base import (
    PreviewBase,
    PreviewBaseArgs,
    preview_image_expiry_days,
    preview_wildcard,
)
from slipway.stack_boundary import ENVIRONMENT_TAG
from tests.iam_eval import Principal
from tooling.offline import ACCOUNT_ID, ROOT, Recording, run_stack

Runner = Callable[..., Recording]
ZONE = "Z0123456789ABCDEFGHIJ"
DOMAIN = "dev.acme-corp.example"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RECORD = "aws:route53/record:Record"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
POLICY = "aws:iam/policy:Policy"
RESOURCE_TAG = f"aws:ResourceTag/{ENVIRONMENT_TAG}"
REQUEST_TAG = f"aws:RequestTag/{ENVIRONMENT_TAG}"
PREVIEWS_ON = {"previews": "true", "hostedZoneId": ZONE, "domainName": DOMAIN}


def base_args(**overrides: Any) -> PreviewBaseArgs:
    values: dict[str, Any] = {
        "app": "storefront",
        "domain_name": DOMAIN,
        "hosted_zone_id": ZONE,
        "vpc_id": "vpc-0123456789abcdef0",
        "public_subnet_ids": ["subnet-a", "subnet-b"],
        "tags": {"slipway:app": "storefront", ENVIRONMENT_TAG: "dev"},
    }
    return PreviewBaseArgs(**{**values, **overrides})


def run_base(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        PreviewBase("previews", base_args(**overrides))
        return {}

    return run(program)


def test_the_base_is_one_load_balancer_a_wildcard_certificate_and_one_record(
    run_component: Runner,
) -> None:
    recording = run_base(run_component)
    lb = recording.one(LB)
    assert lb.inputs["name"] == "storefront-pr-base"
    assert lb.inputs["internal"] is False
    assert lb.inputs["dropInvalidHeaderFields"] is True
    assert lb.inputs["subnets"] == ["subnet-a", "subnet-b"]
    certificate = recording.one(CERTIFICATE)
    assert certificate.inputs["domainName"] == "*.pr.dev.acme-corp.example"
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {r.name: r for r in recording.of_type(RECORD)}
    assert set(records) == {"previews-certificate-validation-record", "previews-alias"}
    alias = records["previews-alias"]
    assert alias.inputs["name"] == "*.pr.dev.acme-corp.example"
    assert alias.inputs["zoneId"] == ZONE
    assert alias.inputs["type"] == "A"
    listeners = {r.inputs["protocol"]: r for r in recording.of_type(LISTENER)}
    assert set(listeners) == {"HTTPS", "HTTP"}
    https = listeners["HTTPS"]
    assert https.inputs["port"] == 443
    assert https.inputs["certificateArn"] == recording.one(VALIDATION).inputs["certificateArn"]
    (default,) = https.inputs["defaultActions"]
    assert default["type"] == "fixed-response"
    assert default["fixedResponse"]["statusCode"] == "404"
    (redirect,) = listeners["HTTP"].inputs["defaultActions"]
    assert redirect["redirect"]["protocol"] == "HTTPS"
    # No forward anywhere: each preview adds its own rule and target group.
    assert recording.of_type("aws:lb/targetGroup:TargetGroup") == []


def test_every_child_is_tagged_preview_whatever_the_owners_environment(
    run_component: Runner,
) -> None:
    """The preview role's boundary denies a listener tagged with another environment: tagged
    ``dev``, the role could not add a preview's rule."""
    recording = run_base(run_component)
    tagged = [r for r in recording.resources if "tags" in r.inputs]
    assert len(tagged) >= 8
    for resource in tagged:
        assert resource.inputs["tags"][ENVIRONMENT_TAG] == "preview", resource.name
        assert resource.inputs["tags"]["slipway:app"] == "storefront"
    registry = {"previews-registry"}
    while new := {r.name for r in recording.resources if r.parent_name in registry} - registry:
        registry |= new
    assert len(registry) > 1
    assert all(
        r.parent_name == "previews"
        for r in recording.resources
        if r.name != "previews" and (r.name == "previews-registry" or r.name not in registry)
    )


def test_the_tasks_group_admits_only_the_load_balancer(run_component: Runner) -> None:
    recording = run_base(run_component, container_port=8080)
    rules = {
        r.name: r.inputs
        for r in recording.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    into_tasks = rules["previews-tasks-in-alb"]
    assert into_tasks["fromPort"] == into_tasks["toPort"] == 8080
    assert "cidrIpv4" not in into_tasks
    open_ports = sorted(v["fromPort"] for v in rules.values() if v.get("cidrIpv4") == "0.0.0.0/0")
    assert open_ports == [80, 443]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (
            {"domain_name": "Shop.Example.COM"},
            "PreviewBaseArgs.domain_name: got 'Shop.Example.COM'",
        ),
        ({"hosted_zone_id": "example.com"}, "PreviewBaseArgs.hosted_zone_id: got 'example.com'"),
        ({"container_port": 80}, "PreviewBaseArgs.container_port: got 80"),
        ({"app": "a" * 25}, "PreviewBaseArgs.app: got 'aaaa"),
        ({"ttl_hours": 0}, "PreviewBaseArgs.ttl_hours: got 0"),
        ({"ttl_hours": 8761}, "PreviewBaseArgs.ttl_hours: got 8761"),
        ({"key_deletion_window_days": 3}, "PreviewBaseArgs.key_deletion_window_days: got 3"),
    ],
)
def test_wrong_arguments_are_refused(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        base_args(**overrides)


def test_the_wildcard_is_one_label_under_pr() -> None:
    assert preview_wildcard("Shop.Example.com.") == "*.pr.shop.example.com"


# The setting, in a stack ------------------------------------------------------------------------


def test_previews_are_off_by_default() -> None:
    recording = run_stack("dev")
    assert recording.of_type("slipway:index:PreviewBase") == []
    assert not any(name.startswith("preview") for name in recording.outputs)


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"previews": "true"}, "slipway:hostedZoneId and slipway:domainName are set"),
        ({"previews": "true", "domainName": DOMAIN}, "slipway:hostedZoneId is set"),
    ],
)
def test_previews_without_a_zone_and_a_domain_are_refused_before_anything(
    overrides: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides=overrides)
    message = str(caught.value)
    assert "slipway:previews: got True;" in message
    assert missing in message
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def owner() -> Recording:
    return run_stack("dev", overrides=PREVIEWS_ON)


def test_the_owner_stack_builds_the_base_in_its_vpc_and_exports_what_the_workflow_needs(
    owner: Recording,
) -> None:
    base = owner.one("slipway:index:PreviewBase")
    assert base.name == "previews"
    lb = owner.one(LB, "previews-alb")
    main_lbs = [r for r in owner.of_type(LB) if r.name != "previews-alb"]
    assert len(main_lbs) == 1
    assert lb.inputs["subnets"] == main_lbs[0].inputs["subnets"]
    outputs = owner.outputs
    assert outputs["previewListenerArn"].startswith(
        f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT_ID}:listener/app/"
    )
    assert outputs["previewDomain"] == DOMAIN
    assert outputs["previewSecurityGroupId"].startswith("sg-")
    assert outputs["previewSubnetIds"] == outputs["privateSubnetIds"]
    documented = (ROOT / "docs" / "outputs.md").read_text()
    previews = [name for name in outputs if name.startswith("preview")]
    assert len(previews) == 8
    assert outputs["previewRepositoryUrl"].endswith("/storefront-previews")
    assert all(f"`{name}`" in documented for name in previews)


def test_the_owners_boundary_lets_it_tag_preview_and_write_the_wildcard_record(
    owner: Recording,
) -> None:
    """Evaluated with Principal Mapper: the dev stack's apply role under its boundary may create
    the preview load balancer tagged ``preview`` and change ``*.pr.<domain>`` records, and still
    not staging's or prod's resources; without ``previews``, the same request is denied."""
    from tests.test_stack_boundary import bounded_principal

    document = owner.one(POLICY, "boundary-policy").json_input("policy")
    role = bounded_principal(document)
    lb = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT_ID}:loadbalancer/app/x/1"
    assert role.allows("elasticloadbalancing:CreateLoadBalancer", lb, {REQUEST_TAG: "preview"})
    assert role.allows("elasticloadbalancing:CreateLoadBalancer", lb, {REQUEST_TAG: "dev"})
    repository = f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/storefront-previews"
    app = {"aws:RequestTag/slipway:app": "storefront"}
    assert role.allows("ecr:CreateRepository", repository, {REQUEST_TAG: "preview", **app})
    assert role.allows("kms:CreateKey", "*", {REQUEST_TAG: "preview", **app})
    for other in ("staging", "prod"):
        assert not role.allows("elasticloadbalancing:CreateLoadBalancer", lb, {REQUEST_TAG: other})
        assert not role.allows("elasticloadbalancing:DeleteLoadBalancer", lb, {RESOURCE_TAG: other})
    zone = f"arn:aws:route53:::hostedzone/{ZONE}"
    names = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    # Route 53 puts names into this key lower-case, without the final dot, and with "*" as
    # its octal escape \052 ("Using IAM policy conditions for fine-grained access control",
    # Route 53 Developer Guide, "Normalizing the condition key values").
    wildcard = "\\052.pr.dev.acme-corp.example"
    for name in (wildcard, "_" + "0" * 32 + ".pr.dev.acme-corp.example"):
        assert role.allows("route53:ChangeResourceRecordSets", zone, {names: [name]})
    assert not role.allows("route53:ChangeResourceRecordSets", zone, {names: ["acme-corp.example"]})

    plain = bounded_principal(
        run_stack("dev", overrides={"hostedZoneId": ZONE, "domainName": DOMAIN})
        .one(POLICY, "boundary-policy")
        .json_input("policy")
    )
    assert not plain.allows("elasticloadbalancing:CreateLoadBalancer", lb, {REQUEST_TAG: "preview"})
    assert not plain.allows("route53:ChangeResourceRecordSets", zone, {names: [wildcard]})


def test_the_preview_role_may_add_rules_to_the_bases_listener(owner: Recording) -> None:
    """The preview role's boundary (slipway.preview_access) against the listener as the base
    tags it: the rule is allowed; the same listener tagged ``dev`` would be denied."""
    listener_arn = owner.outputs["previewListenerArn"]
    tags = owner.one(LISTENER, "previews-https").inputs["tags"]
    scope = PreviewScope(
        partition="aws",
        account_id=ACCOUNT_ID,
        region="eu-west-1",
        app="storefront",
        cluster_name="storefront-dev",
        listener_arn=listener_arn,
        execution_role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-preview-execution",
    )
    role = Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-preview",
        policies={"preview": preview_policy_document(scope)},
        boundary_arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/storefront-preview-ci-boundary",
        boundary=preview_boundary_document(scope),
    )
    claim = {"aws:RequestTag/slipway:preview": "storefront"}
    context = {f"aws:ResourceTag/{ENVIRONMENT_TAG}": tags[ENVIRONMENT_TAG], **claim}
    assert role.allows("elasticloadbalancing:CreateRule", listener_arn, context)
    dev = {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "dev", **claim}
    assert not role.allows("elasticloadbalancing:CreateRule", listener_arn, dev)


def test_the_largest_preview_owners_boundary_fits_a_managed_policy() -> None:
    """The largest boundary (tests/test_stack_boundary.py) plus what owning previews adds: the
    shared ``preview`` environment and the ``*.pr.<domain>`` record pattern for the longest
    domain the boundary may name. It still fits IAM's 6,144 characters, with 100 to spare."""
    from slipway.stack_boundary import (
        MAX_MANAGED_POLICY_CHARS,
        MAX_RECORD_DOMAIN,
        BoundaryScope,
        boundary_document,
        compact_json,
        record_name_patterns,
    )

    domain = ("d" * 60 + "." + "e" * 60)[: MAX_RECORD_DOMAIN - len(".example")] + ".example"
    scope = BoundaryScope(
        "aws-us-gov",
        ACCOUNT_ID,
        "a" * 24,
        "e" * 24,
        record_names=(*record_name_patterns(domain), preview_wildcard(domain)),
        record_zone_id="Z" + "A" * 31,
        shared_environments=("preview",),
    )
    assert len(compact_json(boundary_document(scope))) <= MAX_MANAGED_POLICY_CHARS - 100


def test_the_owner_writes_what_preview_yml_reads_into_the_preview_environment(
    owner: Recording,
) -> None:
    """The ``preview`` GitHub environment holds every variable the preview workflow's jobs and
    the delivered scripts read, with the base's and the owner's values; no branch policy and
    no reviewers, so a pull request's preview needs no approval."""
    from slipway.contract import PreviewVariable
    from slipway.workflows.preview_workflow import SETTINGS

    environment = owner.one(
        "github:index/repositoryEnvironment:RepositoryEnvironment",
        "github-preview-environment-environment",
    )
    assert environment.inputs["environment"] == "preview"
    assert "reviewers" not in environment.inputs or not environment.inputs["reviewers"]
    written = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in owner.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
        if r.parent_name == "github-preview-environment"
    }
    assert set(SETTINGS) <= set(written)
    outputs = owner.outputs
    assert set(written) == {str(v) for v in PreviewVariable} | {
        "AWS_REGION",
        "AWS_ACCOUNT_ID",
        "AWS_DEPLOY_ROLE_ARN",
        "ECR_REPOSITORY_URL",
    }
    assert written["ECR_REPOSITORY_URL"] == outputs["previewRepositoryUrl"]
    assert written["AWS_DEPLOY_ROLE_ARN"] == outputs["previewRoleArn"]
    assert written["PREVIEW_EXECUTION_ROLE_ARN"] == outputs["previewExecutionRoleArn"]
    assert written["PREVIEW_LISTENER_ARN"] == outputs["previewListenerArn"]
    assert written["PREVIEW_DOMAIN"] == DOMAIN
    assert written["PREVIEW_APP"] == "storefront"
    assert written["PREVIEW_CLUSTER"] == outputs["clusterName"]
    assert written["PREVIEW_SUBNETS"] == ",".join(outputs["privateSubnetIds"])
    assert written["PREVIEW_SECURITY_GROUPS"] == outputs["previewSecurityGroupId"]
    assert written["PREVIEW_VPC_ID"] == outputs["vpcId"]
    assert outputs["previewEnvironment"] == "preview"


# The preview role, as the owner stack registers it ---------------------------------------------

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REGION = "eu-west-1"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def preview_role(owner: Recording) -> Principal:
    """The registered preview role: its two inline policies under the owner's boundary."""
    role = owner.one(ROLE, "preview-roles-github")
    policies = {
        r.name: r.json_input("policy")
        for r in owner.of_type(ROLE_POLICY)
        if r.name.startswith("preview-roles-github-")
    }
    assert set(policies) == {"preview-roles-github-policy", "preview-roles-github-isolation"}
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role.inputs['name']}",
        policies=policies,
        boundary_arn=role.inputs["permissionsBoundary"],
        boundary=owner.one(POLICY, "boundary-policy").json_input("policy"),
    )


def test_the_preview_role_trusts_only_the_preview_environment(owner: Recording) -> None:
    role = owner.one(ROLE, "preview-roles-github")
    assert role.inputs["name"].startswith("storefront-dev-")
    trust = role.json_input("assumeRolePolicy")
    subjects = [
        s["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        for s in trust["Statement"]
    ]
    assert subjects
    assert all(s.endswith(":environment:preview") for s in subjects)
    assert all(s["Action"] == "sts:AssumeRoleWithWebIdentity" for s in trust["Statement"])
    execution = owner.one(ROLE, "preview-roles-execution")
    services = json.dumps(execution.json_input("assumeRolePolicy"))
    assert "ecs-tasks.amazonaws.com" in services


def test_the_preview_role_manages_previews_and_reaches_no_environment(owner: Recording) -> None:
    """Principal Mapper on the registered documents: positive controls on a preview's
    resources, and no reach into dev's (the owner's own), staging's or prod's."""
    role = preview_role(owner)
    listener = owner.outputs["previewListenerArn"]
    execution = owner.outputs["previewExecutionRoleArn"]
    preview = {"aws:ResourceTag/slipway:preview": "storefront", RESOURCE_TAG: "preview"}
    claim = {"aws:RequestTag/slipway:preview": "storefront", REQUEST_TAG: "preview"}
    service = _arn("ecs", "service/storefront-dev/pr-12-storefront")
    target_group = _arn("elasticloadbalancing", "targetgroup/pr-12-storefront/1")
    log_group = _arn("logs", "log-group:/slipway/previews/pr-12-storefront")
    allowed = [
        ("elasticloadbalancing:CreateRule", listener, {RESOURCE_TAG: "preview", **claim}),
        ("elasticloadbalancing:CreateTargetGroup", target_group, claim),
        ("ecs:CreateService", service, claim),
        ("ecs:UpdateService", service, preview),
        ("ecs:RegisterTaskDefinition", _arn("ecs", "task-definition/pr-12-storefront:1"), claim),
        ("logs:CreateLogGroup", log_group, claim),
        ("iam:PassRole", execution, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
        # preview-wait.sh's reads.
        ("ecs:ListTasks", "*", {"ecs:cluster": _arn("ecs", "cluster/storefront-dev")}),
        ("ecs:DescribeTasks", _arn("ecs", "task/storefront-dev/0f3c9a"), {}),
        ("elasticloadbalancing:DescribeTargetHealth", "*", {}),
    ]
    for action, resource, context in allowed:
        assert role.allows(action, resource, context), (action, resource)
    denied: list[tuple[str, str, dict[str, Any]]] = [
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-dev-service-execution-role",
         {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
        ("ecs:CreateService", service, {REQUEST_TAG: "dev"}),
    ]  # fmt: skip
    for env in ("dev", "staging", "prod"):
        tagged = {RESOURCE_TAG: env}
        theirs = _arn("ecs", f"service/storefront-{env}/storefront-{env}")
        denied += [
            ("ecs:UpdateService", theirs, tagged),
            ("ecs:DeleteService", theirs, {}),
            ("ecs:UpdateService", service, {**preview, **tagged}),
            ("elasticloadbalancing:DeleteTargetGroup",
             _arn("elasticloadbalancing", f"targetgroup/storefront-{env}/1"), tagged),
            ("elasticloadbalancing:ModifyRule",
             _arn("elasticloadbalancing", f"listener-rule/app/storefront-{env}/1/2/3"), tagged),
            ("logs:DeleteLogGroup", _arn("logs", f"log-group:/ecs/storefront-{env}"), tagged),
        ]  # fmt: skip
    for action, resource, context in denied:
        assert not role.allows(action, resource, context), (action, resource, context)


# The previews' own ECR repository ---------------------------------------------------------------

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


@pytest.mark.parametrize(
    ("hours", "days"), [(72, 3), (73, 4), (1, 1), (24, 1), (25, 2), (8760, 365)]
)
def test_preview_images_expire_after_the_ttl_rounded_up_to_days(hours: int, days: int) -> None:
    """ECR's ``sinceImagePushed`` counts days: rounded up, an image outlives its preview."""
    assert preview_image_expiry_days(hours) == days


@pytest.mark.parametrize(("ttl_hours", "days"), [(72, 3), (100, 5)])
def test_the_base_has_an_immutable_scanned_encrypted_repository_expiring_pr_images(
    run_component: Runner, ttl_hours: int, days: int
) -> None:
    recording = run_base(run_component, ttl_hours=ttl_hours)
    repository = recording.one(REPOSITORY)
    assert repository.inputs["name"] == "storefront-previews"
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    (encryption,) = repository.inputs["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    assert encryption["kmsKey"]
    assert repository.inputs["tags"][ENVIRONMENT_TAG] == "preview"
    lifecycle = recording.one(LIFECYCLE)
    text = lifecycle.inputs["policy"]
    EcrLifecyclePolicyValidator(text).validate()
    untagged, previews = json.loads(text)["rules"]
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 1,
    }
    assert previews["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["pr-*"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": days,
    }
    assert previews["action"] == {"type": "expire"}


@pytest.mark.parametrize(("setting", "hours", "days"), [(None, 72, 3), ("100", 100, 5)])
def test_one_ttl_setting_drives_the_images_rule_and_the_scripts_variable(
    setting: str | None, hours: int, days: int
) -> None:
    """``slipway:previewTtlHours`` (default 72) is both the ``preview`` environment's
    ``PREVIEW_TTL_HOURS`` (preview-deploy.sh's expiry) and, rounded up to days, the ``pr-*``
    images' lifecycle rule: an image never expires before the preview that runs it."""
    overrides = PREVIEWS_ON | ({"previewTtlHours": setting} if setting else {})
    recording = run_stack("dev", overrides=overrides)
    written = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in recording.of_type(
            "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
        )
        if r.parent_name == "github-preview-environment"
    }
    assert written["PREVIEW_TTL_HOURS"] == str(hours)
    _, previews = json.loads(
        recording.one(LIFECYCLE, "previews-registry-lifecycle").inputs["policy"]
    )["rules"]
    assert previews["selection"]["countNumber"] == days
    assert days * 24 >= hours


def test_the_previews_repository_is_the_owners_second_and_the_execution_role_pulls_only_it(
    owner: Recording,
) -> None:
    names = sorted(r.inputs["name"] for r in owner.of_type(REPOSITORY))
    assert len(names) == 2
    assert "storefront-previews" in names
    policy = owner.one(ROLE_POLICY, "preview-roles-execution-policy").json_input("policy")
    ecr = [
        s
        for s in policy["Statement"]
        if any(a.startswith("ecr:") and a != "ecr:GetAuthorizationToken" for a in _actions(s))
    ]
    assert ecr
    previews = _arn("ecr", "repository/storefront-previews")
    assert all(s["Resource"] in (previews, [previews]) for s in ecr)


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_preview_role_pushes_only_to_the_previews_repository(owner: Recording) -> None:
    """Principal Mapper on the registered documents: the push into ``<app>-previews`` (tagged
    ``preview``) is allowed; into every environment's repository it is denied, by the identity
    policy and by the isolation, tagged or not."""
    role = preview_role(owner)
    push = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
            "ecr:PutImage", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages"]  # fmt: skip
    previews = _arn("ecr", "repository/storefront-previews")
    preview_tags = {RESOURCE_TAG: "preview", "aws:ResourceTag/slipway:app": "storefront"}
    assert role.allows("ecr:GetAuthorizationToken", "*", {})
    for action in push:
        assert role.allows(action, previews, preview_tags), action
    for env in ("dev", "staging", "prod"):
        theirs = _arn("ecr", f"repository/storefront/{env}")
        for context in ({}, {RESOURCE_TAG: env}, preview_tags):
            for action in push:
                assert not role.allows(action, theirs, context), (env, action, context)


def test_with_ghcr_preview_images_are_still_pushed_to_and_pulled_from_ecr() -> None:
    """A stack whose environments pull from GHCR still gives previews their ECR repository:
    docker.yml's ``preview`` job pushes to ``ECR_REPOSITORY_URL`` with the preview role."""
    recording = run_stack(
        "dev",
        overrides={
            **PREVIEWS_ON,
            "imageSource": "ghcr",
            "ghcrImage": "ghcr.io/acme-corp/storefront",
            "ghcrUsername": "bot",
        },
        secrets={"ghcrPullToken": "ghp_example"},
    )
    repository = recording.one(REPOSITORY, "previews-registry-repo")
    assert repository.inputs["name"] == "storefront-previews"
    written = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in recording.of_type(
            "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
        )
        if r.parent_name == "github-preview-environment"
    }
    assert written["ECR_REPOSITORY_URL"].endswith("/storefront-previews")
    policy = recording.one(ROLE_POLICY, "preview-roles-execution-policy").json_input("policy")
    previews = _arn("ecr", "repository/storefront-previews")
    assert any(
        "ecr:BatchGetImage" in _actions(s) and s["Resource"] in (previews, [previews])
        for s in policy["Statement"]
    )
