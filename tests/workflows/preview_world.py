"""The preview base on a moto server, shared by the tests that run the preview scripts
(tests/workflows/test_preview_scripts.py) and the rendered preview.yml
(tests/workflows/test_preview_run.py).

A load balancer with an HTTPS listener and a cluster, made with boto3, beside resources that are
not previews (a base rule, target group, service and log group), which must stay untouched.
``PREVIEW_NOW`` moves the scripts' clock. A stub ``aws`` first on PATH (:data:`FAIL_STUB`)
fails one chosen command, to fail a teardown half-way.
"""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.workflows.conftest import tool_env

STEPS = Path(__file__).resolve().parents[2] / "components" / "slipway" / "workflows" / "steps"
REGION = "eu-west-1"
APP = "web"
DOMAIN = "example.com"
T0 = 1_800_000_000
HOUR = 3600
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + "a" * 64
PREVIEW_TAG = "slipway:preview"
FAIL_STUB = """#!/usr/bin/env bash
# Fails the one command named in PREVIEW_TEST_FAIL ("service operation"), else runs the CLI.
if [[ -n "${PREVIEW_TEST_FAIL:-}" && "$1 $2" == "${PREVIEW_TEST_FAIL}" ]]; then
  echo "An error occurred (InternalFailure) when calling $2: injected by the test" >&2
  exit 254
fi
# PREVIEW_TEST_RACE=<file>: before the first create-rule, another pull request (the host
# in the file) takes the same priority, as a concurrent run would between read and create.
if [[ -s "${PREVIEW_TEST_RACE:-/nonexistent}" && "$1 $2" == "elbv2 create-rule" ]]; then
  host=$(cat "${PREVIEW_TEST_RACE}")
  : > "${PREVIEW_TEST_RACE}"
  args=("$@")
  for i in "${!args[@]}"; do
    if [[ "${args[$i]}" == "--priority" ]]; then priority=${args[$((i + 1))]}; fi
  done
  "${REAL_AWS}" elbv2 create-rule --listener-arn "${PREVIEW_LISTENER_ARN}" \
    --priority "${priority}" --conditions "Field=host-header,HostHeaderConfig={Values=[${host}]}" \
    --actions 'Type=fixed-response,FixedResponseConfig={StatusCode=503}' >/dev/null
fi
exec "${REAL_AWS}" "$@"
"""


@contextmanager
def services_keep_their_capacity_provider_strategy() -> Iterator[None]:
    """moto 5.2.5's ECS reads ``capacityProviderStrategy`` in CreateService and drops it; AWS
    returns it in the service (botocore's ECS model: ``Service.capacityProviderStrategy``, a
    list of ``CapacityProviderStrategyItem``). Kept here on the service, where moto's serializer
    reads the model's members from. And a deleted service leaves ListServices at once (the
    model's DeleteService documentation: "the service is no longer visible in the console or in
    the ListServices API operation"); moto lists it, INACTIVE, forever."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result = original(self)
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            service = self.ecs_backend.describe_services(
                self._get_param("cluster", "default"), [self._get_param("serviceName")]
            )[0][0]
            service.capacity_provider_strategy = [
                {
                    "capacityProvider": i["capacityProvider"],
                    "weight": i.get("weight", 0),
                    "base": i.get("base", 0),
                }
                for i in strategy
            ]
        return result

    listed = EC2ContainerServiceBackend.list_services

    def list_services(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> list[str]:
        arns = listed(self, cluster_str, *args, **kwargs)
        inactive = {s.arn for s in self.services.values() if s.status == "INACTIVE"}
        return [arn for arn in arns if arn not in inactive]

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.list_services = list_services  # type: ignore[method-assign]
    try:
        yield
    finally:
        EC2ContainerServiceResponse.create_service = original  # type: ignore[method-assign]
        EC2ContainerServiceBackend.list_services = listed  # type: ignore[method-assign]


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (with the ECS behaviour above) until the block ends; its
    endpoint."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with services_keep_their_capacity_provider_strategy():
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@dataclass
class Base:
    """The preview base and the resources that are not previews."""

    endpoint: str
    path: str
    listener: str
    cluster: str
    vpc: str
    subnets: list[str]
    security_group: str
    base_rule: str
    base_group: str
    real_aws: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = tool_env()
        env.update(
            PATH=self.path,
            REAL_AWS=self.real_aws,
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
            PREVIEW_APP=APP,
            PREVIEW_DOMAIN=DOMAIN,
            PREVIEW_LISTENER_ARN=self.listener,
            PREVIEW_CLUSTER=self.cluster,
            PREVIEW_VPC_ID=self.vpc,
            PREVIEW_SUBNETS=",".join(self.subnets),
            PREVIEW_SECURITY_GROUPS=self.security_group,
            PREVIEW_IMAGE=IMAGE,
            PREVIEW_EXECUTION_ROLE_ARN="arn:aws:iam::123456789012:role/pr-execution",
            PREVIEW_CONTAINER_PORT="3000",
            PREVIEW_HEALTH_CHECK_PATH="/health",
        )
        env.pop("GITHUB_OUTPUT", None)
        env.update(extra)
        return env

    def run(self, step: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(STEPS / f"{step}.sh")],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def ok(self, step: str, **extra: str) -> str:
        done = self.run(step, **extra)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # What is there ---------------------------------------------------------------------------

    def routing(self) -> dict[str, tuple[int, str]]:
        """host -> (priority, target group name or the fixed response's status)."""
        elb = self.client("elbv2")
        names = {
            g["TargetGroupArn"]: g["TargetGroupName"]
            for g in elb.describe_target_groups()["TargetGroups"]
        }
        out: dict[str, tuple[int, str]] = {}
        for rule in elb.describe_rules(ListenerArn=self.listener)["Rules"]:
            if rule["IsDefault"]:
                continue
            host = next(
                c["HostHeaderConfig"]["Values"][0]
                for c in rule["Conditions"]
                if c["Field"] == "host-header"
            )
            action = rule["Actions"][0]
            target = (
                names[action["TargetGroupArn"]]
                if action["Type"] == "forward"
                else action["FixedResponseConfig"]["StatusCode"]
            )
            out[host] = (int(rule["Priority"]), target)
        return out

    def tagged(self) -> dict[str, set[str]]:
        """Every preview-tagged resource, by kind: names (task definitions: family:revision)."""
        elb, ecs, logs = self.client("elbv2"), self.client("ecs"), self.client("logs")
        out: dict[str, set[str]] = {"rule": set(), "tg": set(), "svc": set(), "td": set()}
        out["logs"] = set()

        def preview(tags: dict[str, str]) -> bool:
            return PREVIEW_TAG in tags

        rules = [
            r["RuleArn"]
            for r in elb.describe_rules(ListenerArn=self.listener)["Rules"]
            if not r["IsDefault"]
        ]
        groups = {
            g["TargetGroupArn"]: g["TargetGroupName"]
            for g in elb.describe_target_groups()["TargetGroups"]
        }
        arns = rules + list(groups)
        for i in range(0, len(arns), 20):
            for d in elb.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
                if preview({t["Key"]: t["Value"] for t in d["Tags"]}):
                    kind = "tg" if d["ResourceArn"] in groups else "rule"
                    out[kind].add(groups.get(d["ResourceArn"], d["ResourceArn"]))
        for arn in ecs.list_services(cluster=self.cluster)["serviceArns"]:
            tags = ecs.list_tags_for_resource(resourceArn=arn)["tags"]
            if preview({t["key"]: t["value"] for t in tags}):
                out["svc"].add(arn.rsplit("/", 1)[1])
        for status in ("ACTIVE", "INACTIVE"):
            for arn in ecs.list_task_definitions(status=status)["taskDefinitionArns"]:
                tags = ecs.list_tags_for_resource(resourceArn=arn)["tags"]
                if preview({t["key"]: t["value"] for t in tags}):
                    out["td"].add(arn.rsplit("/", 1)[1])
        for group in logs.describe_log_groups()["logGroups"]:
            arn = group["arn"].removesuffix(":*")
            if preview(logs.list_tags_for_resource(resourceArn=arn)["tags"]):
                out["logs"].add(group["logGroupName"])
        return out

    def others(self) -> tuple[object, ...]:
        """What is not a preview: must never change."""
        elb, ecs, logs = self.client("elbv2"), self.client("ecs"), self.client("logs")
        rule = elb.describe_rules(RuleArns=[self.base_rule])["Rules"][0]
        service = ecs.describe_services(cluster=self.cluster, services=["web-dev"])["services"][0]
        return (
            rule["Priority"],
            rule["Actions"],
            elb.describe_target_groups(TargetGroupArns=[self.base_group])["TargetGroups"][0][
                "TargetGroupName"
            ],
            service["status"],
            service["taskDefinition"],
            [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]].count(
                "/slipway/web-dev"
            ),
        )


def reset(endpoint: str) -> None:
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).read()


def make_base(moto_endpoint: str, aws_bin: Path, tmp_path: Path) -> Base:
    """A fresh moto holding the preview base, and a non-preview service on it."""
    reset(moto_endpoint)
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "aws").write_text(FAIL_STUB)
    (stub / "aws").chmod(0o755)
    path = f"{stub}:{aws_bin}:{tool_env()['PATH']}"
    b = Base(moto_endpoint, path, "", "", "", [], "", "", "", str(aws_bin / "aws"))
    ec2, elb, ecs, logs, acm = (b.client(s) for s in ("ec2", "elbv2", "ecs", "logs", "acm"))
    b.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    b.subnets = [
        ec2.create_subnet(VpcId=b.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    b.security_group = ec2.create_security_group(
        GroupName="previews", Description="previews", VpcId=b.vpc
    )["GroupId"]
    lb = elb.create_load_balancer(Name="slipway-previews", Subnets=b.subnets)["LoadBalancers"][0]
    certificate = acm.request_certificate(DomainName=f"*.pr.{DOMAIN}")["CertificateArn"]
    b.listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    b.cluster = ecs.create_cluster(clusterName="slipway-dev")["cluster"]["clusterArn"]
    b.base_group = elb.create_target_group(
        Name="web-dev", Protocol="HTTP", Port=3000, VpcId=b.vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    b.base_rule = elb.create_rule(
        ListenerArn=b.listener,
        Priority=1,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"dev.{DOMAIN}"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": b.base_group}],
    )["Rules"][0]["RuleArn"]
    definition = ecs.register_task_definition(
        family="web-dev",
        containerDefinitions=[{"name": "app", "image": IMAGE, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=b.cluster, serviceName="web-dev", taskDefinition=definition, desiredCount=1
    )
    logs.create_log_group(logGroupName="/slipway/web-dev")
    return b
