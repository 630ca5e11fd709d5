"""The load balancer's edge: its access logs' bucket and its WAF web ACL (slipway.edge)."""

from __future__ import annotations

from typing import Any

import botocore.validate
import pytest

from slipway.edge import (
    ELB_ACCOUNT_IDS,
    LOG_DELIVERY_PRINCIPAL,
    MANAGED_RULE_GROUPS,
    AccessLogOptions,
    WebAclOptions,
    access_log_lifecycle_rules,
    access_log_retention_problems,
    rate_limit_problems,
    web_acl_rules,
)
from slipway.errors import ConfigError
from slipway.fargate_service import FargateService, FargateServiceArgs
from slipway.load_balancer import ListenerOptions
from tests.aws_models import service_model
from tests.test_fargate_service import BASE, LISTENER, LOAD_BALANCER, Runner
from tooling.offline import ACCOUNT_ID, Recording

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def edge_service(run: Runner, region: str = "eu-west-1", **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        FargateService("web", FargateServiceArgs(**{**BASE, **overrides}))
        return {}

    return run(program, region=region)


def test_access_logs_are_on_by_default(run_component: Runner) -> None:
    """A secure default: a service logs its ALB's requests unless told not to (90 days)."""
    recording = edge_service(run_component)
    assert recording.one(BUCKET)
    assert recording.one(LOAD_BALANCER).inputs["accessLogs"]["enabled"] is True
    assert not recording.of_type(WEB_ACL)


def test_without_options_there_is_no_bucket_and_no_web_acl(run_component: Runner) -> None:
    recording = edge_service(run_component, access_logs=None)
    assert not recording.of_type(BUCKET)
    assert not recording.of_type(WEB_ACL)
    assert "accessLogs" not in recording.one(LOAD_BALANCER).inputs


@pytest.mark.parametrize("protect", [True, False])
def test_access_logs_go_to_a_private_tls_only_sse_s3_bucket(
    run_component: Runner, protect: bool
) -> None:
    recording = edge_service(
        run_component, access_logs=AccessLogOptions(retention_days=30), protect=protect
    )
    bucket = recording.one(BUCKET)
    assert bucket.parent_name == "web"
    assert (bucket.protect, bucket.retain_on_delete) == (protect, protect)
    assert bucket.inputs["forceDestroy"] is (not protect)
    lb = recording.one(LOAD_BALANCER)
    logs = lb.inputs["accessLogs"]
    assert logs["enabled"] is True
    assert logs["bucket"]
    assert "prefix" not in logs
    policy = recording.one(BUCKET_POLICY)
    assert policy.urn in lb.dependencies
    public = recording.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    blocks = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(public[k] is True for k in blocks)
    (rule,) = recording.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    # SSE-KMS is not supported for ALB access logs: SSE-S3 (AES256) only.
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    versioning = recording.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    lifecycle = recording.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert lifecycle[0]["expiration"]["days"] == 30
    statements = {s["Sid"]: s for s in policy.json_input("policy")["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("eu-west-1", {"AWS": f"arn:aws:iam::{ELB_ACCOUNT_IDS['eu-west-1']}:root"}),
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-central-2", {"Service": LOG_DELIVERY_PRINCIPAL}),
        ("ap-southeast-4", {"Service": LOG_DELIVERY_PRINCIPAL}),
        ("cn-north-1", {"AWS": "arn:aws-cn:iam::638102146993:root"}),
    ],
)
def test_the_log_writer_is_the_regions_elb_account_or_the_log_delivery_service(
    run_component: Runner, region: str, principal: dict[str, str]
) -> None:
    recording = edge_service(run_component, region=region, access_logs=AccessLogOptions())
    statements = {
        s["Sid"]: s for s in recording.one(BUCKET_POLICY).json_input("policy")["Statement"]
    }
    write = statements["AllowAccessLogDelivery"]
    assert write["Principal"] == principal
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"].endswith(f"/AWSLogs/{ACCOUNT_ID}/*")


def test_the_lifecycle_matches_the_s3_api_model() -> None:
    shape = service_model("s3").operation_model("PutBucketLifecycleConfiguration").input_shape
    botocore.validate.validate_parameters(
        {
            "Bucket": "logs",
            "LifecycleConfiguration": {"Rules": access_log_lifecycle_rules(90)},
        },
        shape,
    )


def test_the_web_acl_matches_the_wafv2_api_model() -> None:
    request = {
        "Name": "shop-prod",
        "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}},
        "Rules": web_acl_rules(WebAclOptions(rate_limit=500), "shop-prod"),
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": "shop-prod",
        },
    }
    botocore.validate.validate_parameters(
        request, service_model("wafv2").operation_model("CreateWebACL").input_shape
    )


def test_web_acl_rules_a_rate_limit_then_the_managed_groups(run_component: Runner) -> None:
    recording = edge_service(run_component, web_acl=WebAclOptions(rate_limit=500))
    acl = recording.one(WEB_ACL)
    assert acl.parent_name == "web"
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    expected = web_acl_rules(WebAclOptions(rate_limit=500), "shop-prod")
    assert [r["name"] for r in acl.inputs["rules"]] == [r["Name"] for r in expected]
    rate = rules["rate-limit-per-ip"]
    assert rate["priority"] == 0
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 500,
        "evaluationWindowSec": 300,
        "aggregateKeyType": "IP",
    }
    for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        rule = rules[f"AWS-{group}"]
        assert rule["priority"] == priority
        assert rule["overrideAction"] == {"none": {}}
        assert rule["statement"]["managedRuleGroupStatement"] == {
            "name": group,
            "vendorName": "AWS",
        }
        assert rule["visibilityConfig"]["metricName"] == f"shop-prod-{group}"
    association = recording.one(ASSOCIATION)
    assert association.parent_name == "web"
    assert ":loadbalancer/" in association.inputs["resourceArn"]
    assert association.inputs["webAclArn"].startswith("arn:aws:wafv2:")


@pytest.mark.parametrize("limit", [9, 2_000_000_001, True, 0])
def test_a_rate_limit_outside_wafs_range_is_refused(limit: Any) -> None:
    with pytest.raises(ConfigError, match=r"WebAclOptions.rate_limit: got .*10 to 2,000,000,000"):
        WebAclOptions(rate_limit=limit)


def test_the_rate_limit_rule_is_wafs_own_range() -> None:
    limits = service_model("wafv2").shape_for("RateLimit").metadata
    assert rate_limit_problems(limits["min"], "x") == []
    assert rate_limit_problems(limits["max"], "x") == []
    assert rate_limit_problems(limits["min"] - 1, "x")
    assert rate_limit_problems(limits["max"] + 1, "x")


@pytest.mark.parametrize("days", [0, 3654, False])
def test_an_access_log_retention_out_of_range_is_refused(days: Any) -> None:
    assert access_log_retention_problems(days, "x")
    with pytest.raises(ConfigError, match=r"AccessLogOptions\.retention_days"):
        AccessLogOptions(retention_days=days)


def test_a_hosted_zone_and_a_certificate_together_are_refused() -> None:
    from tests.test_fargate_service import CERTIFICATE

    with pytest.raises(ConfigError, match=r"ListenerOptions\.certificate_arn: .*not both"):
        ListenerOptions(
            certificate_arn=CERTIFICATE,
            hosted_zone_id="Z0123456789ABCDEFGHIJ",
            domain_name="shop.example.com",
        )
    with pytest.raises(ConfigError, match=r"ListenerOptions\.domain_name: got None"):
        ListenerOptions(hosted_zone_id="Z0123456789ABCDEFGHIJ")
    with pytest.raises(ConfigError, match=r"ListenerOptions\.hosted_zone_id: got 'z123'"):
        ListenerOptions(hosted_zone_id="z123", domain_name="shop.example.com")


def test_a_hosted_zone_gives_https_with_an_issued_certificate(run_component: Runner) -> None:
    listener = ListenerOptions(
        hosted_zone_id="Z0123456789ABCDEFGHIJ", domain_name="shop.example.com"
    )
    recording = edge_service(run_component, listener=listener)
    assert not any("plain HTTP" in w for w in recording.warnings)
    certificate = recording.one("aws:acm/certificate:Certificate")
    assert certificate.parent_name == "web"
    validation = recording.one("aws:acm/certificateValidation:CertificateValidation")
    https = next(r for r in recording.of_type(LISTENER) if r.inputs["protocol"] == "HTTPS")
    assert https.inputs["certificateArn"] == validation.inputs["certificateArn"]
    assert https.inputs["certificateArn"].startswith("arn:aws:acm:eu-west-1:")
    names = {r.name for r in recording.of_type("aws:route53/record:Record")}
    assert names == {"web-certificate-validation-record", "web-alias"}
