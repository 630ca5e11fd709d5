"""The edge of :class:`~slipway.fargate_service.FargateService`'s load balancer: where its
access logs go (:class:`AccessLogOptions`) and the WAF web ACL in front of it
(:class:`WebAclOptions`).

Access logs go to a bucket of their own, following AWS's "Enable access logs for your
Application Load Balancer"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):

* the bucket is in the load balancer's region, encrypted with Amazon S3-managed keys (SSE-S3):
  "The only server-side encryption option that's supported is Amazon S3-managed keys
  (SSE-S3)", so not the stack's KMS key;
* its policy lets Elastic Load Balancing write under ``AWSLogs/<account>/``: in Regions
  available before August 2022 through the Region's Elastic Load Balancing account
  (:data:`ELB_ACCOUNT_IDS`), in newer ones through the
  ``logdelivery.elasticloadbalancing.amazonaws.com`` service principal;
* besides: public access blocked, ACLs off (bucket owner enforced), TLS only, versioned, and a
  lifecycle that expires log files after ``retention_days``.

The web ACL (regional, associated with the ALB) runs a per-IP rate-based rule and AWS's
managed rule groups ``AWSManagedRulesCommonRuleSet`` and
``AWSManagedRulesKnownBadInputsRuleSet`` ("AWS Managed Rules rule groups list",
https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html).
The rules are written as WAF's API names them (:func:`web_acl_rules`, ``CreateWebACL``), so
a test checks them against botocore's model; :func:`_rule_args` turns them into the
provider's arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid, is_whole
from slipway.iam import policy_document
from slipway.s3 import (
    expiry_rules,
    lifecycle_rule_args,
    private_bucket_controls,
    tls_only_statement,
)

ELB_ACCOUNT_IDS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
"""Elastic Load Balancing's account per Region available before August 2022 (the ALB guide's
"Regions available before August 2022" table); every other Region takes
:data:`LOG_DELIVERY_PRINCIPAL`."""
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
"""Who writes access logs in Regions available as of August 2022 or later."""

MAX_LOG_RETENTION_DAYS = 3653
NONCURRENT_EXPIRY_DAYS = 7
"""A log file overwritten or deleted by hand is kept this much longer."""

RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
"""WAF's range for a rate-based rule's limit (botocore's ``RateLimit`` shape)."""
RATE_WINDOW_SECONDS = 300
"""The rate-based rule counts requests per IP over five minutes."""
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
"""AWS's baseline rule groups, in the order they run (after the rate-based rule)."""


def access_log_retention_problems(days: object, setting: str) -> list[str]:
    """The one rule for how long access logs are kept: whole days, 1 to
    :data:`MAX_LOG_RETENTION_DAYS`."""
    if is_whole(days, 1, MAX_LOG_RETENTION_DAYS):
        return []
    return [invalid(setting, days, f"whole days, 1 to {MAX_LOG_RETENTION_DAYS}")]


def rate_limit_problems(limit: object, setting: str) -> list[str]:
    """The one rule for the rate-based rule's limit: requests per IP per five minutes,
    :data:`RATE_LIMIT_MIN` to :data:`RATE_LIMIT_MAX` (WAF's range)."""
    if (
        isinstance(limit, int)
        and not isinstance(limit, bool)
        and RATE_LIMIT_MIN <= limit <= RATE_LIMIT_MAX
    ):
        return []
    return [
        invalid(
            setting,
            limit,
            f"requests per IP per 5 minutes, {RATE_LIMIT_MIN} to {RATE_LIMIT_MAX:_}".replace(
                "_", ","
            ),
        )
    ]


@dataclass(frozen=True)
class AccessLogOptions:
    """The load balancer's access logs, in a bucket of their own."""

    retention_days: int = 90
    """Days S3 keeps each log file, 1 to 3653. Default: 90."""

    def __post_init__(self) -> None:
        problems = access_log_retention_problems(
            self.retention_days, "AccessLogOptions.retention_days"
        )
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True)
class WebAclOptions:
    """A regional WAF web ACL in front of the load balancer."""

    rate_limit: int = 2000
    """Requests one IP may send in five minutes before it is blocked, 10 to 2,000,000,000.
    Default: 2000."""

    def __post_init__(self) -> None:
        problems = rate_limit_problems(self.rate_limit, "WebAclOptions.rate_limit")
        if problems:
            raise ConfigError(problems)


def log_writer(region: str, partition: str) -> dict[str, str]:
    """The principal that writes access logs in ``region`` (see :data:`ELB_ACCOUNT_IDS`)."""
    account = ELB_ACCOUNT_IDS.get(region)
    if account is None:
        return {"Service": LOG_DELIVERY_PRINCIPAL}
    return {"AWS": f"arn:{partition}:iam::{account}:root"}


def access_log_bucket_statements(
    bucket_arn: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    partition: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """The bucket policy: Elastic Load Balancing may put objects under
    ``AWSLogs/<account>/`` (``AllowAccessLogDelivery``), and every request without TLS is
    refused (``DenyInsecureTransport``)."""
    writer = pulumi.Output.all(region, partition).apply(lambda rp: log_writer(rp[0], rp[1]))
    return [
        {
            "Sid": "AllowAccessLogDelivery",
            "Effect": "Allow",
            "Principal": writer,
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/AWSLogs/", account_id, "/*"),
        },
        tls_only_statement(bucket_arn),
    ]


def access_log_lifecycle_rules(retention_days: int) -> list[dict[str, Any]]:
    """The bucket's lifecycle as S3's API names it (``PutBucketLifecycleConfiguration``):
    log files expire after ``retention_days``, versions no longer current
    :data:`NONCURRENT_EXPIRY_DAYS` later, unfinished uploads after
    :data:`~slipway.s3.ABORT_MULTIPART_AFTER_DAYS`, and delete markers left alone go."""
    return expiry_rules("expire-access-logs", retention_days, NONCURRENT_EXPIRY_DAYS)


@dataclass(frozen=True)
class AccessLogBucket:
    """What :func:`build_access_log_bucket` registered."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    """The load balancer waits for it: ELB checks that it may write when logging is turned on."""


def build_access_log_bucket(
    name: str,
    options: AccessLogOptions,
    *,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    partition: pulumi.Input[str],
    protect: bool,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> AccessLogBucket:
    """The ``<name>-access-logs`` bucket and its settings, children of ``parent``. With
    ``protect`` the bucket is protected and retained; without, it is emptied on delete."""
    bucket = aws.s3.Bucket(
        f"{name}-access-logs",
        force_destroy=not protect,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )
    controls = private_bucket_controls(f"{name}-access-logs", bucket, parent)
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-access-logs-lifecycle",
        bucket=bucket.id,
        rules=[lifecycle_rule_args(r) for r in access_log_lifecycle_rules(options.retention_days)],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[controls.versioning]),
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-access-logs-policy",
        bucket=bucket.id,
        policy=policy_document(
            access_log_bucket_statements(bucket.arn, account_id, region, partition)
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[controls.public_access, controls.ownership]
        ),
    )
    return AccessLogBucket(bucket=bucket, policy=policy)


def _visibility(metric_name: str) -> dict[str, Any]:
    return {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": metric_name,
    }


def web_acl_rules(options: WebAclOptions, metric_prefix: str) -> list[dict[str, Any]]:
    """The web ACL's rules as WAF's ``CreateWebACL`` names them: first ``rate-limit-per-ip``
    (block an IP above ``rate_limit`` requests in five minutes), then each of
    :data:`MANAGED_RULE_GROUPS` with its own actions. Metric names start with
    ``metric_prefix``."""
    rate = {
        "Name": "rate-limit-per-ip",
        "Priority": 0,
        "Statement": {
            "RateBasedStatement": {
                "Limit": options.rate_limit,
                "EvaluationWindowSec": RATE_WINDOW_SECONDS,
                "AggregateKeyType": "IP",
            }
        },
        "Action": {"Block": {}},
        "VisibilityConfig": _visibility(f"{metric_prefix}-rate-limit-per-ip"),
    }
    managed = [
        {
            "Name": f"AWS-{group}",
            "Priority": priority,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": _visibility(f"{metric_prefix}-{group}"),
        }
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
    ]
    return [rate, *managed]


def _rule_args(rule: dict[str, Any]) -> aws.wafv2.WebAclRuleArgs:
    """One rule of :func:`web_acl_rules` as the provider's arguments."""
    statement = rule["Statement"]
    rate = statement.get("RateBasedStatement")
    group = statement.get("ManagedRuleGroupStatement")
    visibility = rule["VisibilityConfig"]
    return aws.wafv2.WebAclRuleArgs(
        name=rule["Name"],
        priority=rule["Priority"],
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=(
                aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate["Limit"],
                    evaluation_window_sec=rate["EvaluationWindowSec"],
                    aggregate_key_type=rate["AggregateKeyType"],
                )
                if rate
                else None
            ),
            managed_rule_group_statement=(
                aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    name=group["Name"], vendor_name=group["VendorName"]
                )
                if group
                else None
            ),
        ),
        action=(
            aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs())
            if "Action" in rule
            else None
        ),
        override_action=(
            aws.wafv2.WebAclRuleOverrideActionArgs(
                none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
            )
            if "OverrideAction" in rule
            else None
        ),
        visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
            sampled_requests_enabled=visibility["SampledRequestsEnabled"],
            cloudwatch_metrics_enabled=visibility["CloudWatchMetricsEnabled"],
            metric_name=visibility["MetricName"],
        ),
    )


def build_web_acl(
    name: str,
    options: WebAclOptions,
    *,
    acl_name: str,
    load_balancer_arn: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.wafv2.WebAcl:
    """The regional ``<name>-web-acl`` (named ``acl_name``, at most 128 word characters and
    '-') allowing what no rule blocks, and its association with the load balancer."""
    web_acl = aws.wafv2.WebAcl(
        f"{name}-web-acl",
        name=acl_name[:128],
        scope="REGIONAL",
        description="Rate limit per IP and AWS managed baseline rules",
        default_action=aws.wafv2.WebAclDefaultActionArgs(
            allow=aws.wafv2.WebAclDefaultActionAllowArgs()
        ),
        rules=[_rule_args(rule) for rule in web_acl_rules(options, acl_name[:128])],
        visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
            sampled_requests_enabled=True,
            cloudwatch_metrics_enabled=True,
            metric_name=acl_name[:128],
        ),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.wafv2.WebAclAssociation(
        f"{name}-web-acl-association",
        resource_arn=load_balancer_arn,
        web_acl_arn=web_acl.arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return web_acl


HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
"""A Route 53 hosted zone ID (``Z`` and upper-case letters or digits, at most 32)."""
VALIDATION_RECORD_TTL = 300

CERTIFICATE_VALIDATION_TIMEOUT_MINUTES = 30
"""How long ``pulumi up`` waits for ACM to issue the certificate. The provider's
``aws_acm_certificate_validation`` polls ``DescribeCertificate`` until ISSUED and gives up
after 75 minutes by default (terraform-provider-aws
``internal/service/acm/certificate_validation.go``, ``Timeouts``, ``waitCertificateIssued``:
https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/acm/certificate_validation.go),
longer than the infra pipeline's whole ``up`` job (60 minutes). The validation record is
written into the stack's own hosted zone in the same ``up``, so ACM usually issues within
minutes of the record's TTL; a zone that is not the domain's delegated zone never validates,
and 30 minutes is the time to say so while the job can still report it."""


def hosted_zone_problems(
    zone_name: str, private_zone: bool, domain_name: str, setting: str, zone_id: str
) -> list[str]:
    """The hosted zone Route 53 reports for ``zone_id`` must be a public zone that contains
    ``domain_name``: ACM resolves the validation CNAME through public DNS, and the provider
    waits for the certificate until its timeout otherwise
    (:data:`CERTIFICATE_VALIDATION_TIMEOUT_MINUTES`). Whether the parent domain delegates to
    the zone cannot be read from the zone itself."""
    zone = zone_name.rstrip(".").lower()
    domain = domain_name.rstrip(".").lower()
    problems = []
    if private_zone:
        problems.append(
            invalid(
                setting,
                zone_id,
                f"a public hosted zone: {zone} is private, and ACM validates through public DNS",
            )
        )
    if domain != zone and not domain.endswith("." + zone):
        problems.append(
            invalid(
                setting,
                zone_id,
                f"the hosted zone of domainName {domain!r}: {zone_id} is the zone of {zone!r}",
            )
        )
    return problems


def hosted_zone_id_problems(zone_id: object, setting: str) -> list[str]:
    """The one rule for a Route 53 hosted zone ID (:data:`HOSTED_ZONE_ID`)."""
    if isinstance(zone_id, str) and HOSTED_ZONE_ID.match(zone_id):
        return []
    return [invalid(setting, zone_id, "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ")]


def build_certificate(
    name: str,
    *,
    domain_name: str,
    hosted_zone_id: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
    protect: bool = False,
) -> pulumi.Output[str]:
    """An ACM certificate for ``domain_name``, validated by DNS in ``hosted_zone_id``: the
    certificate, the CNAME ACM asks for and the validation that waits until ACM has issued it
    ("DNS validation", ACM User Guide,
    https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). Returns the ARN
    once the certificate is issued, for the HTTPS listener. ``protect``: the certificate cannot
    be deleted or replaced by an ``up`` (the HTTPS listener would lose it)."""
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=domain_name,
        validation_method="DNS",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    option = certificate.domain_validation_options[0]
    record = aws.route53.Record(
        f"{name}-certificate-validation-record",
        zone_id=hosted_zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=VALIDATION_RECORD_TTL,
        allow_overwrite=True,
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=pulumi.ResourceOptions(
            parent=parent,
            custom_timeouts=pulumi.CustomTimeouts(
                create=f"{CERTIFICATE_VALIDATION_TIMEOUT_MINUTES}m"
            ),
        ),
    )
    issued: pulumi.Output[str] = validation.certificate_arn
    return issued


def build_alias(
    name: str,
    *,
    domain_name: str,
    hosted_zone_id: str,
    load_balancer: aws.lb.LoadBalancer,
    parent: pulumi.Resource,
    protect: bool = False,
) -> aws.route53.Record:
    """The ``A`` alias record that points ``domain_name`` at the load balancer
    ("Routing traffic to an ELB load balancer", Route 53 Developer Guide,
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html).
    ``protect``: the record cannot be deleted or replaced by an ``up`` (the name would stop
    resolving)."""
    return aws.route53.Record(
        f"{name}-alias",
        zone_id=hosted_zone_id,
        name=domain_name,
        type="A",
        aliases=[
            aws.route53.RecordAliasArgs(
                name=load_balancer.dns_name,
                zone_id=load_balancer.zone_id,
                evaluate_target_health=True,
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
