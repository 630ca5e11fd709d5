"""``Network`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class NetworkArgs(TypedDict):
    """Arguments of :class:`Network`. Every default is the secure (and resilient) choice."""

    name_prefix: str
    """Prefix of the physical ``Name`` tags, e.g. ``storefront-prod`` gives ``storefront-prod-
    private-a``. Lower-case letters, digits and '-', at most 40 characters."""
    vpc_cidr: str
    """IPv4 range of the VPC: private (RFC 1918), /16 to /24. See :func:`subnet_layout`."""
    az_count: NotRequired[int]
    """How many availability zones (2 or 3) get a public and a private subnet. Default: 2. Going
    from 2 to 3 later only adds subnets."""
    nat_strategy: NotRequired[slipway.NatStrategy]
    """How private subnets reach the internet (``none``, ``single``, ``per_az``, ``regional``).
    Default: ``per_az``, so that one AZ's failure cannot cut the others off. ``none`` needs the
    ``ecr.api``, ``ecr.dkr`` and ``logs`` interface endpoints and the S3 gateway endpoint."""
    interface_endpoints: NotRequired[list[str]]
    """AWS services reached through interface endpoints (private DNS on) in the private subnets, so
    their traffic stays in the VPC and skips the NAT. Allowed: see
    :data:`INTERFACE_ENDPOINT_SERVICES`. Default: ecr.api, ecr.dkr, logs, secretsmanager."""
    s3_gateway_endpoint: NotRequired[bool]
    """Route S3 traffic (ECR's image layers among it) through a free gateway endpoint on the
    private route tables. Default: on."""
    flow_logs: NotRequired[bool]
    """Record the VPC's traffic (accepted and rejected) in a CloudWatch log group. Default: on."""
    flow_log_retention_days: NotRequired[int]
    """Days the flow-log group keeps events; one of CloudWatch's values. Default: 365."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """KMS key ARN that encrypts the flow-log group; its key policy must let
    ``logs.<region>.amazonaws.com`` use it. Default: CloudWatch Logs' own encryption."""
    protect: NotRequired[bool]
    """Protect the flow-log group and retain it if it leaves the program. On in prod. Default:
    false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child (``Name`` is set per resource). Default: none."""


class Network(pulumi.ComponentResource):
    """A VPC across 2 or 3 AZs: public subnets (load balancer only), private subnets (tasks),
    NAT per the strategy, VPC endpoints, flow logs, and a default security group with no rules.

    What a task in the private subnets needs before it can reach anything (route associations,
    NAT routes, endpoints) is registered below this component: depend on the component itself
    (``dependsOn``) where the Python API passes ``egress_ready``."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    vpc_cidr_block: pulumi.Output[str]
    """IPv4 range of the VPC."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, one per AZ in AZ order (for the load balancer)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets, one per AZ in AZ order (for tasks)."""
    availability_zones: pulumi.Output[list[str]]
    """Names of the AZs used, in order."""
    private_route_table_ids: pulumi.Output[list[str]]
    """Route tables of the private subnets, one per AZ."""
    endpoint_security_group_id: pulumi.Output[str] | None
    """Security group of the interface endpoints; absent when there are none."""
    flow_log_group_name: pulumi.Output[str] | None
    """Log group of the flow logs; absent when flow logs are off."""
    nat_gateway_count: pulumi.Output[int]
    """How many NAT gateways there are."""
    nat_public_ips: pulumi.Output[list[str]]
    """The NAT gateways' public addresses: what the VPC's clients of a public endpoint arrive
    from."""

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:Network", name, None, opts)
        inner = slipway.Network(
            name, typed_args(slipway.NetworkArgs, args), pulumi.ResourceOptions(parent=self)
        )
        self.vpc_id = inner.vpc_id
        self.vpc_cidr_block = inner.vpc_cidr_block
        self.public_subnet_ids = inner.public_subnet_ids
        self.private_subnet_ids = inner.private_subnet_ids
        self.availability_zones = inner.availability_zones
        self.private_route_table_ids = inner.private_route_table_ids
        self.endpoint_security_group_id = inner.endpoint_security_group_id
        self.flow_log_group_name = inner.flow_log_group_name
        self.nat_gateway_count = pulumi.Output.from_input(inner.nat_gateway_count)
        self.nat_public_ips = pulumi.Output.all(*inner.nat_public_ips).apply(list)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr_block": self.vpc_cidr_block,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "availability_zones": self.availability_zones,
                "private_route_table_ids": self.private_route_table_ids,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "flow_log_group_name": self.flow_log_group_name,
                "nat_gateway_count": self.nat_gateway_count,
                "nat_public_ips": self.nat_public_ips,
            }
        )
