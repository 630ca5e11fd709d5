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
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tests.local_servers import moto_server_url
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
def fargate_tasks_take_their_size_from_the_task_definition() -> Iterator[None]:
    """moto 5.2.5's RunTask adds up each container's ``memory`` and fails (500, a TypeError)
    when a container sets none; for Fargate the task-level ``cpu`` and ``memory`` are required
    and a container's are optional (botocore's ECS model: ``ContainerDefinition.memory``, "If
    using the Fargate launch type, this parameter is optional"). Such a task is sized by its
    task definition here."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> Any:
        if all(
            c.get("memory") or c.get("memoryReservation")
            for c in task_definition.container_definitions
        ):
            return original(task_definition)
        return {
            "CPU": int(task_definition.cpu or 0),
            "MEMORY": int(task_definition.memory or 0),
            "PORTS": [],
            "PORTS_UDP": [],
        }

    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
        requirements
    )
    try:
        yield
    finally:
        EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
            original
        )


TARGET_HEALTH: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}
"""(target group ARN, target id) -> (State, Reason, Description), as :class:`Ecs` sets them."""
REPORTED: set[tuple[str, str, str]] = set()
"""(target group ARN, target id, State) of every health the load balancer has reported: a
:class:`Plan` with ``healthy_once_reported`` makes a target healthy only after its first state
was read, so a test sees it whatever the machine's load."""


@contextmanager
def targets_report_the_health_set_for_them() -> Iterator[None]:
    """moto 5.2.5's ``FakeTargetGroup.health_for`` reports every registered target ``healthy``
    at once; Elastic Load Balancing reports ``initial`` (``Elb.RegistrationInProgress``, then
    ``Elb.InitialHealthChecking``) until HealthyThresholdCount checks pass, or ``unhealthy``
    with a reason (botocore's elbv2 model: ``TargetHealthDescription``, ``TargetHealth``
    State/Reason/Description, ``TargetHealthStateEnum``). Here a registered target reports
    what :data:`TARGET_HEALTH` holds for it, as moto's own ``FakeHealthStatus`` (the same
    shape), else moto's answer."""
    from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

    original = FakeTargetGroup.health_for

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        registered = self.targets.get(target["Id"])
        chosen = TARGET_HEALTH.get((self.arn, target["Id"]))
        if registered is None or chosen is None:
            return original(self, target, ec2_backend)
        state, reason, description = chosen
        REPORTED.add((self.arn, target["Id"], state))
        return FakeHealthStatus(
            registered["Id"], registered["Port"], self.health_check_port, state, reason, description
        )

    FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]
    try:
        yield
    finally:
        FakeTargetGroup.health_for = original  # type: ignore[method-assign]
        TARGET_HEALTH.clear()
        REPORTED.clear()


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (with the ECS and ELB behaviour above) until the block ends;
    its endpoint."""
    with (
        services_keep_their_capacity_provider_strategy(),
        fargate_tasks_take_their_size_from_the_task_definition(),
        targets_report_the_health_set_for_them(),
        moto_server_url() as url,
    ):
        yield url


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
    # As the owner's VPC (slipway.network: DNS hostnames on, which interface endpoints need);
    # moto names a task's network interface only then.
    ec2.modify_vpc_attribute(VpcId=b.vpc, EnableDnsHostnames={"Value": True})
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


# ECS's service scheduler and the load balancer's health checks ---------------------------------

INITIAL = ("initial", "Elb.InitialHealthChecking", "Initial health checking in progress")


@dataclass
class Plan:
    """What happens to a new revision's task, in seconds after :class:`Ecs` starts it: its
    target reports ``health`` (``initial`` by default), then ``healthy`` after
    ``healthy_after`` (never when None); or the task stops after ``stop_after`` with
    ``reason`` as its ``stoppedReason``."""

    healthy_after: float | None = 0.3
    stop_after: float | None = None
    reason: str = "Essential container in task exited"
    health: tuple[str, str | None, str | None] = INITIAL
    healthy_once_reported: bool = False
    """Become ``healthy`` only once ``health`` was reported at least once (and
    ``healthy_after`` passed): a test that must see the first state does, however late on a
    loaded machine its first look comes."""


@dataclass
class _Started:
    arn: str
    service: str
    revision: str
    group: str
    ip: str
    at: float
    state: str = "started"


@dataclass
class Ecs:
    """The part of ECS that moto 5.2.5 does not play (its services start no task): for every
    ACTIVE preview service of the cluster whose revision has no task yet, start one as the
    service scheduler does (RunTask with the service's network configuration, ``group``
    ``service:<name>``, ``startedBy`` the deployment's id) and register its private IP in the
    service's target group on the container port (ECS registers a service's tasks with its
    target group: "Use load balancing to distribute Amazon ECS service traffic"), which reports
    :attr:`Plan.health`; then, per the plan, the target becomes ``healthy`` and the older
    revisions' tasks stop with their targets deregistered (a rolling update), or the task stops
    with the plan's reason and its target is deregistered. Runs in a thread until the block
    ends; ``log`` holds (event, service, revision) in order."""

    base: Base
    plan: Plan = field(default_factory=Plan)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    tasks: list[_Started] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Ecs:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        assert not self.errors, self.errors

    def healthy(self, service: str) -> bool:
        """Whether ``service``'s newest task (of its newest revision) is healthy now."""
        ours = [t for t in self.tasks if t.service == service]
        return bool(ours) and ours[-1].state == "healthy"

    def _run(self) -> None:
        ecs, elb = self.base.client("ecs"), self.base.client("elbv2")
        while not self._stop.wait(0.05):
            try:
                self._step(ecs, elb)
            except BaseException as error:  # reported at the end of the block
                self.errors.append(error)
                return

    def _stop_task(self, ecs: Any, elb: Any, task: _Started, reason: str) -> None:
        ecs.stop_task(cluster=self.base.cluster, task=task.arn, reason=reason)
        elb.deregister_targets(TargetGroupArn=task.group, Targets=[{"Id": task.ip}])
        TARGET_HEALTH.pop((task.group, task.ip), None)
        task.state = "stopped"
        self.log.append(("stopped", task.service, task.revision))

    def _step(self, ecs: Any, elb: Any) -> None:
        arns = ecs.list_services(cluster=self.base.cluster)["serviceArns"]
        names = [a.rsplit("/", 1)[1] for a in arns if a.rsplit("/", 1)[1].startswith("pr-")]
        services = (
            ecs.describe_services(cluster=self.base.cluster, services=names)["services"]
            if names
            else []
        )
        now = time.monotonic()
        for service in services:
            if service["status"] != "ACTIVE":
                continue
            name, revision = service["serviceName"], service["taskDefinition"]
            ours = [t for t in self.tasks if t.service == name and t.revision == revision]
            if not ours:
                balancer = service["loadBalancers"][0]
                task = ecs.run_task(
                    cluster=self.base.cluster,
                    taskDefinition=revision,
                    launchType="FARGATE",
                    networkConfiguration=service["networkConfiguration"],
                    group=f"service:{name}",
                    startedBy=service["deployments"][0]["id"],
                )["tasks"][0]
                ip = next(
                    d["value"]
                    for a in task["attachments"]
                    for d in a["details"]
                    if d["name"] == "privateIPv4Address"
                )
                group = balancer["targetGroupArn"]
                TARGET_HEALTH[(group, ip)] = self.plan.health
                elb.register_targets(
                    TargetGroupArn=group, Targets=[{"Id": ip, "Port": balancer["containerPort"]}]
                )
                self.tasks.append(_Started(task["taskArn"], name, revision, group, ip, now))
                self.log.append(("started", name, revision))
                continue
            task = ours[-1]
            if task.state != "started":
                continue
            age = now - task.at
            if self.plan.stop_after is not None and age >= self.plan.stop_after:
                self._stop_task(ecs, elb, task, self.plan.reason)
            elif (
                self.plan.healthy_after is not None
                and age >= self.plan.healthy_after
                and (
                    not self.plan.healthy_once_reported
                    or (task.group, task.ip, self.plan.health[0]) in REPORTED
                )
            ):
                TARGET_HEALTH[(task.group, task.ip)] = ("healthy", None, None)
                task.state = "healthy"
                self.log.append(("healthy", name, revision))
                for old in self.tasks:
                    if old.service == name and old.revision != revision and old.state != "stopped":
                        self._stop_task(ecs, elb, old, "Scaling activity initiated by deployment")
