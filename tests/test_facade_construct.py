"""The facade (provider/slipway_facade), constructed the way the Pulumi engine constructs it.

Each component goes through ``SlipwayComponentProvider.construct`` (the path a ``Construct`` call
from TypeScript, Go or YAML takes) under the mock runtime, with its integers as floats (how they
cross the wire) and its ``Input`` values as Outputs (how the server hands over any value that
depends on another resource). It must register exactly what the Python API registers for the
same settings, below the facade's own component.
"""

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest
from pulumi.errors import InputPropertyError
from pulumi.provider.server import ComponentInitError

import slipway
from slipway.stack_boundary import AccountResource
from slipway.workflow_set import WorkflowSet, WorkflowSetArgs
from slipway.workflows import GhcrRetention, NpmPublishMode, WorkflowSpec
from slipway_facade import COMPONENTS
from slipway_facade.host import SlipwayComponentProvider
from tooling.offline import ACCOUNT_ID, RecordedResource, Recording

Runner = Callable[..., Recording]
Program = Callable[[], Mapping[str, Any]]
TOPIC_ARN = f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:shop-prod-alerts"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/shop-prod-deploy"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT_ID}:policy/shop-prod-ci-boundary"
ECR_ARN = f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/shop/web"
SERVICE_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:service/shop-prod/web"
PARAMETER_ARN = f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter/shop/prod/image"
CLUSTER_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:cluster/shop-prod"
CERTIFICATE_ARN = (
    f"arn:aws:acm:eu-west-1:{ACCOUNT_ID}:certificate/12345678-1234-1234-1234-123456789012"
)
BOOTSTRAP_IMAGE = f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/shop/web:bootstrap"
DB_SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:secret:shop/db-AbCdEf"
PUBLIC_SUBNETS = ["subnet-0a000000000000001", "subnet-0a000000000000002"]
PRIVATE_SUBNETS = ["subnet-0b000000000000001", "subnet-0b000000000000002"]
DB_ARN = f"arn:aws:rds:eu-west-1:{ACCOUNT_ID}:db:shop-prod"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def provider() -> SlipwayComponentProvider:
    return SlipwayComponentProvider(COMPONENTS, "slipway", version=slipway.__version__)


def via_provider(
    provider: SlipwayComponentProvider, token: str, name: str, inputs: Callable[[], dict[str, Any]]
) -> Program:
    """A program that constructs ``token`` through the provider; ``inputs`` is called inside
    the run (Outputs need the runtime)."""

    def program() -> Mapping[str, Any]:
        result = provider.construct(name, token, inputs(), None)
        return {"urn": result.urn, **result.state}

    return program


def below_facade(recording: Recording, token: str) -> list[RecordedResource]:
    """What the facade registered, minus its own component, with URNs and parents as if the
    Python API had been called directly."""
    facade, rest = recording.resources[0], recording.resources[1:]

    def direct(urn: str) -> str:
        # The mock runtime's URNs carry the parent's type only (MockMonitor.make_urn).
        if urn == facade.urn:
            return facade.parent
        return urn.replace(f"::{token}${token}::", f"::pulumi:pulumi:Stack${token}::")

    return [
        dataclasses.replace(
            r,
            urn=direct(r.urn),
            parent=direct(r.parent),
            dependencies=tuple(sorted(direct(d) for d in r.dependencies)),
        )
        for r in rest
    ]


def by_urn(resource: RecordedResource) -> str:
    return resource.urn


def assert_same_registrations(
    run_component: Runner, via: Program, direct: Program, token: str
) -> Recording:
    facade = run_component(via)
    python_api = run_component(direct)
    assert facade.resources[0].type == token
    assert facade.resources[0].parent_type == "pulumi:pulumi:Stack"
    # Children that wait on Outputs register in whichever order those resolve, and a
    # registration's dependencies come in no set order: compare both sorted.
    assert sorted(below_facade(facade, token), key=by_urn) == sorted(
        (
            dataclasses.replace(r, dependencies=tuple(sorted(r.dependencies)))
            for r in python_api.resources
        ),
        key=by_urn,
    )
    return facade


# --------------------------------------------------------------------------------------------
# ContainerRegistry
# --------------------------------------------------------------------------------------------


REGISTRY = "slipway:index:ContainerRegistry"


def test_container_registry(provider: SlipwayComponentProvider, run_component: Runner) -> None:
    inputs = lambda: {  # noqa: E731
        "repositoryName": "shop/web",
        "untaggedExpiryDays": 14.0,
        "keepReleaseImages": 50.0,
        "releaseTagPatterns": ["v*.*.*"],
        "kmsKeyArn": pulumi.Output.from_input(KEY_ARN),
        "keyDeletionWindowDays": 7.0,
        "pullAccountIds": ["210987654321"],
        "protect": True,
        "tags": {"team": "web"},
    }

    def direct() -> Mapping[str, Any]:
        slipway.ContainerRegistry(
            "reg",
            slipway.ContainerRegistryArgs(
                repository_name="shop/web",
                untagged_expiry_days=14,
                keep_release_images=50,
                release_tag_patterns=["v*.*.*"],
                kms_key_arn=KEY_ARN,
                key_deletion_window_days=7,
                pull_account_ids=["210987654321"],
                protect=True,
                tags={"team": "web"},
            ),
        )
        return {}

    facade = assert_same_registrations(
        run_component, via_provider(provider, REGISTRY, "reg", inputs), direct, REGISTRY
    )
    assert "ecr:BatchGetImage" in facade.outputs["pullPolicyJson"]
    assert "ecr:PutImage" in facade.outputs["pushPolicyJson"]
    assert facade.outputs["kmsKeyArn"] == KEY_ARN


def test_container_registry_defaults(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    def direct() -> Mapping[str, Any]:
        slipway.ContainerRegistry("reg", slipway.ContainerRegistryArgs(repository_name="shop"))
        return {}

    assert_same_registrations(
        run_component,
        via_provider(provider, REGISTRY, "reg", lambda: {"repositoryName": "shop"}),
        direct,
        REGISTRY,
    )


def test_output_for_a_plain_integer_is_refused_by_name(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {  # noqa: E731
        "repositoryName": "shop",
        "untaggedExpiryDays": pulumi.Output.from_input(14.0),
    }
    with pytest.raises(InputPropertyError) as refused:
        run_component(via_provider(provider, REGISTRY, "reg", inputs))
    assert refused.value.property_path == "untaggedExpiryDays"
    assert "known before the deployment" in refused.value.reason


def test_fractional_float_is_refused_by_name(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {"repositoryName": "shop", "keepReleaseImages": 2.5}  # noqa: E731
    with pytest.raises(InputPropertyError) as refused:
        run_component(via_provider(provider, REGISTRY, "reg", inputs))
    assert refused.value.property_path == "keepReleaseImages"
    assert "2.5" in refused.value.reason


# --------------------------------------------------------------------------------------------
# The other components: one run each with floats and Outputs, against the Python API
# --------------------------------------------------------------------------------------------

Case = tuple[str, Callable[[], dict[str, Any]], Callable[[], pulumi.ComponentResource]]
"""Component name, the facade's inputs (built inside the run) and the same through the
Python API."""

CASES: dict[str, Case] = {
    "EcsCluster": (
        "cluster",
        lambda: {
            "clusterName": "shop-prod",
            "containerInsights": "enabled",
            "onDemandBase": 2.0,
            "onDemandWeight": 1.0,
            "spotWeight": 3.0,
            "executeCommand": True,
            "execLogRetentionDays": 90.0,
            "logKmsKeyArn": pulumi.Output.from_input(KEY_ARN),
            "keyDeletionWindowDays": 10.0,
            "protect": True,
            "tags": {"team": "web"},
        },
        lambda: slipway.EcsCluster(
            "cluster",
            slipway.EcsClusterArgs(
                cluster_name="shop-prod",
                container_insights=slipway.ContainerInsights.ENABLED,
                on_demand_base=2,
                on_demand_weight=1,
                spot_weight=3,
                execute_command=True,
                exec_log_retention_days=90,
                log_kms_key_arn=KEY_ARN,
                key_deletion_window_days=10,
                protect=True,
                tags={"team": "web"},
            ),
        ),
    ),
    "Network": (
        "net",
        lambda: {
            "namePrefix": "shop-prod",
            "vpcCidr": "10.20.0.0/16",
            "azCount": 3.0,
            "natStrategy": "single",
            "interfaceEndpoints": ["ecr.api", "ecr.dkr", "logs"],
            "flowLogRetentionDays": 30.0,
            "logKmsKeyArn": pulumi.Output.from_input(KEY_ARN),
            "protect": True,
        },
        lambda: slipway.Network(
            "net",
            slipway.NetworkArgs(
                name_prefix="shop-prod",
                vpc_cidr="10.20.0.0/16",
                az_count=3,
                nat_strategy=slipway.NatStrategy.SINGLE,
                interface_endpoints=["ecr.api", "ecr.dkr", "logs"],
                flow_log_retention_days=30,
                log_kms_key_arn=KEY_ARN,
                protect=True,
            ),
        ),
    ),
    "SecretStore": (
        "secrets",
        lambda: {
            "namePrefix": "shop/prod/",
            "secrets": [
                {"name": "database-url", "description": "Filled by the DBA"},
                {"name": "api-token", "value": pulumi.Output.secret("s3cr3t")},
            ],
            "keyDeletionWindowDays": 7.0,
            "recoveryWindowDays": 0.0,
            "replicaRegions": ["eu-central-1"],
        },
        lambda: slipway.SecretStore(
            "secrets",
            slipway.SecretStoreArgs(
                name_prefix="shop/prod/",
                secrets=[
                    slipway.SecretSpec(name="database-url", description="Filled by the DBA"),
                    slipway.SecretSpec(name="api-token", value=pulumi.Output.secret("s3cr3t")),
                ],
                key_deletion_window_days=7,
                recovery_window_days=0,
                replica_regions=["eu-central-1"],
            ),
        ),
    ),
    "Alerting": (
        "alerts",
        lambda: {
            "topicName": "shop-prod-alerts",
            "emailEndpoints": ["ops@example.com"],
            "httpsEndpoints": ["https://hooks.example.com/sns"],
            "kmsKeyArn": pulumi.Output.from_input(KEY_ARN),
            "eventRuleNamePrefix": "shop-prod-",
            "protect": True,
        },
        lambda: slipway.Alerting(
            "alerts",
            slipway.AlertingArgs(
                topic_name="shop-prod-alerts",
                email_endpoints=["ops@example.com"],
                https_endpoints=["https://hooks.example.com/sns"],
                kms_key_arn=KEY_ARN,
                event_rule_name_prefix="shop-prod-",
                protect=True,
            ),
        ),
    ),
    "AuditTrail": (
        "audit",
        lambda: {
            "trailName": "shop-audit",
            "retentionDays": 400.0,
            "logRetentionDays": 90.0,
            "ownerRolePrefix": "shop-prod-",
            "objectLock": True,
            "objectLockMode": "COMPLIANCE",
            "objectLockDays": 120.0,
            "protect": True,
        },
        lambda: slipway.AuditTrail(
            "audit",
            slipway.AuditTrailArgs(
                trail_name="shop-audit",
                retention_days=400,
                log_retention_days=90,
                owner_role_prefix="shop-prod-",
                object_lock=True,
                object_lock_mode="COMPLIANCE",
                object_lock_days=120,
                protect=True,
            ),
        ),
    ),
    "ServiceMonitoring": (
        "ops",
        lambda: {
            "namePrefix": "shop-prod",
            "clusterName": pulumi.Output.from_input("shop-prod"),
            "serviceName": pulumi.Output.from_input("web"),
            "lbArnSuffix": pulumi.Output.from_input("app/shop/0123456789abcdef"),
            "targetGroupArnSuffix": pulumi.Output.from_input("targetgroup/web/0123456789abcdef"),
            "alarmActions": [pulumi.Output.from_input(TOPIC_ARN)],
            "thresholds": {
                "target5xxCount": 5.0,
                "cpuPercent": 70.0,
                "latencyP99Seconds": 1.5,
                "evaluationPeriods": 2.0,
                "periodSeconds": 120.0,
            },
            "backupVaultName": pulumi.Output.from_input("shop-prod-vault"),
            "minimumRunningTasks": 2.0,
        },
        lambda: slipway.ServiceMonitoring(
            "ops",
            slipway.ServiceMonitoringArgs(
                name_prefix="shop-prod",
                cluster_name="shop-prod",
                service_name="web",
                lb_arn_suffix="app/shop/0123456789abcdef",
                target_group_arn_suffix="targetgroup/web/0123456789abcdef",
                alarm_actions=[TOPIC_ARN],
                thresholds=slipway.AlarmThresholds(
                    target_5xx_count=5,
                    cpu_percent=70.0,
                    latency_p99_seconds=1.5,
                    evaluation_periods=2,
                    period_seconds=120,
                ),
                backup_vault_name="shop-prod-vault",
                minimum_running_tasks=2,
            ),
        ),
    ),
    "BackupPlan": (
        "backup",
        lambda: {
            "namePrefix": "shop-prod",
            "selectionTagValue": "prod",
            "rules": [
                {"name": "daily", "schedule": "cron(0 3 * * ? *)", "deleteAfterDays": 35.0},
                {
                    "name": "monthly",
                    "schedule": "cron(0 5 1 * ? *)",
                    "deleteAfterDays": 400.0,
                    "coldStorageAfterDays": 30.0,
                    "startWindowMinutes": 120.0,
                },
            ],
            "region": "eu-west-1",
            "copyRegion": "eu-central-1",
            "vaultLock": "governance",
            "notificationTopicArn": pulumi.Output.from_input(TOPIC_ARN),
            "resourceArns": [pulumi.Output.from_input(DB_ARN)],
            "dataBucket": True,
            "protect": True,
        },
        lambda: slipway.BackupPlan(
            "backup",
            slipway.BackupPlanArgs(
                name_prefix="shop-prod",
                selection_tag_value="prod",
                rules=[
                    slipway.BackupRule("daily", "cron(0 3 * * ? *)", 35),
                    slipway.BackupRule(
                        "monthly",
                        "cron(0 5 1 * ? *)",
                        400,
                        cold_storage_after_days=30,
                        start_window_minutes=120,
                    ),
                ],
                region="eu-west-1",
                copy_region="eu-central-1",
                vault_lock=slipway.VaultLock.GOVERNANCE,
                notification_topic_arn=TOPIC_ARN,
                resource_arns=[DB_ARN],
                data_bucket=True,
                protect=True,
            ),
        ),
    ),
    "RepositoryGuardrails": (
        "repo",
        lambda: {
            "repository": "acme-corp/storefront",
            "protectReleaseBranches": True,
            "releaseAppId": 123456.0,
            "requiredApprovals": 2.0,
            "requiredStatusChecks": ["test", "lint"],
            "statusCheckIntegrationId": 15368.0,
            "codeowners": ["@acme-corp/web"],
        },
        lambda: slipway.RepositoryGuardrails(
            "repo",
            slipway.RepositoryGuardrailsArgs(
                repository="acme-corp/storefront",
                protect_release_branches=True,
                release_app_id=123456,
                required_approvals=2,
                required_status_checks=["test", "lint"],
                status_check_integration_id=15368,
                codeowners=["@acme-corp/web"],
            ),
        ),
    ),
    "StackBoundary": (
        "boundary",
        lambda: {
            "app": "shop",
            "environment": "prod",
            "ownedAccountResources": ["oidc-provider", "audit-trail"],
            "recordNames": ["shop.example.com"],
        },
        lambda: slipway.StackBoundary(
            "boundary",
            slipway.StackBoundaryArgs(
                app="shop",
                environment="prod",
                owned_account_resources=frozenset(
                    {AccountResource.OIDC_PROVIDER, AccountResource.AUDIT_TRAIL}
                ),
                record_names=("shop.example.com",),
            ),
        ),
    ),
    "DeploymentEnvironment": (
        "prod-env",
        lambda: {
            "repository": "acme-corp/storefront",
            "environment": "prod",
            "reviewers": ["octocat"],
            "waitTimerMinutes": 15.0,
            "deployTagPatterns": ["v*"],
            "variables": {
                "AWS_REGION": "eu-west-1",
                "AWS_DEPLOY_ROLE_ARN": pulumi.Output.from_input(ROLE_ARN),
            },
            "secrets": {"SLACK_WEBHOOK_URL": pulumi.Output.secret("https://hooks.example.com/x")},
            "repositoryPlan": {"visibility": "public", "plan": "team"},
        },
        lambda: slipway.DeploymentEnvironment(
            "prod-env",
            slipway.DeploymentEnvironmentArgs(
                repository="acme-corp/storefront",
                environment="prod",
                reviewers=["octocat"],
                wait_timer_minutes=15,
                deploy_tag_patterns=["v*"],
                variables={
                    slipway.EnvironmentVariable.AWS_REGION: "eu-west-1",
                    slipway.EnvironmentVariable.AWS_DEPLOY_ROLE_ARN: ROLE_ARN,
                },
                secrets={
                    slipway.EnvironmentSecret.SLACK_WEBHOOK_URL: pulumi.Output.secret(
                        "https://hooks.example.com/x"
                    )
                },
                repository_plan=slipway.RepositoryPlan(
                    visibility=slipway.Visibility.PUBLIC, plan=slipway.GithubPlan.TEAM
                ),
            ),
        ),
    ),
    "GithubOidc": (
        "github",
        lambda: {
            "infrastructureRepository": "acme-corp/infra",
            "infrastructureRepositoryIds": {"ownerId": 4242.0, "repositoryId": 987654.0},
            "infrastructureEnvironments": ["infra-prod"],
            "permissionsBoundaryArn": pulumi.Output.from_input(BOUNDARY_ARN),
            "driftEnvironment": "",
            "deployRoles": [
                {
                    "name": "deploy-prod",
                    "repository": "acme-corp/storefront",
                    "environment": "prod",
                    "repositoryIds": {"ownerId": 4242.0, "repositoryId": 123456.0},
                    "subjectFormat": "both",
                    "ecrRepositoryArn": pulumi.Output.from_input(ECR_ARN),
                    "ecsServiceArn": pulumi.Output.from_input(SERVICE_ARN),
                    "taskFamily": "shop-prod",
                    "taskRoleArn": pulumi.Output.from_input(ROLE_ARN),
                    "executionRoleArn": pulumi.Output.from_input(ROLE_ARN),
                    "imageChannelParameterArn": pulumi.Output.from_input(PARAMETER_ARN),
                }
            ],
        },
        lambda: deploy_role_too(
            slipway.GithubOidc(
                "github",
                slipway.GithubOidcArgs(
                    infrastructure_repository="acme-corp/infra",
                    infrastructure_repository_ids=slipway.RepositoryIds(4242, 987654),
                    infrastructure_environments=["infra-prod"],
                    permissions_boundary_arn=BOUNDARY_ARN,
                    drift_environment=None,
                ),
            )
        ),
    ),
    "WorkflowSet": (
        "workflows",
        lambda: {
            "repository": "acme/storefront",
            "spec": {
                "repository": "acme/storefront",
                "environments": ["staging", "prod"],
                "imagePackage": "@acme/storefront",
                "npmPublish": "token",
                "codeOwners": ["@acme/platform"],
                "ghcrRetention": {"keepLatest": 5.0, "olderThanDays": 45.0},
                "containerPort": 8080.0,
                "healthCheckRetries": 6.0,
                "deployTimeoutMinutes": 45.0,
            },
            "branch": "slipway/workflows",
        },
        lambda: WorkflowSet(
            "workflows",
            WorkflowSetArgs(
                repository="acme/storefront",
                spec=WorkflowSpec(
                    repository="acme/storefront",
                    environments=("staging", "prod"),
                    image_package="@acme/storefront",
                    npm_publish=NpmPublishMode.TOKEN,
                    code_owners=("@acme/platform",),
                    ghcr_retention=GhcrRetention(keep_latest=5, older_than_days=45),
                    container_port=8080,
                    health_check_retries=6,
                    deploy_timeout_minutes=45,
                ),
                branch="slipway/workflows",
            ),
        ),
    ),
    "FargateService": (
        "web",
        lambda: {
            "serviceName": "shop-prod",
            "placement": {
                "clusterArn": pulumi.Output.from_input(CLUSTER_ARN),
                "clusterName": pulumi.Output.from_input("shop-prod"),
                "vpcId": pulumi.Output.from_input("vpc-0123456789abcdef0"),
                "publicSubnetIds": pulumi.Output.from_input(PUBLIC_SUBNETS),
                "privateSubnetIds": pulumi.Output.from_input(PRIVATE_SUBNETS),
                "vpcCidr": "10.20.0.0/16",
            },
            "listener": {"certificateArn": pulumi.Output.from_input(CERTIFICATE_ARN)},
            "imageChannelPrefix": "/slipway/shop/prod/image-channel",
            "bootstrapImage": pulumi.Output.from_input(BOOTSTRAP_IMAGE),
            "repositoryArn": pulumi.Output.from_input(ECR_ARN),
            "containerPort": 8080.0,
            "healthCheckPath": "/health",
            "environment": {"NODE_ENV": "production"},
            "secrets": {"DATABASE_URL": pulumi.Output.from_input(DB_SECRET_ARN)},
            "secretKmsKeyArns": [pulumi.Output.from_input(KEY_ARN)],
            "logging": {"retentionDays": 30.0},
            "capacity": {
                "cpu": 512.0,
                "memory": 1024.0,
                "desiredCount": 3.0,
                "capacityProviderStrategy": [
                    {"capacityProvider": "FARGATE", "base": 1.0, "weight": 1.0},
                    {"capacityProvider": "FARGATE_SPOT", "weight": 3.0},
                ],
            },
            "autoscaling": {"minCount": 2.0, "maxCount": 6.0, "cpuTarget": 50.0},
            "egress": [
                {
                    "protocol": "tcp",
                    "fromPort": 5432.0,
                    "toPort": 5432.0,
                    "destination": "10.20.0.0/16",
                }
            ],
            "rollbackAlarms": {"alarmActions": [pulumi.Output.from_input(TOPIC_ARN)]},
            "canary": {"percent": 20.0, "intervalMinutes": 5.0, "bakeMinutes": 10.0},
            "accessLogs": {"enabled": False},
            "protect": True,
        },
        lambda: slipway.FargateService(
            "web",
            slipway.FargateServiceArgs(
                service_name="shop-prod",
                placement=slipway.PlacementOptions(
                    cluster_arn=CLUSTER_ARN,
                    cluster_name="shop-prod",
                    vpc_id="vpc-0123456789abcdef0",
                    public_subnet_ids=PUBLIC_SUBNETS,
                    private_subnet_ids=PRIVATE_SUBNETS,
                    vpc_cidr="10.20.0.0/16",
                ),
                listener=slipway.ListenerOptions(certificate_arn=CERTIFICATE_ARN),
                image_channel_prefix="/slipway/shop/prod/image-channel",
                bootstrap_image=BOOTSTRAP_IMAGE,
                repository_arn=ECR_ARN,
                container_port=8080,
                health_check_path="/health",
                environment={"NODE_ENV": "production"},
                secrets={"DATABASE_URL": DB_SECRET_ARN},
                secret_kms_key_arns=[KEY_ARN],
                logging=slipway.LoggingOptions(retention_days=30),
                capacity=slipway.CapacityOptions(
                    cpu=512,
                    memory=1024,
                    desired_count=3,
                    capacity_provider_strategy=[
                        {"capacity_provider": "FARGATE", "base": 1, "weight": 1},
                        {"capacity_provider": "FARGATE_SPOT", "weight": 3},
                    ],
                ),
                autoscaling=slipway.AutoscalingOptions(min_count=2, max_count=6, cpu_target=50),
                egress=[slipway.EgressRule("tcp", 5432, 5432, "10.20.0.0/16")],
                rollback_alarms=slipway.RollbackAlarmOptions(alarm_actions=[TOPIC_ARN]),
                deployment_strategy=slipway.CanaryStrategy(
                    percent=20.0, interval_minutes=5, bake_minutes=10
                ),
                access_logs=None,
                protect=True,
            ),
        ),
    ),
}


def deploy_role_too(oidc: slipway.GithubOidc) -> slipway.GithubOidc:
    oidc.deploy_role(
        "deploy-prod",
        slipway.DeployRoleArgs(
            repository="acme-corp/storefront",
            environment="prod",
            repository_ids=slipway.RepositoryIds(4242, 123456),
            subject_format=slipway.SubjectFormat.BOTH,
            ecr_repository_arn=ECR_ARN,
            ecs_service_arn=SERVICE_ARN,
            task_family="shop-prod",
            task_role_arn=ROLE_ARN,
            execution_role_arn=ROLE_ARN,
            image_channel_parameter_arn=PARAMETER_ARN,
        ),
    )
    return oidc


@pytest.mark.parametrize("component", sorted(CASES))
def test_component_registers_what_the_python_api_registers(
    provider: SlipwayComponentProvider, run_component: Runner, component: str
) -> None:
    name, inputs, python_api = CASES[component]
    token = f"slipway:index:{component}"

    def direct() -> Mapping[str, Any]:
        python_api()
        return {}

    facade = assert_same_registrations(
        run_component, via_provider(provider, token, name, inputs), direct, token
    )
    assert facade.resources[0].name == name


def test_unknown_enum_member_in_a_list_is_refused_by_name(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {  # noqa: E731
        "app": "shop",
        "environment": "prod",
        "ownedAccountResources": ["oidc-provider", "dns"],
    }
    with pytest.raises(InputPropertyError) as refused:
        run_component(via_provider(provider, "slipway:index:StackBoundary", "b", inputs))
    assert refused.value.property_path == "ownedAccountResources[1]"
    assert "'oidc-provider'" in refused.value.reason
    assert "'dns'" in refused.value.reason


def test_unknown_variable_name_is_refused_by_the_python_api(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {  # noqa: E731
        "repository": "acme-corp/storefront",
        "environment": "prod",
        "variables": {"AWS_REGON": "eu-west-1"},
    }
    with pytest.raises(ComponentInitError, match=r"variables: got \['AWS_REGON'\]"):
        run_component(via_provider(provider, "slipway:index:DeploymentEnvironment", "e", inputs))


def test_two_deployment_strategies_are_refused(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    _, inputs, _ = CASES["FargateService"]

    def both() -> dict[str, Any]:
        return {**inputs(), "linear": {"stepPercent": 25.0}}

    with pytest.raises(
        ComponentInitError,
        match=r"FargateServiceArgs.canary and linear: got 'both'; at most one of canary, linear",
    ):
        run_component(via_provider(provider, "slipway:index:FargateService", "web", both))


def test_outputs_stand_in_for_methods(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    """``deploy_role`` and ``image_channel`` reach other languages as outputs."""
    _, oidc_inputs, _ = CASES["GithubOidc"]
    oidc = run_component(via_provider(provider, "slipway:index:GithubOidc", "github", oidc_inputs))
    oidc.one("aws:iam/role:Role", "github-deploy-prod")
    (arn,) = oidc.outputs["deployRoleArns"].values()
    assert set(oidc.outputs["deployRoleArns"]) == {"deploy-prod"}
    assert arn.startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/github-deploy-prod")
    _, service_inputs, _ = CASES["FargateService"]
    service = run_component(
        via_provider(provider, "slipway:index:FargateService", "web", service_inputs)
    )
    assert service.outputs["deployedImageParameterName"].startswith(
        "/slipway/shop/prod/image-channel"
    )
    assert service.outputs["imageChannelParameterArns"]
    assert service.outputs["testUrl"]
