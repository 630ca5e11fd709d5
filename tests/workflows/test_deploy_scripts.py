"""The deploy job's shell steps, taken from the rendered deploy.yml, run against a moto server.

Each step's ``env:`` is resolved the way GitHub would (``vars``, ``inputs`` and earlier
``steps.*.outputs``), then its ``run:`` script runs under bash with the AWS CLI pointed at a
local moto server and ``$GITHUB_OUTPUT`` emulated with a file. A small HTTP server plays the
application's health endpoint.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import botocore.validate
import pytest

from components import image_channel
from components.workflows import load_yaml, render_workflow_files
from components.workflows.deploy import SHAPE_TAG
from tests.workflows.conftest import SPECS, tool, tool_env

REGION = "eu-west-1"
ACCOUNT = "123456789012"
EXPRESSION = re.compile(r"\$\{\{\s*([a-z]+)\.([A-Za-z0-9_.-]+)\s*\}\}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on loopback; ECS services report their tasks as running."""
    port = _free_port()
    env = tool_env()
    env["MOTO_ECS_SERVICE_RUNNING"] = "1"
    process = subprocess.Popen(
        [tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto server did not start")
        yield endpoint
    finally:
        os.kill(process.pid, 15)
        process.wait(timeout=10)


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok" if type(self).status == 200 else b"unhealthy")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def health_server() -> Iterator[tuple[str, type[_Health]]]:
    """A local HTTP endpoint whose status the test sets."""
    handler = type("Health", (_Health,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class World:
    """One seeded environment: names in moto, the image digest, and the step runner state."""

    endpoint: str
    tmp: Path
    variables: dict[str, str]
    inputs: dict[str, str]
    original_task_definition: str
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    extra_path: str = ""

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def service_task_definition(self) -> str:
        ecs = self.client("ecs")
        service = ecs.describe_services(
            cluster=self.variables["ECS_CLUSTER"], services=[self.variables["ECS_SERVICE"]]
        )["services"][0]
        return str(service["taskDefinition"])

    def channel(self) -> str:
        ssm = self.client("ssm")
        name = self.variables["IMAGE_CHANNEL_PARAMETER"]
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])

    def channel_parameter(self) -> dict[str, Any]:
        ssm = self.client("ssm")
        name = self.variables["IMAGE_CHANNEL_PARAMETER"]
        return dict(ssm.get_parameter(Name=name)["Parameter"])

    def tags_of(self, task_definition: str) -> dict[str, str]:
        described = self.client("ecs").describe_task_definition(
            taskDefinition=task_definition, include=["TAGS"]
        )
        return {t["key"]: t["value"] for t in described.get("tags", [])}


def _manifest(seed: str) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest(),
            },
            "layers": [],
        }
    )


SHAPE_HASH = hashlib.sha256(b"shape").hexdigest()
"""The shape the stack registered, as components.image_channel computes it (a sha256)."""


@pytest.fixture
def family_tags() -> list[dict[str, str]]:
    """Tags of the seeded task definition: the shape the stack registered, and one of its own."""
    return [{"key": SHAPE_TAG, "value": SHAPE_HASH}, {"key": "team", "value": "shop"}]


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    family_tags: list[dict[str, str]],
    moto_endpoint: str,
    health_server: tuple[str, type[_Health]],
    tmp_path: Path,
) -> World:
    """Seed moto with an ECR image, a cluster, a task definition family (tagged with the shape
    the stack registered, ``slipway:shape=abc``), a service and the image-channel parameter, all
    named after the test. A test parametrizes ``family_tags`` to seed other tags."""
    node = request.node.name.lower()
    short = hashlib.sha256(node.encode()).hexdigest()[:6]
    name = re.sub(r"[^a-z0-9-]", "-", node)[:33].strip("-") + "-" + short
    w = World(moto_endpoint, tmp_path, {}, {}, "")
    ecr, ecs, ssm = w.client("ecr"), w.client("ecs"), w.client("ssm")
    repo = ecr.create_repository(repositoryName=f"app/{name}")["repository"]
    pushed = ecr.put_image(
        repositoryName=f"app/{name}", imageManifest=_manifest(name), imageTag="1.2.3"
    )
    digest = pushed["image"]["imageId"]["imageDigest"]
    ecs.create_cluster(clusterName=name)
    registered = ecs.register_task_definition(
        **({"tags": family_tags} if family_tags else {}),
        family=name,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": "public.ecr.aws/docker/library/busybox:1", "essential": True},
            {
                "name": "sidecar",
                "image": "public.ecr.aws/docker/library/nginx:1",
                "essential": False,
            },
        ],
    )["taskDefinition"]
    ecs.create_service(
        cluster=name,
        serviceName=name,
        taskDefinition=registered["taskDefinitionArn"],
        desiredCount=1,
        launchType="FARGATE",
    )
    parameter = f"/slipway/{name}/deployed"
    ssm.put_parameter(Name=parameter, Value="unset", Type="String")
    url, _handler = health_server
    w.variables = {
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID": ACCOUNT,
        "ECR_REPOSITORY_URL": repo["repositoryUri"],
        "ECS_CLUSTER": name,
        "ECS_SERVICE": name,
        "ECS_TASK_FAMILY": name,
        "ECS_CONTAINER_NAME": "app",
        "ENVIRONMENT_URL": url + "/",
        "HEALTH_CHECK_PATH": "/health",
        "IMAGE_CHANNEL_PARAMETER": parameter,
    }
    w.inputs = {"image-digest": digest, "version": "1.2.3"}
    w.original_task_definition = registered["taskDefinitionArn"]
    return w


def _deploy_steps() -> dict[str, dict[str, Any]]:
    deploy = load_yaml(render_workflow_files(SPECS["default"])[".github/workflows/deploy.yml"])
    steps = deploy["jobs"]["deploy-dev"]["steps"]
    return {step["id"]: step for step in steps if "id" in step and "run" in step}


STEPS = _deploy_steps()


def _resolve(value: str, w: World) -> str:
    def substitute(match: re.Match[str]) -> str:
        context, path = match.groups()
        if context == "vars":
            return w.variables[path]
        if context == "inputs":
            return w.inputs[path]
        if context == "steps":
            step_id, _outputs, output = path.split(".", 2)
            return w.outputs.get(step_id, {}).get(output, "")
        raise AssertionError(f"unexpected expression context {context!r} in {value!r}")

    return EXPRESSION.sub(substitute, value)


def run_step(w: World, step_id: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    """Run one rendered step's script with its resolved env; record its outputs."""
    step = STEPS[step_id]
    output_file = w.tmp / f"{step_id}.output"
    output_file.write_text("")
    env = tool_env()
    env.update(
        {
            "AWS_ENDPOINT_URL": w.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_PAGER": "",
            "RUNNER_TEMP": str(w.tmp),
            "GITHUB_OUTPUT": str(output_file),
        }
    )
    if w.extra_path:
        env["PATH"] = w.extra_path + os.pathsep + env["PATH"]
    env.update({k: _resolve(str(v), w) for k, v in step.get("env", {}).items()})
    if "STABILITY_POLL_SECONDS" in env:
        # moto settles at once; the rendered 15 s interval would only make the tests slow.
        env["STABILITY_POLL_SECONDS"] = "1"
    env.update(overrides)
    result = subprocess.run(
        [tool("bash"), "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = dict(
        line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
    )
    w.outputs[step_id] = outputs
    return result


FAST_HEALTH = {"HEALTH_CHECK_RETRIES": "3", "HEALTH_CHECK_INTERVAL_SECONDS": "0"}


def test_every_deploy_step_is_found_in_the_rendered_workflow() -> None:
    assert set(STEPS) == {"image", "render", "deploy", "health", "channel", "rollback", "slack"}
    for step in STEPS.values():
        for value in step.get("env", {}).values():
            assert "${{" not in str(value) or EXPRESSION.fullmatch(str(value)), value


def _deploy(w: World) -> None:
    for step_id in ("image", "render", "deploy"):
        result = run_step(w, step_id)
        assert result.returncode == 0, (step_id, result.stdout, result.stderr)


def _register_input_problems(document: dict[str, Any]) -> None:
    """Raise unless ``document`` is a valid RegisterTaskDefinition request (botocore's model)."""
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    botocore.validate.validate_parameters(document, shape)


def test_healthy_deploy_moves_the_service_and_records_the_channel(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    health_server[1].status = 200
    _deploy(world)
    image = f"{world.variables['ECR_REPOSITORY_URL']}@{world.inputs['image-digest']}"
    assert world.outputs["image"]["image"] == image
    assert world.outputs["render"]["previous-task-definition"] == world.original_task_definition
    assert world.outputs["render"]["shape"] == SHAPE_HASH
    rendered = json.loads(Path(world.outputs["render"]["task-definition-file"]).read_text())
    for read_only in (
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    ):
        assert read_only not in rendered
    _register_input_problems(rendered)
    assert rendered["tags"] == [
        {"key": SHAPE_TAG, "value": SHAPE_HASH},
        {"key": "team", "value": "shop"},
    ]
    images = {c["name"]: c["image"] for c in rendered["containerDefinitions"]}
    assert images == {"app": image, "sidecar": "public.ecr.aws/docker/library/nginx:1"}
    result = run_step(world, "health", **FAST_HEALTH)
    assert result.returncode == 0, result.stdout + result.stderr
    channel = run_step(world, "channel")
    assert channel.returncode == 0, channel.stdout + channel.stderr

    new = world.outputs["deploy"]["task-definition"]
    assert new.endswith(":2")
    assert new != world.original_task_definition
    assert world.service_task_definition() == new
    parameter = world.channel_parameter()
    assert parameter["Type"] == "String"
    assert parameter["Version"] == 2  # overwritten, not recreated
    assert json.loads(parameter["Value"]) == {
        "image": image,
        "taskDefinitionArn": new,
        "shape": SHAPE_HASH,
    }
    assert list(json.loads(parameter["Value"])) == ["image", "taskDefinitionArn", "shape"]
    # The shape survives the CI revision: the next deploy (or pulumi up) renders from this
    # revision and reads it again.
    assert world.tags_of(new) == {SHAPE_TAG: SHAPE_HASH, "team": "shop"}
    # The other side of the contract: components.image_channel reads what CI wrote.
    assert SHAPE_TAG == image_channel.SHAPE_TAG
    assert world.variables["IMAGE_CHANNEL_PARAMETER"].endswith("/" + image_channel.DEPLOYED)
    record = image_channel.parse_deployed(parameter["Value"])
    assert (record.image, record.task_definition_arn, record.shape) == (image, new, SHAPE_HASH)
    ecs = world.client("ecs")
    described = ecs.describe_task_definition(taskDefinition=new)["taskDefinition"]
    assert described["containerDefinitions"][0]["image"] == image
    assert described["cpu"] == "256"
    assert described["networkMode"] == "awsvpc"


@pytest.mark.parametrize(
    ("family_tags", "kept"),
    [
        ([], []),
        ([{"key": "team", "value": "shop"}], [{"key": "team", "value": "shop"}]),
        # Keys under aws: are reserved for AWS (CloudFormation sets them); registering them
        # again would be refused, so they are not carried over.
        ([{"key": "aws:cloudformation:stack-name", "value": "app"}], []),
    ],
    ids=["no-tags", "other-tags", "reserved-tags"],
)
def test_missing_shape_tag_warns_and_renders_without_a_shape(
    world: World, kept: list[dict[str, str]]
) -> None:
    assert run_step(world, "image").returncode == 0
    render = run_step(world, "render")
    assert render.returncode == 0, render.stdout + render.stderr
    family = world.variables["ECS_TASK_FAMILY"]
    assert f"::warning::{family} has no {SHAPE_TAG} tag" in render.stdout
    assert world.outputs["render"]["shape"] == ""
    rendered = json.loads(Path(world.outputs["render"]["task-definition-file"]).read_text())
    _register_input_problems(rendered)
    if kept:
        assert rendered["tags"] == kept
    else:
        assert "tags" not in rendered  # an empty list is never sent
    # Deploying and recording such a revision is the healthy path; its empty shape makes the
    # next `pulumi up` register its own revision (components.image_channel), which is the safe
    # outcome for a revision of unknown shape.


def test_failed_health_check_rolls_back_and_fails(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    health_server[1].status = 500
    _deploy(world)
    assert world.service_task_definition() == world.outputs["deploy"]["task-definition"]
    health = run_step(world, "health", **FAST_HEALTH)
    assert health.returncode != 0
    assert "did not answer 200 after 3 attempts" in health.stdout
    # The rendered `if:` of the rollback step holds for a failed health step.
    assert "steps.health.outcome == 'failure'" in STEPS["rollback"]["if"]
    rollback = run_step(world, "rollback")
    assert rollback.returncode != 0
    assert "is back on" in rollback.stdout
    assert world.service_task_definition() == world.original_task_definition
    assert world.channel() == "unset"
    assert world.channel_parameter()["Version"] == 1


def test_channel_refuses_a_revision_the_service_no_longer_runs(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    health_server[1].status = 200
    _deploy(world)
    assert run_step(world, "health", **FAST_HEALTH).returncode == 0
    # ECS (circuit breaker, alarm rollback) put the service back on the old revision meanwhile.
    world.client("ecs").update_service(
        cluster=world.variables["ECS_CLUSTER"],
        service=world.variables["ECS_SERVICE"],
        taskDefinition=world.original_task_definition,
    )
    channel = run_step(world, "channel")
    assert channel.returncode != 0
    assert "channel unchanged" in channel.stdout
    assert world.channel() == "unset"
    # A failed channel step triggers the rollback, so service and channel agree afterwards.
    assert "steps.channel.outcome == 'failure'" in STEPS["rollback"]["if"]


def test_channel_refuses_an_image_that_is_not_a_digest(world: World) -> None:
    # The check comes first in the step, before any AWS call: no deploy is needed to reach it.
    channel = run_step(
        world, "channel", IMAGE="registry.example/app:latest", TASK_DEFINITION_ARN="arn:x"
    )
    assert channel.returncode != 0
    assert "is not pinned by digest" in channel.stdout
    assert world.channel() == "unset"


def test_missing_image_fails_before_the_service_changes(world: World) -> None:
    fake_bin = world.tmp / "bin"
    fake_bin.mkdir()
    calls = world.tmp / "docker-calls"
    docker = fake_bin / "docker"
    docker.write_text(
        f'#!/bin/sh\necho "$@" >> "{calls}"\necho "no route to ghcr.io" >&2\nexit 1\n'
    )
    docker.chmod(0o755)
    world.extra_path = str(fake_bin)
    world.inputs["image-digest"] = "sha256:" + "0" * 64
    result = run_step(world, "image")
    assert result.returncode != 0
    # Promotion from GHCR was attempted, by digest, and its failure stopped the job.
    assert f"ghcr.io/acme/storefront@sha256:{'0' * 64}" in calls.read_text()
    assert "image" not in world.outputs["image"]
    assert world.service_task_definition() == world.original_task_definition
    assert world.channel() == "unset"
    assert world.tags_of(world.original_task_definition)[SHAPE_TAG] == SHAPE_HASH


def test_missing_image_is_promoted_from_ghcr_by_digest(world: World) -> None:
    manifest = _manifest("promoted")
    (world.tmp / "manifest.json").write_text(manifest)
    repository = world.variables["ECR_REPOSITORY_URL"].split("/", 1)[1]
    fake_bin = world.tmp / "bin"
    fake_bin.mkdir()
    docker = fake_bin / "docker"
    # Stands in for `docker buildx imagetools create --tag <ecr>:<tag> <ghcr>@<digest>`.
    docker.write_text(
        "#!/bin/sh\nset -e\n"
        f'tag="${{5##*:}}"\n'
        f'aws ecr put-image --repository-name {repository} --image-tag "$tag" '
        f'--image-manifest "$(cat {world.tmp / "manifest.json"})" >/dev/null\n'
    )
    docker.chmod(0o755)
    world.extra_path = str(fake_bin)
    ecr = world.client("ecr")
    # Learn the digest moto gives this manifest from a scratch repository, and empty the
    # environment's repository so the image is missing there.
    scratch = f"scratch/{repository}"
    ecr.create_repository(repositoryName=scratch)
    expected = ecr.put_image(repositoryName=scratch, imageManifest=manifest)["image"]["imageId"][
        "imageDigest"
    ]
    ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": "1.2.3"}])
    assert not ecr.list_images(repositoryName=repository)["imageIds"]
    world.inputs.update({"image-digest": expected, "version": "2.0.0"})
    result = run_step(world, "image")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Promoting ghcr.io/acme/storefront@" in result.stdout
    found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": "2.0.0"}])
    assert found["imageDetails"][0]["imageDigest"] == expected


def test_malformed_digest_is_rejected(world: World) -> None:
    world.inputs["image-digest"] = "latest"
    result = run_step(world, "image")
    assert result.returncode != 0
    assert "is not sha256:" in result.stdout
