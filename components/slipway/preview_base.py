"""``PreviewBase``: what every pull request's preview shares, made once per account and region
by the stack that owns previews (docs/previews.md, "The preview base").

* A dedicated internet-facing Application Load Balancer in the owner's public subnets, its
  HTTPS listener (TLS 1.3 policy) answering a fixed ``404`` until a preview's host-header rule
  matches, and an HTTP listener redirecting to HTTPS. Each preview adds one rule and one target
  group to it (``preview-deploy.sh``), so a pull request creates no load balancer.
* One wildcard ACM certificate for ``*.pr.<domain>``, DNS-validated in the hosted zone, and one
  wildcard alias record ``*.pr.<domain>``: a pull request creates no certificate and no record,
  so no per-preview certificate meets ACM's rate limits or writes a host name to Certificate
  Transparency logs. ACM issues a wildcard certificate for one label only ("Wildcard names",
  https://docs.aws.amazon.com/acm/latest/userguide/acm-certificate.html), which is why a
  preview's host is ``pr-<n>.pr.<domain>``, one label under the wildcard.
* Two security groups: the load balancer's (HTTPS and HTTP from ``ingress_cidrs``, out only to
  the preview tasks on the container port) and the preview tasks' (in only from the load
  balancer, HTTPS out for image pulls and AWS APIs).
* The previews' own ECR repository ``<app>-previews``
  (:class:`slipway.registry.ContainerRegistry`: immutable tags, scan on push, its own KMS
  key), where docker.yml's ``preview`` job pushes ``pr-<n>-<sha>``. The preview role's
  boundary refuses a push into an environment's repository, so previews cannot share one.
  Its lifecycle rule expires ``pr-*`` images :func:`preview_image_expiry_days` days after
  their push, and untagged ones after one day.

Every child is tagged ``slipway:environment=preview``
(:data:`slipway.preview_access.PREVIEW_ENVIRONMENT`): the preview role's boundary
(:func:`slipway.preview_access.preview_boundary_document`) denies any resource tagged with
another environment, and the role must add rules to this listener. The owner stack's own
boundary therefore lets it tag ``preview`` too (``StackBoundaryArgs.shared_environments``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from slipway.edge import build_alias, build_certificate, hosted_zone_id_problems
from slipway.encryption_key import deletion_window_problems
from slipway.errors import ConfigError, invalid, is_whole
from slipway.fargate_service import container_port_problems
from slipway.load_balancer import (
    HTTP_PORT,
    HTTPS_PORT,
    TLS_POLICY,
    cidr_problems,
    domain_name_problems,
)
from slipway.preview_access import PREVIEW_ENVIRONMENT, preview_repository_name
from slipway.registry import ContainerRegistry, ContainerRegistryArgs
from slipway.stack_boundary import ENVIRONMENT_TAG

PREVIEW_LABEL = "pr"
"""The label under the domain that holds every preview: ``pr-<n>.pr.<domain>``."""
MAX_LOAD_BALANCER_NAME = 32
"""Elastic Load Balancing's limit on a load balancer's name (``CreateLoadBalancer``)."""
NO_PREVIEW_BODY = "no preview here"
PREVIEW_TTL_HOURS = 72
"""A preview's default lifetime after its last push (``PREVIEW_TTL_HOURS`` of preview-deploy.sh)."""
MAX_TTL_HOURS = 365 * 24
"""The longest TTL whose images' rule fits :func:`slipway.registry.untagged_expiry_problems`."""
PREVIEW_IMAGE_TAG_PATTERN = "pr-*"
"""The preview images' tags, ``pr-<n>-<sha>`` (docker.yml's ``preview`` job)."""
UNTAGGED_PREVIEW_IMAGE_DAYS = 1
"""Untagged preview images (multi-platform leftovers) expire after a day, the shortest ECR
lifecycle rule."""


def preview_image_expiry_days(ttl_hours: int) -> int:
    """The lifecycle rule's days for ``pr-*`` images: the TTL rounded UP to whole days (ECR's
    ``sinceImagePushed`` counts days). A preview lives at most ``ttl_hours`` after its last push,
    which is its image's push, so the image it runs outlives it: 72 h is 3 days, 73 h is 4."""
    return max(1, -(-ttl_hours // 24))


def ttl_hours_problems(value: object, name: str) -> list[str]:
    """A preview's lifetime after its last push: whole hours, 1 to :data:`MAX_TTL_HOURS` (its
    images' lifecycle rule counts 1 to 365 days; preview-deploy.sh takes up to 9999 hours)."""
    if is_whole(value, 1, MAX_TTL_HOURS):
        return []
    return [
        invalid(
            name, value, f"1 to {MAX_TTL_HOURS} hours (the images' lifecycle rule: 1 to 365 days)"
        )
    ]


def preview_wildcard(domain_name: str) -> str:
    """``*.pr.<domain>``: the certificate's and the alias record's name."""
    return f"*.{PREVIEW_LABEL}.{domain_name.lower().rstrip('.')}"


def preview_base_name(app: str) -> str:
    """``<app>-pr-base``: the load balancer's name (at most 32 characters, so for an
    application name of up to 24, as Slipway's settings allow)."""
    return f"{app}-pr-base"


@dataclass(frozen=True)
class PreviewBaseArgs:
    """Arguments of :class:`PreviewBase`."""

    app: str
    """The application's short name: the load balancer is ``<app>-pr-base``."""
    domain_name: str
    """The owner's domain: previews answer at ``pr-<n>.pr.<domain_name>``."""
    hosted_zone_id: str
    """The public Route 53 zone of ``domain_name`` (the certificate's validation record and the
    wildcard alias go there)."""
    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Where the load balancer's nodes are (the owner's public subnets)."""
    container_port: int = 3000
    """The port the preview tasks listen on (the application's ``containerPort``)."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Who may reach the previews (HTTPS, and HTTP that redirects). Default: anyone."""
    deletion_protection: bool = False
    """Turn on the load balancer's deletion protection."""
    protect: bool = False
    """Protect the certificate and the alias record from an ``up`` that would delete them."""
    ttl_hours: int = PREVIEW_TTL_HOURS
    """A preview's lifetime after its last push: its images expire then (rounded up to days)."""
    key_deletion_window_days: int = 30
    """Deletion window of the preview repository's KMS key, 7 to 30 days."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child; ``slipway:environment`` is always ``preview``."""

    def __post_init__(self) -> None:
        name = "PreviewBaseArgs."
        problems = domain_name_problems(self.domain_name, name + "domain_name")
        problems += hosted_zone_id_problems(self.hosted_zone_id, name + "hosted_zone_id")
        problems += container_port_problems(self.container_port, name + "container_port")
        problems += cidr_problems(self.ingress_cidrs, name + "ingress_cidrs")
        if isinstance(self.app, str) and len(preview_base_name(self.app)) > MAX_LOAD_BALANCER_NAME:
            problems.append(
                invalid(
                    name + "app",
                    self.app,
                    f"at most {MAX_LOAD_BALANCER_NAME - len(preview_base_name(''))} characters: "
                    f"the load balancer's name <app>-pr-base has at most "
                    f"{MAX_LOAD_BALANCER_NAME}",
                )
            )
        problems += ttl_hours_problems(self.ttl_hours, name + "ttl_hours")
        problems += deletion_window_problems(
            self.key_deletion_window_days, name + "key_deletion_window_days"
        )
        if problems:
            raise ConfigError(problems)

    @property
    def preview_tags(self) -> dict[str, str]:
        """``tags``, with ``slipway:environment`` set to ``preview``."""
        return {**self.tags, ENVIRONMENT_TAG: PREVIEW_ENVIRONMENT}


class PreviewBase(pulumi.ComponentResource):
    """The shared preview load balancer, its HTTPS listener, wildcard certificate and record.

    Outputs:
        listener_arn: The HTTPS listener each preview adds its host-header rule to (once the
            certificate is issued).
        load_balancer_arn: The preview load balancer.
        load_balancer_dns_name: Its DNS name (the alias record's target).
        tasks_security_group_id: The security group every preview task runs in.
        repository_url: The previews' ECR repository (the ``preview`` environment's
            ``ECR_REPOSITORY_URL``).
        repository_arn: Its ARN (the preview role pushes to it, the execution role pulls).
        domain_name: The domain previews are under (``pr-<n>.pr.<domain_name>``).
    """

    TOKEN = "slipway:index:PreviewBase"

    listener_arn: pulumi.Output[str]
    load_balancer_arn: pulumi.Output[str]
    load_balancer_dns_name: pulumi.Output[str]
    tasks_security_group_id: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    domain_name: str

    def __init__(
        self, name: str, args: PreviewBaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.preview_tags

        def group(kind: str, description: str) -> aws.ec2.SecurityGroup:
            return aws.ec2.SecurityGroup(
                f"{name}-{kind}-sg",
                vpc_id=args.vpc_id,
                description=description,
                revoke_rules_on_delete=True,
                tags=tags,
                opts=child,
            )

        alb_sg = group("alb", "Preview ALB: HTTP(S) in, the preview tasks' port out")
        tasks_sg = group("tasks", "Preview tasks: the preview ALB in, HTTPS out")
        ingress, egress = aws.vpc.SecurityGroupIngressRule, aws.vpc.SecurityGroupEgressRule
        for port in (HTTPS_PORT, HTTP_PORT):
            for cidr in args.ingress_cidrs:
                ingress(
                    f"{name}-alb-in-{port}-{cidr.replace('/', '-')}",
                    security_group_id=alb_sg.id,
                    description=f"HTTP{'S' if port == HTTPS_PORT else ''} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    tags=tags,
                    opts=child,
                )
        egress(
            f"{name}-alb-out-tasks",
            security_group_id=alb_sg.id,
            description="To the preview tasks on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=tasks_sg.id,
            tags=tags,
            opts=child,
        )
        ingress(
            f"{name}-tasks-in-alb",
            security_group_id=tasks_sg.id,
            description="From the preview ALB on the container port",
            ip_protocol="tcp",
            from_port=args.container_port,
            to_port=args.container_port,
            referenced_security_group_id=alb_sg.id,
            tags=tags,
            opts=child,
        )
        egress(
            f"{name}-tasks-out-https",
            security_group_id=tasks_sg.id,
            description="HTTPS out: image pulls and AWS APIs (through NAT or endpoints)",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
            tags=tags,
            opts=child,
        )
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=preview_base_name(args.app),
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[alb_sg.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            enable_http2=True,
            enable_deletion_protection=args.deletion_protection,
            tags=tags,
            opts=child,
        )
        wildcard = preview_wildcard(args.domain_name)
        certificate_arn = build_certificate(
            name,
            domain_name=wildcard,
            hosted_zone_id=args.hosted_zone_id,
            tags=tags,
            parent=self,
            protect=args.protect,
        )
        build_alias(
            name,
            domain_name=wildcard,
            hosted_zone_id=args.hosted_zone_id,
            load_balancer=load_balancer,
            parent=self,
            protect=args.protect,
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=load_balancer.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", status_code="404", message_body=NO_PREVIEW_BODY
                    ),
                )
            ],
            tags=tags,
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
                    ),
                )
            ],
            tags=tags,
            opts=child,
        )
        registry = ContainerRegistry(
            f"{name}-registry",
            ContainerRegistryArgs(
                repository_name=preview_repository_name(args.app),
                untagged_expiry_days=UNTAGGED_PREVIEW_IMAGE_DAYS,
                release_tag_patterns=(PREVIEW_IMAGE_TAG_PATTERN,),
                tagged_expiry_days=preview_image_expiry_days(args.ttl_hours),
                key_deletion_window_days=args.key_deletion_window_days,
                protect=args.protect,
                tags=tags,
            ),
            opts=child,
        )
        self.repository_url = registry.repository_url
        self.repository_arn = registry.repository_arn
        self.listener_arn = https.arn
        self.load_balancer_arn = load_balancer.arn
        self.load_balancer_dns_name = load_balancer.dns_name
        self.tasks_security_group_id = tasks_sg.id
        self.domain_name = args.domain_name.lower().rstrip(".")
        self.register_outputs(
            {
                "listener_arn": self.listener_arn,
                "load_balancer_arn": self.load_balancer_arn,
                "load_balancer_dns_name": self.load_balancer_dns_name,
                "tasks_security_group_id": self.tasks_security_group_id,
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
            }
        )
