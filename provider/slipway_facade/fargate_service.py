"""``FargateService`` for every Pulumi language, delegating to the Python API's own.

The Python API's union of deployment strategies becomes one input per kind (``canary``,
``linear``, ``blueGreen``; none of them: rolling), and its optional parts that default to "on"
(``rollbackAlarms``, ``accessLogs``) take ``enabled: false`` where the Python API takes None.
"""

from typing import Any, NotRequired, TypedDict

import pulumi

import slipway
from slipway.errors import ConfigError, invalid
from slipway.smoke_test_hook import SmokeTestOptions
from slipway_facade.args import typed_args


class Placement(TypedDict):
    """Where the service runs: its cluster, and the VPC and subnets of its parts."""

    cluster_arn: pulumi.Input[str]
    """ARN of the ECS cluster."""
    cluster_name: pulumi.Input[str]
    """Name of the same cluster (autoscaling addresses the service by it)."""
    vpc_id: pulumi.Input[str]
    """VPC of the subnets."""
    public_subnet_ids: pulumi.Input[list[str]]
    """Subnets of the load balancer, in at least two availability zones."""
    private_subnet_ids: pulumi.Input[list[str]]
    """Subnets of the tasks (no public IP; images are pulled through NAT or endpoints)."""
    vpc_cidr: NotRequired[str]
    """IPv4 range of the VPC, when known before deployment: ``FargateServiceArgs.egress`` networks
    must lie inside it. Default: unknown (not checked)."""
    nat_public_ips: NotRequired[list[pulumi.Input[str]]]
    """The VPC's NAT gateways' public addresses (``Network.nat_public_ips``): with a non-rolling
    strategy the test listener admits them (and ``vpc_cidr``), because clients in the private
    subnets reach the internet-facing ALB's public addresses through NAT. Default: none."""


class Listener(TypedDict):
    """What the load balancer listens on and for whom. HTTPS needs ``certificate_arn`` or"""

    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate of the HTTPS listener; HTTP then redirects to HTTPS. Required unless
    ``hosted_zone_id`` or ``allow_plain_http``. Default: none."""
    hosted_zone_id: NotRequired[str]
    """Route 53 hosted zone of ``domain_name`` (required with it): the service then issues its own
    DNS-validated ACM certificate and points ``domain_name`` at the ALB with an alias record.
    Instead of ``certificate_arn``. Default: none."""
    allow_plain_http: NotRequired[bool]
    """Serve plain HTTP when there is no certificate (dev only); a warning says so. Default:
    false."""
    domain_name: NotRequired[str]
    """Name the certificate covers and DNS points at the ALB, used for the service's ``url``.
    Default: the ALB's own DNS name (which an HTTPS certificate usually does not cover)."""
    ingress_cidrs: NotRequired[list[str]]
    """IPv4 networks the ALB admits on its listener ports. Default: the whole internet."""


class Logging(TypedDict):
    """The service's log group, ``/ecs/<service_name>``, which the container's awslogs"""

    retention_days: NotRequired[int]
    """Retention of the log group; one of CloudWatch's values. Default: 90."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key encrypting the log group (its policy must admit ``logs.<region>.amazonaws.com``).
    Default: CloudWatch's own encryption."""


class CapacityProviderShare(TypedDict):
    """One item of a capacity provider strategy."""

    capacity_provider: str
    """``FARGATE`` or ``FARGATE_SPOT``."""
    base: NotRequired[int]
    """Tasks that always run on this provider before the weights apply. Default: 0."""
    weight: NotRequired[int]
    """Share (0 to 1000) of the tasks above the base. Default: 0."""


class Capacity(TypedDict):
    """How much the service runs: each task's size and architecture, how many tasks, and on"""

    cpu: NotRequired[int]
    """Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256."""
    memory: NotRequired[int]
    """Memory in MiB; must be one Fargate allows with ``cpu``. Default: 512."""
    cpu_architecture: NotRequired[str]
    """``X86_64`` or ``ARM64`` (the image must be built for it). Default: X86_64."""
    desired_count: NotRequired[int]
    """Tasks to run (the initial count under autoscaling), 0 to 100. Default: 2, one per AZ at
    least."""
    capacity_provider_strategy: NotRequired[list[CapacityProviderShare]]
    """Capacity provider strategy items ``{"capacity_provider": "FARGATE"|"FARGATE_SPOT", "weight":
    int, "base": int}``. Default: none, the FARGATE launch type."""


class Autoscaling(TypedDict):
    """Target-tracking autoscaling on CPU and requests per target. Autoscaling then owns the"""

    min_count: NotRequired[int]
    """Fewest tasks (1 ≤ min ≤ ``CapacityOptions.desired_count`` ≤ max ≤ 100). Default: 2."""
    max_count: NotRequired[int]
    """Most tasks. Default: 10."""
    cpu_target: NotRequired[int]
    """Average CPU utilisation (%) autoscaling aims at, 10 to 90. Default: 60."""
    requests_per_target: NotRequired[int]
    """ALB requests per task per minute autoscaling aims at, 1 to 1000000. Default: 1000."""


class EgressRule(TypedDict):
    """One more way out for the service's tasks, beside HTTPS: a TCP or UDP port (or range) to a"""

    protocol: str
    """``tcp`` or ``udp``."""
    from_port: int
    """First port, 1 to 65535."""
    to_port: int
    """Last port, ``from_port`` to 65535 (the same port for one)."""
    destination: str
    """A security group ID, a managed prefix list ID or an IPv4 network in CIDR notation."""


class RollbackAlarms(TypedDict):
    """The deployment-rollback alarms of a :class:`~slipway.fargate_service.FargateService`:"""

    alarm_actions: NotRequired[list[pulumi.Input[str]]]
    """SNS topic ARNs notified when an alarm changes state (alarm and OK). Default: none."""
    target_5xx_threshold: NotRequired[int]
    """Target 5xx responses per minute, three minutes running, that fire the 5xx alarm, 1 to
    100000. Default: 10."""
    enabled: NotRequired[bool]
    """Create the rollback alarms. Default: true."""


class AccessLogs(TypedDict):
    """The load balancer's access logs, in a bucket of their own."""

    retention_days: NotRequired[int]
    """Days S3 keeps each log file, 1 to 3653. Default: 90."""
    enabled: NotRequired[bool]
    """Write the load balancer's access logs. Default: true."""


class WebAcl(TypedDict):
    """A regional WAF web ACL in front of the load balancer."""

    rate_limit: NotRequired[int]
    """Requests one IP may send in five minutes before it is blocked, 10 to 2,000,000,000. Default:
    2000."""


class Canary(TypedDict):
    """``percent`` of production traffic for ``interval_minutes``, then all of it; the old"""

    percent: NotRequired[float]
    """Share of production traffic the canary takes (ECS: 0.1 to 100.0, steps of 0.1). Default:
    10.0."""
    interval_minutes: NotRequired[int]
    """Minutes the canary takes ``percent`` before the rest moves (0 to 1440). Default: 10."""
    bake_minutes: NotRequired[int]
    """Minutes both revisions run after all traffic moved (0 to 1440). Default: 15."""


class Linear(TypedDict):
    """``step_percent`` more production traffic every ``interval_minutes`` until all of it;"""

    step_percent: NotRequired[float]
    """Share of production traffic each step adds (ECS: 3.0 to 100.0, steps of 0.1). Default:
    10.0."""
    interval_minutes: NotRequired[int]
    """Minutes between steps (0 to 1440); none after the last. Default: 6."""
    bake_minutes: NotRequired[int]
    """Minutes both revisions run after all traffic moved (0 to 1440). Default: 15."""


class BlueGreen(TypedDict):
    """All production traffic at once after test traffic; the old (blue) revision stays for"""

    bake_minutes: NotRequired[int]
    """Minutes both revisions run after all traffic moved (0 to 1440). Default: 15."""


class LifecycleHook(TypedDict):
    """A Lambda function ECS invokes at lifecycle stages of a non-rolling deployment; when it"""

    hook_target_arn: pulumi.Input[str]
    """ARN of the Lambda function."""
    role_arn: pulumi.Input[str]
    """ARN of the role ECS assumes to invoke it (trusting ``ecs.amazonaws.com``, allowed
    ``lambda:InvokeFunction`` on the function)."""
    lifecycle_stages: list[str]
    """Stages at which ECS invokes it, from botocore's ``DeploymentLifecycleHookStage`` enum
    (:func:`lifecycle_stages`), e.g. ``POST_TEST_TRAFFIC_SHIFT``."""
    hook_details: NotRequired[dict[str, Any]]
    """A JSON object ECS passes to every invocation. Default: none."""
    timeout_minutes: NotRequired[int]
    """Minutes ECS waits for the hook to resolve before it rolls the deployment back, 1 to 1440
    (the ECS API's ``DeploymentLifecycleHookTimeoutConfiguration``: default 1440 minutes, action
    ``ROLLBACK``). Default: ECS's 24 hours."""


class SmokeTest(TypedDict):
    """How the hook tests (:class:`SmokeTestHookArgs` has the same fields): what a service that"""

    version_field: NotRequired[str]
    """The field of the health answer's JSON object that reports the running version. Default:
    'version'."""
    attempts: NotRequired[int]
    """Rounds of checks before the hook fails, 1 to 20. Default: 6."""
    request_timeout_seconds: NotRequired[int]
    """Seconds one request may take, 1 to 30. Default: 5."""
    retry_interval_seconds: NotRequired[int]
    """Seconds between rounds, 1 to 60. Default: 10."""
    timeout_seconds: NotRequired[int]
    """The function's timeout: must hold every round, at most 900. Default: 180."""


class FargateServiceArgs(TypedDict):
    """Arguments of :class:`FargateService`. Every default is the secure choice."""

    service_name: str
    """ECS service name; also the task family, the log group (``/ecs/<name>``) and the alarm names'
    start. Letters, digits, '-' and '_', at most 255."""
    placement: Placement
    """The cluster, VPC and subnets."""
    listener: Listener
    """HTTPS certificate (or plain HTTP in dev), domain name and who may connect."""
    image_channel_prefix: str
    """SSM path of the service's image channel, e.g. ``/slipway/storefront/prod/image-channel``."""
    bootstrap_image: pulumi.Input[str]
    """Image (tag or digest) of the first task definition, before CI has deployed; it must answer
    the health check on ``container_port``, e.g. ``<repository-url>:bootstrap``."""
    repository_arn: NotRequired[pulumi.Input[str]]
    """ECR repository the execution role may pull from. Exactly one of this and
    ``repository_credentials_secret_arn``. Default: none."""
    repository_credentials_secret_arn: NotRequired[pulumi.Input[str]]
    """GHCR mode: Secrets Manager secret (``{"username","password"}``) for a private registry; the
    execution role may read exactly this secret and no ECR permission is granted. Default: none."""
    container_name: NotRequired[str]
    """Name of the application container (the deploy workflow's ``ECS_CONTAINER_NAME``). Default:
    'app'."""
    container_port: NotRequired[int]
    """Port the application listens on, 1024 to 65535 (a non-root user without capabilities cannot
    bind lower ports). Default: 3000."""
    user: NotRequired[str]
    """User (and optional group) the container runs as; never root. Default: ``1000``."""
    health_check_path: NotRequired[str]
    """Path that answers 200-399 when the application is healthy (ALB and container checks).
    Default: '/'."""
    health_check_command: NotRequired[list[str]]
    """Container health check command (``CMD``/``CMD-SHELL`` first). Default: a Node.js one-liner
    that fetches ``http://127.0.0.1:<container_port><health_check_path>``."""
    health_check_grace_period_seconds: NotRequired[int]
    """Seconds ECS ignores failing load balancer health checks of a new task, 0 to 3600; also the
    container check's start period (capped at 300). Default: 60."""
    environment: NotRequired[dict[str, str]]
    """Plain environment variables. Names that look secret (``*_PASSWORD``, ``*_TOKEN``…) are
    refused: pass those through ``secrets``. Default: none."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment name to Secrets Manager secret ARN (optionally ``:json-key::``), injected by ECS
    at start; the execution role may read exactly these secrets. Default: none."""
    secret_kms_key_arns: NotRequired[list[pulumi.Input[str]]]
    """Customer-managed keys of those secrets; the execution role may decrypt with them only
    through Secrets Manager. Default: none (secrets under the AWS-managed key)."""
    deletion_protection: NotRequired[bool]
    """ALB deletion protection. Default: on (turn it off for disposable stacks)."""
    deregistration_delay_seconds: NotRequired[int]
    """Connection draining before a task leaves the target group, 0 to 3600. Default: 30."""
    enable_execute_command: NotRequired[bool]
    """Allow ECS Exec into tasks: grants the task role the SSM channel actions and mounts writable
    volumes at /var/lib/amazon and /var/log/amazon for the agent (the root filesystem stays
    read-only). Break-glass only. Default: off."""
    logging: NotRequired[Logging]
    """The service's log group. Default: 90 days, CloudWatch's own encryption."""
    capacity: NotRequired[Capacity]
    """Task size, count and capacity providers. Default: 256 CPU units, 512 MiB, X86_64, two tasks
    on the FARGATE launch type."""
    autoscaling: NotRequired[Autoscaling]
    """Target-tracking autoscaling. Default: none (a fixed count)."""
    egress: NotRequired[list[EgressRule]]
    """Ways out for the tasks beside HTTPS (databases, caches): each a port or range to a security
    group, a managed prefix list or a network of the VPC (inside ``PlacementOptions.vpc_cidr``
    when that is given). Default: HTTPS only."""
    guardduty_runtime_monitoring: NotRequired[bool]
    """Let the task execution role pull GuardDuty's Fargate security agent (``aws-guardduty-agent-
    fargate``), which GuardDuty Runtime Monitoring adds to every task of the account once its
    automated agent management for Fargate is on (see
    :class:`~slipway.threat_detection.ThreatDetection`). Without it those tasks' agent cannot
    start and GuardDuty reports them unprotected. Default: on."""
    wait_for_steady_state: NotRequired[bool]
    """Make ``pulumi up`` follow a deployment it starts (a task-definition change) until it
    succeeds, so one that cannot start fails the update (pulumi_aws 7.51.1 ``ecs.Service``
    ``wait_for_steady_state``). The provider follows the deployment with
    ``DescribeServiceDeployments`` and fails on STOPPED, ROLLBACK_FAILED or ROLLBACK_SUCCESSFUL
    (terraform-provider-aws ``internal/service/ecs/service.go``, ``waitServiceStable``). It
    waits only once the image channel holds a record CI wrote
    (:func:`~slipway.image_channel.ci_has_deployed`): before that, on the first ``pulumi up``,
    the image CI builds may not exist yet and the application's secrets may be empty, so the
    first deployment cannot succeed until CI's first deploy, and waiting for it would fail the
    ``up`` before the service's dependants exist. The service's create and update timeouts come
    from ``deployment_strategy``
    (:func:`~slipway.deployment_strategy.steady_state_timeout_minutes`), so the wait outlasts a
    canary's bake. It never waits for CI's deployments. Default: off."""
    rollback_alarms: NotRequired[RollbackAlarms]
    """Create ``<service>-target-5xx`` and ``<service>-unhealthy-hosts`` alarms and roll a
    deployment back when either fires; ``None`` for none. With a non-rolling strategy, the same
    two alarms on the alternate target group too (``…-alternate``), so the new revision's errors
    roll it back during its test traffic, its traffic shift and its bake. Default: on, notifying
    nobody."""
    canary: NotRequired[Canary]
    """Deploy with ECS's canary strategy. At most one of ``canary``, ``linear`` and
    ``blueGreen``. Default: none of them, a rolling deployment."""
    linear: NotRequired[Linear]
    """Deploy with ECS's linear strategy. Default: rolling."""
    blue_green: NotRequired[BlueGreen]
    """Deploy with ECS's blue/green strategy. Default: rolling."""
    lifecycle_hooks: NotRequired[list[LifecycleHook]]
    """Lambda functions ECS invokes at lifecycle stages of a non-rolling deployment (for example
    smoke tests against the test listener at ``POST_TEST_TRAFFIC_SHIFT``); a failing hook rolls
    the deployment back. Default: none."""
    smoke_test: NotRequired[SmokeTest]
    """Give the service its own smoke-test hook (:class:`~slipway.smoke_test_hook.SmokeTestHook`, a
    child of the service): after test traffic reaches the new revision
    (``POST_TEST_TRAFFIC_SHIFT``), it checks ``health_check_path`` through the test listener and
    the version answering, and fails the deployment, so ECS rolls back, before production
    traffic moves. Needs a non-rolling strategy. Default: none."""
    access_logs: NotRequired[AccessLogs]
    """Write the ALB's access logs to a bucket of the service's own (SSE-S3, TLS only, versioned,
    expiring after ``retention_days``; :mod:`slipway.edge`). Default: on, kept 90 days; None
    turns them off."""
    web_acl: NotRequired[WebAcl]
    """Put a regional WAF web ACL in front of the ALB: a per-IP rate limit and AWS's common and
    known-bad-inputs managed rules (:mod:`slipway.edge`). Default: none."""
    protect: NotRequired[bool]
    """Protect and retain the log group, the access logs' bucket and the image channel's deployed
    record; protect the certificate and alias record made with ``hosted_zone_id``. On in prod.
    Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


STRATEGIES: dict[str, Any] = {
    "canary": slipway.CanaryStrategy,
    "linear": slipway.LinearStrategy,
    "blue_green": slipway.BlueGreenStrategy,
}
"""Each strategy input, with the Python API's class it builds."""


def _optional_part(build: Any) -> Any:
    """``build(**given)``, or None (the part is off) when ``given`` says ``enabled: false``."""

    def convert(given: dict[str, Any]) -> Any:
        options = {key: value for key, value in given.items() if key != "enabled"}
        return build(**options) if given.get("enabled", True) else None

    return convert


def _strategy(args: FargateServiceArgs) -> dict[str, Any]:
    """The Python API's ``deployment_strategy`` from the one strategy input given, if any."""
    chosen = [key for key in STRATEGIES if key in args]
    if len(chosen) > 1:
        raise ConfigError(
            invalid(
                "FargateServiceArgs." + " and ".join(chosen),
                "both" if len(chosen) == 2 else "all three",
                "at most one of canary, linear and blueGreen (none: rolling)",
            )
        )
    given: dict[str, Any] = dict(args)
    if not chosen:
        return {}
    return {"deployment_strategy": STRATEGIES[chosen[0]](**given[chosen[0]])}


CONVERT: dict[str, Any] = {
    "placement": lambda given: slipway.PlacementOptions(**given),
    "listener": lambda given: slipway.ListenerOptions(**given),
    "logging": lambda given: slipway.LoggingOptions(**given),
    "capacity": lambda given: slipway.CapacityOptions(**given),
    "autoscaling": lambda given: slipway.AutoscalingOptions(**given),
    "egress": lambda rules: [slipway.EgressRule(**rule) for rule in rules],
    "rollback_alarms": _optional_part(slipway.RollbackAlarmOptions),
    "access_logs": _optional_part(slipway.AccessLogOptions),
    "web_acl": lambda given: slipway.WebAclOptions(**given),
    "lifecycle_hooks": lambda hooks: [slipway.LifecycleHook(**hook) for hook in hooks],
    "smoke_test": lambda given: SmokeTestOptions(**given),
}


class FargateService(pulumi.ComponentResource):
    """An ECS service on Fargate behind an ALB, with its task definition, roles, logs, image
    channel, rollback alarms and (optionally) autoscaling."""

    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    task_family: pulumi.Output[str]
    """Family of the task definition."""
    container_name: pulumi.Output[str]
    """Name of the application container."""
    task_definition_arn: pulumi.Output[str]
    """ARN of the task definition Pulumi registered."""
    task_role_arn: pulumi.Output[str]
    """ARN of the task role (attach the application's own policies to it)."""
    task_role_name: pulumi.Output[str]
    """Name of the task role."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the execution role."""
    execution_role_name: pulumi.Output[str]
    """Name of the execution role."""
    load_balancer_arn: pulumi.Output[str]
    """ARN of the load balancer."""
    load_balancer_dns_name: pulumi.Output[str]
    """DNS name of the load balancer."""
    lb_arn_suffix: pulumi.Output[str]
    """The load balancer's ARN suffix (CloudWatch's ``LoadBalancer`` dimension)."""
    url: pulumi.Output[str]
    """URL of the service."""
    target_group_arn: pulumi.Output[str]
    """ARN of the production target group."""
    target_group_arn_suffix: pulumi.Output[str]
    """The target group's ARN suffix (CloudWatch's ``TargetGroup`` dimension)."""
    log_group_name: pulumi.Output[str]
    """Log group of the application container."""
    alarm_names: pulumi.Output[list[str]]
    """Names of the rollback alarms."""
    rollback_alarm_arns: pulumi.Output[dict[str, str]]
    """Rollback alarm key to ARN (for ``ServiceMonitoring``'s ``existingAlarms``)."""
    alternate_alarm_arns: pulumi.Output[list[str]]
    """Rollback alarms on the alternate target group (``ServiceMonitoring``'s
    ``otherAlarmArns``)."""
    alb_security_group_id: pulumi.Output[str]
    """Security group of the load balancer."""
    service_security_group_id: pulumi.Output[str]
    """Security group of the tasks."""
    image_channel_parameter_arns: pulumi.Output[list[str]]
    """ARNs of the image channel's SSM parameters (for the deploy role)."""
    deployed_image_parameter_name: pulumi.Output[str]
    """Name of the SSM parameter that holds the image CI deployed."""
    alternate_target_group_arn: pulumi.Output[str] | None
    """ARN of the alternate target group; absent with a rolling deployment."""
    test_listener_arn: pulumi.Output[str] | None
    """ARN of the test listener; absent with a rolling deployment."""
    test_url: pulumi.Output[str] | None
    """URL of the test listener; absent with a rolling deployment."""
    infrastructure_role_arn: pulumi.Output[str] | None
    """ARN of ECS's infrastructure role for load balancers; absent with a rolling deployment."""

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:FargateService", name, None, opts)
        given = {key: value for key, value in args.items() if key not in STRATEGIES}
        inner = slipway.FargateService(
            name,
            typed_args(slipway.FargateServiceArgs, {**given, **_strategy(args)}, CONVERT),
            pulumi.ResourceOptions(parent=self),
        )
        self.service_name = inner.service_name
        self.service_arn = inner.service_arn
        self.task_family = inner.task_family
        self.container_name = inner.container_name
        self.task_definition_arn = inner.task_definition_arn
        self.task_role_arn = inner.task_role_arn
        self.task_role_name = inner.task_role_name
        self.execution_role_arn = inner.execution_role_arn
        self.execution_role_name = inner.execution_role_name
        self.load_balancer_arn = inner.load_balancer_arn
        self.load_balancer_dns_name = inner.load_balancer_dns_name
        self.lb_arn_suffix = inner.lb_arn_suffix
        self.url = inner.url
        self.target_group_arn = inner.target_group_arn
        self.target_group_arn_suffix = inner.target_group_arn_suffix
        self.log_group_name = inner.log_group_name
        self.alarm_names = inner.alarm_names
        self.rollback_alarm_arns = inner.rollback_alarm_arns
        self.alternate_alarm_arns = pulumi.Output.all(*inner.alternate_alarm_arns).apply(list)
        self.alb_security_group_id = inner.alb_security_group_id
        self.service_security_group_id = inner.service_security_group_id
        self.image_channel_parameter_arns = inner.image_channel.parameter_arns
        self.deployed_image_parameter_name = inner.image_channel.deployed_parameter_name
        self.alternate_target_group_arn = inner.alternate_target_group_arn
        self.test_listener_arn = inner.test_listener_arn
        self.test_url = inner.test_url
        self.infrastructure_role_arn = inner.infrastructure_role_arn
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "task_definition_arn": self.task_definition_arn,
                "url": self.url,
                "rollback_alarm_arns": self.rollback_alarm_arns,
                "image_channel_parameter_arns": self.image_channel_parameter_arns,
            }
        )
