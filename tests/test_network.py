"""Network: what it registers (VPC, subnets, NAT, endpoints, flow logs) and that AWS accepts it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest
from pulumi import ComponentResource, ResourceOptions

from slipway.errors import ConfigError
from slipway.network import (
    ALB_MIN_SUBNET_PREFIX,
    FLOW_LOG_ACTIONS,
    NatStrategy,
    Network,
    NetworkArgs,
    subnet_layout,
)
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy, assert_valid_trust_policy
from tooling.offline import ACCOUNT_ID, RecordedResource, Recording

Runner = Callable[..., Recording]

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
EIP = "aws:ec2/eip:Eip"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPONENT = "slipway:index:Network"

OUTPUTS = (
    "vpc_id",
    "vpc_cidr_block",
    "public_subnet_ids",
    "private_subnet_ids",
    "availability_zones",
    "private_route_table_ids",
    "endpoint_security_group_id",
    "flow_log_group_name",
    "nat_gateway_count",
)
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
TAGS = {"app": "storefront", "stack": "test"}


_recordings: dict[str, Recording] = {}


def network(run: Runner, region: str = "eu-west-1", **overrides: Any) -> Recording:
    """Run one Network offline. The program is deterministic, so each distinct set of arguments
    runs once per session; tests only read the recording."""
    plain = {k: v.value if isinstance(v, NatStrategy) else v for k, v in overrides.items()}
    key = repr((region, sorted(plain.items())))
    if key in _recordings:
        return _recordings[key]

    def program() -> dict[str, Any]:
        args = NetworkArgs(
            **{
                "name_prefix": "storefront-test",
                "vpc_cidr": "10.20.0.0/16",
                "tags": TAGS,
                **overrides,
            }
        )
        component = Network("net", args)
        return {output: getattr(component, output) for output in OUTPUTS}

    _recordings[key] = run(program, region=region)
    return _recordings[key]


def depends_on(resource: RecordedResource, other: RecordedResource) -> bool:
    return other.urn in resource.dependencies


def default_routes(recording: Recording) -> list[RecordedResource]:
    return [r for r in recording.of_type(ROUTE) if r.inputs.get("destinationCidrBlock")]


# --- subnets -----------------------------------------------------------------------------------


def test_vpc_has_dns_and_the_given_range(run_component: Runner) -> None:
    vpc = network(run_component).one(VPC)
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["tags"] == {**TAGS, "Name": "storefront-test-vpc"}


def test_subnets_are_carved_from_the_vpc_range_one_pair_per_az(run_component: Runner) -> None:
    recording = network(run_component)
    subnets = {s.name: s.inputs for s in recording.of_type(SUBNET)}
    assert {name: s["cidrBlock"] for name, s in subnets.items()} == {
        "net-private-a": "10.20.0.0/19",
        "net-private-b": "10.20.32.0/19",
        "net-public-a": "10.20.96.0/19",
        "net-public-b": "10.20.128.0/19",
    }
    assert {name: s["availabilityZone"] for name, s in subnets.items()} == {
        "net-private-a": "eu-west-1a",
        "net-private-b": "eu-west-1b",
        "net-public-a": "eu-west-1a",
        "net-public-b": "eu-west-1b",
    }
    for name, inputs in subnets.items():
        assert inputs["mapPublicIpOnLaunch"] is False, name
        assert inputs["vpcId"] == recording.outputs["vpc_id"], name
        assert inputs["tags"]["Name"] == name.replace("net-", "storefront-test-"), name
    assert recording.outputs["availability_zones"] == ["eu-west-1a", "eu-west-1b"]


def test_a_third_az_adds_subnets_without_renumbering_the_first_two(run_component: Runner) -> None:
    def cidrs(recording: Recording) -> dict[str, str]:
        return {s.name: s.inputs["cidrBlock"] for s in recording.of_type(SUBNET)}

    two = cidrs(network(run_component, az_count=2))
    three_recording = network(run_component, az_count=3)
    three = cidrs(three_recording)
    assert {name: three[name] for name in two} == two
    assert set(three) - set(two) == {"net-private-c", "net-public-c"}
    assert three["net-private-c"] == "10.20.64.0/19"
    assert three["net-public-c"] == "10.20.160.0/19"
    assert three_recording.one(SUBNET, "net-private-c").inputs["availabilityZone"] == "eu-west-1c"
    assert three_recording.outputs["availability_zones"] == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    ]


@pytest.mark.parametrize("prefix", range(16, 25))
def test_layout_fits_every_allowed_vpc_size(prefix: int) -> None:
    vpc = ipaddress.IPv4Network(f"10.20.0.0/{prefix}")
    two, three = subnet_layout(str(vpc), 2), subnet_layout(str(vpc), 3)
    assert three[:2] == two
    networks = [ipaddress.IPv4Network(c) for az in three for c in (az.private, az.public)]
    for index, subnet in enumerate(networks):
        assert subnet.subnet_of(vpc)
        assert subnet.prefixlen <= ALB_MIN_SUBNET_PREFIX == 27, "an ALB needs /27 or larger"
        assert not any(subnet.overlaps(other) for other in networks[index + 1 :])


def test_create_vpc_and_subnet_requests_match_the_ec2_api_model(run_component: Runner) -> None:
    recording = network(run_component, az_count=3)
    vpc = recording.one(VPC).inputs
    model = service_model("ec2")

    def tag_spec(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]

    botocore.validate.validate_parameters(
        {"CidrBlock": vpc["cidrBlock"], "TagSpecifications": tag_spec("vpc", vpc["tags"])},
        model.operation_model("CreateVpc").input_shape,
    )
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        botocore.validate.validate_parameters(
            {"VpcId": recording.outputs["vpc_id"], attribute: {"Value": True}},
            model.operation_model("ModifyVpcAttribute").input_shape,
        )
    subnets = recording.of_type(SUBNET)
    assert len(subnets) == 6
    for subnet in subnets:
        botocore.validate.validate_parameters(
            {
                "VpcId": subnet.inputs["vpcId"],
                "CidrBlock": subnet.inputs["cidrBlock"],
                "AvailabilityZone": subnet.inputs["availabilityZone"],
                "TagSpecifications": tag_spec("subnet", subnet.inputs["tags"]),
            },
            model.operation_model("CreateSubnet").input_shape,
        )
    # The ranges AWS will be asked for lie inside the VPC and do not overlap.
    ranges = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    for index, subnet_range in enumerate(ranges):
        assert subnet_range.subnet_of(ipaddress.IPv4Network(vpc["cidrBlock"]))
        assert not any(subnet_range.overlaps(other) for other in ranges[index + 1 :])


# --- NAT and routes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "az_count", "nats"),
    [
        (NatStrategy.SINGLE, 2, 1),
        (NatStrategy.SINGLE, 3, 1),
        (NatStrategy.PER_AZ, 2, 2),
        (NatStrategy.PER_AZ, 3, 3),
        (NatStrategy.NONE, 3, 0),
    ],
)
def test_nat_gateways_follow_the_strategy(
    run_component: Runner, strategy: NatStrategy, az_count: int, nats: int
) -> None:
    recording = network(run_component, nat_strategy=strategy, az_count=az_count)
    assert recording.outputs["nat_gateway_count"] == nats
    assert len(recording.of_type(NAT)) == nats
    assert len(recording.of_type(EIP)) == nats
    igw = recording.one(IGW)
    # Registration order depends on when inputs resolve: look each NAT up by name.
    for index, letter in enumerate("abc"[:nats]):
        nat = recording.one(NAT, f"net-nat-{letter}")
        eip = recording.one(EIP, f"net-nat-{letter}-eip")
        assert eip.inputs["domain"] == "vpc"
        assert nat.inputs["connectivityType"] == "public"
        assert nat.inputs["subnetId"] == recording.outputs["public_subnet_ids"][index]
        assert depends_on(nat, eip)
        assert depends_on(nat, igw)


def test_public_route_table_sends_the_internet_to_the_igw(run_component: Runner) -> None:
    recording = network(run_component, az_count=3)
    table = recording.one(ROUTE_TABLE, "net-public-rt")
    route = recording.one(ROUTE, "net-public-default")
    assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
    assert route.inputs["gatewayId"].startswith("igw-")
    assert "natGatewayId" not in route.inputs
    assert depends_on(route, table)
    assert depends_on(route, recording.one(IGW))
    public_associations = [
        a for a in recording.of_type(ASSOCIATION) if a.name.startswith("net-public-")
    ]
    assert sorted(a.inputs["subnetId"] for a in public_associations) == sorted(
        recording.outputs["public_subnet_ids"]
    )
    assert all(depends_on(a, table) for a in public_associations)


@pytest.mark.parametrize(
    ("strategy", "nat_of_az"),
    [
        (NatStrategy.PER_AZ, {"a": "a", "b": "b", "c": "c"}),
        (NatStrategy.SINGLE, dict.fromkeys("abc", "a")),
    ],
)
def test_each_private_route_table_goes_through_its_nat(
    run_component: Runner, strategy: NatStrategy, nat_of_az: dict[str, str]
) -> None:
    recording = network(run_component, nat_strategy=strategy, az_count=3)
    tables = recording.outputs["private_route_table_ids"]
    assert len(tables) == 3
    for index, letter in enumerate("abc"):
        table = recording.one(ROUTE_TABLE, f"net-private-{letter}-rt")
        route = recording.one(ROUTE, f"net-private-{letter}-default")
        nat = recording.one(NAT, f"net-nat-{nat_of_az[letter]}")
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert route.inputs["routeTableId"] == tables[index]
        assert route.inputs["natGatewayId"].startswith("nat-")
        assert "gatewayId" not in route.inputs
        assert depends_on(route, table)
        assert depends_on(route, nat)
        other_nats = [n for n in recording.of_type(NAT) if n.name != nat.name]
        assert not any(depends_on(route, n) for n in other_nats)
        association = recording.one(ASSOCIATION, f"net-private-{letter}-rta")
        assert association.inputs["subnetId"] == recording.outputs["private_subnet_ids"][index]
        assert association.inputs["routeTableId"] == tables[index]


def test_no_nat_means_no_default_route_out_of_private_subnets(run_component: Runner) -> None:
    recording = network(run_component, nat_strategy="none")
    assert recording.of_type(NAT) == []
    assert recording.of_type(EIP) == []
    assert [r.name for r in default_routes(recording)] == ["net-public-default"]
    assert not any(
        r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"
        and r.inputs["routeTableId"] in recording.outputs["private_route_table_ids"]
        for r in recording.of_type(ROUTE)
    )


# --- endpoints ---------------------------------------------------------------------------------


def test_interface_endpoints_are_private_and_behind_the_endpoint_group(
    run_component: Runner,
) -> None:
    recording = network(
        run_component, region="us-east-2", interface_endpoints=("ecr.api", "ecr.dkr", "sts")
    )
    interfaces = [
        e for e in recording.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"
    ]
    assert sorted(e.inputs["serviceName"] for e in interfaces) == [
        "com.amazonaws.us-east-2.ecr.api",
        "com.amazonaws.us-east-2.ecr.dkr",
        "com.amazonaws.us-east-2.sts",
    ]
    group_id = recording.outputs["endpoint_security_group_id"]
    assert group_id.startswith("sg-")
    for endpoint in interfaces:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert endpoint.inputs["subnetIds"] == recording.outputs["private_subnet_ids"]
        assert endpoint.inputs["securityGroupIds"] == [group_id]
        assert endpoint.inputs["vpcId"] == recording.outputs["vpc_id"]


def test_default_interface_endpoints(run_component: Runner) -> None:
    recording = network(run_component)
    assert sorted(
        e.inputs["serviceName"]
        for e in recording.of_type(ENDPOINT)
        if e.inputs["vpcEndpointType"] == "Interface"
    ) == [f"com.amazonaws.eu-west-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "secretsmanager")]


def test_endpoint_group_admits_https_from_the_vpc_only(run_component: Runner) -> None:
    recording = network(run_component, vpc_cidr="10.40.0.0/20")
    group = recording.one(SG, "net-endpoints-sg")
    assert "ingress" not in group.inputs
    assert "egress" not in group.inputs
    (rule,) = recording.of_type(INGRESS)
    assert depends_on(rule, group)
    assert rule.inputs["securityGroupId"] == recording.outputs["endpoint_security_group_id"]
    assert rule.inputs["ipProtocol"] == "tcp"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
    assert rule.inputs["cidrIpv4"] == "10.40.0.0/20"
    assert not {"cidrIpv6", "prefixListId", "referencedSecurityGroupId"} & set(rule.inputs)
    assert recording.of_type(EGRESS) == []


def test_no_interface_endpoints_means_no_endpoint_group(run_component: Runner) -> None:
    recording = network(run_component, interface_endpoints=())
    assert recording.of_type(SG) == []
    assert recording.of_type(INGRESS) == []
    assert recording.outputs["endpoint_security_group_id"] is None
    assert [e.inputs["vpcEndpointType"] for e in recording.of_type(ENDPOINT)] == ["Gateway"]


def test_s3_gateway_endpoint_serves_the_private_route_tables(run_component: Runner) -> None:
    recording = network(run_component, az_count=3)
    s3 = recording.one(ENDPOINT, "net-vpce-s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert s3.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    assert s3.inputs["routeTableIds"] == recording.outputs["private_route_table_ids"]
    assert len(s3.inputs["routeTableIds"]) == 3
    assert "subnetIds" not in s3.inputs
    off = network(run_component, s3_gateway_endpoint=False)
    assert [e.name for e in off.of_type(ENDPOINT) if "s3" in e.inputs["serviceName"]] == []


def test_create_vpc_endpoint_requests_match_the_ec2_api_model(run_component: Runner) -> None:
    recording = network(run_component)
    operation = service_model("ec2").operation_model("CreateVpcEndpoint").input_shape
    for endpoint in recording.of_type(ENDPOINT):
        inputs = endpoint.inputs
        request: dict[str, Any] = {
            "VpcId": inputs["vpcId"],
            "ServiceName": inputs["serviceName"],
            "VpcEndpointType": inputs["vpcEndpointType"],
            "TagSpecifications": [
                {
                    "ResourceType": "vpc-endpoint",
                    "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()],
                }
            ],
        }
        if inputs["vpcEndpointType"] == "Interface":
            request |= {
                "SubnetIds": inputs["subnetIds"],
                "SecurityGroupIds": inputs["securityGroupIds"],
                "PrivateDnsEnabled": inputs["privateDnsEnabled"],
            }
        else:
            request["RouteTableIds"] = inputs["routeTableIds"]
        botocore.validate.validate_parameters(request, operation)


# --- flow logs ---------------------------------------------------------------------------------


def test_flow_logs_go_to_a_retained_encrypted_log_group(run_component: Runner) -> None:
    recording = network(run_component, flow_log_retention_days=90, log_kms_key_arn=KEY_ARN)
    group = recording.one(LOG_GROUP)
    assert group.inputs["name"] == "/vpc/storefront-test/flow-logs"
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"] == KEY_ARN
    group_arn = f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/vpc/storefront-test/flow-logs"
    flow = recording.one(FLOW_LOG)
    role = recording.one(ROLE)
    assert flow.inputs["vpcId"] == recording.outputs["vpc_id"]
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group_arn
    assert flow.inputs["iamRoleArn"].startswith(f"arn:aws:iam::{ACCOUNT_ID}:role/")
    assert depends_on(flow, group)
    assert depends_on(flow, role)
    # The write permission exists before the flow log starts delivering.
    assert depends_on(flow, recording.one(ROLE_POLICY))
    assert recording.outputs["flow_log_group_name"] == "/vpc/storefront-test/flow-logs"


def test_flow_log_group_keeps_a_year_and_uses_no_cmk_unless_given(run_component: Runner) -> None:
    group = network(run_component).one(LOG_GROUP)
    assert group.inputs["retentionInDays"] == 365
    assert "kmsKeyId" not in group.inputs


def test_flow_log_role_trusts_only_this_accounts_flow_logs(run_component: Runner) -> None:
    role = network(run_component).one(ROLE)
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    (statement,) = trust["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:vpc-flow-log/*"
    }


def test_flow_log_role_may_only_write_to_its_log_group(run_component: Runner) -> None:
    recording = network(run_component)
    policy = recording.one(ROLE_POLICY)
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == sorted(FLOW_LOG_ACTIONS)
    assert set(FLOW_LOG_ACTIONS) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
    }
    group_arn = f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/vpc/storefront-test/flow-logs"
    assert statement["Resource"] == [group_arn, f"{group_arn}:log-stream:*"]
    assert depends_on(policy, recording.one(ROLE))
    assert policy.inputs["role"].startswith("net-flow-logs-role")


def test_flow_logs_off_creates_none_of_their_parts(run_component: Runner) -> None:
    recording = network(run_component, flow_logs=False)
    for kind in (LOG_GROUP, FLOW_LOG, ROLE, ROLE_POLICY):
        assert recording.of_type(kind) == [], kind
    assert recording.outputs["flow_log_group_name"] is None


# --- security groups ---------------------------------------------------------------------------


def test_default_security_group_is_stripped_of_every_rule(run_component: Runner) -> None:
    recording = network(run_component)
    default = recording.one(DEFAULT_SG)
    assert default.inputs["vpcId"] == recording.outputs["vpc_id"]
    assert not default.inputs.get("ingress")
    assert not default.inputs.get("egress")


@pytest.mark.parametrize("strategy", list(NatStrategy))
def test_no_rule_anywhere_admits_the_internet(run_component: Runner, strategy: NatStrategy) -> None:
    recording = network(run_component, nat_strategy=strategy, az_count=3)
    assert recording.of_type(INGRESS)
    for rule in recording.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0", rule.name
        assert rule.inputs.get("cidrIpv6") != "::/0", rule.name
        assert ipaddress.IPv4Network(rule.inputs["cidrIpv4"]).is_private, rule.name
    for group in recording.of_type(SG) + recording.of_type(DEFAULT_SG):
        assert not group.inputs.get("ingress"), group.name


# --- options, tags, parenting ------------------------------------------------------------------


def test_only_the_log_group_is_protected_and_only_when_asked(run_component: Runner) -> None:
    protected = network(run_component, protect=True, nat_strategy="per_az")
    for resource in protected.resources:
        stateful = resource.type == LOG_GROUP
        assert resource.protect is stateful, resource.name
        assert resource.retain_on_delete is stateful, resource.name
    unprotected = network(run_component, protect=False)
    assert unprotected.one(LOG_GROUP)
    assert not any(r.protect or r.retain_on_delete for r in unprotected.resources)


def test_every_child_is_parented_and_named_after_the_component(run_component: Runner) -> None:
    recording = network(run_component, nat_strategy="per_az", az_count=3)
    (component,) = recording.of_type(COMPONENT)
    assert component.parent_type == "pulumi:pulumi:Stack"
    children = [r for r in recording.resources if r.type != COMPONENT]
    assert len(children) > 30
    for resource in children:
        assert resource.parent_type == COMPONENT, resource.name
        assert resource.parent_name == "net", resource.name
        assert resource.name.startswith("net-"), resource.name


UNTAGGABLE = {ROUTE, ASSOCIATION, ROLE_POLICY}


def test_every_taggable_child_carries_the_tags_and_a_name(run_component: Runner) -> None:
    recording = network(run_component, nat_strategy="per_az")
    for resource in recording.resources:
        if resource.type in UNTAGGABLE or resource.type == COMPONENT:
            continue
        tags = resource.inputs["tags"]
        assert {k: tags[k] for k in TAGS} == TAGS, resource.name
        assert tags["Name"].startswith("storefront-test-"), resource.name


def test_outputs(run_component: Runner) -> None:
    outputs = network(run_component, nat_strategy="single").outputs
    assert outputs["vpc_id"].startswith("vpc-")
    assert outputs["vpc_cidr_block"] == "10.20.0.0/16"
    for key in ("public_subnet_ids", "private_subnet_ids"):
        assert len(outputs[key]) == 2
        assert all(s.startswith("subnet-") for s in outputs[key])
    assert set(outputs["public_subnet_ids"]).isdisjoint(outputs["private_subnet_ids"])
    assert all(t.startswith("rtb-") for t in outputs["private_route_table_ids"])
    assert outputs["nat_gateway_count"] == 1
    assert type(outputs["nat_gateway_count"]) is int


def test_nat_gateway_count_is_a_plain_int_before_deployment() -> None:
    args = NetworkArgs(name_prefix="x", vpc_cidr="10.0.0.0/16", az_count=3)
    assert args.nat_gateway_count == 3
    assert args.nat_strategy is NatStrategy.PER_AZ
    # A string, as the settings pass it: NetworkArgs takes the enum's value too.
    single = NetworkArgs(name_prefix="x", vpc_cidr="10.0.0.0/16", nat_strategy="single")  # type: ignore[arg-type]
    assert single.nat_strategy is NatStrategy.SINGLE
    assert single.nat_gateway_count == 1


# --- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"az_count": 4}, "NetworkArgs.az_count: got 4; 2 to 3"),
        ({"az_count": 1}, "NetworkArgs.az_count: got 1"),
        ({"vpc_cidr": "52.20.0.0/16"}, "NetworkArgs.vpc_cidr: got '52.20.0.0/16'; a private"),
        ({"vpc_cidr": "100.64.0.0/16"}, "NetworkArgs.vpc_cidr: got '100.64.0.0/16'"),
        ({"vpc_cidr": "10.20.0.0/28"}, "NetworkArgs.vpc_cidr: got '10.20.0.0/28'; a private"),
        ({"vpc_cidr": "10.0.0.0/8"}, "/16 to /24"),
        ({"vpc_cidr": "10.20.0.1/16"}, "NetworkArgs.vpc_cidr: got '10.20.0.1/16'; an IPv4"),
        ({"nat_strategy": "two"}, "NetworkArgs.nat_strategy: got 'two'; one of none"),
        (
            {"nat_strategy": "none", "interface_endpoints": ("ecr.api", "secretsmanager")},
            "NetworkArgs.nat_strategy: got 'none'",
        ),
        (
            {"nat_strategy": "none", "interface_endpoints": ()},
            "missing: ecr.api, ecr.dkr, logs in interface_endpoints",
        ),
        (
            {"nat_strategy": "none", "s3_gateway_endpoint": False},
            "could not pull images",
        ),
        (
            {"nat_strategy": "none", "s3_gateway_endpoint": False},
            "missing: s3_gateway_endpoint true",
        ),
        (
            {"interface_endpoints": ("ecr.api", "ec2messages")},
            "NetworkArgs.interface_endpoints: got ['ecr.api', 'ec2messages']",
        ),
        ({"interface_endpoints": ("logs", "logs")}, "NetworkArgs.interface_endpoints"),
        (
            {"flow_log_retention_days": 10},
            "NetworkArgs.flow_log_retention_days: got 10; one of CloudWatch's values",
        ),
        ({"name_prefix": "Storefront"}, "NetworkArgs.name_prefix: got 'Storefront'"),
        ({"log_kms_key_arn": "alias/logs"}, "NetworkArgs.log_kms_key_arn: got 'alias/logs'"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        network(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        NetworkArgs(name_prefix="ok", vpc_cidr="8.8.8.0/24", az_count=5, flow_log_retention_days=2)
    fields = [p.split(":")[0] for p in caught.value.problems]
    assert fields == [
        "NetworkArgs.vpc_cidr",
        "NetworkArgs.az_count",
        "NetworkArgs.flow_log_retention_days",
    ]


def test_no_nat_with_the_required_endpoints_is_accepted() -> None:
    args = NetworkArgs(
        name_prefix="x",
        vpc_cidr="192.168.0.0/24",
        nat_strategy=NatStrategy.NONE,
        interface_endpoints=("ecr.api", "ecr.dkr", "logs"),
    )
    assert args.nat_gateway_count == 0


# --- regional NAT ------------------------------------------------------------------------------


@pytest.mark.parametrize("az_count", [2, 3])
def test_regional_nat_is_one_gateway_across_the_azs(run_component: Runner, az_count: int) -> None:
    """``regional``: one NatGateway with ``availabilityMode: regional`` in the VPC (no subnet,
    no single allocation), one Elastic IP per AZ in manual mode, every private subnet routed to
    it, and the internet gateway first."""
    recording = network(run_component, nat_strategy=NatStrategy.REGIONAL, az_count=az_count)
    assert recording.outputs["nat_gateway_count"] == 1
    nat = recording.one(NAT, "net-nat-regional")
    assert nat.inputs["availabilityMode"] == "regional"
    assert nat.inputs["connectivityType"] == "public"
    assert nat.inputs["vpcId"] == recording.outputs["vpc_id"]
    assert "subnetId" not in nat.inputs
    assert "allocationId" not in nat.inputs
    assert depends_on(nat, recording.one(IGW))
    eips = recording.of_type(EIP)
    assert sorted(e.name for e in eips) == [f"net-nat-regional-{x}-eip" for x in "abc"[:az_count]]
    addresses = nat.inputs["availabilityZoneAddresses"]
    assert [a["availabilityZone"] for a in addresses] == recording.outputs["availability_zones"]
    assert all(len(a["allocationIds"]) == 1 for a in addresses)
    assert all(depends_on(nat, eip) for eip in eips)
    for letter in "abc"[:az_count]:
        route = recording.one(ROUTE, f"net-private-{letter}-default")
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert depends_on(route, nat)
    request = {
        "AvailabilityMode": nat.inputs["availabilityMode"],
        "VpcId": nat.inputs["vpcId"],
        "ConnectivityType": nat.inputs["connectivityType"],
        "AvailabilityZoneAddresses": [
            {"AvailabilityZone": a["availabilityZone"], "AllocationIds": a["allocationIds"]}
            for a in addresses
        ],
    }
    model = service_model("ec2")
    shape = model.operation_model("CreateNatGateway").input_shape
    botocore.validate.validate_parameters(request, shape)
    assert "regional" in shape.members["AvailabilityMode"].enum


def test_egress_ready_holds_the_private_routes_and_every_endpoint(run_component: Runner) -> None:
    """What a service waits for: the private subnets' associations and default routes, every
    VPC endpoint and the endpoints' HTTPS rule (read back through a consumer's dependencies)."""
    recording = network(run_component, nat_strategy=NatStrategy.PER_AZ, az_count=3)
    names = {
        *(f"net-private-{x}-rta" for x in "abc"),
        *(f"net-private-{x}-default" for x in "abc"),
        *(e.name for e in recording.of_type(ENDPOINT)),
        "net-endpoints-https",
    }
    assert len(recording.of_type(ENDPOINT)) == 5

    def program() -> dict[str, Any]:
        component = Network(
            "net",
            NetworkArgs(
                name_prefix="storefront-test", vpc_cidr="10.20.0.0/16", az_count=3, tags=TAGS
            ),
        )
        consumer = ComponentResource(
            "test:index:Consumer",
            "consumer",
            opts=ResourceOptions(depends_on=component.egress_ready),
        )
        del consumer
        return {"vpc_cidr": component.vpc_cidr, "ready": len(component.egress_ready)}

    consumer_run = run_component(program)
    assert consumer_run.outputs["ready"] == len(names)
    assert consumer_run.outputs["vpc_cidr"] == "10.20.0.0/16"
    (consumer,) = consumer_run.of_type("test:index:Consumer")
    depended = {consumer_run.by_urn(urn).name for urn in consumer.dependencies}
    assert depended == names


def test_regional_nat_strategy_is_a_setting_value() -> None:
    assert NatStrategy("regional") is NatStrategy.REGIONAL
    assert (
        NetworkArgs(
            name_prefix="x",
            vpc_cidr="10.0.0.0/16",
            nat_strategy="regional",  # type: ignore[arg-type]
        ).elastic_ip_count
        == 2
    )
