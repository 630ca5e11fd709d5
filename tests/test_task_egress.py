"""Tasks that reach their data and start only when they can, per stack: ``appEgress`` (one rule,
``slipway.load_balancer.egress_problems``), the service's dependencies on the private routes and
the VPC endpoints, ``waitForSteadyState`` by profile, and ``natStrategy: regional``."""

from __future__ import annotations

import ipaddress
import json

import pytest

from infra.domains.compute import PROFILES
from slipway import ConfigError
from slipway.load_balancer import MAX_EGRESS_RULES
from tests.conftest import recorded
from tooling.offline import ACCOUNT_ID, STACKS, Recording, load_stack_config, run_stack

SERVICE = "aws:ecs/service:Service"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"

GOOD = ["tcp:5432:sg-0123abcd", "tcp:6379-6380:10.20.32.0/19", "tcp:443:pl-0123456789abcdef0"]

# (case id, entry, fragment of what is wrong)
BAD: list[tuple[str, str, str]] = [
    ("two parts", "tcp:5432", "not three parts separated by ':'"),
    ("four parts", "tcp:5432:sg-0123abcd:x", "not three parts separated by ':'"),
    ("icmp", "icmp:0:sg-0123abcd", "protocol 'icmp' is not tcp or udp"),
    ("all protocols", "-1:0-65535:sg-0123abcd", "protocol '-1' is not tcp or udp"),
    ("upper-case protocol", "TCP:5432:sg-0123abcd", "protocol 'TCP' is not tcp or udp"),
    ("port zero", "tcp:0:sg-0123abcd", "ports 0-0 are not 1 to 65535"),
    ("port too high", "tcp:65536:sg-0123abcd", "ports 65536-65536 are not 1 to 65535"),
    ("range high to low", "tcp:6380-6379:sg-0123abcd", "low to high"),
    ("open range", "tcp:5432-:sg-0123abcd", "port '5432-' is not a number or a range"),
    ("port by name", "tcp:postgres:sg-0123abcd", "port 'postgres' is not a number"),
    ("short group ID", "tcp:5432:sg-12", "'sg-12' is not a security group or prefix list ID"),
    ("bad prefix list", "tcp:443:pl-XYZ12345", "'pl-XYZ12345' is not a security group or"),
    ("host name", "tcp:5432:db.example.com", "'db.example.com' is not an ID or an IPv4 network"),
    ("host bits set", "tcp:5432:10.20.0.1/16", "has host bits set"),
    ("IPv6", "tcp:5432:fd00::/8", "not three parts separated by ':'"),
]

# (case id, entry): well formed, but outside the dev stack's vpcCidr 10.20.0.0/16
OUTSIDE: list[tuple[str, str]] = [
    ("the internet", "tcp:5432:0.0.0.0/0"),
    ("another VPC", "tcp:5432:10.30.0.0/16"),
    ("wider than the VPC", "tcp:5432:10.0.0.0/8"),
    ("a public host", "udp:53:8.8.8.8/32"),
]


def fails(overrides: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides=overrides)
    error = caught.value
    assert error.recording.resources == []  # type: ignore[attr-defined]
    return error


def test_the_bad_tables_are_large_and_distinct() -> None:
    assert len(BAD) + len(OUTSIDE) >= 15
    assert len({case[0] for case in BAD + OUTSIDE}) == len(BAD) + len(OUTSIDE)


@pytest.mark.parametrize(("entry", "reason"), [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_a_malformed_entry_fails_before_any_resource_naming_key_and_entry(
    entry: str, reason: str
) -> None:
    error = fails({"appEgress": json.dumps(["tcp:5432:sg-0123abcd", entry])})
    (problem,) = error.problems
    assert problem.startswith(f"slipway:appEgress: got {entry!r}; PROTOCOL:PORT[-PORT]:DESTINATION")
    assert "tcp:5432:sg-0123abcd, tcp:6379:10.20.0.0/16, tcp:443:pl-0123abcd" in problem
    assert reason in problem


@pytest.mark.parametrize("entry", [pytest.param(c[1], id=c[0]) for c in OUTSIDE])
def test_a_network_outside_the_vpc_is_refused_naming_vpc_cidr(entry: str) -> None:
    error = fails({"appEgress": json.dumps([entry])})
    assert error.problems == [
        f"slipway:appEgress: got {entry!r}; a network inside the VPC (slipway:vpcCidr "
        "10.20.0.0/16); reach outside the VPC through a security group, a prefix list or HTTPS"
    ]


def test_the_vpc_is_the_stacks_own_vpc_cidr() -> None:
    entry = "tcp:5432:10.30.1.0/24"
    recording = run_stack("dev", overrides={"vpcCidr": "10.30.0.0/16", "appEgress": f'["{entry}"]'})
    assert recording.one(EGRESS, "service-service-out-tcp-5432-10.30.1.0-24")
    # A bad vpcCidr is reported alone: the egress rule does not guess at the VPC.
    error = fails({"vpcCidr": "10.30.0.0/8", "appEgress": f'["{entry}"]'})
    assert [p.split(":")[1] for p in error.problems] == ["vpcCidr"]


def test_repeated_and_too_many_entries_are_refused() -> None:
    twice = fails({"appEgress": json.dumps([GOOD[0], GOOD[0]])})
    assert twice.problems == ["slipway:appEgress: got ['tcp:5432:sg-0123abcd']; each rule once"]
    many = [f"tcp:{port}:sg-0123abcd" for port in range(1000, 1001 + MAX_EGRESS_RULES)]
    too_many = fails({"appEgress": json.dumps(many)})
    assert too_many.problems == [
        f"slipway:appEgress: got {MAX_EGRESS_RULES + 1}; at most {MAX_EGRESS_RULES} entries "
        "(a security group holds 60 outbound rules)"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_good_entries_create_the_egress_rules_in_each_stack(stack: str) -> None:
    vpc = ipaddress.IPv4Network(load_stack_config(stack)[0]["slipway:vpcCidr"])
    cache_network = str(list(vpc.subnets(prefixlen_diff=3))[1])
    entries = [GOOD[0], f"tcp:6379-6380:{cache_network}", GOOD[2]]
    recording = run_stack(stack, overrides={"appEgress": json.dumps(entries)})
    group = recording.one(SERVICE).inputs["networkConfiguration"]["securityGroups"][0]
    rules = {
        r.name: r.inputs
        for r in recording.of_type(EGRESS)
        if r.name.startswith("service-service-out-")
    }
    cache_name = f"service-service-out-tcp-6379-6380-{cache_network.replace('/', '-')}"
    assert {name: inputs["securityGroupId"] for name, inputs in rules.items()} == dict.fromkeys(
        [
            "service-service-out-https",
            "service-service-out-tcp-5432-sg-0123abcd",
            cache_name,
            "service-service-out-tcp-443-pl-0123456789abcdef0",
        ],
        group,
    )
    cache = rules[cache_name]
    assert (cache["ipProtocol"], cache["fromPort"], cache["toPort"]) == ("tcp", 6379, 6380)
    assert cache["cidrIpv4"] == cache_network
    assert rules["service-service-out-tcp-5432-sg-0123abcd"]["referencedSecurityGroupId"] == (
        "sg-0123abcd"
    )
    assert rules["service-service-out-tcp-443-pl-0123456789abcdef0"]["prefixListId"] == (
        "pl-0123456789abcdef0"
    )
    component = recording.one("slipway:index:FargateService")
    assert all(r.parent == component.urn for r in recording.of_type(EGRESS) if r.name in rules)
    assert recording.outputs["serviceSecurityGroupId"] == group


def test_the_stacks_as_written_reach_only_https() -> None:
    for stack in STACKS:
        out = [
            r.name
            for r in recorded(stack).of_type(EGRESS)
            if r.name.startswith("service-service-out-")
        ]
        assert out == ["service-service-out-https"], stack


def _way_out(recording: Recording) -> set[str]:
    """URNs of what private subnets need before a task can reach anything."""
    private = [
        r
        for r in recording.of_type(ROUTE) + recording.of_type(ASSOCIATION)
        if r.name.startswith("network-private-")
    ]
    return {
        *(r.urn for r in private),
        *(r.urn for r in recording.of_type(ENDPOINT)),
        recording.one(INGRESS, "network-endpoints-https").urn,
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_service_starts_only_after_the_routes_and_the_endpoints(stack: str) -> None:
    """In the recorded registrations of each stack, the ECS service depends on every private
    default route to NAT, every private route table association, every VPC endpoint and the
    endpoints' HTTPS rule: its first tasks never start without a way out."""
    recording = recorded(stack)
    needed = _way_out(recording)
    azs = len(recording.of_type("aws:ec2/subnet:Subnet")) // 2
    routes = [r for r in recording.of_type(ROUTE) if r.name.startswith("network-private-")]
    assert len(routes) == azs  # every stack routes its private subnets to NAT
    assert all(r.inputs["natGatewayId"] for r in routes)
    assert len(recording.of_type(ENDPOINT)) == 5
    assert needed <= set(recording.one(SERVICE).dependencies)


def ci_deployed(recording: Recording) -> dict[str, str]:
    """The live image channel after CI's first deploy to this stack: a record naming a task
    definition revision of the stack's family (docs/image-channel.md)."""
    arn = (
        f"arn:aws:ecs:{recording.region}:{ACCOUNT_ID}:task-definition/"
        f"{recording.outputs['taskFamily']}:7"
    )
    record = {"image": "ghcr.io/acme/app@sha256:" + "a" * 64, "taskDefinitionArn": arn}
    return {recording.outputs["imageChannelParameter"]: json.dumps({**record, "shape": ""})}


@pytest.mark.parametrize("stack", STACKS)
def test_the_first_up_never_waits_for_the_service(stack: str) -> None:
    """Every stack's first ``up`` (no record CI wrote) creates the service without waiting
    for its tasks: the image and the secrets' values come later, in the guide's order."""
    assert recorded(stack).one(SERVICE).inputs["waitForSteadyState"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_once_ci_has_deployed_wait_for_steady_state_follows_the_profile(stack: str) -> None:
    recording = recorded(stack)
    profile = recording.outputs["profile"]
    expected = getattr(PROFILES, profile).wait_for_steady_state
    later = recorded(stack, ssm_parameters=ci_deployed(recording))
    assert later.one(SERVICE).inputs["waitForSteadyState"] is expected


def test_wait_for_steady_state_is_off_in_dev_and_on_where_tasks_must_start() -> None:
    assert [p.wait_for_steady_state for p in PROFILES.all()] == [False, True, True]
    dev, prod = recorded("dev"), recorded("prod")
    on = run_stack("dev", overrides={"waitForSteadyState": "true"}, ssm_parameters=ci_deployed(dev))
    assert on.one(SERVICE).inputs["waitForSteadyState"] is True
    off = run_stack(
        "prod", overrides={"waitForSteadyState": "false"}, ssm_parameters=ci_deployed(prod)
    )
    assert off.one(SERVICE).inputs["waitForSteadyState"] is False


def test_a_regional_nat_serves_every_private_subnet_of_a_stack() -> None:
    recording = run_stack("prod", overrides={"natStrategy": "regional"})
    (nat,) = recording.of_type(NAT)
    assert nat.inputs["availabilityMode"] == "regional"
    assert len(nat.inputs["availabilityZoneAddresses"]) == 3
    assert len(recording.of_type(EIP)) == 3
    routes = [r for r in recording.of_type(ROUTE) if r.name.startswith("network-private-")]
    assert len(routes) == 3
    assert all(nat.urn in r.dependencies for r in routes)
    assert _way_out(recording) <= set(recording.one(SERVICE).dependencies)
