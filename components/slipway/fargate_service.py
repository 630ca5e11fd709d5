"""``FargateService``: an ECS service on Fargate behind an Application Load Balancer.

What it builds, and why:

* A task definition (awsvpc, FARGATE) whose application container runs as a non-root user on
  a read-only root filesystem with a writable ``/tmp`` volume, drops every Linux capability,
  has an init process, a container health check and awslogs to its own log group. Secrets
  come from Secrets Manager through ``secrets`` (``valueFrom``), never as plain environment.
* An execution role that may read exactly the given secrets (and decrypt them through
  Secrets Manager with the given keys), write to the service's log group and pull from the
  given ECR repository, or read the given registry-credentials secret in GHCR mode. A task
  role, empty, for the application's own permissions (``task_role``).
* An internet-facing ALB in the public subnets: HTTPS (TLS 1.3/1.2 policy) with HTTP
  redirected to it, or plain HTTP only when explicitly allowed (dev). Its security group is
  the only place open to the world; the service's only admits the ALB on the container port.
* The service in the private subnets (no public IP), with the deployment circuit breaker
  (rollback) always on, optional CloudWatch-alarm rollback and target-tracking autoscaling.
* The image comes through an :class:`~slipway.image_channel.ImageChannel`: Pulumi owns
  the task definition's shape, CI the image it runs, and neither undoes the other.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document
from slipway.image_channel import (
    IMAGE_PLACEHOLDER,
    PARAMETER_PREFIX_ALLOWED,
    SHAPE_TAG,
    ImageChannel,
    ImageChannelArgs,
    is_image_reference,
    is_parameter_prefix,
    shape_of,
)
from slipway.logs import log_group, retention_problems
from slipway.monitoring import TARGET_5XX_ALARM, UNHEALTHY_HOSTS_ALARM
from slipway.patterns import ACM_CERTIFICATE_ARN, KMS_KEY_ARN
from slipway.registry import PULL_ACTIONS

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
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 with forward-secret ciphers only."""
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
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

SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
"""An environment variable name: letters, digits and '_', not starting with a digit, at most
255 characters. Checked only through :func:`env_name_problems`."""
SECRET_ISH = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY|CREDENTIALS?)(?:_|$)"
)
"""Plain environment names that look like they carry a secret."""
SECRET_ARN = re.compile(
    r"^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)"
    r"(?::[^:]*:[^:]*:[^:]*)?$"
)
"""A Secrets Manager secret ARN, optionally with ECS's ``:json-key:version-stage:version-id``."""
ECR_REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/-]+$")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
USER = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?$")
HEALTH_CHECK_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/%-]{0,1023}$")
DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_name_problems(name: object, setting: str) -> list[str]:
    """The one rule for the service's DNS name (:data:`DOMAIN_NAME`)."""
    if isinstance(name, str) and DOMAIN_NAME.match(name):
        return []
    return [invalid(setting, name, "a lower-case DNS name such as shop.example.com")]


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


def fargate_size_problems(
    cpu: int,
    memory: int,
    cpu_name: str = "FargateServiceArgs.cpu",
    memory_name: str = "FargateServiceArgs.memory",
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


def container_port_problems(
    port: object, setting: str = "FargateServiceArgs.container_port"
) -> list[str]:
    """The one rule for the application's port: 1024 to 65535, because the container runs
    without root and without capabilities, so it cannot bind a privileged port."""
    if isinstance(port, int) and not isinstance(port, bool) and 1024 <= port <= 65535:
        return []
    return [
        invalid(
            setting,
            port,
            "1024 to 65535 (the container runs without root and without capabilities)",
        )
    ]


MAX_TASKS = 100
"""Most tasks a Slipway service runs (and autoscaling may start)."""


def desired_count_problems(
    count: object,
    setting: str = "FargateServiceArgs.desired_count",
    *,
    minimum: int = 0,
    reason: str = "",
) -> list[str]:
    """The one range rule for a service's desired task count: ``minimum`` (0, a service scaled
    to nothing, unless the caller needs more) to :data:`MAX_TASKS`.

    ``setting`` is how the caller's user spells the value (``slipway:desiredCount``);
    ``reason`` says why a ``minimum`` above 0 applies.
    """
    if isinstance(count, int) and not isinstance(count, bool) and minimum <= count <= MAX_TASKS:
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


def task_count_problems(
    min_count: int,
    desired_count: int,
    max_count: int,
    names: tuple[str, str, str] = (
        "FargateServiceArgs.min_count",
        "FargateServiceArgs.desired_count",
        "FargateServiceArgs.max_count",
    ),
) -> list[str]:
    """Problems with autoscaling's bounds: ``1 <= min <= desired <= max <= 100``.

    ``names`` are how the caller's user spells minimum, desired and maximum (the stack settings
    pass ``slipway:minCount``, ``slipway:desiredCount`` and ``slipway:maxCount``). A minimum
    above the maximum is reported alone: it is the mistake, whatever the desired count.
    """
    low, desired, high = names
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


def _strings(value: Any) -> list[str] | None:
    """The plain strings of a list input, or None when it is (or holds) an Output."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _provider_strategy(item: Mapping[str, Any]) -> tuple[str, int, int]:
    provider = item.get("capacity_provider", item.get("capacityProvider"))
    return str(provider), int(item.get("weight", 0)), int(item.get("base", 0))


@dataclass(frozen=True)
class FargateServiceArgs:
    """Arguments of :class:`FargateService`. Every default is the secure choice."""

    service_name: str
    """ECS service name; also the task family, the log group (``/ecs/<name>``) and the alarm
    names' start. Letters, digits, '-' and '_', at most 255."""
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
    cpu: int = 256
    """Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256."""
    memory: int = 512
    """Memory in MiB; must be one Fargate allows with ``cpu``. Default: 512."""
    cpu_architecture: str = "X86_64"
    """``X86_64`` or ``ARM64`` (the image must be built for it). Default: X86_64."""
    user: str = "1000"
    """User (and optional group) the container runs as; never root. Default: ``1000``."""
    health_check_path: str = "/"
    """Path that answers 200-399 when the application is healthy (ALB and container checks)."""
    health_check_command: Sequence[str] | None = None
    """Container health check command (``CMD``/``CMD-SHELL`` first). Default: a Node.js
    one-liner that fetches ``http://127.0.0.1:<container_port><health_check_path>``."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables. Names that look secret (``*_PASSWORD``, ``*_TOKEN``…) are
    refused: pass those through ``secrets``."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment name to Secrets Manager secret ARN (optionally ``:json-key::``), injected
    by ECS at start; the execution role may read exactly these secrets."""
    secret_kms_key_arns: Sequence[pulumi.Input[str]] = ()
    """Customer-managed keys of those secrets; the execution role may decrypt with them only
    through Secrets Manager. Default: none (secrets under the AWS-managed key)."""
    log_retention_days: int = 90
    """Retention of the service's log group; one of CloudWatch's values. Default: 90."""
    log_kms_key_arn: pulumi.Input[str] | None = None
    """Key encrypting the log group (its policy must admit ``logs.<region>.amazonaws.com``).
    Default: CloudWatch's own encryption."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the HTTPS listener; HTTP then redirects to HTTPS. Required unless
    ``allow_plain_http``."""
    allow_plain_http: bool = False
    """Serve plain HTTP when there is no certificate (dev only); a warning says so."""
    domain_name: str | None = None
    """Name the certificate covers and DNS points at the ALB, used for ``url``. Default: the
    ALB's own DNS name (which an HTTPS certificate usually does not cover)."""
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """IPv4 networks the ALB admits on its listener ports. Default: the whole internet."""
    deletion_protection: bool = True
    """ALB deletion protection. Default: on (turn it off for disposable stacks)."""
    deregistration_delay_seconds: int = 30
    """Connection draining before a task leaves the target group, 0 to 3600. Default: 30."""
    health_check_grace_period_seconds: int = 60
    """Seconds ECS ignores failing load balancer health checks of a new task, 0 to 3600; also
    the container check's start period (capped at 300). Default: 60."""
    desired_count: int = 2
    """Tasks to run (the initial count under autoscaling), 0 to 100. Default: 2, one per AZ
    at least."""
    capacity_provider_strategy: Sequence[Mapping[str, Any]] = ()
    """Capacity provider strategy items ``{"capacity_provider": "FARGATE"|"FARGATE_SPOT",
    "weight": int, "base": int}``. Default: none, the FARGATE launch type."""
    enable_execute_command: bool = False
    """Allow ECS Exec into tasks: grants the task role the SSM channel actions and mounts
    writable volumes at /var/lib/amazon and /var/log/amazon for the agent (the root
    filesystem stays read-only). Break-glass only. Default: off."""
    alarm_rollback: bool = True
    """Create ``<service>-target-5xx`` and ``<service>-unhealthy-hosts`` alarms and roll a
    deployment back when either fires. Default: on."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """SNS topic ARNs notified when an alarm changes state (alarm and OK). Default: none."""
    target_5xx_threshold: int = 10
    """Target 5xx responses per minute, three minutes running, that fire the 5xx alarm."""
    autoscaling: bool = False
    """Target-tracking autoscaling on CPU and requests per target. Default: off (fixed count).
    When on, autoscaling owns the desired count and Pulumi never reverts it."""
    min_count: int = 2
    """Fewest tasks under autoscaling (1 ≤ min ≤ desired ≤ max ≤ 100)."""
    max_count: int = 10
    """Most tasks under autoscaling."""
    cpu_target: int = 60
    """Average CPU utilisation (%) autoscaling aims at, 10 to 90."""
    requests_per_target: int = 1000
    """ALB requests per task per minute autoscaling aims at, 1 to 1000000."""
    protect: bool = False
    """Protect and retain the log group and the image channel's deployed record. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        n = "FargateServiceArgs."

        def check(ok: bool, name: str, value: object, allowed: str) -> None:
            if not ok:
                problems.append(invalid(n + name, value, allowed))

        check(
            bool(SERVICE_NAME.match(self.service_name)),
            "service_name",
            self.service_name,
            "1 to 255 letters, digits, '-' and '_', starting with a letter or digit",
        )
        if isinstance(self.cluster_name, str):
            check(bool(self.cluster_name), "cluster_name", self.cluster_name, "a cluster name")
        if isinstance(self.vpc_id, str):
            check(bool(VPC_ID.match(self.vpc_id)), "vpc_id", self.vpc_id, "a VPC ID (vpc-…)")
        public = _strings(self.public_subnet_ids)
        if public is not None:
            check(
                len(public) >= 2 and all(SUBNET_ID.match(s) for s in public),
                "public_subnet_ids",
                public,
                "two or more subnet IDs (subnet-…), in different availability zones",
            )
        private = _strings(self.private_subnet_ids)
        if private is not None:
            check(
                len(private) >= 1 and all(SUBNET_ID.match(s) for s in private),
                "private_subnet_ids",
                private,
                "one or more subnet IDs (subnet-…); two or more for availability",
            )
        check(
            is_parameter_prefix(self.image_channel_prefix),
            "image_channel_prefix",
            self.image_channel_prefix,
            PARAMETER_PREFIX_ALLOWED,
        )
        if isinstance(self.bootstrap_image, str):
            check(
                is_image_reference(self.bootstrap_image),
                "bootstrap_image",
                self.bootstrap_image,
                "an image reference with a tag or digest, e.g. <repository-url>:bootstrap",
            )
        if (self.repository_arn is None) == (self.repository_credentials_secret_arn is None):
            problems.append(
                invalid(
                    n + "repository_arn",
                    self.repository_arn,
                    "exactly one of repository_arn (ECR) and repository_credentials_secret_arn "
                    "(GHCR) must be set",
                )
            )
        if isinstance(self.repository_arn, str):
            check(
                bool(ECR_REPOSITORY_ARN.match(self.repository_arn)),
                "repository_arn",
                self.repository_arn,
                "an ECR repository ARN",
            )
        if isinstance(self.repository_credentials_secret_arn, str):
            check(
                bool(SECRET_ARN.match(self.repository_credentials_secret_arn)),
                "repository_credentials_secret_arn",
                self.repository_credentials_secret_arn,
                "a Secrets Manager secret ARN",
            )
        check(
            bool(CONTAINER_NAME.match(self.container_name)),
            "container_name",
            self.container_name,
            "1 to 255 letters, digits, '-' and '_'",
        )
        problems.extend(container_port_problems(self.container_port, n + "container_port"))
        problems.extend(fargate_size_problems(self.cpu, self.memory))
        check(
            self.cpu_architecture in CPU_ARCHITECTURES,
            "cpu_architecture",
            self.cpu_architecture,
            " or ".join(CPU_ARCHITECTURES),
        )
        user = USER.match(self.user)
        root = user is not None and bool({user.group(1), user.group(2)} & {"0", "root"})
        check(
            user is not None and not root,
            "user",
            self.user,
            "a non-root user and optional group, e.g. 1000 or 1000:1000 (never 0 or root)",
        )
        check(
            bool(HEALTH_CHECK_PATH.match(self.health_check_path)),
            "health_check_path",
            self.health_check_path,
            "a URL path starting with '/', at most 1024 characters",
        )
        if self.health_check_command is not None:
            command = list(self.health_check_command)
            check(
                len(command) >= 2 and command[0] in ("CMD", "CMD-SHELL"),
                "health_check_command",
                command,
                "'CMD' or 'CMD-SHELL' followed by the command",
            )
        problems.extend(env_name_problems(self.environment, n + "environment"))
        problems.extend(secret_looking_problems(self.environment))
        not_text = sorted(k for k, v in self.environment.items() if not isinstance(v, str))
        check(not not_text, "environment", not_text, "string values")
        problems.extend(env_name_problems(self.secrets, n + "secrets"))
        bad_arns = sorted(
            k for k, v in self.secrets.items() if isinstance(v, str) and not SECRET_ARN.match(v)
        )
        check(not bad_arns, "secrets", bad_arns, "Secrets Manager secret ARNs as values")
        collisions = sorted(set(self.environment) & set(self.secrets))
        check(
            not collisions,
            "environment",
            collisions,
            "names that are not also in secrets (a secret must never have a plain twin)",
        )
        bad_keys = [
            k for k in self.secret_kms_key_arns if isinstance(k, str) and not KMS_KEY_ARN.match(k)
        ]
        check(not bad_keys, "secret_kms_key_arns", bad_keys, "KMS key ARNs")
        if isinstance(self.log_kms_key_arn, str):
            check(
                bool(KMS_KEY_ARN.match(self.log_kms_key_arn)),
                "log_kms_key_arn",
                self.log_kms_key_arn,
                "a KMS key ARN",
            )
        problems.extend(retention_problems(self.log_retention_days, n + "log_retention_days"))
        if self.certificate_arn is None:
            check(
                self.allow_plain_http,
                "certificate_arn",
                None,
                "an ACM certificate ARN; plain HTTP needs allow_plain_http=True (dev only)",
            )
        elif isinstance(self.certificate_arn, str):
            check(
                bool(ACM_CERTIFICATE_ARN.match(self.certificate_arn)),
                "certificate_arn",
                self.certificate_arn,
                "an ACM certificate ARN",
            )
        if self.domain_name is not None:
            problems.extend(domain_name_problems(self.domain_name, n + "domain_name"))
        bad_cidrs = []
        for cidr in self.ingress_cidrs:
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                bad_cidrs.append(cidr)
        check(
            bool(self.ingress_cidrs) and not bad_cidrs,
            "ingress_cidrs",
            list(self.ingress_cidrs),
            "one or more IPv4 networks in CIDR notation, e.g. 0.0.0.0/0 or 203.0.113.0/24",
        )
        check(
            0 <= self.deregistration_delay_seconds <= 3600,
            "deregistration_delay_seconds",
            self.deregistration_delay_seconds,
            "0 to 3600",
        )
        check(
            0 <= self.health_check_grace_period_seconds <= 3600,
            "health_check_grace_period_seconds",
            self.health_check_grace_period_seconds,
            "0 to 3600",
        )
        problems.extend(desired_count_problems(self.desired_count, n + "desired_count"))
        self._check_capacity_providers(check)
        bad_topics = [
            a for a in self.alarm_actions if isinstance(a, str) and not SNS_TOPIC_ARN.match(a)
        ]
        check(not bad_topics, "alarm_actions", bad_topics, "SNS topic ARNs")
        check(
            1 <= self.target_5xx_threshold <= 100000,
            "target_5xx_threshold",
            self.target_5xx_threshold,
            "1 to 100000",
        )
        if self.autoscaling:
            problems.extend(task_count_problems(self.min_count, self.desired_count, self.max_count))
        check(10 <= self.cpu_target <= 90, "cpu_target", self.cpu_target, "10 to 90 (%)")
        check(
            1 <= self.requests_per_target <= 1_000_000,
            "requests_per_target",
            self.requests_per_target,
            "1 to 1000000",
        )
        if problems:
            raise ConfigError(problems)

    def _check_capacity_providers(self, check: Any) -> None:
        try:
            items = [_provider_strategy(item) for item in self.capacity_provider_strategy]
        except (TypeError, ValueError):
            items = None
        ok = items is not None and (
            not items
            or (
                all(p in CAPACITY_PROVIDERS for p, _, _ in items)
                and len({p for p, _, _ in items}) == len(items)
                and all(0 <= w <= 1000 and 0 <= b <= 100000 for _, w, b in items)
                and any(w > 0 for _, w, _ in items)
                and sum(1 for _, _, b in items if b > 0) <= 1
            )
        )
        check(
            ok,
            "capacity_provider_strategy",
            list(self.capacity_provider_strategy),
            "items {'capacity_provider': 'FARGATE' or 'FARGATE_SPOT', 'weight': 0-1000, "
            "'base': 0-100000}, each provider once, some weight above 0, at most one base",
        )


# --------------------------------------------------------------------------------------------
# Documents and definitions (plain data; ARNs may be Outputs inside IAM statements)
# --------------------------------------------------------------------------------------------


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


def execution_role_statements(
    *,
    log_group_arn: pulumi.Input[str],
    secret_arns: Sequence[pulumi.Input[str]],
    kms_key_arns: Sequence[pulumi.Input[str]],
    repository_arn: pulumi.Input[str] | None,
    region: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """The execution role's permissions: this log group, these secrets, this repository."""
    statements = [
        allow(
            "WriteServiceLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [log_group_arn, pulumi.Output.concat(log_group_arn, ":log-stream:*")],
        )
    ]
    if repository_arn is not None:
        statements += [
            # GetAuthorizationToken has no resource-level permissions: "*" is required.
            allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
            allow("EcrPull", PULL_ACTIONS, [repository_arn]),
        ]
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
                "StringEquals": {
                    "kms:ViaService": pulumi.Output.concat(
                        "secretsmanager.", region, ".amazonaws.com"
                    )
                }
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
        alarm_names: Names of the rollback alarms (empty without ``alarm_rollback``).
        rollback_alarm_arns: Alarm key to the rollback alarm's ARN, keyed like
            :class:`~slipway.monitoring.ServiceMonitoring`'s alarms on the same metrics
            (:data:`~slipway.monitoring.TARGET_5XX_ALARM`,
            :data:`~slipway.monitoring.UNHEALTHY_HOSTS_ALARM`); empty without
            ``alarm_rollback``. They notify ``alarm_actions``: pass them to
            ``ServiceMonitoringArgs.existing_alarms`` so one incident does not page twice.
        rollback_alarm_keys: The keys of ``rollback_alarm_arns`` as a plain tuple, known
            before deployment (``()`` without ``alarm_rollback``), to build
            ``existing_alarms`` from: ``{k: rollback_alarm_arns[k] for k in
            rollback_alarm_keys}``.
        alb_security_group_id / service_security_group_id: The two security groups; add
            rules to the service's to reach databases and caches.
        image_channel: The :class:`~slipway.image_channel.ImageChannel`.
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

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        region: pulumi.Output[str] = aws.get_region_output(opts=invoke).region
        https = args.certificate_arn is not None
        if not https:
            pulumi.log.warn(
                f"FargateService {name} serves plain HTTP on port 80, without TLS "
                "(allow_plain_http=True, no certificate_arn); only for disposable dev stacks.",
                resource=self,
            )

        logs = log_group(
            f"{name}-logs",
            parent=self,
            log_group_name=f"/ecs/{args.service_name}",
            retention_days=args.log_retention_days,
            kms_key_arn=args.log_kms_key_arn,
            protect=args.protect,
            tags=tags,
        )

        # --- roles ------------------------------------------------------------------------
        account = identity.account_id
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            description=f"ECS pulls the image, reads the secrets and ships the logs of "
            f"{args.service_name}",
            assume_role_policy=ecs_tasks_trust_policy(
                partition.partition, account, region, source_arn=False
            ),
            tags=tags,
            opts=child,
        )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            description=f"What the application {args.service_name} itself may do",
            assume_role_policy=ecs_tasks_trust_policy(
                partition.partition, account, region, source_arn=True
            ),
            tags=tags,
            opts=child,
        )
        readable = list(args.secrets.values())
        if args.repository_credentials_secret_arn is not None:
            readable.append(args.repository_credentials_secret_arn)
        execution_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.name,
            policy=policy_document(
                execution_role_statements(
                    log_group_arn=logs.arn,
                    secret_arns=readable,
                    kms_key_arns=args.secret_kms_key_arns,
                    repository_arn=args.repository_arn,
                    region=region,
                )
            ),
            opts=child,
        )
        if args.enable_execute_command:
            aws.iam.RolePolicy(
                f"{name}-task-execute-command",
                role=task_role.name,
                policy=policy_document(
                    # ECS Exec's channel actions have no resource-level permissions.
                    [allow("EcsExecChannels", EXECUTE_COMMAND_ACTIONS, "*")]
                ),
                opts=child,
            )

        # --- task definition and image channel --------------------------------------------
        cpu, memory = str(args.cpu), str(args.memory)
        runtime_platform = {
            "operatingSystemFamily": "LINUX",
            "cpuArchitecture": args.cpu_architecture,
        }
        health_check_command = (
            list(args.health_check_command)
            if args.health_check_command is not None
            else list(node_health_check(args.container_port, args.health_check_path))
        )
        secret_names = sorted(args.secrets)
        writable_paths = [(TMP_VOLUME, TMP_PATH)]
        if args.enable_execute_command:
            writable_paths.extend(EXECUTE_COMMAND_VOLUMES)

        def task_definition_inputs(values: list[Any]) -> dict[str, Any]:
            region_name, log_group_name, execution_arn, task_arn, credentials, *secrets = values
            container = container_definition(
                name=args.container_name,
                image=IMAGE_PLACEHOLDER,
                port=args.container_port,
                user=args.user,
                environment=args.environment,
                secrets=dict(zip(secret_names, secrets, strict=True)),
                health_check_command=health_check_command,
                start_period=min(args.health_check_grace_period_seconds, 300),
                log_group_name=log_group_name,
                region=region_name,
                credentials_secret_arn=credentials,
                writable_paths=writable_paths,
            )
            return {
                "family": args.service_name,
                "containerDefinitions": [container],
                "cpu": cpu,
                "memory": memory,
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "executionRoleArn": execution_arn,
                "taskRoleArn": task_arn,
                "volumes": [{"name": volume} for volume, _ in writable_paths],
                "runtimePlatform": runtime_platform,
            }

        inputs = pulumi.Output.all(
            region,
            logs.name,
            execution_role.arn,
            task_role.arn,
            args.repository_credentials_secret_arn,
            *[args.secrets[k] for k in secret_names],
        ).apply(task_definition_inputs)
        shape = inputs.apply(lambda spec: shape_of(spec, args.container_name))
        channel = ImageChannel(
            f"{name}-image",
            ImageChannelArgs(
                parameter_prefix=args.image_channel_prefix,
                bootstrap_image=args.bootstrap_image,
                shape=shape,
                protect=args.protect,
                tags=tags,
            ),
            opts=child,
        )
        container_definitions = pulumi.Output.all(inputs, channel.image).apply(
            lambda v: json.dumps(
                with_image(v[0], args.container_name, v[1])["containerDefinitions"]
            )
        )
        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task-definition",
            family=args.service_name,
            container_definitions=container_definitions,
            cpu=cpu,
            memory=memory,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=volume) for volume, _ in writable_paths],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture=args.cpu_architecture
            ),
            # Old revisions stay ACTIVE: CI's rollback and the circuit breaker may need them.
            skip_destroy=True,
            tags={**tags, SHAPE_TAG: shape},
            opts=child,
        )

        # --- security groups ----------------------------------------------------------------
        alb_sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description=f"ALB of {args.service_name}: HTTP(S) in, the service's port out",
            revoke_rules_on_delete=True,
            tags=tags,
            opts=child,
        )
        service_sg = aws.ec2.SecurityGroup(
            f"{name}-service-sg",
            vpc_id=args.vpc_id,
            description=f"Tasks of {args.service_name}: the ALB in, HTTPS out",
            revoke_rules_on_delete=True,
            tags=tags,
            opts=child,
        )
        listener_ports = (80, 443) if https else (80,)
        for port in listener_ports:
            for cidr in args.ingress_cidrs:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-in-{port}-{cidr.replace('/', '-')}",
                    security_group_id=alb_sg.id,
                    description=f"HTTP{'S' if port == 443 else ''} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    tags=tags,
                    opts=child,
                )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-out-service",
            security_group_id=alb_sg.id,
            description="To the service's tasks on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=service_sg.id,
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-service-in-alb",
            security_group_id=service_sg.id,
            description="From the ALB on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=alb_sg.id,
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-service-out-https",
            security_group_id=service_sg.id,
            description="HTTPS out: image pulls, AWS APIs, secrets (through NAT or endpoints)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            tags=tags,
            opts=child,
        )

        # --- load balancer ------------------------------------------------------------------
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[alb_sg.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_http2=True,
            enable_deletion_protection=args.deletion_protection,
            tags=tags,
            opts=child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            target_type="ip",
            protocol="HTTP",
            protocol_version="HTTP1",
            port=args.container_port,
            vpc_id=args.vpc_id,
            deregistration_delay=args.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                port="traffic-port",
                path=args.health_check_path,
                matcher="200-399",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags=tags,
            opts=child,
        )
        forward = aws.lb.ListenerDefaultActionArgs(
            type="forward", target_group_arn=target_group.arn
        )
        listeners: list[pulumi.Resource] = []
        if https:
            listeners.append(
                aws.lb.Listener(
                    f"{name}-https",
                    load_balancer_arn=load_balancer.arn,
                    port=443,
                    protocol="HTTPS",
                    ssl_policy=TLS_POLICY,
                    certificate_arn=args.certificate_arn,
                    default_actions=[forward],
                    tags=tags,
                    opts=child,
                )
            )
            http_action = aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port="443", status_code="HTTP_301"
                ),
            )
        else:
            http_action = forward
        listeners.append(
            aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=[http_action],
                tags=tags,
                opts=child,
            )
        )

        # --- rollback alarms ----------------------------------------------------------------
        dimensions = {
            "LoadBalancer": load_balancer.arn_suffix,
            "TargetGroup": target_group.arn_suffix,
        }
        # Keyed like ServiceMonitoring's alarms on the same metrics.
        rollback: dict[str, aws.cloudwatch.MetricAlarm] = {}
        if args.alarm_rollback:
            actions = list(args.alarm_actions)
            rollback[TARGET_5XX_ALARM] = aws.cloudwatch.MetricAlarm(
                f"{name}-target-5xx",
                name=f"{args.service_name}-target-5xx",
                alarm_description=f"{args.service_name}: more than "
                f"{args.target_5xx_threshold} target 5xx responses a minute, 3 minutes "
                "running; rolls a deployment back",
                namespace="AWS/ApplicationELB",
                metric_name="HTTPCode_Target_5XX_Count",
                dimensions=dimensions,
                statistic="Sum",
                period=60,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                threshold=args.target_5xx_threshold,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=tags,
                opts=child,
            )
            rollback[UNHEALTHY_HOSTS_ALARM] = aws.cloudwatch.MetricAlarm(
                f"{name}-unhealthy-hosts",
                name=f"{args.service_name}-unhealthy-hosts",
                alarm_description=f"{args.service_name}: a target failed its health checks "
                "for 3 minutes; rolls a deployment back",
                namespace="AWS/ApplicationELB",
                metric_name="UnHealthyHostCount",
                dimensions=dimensions,
                statistic="Maximum",
                period=60,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=tags,
                opts=child,
            )
        alarms = list(rollback.values())

        # --- service ------------------------------------------------------------------------
        strategy = [_provider_strategy(item) for item in args.capacity_provider_strategy]
        service = aws.ecs.Service(
            f"{name}-service",
            name=args.service_name,
            cluster=args.cluster_arn,
            task_definition=channel.service_task_definition(task_definition.arn),
            desired_count=args.desired_count,
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
                subnets=args.private_subnet_ids,
                security_groups=[service_sg.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=target_group.arn,
                    container_name=args.container_name,
                    container_port=args.container_port,
                )
            ],
            health_check_grace_period_seconds=args.health_check_grace_period_seconds,
            deployment_controller=aws.ecs.ServiceDeploymentControllerArgs(type="ECS"),
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            alarms=aws.ecs.ServiceAlarmsArgs(
                alarm_names=[alarm.name for alarm in alarms], enable=True, rollback=True
            )
            if alarms
            else None,
            enable_execute_command=args.enable_execute_command,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            force_new_deployment=False,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                # ECS refuses a target group that no listener of a load balancer uses yet, and
                # the first tasks fail to start while the execution role cannot pull or log.
                depends_on=[*listeners, execution_policy],
                ignore_changes=["desiredCount"] if args.autoscaling else None,
            ),
        )

        # --- autoscaling --------------------------------------------------------------------
        if args.autoscaling:
            target = aws.appautoscaling.Target(
                f"{name}-scaling",
                service_namespace="ecs",
                scalable_dimension="ecs:service:DesiredCount",
                resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", service.name),
                min_capacity=args.min_count,
                max_capacity=args.max_count,
                tags=tags,
                opts=child,
            )
            metrics: list[tuple[str, str, int, pulumi.Input[str] | None]] = [
                ("cpu", "ECSServiceAverageCPUUtilization", args.cpu_target, None),
                (
                    "requests",
                    "ALBRequestCountPerTarget",
                    args.requests_per_target,
                    pulumi.Output.concat(load_balancer.arn_suffix, "/", target_group.arn_suffix),
                ),
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
                        "scale_in_cooldown": 300,
                        "scale_out_cooldown": 60,
                    },
                    opts=child,
                )

        # --- outputs ------------------------------------------------------------------------
        self.service_name = service.name
        self.service_arn = service.arn
        self.task_family = task_definition.family
        self.container_name = pulumi.Output.from_input(args.container_name)
        self.task_definition_arn = task_definition.arn
        self.task_role = task_role
        self.task_role_arn = task_role.arn
        self.task_role_name = task_role.name
        self.execution_role_arn = execution_role.arn
        self.execution_role_name = execution_role.name
        self.load_balancer_arn = load_balancer.arn
        self.load_balancer_dns_name = load_balancer.dns_name
        self.lb_arn_suffix = load_balancer.arn_suffix
        host: pulumi.Input[str] = args.domain_name or load_balancer.dns_name
        self.url = pulumi.Output.concat("https://" if https else "http://", host)
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.log_group_name = logs.name
        self.alarm_names = pulumi.Output.all(*[alarm.name for alarm in alarms])
        self.rollback_alarm_keys = tuple(rollback)
        rollback_keys = self.rollback_alarm_keys
        self.rollback_alarm_arns = pulumi.Output.all(*[alarm.arn for alarm in alarms]).apply(
            lambda arns: dict(zip(rollback_keys, arns, strict=True))
        )
        self.alb_security_group_id = alb_sg.id
        self.service_security_group_id = service_sg.id
        self.image_channel = channel
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
            }
        )
