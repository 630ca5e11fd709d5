"""The whole program, per stack: the profiles differ on purpose, and only there.

Per-stack tests run for every stack file (``tooling.offline.STACKS``) and expect what that file
says (its profile, environment and ownership; tests/stack_files.py), never what a stack's name
suggests; tests of one shipped file name it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import botocore.validate
import pulumi
import pytest
import yaml
from pulumi.runtime import settings as runtime_settings

from infra.common import Profile
from infra.stack import image_channel_prefix
from policy.rules import STATEFUL_TYPES
from slipway.contract import EnvironmentVariable
from slipway.deployment_strategy import (
    CanaryStrategy,
    LinearStrategy,
    RollingStrategy,
    is_progressive,
)
from slipway.errors import ConfigError
from slipway.network import NatStrategy
from slipway.stack_boundary import AccountResource
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, RELEASE_TAG_PATTERNS
from tests.aws_models import service_model
from tests.conftest import recorded
from tests.iam_checks import assert_valid_trust_policy, parliament_findings, trust_allows
from tests.stack_files import (
    environment_of,
    owns,
    owns_repository,
    profile_of,
    settings_of,
)
from tooling.offline import (
    ACCOUNT_ID,
    ROOT,
    STACKS,
    AwsMocks,
    GithubRepository,
    RecordedResource,
    Recording,
    github_account_id,
    github_repository_id,
    load_stack_config,
    run_stack,
    stack_settings,
)
from tooling.plan import policy_violations

OUTPUTS = {
    "environment", "profile", "awsRegion", "repositoryUrl", "repositoryArn", "registryId",
    "registryKmsKeyArn", "vpcId", "privateSubnetIds", "publicSubnetIds", "clusterName",
    "clusterArn", "serviceName", "serviceArn", "taskFamily", "containerName", "taskRoleArn",
    "executionRoleArn", "serviceSecurityGroupId", "loadBalancerDnsName", "environmentUrl",
    "logGroupName",
    "imageChannelParameter", "secretArns", "alertTopicArn", "dashboardName", "backupVaultName",
    "backupPlanId", "backupCopyVaultArn", "dataBucketName", "githubEnvironment",
    "deployRoleArn", "githubOidcProviderArn", "infraPreviewRoleArn", "infraApplyRoleArn",
    "infraEnvironment", "infraPreviewEnvironments", "permissionsBoundaryArn",
}  # fmt: skip
"""Every stack's outputs (docs/outputs.md); the owners of shared resources add theirs."""
TRAIL_OWNER_OUTPUTS = {"auditTrailArn", "auditBucketName"}
REPLICATION_OWNER_OUTPUTS = {"replicatedRepositories"}
REPOSITORY_OWNER_OUTPUTS = {"workflowsContentSha", "workflowsPullRequest", "npmEnvironment"}
LISTENER = "aws:lb/listener:Listener"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = (
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
)
SERVICE = "aws:ecs/service:Service"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"


def _named(recording: Recording) -> dict[tuple[str, str], RecordedResource]:
    return {(r.type, r.name): r for r in recording.resources}


# --- every stack ---------------------------------------------------------------------------


def test_every_resource_is_inside_a_component(stack: Recording) -> None:
    for resource in stack.resources:
        if resource.custom and resource.type != "pulumi:providers:aws":
            assert resource.parent_type.startswith("slipway:index:"), resource.name
        elif not resource.custom:
            assert resource.type.startswith("slipway:index:"), resource.type


def test_the_stack_meets_every_policy_rule(stack: Recording) -> None:
    assert policy_violations(stack) == []


def test_stateful_resources_are_protected_and_retained_only_in_prod(stack: Recording) -> None:
    stateful = [r for r in stack.resources if r.type in STATEFUL_TYPES]
    assert len(stateful) >= 8
    expected = profile_of(stack.stack) is Profile.PROD
    for resource in stateful:
        assert resource.protect is expected, (stack.stack, resource.name)
        assert resource.retain_on_delete is expected, (stack.stack, resource.name)


def test_taggable_aws_resources_carry_the_stack_tags(stack: Recording) -> None:
    tagged = [r for r in stack.resources if r.type.startswith("aws:") and "tags" in r.inputs]
    assert len(tagged) > 20
    for resource in tagged:
        tags = resource.inputs["tags"]
        assert tags["slipway:environment"] == environment_of(stack.stack), resource.name
        assert tags["slipway:profile"] == profile_of(stack.stack).value, resource.name


def test_outputs_are_the_documented_contract(stack: Recording) -> None:
    expected = set(OUTPUTS)
    if owns(stack.stack, AccountResource.AUDIT_TRAIL):
        expected |= TRAIL_OWNER_OUTPUTS
    if owns(stack.stack, AccountResource.REGISTRY_REPLICATION):
        expected |= REPLICATION_OWNER_OUTPUTS
    if owns_repository(stack.stack):
        expected |= REPOSITORY_OWNER_OUTPUTS
    assert set(stack.outputs) == expected
    environment = environment_of(stack.stack)
    assert stack.outputs["environment"] == environment
    assert stack.outputs["repositoryUrl"] == (
        f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/storefront/{environment}"
    )
    assert stack.outputs["imageChannelParameter"] == (
        f"/slipway/storefront/{environment}/image-channel/deployed"
    )
    documented = (ROOT / "docs" / "outputs.md").read_text()
    for name in (
        expected | TRAIL_OWNER_OUTPUTS | REPLICATION_OWNER_OUTPUTS | REPOSITORY_OWNER_OUTPUTS
    ):
        assert f"`{name}`" in documented, name


def test_the_github_environment_carries_every_contract_variable(stack: Recording) -> None:
    written = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in stack.of_type("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
        if r.parent_name == "github-environment"
    }
    assert set(written) == {v.value for v in EnvironmentVariable}
    assert written["ECS_SERVICE"] == stack.outputs["serviceName"]
    assert written["ECS_TASK_FAMILY"] == stack.outputs["taskFamily"]
    assert written["ENVIRONMENT_URL"] == stack.outputs["environmentUrl"]
    assert written["IMAGE_CHANNEL_PARAMETER"] == stack.outputs["imageChannelParameter"]
    assert written["AWS_DEPLOY_ROLE_ARN"] == stack.outputs["deployRoleArn"]
    assert written["AWS_REGION"] == "eu-west-1"
    assert written["ECR_REPOSITORY_URL"] == stack.outputs["repositoryUrl"]


def test_the_deploy_role_trusts_exactly_this_environment(stack: Recording) -> None:
    role = next(r for r in stack.of_type("aws:iam/role:Role") if r.name.endswith("deploy"))
    (statement,) = role.json_input("assumeRolePolicy")["Statement"]
    owner_id = github_account_id("acme-corp")
    repository_id = github_repository_id("acme-corp/storefront")
    assert statement["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": (
            f"repo:acme-corp@{owner_id}/storefront@{repository_id}:environment:"
            f"{environment_of(stack.stack)}"
        ),
    }


OIDC_PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"


def github_token(repository: str, context: str, immutable: bool) -> dict[str, str]:
    """The aud and sub claims GitHub issues to a job of ``repository`` (``owner/name``) in
    ``context`` (``environment:prod``, ``pull_request``): the immutable form appends each
    numeric ID with ``@`` (GitHub Docs, OpenID Connect, "Immutable subject claims"). The IDs
    are the ones the offline GitHub gives the owner and the repository."""
    owner, name = repository.split("/")
    if immutable:
        owner_id, repository_id = github_account_id(owner), github_repository_id(repository)
        prefix = f"repo:{owner}@{owner_id}/{name}@{repository_id}"
    else:
        prefix = f"repo:{repository}"
    return {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": f"{prefix}:{context}",
    }


def _recorded_with_format(stack_name: str, subject_format: str) -> Recording:
    if subject_format == "immutable":
        return recorded(stack_name)  # the default
    return run_stack(stack_name, overrides={"githubOidcSubjectFormat": subject_format})


@pytest.mark.parametrize("subject_format", ["immutable", "name", "both"])
@pytest.mark.parametrize("stack_name", STACKS)
def test_every_ci_role_trusts_the_subjects_github_issues(
    stack_name: str, subject_format: str
) -> None:
    """Each trust policy, evaluated as IAM would, against tokens of both forms for the right
    context and for neighbouring ones (another environment, pull requests, the other repo)."""
    recording = _recorded_with_format(stack_name, subject_format)
    roles = {
        r.name.removeprefix("github-oidc-"): r.json_input("assumeRolePolicy")
        for r in recording.of_type("aws:iam/role:Role")
        if r.name.startswith("github-oidc-")
    }
    assert set(roles) == {"deploy", "preview", "apply"}
    accepted = {"immutable": {True}, "name": {False}, "both": {True, False}}[subject_format]
    app, infra = "acme-corp/storefront", "acme-corp/storefront-infra"
    environment = environment_of(stack_name)
    trusted = {
        "deploy": {(app, f"environment:{environment}")},
        # Never pull_request: each stack's own preview and drift environments (prod's
        # preview environment has reviewers).
        "preview": {
            (infra, f"environment:infra-preview-{environment}"),
            (infra, f"environment:infra-drift-{environment}"),
        },
        "apply": {(infra, f"environment:infra-{environment}")},
    }
    every = [environment_of(s) for s in STACKS]
    contexts = {
        f"environment:{e}"
        for e in (
            *every,
            *(f"infra-{kind}{e}" for e in every for kind in ("", "preview-", "drift-")),
            "infra-drift",
        )
    } | {"pull_request", "ref:refs/heads/main"}
    for role, document in roles.items():
        assert_valid_trust_policy(document)
        for repository in (app, infra):
            for context in contexts:
                for immutable in (True, False):
                    claims = github_token(repository, context, immutable)
                    expected = (repository, context) in trusted[role] and immutable in accepted
                    allowed = trust_allows(document, claims, OIDC_PROVIDER)
                    assert allowed is expected, (role, repository, context, immutable)


def test_a_repository_github_cannot_find_stops_the_stack_before_any_resource() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack(
            "dev",
            github_repositories={
                "acme-corp/storefront-infra": GithubRepository(
                    "acme-corp/storefront-infra", exists=False
                )
            },
        )
    assert str(caught.value).startswith(
        "slipway:githubInfraRepository: got 'acme-corp/storefront-infra'; a repository the "
        "GitHub provider's credentials can read"
    )
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_a_personal_repository_reads_its_owner_as_a_user() -> None:
    personal = {"octocat/storefront": GithubRepository("octocat/storefront", owner_type="user")}
    overrides: dict[str, str | None] = {
        "githubRepository": "octocat/storefront",
        "githubInfraRepository": None,
        "github:owner": "octocat",
    }
    # Read as an organisation, the owner is GitHub's 404, before any resource.
    with pytest.raises(RuntimeError, match="orgs/octocat: 404 Not Found") as caught:
        run_stack("dev", overrides=overrides, github_repositories=personal)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
    recording = run_stack(
        "dev", overrides={**overrides, "githubOwnerType": "user"}, github_repositories=personal
    )
    role = recording.one("aws:iam/role:Role", "github-oidc-deploy")
    claims = github_token("octocat/storefront", "environment:dev", immutable=True)
    assert trust_allows(role.json_input("assumeRolePolicy"), claims, OIDC_PROVIDER)


def test_application_secrets_come_from_secrets_manager_only(stack: Recording) -> None:
    definition = stack.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    config, _ = load_stack_config(stack.stack)
    names = json.loads(config.get("slipway:appSecrets", "[]"))
    assert sorted(s["name"] for s in container.get("secrets", [])) == sorted(names)
    plain = {e["name"] for e in container.get("environment", [])}
    assert not plain & set(names)
    for secret in container.get("secrets", []):
        assert secret["valueFrom"].startswith(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:")


def test_stack_file_settings_are_all_known(stack: Recording) -> None:
    from infra.settings import all_fields

    config, _ = load_stack_config(stack.stack)
    aliases = {info.alias for info in all_fields().values()}
    for key in config:
        namespace, name = key.split(":", 1)
        assert namespace in ("aws", "github", "slipway"), key
        if namespace == "slipway":
            assert name in aliases, key


def test_stack_files_hold_no_plaintext_secret() -> None:
    for stack in STACKS:
        document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        for key, value in document["config"].items():
            if key.endswith(("Token", "WebhookUrl", "Password")):
                assert isinstance(value, dict), key
                assert set(value) == {"secure"}, key


# --- where the stacks differ ---------------------------------------------------------------


def test_network_is_cheap_in_dev_and_redundant_in_prod() -> None:
    from infra.domains.network import PROFILES

    # The profiles: one NAT and two zones in dev and staging, a NAT per zone of three in prod.
    assert (PROFILES.dev.nat_strategy, PROFILES.dev.az_count) == (NatStrategy.SINGLE, 2)
    assert (PROFILES.staging.nat_strategy, PROFILES.staging.az_count) == (NatStrategy.SINGLE, 2)
    assert (PROFILES.prod.nat_strategy, PROFILES.prod.az_count) == (NatStrategy.PER_AZ, 3)
    assert (PROFILES.dev.flow_logs, PROFILES.staging.flow_logs, PROFILES.prod.flow_logs) == (
        False,
        True,
        True,
    )
    # Every stack file gets what its profile (or its own setting) decides.
    for stack in STACKS:
        network = settings_of(stack).network
        zones = network.by_profile("az_count")
        nats = {
            NatStrategy.NONE: 0,
            NatStrategy.SINGLE: 1,
            NatStrategy.PER_AZ: zones,
            NatStrategy.REGIONAL: 1,
        }[NatStrategy(network.by_profile("nat_strategy"))]
        recording = recorded(stack)
        assert len(recording.of_type("aws:ec2/natGateway:NatGateway")) == nats, stack
        assert len(recording.of_type("aws:ec2/subnet:Subnet")) == 2 * zones, stack
        flow_logs = int(bool(network.by_profile("flow_logs")))
        assert len(recording.of_type("aws:ec2/flowLog:FlowLog")) == flow_logs, stack
    shipped = {s: len(recorded(s).of_type("aws:ec2/natGateway:NatGateway")) for s in STACKS}
    assert (shipped["dev"], shipped["staging"], shipped["prod"]) == (1, 1, 3)


def test_logs_are_encrypted_and_retained_by_profile() -> None:
    for stack in STACKS:
        observability = settings_of(stack).observability
        days = observability.by_profile("log_retention_days")
        encrypted = observability.by_profile("encrypt_logs")
        assert encrypted is (profile_of(stack) is not Profile.DEV) or (
            "slipway:encryptLogs" in load_stack_config(stack)[0]
        )
        groups = recorded(stack).of_type("aws:cloudwatch/logGroup:LogGroup")
        assert groups
        for group in groups:
            if group.name.startswith("audit"):
                continue
            assert group.inputs["retentionInDays"] == days, (stack, group.name)
            assert bool(group.inputs.get("kmsKeyId")) is encrypted, (stack, group.name)


def test_only_dev_serves_plain_http_and_says_so() -> None:
    dev, prod = recorded("dev"), recorded("prod")
    assert any("plain HTTP" in w for w in dev.warnings)
    assert not any("plain HTTP" in w for w in prod.warnings)
    assert {r.inputs["protocol"] for r in dev.of_type(LISTENER)} == {"HTTP"}
    prod_listeners = {r.inputs["protocol"]: r for r in prod.of_type(LISTENER)}
    assert set(prod_listeners) == {"HTTP", "HTTPS"}
    assert prod_listeners["HTTPS"].inputs["certificateArn"].startswith("arn:aws:acm:")
    (redirect,) = prod_listeners["HTTP"].inputs["defaultActions"]
    assert redirect["type"] == "redirect"
    assert prod.outputs["environmentUrl"] == "https://storefront.acme-corp.example"


def test_rollout_safety_and_scaling_by_profile() -> None:
    for stack in STACKS:
        profile = profile_of(stack)
        service = recorded(stack).one(SERVICE)
        assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        alarms: Any = service.inputs.get("alarms")
        if profile is Profile.DEV:
            assert not alarms
        else:
            # Canary (prod) and linear (staging) deployments: the 5xx and unhealthy-host
            # alarms on the production and the alternate target group.
            assert alarms["rollback"] is True
            assert len(alarms["alarmNames"]) == 4
        scaled = bool(recorded(stack).of_type("aws:appautoscaling/target:Target"))
        assert scaled is (profile is Profile.PROD)
        assert ("desiredCount" in service.ignore_changes) is (profile is Profile.PROD)
        lb = recorded(stack).one("aws:lb/loadBalancer:LoadBalancer")
        assert lb.inputs["enableDeletionProtection"] is (profile is Profile.PROD), stack


def test_one_5xx_and_one_unhealthy_hosts_alarm_per_stack_at_the_profile_threshold() -> None:
    from slipway.monitoring import thresholds_for

    for stack in STACKS:
        alarms = {r.inputs["name"]: r.inputs for r in recorded(stack).of_type(ALARM)}
        profile = profile_of(stack)
        thresholds = thresholds_for(profile.value)
        prefix = f"storefront-{environment_of(stack)}"
        if profile is Profile.DEV:
            # No rollback alarms in dev: the operational ones watch these metrics.
            five, hosts = "ops-target-5xx", "ops-unhealthy-hosts"
            assert f"{prefix}-target-5xx" not in alarms
        else:
            # The rollback alarms page; the monitoring makes no second alarm on their metrics.
            five, hosts = "target-5xx", "unhealthy-hosts"
            assert not {f"{prefix}-ops-target-5xx", f"{prefix}-ops-unhealthy-hosts"} & set(alarms)
        five_xx = alarms[f"{prefix}-{five}"]
        assert five_xx["metricName"] == "HTTPCode_Target_5XX_Count"
        assert five_xx["threshold"] == thresholds.target_5xx_count
        unhealthy = alarms[f"{prefix}-{hosts}"]
        assert unhealthy["metricName"] == "UnHealthyHostCount"
        # ">= unhealthy_hosts" (operational) and "> unhealthy_hosts - 1" (rollback) agree.
        assert (unhealthy["comparisonOperator"], unhealthy["threshold"]) in {
            ("GreaterThanOrEqualToThreshold", thresholds.unhealthy_hosts),
            ("GreaterThanThreshold", thresholds.unhealthy_hosts - 1),
        }
        for alarm in (five_xx, unhealthy):
            assert alarm["period"] == thresholds.period_seconds
            assert alarm["evaluationPeriods"] == thresholds.evaluation_periods


def _watches(alarm: dict[str, Any]) -> tuple[str, ...]:
    """What an alarm evaluates: its metric, dimensions and statistic, or its metric math."""
    if "metricQueries" in alarm:
        queries = [{k: v for k, v in q.items() if k != "label"} for q in alarm["metricQueries"]]
        return ("metric math", json.dumps(sorted(queries, key=json.dumps), sort_keys=True))
    return (
        alarm["namespace"],
        alarm["metricName"],
        json.dumps(alarm.get("dimensions") or {}, sort_keys=True),
        alarm.get("statistic") or "",
        alarm.get("extendedStatistic") or "",
    )


def test_no_two_alarms_watch_the_same_metric(stack: Recording) -> None:
    # Two alarms on one metric and statistic page twice for one incident.
    alarms = stack.of_type(ALARM)
    assert len(alarms) >= 7
    seen: dict[tuple[str, ...], str] = {}
    for alarm in alarms:
        watched = _watches(alarm.inputs)
        assert watched not in seen, f"{alarm.inputs['name']} and {seen[watched]} watch {watched}"
        seen[watched] = alarm.inputs["name"]


def test_every_alarm_pages_and_the_services_are_on_the_dashboard(stack: Recording) -> None:
    topic = stack.outputs["alertTopicArn"]
    region = stack.outputs["awsRegion"]
    paging: set[str] = set()
    for alarm in stack.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic], alarm.name
        assert alarm.inputs["okActions"] == [topic], alarm.name
        if alarm.parent_type == "slipway:index:BackupPlan":
            continue  # the vault's alarm (no completed backup job), not the service's
        paging.add(f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{alarm.inputs['name']}")
    dashboard = stack.one("aws:cloudwatch/dashboard:Dashboard")
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    listed = alarm_widget["properties"]["alarms"]
    assert len(listed) == len(set(listed))
    assert set(listed) == paging


def test_access_logs_everywhere_expiring_with_the_stacks_logs_and_waf_outside_dev() -> None:
    for stack in STACKS:
        recording = recorded(stack)
        lb = recording.one("aws:lb/loadBalancer:LoadBalancer")
        assert lb.inputs["accessLogs"]["enabled"] is True
        bucket = recording.one("aws:s3/bucket:Bucket", "service-access-logs")
        assert bucket.parent_type == "slipway:index:FargateService"
        (log_group,) = [
            g for g in recording.of_type("aws:cloudwatch/logGroup:LogGroup")
            if g.name == "service-logs"
        ]  # fmt: skip
        lifecycle = recording.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "service-access-logs-lifecycle",
        )
        days = lifecycle.inputs["rules"][0]["expiration"]["days"]
        assert days == log_group.inputs["retentionInDays"], stack
        acls = recording.of_type("aws:wafv2/webAcl:WebAcl")
        associations = recording.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
        waf = settings_of(stack).compute.by_profile("waf")
        assert len(acls) == len(associations) == (1 if waf else 0), stack
        assert bool(waf) is (profile_of(stack) is not Profile.DEV) or (
            "slipway:waf" in load_stack_config(stack)[0]
        )
        for acl in acls:
            (rate,) = [r for r in acl.inputs["rules"] if r["name"] == "rate-limit-per-ip"]
            assert rate["statement"]["rateBasedStatement"]["limit"] == 2000


def test_waf_and_its_rate_limit_follow_the_settings() -> None:
    dev = run_stack("dev", overrides={"waf": "true", "wafRateLimit": "300"})
    (acl,) = dev.of_type("aws:wafv2/webAcl:WebAcl")
    (rate,) = [r for r in acl.inputs["rules"] if r["name"] == "rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == 300
    staging = run_stack("staging", overrides={"waf": "false"})
    assert not staging.of_type("aws:wafv2/webAcl:WebAcl")


def test_with_a_hosted_zone_the_stack_issues_its_certificate_and_points_the_name() -> None:
    zone = "Z0123456789ABCDEFGHIJ"
    prod = run_stack("prod", overrides={"certificateArn": None, "hostedZoneId": zone})
    certificate = prod.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "storefront.acme-corp.example"
    assert certificate.inputs["validationMethod"] == "DNS"
    records = {r.name: r for r in prod.of_type("aws:route53/record:Record")}
    validation_record = records["service-certificate-validation-record"]
    assert validation_record.inputs["zoneId"] == zone
    assert validation_record.inputs["type"] == "CNAME"
    validation = prod.one("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["validationRecordFqdns"] == [
        validation_record.inputs["name"].rstrip(".")
    ]
    alias = records["service-alias"]
    assert alias.inputs["name"] == "storefront.acme-corp.example"
    assert alias.inputs["type"] == "A"
    (target,) = alias.inputs["aliases"]
    assert target["evaluateTargetHealth"] is True
    assert target["name"].endswith(".elb.amazonaws.com")
    https = next(r for r in prod.of_type(LISTENER) if r.inputs["protocol"] == "HTTPS")
    assert https.inputs["certificateArn"] == validation.inputs["certificateArn"]
    assert prod.outputs["environmentUrl"] == "https://storefront.acme-corp.example"
    for stack in STACKS:
        assert not recorded(stack).of_type("aws:acm/certificate:Certificate")
    # Prod's certificate and alias record cannot be deleted or replaced by an up.
    assert certificate.protect
    assert alias.protect
    staging = run_stack(
        "staging",
        overrides={
            "certificateArn": None,
            "hostedZoneId": zone,
            "domainName": "staging.acme-corp.example",
        },
    )
    assert not staging.one("aws:acm/certificate:Certificate").protect
    assert not staging.one("aws:route53/record:Record", "service-alias").protect


def test_dev_runs_mostly_on_spot_and_prod_keeps_an_on_demand_base() -> None:
    def strategy(stack: str) -> dict[str, tuple[float, float]]:
        service = recorded(stack).one(SERVICE)
        return {
            s["capacityProvider"]: (s.get("base", 0), s["weight"])
            for s in service.inputs["capacityProviderStrategies"]
        }

    assert strategy("dev") == {"FARGATE": (0, 1), "FARGATE_SPOT": (0, 3)}
    assert strategy("prod") == {"FARGATE": (2, 1)}


def test_backups_are_copied_and_locked_only_in_prod() -> None:
    for stack in STACKS:
        recording = recorded(stack)
        (plan,) = recording.of_type("aws:backup/plan:Plan")
        copies = [r for r in plan.inputs["rules"] if r.get("copyActions")]
        locks = recording.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
        profile = profile_of(stack)
        if profile is Profile.PROD:
            assert copies
            assert {lock.inputs.get("changeableForDays") for lock in locks} == {7}
        else:
            assert not copies
            assert bool(locks) is (profile is Profile.STAGING)


def test_backup_failures_and_missing_backups_page_where_the_profile_says() -> None:
    from infra.common import Profile
    from infra.domains.backup import PROFILES

    for stack in STACKS:
        recording = recorded(stack)
        prefix = f"storefront-{environment_of(stack)}"
        rules = {r.inputs["name"]: r for r in recording.of_type(EVENT_RULE)}
        targets = recording.of_type("aws:cloudwatch/eventTarget:EventTarget")
        alarms = [
            a for a in recording.of_type(ALARM) if a.parent_type == "slipway:index:BackupPlan"
        ]
        notifications = recording.of_type("aws:backup/vaultNotifications:VaultNotifications")
        pages = PROFILES[Profile(recording.outputs["profile"])].notify_failures
        assert pages is (profile_of(stack) is Profile.PROD)
        if not pages:
            assert (rules, targets, alarms, notifications) == ({}, [], [], [])
            continue
        assert set(rules) == {
            f"{prefix}-backup-job-failed",
            f"{prefix}-copy-job-failed",
            f"{prefix}-restore-job-failed",
        }
        topic = recording.outputs["alertTopicArn"]
        assert {t.inputs["arn"] for t in targets} == {topic}
        (alarm,) = alarms
        assert alarm.inputs["name"] == f"{prefix}-backup-none-completed"
        assert alarm.inputs["dimensions"] == {
            "BackupVaultName": recording.outputs["backupVaultName"]
        }
        assert alarm.inputs["evaluationPeriods"] == 49
        (notification,) = notifications
        assert notification.inputs["backupVaultEvents"] == [
            "S3_BACKUP_OBJECT_FAILED",
            "S3_RESTORE_OBJECT_FAILED",
        ]
        # The topic lets exactly the stack's own rules publish, and its key lets EventBridge
        # encrypt without a source condition AWS does not support for it.
        policy = recording.one("aws:sns/topicPolicy:TopicPolicy").json_input("policy")
        (events,) = [s for s in policy["Statement"] if s["Sid"] == "AllowEventsPublish"]
        region = recording.outputs["awsRegion"]
        assert events["Condition"] == {
            "ArnLike": {"aws:SourceArn": f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{prefix}-*"}
        }
        keys = [k for k in recording.of_type("aws:kms/key:Key") if k.parent_name == "alerting-key"]
        (key,) = keys
        (key_statement,) = [
            st
            for st in key.json_input("policy")["Statement"]
            if st["Principal"] == {"Service": "events.amazonaws.com"}
        ]
        assert "Condition" not in key_statement


def test_no_alarm_watches_failed_backup_jobs_besides_the_rules() -> None:
    # A failed backup job pages once, through its EventBridge rule.
    for stack in STACKS:
        watched = {a.inputs.get("metricName") for a in recorded(stack).of_type(ALARM)}
        assert "NumberOfBackupJobsFailed" not in watched


def test_prod_owns_the_shared_resources_and_others_reference_them() -> None:
    for stack in STACKS:
        recording = recorded(stack)
        providers = recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
        assert bool(providers) is owns(stack, AccountResource.OIDC_PROVIDER), stack
        trails = recording.of_type("aws:cloudtrail/trail:Trail")
        assert bool(trails) is owns(stack, AccountResource.AUDIT_TRAIL), stack
        rulesets = recording.of_type("github:index/repositoryRuleset:RepositoryRuleset")
        assert bool(rulesets) is owns_repository(stack), stack
        assert recording.outputs["githubOidcProviderArn"] == (
            f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
        )


def test_exactly_one_stack_owns_each_shared_resource() -> None:
    owners: dict[str, list[str]] = {"ownsAccountResources": [], "ownsRepositoryResources": []}
    for stack in STACKS:
        config, _ = load_stack_config(stack)
        for key, stacks in owners.items():
            if config.get(f"slipway:{key}") == "true":
                stacks.append(stack)
    assert all(len(stacks) == 1 for stacks in owners.values()), owners
    assert owners["ownsRepositoryResources"] == [s for s in STACKS if owns_repository(s)]
    # The shipped files: prod owns both.
    assert owners["ownsAccountResources"] == owners["ownsRepositoryResources"] == ["prod"]


def test_prod_requires_reviewers_and_no_admin_bypass() -> None:
    prod = recorded("prod").one(ENVIRONMENT, "github-environment-environment")
    dev = recorded("dev").one(ENVIRONMENT, "github-environment-environment")
    assert prod.inputs["reviewers"][0]["users"]
    assert prod.inputs["reviewers"][0]["teams"]
    assert prod.inputs["canAdminsBypass"] is False
    assert prod.inputs["waitTimer"] == 5
    assert prod.inputs["preventSelfReview"] is True
    assert not dev.inputs.get("reviewers")


def test_the_repository_owner_creates_the_npm_environment_for_the_release_job() -> None:
    prod = recorded("prod")
    npm = prod.one(ENVIRONMENT, "npm-environment-environment")
    assert npm.inputs["environment"] == "npm"
    assert npm.inputs["canAdminsBypass"] is False
    assert not npm.inputs.get("reviewers")
    assert npm.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    policies = [r for r in prod.of_type(BRANCH_POLICY) if r.parent_name == "npm-environment"]
    assert [p.inputs["branchPattern"] for p in policies] == [
        "main",
        "release/[0-9]*.x",
        "release/*@[0-9]*.x",
        "release/@*/*@[0-9]*.x",
    ]
    assert prod.outputs["npmEnvironment"] == "npm"
    for other in ("dev", "staging"):
        # As a set: the two environments are registered concurrently, in either order.
        names = {r.inputs["environment"] for r in recorded(other).of_type(ENVIRONMENT)}
        assert names == {
            other,
            f"infra-{other}",
            f"infra-preview-{other}",
            f"infra-drift-{other}",
        }


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_environment_of_the_release_chain_allows_the_release_branches(
    stack_name: str,
) -> None:
    """A hotfix is released from its release branch and deployed through every environment:
    an environment that allowed only main would refuse those jobs."""
    recording = recorded(stack_name)
    allowed: dict[str, set[str]] = {}
    for policy in recording.of_type(BRANCH_POLICY):
        # The infra repository's environments run the pipeline's `pulumi up` and drift
        # check from main only.
        infra = ("github-infra-environment", "github-infra-drift-environment")
        if "branchPattern" in policy.inputs and policy.parent_name not in infra:
            allowed.setdefault(policy.parent_name, set()).add(policy.inputs["branchPattern"])
    assert allowed, stack_name
    for environment, patterns in allowed.items():
        assert patterns >= {"main", *RELEASE_BRANCH_PATTERNS}, environment


def test_the_image_build_environment_admits_the_release_tags() -> None:
    """dev builds the image (the first workflow environment): the documented rebuild runs
    docker.yml from a release tag there, and tag policies gate its deployment: false jobs."""
    tags = {
        policy.inputs["tagPattern"]
        for policy in recorded("dev").of_type(BRANCH_POLICY)
        if policy.parent_name == "github-environment" and "tagPattern" in policy.inputs
    }
    assert tags == set(RELEASE_TAG_PATTERNS)


GITHUB_TOKEN_RELEASES: dict[str, str | None] = {
    "releaseToken": "github-token",
    "releaseAppId": None,
    "releaseAppClientId": None,
}
VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
REPOSITORY_FILE = "github:index/repositoryFile:RepositoryFile"
PERMISSIONS = "github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions"


def test_the_release_environment_exists_without_npm_publishing_or_an_app() -> None:
    # The release workflow's report job reads the Slack webhook from it, whatever the mode.
    key = "https://hooks.slack.com/services/T000/B000/XXXX"
    recording = run_stack(
        "prod",
        overrides={"npmPublish": "none", **GITHUB_TOKEN_RELEASES},
        secrets={"slackWebhookUrl": key},
    )
    assert sorted(r.inputs["environment"] for r in recording.of_type(ENVIRONMENT)) == [
        "infra-drift-prod",
        "infra-preview-prod",
        "infra-prod",
        "npm",
        "prod",
    ]
    assert recording.outputs["npmEnvironment"] == "npm"
    names = {
        r.inputs["secretName"]
        for r in recording.of_type(SECRET)
        if r.parent_name == "npm-environment"
    }
    assert names == {"SLACK_WEBHOOK_URL"}


def test_code_owners_are_delivered_and_their_review_required() -> None:
    recording = recorded("prod")
    delivered = {
        r.inputs["file"]: r.inputs["content"]
        for r in recording.of_type(REPOSITORY_FILE)
        if r.parent_name == "workflows"
    }
    owners = [line for line in delivered[".github/CODEOWNERS"].splitlines() if line[:1] == "/"]
    assert owners[0] == "/.github/ @acme-corp/platform"
    rulesets = recording.of_type(RULESET)
    default = next(r for r in rulesets if r.inputs["name"] == "slipway-default-branch")
    assert default.inputs["rules"]["pullRequest"]["requireCodeOwnerReview"] is True
    assert not any("CODEOWNERS" in w for w in recording.warnings)
    # RepositoryGuardrails writes no second CODEOWNERS of its own.
    assert [
        r.parent_name
        for r in recording.of_type(REPOSITORY_FILE)
        if r.inputs["file"] == ".github/CODEOWNERS"
    ] == ["workflows"]


def test_without_code_owners_no_codeowners_file_and_the_plan_warns() -> None:
    recording = run_stack("prod", overrides={"workflowCodeOwners": None})
    files = {r.inputs["file"] for r in recording.of_type(REPOSITORY_FILE)}
    assert ".github/workflows/release.yml" in files
    assert ".github/CODEOWNERS" not in files
    assert any("workflowCodeOwners is empty" in w for w in recording.warnings)


def test_the_release_app_needs_its_environment_even_without_npm_publishing() -> None:
    recording = run_stack("prod", overrides={"npmPublish": "none"})
    assert recording.one(ENVIRONMENT, "npm-environment-environment").inputs["environment"] == (
        "npm"
    )
    assert recording.outputs["npmEnvironment"] == "npm"


def test_the_release_environment_holds_the_app_client_id_and_key() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA…\n-----END RSA PRIVATE KEY-----\n"
    recording = run_stack("prod", secrets={"releaseAppPrivateKey": key})
    variables = {
        r.inputs["variableName"]: r.inputs["value"]
        for r in recording.of_type(VARIABLE)
        if r.parent_name == "npm-environment"
    }
    assert variables == {"RELEASE_APP_CLIENT_ID": "Iv23liB4xKz7Qm2NpR8s"}
    (secret,) = [r for r in recording.of_type(SECRET) if r.parent_name == "npm-environment"]
    assert secret.inputs["secretName"] == "RELEASE_APP_PRIVATE_KEY"
    assert secret.inputs["environment"] == "npm"
    assert "value" in secret.secret_inputs
    # Without the key in config, no secret resource: the operator adds it (deployment guide).
    assert not [r for r in recorded("prod").of_type(SECRET) if r.parent_name == "npm-environment"]


def test_with_the_release_app_only_it_creates_release_branches_and_tags() -> None:
    prod = recorded("prod")
    bypass = [{"actorType": "Integration", "actorId": 1234567, "bypassMode": "always"}]
    creation = prod.one(RULESET, "repository-release-branch-creation")
    assert creation.inputs["rules"] == {"creation": True}
    assert creation.inputs["bypassActors"] == bypass
    tags = prod.one(RULESET, "repository-release-tags")
    assert tags.inputs["rules"] == {"creation": True, "update": True, "deletion": True}
    assert tags.inputs["bypassActors"] == bypass
    assert prod.one(PERMISSIONS).inputs["canApprovePullRequestReviews"] is False
    assert not any("release" in w.lower() or "pull request" in w for w in prod.warnings)


def test_github_token_releases_keep_pull_requests_open_to_actions_and_warn() -> None:
    recording = run_stack("prod", overrides=GITHUB_TOKEN_RELEASES)
    assert recording.one(PERMISSIONS).inputs["canApprovePullRequestReviews"] is True
    names = [r.name for r in recording.of_type(RULESET)]
    assert "repository-release-branch-creation" not in names
    assert recording.one(RULESET, "repository-release-tags").inputs["rules"] == {
        "update": True,
        "deletion": True,
    }
    warnings = "\n".join(recording.warnings)
    assert "GitHub Actions may create and approve pull requests" in warnings
    assert "can create a release branch or a release tag" in warnings
    assert not [r for r in recording.of_type(VARIABLE) if r.parent_name == "npm-environment"]


# --- the image channel through the whole program ------------------------------------------


def _registered(recording: Recording) -> str:
    """The image channel's ``registered`` record, as the stack writes it."""
    return str(
        next(
            r
            for r in recording.of_type("aws:ssm/parameter:Parameter")
            if r.name.endswith("registered")
        ).inputs["value"]
    )


def test_a_ci_deploy_survives_pulumi_up() -> None:
    first = recorded("prod")
    channel = image_channel_prefix_for("prod")
    registered = _registered(first)
    shape = json.loads(registered)["shape"]
    ci_revision = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:task-definition/storefront-prod:42"
    image = f"{first.outputs['repositoryUrl']}@sha256:{'a' * 64}"
    later = recorded(
        "prod",
        ssm_parameters={
            f"{channel}/deployed": json.dumps(
                {"image": image, "taskDefinitionArn": ci_revision, "shape": shape}
            ),
            f"{channel}/registered": registered,
        },
    )
    assert later.one(SERVICE).inputs["taskDefinition"] == ci_revision
    first_definition = first.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    later_definition = later.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert later_definition["containerDefinitions"] == first_definition["containerDefinitions"]


def test_every_stack_deploys_with_its_profiles_strategy(stack: Recording) -> None:
    """Every stack file: the service's deployment configuration is its settings' strategy, and
    a non-rolling one has the alternate target group, both rules and alarms on both groups."""
    settings = stack_settings(stack.stack).compute
    strategy = settings.strategy
    service = stack.one(SERVICE).inputs
    configuration = service["deploymentConfiguration"]
    assert configuration["strategy"] == strategy.kind.ecs
    (balancer,) = service["loadBalancers"]
    rules = stack.of_type("aws:lb/listenerRule:ListenerRule")
    if not is_progressive(strategy):
        assert configuration == {"strategy": "ROLLING"}
        assert "advancedConfiguration" not in balancer
        assert rules == []
        return
    assert int(configuration["bakeTimeInMinutes"]) == strategy.bake_minutes
    assert set(balancer["advancedConfiguration"]) == {
        "alternateTargetGroupArn",
        "productionListenerRule",
        "testListenerRule",
        "roleArn",
    }
    assert sorted(r.name for r in rules) == ["service-production-rule", "service-test-rule"]
    assert all(r.ignore_changes == ("actions",) for r in rules)
    alarms = service["alarms"]["alarmNames"]
    assert sum(name.endswith("-alternate") for name in alarms) == len(alarms) // 2 == 2


def test_the_profiles_strategies() -> None:
    kinds = {s: stack_settings(s).compute.strategy for s in ("dev", "staging", "prod")}
    assert kinds["dev"] == RollingStrategy()
    assert kinds["staging"] == LinearStrategy(step_percent=25, interval_minutes=2, bake_minutes=5)
    assert kinds["prod"] == CanaryStrategy(percent=10, interval_minutes=10, bake_minutes=15)


def test_pulumi_up_during_and_after_a_ci_canary_neither_restarts_nor_undoes_it() -> None:
    """docs/deployment-strategies.md, "Pulumi and a deployment in flight".

    CI starts a canary with UpdateService (taskDefinition: its new revision) and writes the
    image channel's ``deployed`` record only once the deployment succeeded. Pulumi compares
    what it would send with its own state, so:

    * during the canary and its bake, the channel still names the last good revision: every
      input of the service, its task definition and its listener rules is what the previous
      ``up`` sent, so the provider has nothing to update and ECS's deployment goes on;
    * after it, the channel names CI's revision: the service's ``taskDefinition`` becomes the
      revision that already runs, its deployment configuration and load balancers stay as
      they were, and no new task definition revision is registered.

    The listener rules' forward actions, which ECS rewrites while it shifts traffic, are never
    compared at all (``ignoreChanges``)."""
    first = recorded("prod")
    channel = image_channel_prefix_for("prod")
    registered = _registered(first)
    shape = json.loads(registered)["shape"]
    family = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:task-definition/storefront-prod"
    image = f"{first.outputs['repositoryUrl']}@sha256:"

    def channel_after(revision: int, digest: str) -> dict[str, str]:
        return {
            f"{channel}/deployed": json.dumps(
                {"image": image + digest * 64, "taskDefinitionArn": f"{family}:{revision}",
                 "shape": shape}
            ),
            f"{channel}/registered": registered,
        }  # fmt: skip

    watched = (SERVICE, "aws:ecs/taskDefinition:TaskDefinition", "aws:lb/listenerRule:ListenerRule")

    def inputs(recording: Recording) -> dict[str, dict[str, Any]]:
        return {r.urn: r.inputs for t in watched for r in recording.of_type(t)}

    # The last good deploy was revision 41; CI's canary of 42 is in flight (or baking).
    before = run_stack("prod", ssm_parameters=channel_after(41, "b"))
    during = run_stack("prod", ssm_parameters=channel_after(41, "b"))
    assert inputs(during) == inputs(before)
    assert before.one(SERVICE).inputs["taskDefinition"] == f"{family}:41"
    # The canary of 42 succeeded and CI recorded it.
    after = recorded("prod", ssm_parameters=channel_after(42, "a"))  # as the test above
    changed = {
        key
        for key, value in after.one(SERVICE).inputs.items()
        if before.one(SERVICE).inputs.get(key) != value
    }
    assert changed == {"taskDefinition"}
    assert after.one(SERVICE).inputs["taskDefinition"] == f"{family}:42"
    assert after.one(SERVICE).inputs["forceNewDeployment"] is False
    task_definition = "aws:ecs/taskDefinition:TaskDefinition"
    assert after.one(task_definition).inputs == before.one(task_definition).inputs
    for rule in after.of_type("aws:lb/listenerRule:ListenerRule"):
        assert rule.ignore_changes == ("actions",)


def image_channel_prefix_for(stack: str) -> str:
    return image_channel_prefix(stack_settings(stack))


def test_the_entry_point_pulumi_runs_exports_the_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    config, secret_keys = load_stack_config("staging")
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys)
    # As the Pulumi CLI's language host passes config to the program.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(secret_keys))
    pulumi.runtime.set_mocks(AwsMocks("eu-west-1", "staging"), project="slipway", stack="staging")
    stack_resource = runtime_settings.get_root_resource()
    assert stack_resource is not None

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> None:
        runpy.run_path(str(Path(ROOT, "infra", "__main__.py")), run_name="__main__")

    run()
    exported = stack_resource.outputs  # type: ignore[attr-defined]
    assert set(exported) == OUTPUTS


def test_an_application_secret_value_from_config_stays_secret() -> None:
    value = "postgres://storefront:hunter2@db.internal:5432/storefront"
    recording = run_stack("staging", secrets={"secretDatabaseUrl": value})
    versions = recording.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    (version,) = versions  # SESSION_SECRET has no value in config: created empty
    assert version.inputs["secretString"] == value
    assert "secretString" in version.secret_inputs
    secrets = {r.inputs["name"] for r in recording.of_type("aws:secretsmanager/secret:Secret")}
    assert secrets == {"storefront/staging/DATABASE_URL", "storefront/staging/SESSION_SECRET"}
    assert not any(value in warning for warning in recording.warnings)


def test_the_github_owner_must_own_the_repository() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides={"github:owner": "someone-else"})
    assert "github:owner: got 'someone-else'; the owner of slipway:githubRepository" in str(
        caught.value
    )
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_owner_stack_delivers_the_rendered_workflows_as_a_pull_request() -> None:
    from infra.stack import workflow_spec
    from slipway.workflows import render_workflow_files

    prod = recorded("prod")
    files = {
        r.inputs["file"]: r.inputs["content"]
        for r in prod.of_type("github:index/repositoryFile:RepositoryFile")
        if r.parent_type == "slipway:index:WorkflowSet"
    }
    assert files == render_workflow_files(workflow_spec(stack_settings("prod")))
    assert prod.of_type("github:index/repositoryPullRequest:RepositoryPullRequest")
    for stack in ("dev", "staging"):
        assert not recorded(stack).of_type("github:index/repositoryFile:RepositoryFile")


def test_prod_keeps_images_and_secrets_in_the_copy_region() -> None:
    prod = recorded("prod")
    (configuration,) = prod.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = configuration.inputs["replicationConfiguration"]["rules"]
    assert [d["region"] for d in rule["destinations"]] == ["eu-central-1"]
    # Only prod's repository: dev's and staging's images stay in the primary region.
    assert rule["repositoryFilters"] == [
        {"filter": "storefront/prod", "filterType": "PREFIX_MATCH"}
    ]
    assert prod.outputs["replicatedRepositories"] == ["storefront/prod"]
    for secret in prod.of_type("aws:secretsmanager/secret:Secret"):
        (replica,) = secret.inputs["replicas"]
        assert replica["region"] == "eu-central-1", secret.name
        # Under prod's own customer-managed key in that region, not aws/secretsmanager.
        assert replica["kmsKeyId"].startswith(f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/")
    for stack in ("dev", "staging"):
        recording = recorded(stack)
        assert not recording.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
        assert all(
            not s.inputs.get("replicas")
            for s in recording.of_type("aws:secretsmanager/secret:Secret")
        )


TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"


def test_prod_replicas_get_a_key_lifecycle_and_immutable_tags() -> None:
    """The repositories ECR creates in the copy region on first replication follow a creation
    template: prod's lifecycle rules, immutable tags, a customer-managed key in that region
    (ECR needs a custom role for KMS); the inputs pass botocore's
    CreateRepositoryCreationTemplate shape."""
    prod = recorded("prod")
    template = prod.one(TEMPLATE)
    source = prod.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert template.inputs["prefix"] == "storefront"
    assert template.inputs["appliedFors"] == ["REPLICATION"]
    assert template.inputs["imageTagMutability"] == "IMMUTABLE"
    assert template.json_input("lifecyclePolicy") == source.json_input("policy")
    (encryption,) = template.inputs["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    assert encryption["kmsKey"].startswith(f"arn:aws:kms:eu-central-1:{ACCOUNT_ID}:key/")
    assert template.inputs["resourceTags"]["slipway:environment"] == "prod"
    role = prod.one("aws:iam/role:Role", "registry-replication-template-role")
    assert role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {
        "Service": "ecr.amazonaws.com"
    }
    assert template.inputs["customRoleArn"].endswith(
        ":role/storefront-prod-registry-replication-template-role"
    )
    policy = prod.one("aws:iam/rolePolicy:RolePolicy", "registry-replication-template-role-policy")
    statements = {s["Sid"]: s for s in policy.json_input("policy")["Statement"]}
    assert statements["CreateReplicas"]["Resource"] == [
        f"arn:aws:ecr:eu-central-1:{ACCOUNT_ID}:repository/storefront/*"
    ]
    assert statements["UseReplicaKey"]["Resource"] == [encryption["kmsKey"]]
    assert parliament_findings(policy.json_input("policy")) == []
    model = service_model("ecr")
    botocore.validate.validate_parameters(
        {
            "prefix": template.inputs["prefix"],
            "appliedFor": template.inputs["appliedFors"],
            "imageTagMutability": template.inputs["imageTagMutability"],
            "lifecyclePolicy": template.inputs["lifecyclePolicy"],
            "encryptionConfiguration": encryption,
            "customRoleArn": template.inputs["customRoleArn"],
            "resourceTags": [
                {"Key": k, "Value": v} for k, v in template.inputs["resourceTags"].items()
            ],
        },
        model.operation_model("CreateRepositoryCreationTemplate").input_shape,
    )
    for stack in ("dev", "staging"):
        assert not recorded(stack).of_type(TEMPLATE)


# --- the repository's visibility and plan --------------------------------------------------

PRIVATE = {"acme-corp/storefront": GithubRepository("acme-corp/storefront", visibility="private")}


def test_a_visibility_github_contradicts_stops_the_stack_before_any_resource() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", github_repositories=PRIVATE)
    assert str(caught.value) == (
        "slipway:githubRepositoryVisibility: got 'public'; 'private', what GitHub reports for "
        "acme-corp/storefront: the visibility decides which protections GitHub enforces"
    )
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_a_private_prod_on_enterprise_keeps_its_gate() -> None:
    recording = run_stack(
        "prod",
        overrides={"githubRepositoryVisibility": "private", "githubPlan": "enterprise"},
        github_repositories=PRIVATE,
    )
    environment = recording.one(ENVIRONMENT, "github-environment-environment")
    assert environment.inputs["reviewers"][0]["users"]
    assert environment.inputs["waitTimer"] == 5


def test_a_private_prod_on_team_runs_only_when_told_there_is_no_gate() -> None:
    overrides: dict[str, str | None] = {
        "githubRepositoryVisibility": "private",
        "githubPlan": "team",
    }
    with pytest.raises(ConfigError, match="githubRepositoryVisibility: got 'private'"):
        run_stack("prod", overrides=overrides, github_repositories=PRIVATE)
    recording = run_stack(
        "prod",
        overrides={
            **overrides,
            "reviewers": None,
            "reviewerTeams": None,
            "requireReviewers": "false",
            "waitTimerMinutes": "0",
        },
        github_repositories=PRIVATE,
    )
    environment = recording.one(ENVIRONMENT, "github-environment-environment")
    assert not environment.inputs.get("reviewers")
    assert environment.inputs["waitTimer"] == 0
