"""Another stack built from Slipway's components alone (no ``infra/``): an orders API.

It composes ``ContainerRegistry``, ``Network``, ``EcsCluster``, ``SecretStore`` and
``FargateService`` the way a team that only installed the library would
(``pip install "slipway-platform @ git+https://github.com/<owner>/<repository>.git@<tag>"``).
Every name comes from the project's settings (``Pulumi.yaml``) and the stack's name.
"""

from __future__ import annotations

from typing import Any

import pulumi

from slipway import (
    CapacityOptions,
    ContainerRegistry,
    ContainerRegistryArgs,
    EcsCluster,
    EcsClusterArgs,
    FargateService,
    FargateServiceArgs,
    ListenerOptions,
    NatStrategy,
    Network,
    NetworkArgs,
    PlacementOptions,
    SecretSpec,
    SecretStore,
    SecretStoreArgs,
)

PROJECT = "orders-api"
"""Pulumi.yaml's project name: the namespace of the settings below."""


def main() -> dict[str, Any]:
    """Build the stack and export its outputs; returns them too (for tests)."""
    config = pulumi.Config(PROJECT)
    app = config.get("app") or "orders"
    env = pulumi.get_stack()
    prefix = f"{app}-{env}"
    protect = config.get_bool("protect") or False
    certificate_arn = config.get("certificateArn")
    tags = {"app": app, "environment": env}

    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(repository_name=f"{app}/{env}", protect=protect, tags=tags),
    )
    network = Network(
        "network",
        NetworkArgs(
            name_prefix=prefix,
            vpc_cidr=config.get("vpcCidr") or "10.60.0.0/16",
            az_count=2,
            nat_strategy=NatStrategy.SINGLE,
            flow_log_retention_days=90,
            protect=protect,
            tags=tags,
        ),
    )
    cluster = EcsCluster(
        "cluster",
        EcsClusterArgs(cluster_name=prefix, on_demand_base=1, spot_weight=1, tags=tags),
    )
    # DATABASE_URL is created empty and filled outside Pulumi; API_KEY takes its value from the
    # stack's secret config when set (`pulumi config set --secret apiKey …`). docs/secrets.md.
    store = SecretStore(
        "secrets",
        SecretStoreArgs(
            name_prefix=f"{app}/{env}/",
            secrets=(
                SecretSpec("DATABASE_URL", description="Filled with put-secret-value"),
                SecretSpec("API_KEY", description="From config", value=config.get_secret("apiKey")),
            ),
            protect=protect,
            tags=tags,
        ),
    )
    service = FargateService(
        "service",
        FargateServiceArgs(
            service_name=prefix,
            placement=PlacementOptions.of(cluster, network),
            listener=ListenerOptions(
                certificate_arn=certificate_arn,
                allow_plain_http=certificate_arn is None,
                domain_name=config.get("domainName"),
            ),
            image_channel_prefix=f"/{app}/{env}/image-channel",
            bootstrap_image=pulumi.Output.concat(registry.repository_url, ":bootstrap"),
            repository_arn=registry.repository_arn,
            container_port=8080,
            health_check_path="/health",
            environment={"LOG_LEVEL": "info"},
            secrets=store.environment_secrets(
                {"DATABASE_URL": "DATABASE_URL", "API_KEY": "API_KEY"}
            ),
            secret_kms_key_arns=(store.kms_key_arn,),
            deletion_protection=protect,
            capacity=CapacityOptions(
                desired_count=2,
                capacity_provider_strategy=cluster.default_capacity_provider_strategy,
            ),
            rollback_alarms=None,
            protect=protect,
            tags=tags,
        ),
    )

    outputs: dict[str, Any] = {
        "repositoryUrl": registry.repository_url,
        "clusterName": cluster.cluster_name,
        "serviceName": service.service_name,
        "url": service.url,
        "taskRoleArn": service.task_role_arn,
        "imageChannelParameter": service.image_channel.deployed_parameter_name,
        "secretArns": store.secret_arns,
    }
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs


if __name__ == "__main__":
    main()
