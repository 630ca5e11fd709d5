"""Network: the stack's VPC, its subnets, NAT and VPC endpoints, and its flow logs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, Field

from infra.common import CheckContext, ProfileTable, SettingsModel, component_rule, decision, key
from infra.domains.identity import StackIdentity
from slipway.network import (
    DEFAULT_INTERFACE_ENDPOINTS,
    NatStrategy,
    Network,
    NetworkArgs,
    az_count_problems,
    interface_endpoint_problems,
    no_nat_problems,
    vpc_cidr_problems,
)


def cidrs(value: list[str]) -> list[str]:
    for item in value:
        try:
            ipaddress.IPv4Network(item, strict=True)
        except ValueError as error:
            raise ValueError(f"IPv4 networks in CIDR notation; {item!r}: {error}") from None
    return value


@dataclass(frozen=True)
class NetworkProfile:
    """What the profile decides for the network."""

    az_count: int = decision("Availability zones the VPC spans (`azCount`)")
    nat_strategy: NatStrategy = decision("NAT gateways for the private subnets (`natStrategy`)")
    flow_logs: bool = decision("VPC flow logs (`flowLogs`)")


PROFILES = ProfileTable(
    dev=NetworkProfile(az_count=2, nat_strategy=NatStrategy.SINGLE, flow_logs=False),
    staging=NetworkProfile(az_count=2, nat_strategy=NatStrategy.SINGLE, flow_logs=True),
    prod=NetworkProfile(az_count=3, nat_strategy=NatStrategy.PER_AZ, flow_logs=True),
)


class NetworkSettings(SettingsModel):
    """The VPC."""

    PROFILES = PROFILES

    vpc_cidr: Annotated[str, component_rule(vpc_cidr_problems)] = Field(
        default="10.20.0.0/16",
        description="IPv4 range of the VPC, private (RFC 1918), /16 to /24. Give each stack "
        "its own range if they may ever be peered.",
    )

    reserved_cidrs: Annotated[list[str], AfterValidator(cidrs)] = Field(
        default_factory=list,
        description="Networks the VPC must not overlap: other VPCs, VPNs, on-premises ranges. "
        "An overlap stops the program.",
    )

    az_count: Annotated[int | None, component_rule(az_count_problems)] = Field(
        default=None,
        description="Availability zones the VPC spans.",
    )

    nat_strategy: NatStrategy | None = Field(
        default=None,
        description="NAT gateways for the private subnets: `none` (VPC endpoints only), "
        "`single`, `per_az` or `regional` (one regional NAT gateway across the AZs, an Elastic "
        "IP per AZ, no public subnet of its own).",
    )

    vpc_interface_endpoints: Annotated[list[str], component_rule(interface_endpoint_problems)] = (
        Field(
            default_factory=lambda: list(DEFAULT_INTERFACE_ENDPOINTS),
            description="Interface VPC endpoints in the private subnets: they keep image pulls, "
            "logs and secret reads off the NAT and off the internet.",
        )
    )

    vpc_s3_gateway_endpoint: bool = Field(
        default=True,
        description="S3 gateway endpoint on the private route tables (free; ECR layers "
        "come from S3).",
    )

    flow_logs: bool | None = Field(
        default=None,
        description="VPC flow logs to CloudWatch Logs.",
    )

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings."""
        problems: list[str] = []
        for reserved in self.reserved_cidrs:
            if ipaddress.IPv4Network(reserved).overlaps(ipaddress.IPv4Network(self.vpc_cidr)):
                problems.append(
                    self.invalid(
                        "vpc_cidr", f"a range that does not overlap reservedCidrs ({reserved})"
                    )
                )
        if self.by_profile("nat_strategy") == NatStrategy.NONE:
            problems.extend(
                no_nat_problems(
                    self.vpc_interface_endpoints,
                    self.vpc_s3_gateway_endpoint,
                    (
                        key("nat_strategy"),
                        key("vpc_interface_endpoints"),
                        key("vpc_s3_gateway_endpoint"),
                    ),
                )
            )
        return problems


def build(
    settings: NetworkSettings,
    identity: StackIdentity,
    log_retention_days: int,
    log_key_arn: pulumi.Input[str] | None,
) -> Network:
    """The VPC; its flow logs keep ``log_retention_days``, encrypted with ``log_key_arn``."""
    return Network(
        "network",
        NetworkArgs(
            name_prefix=identity.resource_prefix,
            vpc_cidr=settings.vpc_cidr,
            az_count=settings.by_profile("az_count"),
            nat_strategy=NatStrategy(settings.by_profile("nat_strategy")),
            interface_endpoints=tuple(settings.vpc_interface_endpoints),
            s3_gateway_endpoint=settings.vpc_s3_gateway_endpoint,
            flow_logs=settings.by_profile("flow_logs"),
            flow_log_retention_days=log_retention_days,
            log_kms_key_arn=log_key_arn,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def outputs(vpc: Network) -> dict[str, Any]:
    """The network's part of the stack outputs (docs/outputs.md)."""
    return {
        "vpcId": vpc.vpc_id,
        "privateSubnetIds": vpc.private_subnet_ids,
        "publicSubnetIds": vpc.public_subnet_ids,
    }
