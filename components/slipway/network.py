"""``Network``: a VPC with public subnets for the load balancer and private ones for tasks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid, is_whole
from slipway.iam import allow, policy_document
from slipway.logs import log_group, retention_problems
from slipway.patterns import KMS_KEY_ARN

MAX_AZ_COUNT = 3
"""The subnet layout keeps room for this many availability zones."""
AZ_LETTERS = "abc"
"""Suffix of each AZ's subnets in Name tags and logical names (``private-a``)."""
LAYOUT_BITS = 3
"""The VPC range is cut into 2**3 = 8 equal blocks, three bits longer than the VPC prefix."""
PRIVATE_BLOCKS = (0, 1, 2)
"""Blocks of the private subnets of AZ a, b, c."""
PUBLIC_BLOCKS = (3, 4, 5)
"""Blocks of the public subnets of AZ a, b, c. Blocks 6 and 7 (the last quarter) stay free."""
ALB_MIN_SUBNET_PREFIX = 27
"""An Application Load Balancer needs subnets of /27 or larger; a /24 VPC's blocks are /27."""

INTERFACE_ENDPOINT_SERVICES = (
    "ecr.api",
    "ecr.dkr",
    "logs",
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "kms",
    "sts",
    "monitoring",
    "ecs",
    "ec2",
)
"""Interface endpoints this component can create: the services Fargate tasks talk to, and the
ECS and EC2 APIs a smoke-test hook reads without a NAT
(:data:`slipway.smoke_test_hook.API_ENDPOINTS`)."""
DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
NO_NAT_REQUIRED_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs")
"""Without a NAT, tasks can pull images and ship logs only through these (plus S3's gateway)."""

FLOW_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
"""What the flow-log service needs on its (already created) log group, and nothing more."""
FLOW_LOGS_PRINCIPAL = "vpc-flow-logs.amazonaws.com"
HTTPS_PORT = 443
ANYWHERE_IPV4 = "0.0.0.0/0"
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))

NAME_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class NatStrategy(StrEnum):
    """How private subnets reach the internet."""

    NONE = "none"
    """No NAT gateway and no default route: AWS services only through VPC endpoints."""
    SINGLE = "single"
    """One NAT gateway (in the first AZ) for every private subnet: cheap, one AZ's failure
    cuts every task off from the internet."""
    PER_AZ = "per_az"
    """One NAT gateway per AZ, each private subnet routed through its own AZ's."""
    REGIONAL = "regional"
    """One regional NAT gateway (``availability_mode: regional``) that spans the VPC's AZs
    itself, with no public subnet of its own; every private subnet routes to it. Manual mode:
    one Elastic IP per AZ, so the addresses the internet sees are known and stay. See "Regional
    NAT gateways for automatic multi-AZ expansion", Amazon VPC User Guide
    (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html), and
    ``AvailabilityZoneAddress`` in the EC2 API Reference
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZoneAddress.html)."""


@dataclass(frozen=True)
class SubnetLayout:
    """CIDR ranges of one AZ's subnets."""

    private: str
    public: str


def subnet_layout(vpc_cidr: str, az_count: int) -> list[SubnetLayout]:
    """The subnets of the first ``az_count`` AZs, computed from the VPC range alone.

    The range is cut into 8 equal blocks: blocks 0-2 are the private subnets of AZ a-c, blocks
    3-5 the public ones, and blocks 6-7 stay free for a later tier. An AZ's ranges do not depend
    on ``az_count``, so going from 2 to 3 AZs adds subnets and never renumbers existing ones. A
    /16 gives /19 subnets (8,187 usable addresses each), a /24 gives /27 ones (27 usable), still
    large enough for an Application Load Balancer.
    """
    blocks = list(ipaddress.IPv4Network(vpc_cidr).subnets(prefixlen_diff=LAYOUT_BITS))
    return [
        SubnetLayout(private=str(blocks[PRIVATE_BLOCKS[i]]), public=str(blocks[PUBLIC_BLOCKS[i]]))
        for i in range(az_count)
    ]


def vpc_cidr_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is a private (RFC 1918) IPv4 network from /16 to /24."""
    try:
        network = ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as error:
        allowed = f"an IPv4 network in CIDR notation such as 10.20.0.0/16 ({error})"
        return [invalid(setting, value, allowed)]
    if not any(network.subnet_of(block) for block in RFC1918) or not (
        16 <= network.prefixlen <= 24
    ):
        allowed = "a private IPv4 network (RFC 1918: 10/8, 172.16/12, 192.168/16), /16 to /24"
        return [invalid(setting, value, allowed)]
    return []


def az_count_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is 2 to :data:`MAX_AZ_COUNT` availability zones."""
    if is_whole(value, 2, MAX_AZ_COUNT):
        return []
    return [invalid(setting, value, f"2 to {MAX_AZ_COUNT}")]


def interface_endpoint_problems(value: Sequence[str], setting: str) -> list[str]:
    """A problem unless ``value`` names distinct services of
    :data:`INTERFACE_ENDPOINT_SERVICES`."""
    endpoints = list(value)
    unknown = [s for s in endpoints if s not in INTERFACE_ENDPOINT_SERVICES]
    if unknown or len(set(endpoints)) != len(endpoints):
        allowed = "distinct services among " + ", ".join(INTERFACE_ENDPOINT_SERVICES)
        return [invalid(setting, endpoints, allowed)]
    return []


def no_nat_problems(
    endpoints: Sequence[str], s3_gateway_endpoint: bool, settings: tuple[str, str, str]
) -> list[str]:
    """With no NAT, what tasks would miss: the :data:`NO_NAT_REQUIRED_ENDPOINTS` and the S3
    gateway. ``settings`` names the NAT strategy, the endpoints and the S3 gateway as the
    caller's user spells them."""
    strategy, endpoints_name, s3_name = settings
    missing = [s for s in NO_NAT_REQUIRED_ENDPOINTS if s not in endpoints]
    if not missing and s3_gateway_endpoint:
        return []
    needs = [f"{', '.join(missing)} in {endpoints_name}"] if missing else []
    if not s3_gateway_endpoint:
        needs.append(f"{s3_name} true")
    return [
        invalid(
            strategy,
            NatStrategy.NONE.value,
            "'none' leaves private subnets without a route out, so tasks could not pull "
            "images (ECR API, registry and S3 layers) or ship logs; it needs the ecr.api, "
            "ecr.dkr and logs interface endpoints and the S3 gateway endpoint (missing: "
            f"{'; '.join(needs)}), or use 'single'",
        )
    ]


@dataclass(frozen=True)
class NetworkArgs:
    """Arguments of :class:`Network`. Every default is the secure (and resilient) choice."""

    name_prefix: str
    """Prefix of the physical ``Name`` tags, e.g. ``storefront-prod`` gives
    ``storefront-prod-private-a``. Lower-case letters, digits and '-', at most 40 characters."""
    vpc_cidr: str
    """IPv4 range of the VPC: private (RFC 1918), /16 to /24. See :func:`subnet_layout`."""
    az_count: int = 2
    """How many availability zones (2 or 3) get a public and a private subnet. Default: 2.
    Going from 2 to 3 later only adds subnets."""
    nat_strategy: NatStrategy = NatStrategy.PER_AZ
    """How private subnets reach the internet (``none``, ``single``, ``per_az``,
    ``regional``). Default:
    ``per_az``, so that one AZ's failure cannot cut the others off. ``none`` needs the
    ``ecr.api``, ``ecr.dkr`` and ``logs`` interface endpoints and the S3 gateway endpoint."""
    interface_endpoints: Sequence[str] = DEFAULT_INTERFACE_ENDPOINTS
    """AWS services reached through interface endpoints (private DNS on) in the private subnets,
    so their traffic stays in the VPC and skips the NAT. Allowed: see
    :data:`INTERFACE_ENDPOINT_SERVICES`. Default: ecr.api, ecr.dkr, logs, secretsmanager."""
    s3_gateway_endpoint: bool = True
    """Route S3 traffic (ECR's image layers among it) through a free gateway endpoint on the
    private route tables. Default: on."""
    flow_logs: bool = True
    """Record the VPC's traffic (accepted and rejected) in a CloudWatch log group. Default: on."""
    flow_log_retention_days: int = 365
    """Days the flow-log group keeps events; one of CloudWatch's values. Default: 365."""
    log_kms_key_arn: pulumi.Input[str] | None = None
    """KMS key ARN that encrypts the flow-log group; its key policy must let
    ``logs.<region>.amazonaws.com`` use it. Default: CloudWatch Logs' own encryption."""
    protect: bool = False
    """Protect the flow-log group and retain it if it leaves the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child (``Name`` is set per resource)."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "NetworkArgs."
        if not NAME_PREFIX.match(self.name_prefix):
            problems.append(
                invalid(
                    name + "name_prefix",
                    self.name_prefix,
                    "1 to 40 lower-case letters, digits and '-', not starting or ending with '-'",
                )
            )
        problems.extend(vpc_cidr_problems(self.vpc_cidr, name + "vpc_cidr"))
        problems.extend(az_count_problems(self.az_count, name + "az_count"))
        strategy: NatStrategy | None = None
        try:
            strategy = NatStrategy(self.nat_strategy)
            object.__setattr__(self, "nat_strategy", strategy)
        except ValueError:
            problems.append(
                invalid(
                    name + "nat_strategy",
                    self.nat_strategy,
                    "one of " + ", ".join(s.value for s in NatStrategy),
                )
            )
        endpoints = list(self.interface_endpoints)
        problems.extend(interface_endpoint_problems(endpoints, name + "interface_endpoints"))
        if strategy is NatStrategy.NONE:
            problems.extend(
                no_nat_problems(
                    endpoints,
                    self.s3_gateway_endpoint,
                    (name + "nat_strategy", "interface_endpoints", "s3_gateway_endpoint"),
                )
            )
        problems.extend(
            retention_problems(self.flow_log_retention_days, name + "flow_log_retention_days")
        )
        if isinstance(self.log_kms_key_arn, str) and not KMS_KEY_ARN.match(self.log_kms_key_arn):
            problems.append(
                invalid(
                    name + "log_kms_key_arn",
                    self.log_kms_key_arn,
                    "a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); aliases "
                    "are not accepted by CloudWatch Logs",
                )
            )
        if problems:
            raise ConfigError(problems)

    @property
    def nat_gateway_count(self) -> int:
        """How many NAT gateways (and Elastic IPs) these arguments create."""
        return {
            NatStrategy.NONE: 0,
            NatStrategy.SINGLE: 1,
            NatStrategy.PER_AZ: self.az_count,
            NatStrategy.REGIONAL: 1,
        }[NatStrategy(self.nat_strategy)]

    @property
    def elastic_ip_count(self) -> int:
        """How many Elastic IPs the NAT gateways hold: one per zonal gateway, one per AZ for a
        regional one."""
        if NatStrategy(self.nat_strategy) is NatStrategy.REGIONAL:
            return self.az_count
        return self.nat_gateway_count


class Network(pulumi.ComponentResource):
    """A VPC across 2 or 3 AZs: public subnets (load balancer only), private subnets (tasks),
    NAT per the strategy, VPC endpoints, flow logs, and a default security group with no rules.

    Outputs:
        vpc_id: ID of the VPC.
        vpc_cidr_block: IPv4 range of the VPC.
        public_subnet_ids: Public subnets, one per AZ in AZ order (for the load balancer).
        private_subnet_ids: Private subnets, one per AZ in AZ order (for tasks).
        availability_zones: Names of the AZs used, in order.
        private_route_table_ids: Route tables of the private subnets, one per AZ.
        endpoint_security_group_id: Security group of the interface endpoints (443 from the
            VPC only); None when there are no interface endpoints.
        flow_log_group_name: Log group of the flow logs; None when flow logs are off.
        nat_gateway_count: How many NAT gateways there are (a plain int, for the plan).
        nat_public_ips: The NAT gateways' public addresses, one Output each (a plain list, so
            that one security group rule per address can be made): what the VPC's clients
            of a public endpoint, such as the internet-facing ALB, arrive from.
        vpc_cidr: The VPC's IPv4 range as configured (a plain string, known before
            deployment, for checks such as ``FargateServiceArgs.egress``).
        egress_ready: What private subnets need before a task there can reach anything: their
            route table associations, their default routes to NAT, the VPC endpoints and the
            endpoints' HTTPS rule. Pass it as ``depends_on`` (``PlacementOptions.egress_ready``).
    """

    TOKEN = "slipway:index:Network"

    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    availability_zones: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    flow_log_group_name: pulumi.Output[str] | None
    nat_gateway_count: int
    nat_public_ips: list[pulumi.Output[str]]
    vpc_cidr: str
    egress_ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        prefix = args.name_prefix
        strategy = NatStrategy(args.nat_strategy)

        def tags(physical_name: str) -> dict[str, str]:
            return {**args.tags, "Name": physical_name}

        zones = aws.get_availability_zones_output(state="available", opts=invoke)
        region = aws.get_region_output(opts=invoke).region
        az_count = args.az_count

        def zone(index: int) -> pulumi.Output[str]:
            def pick(names: list[str]) -> str:
                if len(names) <= index:
                    raise ConfigError(
                        invalid(
                            "NetworkArgs.az_count",
                            az_count,
                            f"at most the {len(names)} available AZs of the region",
                        )
                    )
                return names[index]

            picked: pulumi.Output[str] = zones.names.apply(pick)
            return picked

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags(f"{prefix}-vpc"),
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            tags=tags(f"{prefix}-default-unused"),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=tags(f"{prefix}-igw"), opts=child
        )

        layout = subnet_layout(args.vpc_cidr, az_count)
        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for index, ranges in enumerate(layout):
            letter = AZ_LETTERS[index]
            for tier, cidr, into in (
                ("public", ranges.public, public_subnets),
                ("private", ranges.private, private_subnets),
            ):
                into.append(
                    aws.ec2.Subnet(
                        f"{name}-{tier}-{letter}",
                        vpc_id=vpc.id,
                        cidr_block=cidr,
                        availability_zone=zone(index),
                        map_public_ip_on_launch=False,
                        tags={**tags(f"{prefix}-{tier}-{letter}"), "Tier": tier},
                        opts=child,
                    )
                )

        public_table = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=tags(f"{prefix}-public"), opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_table.id,
            destination_cidr_block=ANYWHERE_IPV4,
            gateway_id=igw.id,
            opts=child,
        )
        for index, subnet in enumerate(public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{AZ_LETTERS[index]}-rta",
                subnet_id=subnet.id,
                route_table_id=public_table.id,
                opts=child,
            )

        self.nat_public_ips = []
        nat_gateways = self._nat_gateways(name, args, vpc, igw, public_subnets, zone, tags)
        ready: list[pulumi.Resource] = []

        private_tables: list[aws.ec2.RouteTable] = []
        for index, subnet in enumerate(private_subnets):
            letter = AZ_LETTERS[index]
            table = aws.ec2.RouteTable(
                f"{name}-private-{letter}-rt",
                vpc_id=vpc.id,
                tags=tags(f"{prefix}-private-{letter}"),
                opts=child,
            )
            private_tables.append(table)
            ready.append(
                aws.ec2.RouteTableAssociation(
                    f"{name}-private-{letter}-rta",
                    subnet_id=subnet.id,
                    route_table_id=table.id,
                    opts=child,
                )
            )
            if strategy is not NatStrategy.NONE:
                nat = nat_gateways[index if strategy is NatStrategy.PER_AZ else 0]
                ready.append(
                    aws.ec2.Route(
                        f"{name}-private-{letter}-default",
                        route_table_id=table.id,
                        destination_cidr_block=ANYWHERE_IPV4,
                        nat_gateway_id=nat.id,
                        opts=child,
                    )
                )

        private_subnet_ids = [s.id for s in private_subnets]
        private_table_ids = [t.id for t in private_tables]

        def service_name(service: str) -> pulumi.Output[str]:
            return pulumi.Output.concat("com.amazonaws.", region, ".", service)

        self.endpoint_security_group_id = None
        if args.interface_endpoints:
            # No egress rule: the provider removes AWS's allow-all egress from a new group and
            # endpoints only answer connections (security groups are stateful).
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                vpc_id=vpc.id,
                description=f"Interface VPC endpoints of {prefix}: HTTPS from the VPC only",
                tags=tags(f"{prefix}-endpoints"),
                opts=child,
            )
            endpoints_https = aws.vpc.SecurityGroupIngressRule(
                f"{name}-endpoints-https",
                security_group_id=endpoint_sg.id,
                description="HTTPS to the endpoints from inside the VPC",
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                cidr_ipv4=vpc.cidr_block,
                tags=tags(f"{prefix}-endpoints-https"),
                opts=child,
            )
            ready.append(endpoints_https)
            self.endpoint_security_group_id = endpoint_sg.id
            for service in args.interface_endpoints:
                slug = service.replace(".", "-")
                endpoint = aws.ec2.VpcEndpoint(
                    f"{name}-vpce-{slug}",
                    vpc_id=vpc.id,
                    service_name=service_name(service),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=private_subnet_ids,
                    security_group_ids=[endpoint_sg.id],
                    tags=tags(f"{prefix}-{slug}"),
                    opts=child,
                )
                ready.append(endpoint)
        if args.s3_gateway_endpoint:
            s3_endpoint = aws.ec2.VpcEndpoint(
                f"{name}-vpce-s3",
                vpc_id=vpc.id,
                service_name=service_name("s3"),
                vpc_endpoint_type="Gateway",
                route_table_ids=private_table_ids,
                tags=tags(f"{prefix}-s3"),
                opts=child,
            )
            ready.append(s3_endpoint)

        self.flow_log_group_name = None
        if args.flow_logs:
            self.flow_log_group_name = self._flow_logs(name, args, vpc, tags)

        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*private_subnet_ids)
        self.availability_zones = pulumi.Output.all(*[zone(i) for i in range(az_count)])
        self.private_route_table_ids = pulumi.Output.all(*private_table_ids)
        self.nat_gateway_count = args.nat_gateway_count
        self.vpc_cidr = args.vpc_cidr
        self.egress_ready = ready
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
                "vpc_cidr": self.vpc_cidr,
            }
        )

    def _nat_gateways(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
        public_subnets: Sequence[aws.ec2.Subnet],
        zone: Callable[[int], pulumi.Output[str]],
        tags: Callable[[str], dict[str, str]],
    ) -> list[aws.ec2.NatGateway]:
        """The NAT gateways of the strategy, each with its Elastic IPs: a zonal one in each
        used AZ's public subnet, or one regional gateway in the VPC with an address per AZ."""
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.name_prefix
        after_igw = pulumi.ResourceOptions(parent=self, depends_on=[igw])

        def eip(label: str) -> aws.ec2.Eip:
            address = aws.ec2.Eip(
                f"{name}-{label}-eip", domain="vpc", tags=tags(f"{prefix}-{label}"), opts=child
            )
            self.nat_public_ips.append(address.public_ip)
            return address

        if NatStrategy(args.nat_strategy) is NatStrategy.REGIONAL:
            # Manual mode (availability_zone_addresses): the gateway serves exactly the VPC's
            # AZs with these addresses; it needs the internet gateway but no public subnet.
            addresses = [
                aws.ec2.NatGatewayAvailabilityZoneAddressArgs(
                    availability_zone=zone(index),
                    allocation_ids=[eip(f"nat-regional-{AZ_LETTERS[index]}").allocation_id],
                )
                for index in range(args.az_count)
            ]
            return [
                aws.ec2.NatGateway(
                    f"{name}-nat-regional",
                    vpc_id=vpc.id,
                    availability_mode="regional",
                    connectivity_type="public",
                    availability_zone_addresses=addresses,
                    tags=tags(f"{prefix}-nat-regional"),
                    opts=after_igw,
                )
            ]
        return [
            aws.ec2.NatGateway(
                f"{name}-nat-{AZ_LETTERS[index]}",
                allocation_id=eip(f"nat-{AZ_LETTERS[index]}").allocation_id,
                subnet_id=public_subnets[index].id,
                connectivity_type="public",
                tags=tags(f"{prefix}-nat-{AZ_LETTERS[index]}"),
                opts=after_igw,
            )
            for index in range(args.nat_gateway_count)
        ]

    def _flow_logs(
        self,
        name: str,
        args: NetworkArgs,
        vpc: aws.ec2.Vpc,
        tags: Callable[[str], dict[str, str]],
    ) -> pulumi.Output[str]:
        """Flow logs of the whole VPC into their own log group, through a scoped role."""
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        group = log_group(
            f"{name}-flow-logs",
            parent=self,
            log_group_name=f"/vpc/{args.name_prefix}/flow-logs",
            retention_days=args.flow_log_retention_days,
            kms_key_arn=args.log_kms_key_arn,
            protect=args.protect,
            tags=tags(f"{args.name_prefix}-flow-logs"),
        )
        trust = policy_document(
            [
                {
                    "Sid": "VpcFlowLogsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": FLOW_LOGS_PRINCIPAL},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": identity.account_id},
                        "ArnLike": {
                            "aws:SourceArn": pulumi.Output.concat(
                                "arn:",
                                partition,
                                ":ec2:",
                                region,
                                ":",
                                identity.account_id,
                                ":vpc-flow-log/*",
                            )
                        },
                    },
                }
            ]
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description=f"Lets VPC Flow Logs of {args.name_prefix} write to their log group",
            assume_role_policy=trust,
            max_session_duration=3600,
            tags=tags(f"{args.name_prefix}-flow-logs"),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.name,
            policy=policy_document(
                [
                    allow(
                        "WriteFlowLogs",
                        FLOW_LOG_ACTIONS,
                        [group.arn, pulumi.Output.concat(group.arn, ":log-stream:*")],
                    )
                ]
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=tags(f"{args.name_prefix}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        group_name: pulumi.Output[str] = group.name
        return group_name
