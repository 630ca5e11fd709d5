"""``FargateService``: an ECS service on Fargate behind an Application Load Balancer.

The component composes three parts, each a builder that registers its resources as the
component's own children (so their names and parent are the component's):

* the task (:mod:`slipway.fargate_task`): log group, execution and task roles, the hardened
  task definition and its :class:`~slipway.image_channel.ImageChannel`;
* the load balancer (:mod:`slipway.load_balancer`): ALB, target group, listeners, security
  groups;
* the rollback alarms (:mod:`slipway.rollback_alarms`), their one owner;

and adds the service itself, in the private subnets (no public IP), with the deployment
circuit breaker (rollback) always on, optional CloudWatch-alarm rollback and target-tracking
autoscaling.

Its arguments are grouped: :class:`PlacementOptions`, :class:`CapacityOptions`,
:class:`AutoscalingOptions`, :class:`~slipway.fargate_task.LoggingOptions`,
:class:`~slipway.load_balancer.ListenerOptions` and
:class:`~slipway.rollback_alarms.RollbackAlarmOptions`; each refuses its own bad values when
it is made, naming ``<Class>.<field>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from slipway.deployment_strategy import (
    STRATEGY_TYPES,
    DeploymentStrategy,
    LifecycleHook,
    RollingStrategy,
    deployment_configuration,
    is_progressive,
    steady_state_timeout_minutes,
    strategy_problems,
)
from slipway.edge import AccessLogOptions, WebAclOptions
from slipway.errors import Problems, invalid, is_whole
from slipway.fargate_task import SECRET_ARN, AwsContext, FargateTask, LoggingOptions, build_task
from slipway.hooks.smoke_test import LIFECYCLE_STAGES
from slipway.image_channel import (
    PARAMETER_PREFIX_ALLOWED,
    ImageChannel,
    image_reference_problems,
    is_parameter_prefix,
)
from slipway.load_balancer import (
    EgressRule,
    ListenerOptions,
    ServiceLoadBalancer,
    build_load_balancer,
    egress_problems,
)
from slipway.network import vpc_cidr_problems
from slipway.patterns import (
    CONTAINER_NAME,
    ECR_REPOSITORY_ARN,
    HEALTH_CHECK_PATH,
    KMS_KEY_ARN,
    VPC_ID,
    subnet_ids_problems,
)
from slipway.rollback_alarms import ROLLBACK_METRICS, RollbackAlarmOptions, rollback_alarms
from slipway.smoke_test_hook import SmokeTestHook, SmokeTestHookArgs, SmokeTestOptions

if TYPE_CHECKING:
    from slipway.cluster import EcsCluster
    from slipway.network import Network

FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
"""Fargate's task sizes: CPU units to the memory values (MiB) each allows."""
CPU_ARCHITECTURES = ("X86_64", "ARM64")
"""Fargate's CPU architectures; both run on Fargate and Fargate Spot (ARM64 on Spot since
2024-09, AWS What's New "Amazon ECS now supports AWS Graviton-based Spot compute with AWS
Fargate")."""
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

SERVICE_NAME = CONTAINER_NAME
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
"""An environment variable name: letters, digits and '_', not starting with a digit, at most
255 characters. Checked only through :func:`env_name_problems`."""
SECRET_ISH = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIALS?)(?:_|$)"
)
"""Plain environment names that look like they carry a secret."""
USER = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?$")
SCALE_IN_COOLDOWN_SECONDS = 300
SCALE_OUT_COOLDOWN_SECONDS = 60


def fargate_size_problems(
    cpu: int,
    memory: int,
    cpu_name: str = "CapacityOptions.cpu",
    memory_name: str = "CapacityOptions.memory",
) -> list[str]:
    """Problems with a Fargate task size, each naming the setting and listing what is allowed.

    ``cpu_name`` and ``memory_name`` are how the caller's user spells the two values (the stack
    settings pass ``slipway:taskCpu`` and ``slipway:taskMemory``).
    """
    if cpu not in FARGATE_MEMORY:
        return [
            invalid(
                cpu_name, cpu, "Fargate allows CPU units " + ", ".join(map(str, FARGATE_MEMORY))
            )
        ]
    allowed = FARGATE_MEMORY[cpu]
    if memory not in allowed:
        return [
            invalid(
                memory_name,
                memory,
                f"with {cpu_name} {cpu} Fargate allows memory (MiB) "
                + ", ".join(map(str, allowed)),
            )
        ]
    return []


def cpu_architecture_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is one of :data:`CPU_ARCHITECTURES`."""
    if value in CPU_ARCHITECTURES:
        return []
    return [invalid(setting, value, " or ".join(CPU_ARCHITECTURES))]


def container_port_problems(
    port: object, setting: str = "FargateServiceArgs.container_port"
) -> list[str]:
    """The one rule for the application's port: 1024 to 65535, because the container runs
    without root and without capabilities, so it cannot bind a privileged port."""
    if is_whole(port, 1024, 65535):
        return []
    return [
        invalid(
            setting,
            port,
            "1024 to 65535 (the container runs without root and without capabilities)",
        )
    ]


def port_change_problems(
    registered_port: int | None,
    container_port: int,
    strategy: DeploymentStrategy,
    setting: str = "FargateServiceArgs.container_port",
) -> list[str]:
    """A port change the service cannot make in one ``up``: with a canary, linear or
    blue/green strategy, the port replaces both target groups (a target group's port cannot
    change), while the listener rules ignore changes to their actions because ECS owns the
    weights (:class:`~slipway.load_balancer.TrafficShift`). The rules would keep forwarding to
    the old groups, and deleting those fails (ResourceInUse). ``registered_port`` is what the
    last run recorded (:attr:`~slipway.image_channel.RegisteredRecord.container_port`; None:
    nothing recorded, a first run)."""
    if registered_port is None or registered_port == container_port:
        return []
    if not is_progressive(strategy):
        return []
    return [
        invalid(
            setting,
            container_port,
            f"{registered_port}, the port the target groups have, while deploymentStrategy is "
            f"{strategy.kind.value}: the new port replaces both target groups, but ECS owns "
            "the listener rules that point at them, so one up cannot move them. Change it in "
            'three ups (docs/deployment-strategies.md, "Changing containerPort"): 1. '
            f"deploymentStrategy rolling with containerPort {registered_port}; 2. containerPort "
            f"{container_port}; 3. deploymentStrategy {strategy.kind.value} again",
        )
    ]


MAX_TASKS = 100
"""Most tasks a Slipway service runs (and autoscaling may start)."""


def desired_count_problems(
    count: object,
    setting: str = "CapacityOptions.desired_count",
    *,
    minimum: int = 0,
    reason: str = "",
) -> list[str]:
    """The one range rule for a service's desired task count: ``minimum`` (0, a service scaled
    to nothing, unless the caller needs more) to :data:`MAX_TASKS`.

    ``setting`` is how the caller's user spells the value (``slipway:desiredCount``);
    ``reason`` says why a ``minimum`` above 0 applies.
    """
    if is_whole(count, minimum, MAX_TASKS):
        return []
    allowed = f"{minimum} to {MAX_TASKS}"
    return [invalid(setting, count, f"{allowed} ({reason})" if reason else allowed)]


def env_name_problems(names: Iterable[str], setting: str, *, upper_case: bool = False) -> list[str]:
    """The one rule for environment variable names (:data:`ENV_NAME`); with ``upper_case``,
    lower-case letters are refused too (the stack settings, whose secret keys are derived
    from the names case-insensitively: ``DATABASE_URL`` → ``secretDatabaseUrl``)."""
    bad = sorted(n for n in names if not ENV_NAME.match(n) or (upper_case and n != n.upper()))
    if not bad:
        return []
    letters = "upper-case letters" if upper_case else "letters"
    return [
        invalid(
            setting,
            bad,
            f"names of {letters}, digits and '_', not starting with a digit, at most 255 "
            "characters",
        )
    ]


def scaling_bounds_problems(
    min_count: int,
    max_count: int,
    names: tuple[str, str] = ("AutoscalingOptions.min_count", "AutoscalingOptions.max_count"),
) -> list[str]:
    """Problems with autoscaling's bounds alone: ``1 <= min <= max <= 100``. A minimum above
    the maximum is reported alone: it is the mistake.

    ``names`` are how the caller's user spells minimum and maximum.
    """
    low, high = names
    if not 1 <= min_count <= MAX_TASKS:
        return [invalid(low, min_count, f"1 to {MAX_TASKS}")]
    if not 1 <= max_count <= MAX_TASKS:
        return [invalid(high, max_count, f"1 to {MAX_TASKS}")]
    if min_count > max_count:
        return [
            invalid(
                low,
                min_count,
                f"at most {high} ({max_count}): autoscaling keeps the task count between "
                f"{low} and {high}",
            )
        ]
    return []


def task_count_problems(
    min_count: int,
    desired_count: int,
    max_count: int,
    names: tuple[str, str, str] = (
        "AutoscalingOptions.min_count",
        "CapacityOptions.desired_count",
        "AutoscalingOptions.max_count",
    ),
) -> list[str]:
    """Problems with autoscaling's bounds and the desired count:
    ``1 <= min <= desired <= max <= 100`` (:func:`scaling_bounds_problems` first, so a
    minimum above the maximum is reported alone, whatever the desired count).

    ``names`` are how the caller's user spells minimum, desired and maximum (the stack settings
    pass ``slipway:minCount``, ``slipway:desiredCount`` and ``slipway:maxCount``).
    """
    low, desired, high = names
    bounds = scaling_bounds_problems(min_count, max_count, (low, high))
    if bounds:
        return bounds
    if not min_count <= desired_count <= max_count:
        return [
            invalid(
                desired,
                desired_count,
                f"a count from {low} ({min_count}) to {high} ({max_count})",
            )
        ]
    return []


def secret_looking_problems(
    names: Iterable[str],
    setting: str = "FargateServiceArgs.environment",
    instead: str = "secrets (a Secrets Manager ARN)",
) -> list[str]:
    """A problem when a plain environment variable's name looks like it carries a secret
    (:data:`SECRET_ISH`); ``instead`` says where such a value belongs."""
    secret_ish = sorted(k for k in names if SECRET_ISH.search(k.upper()))
    if not secret_ish:
        return []
    return [
        invalid(
            setting,
            secret_ish,
            f"no secret-looking names in plain environment; pass them through {instead} instead",
        )
    ]


def _provider_strategy(item: Mapping[str, Any]) -> tuple[str, int, int]:
    provider = item.get("capacity_provider", item.get("capacityProvider"))
    return str(provider), int(item.get("weight", 0)), int(item.get("base", 0))


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementOptions:
    """Where the service runs: its cluster, and the VPC and subnets of its parts."""

    cluster_arn: pulumi.Input[str]
    """ARN of the ECS cluster."""
    cluster_name: pulumi.Input[str]
    """Name of the same cluster (autoscaling addresses the service by it)."""
    vpc_id: pulumi.Input[str]
    """VPC of the subnets."""
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets of the load balancer, in at least two availability zones."""
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets of the tasks (no public IP; images are pulled through NAT or endpoints)."""
    vpc_cidr: str | None = None
    """IPv4 range of the VPC, when known before deployment: ``FargateServiceArgs.egress``
    networks must lie inside it. Default: unknown (not checked)."""
    egress_ready: Sequence[pulumi.Resource] = ()
    """What must exist before the first tasks start: the private subnets' routes out and the
    VPC endpoints (``Network.egress_ready``). The service depends on them, so its first tasks
    never start without a way to pull images, read secrets and ship logs. Default: none."""
    nat_public_ips: Sequence[pulumi.Input[str]] = ()
    """The VPC's NAT gateways' public addresses (``Network.nat_public_ips``): with a
    non-rolling strategy the test listener admits them (and ``vpc_cidr``), because clients in
    the private subnets reach the internet-facing ALB's public addresses through NAT.
    Default: none."""

    def __post_init__(self) -> None:
        problems = Problems("PlacementOptions")
        if isinstance(self.cluster_name, str):
            problems.check(
                bool(self.cluster_name), "cluster_name", self.cluster_name, "a cluster name"
            )
        if isinstance(self.vpc_id, str):
            problems.check(
                bool(VPC_ID.match(self.vpc_id)), "vpc_id", self.vpc_id, "a VPC ID (vpc-…)"
            )
        if self.vpc_cidr is not None:
            problems.extend(vpc_cidr_problems(self.vpc_cidr, problems.name("vpc_cidr")))
        problems.extend(
            subnet_ids_problems(
                self.public_subnet_ids,
                problems.name("public_subnet_ids"),
                2,
                "two or more subnet IDs (subnet-…), in different availability zones",
            )
        )
        problems.extend(
            subnet_ids_problems(
                self.private_subnet_ids,
                problems.name("private_subnet_ids"),
                1,
                "one or more subnet IDs (subnet-…); two or more for availability",
            )
        )
        problems.raise_any()

    @classmethod
    def of(cls, cluster: EcsCluster, network: Network) -> PlacementOptions:
        """The placement in ``cluster``, with the load balancer in ``network``'s public
        subnets and the tasks in its private ones, started once their way out exists."""
        return cls(
            cluster_arn=cluster.cluster_arn,
            cluster_name=cluster.cluster_name,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
            vpc_cidr=network.vpc_cidr,
            egress_ready=network.egress_ready,
            nat_public_ips=network.nat_public_ips,
        )


@dataclass(frozen=True)
class CapacityOptions:
    """How much the service runs: each task's size and architecture, how many tasks, and on
    which Fargate capacity."""

    cpu: int = 256
    """Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256."""
    memory: int = 512
    """Memory in MiB; must be one Fargate allows with ``cpu``. Default: 512."""
    cpu_architecture: str = "X86_64"
    """``X86_64`` or ``ARM64`` (the image must be built for it). Default: X86_64."""
    desired_count: int = 2
    """Tasks to run (the initial count under autoscaling), 0 to 100. Default: 2, one per AZ
    at least."""
    capacity_provider_strategy: Sequence[Mapping[str, Any]] = ()
    """Capacity provider strategy items ``{"capacity_provider": "FARGATE"|"FARGATE_SPOT",
    "weight": int, "base": int}``. Default: none, the FARGATE launch type."""

    def __post_init__(self) -> None:
        problems = Problems("CapacityOptions")
        problems.extend(
            fargate_size_problems(
                self.cpu, self.memory, problems.name("cpu"), problems.name("memory")
            )
        )
        problems.extend(
            cpu_architecture_problems(self.cpu_architecture, problems.name("cpu_architecture"))
        )
        problems.extend(desired_count_problems(self.desired_count, problems.name("desired_count")))
        problems.check(
            _valid_strategy(self.capacity_provider_strategy),
            "capacity_provider_strategy",
            list(self.capacity_provider_strategy),
            "items {'capacity_provider': 'FARGATE' or 'FARGATE_SPOT', 'weight': 0-1000, "
            "'base': 0-100000}, each provider once, some weight above 0, at most one base",
        )
        problems.raise_any()

    def strategy(self) -> list[tuple[str, int, int]]:
        """The capacity provider strategy as (provider, weight, base); empty for the FARGATE
        launch type."""
        return [_provider_strategy(item) for item in self.capacity_provider_strategy]


@dataclass(frozen=True)
class AutoscalingOptions:
    """Target-tracking autoscaling on CPU and requests per target. Autoscaling then owns the
    desired count and Pulumi never reverts it."""

    min_count: int = 2
    """Fewest tasks (1 ≤ min ≤ ``CapacityOptions.desired_count`` ≤ max ≤ 100)."""
    max_count: int = 10
    """Most tasks."""
    cpu_target: int = 60
    """Average CPU utilisation (%) autoscaling aims at, 10 to 90."""
    requests_per_target: int = 1000
    """ALB requests per task per minute autoscaling aims at, 1 to 1000000."""

    def __post_init__(self) -> None:
        problems = Problems("AutoscalingOptions")
        problems.extend(
            scaling_bounds_problems(
                self.min_count,
                self.max_count,
                (problems.name("min_count"), problems.name("max_count")),
            )
        )
        problems.check(10 <= self.cpu_target <= 90, "cpu_target", self.cpu_target, "10 to 90 (%)")
        problems.check(
            1 <= self.requests_per_target <= 1_000_000,
            "requests_per_target",
            self.requests_per_target,
            "1 to 1000000",
        )
        problems.raise_any()


def _valid_strategy(strategy: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a capacity provider strategy is one ECS accepts for Fargate."""
    try:
        items = [_provider_strategy(item) for item in strategy]
    except (TypeError, ValueError):
        return False
    return not items or (
        all(p in CAPACITY_PROVIDERS for p, _, _ in items)
        and len({p for p, _, _ in items}) == len(items)
        and all(0 <= w <= 1000 and 0 <= b <= 100000 for _, w, b in items)
        and any(w > 0 for _, w, _ in items)
        and sum(1 for _, _, b in items if b > 0) <= 1
    )


def service_timeouts(strategy: DeploymentStrategy) -> pulumi.CustomTimeouts:
    """The ECS service's create and update timeouts: long enough for a deployment of
    ``strategy`` to complete (:func:`~slipway.deployment_strategy.steady_state_timeout_minutes`);
    the delete timeout stays the provider's (20 minutes, draining the tasks)."""
    minutes = f"{steady_state_timeout_minutes(strategy)}m"
    return pulumi.CustomTimeouts(create=minutes, update=minutes)


@dataclass(frozen=True)
class FargateServiceArgs:
    """Arguments of :class:`FargateService`. Every default is the secure choice."""

    service_name: str
    """ECS service name; also the task family, the log group (``/ecs/<name>``) and the alarm
    names' start. Letters, digits, '-' and '_', at most 255."""
    placement: PlacementOptions
    """The cluster, VPC and subnets."""
    listener: ListenerOptions
    """HTTPS certificate (or plain HTTP in dev), domain name and who may connect."""
    image_channel_prefix: str
    """SSM path of the service's image channel, e.g. ``/slipway/storefront/prod/image-channel``."""
    bootstrap_image: pulumi.Input[str]
    """Image (tag or digest) of the first task definition, before CI has deployed; it must
    answer the health check on ``container_port``, e.g. ``<repository-url>:bootstrap``."""
    repository_arn: pulumi.Input[str] | None = None
    """ECR repository the execution role may pull from. Exactly one of this and
    ``repository_credentials_secret_arn``."""
    repository_credentials_secret_arn: pulumi.Input[str] | None = None
    """GHCR mode: Secrets Manager secret (``{"username","password"}``) for a private registry;
    the execution role may read exactly this secret and no ECR permission is granted."""
    container_name: str = "app"
    """Name of the application container (the deploy workflow's ``ECS_CONTAINER_NAME``)."""
    container_port: int = 3000
    """Port the application listens on, 1024 to 65535 (a non-root user without capabilities
    cannot bind lower ports)."""
    user: str = "1000"
    """User (and optional group) the container runs as; never root. Default: ``1000``."""
    health_check_path: str = "/"
    """Path that answers 200-399 when the application is healthy (ALB and container checks)."""
    health_check_command: Sequence[str] | None = None
    """Container health check command (``CMD``/``CMD-SHELL`` first). Default: a Node.js
    one-liner that fetches ``http://127.0.0.1:<container_port><health_check_path>``."""
    health_check_grace_period_seconds: int = 60
    """Seconds ECS ignores failing load balancer health checks of a new task, 0 to 3600; also
    the container check's start period (capped at 300). Default: 60."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables. Names that look secret (``*_PASSWORD``, ``*_TOKEN``…) are
    refused: pass those through ``secrets``."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment name to Secrets Manager secret ARN (optionally ``:json-key::``), injected
    by ECS at start; the execution role may read exactly these secrets."""
    secret_kms_key_arns: Sequence[pulumi.Input[str]] = ()
    """Customer-managed keys of those secrets; the execution role may decrypt with them only
    through Secrets Manager. Default: none (secrets under the AWS-managed key)."""
    deletion_protection: bool = True
    """ALB deletion protection. Default: on (turn it off for disposable stacks)."""
    deregistration_delay_seconds: int = 30
    """Connection draining before a task leaves the target group, 0 to 3600. Default: 30."""
    enable_execute_command: bool = False
    """Allow ECS Exec into tasks: grants the task role the SSM channel actions and mounts
    writable volumes at /var/lib/amazon and /var/log/amazon for the agent (the root
    filesystem stays read-only). Break-glass only. Default: off."""
    logging: LoggingOptions = field(default_factory=LoggingOptions)
    """The service's log group. Default: 90 days, CloudWatch's own encryption."""
    capacity: CapacityOptions = field(default_factory=CapacityOptions)
    """Task size, count and capacity providers. Default: 256 CPU units, 512 MiB, X86_64, two
    tasks on the FARGATE launch type."""
    autoscaling: AutoscalingOptions | None = None
    """Target-tracking autoscaling. Default: none (a fixed count)."""
    egress: Sequence[EgressRule] = ()
    """Ways out for the tasks beside HTTPS (databases, caches): each a port or range to a
    security group, a managed prefix list or a network of the VPC (inside
    ``PlacementOptions.vpc_cidr`` when that is given). Default: HTTPS only."""
    guardduty_runtime_monitoring: bool = True
    """Let the task execution role pull GuardDuty's Fargate security agent
    (``aws-guardduty-agent-fargate``), which GuardDuty Runtime Monitoring adds to every task
    of the account once its automated agent management for Fargate is on (see
    :class:`~slipway.threat_detection.ThreatDetection`). Without it those tasks' agent cannot
    start and GuardDuty reports them unprotected. Default: on."""
    wait_for_steady_state: bool = False
    """Make ``pulumi up`` follow a deployment it starts (a task-definition change) until it
    succeeds, so one that cannot start fails the update (pulumi_aws 7.51.1 ``ecs.Service``
    ``wait_for_steady_state``). The provider follows the deployment with
    ``DescribeServiceDeployments`` and fails on STOPPED, ROLLBACK_FAILED or ROLLBACK_SUCCESSFUL
    (terraform-provider-aws ``internal/service/ecs/service.go``, ``waitServiceStable``).

    It waits only once the image channel holds a record CI wrote
    (:func:`~slipway.image_channel.ci_has_deployed`): before that, on the first ``pulumi up``,
    the image CI builds may not exist yet and the application's secrets may be empty, so the
    first deployment cannot succeed until CI's first deploy, and waiting for it would fail the
    ``up`` before the service's dependants exist. The service's create and update timeouts
    come from ``deployment_strategy``
    (:func:`~slipway.deployment_strategy.steady_state_timeout_minutes`), so the wait outlasts
    a canary's bake. It never waits for CI's deployments. Default: off."""
    rollback_alarms: RollbackAlarmOptions | None = field(default_factory=RollbackAlarmOptions)
    """Create ``<service>-target-5xx`` and ``<service>-unhealthy-hosts`` alarms and roll a
    deployment back when either fires; ``None`` for none. With a non-rolling strategy, the same
    two alarms on the alternate target group too (``…-alternate``), so the new revision's
    errors roll it back during its test traffic, its traffic shift and its bake. Default: on,
    notifying nobody."""
    deployment_strategy: DeploymentStrategy = field(default_factory=RollingStrategy)
    """How ECS moves traffic to a new revision (:mod:`slipway.deployment_strategy`):
    :class:`~slipway.deployment_strategy.RollingStrategy`,
    :class:`~slipway.deployment_strategy.CanaryStrategy`,
    :class:`~slipway.deployment_strategy.LinearStrategy` or
    :class:`~slipway.deployment_strategy.BlueGreenStrategy`. A non-rolling strategy adds an
    alternate target group, a production listener rule, a test listener (port 8443, or 8080
    in plain-HTTP mode) reachable only from the VPC, and the ECS infrastructure role for load
    balancers; it needs ``PlacementOptions.vpc_cidr``. Default: rolling."""
    lifecycle_hooks: Sequence[LifecycleHook] = ()
    """Lambda functions ECS invokes at lifecycle stages of a non-rolling deployment (for
    example smoke tests against the test listener at ``POST_TEST_TRAFFIC_SHIFT``); a failing
    hook rolls the deployment back. Default: none."""
    smoke_test: SmokeTestOptions | None = None
    """Give the service its own smoke-test hook (:class:`~slipway.smoke_test_hook.SmokeTestHook`,
    a child of the service): after test traffic reaches the new revision
    (``POST_TEST_TRAFFIC_SHIFT``), it checks ``health_check_path`` through the test listener
    and the version answering, and fails the deployment, so ECS rolls back, before production
    traffic moves. Needs a non-rolling strategy. Default: none."""
    access_logs: AccessLogOptions | None = field(default_factory=AccessLogOptions)
    """Write the ALB's access logs to a bucket of the service's own (SSE-S3, TLS only,
    versioned, expiring after ``retention_days``; :mod:`slipway.edge`). Default: on, kept 90
    days; None turns them off."""
    web_acl: WebAclOptions | None = None
    """Put a regional WAF web ACL in front of the ALB: a per-IP rate limit and AWS's common
    and known-bad-inputs managed rules (:mod:`slipway.edge`). Default: none."""
    protect: bool = False
    """Protect and retain the log group, the access logs' bucket and the image channel's
    deployed record; protect the certificate and alias record made with ``hosted_zone_id``. On
    in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems = Problems("FargateServiceArgs")
        problems.check(
            bool(SERVICE_NAME.match(self.service_name)),
            "service_name",
            self.service_name,
            "1 to 255 letters, digits, '-' and '_', starting with a letter or digit",
        )
        self._check_image(problems)
        self._check_container(problems)
        self._check_environment(problems)
        problems.check(
            0 <= self.deregistration_delay_seconds <= 3600,
            "deregistration_delay_seconds",
            self.deregistration_delay_seconds,
            "0 to 3600",
        )
        problems.check(
            all(isinstance(rule, EgressRule) for rule in self.egress),
            "egress",
            list(self.egress),
            "EgressRule items",
        )
        problems.extend(
            egress_problems(
                [rule.text for rule in self.egress if isinstance(rule, EgressRule)],
                problems.name("egress"),
                vpc_cidr=self.placement.vpc_cidr,
                vpc_cidr_setting="PlacementOptions.vpc_cidr",
            )
        )
        problems.extend(
            strategy_problems(
                self.deployment_strategy,
                self.lifecycle_hooks,
                problems.name("deployment_strategy"),
                problems.name("lifecycle_hooks"),
            )
        )
        if self.smoke_test is not None:
            problems.check(
                isinstance(self.smoke_test, SmokeTestOptions)
                and isinstance(self.deployment_strategy, STRATEGY_TYPES)
                and is_progressive(self.deployment_strategy),
                "smoke_test",
                self.smoke_test,
                "SmokeTestOptions with a canary, linear or blue/green deployment_strategy (a "
                "rolling deployment has no test traffic to check)",
            )
        if isinstance(self.deployment_strategy, STRATEGY_TYPES) and is_progressive(
            self.deployment_strategy
        ):
            problems.check(
                self.placement.vpc_cidr is not None,
                "deployment_strategy",
                self.deployment_strategy.kind.value,
                "rolling unless PlacementOptions.vpc_cidr is given: the test listener of a "
                "canary, linear or blue/green deployment admits only the VPC",
            )
        if self.autoscaling is not None:
            problems.extend(
                task_count_problems(
                    self.autoscaling.min_count,
                    self.capacity.desired_count,
                    self.autoscaling.max_count,
                )
            )
        problems.raise_any()

    def _check_image(self, problems: Problems) -> None:
        """The image channel, the bootstrap image and where images come from."""
        problems.check(
            is_parameter_prefix(self.image_channel_prefix),
            "image_channel_prefix",
            self.image_channel_prefix,
            PARAMETER_PREFIX_ALLOWED,
        )
        if isinstance(self.bootstrap_image, str):
            problems.extend(
                image_reference_problems(self.bootstrap_image, problems.name("bootstrap_image"))
            )
        problems.check(
            (self.repository_arn is None) != (self.repository_credentials_secret_arn is None),
            "repository_arn",
            self.repository_arn,
            "exactly one of repository_arn (ECR) and repository_credentials_secret_arn "
            "(GHCR) must be set",
        )
        if isinstance(self.repository_arn, str):
            problems.check(
                bool(ECR_REPOSITORY_ARN.match(self.repository_arn)),
                "repository_arn",
                self.repository_arn,
                "an ECR repository ARN",
            )
        if isinstance(self.repository_credentials_secret_arn, str):
            problems.check(
                bool(SECRET_ARN.match(self.repository_credentials_secret_arn)),
                "repository_credentials_secret_arn",
                self.repository_credentials_secret_arn,
                "a Secrets Manager secret ARN",
            )

    def _check_container(self, problems: Problems) -> None:
        """The container's name, port, user and health checks."""
        problems.check(
            bool(CONTAINER_NAME.match(self.container_name)),
            "container_name",
            self.container_name,
            "1 to 255 letters, digits, '-' and '_'",
        )
        problems.extend(
            container_port_problems(self.container_port, problems.name("container_port"))
        )
        user = USER.match(self.user)
        root = user is not None and bool({user.group(1), user.group(2)} & {"0", "root"})
        problems.check(
            user is not None and not root,
            "user",
            self.user,
            "a non-root user and optional group, e.g. 1000 or 1000:1000 (never 0 or root)",
        )
        problems.check(
            bool(HEALTH_CHECK_PATH.match(self.health_check_path)),
            "health_check_path",
            self.health_check_path,
            "a URL path starting with '/', at most 1024 characters",
        )
        if self.health_check_command is not None:
            command = list(self.health_check_command)
            problems.check(
                len(command) >= 2 and command[0] in ("CMD", "CMD-SHELL"),
                "health_check_command",
                command,
                "'CMD' or 'CMD-SHELL' followed by the command",
            )
        problems.check(
            0 <= self.health_check_grace_period_seconds <= 3600,
            "health_check_grace_period_seconds",
            self.health_check_grace_period_seconds,
            "0 to 3600",
        )

    def _check_environment(self, problems: Problems) -> None:
        """Plain environment and secrets: names, values, no secret in plain sight."""
        problems.extend(env_name_problems(self.environment, problems.name("environment")))
        problems.extend(secret_looking_problems(self.environment))
        not_text = sorted(k for k, v in self.environment.items() if not isinstance(v, str))
        problems.check(not not_text, "environment", not_text, "string values")
        problems.extend(env_name_problems(self.secrets, problems.name("secrets")))
        bad_arns = sorted(
            k for k, v in self.secrets.items() if isinstance(v, str) and not SECRET_ARN.match(v)
        )
        problems.check(not bad_arns, "secrets", bad_arns, "Secrets Manager secret ARNs as values")
        collisions = sorted(set(self.environment) & set(self.secrets))
        problems.check(
            not collisions,
            "environment",
            collisions,
            "names that are not also in secrets (a secret must never have a plain twin)",
        )
        bad_keys = [
            k for k in self.secret_kms_key_arns if isinstance(k, str) and not KMS_KEY_ARN.match(k)
        ]
        problems.check(not bad_keys, "secret_kms_key_arns", bad_keys, "KMS key ARNs")


# --------------------------------------------------------------------------------------------
# The component
# --------------------------------------------------------------------------------------------


class FargateService(pulumi.ComponentResource):
    """An ECS service on Fargate behind an ALB, its roles, security groups, logs and image
    channel; optional alarm rollback and autoscaling.

    Outputs:
        service_name: Name of the ECS service.
        service_arn: ARN of the ECS service.
        task_family: Task definition family (the deploy workflow's ``ECS_TASK_FAMILY``).
        container_name: Name of the application container.
        task_definition_arn: ARN of the task definition revision Pulumi registered (the
            service may run a later one CI registered from it).
        task_role: The task role (``aws.iam.Role``), for ``grant_*`` of other components.
        task_role_arn / task_role_name: ARN and name of the task role.
        execution_role_arn / execution_role_name: ARN and name of the execution role.
        load_balancer_arn / load_balancer_dns_name / lb_arn_suffix: The ALB.
        url: ``https://<domain or ALB DNS name>``, or ``http://…`` in plain-HTTP mode.
        target_group_arn / target_group_arn_suffix: The target group.
        log_group_name: The service's log group.
        alarm_names: Names of the rollback alarms (empty without ``rollback_alarms``).
        rollback_alarm_arns: Alarm key to the rollback alarm's ARN (on the production target
            group; ``alarm_names`` also has the alternate target group's), keyed like
            :class:`~slipway.monitoring.ServiceMonitoring`'s alarms on the same metrics
            (:data:`~slipway.rollback_alarms.TARGET_5XX_ALARM`,
            :data:`~slipway.rollback_alarms.UNHEALTHY_HOSTS_ALARM`); empty without
            ``rollback_alarms``. They notify ``RollbackAlarmOptions.alarm_actions``: pass them
            to ``ServiceMonitoringArgs.existing_alarms`` so one incident does not page twice.
        rollback_alarm_keys: The keys of ``rollback_alarm_arns`` as a plain tuple, known
            before deployment (``()`` without ``rollback_alarms``), to build
            ``existing_alarms`` from: ``{k: rollback_alarm_arns[k] for k in
            rollback_alarm_keys}``.
        alb_security_group_id / service_security_group_id: The two security groups; add
            rules to the service's to reach databases and caches.
        image_channel: The :class:`~slipway.image_channel.ImageChannel`.
        alternate_alarm_arns: ARNs of the rollback alarms on the alternate target group (a
            plain list; empty with a rolling strategy or without ``rollback_alarms``), for
            ``ServiceMonitoringArgs.other_alarm_arns``.
        deployment_strategy: The strategy given (plain), e.g. for
            :func:`~slipway.deployment_strategy.time_to_full_traffic`.
        alternate_target_group_arn / test_listener_arn / infrastructure_role_arn: What a
            non-rolling strategy shifts traffic with; None with a rolling strategy.
        test_url: ``url`` on the test listener's port (``https://<host>:8443``): where a
            smoke-test lifecycle hook inside the VPC reaches the new revision before
            production traffic moves; None with a rolling strategy.
    """

    TOKEN = "slipway:index:FargateService"

    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_family: pulumi.Output[str]
    container_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    task_role: aws.iam.Role
    task_role_arn: pulumi.Output[str]
    task_role_name: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    execution_role_name: pulumi.Output[str]
    load_balancer_arn: pulumi.Output[str]
    load_balancer_dns_name: pulumi.Output[str]
    lb_arn_suffix: pulumi.Output[str]
    url: pulumi.Output[str]
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]
    rollback_alarm_arns: pulumi.Output[dict[str, str]]
    rollback_alarm_keys: tuple[str, ...]
    alb_security_group_id: pulumi.Output[str]
    service_security_group_id: pulumi.Output[str]
    image_channel: ImageChannel
    alternate_alarm_arns: list[pulumi.Output[str]]
    deployment_strategy: DeploymentStrategy
    alternate_target_group_arn: pulumi.Output[str] | None
    test_listener_arn: pulumi.Output[str] | None
    test_url: pulumi.Output[str] | None
    infrastructure_role_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        if not args.listener.https:
            self._warn_plain_http(name)
        context = self._aws_context()
        task = build_task(name, args, context, parent=self)
        balancer = build_load_balancer(name, args, context, parent=self)
        shift = balancer.traffic_shift
        alarms = rollback_alarms(
            name,
            service_name=args.service_name,
            load_balancer_arn_suffix=balancer.load_balancer.arn_suffix,
            target_group_arn_suffix=balancer.target_group.arn_suffix,
            alternate_target_group_arn_suffix=(
                shift.alternate_target_group.arn_suffix if shift is not None else None
            ),
            options=args.rollback_alarms,
            tags=args.tags,
            parent=self,
        )
        hooks = list(args.lifecycle_hooks)
        if args.smoke_test is not None and shift is not None:
            hooks.append(self._smoke_test(name, args, args.smoke_test, balancer))
        service = self._service(name, args, task, balancer, list(alarms.values()), hooks)
        if args.autoscaling is not None:
            self._autoscaling(name, args, args.autoscaling, service, balancer)
        self._set_outputs(args, service, task, balancer, alarms)

    def _aws_context(self) -> AwsContext:
        """The partition, account and region, read through invokes parented here."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region: pulumi.Output[str] = aws.get_region_output(opts=invoke).region
        return AwsContext(
            partition=partition.partition, account_id=identity.account_id, region=region
        )

    def _warn_plain_http(self, name: str) -> None:
        """Say, on every run, that this service has no TLS."""
        pulumi.log.warn(
            f"FargateService {name} serves plain HTTP on port 80, without TLS "
            "(allow_plain_http=True, no certificate_arn); only for disposable dev stacks.",
            resource=self,
        )

    def _service(
        self,
        name: str,
        args: FargateServiceArgs,
        task: FargateTask,
        balancer: ServiceLoadBalancer,
        alarms: list[aws.cloudwatch.MetricAlarm],
        hooks: Sequence[LifecycleHook],
    ) -> aws.ecs.Service:
        """The ECS service in the private subnets, behind the target group: circuit breaker
        always on, rollback on ``alarms`` when there are any (during a bake too), the
        deployment strategy with its hooks, and the task definition the image channel says it
        runs."""
        strategy = args.capacity.strategy()
        shift = balancer.traffic_shift
        shift_ready: list[pulumi.Resource] = (
            [shift.production_rule, shift.test_rule, shift.infrastructure_policy]
            if shift is not None
            else []
        )
        return aws.ecs.Service(
            f"{name}-service",
            name=args.service_name,
            cluster=args.placement.cluster_arn,
            task_definition=task.image_channel.service_task_definition(task.task_definition.arn),
            desired_count=args.capacity.desired_count,
            launch_type=None if strategy else "FARGATE",
            capacity_provider_strategies=[
                aws.ecs.ServiceCapacityProviderStrategyArgs(
                    capacity_provider=provider, weight=weight, base=base
                )
                for provider, weight, base in strategy
            ]
            or None,
            platform_version="LATEST",
            scheduling_strategy="REPLICA",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=args.placement.private_subnet_ids,
                security_groups=[balancer.service_security_group.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=balancer.target_group.arn,
                    container_name=args.container_name,
                    container_port=args.container_port,
                    advanced_configuration=(
                        aws.ecs.ServiceLoadBalancerAdvancedConfigurationArgs(
                            alternate_target_group_arn=shift.alternate_target_group.arn,
                            production_listener_rule=shift.production_rule.arn,
                            test_listener_rule=shift.test_rule.arn,
                            role_arn=shift.infrastructure_role.arn,
                        )
                        if shift is not None
                        else None
                    ),
                )
            ],
            health_check_grace_period_seconds=args.health_check_grace_period_seconds,
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_configuration=deployment_configuration(args.deployment_strategy, hooks),
            alarms=aws.ecs.ServiceAlarmsArgs(
                alarm_names=[alarm.name for alarm in alarms], enable=True, rollback=True
            )
            if alarms
            else None,
            enable_execute_command=args.enable_execute_command,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Only once CI has deployed: see FargateServiceArgs.wait_for_steady_state.
            wait_for_steady_state=(
                task.image_channel.ci_deployed if args.wait_for_steady_state else False
            ),
            force_new_deployment=False,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                # ECS refuses a target group that no listener of a load balancer uses yet, and
                # the first tasks fail to start while the execution role cannot pull or log, or
                # while their subnets have no route out and no endpoints: then the circuit
                # breaker has no earlier deployment to roll back to.
                depends_on=[
                    *balancer.listeners,
                    *shift_ready,
                    task.execution_policy,
                    *args.placement.egress_ready,
                ],
                ignore_changes=["desiredCount"] if args.autoscaling is not None else None,
                custom_timeouts=service_timeouts(args.deployment_strategy),
            ),
        )

    def _smoke_test(
        self,
        name: str,
        args: FargateServiceArgs,
        options: SmokeTestOptions,
        balancer: ServiceLoadBalancer,
    ) -> LifecycleHook:
        """The service's own smoke-test hook, asking for the service's domain name (its
        certificate names it) or, without one, the load balancer's. The test listener already
        admits the VPC's range, where the function runs."""
        hook = SmokeTestHook(
            f"{name}-smoke-test",
            SmokeTestHookArgs(
                service_name=args.service_name,
                cluster_name=args.placement.cluster_name,
                vpc_id=args.placement.vpc_id,
                subnet_ids=args.placement.private_subnet_ids,
                load_balancer_arn_suffix=balancer.load_balancer.arn_suffix,
                load_balancer_security_group_id=balancer.alb_security_group.id,
                test_listener_port=args.listener.test_port,
                test_listener_host=args.listener.domain_name or balancer.load_balancer.dns_name,
                test_listener_protocol="HTTPS" if args.listener.https else "HTTP",
                health_check_path=args.health_check_path,
                container_name=args.container_name,
                repository_arn=args.repository_arn,
                logging=args.logging,
                protect=args.protect,
                tags=args.tags,
                **asdict(options),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return LifecycleHook(
            hook_target_arn=hook.function_arn,
            role_arn=hook.invoke_role_arn,
            lifecycle_stages=list(LIFECYCLE_STAGES),
            # ECS waits a day for a hook by default; the function ends within its timeout.
            timeout_minutes=math.ceil(options.timeout_seconds / 60) + 1,
        )

    def _autoscaling(
        self,
        name: str,
        args: FargateServiceArgs,
        options: AutoscalingOptions,
        service: aws.ecs.Service,
        balancer: ServiceLoadBalancer,
    ) -> None:
        """The service's scalable target and two target-tracking policies: average CPU and
        ALB requests per target."""
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat(
                "service/", args.placement.cluster_name, "/", service.name
            ),
            min_capacity=options.min_count,
            max_capacity=options.max_count,
            tags=dict(args.tags),
            opts=child,
        )
        requests_label = pulumi.Output.concat(
            balancer.load_balancer.arn_suffix, "/", balancer.target_group.arn_suffix
        )
        metrics: list[tuple[str, str, int, pulumi.Input[str] | None]] = [
            ("cpu", "ECSServiceAverageCPUUtilization", options.cpu_target, None),
            ("requests", "ALBRequestCountPerTarget", options.requests_per_target, requests_label),
        ]
        for kind, metric, target_value, label in metrics:
            aws.appautoscaling.Policy(
                f"{name}-scale-{kind}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": float(target_value),
                    "predefined_metric_specification": {
                        "predefined_metric_type": metric,
                        "resource_label": label,
                    },
                    "scale_in_cooldown": SCALE_IN_COOLDOWN_SECONDS,
                    "scale_out_cooldown": SCALE_OUT_COOLDOWN_SECONDS,
                },
                opts=child,
            )

    def _set_outputs(
        self,
        args: FargateServiceArgs,
        service: aws.ecs.Service,
        task: FargateTask,
        balancer: ServiceLoadBalancer,
        rollback: dict[str, aws.cloudwatch.MetricAlarm],
    ) -> None:
        """Set and register the outputs listed in the class's docstring."""
        load_balancer, target_group = balancer.load_balancer, balancer.target_group
        self.service_name = service.name
        self.service_arn = service.arn
        self.task_family = task.task_definition.family
        self.container_name = pulumi.Output.from_input(args.container_name)
        self.task_definition_arn = task.task_definition.arn
        self.task_role = task.task_role
        self.task_role_arn = task.task_role.arn
        self.task_role_name = task.task_role.name
        self.execution_role_arn = task.execution_role.arn
        self.execution_role_name = task.execution_role.name
        self.load_balancer_arn = load_balancer.arn
        self.load_balancer_dns_name = load_balancer.dns_name
        self.lb_arn_suffix = load_balancer.arn_suffix
        host: pulumi.Input[str] = args.listener.domain_name or load_balancer.dns_name
        self.url = pulumi.Output.concat("https://" if args.listener.https else "http://", host)
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.log_group_name = task.log_group.name
        self.alarm_names = pulumi.Output.all(*[alarm.name for alarm in rollback.values()])
        self.rollback_alarm_keys = tuple(k for k in rollback if k in ROLLBACK_METRICS)
        rollback_keys = self.rollback_alarm_keys
        self.rollback_alarm_arns = pulumi.Output.all(
            *[rollback[key].arn for key in rollback_keys]
        ).apply(lambda arns: dict(zip(rollback_keys, arns, strict=True)))
        self.alternate_alarm_arns = [
            alarm.arn for key, alarm in rollback.items() if key not in ROLLBACK_METRICS
        ]
        shift = balancer.traffic_shift
        self.deployment_strategy = args.deployment_strategy
        self.alternate_target_group_arn = (
            shift.alternate_target_group.arn if shift is not None else None
        )
        self.test_listener_arn = shift.test_listener.arn if shift is not None else None
        self.test_url = (
            pulumi.Output.concat(self.url, ":", str(args.listener.test_port))
            if shift is not None
            else None
        )
        self.infrastructure_role_arn = shift.infrastructure_role.arn if shift is not None else None
        self.alb_security_group_id = balancer.alb_security_group.id
        self.service_security_group_id = balancer.service_security_group.id
        self.image_channel = task.image_channel
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_family": self.task_family,
                "container_name": self.container_name,
                "task_definition_arn": self.task_definition_arn,
                "task_role_arn": self.task_role_arn,
                "task_role_name": self.task_role_name,
                "execution_role_arn": self.execution_role_arn,
                "execution_role_name": self.execution_role_name,
                "load_balancer_arn": self.load_balancer_arn,
                "load_balancer_dns_name": self.load_balancer_dns_name,
                "lb_arn_suffix": self.lb_arn_suffix,
                "url": self.url,
                "target_group_arn": self.target_group_arn,
                "target_group_arn_suffix": self.target_group_arn_suffix,
                "log_group_name": self.log_group_name,
                "alarm_names": self.alarm_names,
                "rollback_alarm_arns": self.rollback_alarm_arns,
                "alb_security_group_id": self.alb_security_group_id,
                "service_security_group_id": self.service_security_group_id,
                "alternate_target_group_arn": self.alternate_target_group_arn,
                "test_listener_arn": self.test_listener_arn,
                "test_url": self.test_url,
                "infrastructure_role_arn": self.infrastructure_role_arn,
            }
        )
