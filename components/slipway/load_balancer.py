"""The load-balancer half of :class:`~slipway.fargate_service.FargateService`: the ALB, its
target group and listeners, and the two security groups.

An internet-facing ALB in the public subnets: HTTPS (:data:`TLS_POLICY`) with HTTP redirected
to it, or plain HTTP only when explicitly allowed (dev). Its security group is the only place
open to the world (:attr:`ListenerOptions.ingress_cidrs`); the service's only admits the ALB on
the container port and sends HTTPS out, plus the :class:`EgressRule` s it is given (databases,
caches: a port or range to a security group, a managed prefix list or a network of the VPC).

:func:`build_load_balancer` registers these as children of the component it is given; it is a
builder, not a component of its own, so the service's resources keep their names and parent.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from slipway.deployment_strategy import is_progressive
from slipway.edge import (
    AccessLogBucket,
    build_access_log_bucket,
    build_alias,
    build_certificate,
    build_web_acl,
    hosted_zone_id_problems,
)
from slipway.errors import ConfigError, Problems, invalid
from slipway.iam import service_trust_policy
from slipway.patterns import ACM_CERTIFICATE_ARN

if TYPE_CHECKING:
    from slipway.fargate_service import FargateServiceArgs
    from slipway.fargate_task import AwsContext

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 with forward-secret ciphers only."""
HTTP_PORT = 80
HTTPS_PORT = 443
TEST_HTTPS_PORT = 8443
"""Port of the test listener with HTTPS (canary, linear and blue/green strategies)."""
TEST_HTTP_PORT = 8080
"""Port of the test listener in plain-HTTP mode."""
PRODUCTION_RULE_PRIORITY = 1
"""Priority of the production and test listener rules: the only rules of their listeners."""
ECS_LB_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"
"""AWS's managed policy for the ECS infrastructure role for load balancers ("Amazon ECS
infrastructure IAM role for load balancers",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html)."""
EGRESS_PROTOCOLS = ("tcp", "udp")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]{8,17}$")
PORTS = re.compile(r"^[0-9]{1,5}(?:-[0-9]{1,5})?$")
MAX_EGRESS_RULES = 50
"""Most extra egress rules a service takes. A security group holds 60 outbound rules by default
and the HTTPS rule is one of them; a managed prefix list counts as many rules as its maximum
number of entries ("Amazon VPC quotas", Security groups and Prefix lists,
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html), so AWS may still
refuse fewer rules than this when they name large prefix lists."""
EGRESS_ALLOWED = (
    "PROTOCOL:PORT[-PORT]:DESTINATION entries, e.g. tcp:5432:sg-0123abcd, "
    "tcp:6379:10.20.0.0/16, tcp:443:pl-0123abcd; PROTOCOL tcp or udp, ports 1 to 65535 "
    "(a range low-high), DESTINATION a security group ID (sg-…), a managed prefix list ID (pl-…) "
    "or an IPv4 network inside the VPC"
)
"""What an egress entry may be (:func:`egress_problems`)."""
DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_name_problems(name: object, setting: str) -> list[str]:
    """The one rule for the service's DNS name (:data:`DOMAIN_NAME`)."""
    if isinstance(name, str) and DOMAIN_NAME.match(name):
        return []
    return [invalid(setting, name, "a lower-case DNS name such as shop.example.com")]


def cidr_problems(cidrs: Sequence[str], setting: str) -> list[str]:
    """A problem unless ``cidrs`` is one or more IPv4 networks in CIDR notation."""
    bad = []
    for cidr in cidrs:
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            bad.append(cidr)
    if cidrs and not bad:
        return []
    return [
        invalid(
            setting,
            list(cidrs),
            "one or more IPv4 networks in CIDR notation, e.g. 0.0.0.0/0 or 203.0.113.0/24",
        )
    ]


def _egress_reason(protocol: str, from_port: int, to_port: int, destination: str) -> str | None:
    """Why an egress rule is refused on its own (its VPC aside), or None."""
    if protocol not in EGRESS_PROTOCOLS:
        return f"protocol {protocol!r} is not tcp or udp"
    if not 1 <= from_port <= to_port <= 65535:
        return f"ports {from_port}-{to_port} are not 1 to 65535, low to high"
    if SECURITY_GROUP_ID.match(destination) or PREFIX_LIST_ID.match(destination):
        return None
    if destination.startswith(("sg-", "pl-")):
        return f"{destination!r} is not a security group or prefix list ID (8 or 17 hex digits)"
    try:
        ipaddress.IPv4Network(destination, strict=True)
    except ValueError as error:
        return f"destination {destination!r} is not an ID or an IPv4 network ({error})"
    return None


@dataclass(frozen=True)
class EgressRule:
    """One more way out for the service's tasks, beside HTTPS: a TCP or UDP port (or range) to a
    security group (``sg-…``, which must also admit the service's group,
    ``FargateService.service_security_group_id``), a managed prefix list (``pl-…``) or an IPv4
    network inside the VPC. Its text form is ``PROTOCOL:PORT[-PORT]:DESTINATION``
    (:meth:`parse`, :attr:`text`), e.g. ``tcp:5432:sg-0123abcd``."""

    protocol: str
    """``tcp`` or ``udp``."""
    from_port: int
    """First port, 1 to 65535."""
    to_port: int
    """Last port, ``from_port`` to 65535 (the same port for one)."""
    destination: str
    """A security group ID, a managed prefix list ID or an IPv4 network in CIDR notation."""

    def __post_init__(self) -> None:
        reason = _egress_reason(self.protocol, self.from_port, self.to_port, self.destination)
        if reason is not None:
            raise ConfigError(invalid("EgressRule", self.text, f"{EGRESS_ALLOWED} ({reason})"))

    @property
    def text(self) -> str:
        """The rule as ``PROTOCOL:PORT[-PORT]:DESTINATION``."""
        ports = (
            str(self.from_port)
            if self.from_port == self.to_port
            else f"{self.from_port}-{self.to_port}"
        )
        return f"{self.protocol}:{ports}:{self.destination}"

    @property
    def peer(self) -> dict[str, str]:
        """The destination as a ``SecurityGroupEgressRule`` argument."""
        if SECURITY_GROUP_ID.match(self.destination):
            return {"referenced_security_group_id": self.destination}
        if PREFIX_LIST_ID.match(self.destination):
            return {"prefix_list_id": self.destination}
        return {"cidr_ipv4": self.destination}

    def outside(self, vpc_cidr: str) -> bool:
        """Whether the destination is a network that is not inside ``vpc_cidr``."""
        if "cidr_ipv4" not in self.peer:
            return False
        network = ipaddress.IPv4Network(self.destination)
        return not network.subnet_of(ipaddress.IPv4Network(vpc_cidr))

    @classmethod
    def parse(cls, entry: object) -> EgressRule | str:
        """The rule ``entry`` writes, or why it is refused (its VPC aside)."""
        if not isinstance(entry, str):
            return "not a string"
        parts = entry.split(":")
        if len(parts) != 3:
            return "not three parts separated by ':'"
        protocol, ports, destination = parts
        if not PORTS.match(ports):
            return f"port {ports!r} is not a number or a range low-high"
        low, _, high = ports.partition("-")
        from_port, to_port = int(low), int(high or low)
        reason = _egress_reason(protocol, from_port, to_port, destination)
        return reason or cls(protocol, from_port, to_port, destination)


def egress_problems(
    value: Sequence[object],
    setting: str,
    *,
    vpc_cidr: str | None = None,
    vpc_cidr_setting: str = "vpc_cidr",
) -> list[str]:
    """The one rule for a service's extra egress entries (:data:`EGRESS_ALLOWED`): each
    well-formed, each once, at most :data:`MAX_EGRESS_RULES`, and, when ``vpc_cidr`` is known,
    every network inside it (``vpc_cidr_setting`` is how the caller's user spells it). Each
    problem names ``setting`` and the entry."""
    problems: list[str] = []
    entries = list(value)
    if len(entries) > MAX_EGRESS_RULES:
        problems.append(
            invalid(
                setting,
                len(entries),
                f"at most {MAX_EGRESS_RULES} entries (a security group holds 60 outbound rules)",
            )
        )
    for entry in entries:
        rule = EgressRule.parse(entry)
        if isinstance(rule, str):
            problems.append(invalid(setting, entry, f"{EGRESS_ALLOWED} ({rule})"))
        elif vpc_cidr is not None and rule.outside(vpc_cidr):
            problems.append(
                invalid(
                    setting,
                    entry,
                    f"a network inside the VPC ({vpc_cidr_setting} {vpc_cidr}); reach outside "
                    "the VPC through a security group, a prefix list or HTTPS",
                )
            )
    texts = [r.text for r in map(EgressRule.parse, entries) if isinstance(r, EgressRule)]
    repeated = sorted({t for t in texts if texts.count(t) > 1})
    if repeated:
        problems.append(invalid(setting, repeated, "each rule once"))
    return problems


def egress_rules(value: Sequence[str]) -> tuple[EgressRule, ...]:
    """The rules of entries :func:`egress_problems` accepted."""
    rules = tuple(EgressRule.parse(entry) for entry in value)
    assert all(isinstance(r, EgressRule) for r in rules), egress_problems(value, "egress")
    return rules  # type: ignore[return-value]


@dataclass(frozen=True)
class ListenerOptions:
    """What the load balancer listens on and for whom. HTTPS needs ``certificate_arn`` or
    ``hosted_zone_id`` (not both); plain HTTP needs ``allow_plain_http=True`` instead (dev
    only)."""

    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the HTTPS listener; HTTP then redirects to HTTPS. Required unless
    ``hosted_zone_id`` or ``allow_plain_http``."""
    hosted_zone_id: str | None = None
    """Route 53 hosted zone of ``domain_name`` (required with it): the service then issues
    its own DNS-validated ACM certificate and points ``domain_name`` at the ALB with an alias
    record. Instead of ``certificate_arn``."""
    allow_plain_http: bool = False
    """Serve plain HTTP when there is no certificate (dev only); a warning says so."""
    domain_name: str | None = None
    """Name the certificate covers and DNS points at the ALB, used for the service's ``url``.
    Default: the ALB's own DNS name (which an HTTPS certificate usually does not cover)."""
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """IPv4 networks the ALB admits on its listener ports. Default: the whole internet."""

    @property
    def https(self) -> bool:
        """Whether the ALB serves HTTPS (a certificate is given or issued here)."""
        return self.certificate_arn is not None or self.hosted_zone_id is not None

    @property
    def ports(self) -> tuple[int, ...]:
        """The listener ports: 80 and 443 with HTTPS, 80 alone without."""
        return (HTTP_PORT, HTTPS_PORT) if self.https else (HTTP_PORT,)

    @property
    def test_port(self) -> int:
        """The test listener's port (non-rolling strategies only): 8443 with HTTPS, 8080
        without. Never open to ``ingress_cidrs``: only to the VPC and its NAT addresses."""
        return TEST_HTTPS_PORT if self.https else TEST_HTTP_PORT

    def __post_init__(self) -> None:
        problems = Problems("ListenerOptions")
        if self.hosted_zone_id is not None:
            problems.extend(
                hosted_zone_id_problems(self.hosted_zone_id, problems.name("hosted_zone_id"))
            )
            problems.check(
                self.certificate_arn is None,
                "certificate_arn",
                self.certificate_arn,
                "None with hosted_zone_id: the certificate is then issued and validated in "
                "that zone; give one of certificate_arn and hosted_zone_id, not both",
            )
            problems.check(
                self.domain_name is not None,
                "domain_name",
                self.domain_name,
                "the name the certificate covers and the alias record points at the ALB "
                "(required with hosted_zone_id)",
            )
        elif self.certificate_arn is None:
            problems.check(
                self.allow_plain_http,
                "certificate_arn",
                None,
                "an ACM certificate ARN; plain HTTP needs allow_plain_http=True (dev only)",
            )
        elif isinstance(self.certificate_arn, str):
            problems.check(
                bool(ACM_CERTIFICATE_ARN.match(self.certificate_arn)),
                "certificate_arn",
                self.certificate_arn,
                "an ACM certificate ARN",
            )
        if self.domain_name is not None:
            problems.extend(domain_name_problems(self.domain_name, problems.name("domain_name")))
        problems.extend(cidr_problems(self.ingress_cidrs, problems.name("ingress_cidrs")))
        problems.raise_any()


@dataclass(frozen=True)
class ServiceLoadBalancer:
    """What :func:`build_load_balancer` registered."""

    alb_security_group: aws.ec2.SecurityGroup
    service_security_group: aws.ec2.SecurityGroup
    """The tasks' security group: the ALB in on the container port, HTTPS out."""
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listeners: list[pulumi.Resource]
    """The listeners forwarding to the target group; ECS refuses the target group until one
    exists, so the service waits for them."""
    access_logs: AccessLogBucket | None
    """The access logs' bucket (None without ``access_logs``)."""
    web_acl: aws.wafv2.WebAcl | None
    """The WAF web ACL in front of the ALB (None without ``web_acl``)."""
    traffic_shift: TrafficShift | None = None
    """What ECS shifts traffic with (None with a rolling strategy)."""


@dataclass(frozen=True)
class TrafficShift:
    """What a canary, linear or blue/green deployment needs beside the ALB ("Application Load
    Balancer resources for blue/green, linear, and canary deployments",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html):
    ECS registers the new revision's tasks in the target group that is not serving, sends the
    test listener's traffic to them, then moves production traffic by changing the weights of
    the production rule's forward action. Pulumi ignores both rules' actions
    (``ignore_changes``), so an ``up`` never moves traffic back while ECS shifts it, nor after
    ECS has swapped which target group serves."""

    alternate_target_group: aws.lb.TargetGroup
    """The second target group (the green revision's during a deployment)."""
    production_rule: aws.lb.ListenerRule
    """The serving listener's rule forwarding to both target groups (weights 100 and 0)."""
    test_listener: aws.lb.Listener
    """The listener on :attr:`ListenerOptions.test_port`, reachable only from the VPC."""
    test_rule: aws.lb.ListenerRule
    """The test listener's rule, forwarding to the alternate target group."""
    infrastructure_role: aws.iam.Role
    """The ECS infrastructure role for load balancers (trusts ``ecs.amazonaws.com``)."""
    infrastructure_policy: aws.iam.RolePolicyAttachment
    """AWS's managed policy on it (:data:`ECS_LB_POLICY`)."""


def build_load_balancer(
    name: str, args: FargateServiceArgs, context: AwsContext, parent: pulumi.Resource
) -> ServiceLoadBalancer:
    """The security groups and their rules, the ALB, its target group and listeners of the
    service ``args`` describes, its edge (the access logs' bucket, the web ACL) when ``args``
    asks for them, and what a non-rolling strategy shifts traffic with
    (:func:`build_traffic_shift`), registered as children of ``parent`` under ``<name>-…``."""
    alb_sg, service_sg = _security_groups(name, args, parent)
    _security_group_rules(name, args, alb_sg, service_sg, parent)
    progressive = is_progressive(args.deployment_strategy)
    if progressive:
        _test_ingress_rules(name, args, alb_sg, parent)
    access_logs = (
        build_access_log_bucket(
            name,
            args.access_logs,
            account_id=context.account_id,
            region=context.region,
            partition=context.partition,
            protect=args.protect,
            tags=dict(args.tags),
            parent=parent,
        )
        if args.access_logs is not None
        else None
    )
    load_balancer = _load_balancer(name, args, alb_sg, access_logs, parent)
    certificate_arn = args.listener.certificate_arn
    zone, domain = args.listener.hosted_zone_id, args.listener.domain_name
    if zone is not None and domain is not None:
        certificate_arn = build_certificate(
            name,
            domain_name=domain,
            hosted_zone_id=zone,
            tags=dict(args.tags),
            parent=parent,
            protect=args.protect,
        )
        build_alias(
            name,
            domain_name=domain,
            hosted_zone_id=zone,
            load_balancer=load_balancer,
            parent=parent,
            protect=args.protect,
        )
    web_acl = (
        build_web_acl(
            name,
            args.web_acl,
            acl_name=args.service_name,
            load_balancer_arn=load_balancer.arn,
            tags=dict(args.tags),
            parent=parent,
        )
        if args.web_acl is not None
        else None
    )
    target_group = _target_group(name, args, parent)
    listeners = _listeners(name, args, certificate_arn, load_balancer, target_group, parent)
    traffic_shift = (
        build_traffic_shift(
            name, args, context, certificate_arn, load_balancer, target_group, listeners, parent
        )
        if progressive
        else None
    )
    return ServiceLoadBalancer(
        alb_security_group=alb_sg,
        service_security_group=service_sg,
        load_balancer=load_balancer,
        target_group=target_group,
        listeners=listeners,
        access_logs=access_logs,
        web_acl=web_acl,
        traffic_shift=traffic_shift,
    )


def _security_groups(
    name: str, args: FargateServiceArgs, parent: pulumi.Resource
) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
    """The ALB's and the tasks' security groups, without rules (those are separate
    resources, so that each one can change alone)."""

    def group(kind: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{name}-{kind}-sg",
            vpc_id=args.placement.vpc_id,
            description=description,
            revoke_rules_on_delete=True,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=parent),
        )

    return (
        group("alb", f"ALB of {args.service_name}: HTTP(S) in, the service's port out"),
        group("service", f"Tasks of {args.service_name}: the ALB in, HTTPS out"),
    )


def _security_group_rules(
    name: str,
    args: FargateServiceArgs,
    alb_sg: aws.ec2.SecurityGroup,
    service_sg: aws.ec2.SecurityGroup,
    parent: pulumi.Resource,
) -> None:
    """The ALB admits ``ingress_cidrs`` on its listener ports and reaches only the tasks on the
    container port; the tasks admit only the ALB and reach HTTPS and their ``egress`` rules."""
    tags = dict(args.tags)
    child = pulumi.ResourceOptions(parent=parent)

    def rule(
        kind: Callable[..., object],
        suffix: str,
        group: aws.ec2.SecurityGroup,
        description: str,
        port: int,
        **peer: Any,
    ) -> None:
        """One TCP rule of ``group`` on ``port``; ``peer`` is the CIDR or the other group."""
        kind(
            f"{name}-{suffix}",
            security_group_id=group.id,
            description=description,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            **peer,
            tags=tags,
            opts=child,
        )

    ingress, egress = aws.vpc.SecurityGroupIngressRule, aws.vpc.SecurityGroupEgressRule
    listener = args.listener
    for port in listener.ports:
        for cidr in listener.ingress_cidrs:
            rule(
                ingress,
                f"alb-in-{port}-{cidr.replace('/', '-')}",
                alb_sg,
                f"HTTP{'S' if port == HTTPS_PORT else ''} from {cidr}",
                port,
                cidr_ipv4=cidr,
            )
    rule(
        egress,
        "alb-out-service",
        alb_sg,
        "To the service's tasks on the container port",
        args.container_port,
        referenced_security_group_id=service_sg.id,
    )
    rule(
        ingress,
        "service-in-alb",
        service_sg,
        "From the ALB on the container port",
        args.container_port,
        referenced_security_group_id=alb_sg.id,
    )
    rule(
        egress,
        "service-out-https",
        service_sg,
        "HTTPS out: image pulls, AWS APIs, secrets (through NAT or endpoints)",
        HTTPS_PORT,
        cidr_ipv4="0.0.0.0/0",
    )
    for extra in args.egress:
        egress(
            f"{name}-service-out-{extra.text.replace(':', '-').replace('/', '-')}",
            security_group_id=service_sg.id,
            description=f"{extra.protocol} {extra.text.split(':')[1]} to {extra.destination}",
            ip_protocol=extra.protocol,
            from_port=extra.from_port,
            to_port=extra.to_port,
            **extra.peer,
            tags=tags,
            opts=child,
        )


def _load_balancer(
    name: str,
    args: FargateServiceArgs,
    alb_sg: aws.ec2.SecurityGroup,
    access_logs: AccessLogBucket | None,
    parent: pulumi.Resource,
) -> aws.lb.LoadBalancer:
    """The internet-facing ALB in the public subnets; it drops invalid header fields and,
    with ``access_logs``, writes its access logs there once the bucket policy lets it."""
    return aws.lb.LoadBalancer(
        f"{name}-alb",
        load_balancer_type="application",
        internal=False,
        ip_address_type="ipv4",
        security_groups=[alb_sg.id],
        subnets=args.placement.public_subnet_ids,
        drop_invalid_header_fields=True,
        enable_http2=True,
        enable_deletion_protection=args.deletion_protection,
        access_logs=(
            aws.lb.LoadBalancerAccessLogsArgs(bucket=access_logs.bucket.id, enabled=True)
            if access_logs is not None
            else None
        ),
        tags=dict(args.tags),
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[access_logs.policy] if access_logs is not None else []
        ),
    )


def _target_group(
    name: str, args: FargateServiceArgs, parent: pulumi.Resource, suffix: str = ""
) -> aws.lb.TargetGroup:
    """The tasks' target group (by IP, awsvpc), checking ``health_check_path``; ``suffix``
    names the alternate one (``-alt``)."""
    return aws.lb.TargetGroup(
        f"{name}-tg{suffix}",
        target_type="ip",
        protocol="HTTP",
        protocol_version="HTTP1",
        port=args.container_port,
        vpc_id=args.placement.vpc_id,
        deregistration_delay=args.deregistration_delay_seconds,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True,
            protocol="HTTP",
            port="traffic-port",
            path=args.health_check_path,
            matcher="200-399",
            interval=15,
            timeout=5,
            healthy_threshold=2,
            unhealthy_threshold=3,
        ),
        tags=dict(args.tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _listeners(
    name: str,
    args: FargateServiceArgs,
    certificate_arn: pulumi.Input[str] | None,
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """HTTPS (with ``certificate_arn``) forwarding to the target group with HTTP redirecting
    to it, or (plain-HTTP mode) HTTP forwarding."""
    forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=target_group.arn)

    def listener(
        protocol: str, port: int, action: aws.lb.ListenerDefaultActionArgs, **tls: Any
    ) -> aws.lb.Listener:
        """The ``<name>-<protocol>`` listener on ``port``; ``tls``: its policy and certificate."""
        return aws.lb.Listener(
            f"{name}-{protocol.lower()}",
            load_balancer_arn=load_balancer.arn,
            port=port,
            protocol=protocol,
            **tls,
            default_actions=[action],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=parent),
        )

    if not args.listener.https:
        return [listener("HTTP", HTTP_PORT, forward)]
    to_https = aws.lb.ListenerDefaultActionArgs(
        type="redirect",
        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
            protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
        ),
    )
    return [
        listener(
            "HTTPS",
            HTTPS_PORT,
            forward,
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
        ),
        listener("HTTP", HTTP_PORT, to_https),
    ]


def _test_ingress_rules(
    name: str, args: FargateServiceArgs, alb_sg: aws.ec2.SecurityGroup, parent: pulumi.Resource
) -> None:
    """The ALB admits the test port from the VPC's range and from the VPC's NAT addresses,
    never from ``ingress_cidrs``.

    The ALB is internet-facing, so its DNS name resolves to public addresses: a client inside
    the VPC that calls it by name (the smoke-test lifecycle hook's Lambda in the private
    subnets) leaves through NAT and arrives from the NAT gateway's public address; a client
    that calls a node's private address arrives from the VPC's range. GitHub-hosted runners
    are neither: CI reaches test traffic only through the lifecycle hook that ECS invokes during
    the deployment CI started (docs/deployment-strategies.md)."""
    port = args.listener.test_port
    sources: list[tuple[str, pulumi.Input[str], str]] = []
    if args.placement.vpc_cidr is not None:
        sources.append(
            ("vpc", args.placement.vpc_cidr, f"from the VPC ({args.placement.vpc_cidr})")
        )
    for index, address in enumerate(args.placement.nat_public_ips):
        nat = pulumi.Output.concat(address, "/32")
        sources.append((f"nat-{index}", nat, "from the VPC through its NAT gateway"))
    for label, cidr, description in sources:
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-in-test-{label}",
            security_group_id=alb_sg.id,
            description=f"Test listener (port {port}) {description}",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=parent),
        )


def build_traffic_shift(
    name: str,
    args: FargateServiceArgs,
    context: AwsContext,
    certificate_arn: pulumi.Input[str] | None,
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
    listeners: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> TrafficShift:
    """The alternate target group, the production rule on the serving listener (the first of
    ``listeners``), the test listener and its rule, and the ECS infrastructure role for load
    balancers, as children of ``parent`` (:class:`TrafficShift`)."""
    child = pulumi.ResourceOptions(parent=parent)
    # ECS changes the rules' forward actions while it shifts traffic and after it swaps the
    # target groups: Pulumi must never write them back.
    ecs_owns_actions = pulumi.ResourceOptions(parent=parent, ignore_changes=["actions"])
    tags = dict(args.tags)
    alternate = _target_group(name, args, parent, "-alt")
    everything = [
        aws.lb.ListenerRuleConditionArgs(
            path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=["/*"])
        )
    ]
    serving = listeners[0]
    assert isinstance(serving, aws.lb.Listener)
    production_rule = aws.lb.ListenerRule(
        f"{name}-production-rule",
        listener_arn=serving.arn,
        priority=PRODUCTION_RULE_PRIORITY,
        conditions=everything,
        actions=[
            aws.lb.ListenerRuleActionArgs(
                type="forward",
                forward=aws.lb.ListenerRuleActionForwardArgs(
                    target_groups=[
                        aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                            arn=target_group.arn, weight=100
                        ),
                        aws.lb.ListenerRuleActionForwardTargetGroupArgs(
                            arn=alternate.arn, weight=0
                        ),
                    ]
                ),
            )
        ],
        tags=tags,
        opts=ecs_owns_actions,
    )
    https = args.listener.https
    test_listener = aws.lb.Listener(
        f"{name}-test-{'https' if https else 'http'}",
        load_balancer_arn=load_balancer.arn,
        port=args.listener.test_port,
        protocol="HTTPS" if https else "HTTP",
        ssl_policy=TLS_POLICY if https else None,
        certificate_arn=certificate_arn if https else None,
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=alternate.arn)
        ],
        tags=tags,
        opts=child,
    )
    test_rule = aws.lb.ListenerRule(
        f"{name}-test-rule",
        listener_arn=test_listener.arn,
        priority=PRODUCTION_RULE_PRIORITY,
        conditions=everything,
        actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=alternate.arn)],
        tags=tags,
        opts=ecs_owns_actions,
    )
    role = aws.iam.Role(
        f"{name}-ecs-lb-role",
        description=f"ECS shifts {args.service_name}'s traffic between its target groups",
        assume_role_policy=ecs_service_trust_policy(),
        tags=tags,
        opts=child,
    )
    policy = aws.iam.RolePolicyAttachment(
        f"{name}-ecs-lb-policy",
        role=role.name,
        policy_arn=pulumi.Output.concat(
            "arn:", context.partition, ":iam::aws:policy/", ECS_LB_POLICY
        ),
        opts=child,
    )
    return TrafficShift(
        alternate_target_group=alternate,
        production_rule=production_rule,
        test_listener=test_listener,
        test_rule=test_rule,
        infrastructure_role=role,
        infrastructure_policy=policy,
    )


def ecs_service_trust_policy() -> str:
    """A trust policy for ECS itself (``ecs.amazonaws.com``), as the infrastructure role for
    load balancers and the lifecycle hooks' role use it."""
    return json.dumps(service_trust_policy("TrustEcs", "ecs.amazonaws.com"), separators=(",", ":"))
