"""``EcsCluster``: an ECS cluster for Fargate with Container Insights, Spot and audited exec.

* Container Insights is on, with enhanced observability (per-task and per-container metrics)
  by default.
* Fargate and Fargate Spot are both attached as capacity providers. The cluster's default
  strategy comes from three numbers: an on-demand ``base`` (tasks that always run on Fargate)
  and the on-demand and Spot weights that share out the rest. Dev may run entirely on Spot;
  prod keeps an on-demand base. The strategy is also exposed as plain data
  (:attr:`EcsCluster.default_capacity_provider_strategy`) so that a service can state it
  explicitly.
* ECS Exec (``aws ecs execute-command``) is off. When it is turned on, every session is
  encrypted with a KMS key and logged (``logging = OVERRIDE``) to a dedicated, encrypted log
  group with a retention, protected in prod: a shell into a production container leaves a trail.
  A task role gets what the exec agent in its containers needs with
  :meth:`EcsCluster.grant_exec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import (
    EncryptionKeyArgs,
    ServiceKeyAccess,
    deletion_window_problems,
    given_or_new_key_arn,
)
from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document, role_name_of
from slipway.logs import log_group, logs_service_principal, retention_problems
from slipway.patterns import ECS_NAME

FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
MAX_BASE = 100_000
MAX_WEIGHT = 1_000
"""ECS's limits for a capacity provider strategy item's ``base`` and ``weight``."""


def capacity_base_problems(
    base: object, setting: str, *, maximum: int = MAX_BASE, reason: str = ""
) -> list[str]:
    """The one rule for a strategy item's ``base``: 0 to ``maximum`` (ECS's :data:`MAX_BASE`
    unless the caller needs less; ``reason`` says why)."""
    if _is_int(base) and 0 <= base <= maximum:  # type: ignore[operator]
        return []
    allowed = f"0 to {maximum}"
    return [invalid(setting, base, f"{allowed} ({reason})" if reason else allowed)]


def capacity_weight_problems(weight: object, setting: str) -> list[str]:
    """The one rule for a strategy item's ``weight``: 0 to :data:`MAX_WEIGHT`."""
    if _is_int(weight) and 0 <= weight <= MAX_WEIGHT:  # type: ignore[operator]
        return []
    return [invalid(setting, weight, f"0 to {MAX_WEIGHT}")]


_ExecConfiguration = aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs
EXEC_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""What the SSM agent inside a task calls to open an exec session (no resource-level
permissions exist for these)."""
EXEC_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


class ContainerInsights(StrEnum):
    """Value of the cluster's ``containerInsights`` setting."""

    ENHANCED = "enhanced"
    """Container Insights with enhanced observability: task- and container-level metrics."""
    ENABLED = "enabled"
    """Classic Container Insights: cluster- and service-level metrics only."""
    DISABLED = "disabled"
    """No Container Insights (not recommended: no per-service CPU/memory history)."""


def exec_log_group_name(cluster_name: str) -> str:
    """Name of the log group that records ECS Exec sessions of ``cluster_name``."""
    return f"/ecs/{cluster_name}/exec"


def capacity_provider_strategy(
    on_demand_base: int, on_demand_weight: int, spot_weight: int
) -> list[dict[str, Any]]:
    """The strategy items, in the snake_case keys of ``aws.ecs.Service``'s
    ``capacity_provider_strategies`` (``capacity_provider``, ``base``, ``weight``).

    Fargate is listed when it has a base or a weight, Fargate Spot when it has a weight; a
    provider that would get no task is left out, so the strategy says what it does.
    """
    strategy: list[dict[str, Any]] = []
    if on_demand_base or on_demand_weight:
        strategy.append(
            {"capacity_provider": FARGATE, "base": on_demand_base, "weight": on_demand_weight}
        )
    if spot_weight:
        strategy.append({"capacity_provider": FARGATE_SPOT, "base": 0, "weight": spot_weight})
    return strategy


@dataclass(frozen=True)
class EcsClusterArgs:
    """Arguments of :class:`EcsCluster`. Every default is the secure (and observable) choice."""

    cluster_name: str
    """ECS cluster name: 1 to 255 letters, digits, '-' and '_'."""
    container_insights: ContainerInsights = ContainerInsights.ENHANCED
    """Container Insights level. Default: ``enhanced``."""
    on_demand_base: int = 0
    """Tasks (0 to 100000) that always run on on-demand Fargate before the weights apply.
    Default: 0. Prod should keep at least its minimum task count here."""
    on_demand_weight: int = 1
    """Share (0 to 1000) of the tasks above the base placed on on-demand Fargate. Default: 1."""
    spot_weight: int = 0
    """Share (0 to 1000) of the tasks above the base placed on Fargate Spot, which AWS may
    interrupt with two minutes' notice. Default: 0 (no Spot)."""
    execute_command: bool = False
    """Allow ECS Exec (``aws ecs execute-command``) into the cluster's tasks, with sessions
    encrypted and logged. Default: off."""
    exec_log_retention_days: int = 365
    """Days the exec session log is kept (one of CloudWatch's values). Default: 365.
    Only used with ``execute_command``."""
    log_kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the exec session log group and the sessions themselves (the
    cluster's ``kms_key_id``). It must let ``logs.<region>.amazonaws.com`` use it. Default: with
    ``execute_command``, the cluster creates its own key, with rotation; otherwise none."""
    key_deletion_window_days: int = 30
    """Deletion window of the cluster's own key, 7 to 30 days. Default: 30."""
    protect: bool = False
    """Protect the exec log group and key, and retain them if they leave the program. On in
    prod. The cluster itself holds no data and is not protected."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "EcsClusterArgs."
        if not (isinstance(self.cluster_name, str) and ECS_NAME.match(self.cluster_name)):
            problems.append(
                invalid(
                    name + "cluster_name",
                    self.cluster_name,
                    "1 to 255 letters, digits, '-' and '_'",
                )
            )
        try:
            ContainerInsights(self.container_insights)
        except ValueError:
            problems.append(
                invalid(
                    name + "container_insights",
                    self.container_insights,
                    "one of " + ", ".join(repr(v.value) for v in ContainerInsights),
                )
            )
        problems.extend(capacity_base_problems(self.on_demand_base, name + "on_demand_base"))
        weights_ok = True
        for field_name in ("on_demand_weight", "spot_weight"):
            weight_problems = capacity_weight_problems(getattr(self, field_name), name + field_name)
            weights_ok = weights_ok and not weight_problems
            problems.extend(weight_problems)
        if weights_ok and self.on_demand_weight == 0 and self.spot_weight == 0:
            problems.append(
                invalid(
                    name + "spot_weight",
                    self.spot_weight,
                    "on_demand_weight and spot_weight cannot both be 0: ECS needs a weight "
                    "above 0 to place any task",
                )
            )
        problems.extend(
            retention_problems(self.exec_log_retention_days, name + "exec_log_retention_days")
        )
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        if problems:
            raise ConfigError(problems)

    @property
    def default_capacity_provider_strategy(self) -> list[dict[str, Any]]:
        """The cluster's default strategy, see :func:`capacity_provider_strategy`."""
        return capacity_provider_strategy(
            self.on_demand_base, self.on_demand_weight, self.spot_weight
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class EcsCluster(pulumi.ComponentResource):
    """An ECS cluster for Fargate and Fargate Spot, with Container Insights and audited exec.

    Outputs:
        cluster_arn: ARN of the cluster; resolves once the capacity providers are attached, so a
            service that uses it is created after them.
        cluster_name: Name of the cluster (same ordering as ``cluster_arn``).
        exec_log_group_name: Log group of ECS Exec sessions, or None when exec is off.
        exec_kms_key_arn: Key that encrypts exec sessions and their log, or None when exec is
            off. Task roles need ``kms:Decrypt`` on it to open a session.
        default_capacity_provider_strategy: Plain list of ``{"capacity_provider", "base",
            "weight"}`` dicts, ready for ``aws.ecs.Service(capacity_provider_strategies=…)``.
    """

    TOKEN = "slipway:index:EcsCluster"

    cluster_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    exec_log_group_name: pulumi.Output[str] | None
    exec_kms_key_arn: pulumi.Output[str] | None
    default_capacity_provider_strategy: list[dict[str, Any]]

    def __init__(
        self, name: str, args: EcsClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        configuration: aws.ecs.ClusterConfigurationArgs | None = None
        self._name_prefix = name
        self.exec_log_group_name = None
        self.exec_kms_key_arn = None
        self._exec_log_group_arn: pulumi.Output[str] | None = None
        if args.execute_command:
            group_name = exec_log_group_name(args.cluster_name)

            def exec_key() -> EncryptionKeyArgs:
                """The key of the sessions and their log group, usable by CloudWatch Logs for
                that group only."""
                invoke = pulumi.InvokeOutputOptions(parent=self)
                region = aws.get_region_output(opts=invoke).region
                identity = aws.get_caller_identity_output(opts=invoke)
                partition = aws.get_partition_output(opts=invoke)
                group_arn = pulumi.Output.concat(
                    "arn:",
                    partition.partition,
                    ":logs:",
                    region,
                    ":",
                    identity.account_id,
                    ":log-group:",
                    group_name,
                )
                return EncryptionKeyArgs(
                    description=(
                        f"Encrypts ECS Exec sessions of cluster {args.cluster_name} and their log"
                    ),
                    alias=f"ecs/{args.cluster_name}/exec",
                    deletion_window_days=args.key_deletion_window_days,
                    services=(
                        ServiceKeyAccess(
                            service=logs_service_principal(region),
                            condition={
                                "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group_arn}
                            },
                        ),
                    ),
                    protect=args.protect,
                    tags=args.tags,
                )

            kms_key_arn = given_or_new_key_arn(
                args.log_kms_key_arn, f"{name}-exec-key", exec_key, parent=self
            )
            group = log_group(
                f"{name}-exec-logs",
                parent=self,
                log_group_name=group_name,
                retention_days=args.exec_log_retention_days,
                kms_key_arn=kms_key_arn,
                protect=args.protect,
                tags=args.tags,
            )
            exec_logs = aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs
            configuration = aws.ecs.ClusterConfigurationArgs(
                execute_command_configuration=_ExecConfiguration(
                    kms_key_id=kms_key_arn,
                    logging="OVERRIDE",
                    log_configuration=exec_logs(
                        cloud_watch_log_group_name=group.name,
                        cloud_watch_encryption_enabled=True,
                    ),
                )
            )
            self.exec_log_group_name = group.name
            self._exec_log_group_arn = group.arn
            self.exec_kms_key_arn = pulumi.Output.from_input(kms_key_arn)

        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            settings=[
                aws.ecs.ClusterSettingArgs(
                    name="containerInsights",
                    value=ContainerInsights(args.container_insights).value,
                )
            ],
            configuration=configuration,
            tags=dict(args.tags),
            opts=child,
        )
        self.default_capacity_provider_strategy = args.default_capacity_provider_strategy
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=[FARGATE, FARGATE_SPOT],
            default_capacity_provider_strategies=[
                aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(**item)
                for item in self.default_capacity_provider_strategy
            ],
            opts=child,
        )
        # Outputs that carry the capacity providers as a dependency: a service built on them
        # cannot be created before the default strategy it relies on exists.
        self.cluster_arn = pulumi.Output.all(cluster.arn, providers.id).apply(lambda v: v[0])
        self.cluster_name = providers.cluster_name
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "cluster_name": self.cluster_name,
                "exec_log_group_name": self.exec_log_group_name,
                "exec_kms_key_arn": self.exec_kms_key_arn,
                "default_capacity_provider_strategy": self.default_capacity_provider_strategy,
            }
        )

    def grant_exec(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let the containers of tasks running as ``role`` (the task role, not the execution
        role) accept ECS Exec sessions: open the SSM channels, write the session log to this
        cluster's exec log group only, and decrypt with the exec key. Raises
        :class:`ConfigError` when the cluster was built without ``execute_command``."""
        if self._exec_log_group_arn is None or self.exec_kms_key_arn is None:
            raise ConfigError(
                invalid(
                    "EcsCluster.grant_exec",
                    role_name_of(role),
                    "a cluster built with EcsClusterArgs.execute_command=True",
                )
            )
        return aws.iam.RolePolicy(
            f"{self._name_prefix}-exec-{role_name_of(role)}",
            role=role.name,
            policy=policy_document(
                [
                    allow("ExecChannels", EXEC_CHANNEL_ACTIONS, "*"),
                    # The agent looks its log group up by name; this action has no resource.
                    allow("FindExecLog", ["logs:DescribeLogGroups"], "*"),
                    allow(
                        "WriteExecLog",
                        EXEC_LOG_ACTIONS,
                        [pulumi.Output.concat(self._exec_log_group_arn, ":*")],
                    ),
                    allow("DecryptExecSessions", ["kms:Decrypt"], [self.exec_kms_key_arn]),
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
