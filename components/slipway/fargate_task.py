"""The task half of :class:`~slipway.fargate_service.FargateService`: its log group, its two
roles, the task definition and its image channel.

* A task definition (awsvpc, FARGATE) whose application container runs as a non-root user on
  a read-only root filesystem with a writable ``/tmp`` volume, drops every Linux capability,
  has an init process, a container health check and awslogs to its own log group. Secrets
  come from Secrets Manager through ``secrets`` (``valueFrom``), never as plain environment.
* An execution role that may read exactly the given secrets (and decrypt them through
  Secrets Manager with the given keys), write to the service's log group and pull from the
  given ECR repository, or read the given registry-credentials secret in GHCR mode. A task
  role, empty, for the application's own permissions.
* The image comes through an :class:`~slipway.image_channel.ImageChannel`: Pulumi owns
  the task definition's shape, CI the image it runs, and neither undoes the other.

:func:`build_task` registers these as children of the component it is given; it is a builder,
not a component of its own, so the service's resources keep their names and parent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from slipway.errors import Problems
from slipway.iam import allow, policy_document
from slipway.image_channel import (
    IMAGE_PLACEHOLDER,
    SHAPE_TAG,
    ImageChannel,
    ImageChannelArgs,
    shape_of,
)
from slipway.logs import log_group, retention_problems
from slipway.partition import regional_endpoint
from slipway.patterns import KMS_KEY_ARN
from slipway.registry import PULL_ACTIONS

if TYPE_CHECKING:
    from slipway.fargate_service import FargateServiceArgs

TMP_VOLUME = "tmp"
"""The task volume mounted writable at :data:`TMP_PATH` (the root filesystem is read-only)."""
TMP_PATH = "/tmp"  # noqa: S108 - a path inside the container, on its own task volume
EXECUTE_COMMAND_VOLUMES = (
    ("ssm-agent-lib", "/var/lib/amazon"),
    ("ssm-agent-log", "/var/log/amazon"),
)
"""Writable volumes ECS Exec's agent needs when the root filesystem is read-only."""
LOG_STREAM_PREFIX = "ecs"
TRUSTED_SERVICE = "ecs-tasks.amazonaws.com"
EXECUTE_COMMAND_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""What ECS Exec's agent in the task needs; these actions have no resource-level permissions."""
SECRET_ARN = re.compile(
    r"^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)"
    r"(?::[^:]*:[^:]*:[^:]*)?$"
)
"""A Secrets Manager secret ARN, optionally with ECS's ``:json-key:version-stage:version-id``."""
HEALTH_CHECK_START_PERIOD_MAX = 300
"""The most seconds ECS allows a container health check's ``startPeriod``."""


@dataclass(frozen=True)
class LoggingOptions:
    """The service's log group, ``/ecs/<service_name>``, which the container's awslogs
    driver writes to."""

    retention_days: int = 90
    """Retention of the log group; one of CloudWatch's values. Default: 90."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Key encrypting the log group (its policy must admit ``logs.<region>.amazonaws.com``).
    Default: CloudWatch's own encryption."""

    def __post_init__(self) -> None:
        problems = Problems("LoggingOptions")
        problems.extend(retention_problems(self.retention_days, problems.name("retention_days")))
        if isinstance(self.kms_key_arn, str):
            problems.check(
                bool(KMS_KEY_ARN.match(self.kms_key_arn)),
                "kms_key_arn",
                self.kms_key_arn,
                "a KMS key ARN",
            )
        problems.raise_any()


# --------------------------------------------------------------------------------------------
# Documents and definitions (plain data; ARNs may be Outputs inside IAM statements)
# --------------------------------------------------------------------------------------------


def node_health_check(port: int, path: str) -> tuple[str, ...]:
    """A container health check for a Node.js image (no curl needed): GET
    ``http://127.0.0.1:<port><path>`` and succeed on 200-399."""
    script = (
        f"fetch('http://127.0.0.1:{port}{path}',{{redirect:'manual'}})"
        ".then(r=>process.exit(r.status>=200&&r.status<400?0:1),()=>process.exit(1))"
    )
    return ("CMD", "node", "-e", script)


def secret_arn_of(value_from: str) -> str:
    """The secret's own ARN in a ``valueFrom`` (drops ECS's ``:json-key:stage:version``)."""
    match = SECRET_ARN.match(value_from)
    return match.group(1) if match else value_from


def ecs_tasks_trust_policy(
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    source_arn: bool,
) -> pulumi.Output[str]:
    """Lets ECS tasks of this account (and, with ``source_arn``, of this region's ECS) assume
    the role: the confused-deputy conditions ECS documents. The execution role gets only
    ``aws:SourceAccount``; the task role both."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {
            "aws:SourceArn": pulumi.Output.concat(
                "arn:", partition, ":ecs:", region, ":", account_id, ":*"
            )
        }
    return policy_document(
        [
            {
                "Sid": "EcsTasksOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": TRUSTED_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ]
    )


GUARDDUTY_AGENT_REPOSITORY = "aws-guardduty-agent-fargate"
"""The repository GuardDuty's Runtime Monitoring pulls its Fargate sidecar from, in a
GuardDuty-owned account of each region ("ECR Repository for GuardDuty agent on AWS Fargate
(Amazon ECS only)", https://docs.aws.amazon.com/guardduty/latest/ug/ecs-runtime-agent-ecr-image-uri.html).
The task execution role pulls it ("Prerequisites for container image access", same guide)."""
GUARDDUTY_AGENT_REGISTRIES = "*"
"""The account part of the agent repository's ARN: GuardDuty's account differs per region
(the table above), so the repository name is what scopes the permission."""


def execution_role_statements(
    *,
    log_group_arn: pulumi.Input[str],
    secret_arns: Sequence[pulumi.Input[str]],
    kms_key_arns: Sequence[pulumi.Input[str]],
    repository_arn: pulumi.Input[str] | None,
    region: pulumi.Input[str],
    guardduty_agent_partition: pulumi.Input[str] | None = None,
) -> list[dict[str, Any]]:
    """The execution role's permissions: this log group, these secrets, this repository and,
    with ``guardduty_agent_partition``, GuardDuty's Fargate agent."""
    statements = [
        allow(
            "WriteServiceLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [log_group_arn, pulumi.Output.concat(log_group_arn, ":log-stream:*")],
        )
    ]
    if repository_arn is not None or guardduty_agent_partition is not None:
        # GetAuthorizationToken has no resource-level permissions: "*" is required.
        statements.append(allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"))
    if repository_arn is not None:
        statements.append(allow("EcrPull", PULL_ACTIONS, [repository_arn]))
    if guardduty_agent_partition is not None:
        statements += [
            allow(
                "PullGuardDutyAgent",
                PULL_ACTIONS,
                [
                    pulumi.Output.concat(
                        "arn:", guardduty_agent_partition, ":ecr:", region, ":",
                        GUARDDUTY_AGENT_REGISTRIES, ":repository/", GUARDDUTY_AGENT_REPOSITORY,
                    )
                ],
            ),
        ]  # fmt: skip
    if secret_arns:
        resources = pulumi.Output.all(*secret_arns).apply(
            lambda arns: sorted({secret_arn_of(a) for a in arns})
        )
        read = allow("ReadTaskSecrets", ["secretsmanager:GetSecretValue"], [])
        read["Resource"] = resources
        statements.append(read)
        if kms_key_arns:
            decrypt = allow("DecryptTaskSecrets", ["kms:Decrypt"], list(kms_key_arns))
            decrypt["Condition"] = {
                "StringEquals": {"kms:ViaService": regional_endpoint("secretsmanager", region)}
            }
            statements.append(decrypt)
    return statements


def container_definition(
    *,
    name: str,
    image: str,
    port: int,
    user: str,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    health_check_command: Sequence[str],
    start_period: int,
    log_group_name: str,
    region: str,
    credentials_secret_arn: str | None,
    writable_paths: Sequence[tuple[str, str]] = ((TMP_VOLUME, TMP_PATH),),
) -> dict[str, Any]:
    """The application container, as RegisterTaskDefinition takes it. ``writable_paths``
    (volume, path) are the only writable places of its filesystem."""
    definition: dict[str, Any] = {
        "name": name,
        "image": image,
        "essential": True,
        "portMappings": [
            {"containerPort": port, "hostPort": port, "protocol": "tcp", "name": "http"}
        ],
        "environment": [{"name": k, "value": environment[k]} for k in sorted(environment)],
        "secrets": [{"name": k, "valueFrom": secrets[k]} for k in sorted(secrets)],
        "user": user,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False}
            for volume, path in writable_paths
        ],
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "healthCheck": {
            "command": list(health_check_command),
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": start_period,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
    }
    if credentials_secret_arn is not None:
        definition["repositoryCredentials"] = {"credentialsParameter": credentials_secret_arn}
    return definition


def with_image(task_definition: Mapping[str, Any], container: str, image: str) -> dict[str, Any]:
    """A copy of ``task_definition`` whose ``container`` runs ``image``."""
    return {
        **task_definition,
        "containerDefinitions": [
            {**c, "image": image} if c["name"] == container else c
            for c in task_definition["containerDefinitions"]
        ],
    }


def writable_paths(enable_execute_command: bool) -> list[tuple[str, str]]:
    """The task's writable (volume, path) pairs: ``/tmp``, and ECS Exec's agent directories
    when it is enabled."""
    paths = [(TMP_VOLUME, TMP_PATH)]
    if enable_execute_command:
        paths.extend(EXECUTE_COMMAND_VOLUMES)
    return paths


def health_check_command_of(args: FargateServiceArgs) -> list[str]:
    """The container's health check: the given command, or :func:`node_health_check` of the
    container port and health check path."""
    if args.health_check_command is not None:
        return list(args.health_check_command)
    return list(node_health_check(args.container_port, args.health_check_path))


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsContext:
    """Where the service's resources live, as the component's invokes return it."""

    partition: pulumi.Input[str]
    account_id: pulumi.Input[str]
    region: pulumi.Output[str]


@dataclass(frozen=True)
class FargateTask:
    """What :func:`build_task` registered."""

    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    execution_policy: aws.iam.RolePolicy
    """The execution role's permissions; the service waits for it (tasks cannot start
    without them)."""
    task_role: aws.iam.Role
    image_channel: ImageChannel
    task_definition: aws.ecs.TaskDefinition


def build_task(
    name: str, args: FargateServiceArgs, aws_context: AwsContext, parent: pulumi.Resource
) -> FargateTask:
    """The log group, roles, image channel and task definition of the service ``args``
    describes, registered as children of ``parent`` under ``<name>-…``."""
    logs = log_group(
        f"{name}-logs",
        parent=parent,
        log_group_name=f"/ecs/{args.service_name}",
        retention_days=args.logging.retention_days,
        kms_key_arn=args.logging.kms_key_arn,
        protect=args.protect,
        tags=dict(args.tags),
    )
    execution_role, task_role = _roles(name, args, aws_context, parent)
    execution_policy = _execution_policy(name, args, execution_role, logs.arn, aws_context, parent)
    if args.enable_execute_command:
        _execute_command_policy(name, task_role, parent)
    spec = _registration_spec(args, aws_context.region, logs, execution_role, task_role)
    shape = spec.apply(lambda value: shape_of(value, args.container_name))
    channel = ImageChannel(
        f"{name}-image",
        ImageChannelArgs(
            parameter_prefix=args.image_channel_prefix,
            bootstrap_image=args.bootstrap_image,
            shape=shape,
            protect=args.protect,
            tags=dict(args.tags),
            container_port=args.container_port,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    task_definition = _task_definition(
        name, args, spec, shape, channel, (execution_role, task_role), parent
    )
    return FargateTask(
        log_group=logs,
        execution_role=execution_role,
        execution_policy=execution_policy,
        task_role=task_role,
        image_channel=channel,
        task_definition=task_definition,
    )


def _roles(
    name: str, args: FargateServiceArgs, aws_context: AwsContext, parent: pulumi.Resource
) -> tuple[aws.iam.Role, aws.iam.Role]:
    """The execution role (ECS itself: pull, secrets, logs) and the task role (the
    application), both trusting only ECS tasks of this account."""

    def role(kind: str, description: str, *, source_arn: bool) -> aws.iam.Role:
        return aws.iam.Role(
            f"{name}-{kind}-role",
            description=description,
            assume_role_policy=ecs_tasks_trust_policy(
                aws_context.partition,
                aws_context.account_id,
                aws_context.region,
                source_arn=source_arn,
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=parent),
        )

    execution_role = role(
        "execution",
        f"ECS pulls the image, reads the secrets and ships the logs of {args.service_name}",
        source_arn=False,
    )
    task_role = role(
        "task", f"What the application {args.service_name} itself may do", source_arn=True
    )
    return execution_role, task_role


def _execution_policy(
    name: str,
    args: FargateServiceArgs,
    execution_role: aws.iam.Role,
    log_group_arn: pulumi.Input[str],
    aws_context: AwsContext,
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """The execution role's inline policy (:func:`execution_role_statements`): the secrets,
    and the registry-credentials secret in GHCR mode, are what it may read."""
    readable = list(args.secrets.values())
    if args.repository_credentials_secret_arn is not None:
        readable.append(args.repository_credentials_secret_arn)
    return aws.iam.RolePolicy(
        f"{name}-execution-policy",
        role=execution_role.name,
        policy=policy_document(
            execution_role_statements(
                log_group_arn=log_group_arn,
                secret_arns=readable,
                kms_key_arns=args.secret_kms_key_arns,
                repository_arn=args.repository_arn,
                region=aws_context.region,
                guardduty_agent_partition=(
                    aws_context.partition if args.guardduty_runtime_monitoring else None
                ),
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _execute_command_policy(name: str, task_role: aws.iam.Role, parent: pulumi.Resource) -> None:
    """The task role's ECS Exec channels (break-glass; only with ``enable_execute_command``)."""
    aws.iam.RolePolicy(
        f"{name}-task-execute-command",
        role=task_role.name,
        policy=policy_document(
            # ECS Exec's channel actions have no resource-level permissions.
            [allow("EcsExecChannels", EXECUTE_COMMAND_ACTIONS, "*")]
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _registration_spec(
    args: FargateServiceArgs,
    region: pulumi.Output[str],
    logs: aws.cloudwatch.LogGroup,
    execution_role: aws.iam.Role,
    task_role: aws.iam.Role,
) -> pulumi.Output[dict[str, Any]]:
    """The task definition as RegisterTaskDefinition takes it, with the image left as
    :data:`~slipway.image_channel.IMAGE_PLACEHOLDER`: what the image channel's shape is made
    of, and what CI registers revisions from."""
    secret_names = sorted(args.secrets)
    paths = writable_paths(args.enable_execute_command)
    health_check_command = health_check_command_of(args)
    capacity = args.capacity

    def spec(values: list[Any]) -> dict[str, Any]:
        region_name, log_group_name, execution_arn, task_arn, credentials, *secrets = values
        container = container_definition(
            name=args.container_name,
            image=IMAGE_PLACEHOLDER,
            port=args.container_port,
            user=args.user,
            environment=args.environment,
            secrets=dict(zip(secret_names, secrets, strict=True)),
            health_check_command=health_check_command,
            start_period=min(args.health_check_grace_period_seconds, HEALTH_CHECK_START_PERIOD_MAX),
            log_group_name=log_group_name,
            region=region_name,
            credentials_secret_arn=credentials,
            writable_paths=paths,
        )
        return {
            "family": args.service_name,
            "containerDefinitions": [container],
            "cpu": str(capacity.cpu),
            "memory": str(capacity.memory),
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "executionRoleArn": execution_arn,
            "taskRoleArn": task_arn,
            "volumes": [{"name": volume} for volume, _ in paths],
            "runtimePlatform": {
                "operatingSystemFamily": "LINUX",
                "cpuArchitecture": capacity.cpu_architecture,
            },
        }

    return pulumi.Output.all(
        region,
        logs.name,
        execution_role.arn,
        task_role.arn,
        args.repository_credentials_secret_arn,
        *[args.secrets[k] for k in secret_names],
    ).apply(spec)


def _task_definition(
    name: str,
    args: FargateServiceArgs,
    spec: pulumi.Output[dict[str, Any]],
    shape: pulumi.Output[str],
    channel: ImageChannel,
    roles: tuple[aws.iam.Role, aws.iam.Role],
    parent: pulumi.Resource,
) -> aws.ecs.TaskDefinition:
    """The revision Pulumi registers: ``spec`` running the image channel's image, tagged with
    its shape. Old revisions stay ACTIVE: CI's rollback and the circuit breaker may need
    them."""
    execution_role, task_role = roles
    container_definitions = pulumi.Output.all(spec, channel.image).apply(
        lambda v: json.dumps(with_image(v[0], args.container_name, v[1])["containerDefinitions"])
    )
    return aws.ecs.TaskDefinition(
        f"{name}-task-definition",
        family=args.service_name,
        container_definitions=container_definitions,
        cpu=str(args.capacity.cpu),
        memory=str(args.capacity.memory),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        volumes=[
            aws.ecs.TaskDefinitionVolumeArgs(name=volume)
            for volume, _ in writable_paths(args.enable_execute_command)
        ],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            operating_system_family="LINUX", cpu_architecture=args.capacity.cpu_architecture
        ),
        skip_destroy=True,
        tags={**dict(args.tags), SHAPE_TAG: shape},
        opts=pulumi.ResourceOptions(parent=parent),
    )
