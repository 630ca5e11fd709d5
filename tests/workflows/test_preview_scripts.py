"""The per-pull-request preview scripts (``steps/preview-*.sh``) run against a moto server.

The real files run under bash with the real AWS CLI (:mod:`tests.workflows.aws_cli`) pointed
at a moto server on 127.0.0.1, on a preview base made here with boto3 (a load balancer with an
HTTPS listener, a cluster) beside resources that are not previews (a base rule, target group,
service and log group), which must stay untouched. ``PREVIEW_NOW`` moves the clock. A stub
``aws`` first on PATH fails one chosen command, to fail a teardown half-way.
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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows import aws_cli
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
def _services_keep_their_capacity_provider_strategy() -> Iterator[None]:
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


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with _services_keep_their_capacity_provider_strategy():
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="module")
def aws_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with aws_cli.started(tmp_path_factory.mktemp("aws-cli")) as bin_dir:
        yield bin_dir


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


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).read()


@pytest.fixture
def base(moto_endpoint: str, aws_bin: Path, tmp_path: Path) -> Base:
    """A fresh moto holding the preview base, and a non-preview service on it."""
    _reset(moto_endpoint)
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


def _open(base: Base, pr: int, now: int, **extra: str) -> str:
    return base.ok("preview-deploy", PREVIEW_PR=str(pr), PREVIEW_NOW=str(now), **extra)


def test_three_previews_push_close_fail_expire_and_sweep(base: Base) -> None:
    others = base.others()
    for pr in (7, 12, 30):
        out = _open(base, pr, T0)
        assert f"https://pr-{pr}.pr.{DOMAIN}" in out
    dev = (1, "web-dev")
    assert base.routing() == {
        f"dev.{DOMAIN}": dev,
        f"pr-7.pr.{DOMAIN}": (2, "pr-7-web"),
        f"pr-12.pr.{DOMAIN}": (3, "pr-12-web"),
        f"pr-30.pr.{DOMAIN}": (4, "pr-30-web"),
    }
    tagged = base.tagged()
    assert tagged["svc"] == {"pr-7-web", "pr-12-web", "pr-30-web"}
    assert tagged["logs"] == {f"/slipway/previews/pr-{n}-web" for n in (7, 12, 30)}
    ecs = base.client("ecs")
    service = ecs.describe_services(cluster=base.cluster, services=["pr-12-web"])["services"][0]
    assert service["desiredCount"] == 1
    assert service["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    definition = ecs.describe_task_definition(taskDefinition="pr-12-web")["taskDefinition"]
    assert definition["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    retention = base.client("logs").describe_log_groups(
        logGroupNamePrefix="/slipway/previews/pr-12-web"
    )["logGroups"][0]["retentionInDays"]
    assert retention == 3

    # A push to 12, an hour later: same route and priority, a new revision, a renewed expiry.
    _open(base, 12, T0 + HOUR)
    assert base.routing()[f"pr-12.pr.{DOMAIN}"] == (3, "pr-12-web")
    service = ecs.describe_services(cluster=base.cluster, services=["pr-12-web"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/pr-12-web:2")
    tags = ecs.list_tags_for_resource(resourceArn=service["serviceArn"])["tags"]
    assert {"key": "slipway:expires", "value": str(T0 + HOUR + 72 * HOUR)} in tags
    assert {"key": "slipway:environment", "value": "preview"} in tags
    assert {"key": "slipway:app", "value": APP} in tags

    # 7 closes: everything of it goes; its priority is the first free one for the next preview.
    base.ok("preview-teardown", PREVIEW_PR="7")
    assert f"pr-7.pr.{DOMAIN}" not in base.routing()
    left = base.tagged()
    assert all("pr-7-web" not in " ".join(names) for names in left.values()), left
    # Run again: already gone is fine.
    base.ok("preview-teardown", PREVIEW_PR="7")
    _open(base, 41, T0, PREVIEW_TTL_HOURS="1")  # will expire
    _open(base, 55, T0)  # will lose its record
    assert base.routing() == {
        f"dev.{DOMAIN}": dev,
        f"pr-41.pr.{DOMAIN}": (2, "pr-41-web"),
        f"pr-12.pr.{DOMAIN}": (3, "pr-12-web"),
        f"pr-30.pr.{DOMAIN}": (4, "pr-30-web"),
        f"pr-55.pr.{DOMAIN}": (5, "pr-55-web"),
    }

    # 30 closes, and its teardown fails half-way: the service is gone, the record stays (no
    # longer forwarding) with the target group.
    failed = base.run(
        "preview-teardown", PREVIEW_PR="30", PREVIEW_TEST_FAIL="elbv2 delete-target-group"
    )
    assert failed.returncode != 0
    assert "injected by the test" in failed.stderr
    assert base.routing()[f"pr-30.pr.{DOMAIN}"] == (4, "404")
    assert "pr-30-web" in base.tagged()["tg"]
    assert "pr-30-web" not in base.tagged()["svc"]

    # 55's record is deleted behind the previews' back.
    elb = base.client("elbv2")
    rule = next(
        r["RuleArn"]
        for r in elb.describe_rules(ListenerArn=base.listener)["Rules"]
        if r["Priority"] == "5"
    )
    elb.delete_rule(RuleArn=rule)
    assert "pr-55-web" in base.tagged()["svc"]
    assert base.others() == others

    # The sweep two hours on: 30 is closed (layer 1 finishes its teardown), 41 expired (layer 1),
    # 55 has no record (layer 2, the tag sweep); 12 stays.
    out = base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 2 * HOUR), PREVIEW_OPEN_PRS="12 41 55")
    assert "pull request 30: pull request closed" in out
    assert "pull request 41: expired" in out
    assert "Tag sweep: pull request 55" in out
    assert base.routing() == {f"dev.{DOMAIN}": dev, f"pr-12.pr.{DOMAIN}": (3, "pr-12-web")}
    tagged = base.tagged()
    assert tagged["svc"] == {"pr-12-web"}
    assert tagged["tg"] == {"pr-12-web"}
    assert tagged["logs"] == {"/slipway/previews/pr-12-web"}
    assert {td.split(":")[0] for td in tagged["td"]} == {"pr-12-web"}
    assert base.others() == others

    # 12 closes without its teardown ever running: the next sweep removes it.
    base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 3 * HOUR), PREVIEW_OPEN_PRS="")
    assert base.routing() == {f"dev.{DOMAIN}": dev}
    assert base.tagged() == {k: set() for k in ("rule", "tg", "svc", "td", "logs")}
    assert base.others() == others


def test_the_tag_sweep_leaves_a_recent_recordless_preview_for_the_next_sweep(base: Base) -> None:
    _open(base, 9, T0)
    elb = base.client("elbv2")
    rule = next(
        r["RuleArn"]
        for r in elb.describe_rules(ListenerArn=base.listener)["Rules"]
        if r["Priority"] == "2"
    )
    elb.delete_rule(RuleArn=rule)
    out = base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 60), PREVIEW_OPEN_PRS="9")
    assert "Leaving pull request 9's resources" in out
    assert base.tagged()["svc"] == {"pr-9-web"}
    base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 901), PREVIEW_OPEN_PRS="9")
    assert base.tagged()["svc"] == set()


def test_the_cap_refuses_a_preview_beyond_the_rules_quota_with_its_reason(base: Base) -> None:
    # Rules quota 4 per load balancer; the base uses two rules, on two listeners (dev, and a
    # redirect on port 80): two previews fit.
    elb = base.client("elbv2")
    lb = elb.describe_listeners(ListenerArns=[base.listener])["Listeners"][0]["LoadBalancerArn"]
    http = elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    elb.create_rule(
        ListenerArn=http,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/.well-known/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": base.base_group}],
    )
    quota = {"PREVIEW_RULES_QUOTA": "4"}
    _open(base, 1, T0, **quota)
    _open(base, 2, T0, **quota)
    refused = base.run("preview-deploy", PREVIEW_PR="3", PREVIEW_NOW=str(T0), **quota)
    assert refused.returncode == 1
    assert "No preview for pull request 3: 2 previews are open and the cap is 2" in refused.stderr
    assert "100 target groups per load balancer, not adjustable" in refused.stderr
    assert "base uses (1 target groups, 2 rules)" in refused.stderr
    assert "load-balancer-limits.html" in refused.stderr
    assert f"pr-3.pr.{DOMAIN}" not in base.routing()
    assert "pr-3-web" not in base.tagged()["tg"]
    # An open preview is still updated at the cap.
    _open(base, 2, T0 + 60, **quota)
    base.ok("preview-teardown", PREVIEW_PR="1")
    _open(base, 3, T0, **quota)
    assert base.routing()[f"pr-3.pr.{DOMAIN}"] == (2, "pr-3-web")


def test_a_priority_taken_between_read_and_create_is_allocated_again(
    base: Base, tmp_path: Path
) -> None:
    race = tmp_path / "race"
    race.write_text(f"other.pr.{DOMAIN}")
    out = _open(base, 8, T0, PREVIEW_TEST_RACE=str(race))
    assert "priority 2 taken meanwhile" in out
    assert base.routing() == {
        f"dev.{DOMAIN}": (1, "web-dev"),
        f"other.pr.{DOMAIN}": (2, "503"),
        f"pr-8.pr.{DOMAIN}": (3, "pr-8-web"),
    }


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PREVIEW_PR", "0", "PREVIEW_PR='0' must be a pull request number"),
        ("PREVIEW_IMAGE", "web:latest", "must be an image by digest"),
        ("PREVIEW_APP", "Web_App", "PREVIEW_APP='Web_App'"),
        ("PREVIEW_LOG_RETENTION_DAYS", "10", "must be one of 1, 3, 5, 7, 14"),
    ],
)
def test_a_wrong_setting_fails_before_anything_is_created(
    base: Base, name: str, value: str, says: str
) -> None:
    env = {"PREVIEW_PR": "5", name: value}
    done = base.run("preview-deploy", **env)
    assert done.returncode == 1
    assert says in done.stderr
    assert base.routing() == {f"dev.{DOMAIN}": (1, "web-dev")}


def _first_free(used: list[str]) -> str:
    return subprocess.run(
        [
            "bash",
            "-c",
            f'source "{STEPS}/lib/preview.sh"; preview_first_free_priority',
        ],
        input="".join(f"{u}\n" for u in used),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=60), max_size=40),
    st.lists(st.integers(min_value=1, max_value=6), max_size=12),
)
def test_allocated_priorities_never_collide(base_priorities: list[int], opens: list[int]) -> None:
    """Any base rules, then previews opened and closed in any order (each step: open one more,
    or close the k-th open one): every allocation is the smallest free priority, and no two
    rules ever share one."""
    used = dict.fromkeys(base_priorities, "base")
    previews: list[int] = []
    for step in opens:
        if step <= 2 or not previews:
            priority = int(_first_free([*map(str, used), "default"]))
            assert 1 <= priority <= 50_000
            assert priority not in used
            assert all(p in used for p in range(1, priority))
            used[priority] = "preview"
            previews.append(priority)
        else:
            del used[previews.pop(step % len(previews))]


def test_no_free_priority_prints_nothing() -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{STEPS}/lib/preview.sh"; PREVIEW_MAX_PRIORITY=3; '
            "printf '1\\n2\\n3\\n' | preview_first_free_priority",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == ""
