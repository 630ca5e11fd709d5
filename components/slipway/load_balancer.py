"""The load-balancer half of :class:`~slipway.fargate_service.FargateService`: the ALB, its
target group and listeners, and the two security groups.

An internet-facing ALB in the public subnets: HTTPS (:data:`TLS_POLICY`) with HTTP redirected
to it, or plain HTTP only when explicitly allowed (dev). Its security group is the only place
open to the world (:attr:`ListenerOptions.ingress_cidrs`); the service's only admits the ALB on
the container port and only sends HTTPS out.

:func:`build_load_balancer` registers these as children of the component it is given; it is a
builder, not a component of its own, so the service's resources keep their names and parent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from slipway.errors import Problems, invalid
from slipway.patterns import ACM_CERTIFICATE_ARN

if TYPE_CHECKING:
    from slipway.fargate_service import FargateServiceArgs

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 with forward-secret ciphers only."""
HTTP_PORT = 80
HTTPS_PORT = 443
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


@dataclass(frozen=True)
class ListenerOptions:
    """What the load balancer listens on and for whom. HTTPS needs ``certificate_arn``;
    plain HTTP needs ``allow_plain_http=True`` instead (dev only)."""

    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate of the HTTPS listener; HTTP then redirects to HTTPS. Required unless
    ``allow_plain_http``."""
    allow_plain_http: bool = False
    """Serve plain HTTP when there is no certificate (dev only); a warning says so."""
    domain_name: str | None = None
    """Name the certificate covers and DNS points at the ALB, used for the service's ``url``.
    Default: the ALB's own DNS name (which an HTTPS certificate usually does not cover)."""
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """IPv4 networks the ALB admits on its listener ports. Default: the whole internet."""

    @property
    def https(self) -> bool:
        """Whether the ALB serves HTTPS (a certificate is given)."""
        return self.certificate_arn is not None

    @property
    def ports(self) -> tuple[int, ...]:
        """The listener ports: 80 and 443 with HTTPS, 80 alone without."""
        return (HTTP_PORT, HTTPS_PORT) if self.https else (HTTP_PORT,)

    def __post_init__(self) -> None:
        problems = Problems("ListenerOptions")
        if self.certificate_arn is None:
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


def build_load_balancer(
    name: str, args: FargateServiceArgs, parent: pulumi.Resource
) -> ServiceLoadBalancer:
    """The security groups and their rules, the ALB, its target group and listeners of the
    service ``args`` describes, registered as children of ``parent`` under ``<name>-…``."""
    alb_sg, service_sg = _security_groups(name, args, parent)
    _security_group_rules(name, args, alb_sg, service_sg, parent)
    load_balancer = _load_balancer(name, args, alb_sg, parent)
    target_group = _target_group(name, args, parent)
    listeners = _listeners(name, args, load_balancer, target_group, parent)
    return ServiceLoadBalancer(
        alb_security_group=alb_sg,
        service_security_group=service_sg,
        load_balancer=load_balancer,
        target_group=target_group,
        listeners=listeners,
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
    container port; the tasks admit only the ALB and reach only HTTPS."""
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


def _load_balancer(
    name: str, args: FargateServiceArgs, alb_sg: aws.ec2.SecurityGroup, parent: pulumi.Resource
) -> aws.lb.LoadBalancer:
    """The internet-facing ALB in the public subnets; it drops invalid header fields."""
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
        tags=dict(args.tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _target_group(
    name: str, args: FargateServiceArgs, parent: pulumi.Resource
) -> aws.lb.TargetGroup:
    """The tasks' target group (by IP, awsvpc), checking ``health_check_path``."""
    return aws.lb.TargetGroup(
        f"{name}-tg",
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
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """HTTPS forwarding to the target group with HTTP redirecting to it, or (plain-HTTP mode)
    HTTP forwarding."""
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
            certificate_arn=args.listener.certificate_arn,
        ),
        listener("HTTP", HTTP_PORT, to_https),
    ]
