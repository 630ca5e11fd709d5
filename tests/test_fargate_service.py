"""FargateService: what it registers, that AWS would accept it, and the image channel's flow."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.validate
import pulumi
import pytest

from slipway.deployment_strategy import (
    ROLLOUT_START_MINUTES,
    CanaryStrategy,
    LinearStrategy,
    RollingStrategy,
)
from slipway.errors import ConfigError
from slipway.fargate_service import (
    FARGATE_MEMORY,
    AutoscalingOptions,
    CapacityOptions,
    FargateService,
    FargateServiceArgs,
    PlacementOptions,
)
from slipway.fargate_task import EXECUTE_COMMAND_ACTIONS, LoggingOptions, node_health_check
from slipway.image_channel import SHAPE_TAG
from slipway.load_balancer import TLS_POLICY, EgressRule, ListenerOptions
from slipway.monitoring import ServiceMonitoring, ServiceMonitoringArgs
from slipway.registry import PULL_ACTIONS
from slipway.rollback_alarms import (
    ROLLBACK_METRICS,
    TARGET_5XX_ALARM,
    UNHEALTHY_HOSTS_ALARM,
    RollbackAlarmOptions,
)
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy, assert_valid_trust_policy
from tooling.offline import ACCOUNT_ID, RecordedResource, Recording, run_stack

Runner = Callable[..., Recording]

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LISTENER = "aws:lb/listener:Listener"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PARAMETER = "aws:ssm/parameter:Parameter"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"

REGION = "eu-west-1"
ARN = f"{REGION}:{ACCOUNT_ID}"
PREFIX = "/slipway/shop/prod/image-channel"
REPOSITORY_URL = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/shop/prod"
REPOSITORY_ARN = f"arn:aws:ecr:{ARN}:repository/shop/prod"
BOOTSTRAP = f"{REPOSITORY_URL}:bootstrap"
CI_IMAGE = f"{REPOSITORY_URL}@sha256:" + "a" * 64
OLD_IMAGE = f"{REPOSITORY_URL}@sha256:" + "b" * 64
CERTIFICATE = f"arn:aws:acm:{ARN}:certificate/12345678-1234-1234-1234-123456789012"
DB_SECRET = f"arn:aws:secretsmanager:{ARN}:secret:shop/db-AbCdEf"
API_SECRET = f"arn:aws:secretsmanager:{ARN}:secret:shop/stripe-GhIjKl"
GHCR_SECRET = f"arn:aws:secretsmanager:{ARN}:secret:shop/ghcr-MnOpQr"
SECRET_KEY = f"arn:aws:kms:{ARN}:key/11111111-2222-3333-4444-555555555555"
TOPIC = f"arn:aws:sns:{ARN}:shop-alarms"
CLUSTER_ARN = f"arn:aws:ecs:{ARN}:cluster/shop-prod"
PULUMI_TD = f"arn:aws:ecs:{ARN}:task-definition/shop-prod:1"
CI_TD = f"arn:aws:ecs:{ARN}:task-definition/shop-prod:7"

VPC_ID = "vpc-0123456789abcdef0"
PUBLIC_SUBNETS = ["subnet-0a000000000000001", "subnet-0a000000000000002"]
PRIVATE_SUBNETS = ["subnet-0b000000000000001", "subnet-0b000000000000002"]

GROUPS: dict[type, tuple[str, dict[str, Any]]] = {
    PlacementOptions: (
        "placement",
        {
            "cluster_arn": CLUSTER_ARN,
            "cluster_name": "shop-prod",
            "vpc_id": VPC_ID,
            "public_subnet_ids": PUBLIC_SUBNETS,
            "private_subnet_ids": PRIVATE_SUBNETS,
        },
    ),
    ListenerOptions: ("listener", {"certificate_arn": CERTIFICATE}),
    LoggingOptions: ("logging", {}),
    CapacityOptions: ("capacity", {}),
    AutoscalingOptions: ("autoscaling", {}),
    RollbackAlarmOptions: ("rollback_alarms", {"alarm_actions": (TOPIC,)}),
}
"""Each options class: its FargateServiceArgs field and the fields the tests start from."""


def grouped(options: type, **fields: Any) -> Any:
    """``options`` made from the tests' starting fields (:data:`GROUPS`) and ``fields``."""
    return options(**{**GROUPS[options][1], **fields})


def override(options: type, **fields: Any) -> dict[str, Any]:
    """An override of FargateServiceArgs: ``options``'s field set to :func:`grouped`."""
    return {GROUPS[options][0]: grouped(options, **fields)}


BASE: dict[str, Any] = {
    "service_name": "shop-prod",
    "placement": grouped(PlacementOptions),
    "listener": grouped(ListenerOptions),
    "image_channel_prefix": PREFIX,
    "bootstrap_image": BOOTSTRAP,
    "repository_arn": REPOSITORY_ARN,
    "health_check_path": "/health",
    "environment": {"NODE_ENV": "production", "LOG_LEVEL": "info"},
    "secrets": {"DATABASE_URL": DB_SECRET, "STRIPE_KEY": f"{API_SECRET}:key::"},
    "secret_kms_key_arns": (SECRET_KEY,),
    "rollback_alarms": grouped(RollbackAlarmOptions),
    "tags": {"slipway:app": "shop"},
}


_recordings: dict[str, Recording] = {}


def service(
    run: Runner, ssm_parameters: dict[str, str] | None = None, **overrides: Any
) -> Recording:
    """Run the component with BASE + ``overrides``; the program is deterministic, so each
    distinct run is made once per session (tests only read recordings)."""
    key = repr((sorted(overrides.items()), sorted((ssm_parameters or {}).items())))
    if key not in _recordings:
        _recordings[key] = _run(run, ssm_parameters, overrides)
    return _recordings[key]


def _run(
    run: Runner, ssm_parameters: dict[str, str] | None, overrides: dict[str, Any]
) -> Recording:
    def program() -> dict[str, Any]:
        component = FargateService("web", FargateServiceArgs(**{**BASE, **overrides}))
        assert isinstance(component.task_role, pulumi.CustomResource)
        return {
            "service_name": component.service_name,
            "service_arn": component.service_arn,
            "task_family": component.task_family,
            "container_name": component.container_name,
            "task_definition_arn": component.task_definition_arn,
            "task_role_arn": component.task_role_arn,
            "execution_role_name": component.execution_role_name,
            "url": component.url,
            "lb_arn_suffix": component.lb_arn_suffix,
            "target_group_arn_suffix": component.target_group_arn_suffix,
            "log_group_name": component.log_group_name,
            "alarm_names": component.alarm_names,
            "rollback_alarm_arns": component.rollback_alarm_arns,
            "rollback_alarm_keys": list(component.rollback_alarm_keys),
            "alb_sg": component.alb_security_group_id,
            "service_sg": component.service_security_group_id,
            "channel_parameter": component.image_channel.deployed_parameter_name,
        }

    return run(program, ssm_parameters=ssm_parameters)


def program_with(options: type, **fields: Any) -> Callable[[], dict[str, Any]]:
    """A program that makes ``options`` from ``fields`` (:func:`grouped`) and the component
    from it, so that a refused value fails inside the program."""

    def program() -> dict[str, Any]:
        overrides = override(options, **fields)
        FargateService("web", FargateServiceArgs(**{**BASE, **overrides}))
        return {}

    return program


def container(recording: Recording) -> dict[str, Any]:
    (definition,) = json.loads(recording.one(TASK_DEFINITION).inputs["containerDefinitions"])
    return definition  # type: ignore[no-any-return]


def policy_of(recording: Recording, name: str) -> dict[str, Any]:
    return recording.one(ROLE_POLICY, name).json_input("policy")  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# Task definition
# --------------------------------------------------------------------------------------------


def register_task_definition_params(td: RecordedResource) -> dict[str, Any]:
    inputs = td.inputs
    return {
        "family": inputs["family"],
        "containerDefinitions": json.loads(inputs["containerDefinitions"]),
        "cpu": inputs["cpu"],
        "memory": inputs["memory"],
        "networkMode": inputs["networkMode"],
        "requiresCompatibilities": inputs["requiresCompatibilities"],
        "executionRoleArn": inputs["executionRoleArn"],
        "taskRoleArn": inputs["taskRoleArn"],
        "volumes": inputs["volumes"],
        "runtimePlatform": inputs["runtimePlatform"],
        "tags": [{"key": k, "value": v} for k, v in inputs["tags"].items()],
    }


@pytest.mark.parametrize("mode", ["ecr", "ghcr"])
def test_task_definition_matches_the_ecs_api_model(run_component: Runner, mode: str) -> None:
    overrides = override(CapacityOptions, cpu_architecture="ARM64", cpu=1024, memory=3072)
    if mode == "ghcr":
        overrides.update(repository_arn=None, repository_credentials_secret_arn=GHCR_SECRET)
    td = service(run_component, **overrides).one(TASK_DEFINITION)
    params = register_task_definition_params(td)
    model = service_model("ecs")
    botocore.validate.validate_parameters(
        params, model.operation_model("RegisterTaskDefinition").input_shape
    )
    assert params["family"] == "shop-prod"
    assert (params["cpu"], params["memory"]) == ("1024", "3072")
    assert params["networkMode"] == "awsvpc"
    assert params["requiresCompatibilities"] == ["FARGATE"]
    assert params["runtimePlatform"] == {
        "operatingSystemFamily": "LINUX",
        "cpuArchitecture": "ARM64",
    }
    assert params["executionRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/web-execution")
    assert params["taskRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/web-task-role")
    assert td.inputs["skipDestroy"] is True


def test_container_is_hardened(run_component: Runner) -> None:
    recording = service(run_component)
    app = container(recording)
    assert app["name"] == "app"
    assert app["essential"] is True
    assert app["readonlyRootFilesystem"] is True
    assert app["privileged"] is False
    assert app["user"] == "1000"
    assert app["linuxParameters"] == {
        "initProcessEnabled": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert app["mountPoints"] == [
        {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}
    ]
    assert recording.one(TASK_DEFINITION).inputs["volumes"] == [{"name": "tmp"}]
    assert app["portMappings"] == [
        {"containerPort": 3000, "hostPort": 3000, "protocol": "tcp", "name": "http"}
    ]
    assert "repositoryCredentials" not in app


def test_container_health_check_fetches_the_health_path(run_component: Runner) -> None:
    check = container(service(run_component, container_port=8080))["healthCheck"]
    assert check["command"] == list(node_health_check(8080, "/health"))
    assert check["command"][:3] == ["CMD", "node", "-e"]
    assert "http://127.0.0.1:8080/health" in check["command"][3]
    assert (check["interval"], check["timeout"], check["retries"]) == (30, 5, 3)
    assert check["startPeriod"] == 60
    custom = container(
        service(run_component, health_check_command=("CMD-SHELL", "wget -q -O- localhost:3000"))
    )
    assert custom["healthCheck"]["command"] == ["CMD-SHELL", "wget -q -O- localhost:3000"]


@pytest.mark.parametrize("path", ["/health'", "/health?x=1", "/a b", "/$(id)"])
def test_a_health_path_the_health_command_cannot_carry_is_refused(
    run_component: Runner, path: str
) -> None:
    """The path sits inside the container's health command, a JavaScript string in single
    quotes (node_health_check): a quote would end it. One rule (slipway.patterns) for the
    component, the workflows and the ``healthCheckPath`` setting."""
    with pytest.raises(ConfigError, match="health_check_path"):
        FargateServiceArgs(**{**BASE, "health_check_path": path})
    with pytest.raises(ConfigError, match="healthCheckPath"):
        run_stack("dev", overrides={"healthCheckPath": path})


def test_logs_go_to_the_services_own_log_group(run_component: Runner) -> None:
    recording = service(run_component, **override(LoggingOptions, retention_days=365), protect=True)
    options = container(recording)["logConfiguration"]
    assert options["logDriver"] == "awslogs"
    assert options["options"]["awslogs-group"] == "/ecs/shop-prod"
    assert options["options"]["awslogs-region"] == REGION
    assert options["options"]["awslogs-stream-prefix"] == "ecs"
    group = recording.one(LOG_GROUP)
    assert group.inputs["name"] == "/ecs/shop-prod"
    assert group.inputs["retentionInDays"] == 365
    assert (group.protect, group.retain_on_delete) == (True, True)


def test_secrets_are_injected_by_reference_never_as_plain_environment(
    run_component: Runner,
) -> None:
    app = container(service(run_component))
    assert app["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": DB_SECRET},
        {"name": "STRIPE_KEY", "valueFrom": f"{API_SECRET}:key::"},
    ]
    assert app["environment"] == [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "NODE_ENV", "value": "production"},
    ]
    plain = json.dumps(app["environment"])
    assert "secretsmanager" not in plain
    assert not {e["name"] for e in app["environment"]} & {s["name"] for s in app["secrets"]}


# --------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------


def test_execution_role_is_scoped_exactly_in_ecr_mode(run_component: Runner) -> None:
    recording = service(run_component)
    document = policy_of(recording, "web-execution-policy")
    assert_valid_permission_policy(document)
    log_group_arn = f"arn:aws:logs:{ARN}:log-group:/ecs/shop-prod"
    assert document["Statement"] == [
        {
            "Sid": "WriteServiceLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        },
        {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": "*",
        },
        {
            "Sid": "EcrPull",
            "Effect": "Allow",
            "Action": sorted(PULL_ACTIONS),
            "Resource": [REPOSITORY_ARN],
        },
        {
            "Sid": "PullGuardDutyAgent",
            "Effect": "Allow",
            "Action": sorted(PULL_ACTIONS),
            "Resource": [f"arn:aws:ecr:{REGION}:*:repository/aws-guardduty-agent-fargate"],
        },
        {
            "Sid": "ReadTaskSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            # The JSON-key suffix of STRIPE_KEY's valueFrom is not part of the secret's ARN.
            "Resource": [DB_SECRET, API_SECRET],
        },
        {
            "Sid": "DecryptTaskSecrets",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [SECRET_KEY],
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
            },
        },
    ]
    assert policy_role(recording, "web-execution-policy").name == "web-execution-role"


def policy_role(recording: Recording, policy: str) -> RecordedResource:
    role_name = recording.one(ROLE_POLICY, policy).inputs["role"]
    (role,) = [r for r in recording.of_type(ROLE) if role_name.startswith(r.name)]
    return role


def test_execution_role_in_ghcr_mode_reads_the_credentials_secret_instead_of_ecr(
    run_component: Runner,
) -> None:
    recording = service(
        run_component,
        repository_arn=None,
        repository_credentials_secret_arn=GHCR_SECRET,
        secrets={},
        secret_kms_key_arns=(),
        guardduty_runtime_monitoring=False,
    )
    document = policy_of(recording, "web-execution-policy")
    assert_valid_permission_policy(document)
    sids = [s["Sid"] for s in document["Statement"]]
    assert sids == ["WriteServiceLogs", "ReadTaskSecrets"]
    assert document["Statement"][1]["Resource"] == [GHCR_SECRET]
    assert not any(a.startswith("ecr:") for s in document["Statement"] for a in s["Action"])
    assert container(recording)["repositoryCredentials"] == {"credentialsParameter": GHCR_SECRET}


def test_the_execution_role_may_pull_guardduty_s_agent_and_nothing_else_of_it(
    run_component: Runner,
) -> None:
    """GuardDuty Runtime Monitoring adds its agent to every Fargate task of the account; the
    task's execution role pulls it from GuardDuty's ``aws-guardduty-agent-fargate`` repository
    (GuardDuty User Guide, "Prerequisites for container image access")."""
    document = policy_of(service(run_component), "web-execution-policy")
    assert_valid_permission_policy(document)
    statements = {s["Sid"]: s for s in document["Statement"]}
    pull = statements["PullGuardDutyAgent"]
    assert sorted(pull["Action"]) == sorted(PULL_ACTIONS)
    assert pull["Resource"] == [f"arn:aws:ecr:{REGION}:*:repository/aws-guardduty-agent-fargate"]
    assert statements["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    off = policy_of(
        service(run_component, guardduty_runtime_monitoring=False), "web-execution-policy"
    )
    assert "PullGuardDutyAgent" not in {s["Sid"] for s in off["Statement"]}


def test_both_roles_trust_only_ecs_tasks_of_this_account(run_component: Runner) -> None:
    recording = service(run_component)
    roles = {r.name: r for r in recording.of_type(ROLE)}
    assert set(roles) == {"web-execution-role", "web-task-role"}
    conditions = {}
    for name, role in roles.items():
        trust = role.json_input("assumeRolePolicy")
        assert_valid_trust_policy(trust)
        (statement,) = trust["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        conditions[name] = statement["Condition"]
        assert "managedPolicyArns" not in role.inputs
    assert conditions["web-execution-role"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert conditions["web-task-role"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{ARN}:*"},
    }
    assert recording.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


def test_task_role_is_empty_unless_ecs_exec_is_enabled(run_component: Runner) -> None:
    default = service(run_component)
    assert [p.name for p in default.of_type(ROLE_POLICY)] == ["web-execution-policy"]
    assert default.one(SERVICE).inputs["enableExecuteCommand"] is False
    with_exec = service(run_component, enable_execute_command=True)
    document = policy_of(with_exec, "web-task-execute-command")
    assert_valid_permission_policy(document)
    assert document["Statement"][0]["Action"] == sorted(EXECUTE_COMMAND_ACTIONS)
    assert policy_role(with_exec, "web-task-execute-command").name == "web-task-role"
    assert with_exec.one(SERVICE).inputs["enableExecuteCommand"] is True
    # ECS Exec's agent gets writable volumes; the root filesystem stays read-only.
    app = container(with_exec)
    assert app["readonlyRootFilesystem"] is True
    assert [(m["sourceVolume"], m["containerPath"]) for m in app["mountPoints"]] == [
        ("tmp", "/tmp"),
        ("ssm-agent-lib", "/var/lib/amazon"),
        ("ssm-agent-log", "/var/log/amazon"),
    ]
    assert with_exec.one(TASK_DEFINITION).inputs["volumes"] == [
        {"name": "tmp"},
        {"name": "ssm-agent-lib"},
        {"name": "ssm-agent-log"},
    ]


def test_no_permission_document_allows_every_action_or_passrole(run_component: Runner) -> None:
    recording = service(run_component, enable_execute_command=True)
    for policy in recording.of_type(ROLE_POLICY):
        for statement in policy.json_input("policy")["Statement"]:
            assert "*" not in statement["Action"]
            assert not any(a.startswith("iam:") for a in statement["Action"])


# --------------------------------------------------------------------------------------------
# Load balancer and security groups
# --------------------------------------------------------------------------------------------


def test_https_listener_and_http_redirect(run_component: Runner) -> None:
    recording = service(run_component)
    listeners = {r.name: r.inputs for r in recording.of_type(LISTENER)}
    assert set(listeners) == {"web-https", "web-http"}
    https = listeners["web-https"]
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["sslPolicy"] == TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificateArn"] == CERTIFICATE
    (forward,) = https["defaultActions"]
    assert forward["type"] == "forward"
    assert forward["targetGroupArn"].startswith(f"arn:aws:elasticloadbalancing:{ARN}:targetgroup/")
    (redirect,) = listeners["web-http"]["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert recording.warnings == []
    assert recording.outputs["url"].startswith("https://")


PLAIN_HTTP = override(ListenerOptions, certificate_arn=None, allow_plain_http=True)


def test_plain_http_only_when_allowed_and_then_with_a_warning(run_component: Runner) -> None:
    recording = service(run_component, **PLAIN_HTTP)
    (listener,) = recording.of_type(LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["type"] == "forward"
    assert any("serves plain HTTP" in w for w in recording.warnings)
    assert recording.outputs["url"].startswith("http://")
    ports = {(r.inputs["fromPort"], r.inputs["toPort"]) for r in recording.of_type(INGRESS)}
    assert ports == {(80, 80), (3000, 3000)}


def test_missing_certificate_is_refused(run_component: Runner) -> None:
    with pytest.raises(ConfigError) as caught:
        run_component(program_with(ListenerOptions, certificate_arn=None))
    assert "ListenerOptions.certificate_arn: got None" in str(caught.value)
    assert "allow_plain_http=True" in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_domain_name_makes_the_url(run_component: Runner) -> None:
    recording = service(run_component, **override(ListenerOptions, domain_name="shop.example.com"))
    assert recording.outputs["url"] == "https://shop.example.com"


@pytest.mark.parametrize("protection", [True, False])
def test_load_balancer_settings(run_component: Runner, protection: bool) -> None:
    recording = service(run_component, deletion_protection=protection)
    lb = recording.one(LOAD_BALANCER).inputs
    assert lb["enableDeletionProtection"] is protection
    assert lb["loadBalancerType"] == "application"
    assert lb["internal"] is False
    assert lb["dropInvalidHeaderFields"] is True
    assert lb["enableHttp2"] is True
    assert lb["subnets"] == PUBLIC_SUBNETS
    assert "idleTimeout" not in lb
    alb_sg = recording.one(SECURITY_GROUP, "web-alb-sg")
    assert lb["securityGroups"] == [recording.outputs["alb_sg"]]
    assert alb_sg.inputs["vpcId"] == VPC_ID


def test_target_group_checks_the_health_path(run_component: Runner) -> None:
    tg = service(run_component, deregistration_delay_seconds=10).one(TARGET_GROUP).inputs
    assert tg["targetType"] == "ip"
    assert (tg["port"], tg["protocol"]) == (3000, "HTTP")
    assert tg["deregistrationDelay"] == 10
    assert tg["healthCheck"]["path"] == "/health"
    assert tg["healthCheck"]["matcher"] == "200-399"
    assert tg["healthCheck"]["port"] == "traffic-port"
    assert tg["vpcId"] == VPC_ID


def test_only_the_alb_is_open_to_the_world(run_component: Runner) -> None:
    recording = service(run_component)
    alb_sg, service_sg = recording.outputs["alb_sg"], recording.outputs["service_sg"]
    for group in recording.of_type(SECURITY_GROUP):
        assert "ingress" not in group.inputs
        assert "egress" not in group.inputs
        assert group.inputs["revokeRulesOnDelete"] is True
    world = [r for r in recording.of_type(INGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"]
    assert sorted((r.inputs["securityGroupId"], r.inputs["fromPort"]) for r in world) == [
        (alb_sg, 80),
        (alb_sg, 443),
    ]
    assert all(r.inputs["toPort"] == r.inputs["fromPort"] for r in world)
    (service_in,) = [
        r for r in recording.of_type(INGRESS) if r.inputs["securityGroupId"] == service_sg
    ]
    assert service_in.inputs["referencedSecurityGroupId"] == alb_sg
    assert (service_in.inputs["fromPort"], service_in.inputs["toPort"]) == (3000, 3000)
    assert "cidrIpv4" not in service_in.inputs
    egress = {r.inputs["securityGroupId"]: r.inputs for r in recording.of_type(EGRESS)}
    assert egress[alb_sg]["referencedSecurityGroupId"] == service_sg
    assert (egress[alb_sg]["fromPort"], egress[alb_sg]["toPort"]) == (3000, 3000)
    assert egress[service_sg]["cidrIpv4"] == "0.0.0.0/0"
    assert (egress[service_sg]["fromPort"], egress[service_sg]["toPort"]) == (443, 443)
    assert all(r.inputs["ipProtocol"] == "tcp" for r in recording.of_type(INGRESS))


def test_ingress_cidrs_narrow_the_alb(run_component: Runner) -> None:
    cidrs = ("203.0.113.0/24", "198.51.100.0/24")
    recording = service(run_component, **override(ListenerOptions, ingress_cidrs=cidrs))
    rules = sorted(
        (r.inputs["cidrIpv4"], r.inputs["fromPort"])
        for r in recording.of_type(INGRESS)
        if "cidrIpv4" in r.inputs
    )
    assert rules == [
        ("198.51.100.0/24", 80),
        ("198.51.100.0/24", 443),
        ("203.0.113.0/24", 80),
        ("203.0.113.0/24", 443),
    ]


# --------------------------------------------------------------------------------------------
# Service
# --------------------------------------------------------------------------------------------


def _load_balancer_params(lb: dict[str, Any]) -> dict[str, Any]:
    params = {
        "targetGroupArn": lb["targetGroupArn"],
        "containerName": lb["containerName"],
        "containerPort": int(lb["containerPort"]),
    }
    if "advancedConfiguration" in lb:
        params["advancedConfiguration"] = dict(lb["advancedConfiguration"])
    return params


def _strategy_params(configuration: dict[str, Any]) -> dict[str, Any]:
    """Pulumi's ``deploymentConfiguration`` block as ECS takes it (the provider sends its
    minutes, strings in pulumi-aws 7.51.1, as integers and ``hookDetails`` as a document)."""
    params: dict[str, Any] = {"strategy": configuration["strategy"]}
    if "bakeTimeInMinutes" in configuration:
        params["bakeTimeInMinutes"] = int(configuration["bakeTimeInMinutes"])
    if "canaryConfiguration" in configuration:
        canary = configuration["canaryConfiguration"]
        params["canaryConfiguration"] = {
            "canaryPercent": float(canary["canaryPercent"]),
            "canaryBakeTimeInMinutes": int(canary["canaryBakeTimeInMinutes"]),
        }
    if "linearConfiguration" in configuration:
        linear = configuration["linearConfiguration"]
        params["linearConfiguration"] = {
            "stepPercent": float(linear["stepPercent"]),
            "stepBakeTimeInMinutes": int(linear["stepBakeTimeInMinutes"]),
        }
    if "lifecycleHooks" in configuration:
        params["lifecycleHooks"] = [
            {
                "hookTargetArn": hook["hookTargetArn"],
                "roleArn": hook["roleArn"],
                "lifecycleStages": hook["lifecycleStages"],
                **(
                    {"hookDetails": json.loads(hook["hookDetails"])}
                    if "hookDetails" in hook
                    else {}
                ),
                **(
                    {
                        "timeoutConfiguration": {
                            "timeoutInMinutes": int(
                                hook["timeoutConfiguration"]["timeoutInMinutes"]
                            ),
                            "action": hook["timeoutConfiguration"]["action"],
                        }
                    }
                    if "timeoutConfiguration" in hook
                    else {}
                ),
            }
            for hook in configuration["lifecycleHooks"]
        ]
    return params


def update_service_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the provider sends to UpdateService when every updatable field changes."""
    created = create_service_params(inputs)
    return {
        "cluster": created["cluster"],
        "service": created["serviceName"],
        **{
            key: created[key]
            for key in (
                "taskDefinition",
                "desiredCount",
                "capacityProviderStrategy",
                "platformVersion",
                "healthCheckGracePeriodSeconds",
                "deploymentConfiguration",
                "networkConfiguration",
                "loadBalancers",
                "enableECSManagedTags",
                "propagateTags",
                "enableExecuteCommand",
            )
            if key in created
        },
    }


def create_service_params(inputs: dict[str, Any]) -> dict[str, Any]:
    network = inputs["networkConfiguration"]
    params: dict[str, Any] = {
        "cluster": inputs["cluster"],
        "serviceName": inputs["name"],
        "taskDefinition": inputs["taskDefinition"],
        "loadBalancers": [_load_balancer_params(lb) for lb in inputs["loadBalancers"]],
        "desiredCount": int(inputs["desiredCount"]),
        "platformVersion": inputs["platformVersion"],
        "schedulingStrategy": inputs["schedulingStrategy"],
        "healthCheckGracePeriodSeconds": int(inputs["healthCheckGracePeriodSeconds"]),
        "deploymentController": inputs["deploymentController"],
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": inputs["deploymentCircuitBreaker"],
            "maximumPercent": int(inputs["deploymentMaximumPercent"]),
            "minimumHealthyPercent": int(inputs["deploymentMinimumHealthyPercent"]),
        },
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": network["subnets"],
                "securityGroups": network["securityGroups"],
                "assignPublicIp": "ENABLED" if network["assignPublicIp"] else "DISABLED",
            }
        },
        "enableECSManagedTags": inputs["enableEcsManagedTags"],
        "propagateTags": inputs["propagateTags"],
        "enableExecuteCommand": inputs["enableExecuteCommand"],
        "tags": [{"key": k, "value": v} for k, v in inputs["tags"].items()],
    }
    if "launchType" in inputs:
        params["launchType"] = inputs["launchType"]
    if "capacityProviderStrategies" in inputs:
        params["capacityProviderStrategy"] = [
            {k: int(v) if isinstance(v, float) else v for k, v in item.items()}
            for item in inputs["capacityProviderStrategies"]
        ]
    if "alarms" in inputs:
        params["deploymentConfiguration"]["alarms"] = inputs["alarms"]
    if "deploymentConfiguration" in inputs:
        params["deploymentConfiguration"].update(
            _strategy_params(inputs["deploymentConfiguration"])
        )
    return params


def test_service_request_matches_the_ecs_api_model(run_component: Runner) -> None:
    recording = service(run_component)
    inputs = recording.one(SERVICE).inputs
    params = create_service_params(inputs)
    model = service_model("ecs")
    botocore.validate.validate_parameters(
        params, model.operation_model("CreateService").input_shape
    )
    botocore.validate.validate_parameters(
        update_service_params(inputs), model.operation_model("UpdateService").input_shape
    )
    assert params["deploymentConfiguration"]["strategy"] == "ROLLING"
    assert params["serviceName"] == "shop-prod"
    assert params["cluster"] == CLUSTER_ARN
    assert params["launchType"] == "FARGATE"
    assert params["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": PRIVATE_SUBNETS,
        "securityGroups": [recording.outputs["service_sg"]],
        "assignPublicIp": "DISABLED",
    }
    assert inputs["networkConfiguration"]["assignPublicIp"] is False
    assert params["loadBalancers"][0]["containerName"] == "app"
    assert params["loadBalancers"][0]["containerPort"] == 3000
    assert inputs["propagateTags"] == "SERVICE"
    assert inputs["enableEcsManagedTags"] is True
    assert inputs["waitForSteadyState"] is False
    assert inputs["forceNewDeployment"] is False
    assert inputs["healthCheckGracePeriodSeconds"] == 60


def test_service_waits_for_its_listeners_and_execution_policy(run_component: Runner) -> None:
    recording = service(run_component)
    needed = {r.urn for r in recording.of_type(LISTENER)}
    needed.add(recording.one(ROLE_POLICY, "web-execution-policy").urn)
    assert len(needed) == 3
    assert needed <= set(recording.one(SERVICE).dependencies)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"rollback_alarms": None},
        override(AutoscalingOptions),
        PLAIN_HTTP,
    ],
)
def test_circuit_breaker_is_always_on(run_component: Runner, overrides: dict[str, Any]) -> None:
    inputs = service(run_component, **overrides).one(SERVICE).inputs
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_capacity_provider_strategy_replaces_the_launch_type(run_component: Runner) -> None:
    strategy = (
        {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
        {"capacity_provider": "FARGATE_SPOT", "weight": 3},
    )
    recording = service(
        run_component, **override(CapacityOptions, capacity_provider_strategy=strategy)
    )
    inputs = recording.one(SERVICE).inputs
    assert "launchType" not in inputs
    assert inputs["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]
    model = service_model("ecs")
    botocore.validate.validate_parameters(
        create_service_params(inputs), model.operation_model("CreateService").input_shape
    )


def test_alarm_rollback_creates_alarms_with_actions(run_component: Runner) -> None:
    recording = service(run_component, **override(RollbackAlarmOptions, target_5xx_threshold=25))
    alarms = {r.inputs["name"]: r for r in recording.of_type(ALARM)}
    assert set(alarms) == {"shop-prod-target-5xx", "shop-prod-unhealthy-hosts"}
    lb_suffix = recording.outputs["lb_arn_suffix"]
    tg_suffix = recording.outputs["target_group_arn_suffix"]
    for alarm in alarms.values():
        assert alarm.inputs["namespace"] == "AWS/ApplicationELB"
        assert alarm.inputs["dimensions"] == {"LoadBalancer": lb_suffix, "TargetGroup": tg_suffix}
        assert alarm.inputs["alarmActions"] == [TOPIC]
        assert alarm.inputs["okActions"] == [TOPIC]
        assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm.inputs["treatMissingData"] == "notBreaching"
    five = alarms["shop-prod-target-5xx"].inputs
    assert (five["metricName"], five["statistic"], five["threshold"]) == (
        "HTTPCode_Target_5XX_Count",
        "Sum",
        25,
    )
    hosts = alarms["shop-prod-unhealthy-hosts"].inputs
    assert (hosts["metricName"], hosts["statistic"], hosts["threshold"]) == (
        "UnHealthyHostCount",
        "Maximum",
        0,
    )
    assert recording.one(SERVICE).inputs["alarms"] == {
        "alarmNames": ["shop-prod-target-5xx", "shop-prod-unhealthy-hosts"],
        "enable": True,
        "rollback": True,
    }
    assert recording.outputs["alarm_names"] == [
        "shop-prod-target-5xx",
        "shop-prod-unhealthy-hosts",
    ]
    # Keyed like ServiceMonitoring's alarms on the same metrics.
    assert recording.outputs["rollback_alarm_keys"] == [TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM]
    assert recording.outputs["rollback_alarm_arns"] == {
        TARGET_5XX_ALARM: f"arn:aws:cloudwatch:{ARN}:alarm:shop-prod-target-5xx",
        UNHEALTHY_HOSTS_ALARM: f"arn:aws:cloudwatch:{ARN}:alarm:shop-prod-unhealthy-hosts",
    }


def test_no_alarms_without_alarm_rollback(run_component: Runner) -> None:
    recording = service(run_component, rollback_alarms=None)
    assert recording.of_type(ALARM) == []
    assert "alarms" not in recording.one(SERVICE).inputs
    assert recording.outputs["alarm_names"] == []
    assert recording.outputs["rollback_alarm_keys"] == []
    assert recording.outputs["rollback_alarm_arns"] == {}


@pytest.mark.parametrize("rollback", [True, False])
def test_with_service_monitoring_each_metric_has_one_alarm(
    run_component: Runner, rollback: bool
) -> None:
    def program() -> dict[str, Any]:
        web = FargateService(
            "web",
            FargateServiceArgs(
                **{**BASE, "rollback_alarms": BASE["rollback_alarms"] if rollback else None}
            ),
        )
        monitoring = ServiceMonitoring(
            "mon",
            ServiceMonitoringArgs(
                name_prefix="shop-prod",
                cluster_name="shop-prod",
                service_name=web.service_name,
                lb_arn_suffix=web.lb_arn_suffix,
                target_group_arn_suffix=web.target_group_arn_suffix,
                alarm_actions=[TOPIC],
                existing_alarms={k: web.rollback_alarm_arns[k] for k in web.rollback_alarm_keys},
            ),
        )
        return {"alarm_arns": monitoring.alarm_arns, "rollback": web.rollback_alarm_arns}

    recording = run_component(program)
    alarms = recording.of_type(ALARM)
    watched = [
        (
            a.inputs.get("namespace"),
            a.inputs.get("metricName"),
            json.dumps(a.inputs.get("dimensions"), sort_keys=True),
            a.inputs.get("statistic") or a.inputs.get("extendedStatistic"),
        )
        for a in alarms
    ]
    # Every alarm watches one metric (the running-tasks alarm too: the tasks running against
    # the service's floor), and no two watch the same one.
    assert len(watched) == len(set(watched)) == 7
    rollback_arns = recording.outputs["rollback"]
    assert bool(rollback_arns) is rollback
    assert {a.parent_name for a in alarms} == ({"web", "mon"} if rollback else {"mon"})
    # Every alarm that pages is in the monitoring's alarm_arns, the rollback ones included.
    assert rollback_arns.items() <= recording.outputs["alarm_arns"].items()
    assert len(recording.outputs["alarm_arns"]) == len(alarms) == 7


def test_rollback_and_operational_alarms_of_a_key_watch_one_metric(run_component: Runner) -> None:
    """The metric of each rollback key is defined once (slipway.rollback_alarms): the
    service's rollback alarm and ServiceMonitoring's alarm of the same key watch the same
    namespace, metric, statistic and dimensions."""

    def program() -> dict[str, Any]:
        web = FargateService("web", FargateServiceArgs(**BASE))
        ServiceMonitoring(
            "mon",
            ServiceMonitoringArgs(
                name_prefix="shop-prod",
                cluster_name="shop-prod",
                service_name=web.service_name,
                lb_arn_suffix=web.lb_arn_suffix,
                target_group_arn_suffix=web.target_group_arn_suffix,
                alarm_actions=[TOPIC],
            ),
        )
        return {}

    alarms = run_component(program).of_type(ALARM)
    fields = ("namespace", "metricName", "statistic", "dimensions")
    for key in ROLLBACK_METRICS:
        rollback = [a.inputs for a in alarms if a.name == f"web-{key}"]
        operational = [a.inputs for a in alarms if a.name == f"mon-{key}"]
        assert len(rollback) == len(operational) == 1, key
        assert [rollback[0][f] for f in fields] == [operational[0][f] for f in fields], key


def test_autoscaling_owns_the_desired_count(run_component: Runner) -> None:
    recording = service(
        run_component,
        **override(
            AutoscalingOptions, min_count=2, max_count=8, cpu_target=50, requests_per_target=500
        ),
        **override(CapacityOptions, desired_count=3),
    )
    svc = recording.one(SERVICE)
    assert svc.ignore_changes == ("desiredCount",)
    assert svc.inputs["desiredCount"] == 3
    target = recording.one(SCALING_TARGET).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 8)
    assert target["resourceId"] == "service/shop-prod/shop-prod"
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    assert target["serviceNamespace"] == "ecs"
    policies = {p.name: p.inputs for p in recording.of_type(SCALING_POLICY)}
    assert set(policies) == {"web-scale-cpu", "web-scale-requests"}
    for policy in policies.values():
        assert policy["policyType"] == "TargetTrackingScaling"
        assert policy["resourceId"] == "service/shop-prod/shop-prod"
    cpu = policies["web-scale-cpu"]["targetTrackingScalingPolicyConfiguration"]
    assert cpu["targetValue"] == 50
    assert cpu["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    requests = policies["web-scale-requests"]["targetTrackingScalingPolicyConfiguration"]
    assert requests["targetValue"] == 500
    label = recording.outputs["lb_arn_suffix"] + "/" + recording.outputs["target_group_arn_suffix"]
    assert requests["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": label,
    }
    assert label.startswith("app/")
    assert "/targetgroup/" in label


def test_without_autoscaling_pulumi_owns_the_desired_count(run_component: Runner) -> None:
    recording = service(run_component, **override(CapacityOptions, desired_count=1))
    svc = recording.one(SERVICE)
    assert svc.ignore_changes == ()
    assert svc.inputs["desiredCount"] == 1
    assert recording.of_type(SCALING_TARGET) == []
    assert recording.of_type(SCALING_POLICY) == []


# --------------------------------------------------------------------------------------------
# Image channel, both directions
# --------------------------------------------------------------------------------------------


def current_shape(run: Runner, **overrides: Any) -> str:
    return service(run, **overrides).one(TASK_DEFINITION).inputs["tags"][SHAPE_TAG]  # type: ignore[no-any-return]


def records(shape_deployed: str, shape_registered: str) -> dict[str, str]:
    return {
        f"{PREFIX}/deployed": json.dumps(
            {"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": shape_deployed}
        ),
        f"{PREFIX}/registered": json.dumps({"shape": shape_registered, "image": OLD_IMAGE}),
    }


def test_first_run_bootstraps_and_registers(run_component: Runner) -> None:
    recording = service(run_component)
    td = recording.one(TASK_DEFINITION)
    shape = td.inputs["tags"][SHAPE_TAG]
    assert len(shape) == 64
    assert td.inputs["tags"]["slipway:app"] == "shop"
    assert container(recording)["image"] == BOOTSTRAP
    assert recording.one(SERVICE).inputs["taskDefinition"] == PULUMI_TD
    registered = recording.one(PARAMETER, "web-image-registered")
    assert json.loads(registered.inputs["value"]) == {
        "shape": shape,
        "image": BOOTSTRAP,
        "containerPort": 3000,  # FargateServiceArgs.container_port default
    }
    deployed = recording.one(PARAMETER, "web-image-deployed")
    assert deployed.inputs["name"] == f"{PREFIX}/deployed"
    assert deployed.ignore_changes == ("value",)
    assert recording.outputs["channel_parameter"] == f"{PREFIX}/deployed"


def test_ci_deploy_is_neither_rolled_back_nor_redeployed(run_component: Runner) -> None:
    shape = current_shape(run_component)
    recording = service(run_component, ssm_parameters=records(shape, shape))
    # Pulumi's task definition is unchanged (same shape, same image as before): no new revision.
    assert container(recording)["image"] == OLD_IMAGE
    assert recording.one(TASK_DEFINITION).inputs["tags"][SHAPE_TAG] == shape
    # The service stays on CI's revision: no rollback, no new deployment.
    assert recording.one(SERVICE).inputs["taskDefinition"] == CI_TD
    registered = recording.one(PARAMETER, "web-image-registered")
    assert json.loads(registered.inputs["value"]) == {
        "shape": shape,
        "image": OLD_IMAGE,
        "containerPort": 3000,  # FargateServiceArgs.container_port default
    }
    assert recording.warnings == []


def test_shape_change_rolls_out_with_cis_image(run_component: Runner) -> None:
    old_shape = current_shape(run_component)
    recording = service(
        run_component,
        ssm_parameters=records(old_shape, old_shape),
        **override(CapacityOptions, cpu=512, memory=1024),
    )
    new_shape = recording.one(TASK_DEFINITION).inputs["tags"][SHAPE_TAG]
    assert new_shape != old_shape
    assert container(recording)["image"] == CI_IMAGE
    assert recording.one(SERVICE).inputs["taskDefinition"] == PULUMI_TD
    registered = recording.one(PARAMETER, "web-image-registered")
    assert json.loads(registered.inputs["value"]) == {
        "shape": new_shape,
        "image": CI_IMAGE,
        "containerPort": 3000,  # FargateServiceArgs.container_port default
    }


def test_an_environment_change_is_a_shape_change(run_component: Runner) -> None:
    assert current_shape(run_component) != current_shape(
        run_component, environment={"NODE_ENV": "production", "LOG_LEVEL": "debug"}
    )


@pytest.mark.parametrize("broken", ["deployed", "registered"])
def test_malformed_channel_warns_and_falls_back(run_component: Runner, broken: str) -> None:
    shape = current_shape(run_component)
    live = records(shape, shape)
    live[f"{PREFIX}/{broken}"] = '{"image": '
    recording = service(run_component, ssm_parameters=live)
    (warning,) = recording.warnings
    assert f"{PREFIX}/{broken} is malformed" in warning
    if broken == "deployed":
        # Registered still matches: Pulumi's image is kept; without CI's record, Pulumi's revision.
        assert container(recording)["image"] == OLD_IMAGE
        assert recording.one(SERVICE).inputs["taskDefinition"] == PULUMI_TD
    else:
        assert container(recording)["image"] == CI_IMAGE
        assert recording.one(SERVICE).inputs["taskDefinition"] == CI_TD


# --------------------------------------------------------------------------------------------
# Shape of the component
# --------------------------------------------------------------------------------------------


def test_every_child_is_parented_named_and_tagged(run_component: Runner) -> None:
    recording = service(run_component)
    # The bucket's settings are sub-resources of the bucket, which carries the tags.
    untaggable = {
        ROLE_POLICY,
        SCALING_POLICY,
        "slipway:index:ImageChannel",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
    }
    for resource in recording.resources:
        if resource.type == "slipway:index:FargateService":
            assert resource.parent_type == "pulumi:pulumi:Stack"
            continue
        assert resource.name.startswith("web-"), resource.name
        assert resource.parent_type in (
            "slipway:index:FargateService",
            "slipway:index:ImageChannel",
        ), resource.name
        if resource.type not in untaggable:
            assert resource.inputs.get("tags", {}).get("slipway:app") == "shop", resource.name


def test_protect_covers_the_log_group_and_the_deployed_record_only(run_component: Runner) -> None:
    """And the access logs' bucket, which a service has unless told otherwise."""
    recording = service(run_component, protect=True)
    protected = {r.name for r in recording.resources if r.protect}
    retained = {r.name for r in recording.resources if r.retain_on_delete}
    assert protected == retained == {"web-logs", "web-image-deployed", "web-access-logs"}
    assert not any(r.protect for r in service(run_component).resources)


def test_outputs(run_component: Runner) -> None:
    outputs = service(run_component).outputs
    assert outputs["service_name"] == "shop-prod"
    assert outputs["service_arn"] == f"arn:aws:ecs:{ARN}:service/shop-prod/shop-prod"
    assert outputs["task_family"] == "shop-prod"
    assert outputs["container_name"] == "app"
    assert outputs["task_definition_arn"] == PULUMI_TD
    assert outputs["log_group_name"] == "/ecs/shop-prod"
    assert outputs["task_role_arn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/web-task-role")
    assert outputs["execution_role_name"].startswith("web-execution-role")


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        (256, 4096, "CapacityOptions.memory: got 4096; with CapacityOptions.cpu 256 "
         "Fargate allows memory (MiB) 512, 1024, 2048"),
        (1024, 1024, "CapacityOptions.memory: got 1024; with CapacityOptions.cpu 1024 "
         "Fargate allows memory (MiB) 2048, 3072, 4096, 5120, 6144, 7168, 8192"),
        (3000, 8192, "CapacityOptions.cpu: got 3000; Fargate allows CPU units 256, 512, "
         "1024, 2048, 4096, 8192, 16384"),
        (8192, 20000, "with CapacityOptions.cpu 8192 Fargate allows memory (MiB) 16384, "
         "20480, 24576"),
        (16384, 32769, "with CapacityOptions.cpu 16384 Fargate allows memory (MiB) 32768, "
         "40960"),
    ],
)  # fmt: skip
def test_fargate_sizes_are_validated(
    run_component: Runner, cpu: int, memory: int, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        run_component(program_with(CapacityOptions, cpu=cpu, memory=memory))
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_every_fargate_size_is_accepted() -> None:
    for cpu, memories in FARGATE_MEMORY.items():
        for memory in memories:
            CapacityOptions(cpu=cpu, memory=memory)
    assert FARGATE_MEMORY[4096][-1] == 30720
    assert FARGATE_MEMORY[16384] == tuple(range(32768, 122881, 8192))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"service_name": "shop prod"}, "FargateServiceArgs.service_name: got 'shop prod'"),
        ({"image_channel_prefix": "image-channel"}, "FargateServiceArgs.image_channel_prefix"),
        ({"bootstrap_image": "nginx"}, "FargateServiceArgs.bootstrap_image: got 'nginx'"),
        ({"repository_arn": None}, "exactly one of repository_arn"),
        ({"repository_credentials_secret_arn": GHCR_SECRET}, "exactly one of repository_arn"),
        ({"repository_arn": "shop/prod"}, "an ECR repository ARN"),
        ({"container_port": 80}, "FargateServiceArgs.container_port: got 80; 1024 to 65535"),
        ({"user": "root"}, "FargateServiceArgs.user: got 'root'"),
        ({"user": "0"}, "never 0 or root"),
        ({"user": "1000:0"}, "FargateServiceArgs.user: got '1000:0'"),
        ({"health_check_path": "health"}, "FargateServiceArgs.health_check_path"),
        ({"health_check_command": ("curl", "x")}, "'CMD' or 'CMD-SHELL'"),
        ({"environment": {"1BAD": "x"}}, "FargateServiceArgs.environment: got ['1BAD']"),
        ({"environment": {"DB_PASSWORD": "hunter2"}}, "no secret-looking names"),
        ({"environment": {"GITHUB_TOKEN": "x"}}, "pass them through secrets"),
        ({"environment": {"DATABASE_URL": "x"}}, "a secret must never have a plain twin"),
        ({"secrets": {"DB": "plain-value"}}, "Secrets Manager secret ARNs as values"),
        ({"secrets": {"bad-name": DB_SECRET}}, "FargateServiceArgs.secrets: got ['bad-name']"),
        ({"secret_kms_key_arns": ("alias/x",)}, "FargateServiceArgs.secret_kms_key_arns"),
        ({"deregistration_delay_seconds": 4000}, "deregistration_delay_seconds: got 4000"),
        ({"health_check_grace_period_seconds": -1}, "health_check_grace_period_seconds"),
        (
            {
                **override(AutoscalingOptions, min_count=3, max_count=5),
                **override(CapacityOptions, desired_count=2),
            },
            "CapacityOptions.desired_count: got 2; a count from AutoscalingOptions.min_count "
            "(3) to AutoscalingOptions.max_count (5)",
        ),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        service(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "fields", "message"),
    [
        (PlacementOptions, {"cluster_name": ""}, "PlacementOptions.cluster_name: got ''"),
        (PlacementOptions, {"vpc_id": "vpc-xyz"}, "PlacementOptions.vpc_id: got 'vpc-xyz'"),
        (
            PlacementOptions,
            {"public_subnet_ids": ["subnet-0a000000000000001"]},
            "PlacementOptions.public_subnet_ids: got ['subnet-0a000000000000001']; two or more",
        ),
        (
            PlacementOptions,
            {"private_subnet_ids": []},
            "PlacementOptions.private_subnet_ids: got []",
        ),
        (
            ListenerOptions,
            {"certificate_arn": "cert"},
            "ListenerOptions.certificate_arn: got 'cert'",
        ),
        (
            ListenerOptions,
            {"domain_name": "Shop.Example.com"},
            "ListenerOptions.domain_name: got 'Shop.Example.com'; a lower-case DNS name",
        ),
        (ListenerOptions, {"ingress_cidrs": ()}, "ListenerOptions.ingress_cidrs: got []"),
        (
            ListenerOptions,
            {"ingress_cidrs": ("10.0.0.1/8",)},
            "ListenerOptions.ingress_cidrs: got ['10.0.0.1/8']; one or more IPv4 networks",
        ),
        (
            LoggingOptions,
            {"retention_days": 10},
            "LoggingOptions.retention_days: got 10; one of CloudWatch's values",
        ),
        (
            LoggingOptions,
            {"kms_key_arn": "alias/logs"},
            "LoggingOptions.kms_key_arn: got 'alias/logs'; a KMS key ARN",
        ),
        (
            CapacityOptions,
            {"cpu_architecture": "arm64"},
            "CapacityOptions.cpu_architecture: got 'arm64'; X86_64 or ARM64",
        ),
        (
            CapacityOptions,
            {"desired_count": 101},
            "CapacityOptions.desired_count: got 101; 0 to 100",
        ),
        (
            CapacityOptions,
            {"capacity_provider_strategy": ({"capacity_provider": "EC2", "weight": 1},)},
            "CapacityOptions.capacity_provider_strategy: got [{'capacity_provider': 'EC2'",
        ),
        (
            CapacityOptions,
            {"capacity_provider_strategy": ({"capacity_provider": "FARGATE", "weight": 0},)},
            "some weight above 0",
        ),
        (
            AutoscalingOptions,
            {"min_count": 6, "max_count": 5},
            "AutoscalingOptions.min_count: got 6; at most AutoscalingOptions.max_count (5)",
        ),
        (AutoscalingOptions, {"max_count": 101}, "AutoscalingOptions.max_count: got 101; 1 to 100"),
        (AutoscalingOptions, {"min_count": 0}, "AutoscalingOptions.min_count: got 0; 1 to 100"),
        (AutoscalingOptions, {"cpu_target": 95}, "AutoscalingOptions.cpu_target: got 95; 10 to 90"),
        (
            AutoscalingOptions,
            {"requests_per_target": 0},
            "AutoscalingOptions.requests_per_target: got 0; 1 to 1000000",
        ),
        (
            RollbackAlarmOptions,
            {"alarm_actions": ("topic",)},
            "RollbackAlarmOptions.alarm_actions: got ['topic']; SNS topic ARNs",
        ),
        (
            RollbackAlarmOptions,
            {"target_5xx_threshold": 0},
            "RollbackAlarmOptions.target_5xx_threshold: got 0; 1 to 100000",
        ),
    ],
)
def test_each_options_class_refuses_a_bad_value_naming_the_field(
    run_component: Runner, options: type, fields: dict[str, Any], message: str
) -> None:
    """Each group validates its own fields when it is made, naming ``<Class>.<field>``, the
    value and what is allowed; made inside a program, it fails before anything registers."""
    with pytest.raises(ConfigError) as caught:
        grouped(options, **fields)
    assert message in str(caught.value)
    with pytest.raises(ConfigError) as in_program:
        run_component(program_with(options, **fields))
    assert in_program.value.problems == caught.value.problems
    assert in_program.value.recording.resources == []  # type: ignore[attr-defined]


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        FargateServiceArgs(**{**BASE, "container_port": 80, "user": "0", "service_name": "a b"})
    assert len(caught.value.problems) == 3
    with pytest.raises(ConfigError) as caught:
        CapacityOptions(cpu=256, memory=4096, cpu_architecture="arm64", desired_count=-1)
    assert len(caught.value.problems) == 3


# --------------------------------------------------------------------------------------------
# Egress beside HTTPS, start order, steady state
# --------------------------------------------------------------------------------------------

EGRESS_RULES = (
    EgressRule("tcp", 5432, 5432, "sg-0123abcd"),
    EgressRule("tcp", 6379, 6380, "10.20.0.0/16"),
    EgressRule("udp", 53, 53, "pl-0123456789abcdef0"),
)
"""One rule of each destination kind."""


def test_egress_rules_become_rules_of_the_service_group(run_component: Runner) -> None:
    recording = service(run_component, egress=EGRESS_RULES)
    service_sg = recording.outputs["service_sg"]
    extra = {
        r.name: r.inputs
        for r in recording.of_type(EGRESS)
        if r.name.startswith("web-service-out-") and r.name != "web-service-out-https"
    }
    assert sorted(extra) == [
        "web-service-out-tcp-5432-sg-0123abcd",
        "web-service-out-tcp-6379-6380-10.20.0.0-16",
        "web-service-out-udp-53-pl-0123456789abcdef0",
    ]
    database = extra["web-service-out-tcp-5432-sg-0123abcd"]
    assert database["referencedSecurityGroupId"] == "sg-0123abcd"
    cache = extra["web-service-out-tcp-6379-6380-10.20.0.0-16"]
    assert (cache["fromPort"], cache["toPort"], cache["cidrIpv4"]) == (6379, 6380, "10.20.0.0/16")
    dns = extra["web-service-out-udp-53-pl-0123456789abcdef0"]
    assert (dns["ipProtocol"], dns["prefixListId"]) == ("udp", "pl-0123456789abcdef0")
    model = service_model("ec2")
    shape = model.operation_model("AuthorizeSecurityGroupEgress").input_shape
    for inputs in extra.values():
        assert inputs["securityGroupId"] == service_sg
        peer: dict[str, Any] = {}
        if "referencedSecurityGroupId" in inputs:
            peer["UserIdGroupPairs"] = [{"GroupId": inputs["referencedSecurityGroupId"]}]
        if "cidrIpv4" in inputs:
            peer["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"]}]
        if "prefixListId" in inputs:
            peer["PrefixListIds"] = [{"PrefixListId": inputs["prefixListId"]}]
        assert len(peer) == 1
        permission = {
            "IpProtocol": inputs["ipProtocol"],
            "FromPort": int(inputs["fromPort"]),
            "ToPort": int(inputs["toPort"]),
        }
        botocore.validate.validate_parameters(
            {"GroupId": inputs["securityGroupId"], "IpPermissions": [{**permission, **peer}]},
            shape,
        )


def test_without_egress_rules_the_tasks_reach_only_https(run_component: Runner) -> None:
    recording = service(run_component)
    out = [r for r in recording.of_type(EGRESS) if r.name.startswith("web-service-out-")]
    assert [r.name for r in out] == ["web-service-out-https"]
    assert out[0].inputs["fromPort"] == 443


def test_service_starts_only_after_the_placements_way_out(run_component: Runner) -> None:
    """``PlacementOptions.egress_ready`` becomes the service's dependencies, nothing else's."""

    def program() -> dict[str, Any]:
        route = pulumi.CustomResource("aws:ec2/route:Route", "private-a-default", {})
        endpoint = pulumi.CustomResource("aws:ec2/vpcEndpoint:VpcEndpoint", "vpce-logs", {})
        placement = grouped(PlacementOptions, egress_ready=[route, endpoint])
        FargateService("web", FargateServiceArgs(**{**BASE, "placement": placement}))
        return {}

    recording = run_component(program)
    ready = {
        recording.one("aws:ec2/route:Route").urn,
        recording.one("aws:ec2/vpcEndpoint:VpcEndpoint").urn,
    }
    assert ready <= set(recording.one(SERVICE).dependencies)
    task_definition = recording.one(TASK_DEFINITION)
    assert not ready & set(task_definition.dependencies)


def test_the_first_up_never_waits_for_the_service(run_component: Runner) -> None:
    """Before CI has deployed (no record, or the one Pulumi creates with an empty
    taskDefinitionArn), the image may not exist and the secrets may be empty: waiting for the
    first deployment would fail the up (terraform-provider-aws service.go, waitServiceStable)."""
    assert (
        service(run_component, wait_for_steady_state=True).one(SERVICE).inputs["waitForSteadyState"]
        is False
    )
    bootstrap_record = {
        f"{PREFIX}/deployed": json.dumps({"image": BOOTSTRAP, "taskDefinitionArn": "", "shape": ""})
    }
    recording = service(run_component, bootstrap_record, wait_for_steady_state=True)
    assert recording.one(SERVICE).inputs["waitForSteadyState"] is False


@pytest.mark.parametrize("wait", [True, False])
def test_once_ci_has_deployed_the_service_waits_as_asked(run_component: Runner, wait: bool) -> None:
    shape = current_shape(run_component, wait_for_steady_state=wait)
    recording = service(run_component, records(shape, shape), wait_for_steady_state=wait)
    assert recording.one(SERVICE).inputs["waitForSteadyState"] is wait


@pytest.mark.parametrize(
    ("strategy", "minutes"),
    [
        (RollingStrategy(), 20),  # 5 to start + 10 margin, never under the provider's 20
        (CanaryStrategy(10, 10, 15), 40),  # prod: 5 + 10 + 15 + 10
        (LinearStrategy(25, 2, 5), 26),  # staging: 5 + 3 x 2 + 5 + 10
    ],
)
def test_the_service_timeouts_outlast_the_strategy(
    run_component: Runner, strategy: Any, minutes: int
) -> None:
    placement = grouped(PlacementOptions, vpc_cidr="10.20.0.0/16")
    svc = service(run_component, deployment_strategy=strategy, placement=placement).one(SERVICE)
    assert dict(svc.custom_timeouts) == {"create": f"{minutes}m", "update": f"{minutes}m"}
    timeline = strategy.timeline()
    assert minutes > timeline.complete_minutes + ROLLOUT_START_MINUTES


BAD_EGRESS: list[tuple[dict[str, Any], str]] = [
    (
        {"protocol": "icmp", "from_port": 0, "to_port": 0, "destination": "sg-0123abcd"},
        "protocol 'icmp' is not tcp or udp",
    ),
    (
        {"protocol": "tcp", "from_port": 0, "to_port": 0, "destination": "sg-0123abcd"},
        "ports 0-0 are not 1 to 65535",
    ),
    (
        {"protocol": "tcp", "from_port": 6380, "to_port": 6379, "destination": "sg-0123abcd"},
        "low to high",
    ),
    (
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "destination": "sg-xyz"},
        "'sg-xyz' is not a security group or prefix list ID",
    ),
    (
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "destination": "db.internal"},
        "destination 'db.internal' is not an ID or an IPv4 network",
    ),
]


@pytest.mark.parametrize(("fields", "reason"), BAD_EGRESS)
def test_a_bad_egress_rule_is_refused_when_made(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EgressRule(**fields)
    assert str(caught.value).startswith("EgressRule: got '")
    assert reason in str(caught.value)


def test_egress_outside_the_vpc_fails_before_anything_is_registered(
    run_component: Runner,
) -> None:
    placement = grouped(PlacementOptions, vpc_cidr="10.20.0.0/16")
    outside = (EgressRule("tcp", 5432, 5432, "10.30.0.0/24"),)
    with pytest.raises(ConfigError) as caught:
        service(run_component, placement=placement, egress=outside)
    assert caught.value.problems == [
        "FargateServiceArgs.egress: got 'tcp:5432:10.30.0.0/24'; a network inside the VPC "
        "(PlacementOptions.vpc_cidr 10.20.0.0/16); reach outside the VPC through a security "
        "group, a prefix list or HTTPS"
    ]
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
    inside = (EgressRule("tcp", 5432, 5432, "10.20.64.0/19"),)
    assert service(run_component, placement=placement, egress=inside).of_type(SERVICE)


def test_egress_rules_are_each_given_once() -> None:
    twice = (EGRESS_RULES[0], EgressRule("tcp", 5432, 5432, "sg-0123abcd"))
    with pytest.raises(ConfigError) as caught:
        FargateServiceArgs(**{**BASE, "egress": twice})
    assert caught.value.problems == [
        "FargateServiceArgs.egress: got ['tcp:5432:sg-0123abcd']; each rule once"
    ]
