"""The programs the benchmark runs besides the real stacks.

* :func:`synthetic_program`: one :class:`~slipway.network.Network`, one
  :class:`~slipway.cluster.EcsCluster` and ``n`` :class:`~slipway.fargate_service.
  FargateService` built straight from the components with fixed arguments (no settings file),
  so the cost of a service can be read at several sizes.
* :func:`floor_program`: the same custom resources registered directly as
  ``pulumi.CustomResource(type, name, props)`` with the inputs a component run recorded: no
  component, no parent, no validation, no ``apply``. What the SDK and the mock runtime cost
  with nothing of ours on top: the floor the components are compared against.
* :func:`typed_floor_program`: the same again through the provider SDK's generated classes
  (``pulumi_aws.ecs.Service(name, **inputs)``): what a flat program without components, written
  by hand, would cost. The gap between the two floors is the generated classes' own cost
  (every declared output property gets its futures), which no component can avoid.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from slipway.cluster import EcsCluster, EcsClusterArgs
from slipway.fargate_service import (
    AutoscalingOptions,
    CapacityOptions,
    FargateService,
    FargateServiceArgs,
    PlacementOptions,
)
from slipway.fargate_task import LoggingOptions
from slipway.load_balancer import ListenerOptions
from slipway.network import NatStrategy, Network, NetworkArgs
from slipway.rollback_alarms import RollbackAlarmOptions
from tooling.offline import ACCOUNT_ID, Program, RecordedResource

REGION = "eu-west-1"
"""Region of the synthetic runs (``aws:region``)."""
CONFIG: Mapping[str, str] = {"aws:region": REGION}
"""The whole config of a synthetic run: the components take fixed arguments, not settings."""
PREFIX = "bench"
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/bench/app"
REPOSITORY_URL = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/bench/app"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bench-alerts"
SECRET_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
TAGS: Mapping[str, str] = {"slipway:app": PREFIX, "slipway:env": "bench"}
PROVIDER_TYPE = "pulumi:providers:"
"""Type prefix of explicit provider resources (``pulumi:providers:aws``), registered in both
floors as providers."""


def service_name(index: int) -> str:
    """Name of the ``index``-th synthetic service (``bench-svc-007``)."""
    return f"{PREFIX}-svc-{index:03d}"


def _service_args(index: int, network: Network, cluster: EcsCluster) -> FargateServiceArgs:
    """A realistic service: its own log group, roles, ALB, alarms, image channel, one secret,
    autoscaling; plain HTTP so that no certificate is needed."""
    name = service_name(index)
    return FargateServiceArgs(
        service_name=name,
        placement=PlacementOptions.of(cluster, network),
        listener=ListenerOptions(allow_plain_http=True),
        # The same 1,132 resources at N = 50 as every earlier measurement (docs/performance.md).
        access_logs=None,
        image_channel_prefix=f"/slipway/{PREFIX}/{name}/image-channel",
        bootstrap_image=f"{REPOSITORY_URL}:bootstrap",
        repository_arn=REPOSITORY_ARN,
        health_check_path="/health",
        environment={"NODE_ENV": "production", "SERVICE": name},
        secrets={
            "DATABASE_URL": (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}/db-AbCdEf"
            )
        },
        secret_kms_key_arns=(SECRET_KEY_ARN,),
        deletion_protection=False,
        logging=LoggingOptions(retention_days=30),
        capacity=CapacityOptions(
            desired_count=2, capacity_provider_strategy=cluster.default_capacity_provider_strategy
        ),
        autoscaling=AutoscalingOptions(min_count=2, max_count=4),
        rollback_alarms=RollbackAlarmOptions(alarm_actions=(TOPIC_ARN,)),
        tags=TAGS,
    )


def synthetic_program(services: int) -> Program:
    """A program with one network, one cluster and ``services`` Fargate services."""

    def program() -> Mapping[str, Any]:
        network = Network(
            "network",
            NetworkArgs(
                name_prefix=PREFIX,
                vpc_cidr="10.42.0.0/16",
                az_count=2,
                nat_strategy=NatStrategy.SINGLE,
                flow_log_retention_days=30,
                tags=TAGS,
            ),
        )
        cluster = EcsCluster(
            "cluster",
            EcsClusterArgs(cluster_name=PREFIX, on_demand_base=1, spot_weight=1, tags=TAGS),
        )
        urls = [
            FargateService(service_name(i), _service_args(i, network, cluster)).url
            for i in range(services)
        ]
        return {"vpcId": network.vpc_id, "urls": pulumi.Output.all(*urls)}

    return program


def floor_program(resources: Sequence[RecordedResource]) -> Program:
    """A program registering exactly the custom resources of ``resources``, directly.

    Same type, logical name and inputs (secret inputs wrapped as secrets again, so the engine
    receives the same values); component resources, parents, options (an explicit provider
    among them: the mocks answer alike in every region) and invokes are left out.
    """
    custom = [r for r in resources if r.custom]

    def program() -> Mapping[str, Any]:
        for resource in custom:
            props: dict[str, Any] = {
                key: pulumi.Output.secret(value) if key in resource.secret_inputs else value
                for key, value in resource.inputs.items()
            }
            if resource.type.startswith(PROVIDER_TYPE):
                pulumi.ProviderResource(resource.type[len(PROVIDER_TYPE) :], resource.name, props)
            else:
                pulumi.CustomResource(resource.type, resource.name, props)
        return {}

    return program


_CAPITAL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def python_name(engine_name: str) -> str:
    """The generated classes' keyword for an engine property name (``enableHttp2`` gives
    ``enable_http2``)."""
    return _CAPITAL.sub(r"_\1", engine_name).lower()


def resource_class(type_token: str) -> Any:
    """The provider SDK's class of a type token: ``aws:ecs/service:Service`` gives
    ``pulumi_aws.ecs.Service``, ``github:index/branch:Branch`` gives ``pulumi_github.Branch``,
    ``pulumi:providers:aws`` gives ``pulumi_aws.Provider``."""
    package, module, name = type_token.split(":")
    if package == "pulumi" and module == "providers":
        return importlib.import_module(f"pulumi_{name}").Provider
    path = f"pulumi_{package}"
    module_name = module.split("/")[0]
    if module_name != "index":
        path += f".{module_name}"
    return getattr(importlib.import_module(path), name)


def _provider_input(value: Any) -> Any:
    """A provider's inputs reach the engine JSON-encoded (``"false"``); its class encodes them
    itself, so it is given the decoded value."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def typed_floor_program(resources: Sequence[RecordedResource]) -> Program:
    """Like :func:`floor_program`, through the provider SDK's generated resource classes."""
    custom = [(resource_class(r.type), r) for r in resources if r.custom]

    def program() -> Mapping[str, Any]:
        for cls, resource in custom:
            provider = resource.type.startswith(PROVIDER_TYPE)
            kwargs: dict[str, Any] = {}
            for key, value in resource.inputs.items():
                plain = _provider_input(value) if provider else value
                secret = key in resource.secret_inputs
                kwargs[python_name(key)] = pulumi.Output.secret(plain) if secret else plain
            cls(resource.name, **kwargs)
        return {}

    return program
