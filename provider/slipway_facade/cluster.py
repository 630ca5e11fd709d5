"""``EcsCluster`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class EcsClusterArgs(TypedDict):
    """Arguments of :class:`EcsCluster`. Every default is the secure (and observable) choice."""

    cluster_name: str
    """ECS cluster name: 1 to 255 letters, digits, '-' and '_'."""
    container_insights: NotRequired[slipway.ContainerInsights]
    """Container Insights level. Default: ``enhanced``."""
    on_demand_base: NotRequired[int]
    """Tasks (0 to 100000) that always run on on-demand Fargate before the weights apply. Default:
    0. Prod should keep at least its minimum task count here."""
    on_demand_weight: NotRequired[int]
    """Share (0 to 1000) of the tasks above the base placed on on-demand Fargate. Default: 1."""
    spot_weight: NotRequired[int]
    """Share (0 to 1000) of the tasks above the base placed on Fargate Spot, which AWS may
    interrupt with two minutes' notice. Default: 0 (no Spot)."""
    execute_command: NotRequired[bool]
    """Allow ECS Exec (``aws ecs execute-command``) into the cluster's tasks, with sessions
    encrypted and logged. Default: off."""
    exec_log_retention_days: NotRequired[int]
    """Days the exec session log is kept (one of CloudWatch's values). Default: 365. Only used with
    ``execute_command``."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key that encrypts the exec session log group and the sessions themselves (the cluster's
    ``kms_key_id``). It must let ``logs.<region>.amazonaws.com`` use it. Default: with
    ``execute_command``, the cluster creates its own key, with rotation; otherwise none."""
    key_deletion_window_days: NotRequired[int]
    """Deletion window of the cluster's own key, 7 to 30 days. Default: 30."""
    protect: NotRequired[bool]
    """Protect the exec log group and key, and retain them if they leave the program. On in prod.
    The cluster itself holds no data and is not protected. Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


class EcsCluster(pulumi.ComponentResource):
    """An ECS cluster for Fargate and Fargate Spot, with Container Insights and audited exec."""

    cluster_arn: pulumi.Output[str]
    """ARN of the cluster; resolves once the capacity providers are attached."""
    cluster_name: pulumi.Output[str]
    """Name of the cluster (same ordering as ``clusterArn``)."""
    exec_log_group_name: pulumi.Output[str] | None
    """Log group of ECS Exec sessions; absent when exec is off."""
    exec_kms_key_arn: pulumi.Output[str] | None
    """Key that encrypts exec sessions and their log; absent when exec is off. Task roles need
    ``kms:Decrypt`` on it to open a session."""

    def __init__(
        self, name: str, args: EcsClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:EcsCluster", name, None, opts)
        inner = slipway.EcsCluster(
            name, typed_args(slipway.EcsClusterArgs, args), pulumi.ResourceOptions(parent=self)
        )
        self.cluster_arn = inner.cluster_arn
        self.cluster_name = inner.cluster_name
        self.exec_log_group_name = inner.exec_log_group_name
        self.exec_kms_key_arn = inner.exec_kms_key_arn
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "cluster_name": self.cluster_name,
                "exec_log_group_name": self.exec_log_group_name,
                "exec_kms_key_arn": self.exec_kms_key_arn,
            }
        )
