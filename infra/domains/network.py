"""Network: the stack's VPC, its subnets, NAT and VPC endpoints, and its flow logs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Literal

import pulumi
from pydantic import AfterValidator, Field

from infra.common import CheckContext, ProfileTable, SettingsModel, decision
from infra.domains.identity import StackIdentity
from slipway.network import NatStrategy, Network, NetworkArgs

InterfaceEndpoint = Literal[
    "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "kms", "sts", "monitoring"
]
"""Interface VPC endpoints Slipway knows how to place (service names without the region)."""
REQUIRED_WITHOUT_NAT = ("ecr.api", "ecr.dkr", "logs")
"""Interface endpoints tasks need when there is no NAT: image pulls and logs."""


def _default_endpoints() -> list[InterfaceEndpoint]:
    return ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(
            f"an IPv4 network in CIDR notation such as 10.20.0.0/16 ({error})"
        ) from None
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ValueError("a private IPv4 network (RFC 1918) with a prefix from /16 to /24")
    return value


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
    nat_strategy: str = decision("NAT gateways for the private subnets (`natStrategy`)")
    flow_logs: bool = decision("VPC flow logs (`flowLogs`)")


PROFILES = ProfileTable(
    dev=NetworkProfile(az_count=2, nat_strategy="single", flow_logs=False),
    staging=NetworkProfile(az_count=2, nat_strategy="single", flow_logs=True),
    prod=NetworkProfile(az_count=3, nat_strategy="per_az", flow_logs=True),
)


class NetworkSettings(SettingsModel):
    """The VPC."""

    PROFILES = PROFILES

    vpc_cidr: Annotated[str, AfterValidator(_cidr)] = Field(
        default="10.20.0.0/16",
        description="IPv4 range of the VPC, private (RFC 1918), /16 to /24. Give each stack "
        "its own range if they may ever be peered.",
    )

    reserved_cidrs: Annotated[list[str], AfterValidator(cidrs)] = Field(
        default_factory=list,
        description="Networks the VPC must not overlap: other VPCs, VPNs, on-premises ranges. "
        "An overlap stops the program.",
    )

    az_count: int | None = Field(
        default=None,
        ge=2,
        le=3,
        description="Availability zones the VPC spans.",
    )

    nat_strategy: Literal["none", "single", "per_az"] | None = Field(
        default=None,
        description="NAT gateways for the private subnets: `none` (VPC endpoints only), "
        "`single` or `per_az`.",
    )

    vpc_interface_endpoints: list[InterfaceEndpoint] = Field(
        default_factory=_default_endpoints,
        description="Interface VPC endpoints in the private subnets: they keep image pulls, "
        "logs and secret reads off the NAT and off the internet.",
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
        if self.by_profile("nat_strategy") == "none":
            missing = sorted(set(REQUIRED_WITHOUT_NAT) - set(self.vpc_interface_endpoints))
            if missing or not self.vpc_s3_gateway_endpoint:
                problems.append(
                    self.invalid(
                        "nat_strategy",
                        "`none` only with the ecr.api, ecr.dkr and logs interface endpoints and "
                        "the S3 gateway endpoint (tasks could not pull images or ship logs); "
                        f"missing: {missing + ([] if self.vpc_s3_gateway_endpoint else ['s3'])}",
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
