"""The deploy job's shell steps, taken from the rendered deploy.yml, run against a moto server.

Each step's ``env:`` is resolved the way GitHub would (``vars``, ``inputs``, ``github``,
``job``, ``secrets`` and earlier ``steps.*``), then its ``run:`` script runs under bash with the
AWS CLI (from PyPI) pointed at a moto server on 127.0.0.1 and ``$GITHUB_OUTPUT`` emulated with a
file. :func:`run_job` runs a whole job: the steps in order, each only when its rendered ``if:``
holds (evaluated from the steps' outcomes, the job's failure and cancellation), so the tests
also prove the conditions. The moto server runs in a thread of the test process, so that
:mod:`tests.workflows.ecs_rollouts` can give moto's ECS the deployment life cycle it lacks
(new deployments, ``rolloutState``, the circuit breaker). Stubs stand in for ``docker buildx
imagetools`` (a GHCR that serves the test's images, their labels, and copies into moto's ECR)
and ``gh attestation verify`` (a list of attested digests). A small HTTP server plays the
application's health endpoint.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.validate
import pytest

from slipway import image_channel
from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.deploy import (
    DESCRIBE_ATTEMPTS,
    SHAPE_TAG,
    VERSION_LABEL,
)
from slipway.workflows.scripts import DELIVERED_DIR, DELIVERED_STEPS
from tests.aws_models import service_model
from tests.local_servers import http_server, moto_server_url
from tests.workflows import aws_cli
from tests.workflows.conftest import SPECS, tool, tool_env, write_files
from tests.workflows.ecs_rollouts import (
    ALARM,
    ALARM_NAME,
    BLUE_GREEN,
    CANARY,
    COMPLETE,
    FAIL,
    HOOK_FAIL,
    LINEAR,
    ROLLING,
    STUCK,
    EcsRollouts,
    Rollout,
    installed,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"
REPOSITORY = "acme/storefront"
EXPRESSION = re.compile(r"\$\{\{\s*([a-z]+)\.([A-Za-z0-9_.-]+)\s*\}\}")
POLL = 0.2
"""Seconds between rollout polls in the tests (the rendered 15 s would only make them slow)."""


@pytest.fixture(scope="module")
def ecs_model() -> Iterator[EcsRollouts]:
    """The ECS rolling-update model, installed on moto's backend for this module."""
    with installed(EcsRollouts()) as model:
        yield model


@pytest.fixture(scope="module")
def moto_endpoint(ecs_model: EcsRollouts) -> Iterator[str]:
    """A moto server on 127.0.0.1, in a thread of this process (so the model applies to it)."""
    with moto_server_url() as url:
        yield url


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the deploy job's first step checks out: the rendered repository's files (the steps
    run their delivered scripts from it, as on the runner)."""
    root = tmp_path_factory.mktemp("checkout")
    write_files(root, render_workflow_files(SPECS["default"]))
    return root


@pytest.fixture(scope="module")
def aws_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory of the ``aws`` client of :mod:`tests.workflows.aws_cli` (the real CLI,
    imported once and forked per call), first on the steps' PATH after their stubs."""
    with aws_cli.started(tmp_path_factory.mktemp("aws-cli")) as bin_dir:
        yield bin_dir


class _Health(http.server.BaseHTTPRequestHandler):
    """The application's health endpoint (GET), and a Slack incoming webhook (POST: each body is
    kept in ``posts``)."""

    status = 200
    body: bytes | None = None
    """What a healthy answer says (None: ``ok``)."""
    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).posts.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.end_headers()
        body = type(self).body
        healthy = body if body is not None else b"ok"
        self.wfile.write(healthy if type(self).status == 200 else b"unhealthy")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def health_server() -> Iterator[tuple[str, type[_Health]]]:
    """A local HTTP endpoint whose status the test sets."""
    handler = type("Health", (_Health,), {"posts": []})
    with http_server(handler) as port:
        yield f"http://127.0.0.1:{port}", handler


def _manifest(seed: str) -> str:
    layer = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + hashlib.sha256(("config" + seed).encode()).hexdigest(),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1,
                    "digest": layer,
                }
            ],
        }
    )


def _digest(manifest: str) -> str:
    """A manifest's digest, as registries compute it."""
    return "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()


def _config(version: str | None) -> dict[str, Any]:
    labels = {"org.opencontainers.image.source": f"https://github.com/{REPOSITORY}"}
    if version is not None:
        labels[VERSION_LABEL] = version
    return {"architecture": "amd64", "os": "linux", "config": {"Labels": labels}}


SHAPE_HASH = hashlib.sha256(b"shape").hexdigest()
"""The shape the stack registered, as slipway.image_channel computes it (a sha256)."""

DOCKER_STUB = """\
#!/bin/bash
# `docker buildx imagetools` against a GHCR made of {images}: inspect prints an image's
# `{{{{json .Image}}}}`; create copies its manifest into moto's ECR under the tag.
set -euo pipefail
echo "$*" >> "{calls}"
if [[ "$1 $2" != "buildx imagetools" ]]; then
  echo "unexpected: docker $*" >&2
  exit 2
fi
case "$3" in
  inspect)
    digest="${{4##*@}}"
    if ! jq -ec --arg d "${{digest}}" '.[$d].image' "{images}"; then
      echo "ERROR: $4: not found" >&2
      exit 1
    fi
    ;;
  create)
    target="$5"
    digest="${{6##*@}}"
    manifest=$(jq -r --arg d "${{digest}}" '.[$d].manifest // empty' "{images}")
    if [[ -z "${{manifest}}" ]]; then
      echo "ERROR: $6: not found" >&2
      exit 1
    fi
    repository="${{target%:*}}"
    repository="${{repository#*/}}"
    aws ecr put-image --repository-name "${{repository}}" --image-tag "${{target##*:}}" \\
      --image-manifest "${{manifest}}" --image-digest "${{digest}}" >/dev/null
    ;;
  *)
    echo "unexpected: docker $*" >&2
    exit 2
    ;;
esac
"""

GH_STUB = """\
#!/bin/bash
# `gh attestation verify oci://<image>@<digest> ...`: verified when the digest is listed.
# `gh api`: GitHub's deployments of this run (76 is another run's, 77 this one's); a new
# deployment status is appended to {statuses} as JSON.
echo "$*" >> "{calls}"
if [[ "$1" == "api" ]]; then
  shift
  fields=()
  path=""
  while (( $# )); do
    case "$1" in
      -f | -F) fields+=(--arg "${{2%%=*}}" "${{2#*=}}"); shift 2 ;;
      --jq) shift 2 ;;
      --silent | -X) [[ "$1" == -X ]] && shift; shift ;;
      *) path="$1"; shift ;;
    esac
  done
  case "${{path}}" in
    "repos/{repository}/deployments/77/statuses")
      jq -nc "${{fields[@]}}" '$ARGS.named' >> "{statuses}" ;;
    "repos/{repository}/deployments?environment=dev&sha="*) printf '76\\n77\\n' ;;
    "repos/{repository}/deployments/76/statuses?"*)
      echo "https://github.com/{repository}/actions/runs/4141/job/1" ;;
    "repos/{repository}/deployments/77/statuses?"*)
      echo "https://github.com/{repository}/actions/runs/4242/job/2" ;;
    *) echo "gh: unexpected api ${{path}}" >&2; exit 1 ;;
  esac
  exit 0
fi
digest="${{3##*@}}"
if grep -qxF "${{digest}}" "{attested}"; then
  echo "Loaded 1 attestation from GHCR"
  echo "The following policy criteria will be enforced: ..."
  exit 0
fi
echo "Error: failed to verify the artifact: no matching attestations found" >&2
exit 1
"""


@dataclass
class World:
    """One seeded environment: names in moto, the images in "GHCR", and the step runner state."""

    endpoint: str
    tmp: Path
    model: EcsRollouts
    aws_bin: Path
    """Directory of the ``aws`` client (:mod:`tests.workflows.aws_cli`)."""
    checkout: Path
    """The job's checkout: the rendered repository, whose delivered scripts the steps run."""
    variables: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    original_task_definition: str = ""
    initial_channel: str = ""
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    github_token: str = "ghs_test"

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @property
    def bin(self) -> Path:
        return self.tmp / "bin"

    @property
    def repository(self) -> str:
        return self.variables["ECR_REPOSITORY_URL"].split("/", 1)[1]

    def add_image(
        self, seed: str, version: str | None, *, platforms: int = 1, attested: bool = True
    ) -> str:
        """Publish an image in the stub GHCR (labelled with ``version``); returns its digest."""
        manifest = _manifest(seed)
        digest = _digest(manifest)
        image: Any = _config(version)
        if platforms > 1:
            image = {f"linux/arch{i}": _config(version) for i in range(platforms)}
        self.images[digest] = {"manifest": manifest, "image": image}
        (self.tmp / "images.json").write_text(json.dumps(self.images))
        if attested:
            with (self.tmp / "attested").open("a") as f:
                f.write(digest + "\n")
        return digest

    def push_to_ecr(self, digest: str, tag: str) -> None:
        self.client("ecr").put_image(
            repositoryName=self.repository,
            imageManifest=self.images[digest]["manifest"],
            imageTag=tag,
            imageDigest=digest,
        )

    def ecr_tags(self) -> dict[str, str]:
        """Every tag of the environment's ECR repository and its digest."""
        ids = self.client("ecr").list_images(repositoryName=self.repository)["imageIds"]
        return {i["imageTag"]: i["imageDigest"] for i in ids if "imageTag" in i}

    def docker_calls(self) -> list[str]:
        calls = self.tmp / "docker-calls"
        return calls.read_text().splitlines() if calls.exists() else []

    def gh_calls(self) -> list[str]:
        calls = self.tmp / "gh-calls"
        lines = calls.read_text().splitlines() if calls.exists() else []
        return [line for line in lines if not line.startswith("api ")]

    def deployment_statuses(self) -> list[dict[str, str]]:
        """The statuses the job set on its GitHub deployment, in order."""
        path = self.tmp / "deployment-statuses"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]

    def service(self) -> dict[str, Any]:
        ecs = self.client("ecs")
        return dict(
            ecs.describe_services(
                cluster=self.variables["ECS_CLUSTER"], services=[self.variables["ECS_SERVICE"]]
            )["services"][0]
        )

    def service_task_definition(self) -> str:
        return str(self.service()["taskDefinition"])

    def channel(self) -> str:
        ssm = self.client("ssm")
        name = self.variables["IMAGE_CHANNEL_PARAMETER"]
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])

    def channel_parameter(self) -> dict[str, Any]:
        ssm = self.client("ssm")
        name = self.variables["IMAGE_CHANNEL_PARAMETER"]
        return dict(ssm.get_parameter(Name=name)["Parameter"])

    def record(self, **fields: str) -> None:
        """Write the channel as an earlier healthy deploy would have."""
        self.initial_channel = json.dumps(fields)
        self.client("ssm").put_parameter(
            Name=self.variables["IMAGE_CHANNEL_PARAMETER"],
            Value=self.initial_channel,
            Type="String",
            Overwrite=True,
        )

    def register(self, image: str, tags: list[dict[str, str]] | None = None) -> str:
        """Register another revision of the family; returns its ARN."""
        return str(
            self.client("ecs").register_task_definition(
                **_task_definition(self.variables["ECS_TASK_FAMILY"], image),
                tags=tags or [{"key": SHAPE_TAG, "value": SHAPE_HASH}],
            )["taskDefinition"]["taskDefinitionArn"]
        )

    def tags_of(self, task_definition: str) -> dict[str, str]:
        described = self.client("ecs").describe_task_definition(
            taskDefinition=task_definition, include=["TAGS"]
        )
        return {t["key"]: t["value"] for t in described.get("tags", [])}


def _task_definition(family: str, image: str) -> dict[str, Any]:
    return {
        "family": family,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {"name": "app", "image": image, "essential": True},
            {
                "name": "sidecar",
                "image": "public.ecr.aws/docker/library/nginx:1",
                "essential": False,
            },
        ],
    }


@pytest.fixture
def family_tags() -> list[dict[str, str]]:
    """Tags of the seeded task definition: the shape the stack registered, and one of its own."""
    return [{"key": SHAPE_TAG, "value": SHAPE_HASH}, {"key": "team", "value": "shop"}]


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    family_tags: list[dict[str, str]],
    moto_endpoint: str,
    ecs_model: EcsRollouts,
    aws_bin: Path,
    checkout: Path,
    health_server: tuple[str, type[_Health]],
    tmp_path: Path,
) -> Iterator[World]:
    """Seed moto with an immutable ECR repository holding release 1.2.3 (as docker.yml leaves
    the build environment's), a cluster, a task definition family tagged with the shape the
    stack registered, a service on it and Pulumi's bootstrap image-channel record, all named
    after the test; the same image in the stub GHCR, attested. A test parametrizes
    ``family_tags`` to seed other tags."""
    node = request.node.name.lower()
    short = hashlib.sha256(node.encode()).hexdigest()[:6]
    name = re.sub(r"[^a-z0-9-]", "-", node)[:33].strip("-") + "-" + short
    ecs_model.reset()
    health_server[1].status = 200
    health_server[1].body = None
    health_server[1].posts.clear()
    w = World(moto_endpoint, tmp_path, ecs_model, aws_bin, checkout)
    w.bin.mkdir()
    (tmp_path / "attested").write_text("")
    (w.bin / "docker").write_text(
        DOCKER_STUB.format(calls=tmp_path / "docker-calls", images=tmp_path / "images.json")
    )
    (w.bin / "gh").write_text(
        GH_STUB.format(
            calls=tmp_path / "gh-calls",
            attested=tmp_path / "attested",
            statuses=tmp_path / "deployment-statuses",
            repository=REPOSITORY,
        )
    )
    for stub in w.bin.iterdir():
        stub.chmod(0o755)
    ecr, ecs, ssm = w.client("ecr"), w.client("ecs"), w.client("ssm")
    repo = ecr.create_repository(repositoryName=f"app/{name}", imageTagMutability="IMMUTABLE")
    ecs.create_cluster(clusterName=name)
    registered = ecs.register_task_definition(
        **({"tags": family_tags} if family_tags else {}),
        **_task_definition(name, "public.ecr.aws/docker/library/busybox:1"),
    )["taskDefinition"]
    ecs.create_service(
        cluster=name,
        serviceName=name,
        taskDefinition=registered["taskDefinitionArn"],
        desiredCount=2,
        launchType="FARGATE",
    )
    from moto.ecs.models import ecs_backends

    ecs_model.track(ecs_backends[ACCOUNT][REGION], name, name)
    parameter = f"/slipway/{name}/deployed"
    url, _handler = health_server
    w.variables = {
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID": ACCOUNT,
        "ECR_REPOSITORY_URL": repo["repository"]["repositoryUri"],
        "ECS_CLUSTER": name,
        "ECS_SERVICE": name,
        "ECS_TASK_FAMILY": name,
        "ECS_CONTAINER_NAME": "app",
        "ENVIRONMENT_URL": url + "/",
        "HEALTH_CHECK_PATH": "/health",
        "IMAGE_CHANNEL_PARAMETER": parameter,
    }
    # What Pulumi creates (components.image_channel): the bootstrap image, nothing deployed.
    w.initial_channel = json.dumps(
        {
            "image": f"{w.variables['ECR_REPOSITORY_URL']}:bootstrap",
            "taskDefinitionArn": "",
            "shape": "",
        }
    )
    ssm.put_parameter(Name=parameter, Value=w.initial_channel, Type="String")
    digest = w.add_image(name, "1.2.3")
    w.push_to_ecr(digest, "1.2.3")
    w.inputs = {
        "image-digest": digest,
        "version": "",
        "environment": "dev",
        "allow-downgrade": "false",
        "hotfix": "false",
    }
    w.original_task_definition = registered["taskDefinitionArn"]
    yield w
    ecs_model.reset()


def _deploy_job(spec: str = "default") -> dict[str, Any]:
    deploy = load_yaml(render_workflow_files(SPECS[spec])[".github/workflows/deploy.yml"])
    # The workflow's env (its constants) reaches every step, as the job's own would.
    return {**deploy["jobs"]["deploy-dev"], "env": deploy.get("env", {})}


class _OnFirstUse(Mapping[str, Any]):
    """A mapping built the first time it is read: the module's constants below render the
    workflows only in the process that runs these tests, not in every one that collects them."""

    def __init__(self, build: Callable[[], Mapping[str, Any]]) -> None:
        self._built = cache(build)

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


JOB = _OnFirstUse(_deploy_job)
STEPS = _OnFirstUse(
    lambda: {step["id"]: step for step in JOB["steps"] if "id" in step and "run" in step}
)


def _resolve(value: str, w: World, status: str = "success") -> str:
    def substitute(match: re.Match[str]) -> str:
        context, path = match.groups()
        if context == "vars":
            return w.variables[path]
        if context == "inputs":
            return w.inputs[path]
        if context == "secrets":
            return w.secrets.get(path, "")
        if context == "github":
            return {"token": w.github_token}[path]
        if context == "job":
            return {"status": status}[path]
        if context == "steps":
            step_id, kind, *rest = path.split(".")
            if kind == "outcome":
                return w.outcomes.get(step_id, "")
            return w.outputs.get(step_id, {}).get(rest[0], "")
        raise AssertionError(f"unexpected expression context {context!r} in {value!r}")

    return EXPRESSION.sub(substitute, value)


def _step_env(w: World, step_id: str, status: str, overrides: dict[str, str]) -> dict[str, str]:
    env = tool_env()
    output_file = w.tmp / f"{step_id}.output"
    output_file.write_text("")
    env.update(
        {
            "PATH": os.pathsep.join([str(w.bin), str(w.aws_bin), env["PATH"]]),
            "AWS_ENDPOINT_URL": w.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_PAGER": "",
            # The CLI's own retries would hide the errors the model injects from the scripts.
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": "1",
            "RUNNER_TEMP": str(w.tmp),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        }
    )
    step = STEPS[step_id]
    env.update(JOB["env"])
    env.update({k: _resolve(str(v), w, status) for k, v in step.get("env", {}).items()})
    if "STABILITY_POLL_SECONDS" in env:
        env["STABILITY_POLL_SECONDS"] = str(POLL)
    env.update(overrides)
    return env


def _record_outputs(w: World, step_id: str) -> None:
    lines = (w.tmp / f"{step_id}.output").read_text().splitlines()
    w.outputs[step_id] = dict(line.split("=", 1) for line in lines if "=" in line)


def runner_shell(w: World, step_id: str) -> list[str]:
    """The command the runner starts for a ``shell: bash`` step: the step's ``run:`` text
    written to a file, run by ``bash --noprofile --norc -eo pipefail {0}`` (actions/runner,
    docs/adrs/0277-run-action-shell-options.md). This process is the one a cancel signals."""
    script = w.tmp / f"{step_id}.step.sh"
    script.write_text(STEPS[step_id]["run"])
    return [tool("bash"), "--noprofile", "--norc", "-eo", "pipefail", str(script)]


def run_step(
    w: World, step_id: str, *, status: str = "success", **overrides: str
) -> subprocess.CompletedProcess[str]:
    """Run one rendered step's script with its resolved env; record its outputs and outcome."""
    result = subprocess.run(
        runner_shell(w, step_id),
        cwd=w.checkout,
        env=_step_env(w, step_id, status, overrides),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    _record_outputs(w, step_id)
    w.outcomes[step_id] = "success" if result.returncode == 0 else "failure"
    return result


@dataclass
class Interrupted:
    """A step that received a signal (or saw an operator act) while it followed the rollout."""

    result: subprocess.CompletedProcess[str]
    seconds_to_exit: float
    task_definition_at_exit: str


WAITING = "IN_PROGRESS"
"""What a step's output says while it follows a rollout (any stage)."""


def run_step_and_act(
    w: World,
    step_id: str,
    act: Any,
    marker: str = WAITING,
    *,
    cancels: bool = True,
    overrides: dict[str, str] | None = None,
    any_line: bool = False,
) -> Interrupted:
    """Start a step; once it prints a "Waiting for" line holding ``marker`` (``BAKE_TIME`` for
    mid-bake), call ``act(process)`` (a signal, as the runner sends on cancel, or an operator's
    StopServiceDeployment), and wait for the step to end."""
    process = subprocess.Popen(
        runner_shell(w, step_id),
        cwd=w.checkout,
        env=_step_env(w, step_id, "success", overrides or {}),
        stdout=subprocess.PIPE,
        # any_line: the marker may be in any line of stdout or stderr.
        stderr=subprocess.STDOUT if any_line else subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    for line in process.stdout:
        seen.append(line)
        if (any_line or line.startswith("Waiting for")) and marker in line:
            break
    else:
        process.wait(timeout=10)
        pytest.fail(f"the step never waited at {marker}:\n" + "".join(seen))
    sent = time.monotonic()
    act(process)
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    at_exit = w.service_task_definition()
    _record_outputs(w, step_id)
    if cancels:
        w.outcomes[step_id] = "cancelled"
    else:
        w.outcomes[step_id] = "success" if process.returncode == 0 else "failure"
    result = subprocess.CompletedProcess(
        process.args, process.returncode, "".join(seen) + out, err or ""
    )
    return Interrupted(result, elapsed, at_exit)


def run_step_and_signal(
    w: World,
    step_id: str,
    signum: int,
    marker: str = WAITING,
    overrides: dict[str, str] | None = None,
    any_line: bool = False,
) -> Interrupted:
    """Start a step, send it ``signum`` once it is following the rollout (as the runner does on
    cancel), and wait for it to end."""
    return run_step_and_act(
        w,
        step_id,
        lambda process: process.send_signal(signum),
        marker,
        overrides=overrides,
        any_line=any_line,
    )


# ------------------------------------------------------------------------------------------
# The job: steps in order, each when its rendered `if:` holds
# ------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<function>success|failure|cancelled|always)\(\)"
    r"|(?P<context>steps\.[A-Za-z0-9_-]+\.(?:outcome|outputs\.[A-Za-z0-9_-]+))"
    r"|'(?P<literal>[^']*)'"
    r"|(?P<operator>==|!=|&&|\|\||!|\(|\)))"
)


def condition_holds(condition: str, w: World, *, failed: bool, cancelled: bool) -> bool:
    """Evaluate a step's ``if:`` as GitHub does, for the subset the deploy job uses."""
    functions = {
        "success": not failed and not cancelled,
        "failure": failed,
        "cancelled": cancelled,
        "always": True,
    }
    operators = {"&&": " and ", "||": " or ", "!": " not ", "==": "==", "!=": "!="}
    python: list[str] = []
    position = 0
    while position < len(condition.rstrip()):
        match = _TOKEN.match(condition, position)
        assert match, f"cannot read {condition[position:]!r} in {condition!r}"
        position = match.end()
        if match["function"]:
            python.append(repr(functions[match["function"]]))
        elif match["context"]:
            python.append(repr(_resolve("${{ " + match["context"] + " }}", w)))
        elif match["literal"] is not None:
            python.append(repr(match["literal"]))
        else:
            python.append(operators.get(match["operator"], match["operator"]))
    if not any(f"{name}()" in condition for name in functions):
        python = ["(", repr(functions["success"]), ") and (", *python, ")"]
    return bool(eval("".join(python), {"__builtins__": {}}, {}))  # noqa: S307 - token by token


@dataclass
class JobRun:
    """What :func:`run_job` saw."""

    results: dict[str, subprocess.CompletedProcess[str]]
    interrupted: Interrupted | None = None

    def ran(self) -> list[str]:
        return list(self.results)


def run_job(
    w: World,
    *,
    signal_in: tuple[str, int] | None = None,
    marker: str = WAITING,
    operator: Any = None,
    until: str | None = None,
    overrides: dict[str, dict[str, str]] | None = None,
) -> JobRun:
    """Run the deploy job's steps in order as the runner would. ``signal_in`` cancels the job by
    signalling that step once it waits at ``marker``; ``operator(process)`` is called instead
    when the deploy step waits at ``marker`` (someone acting on ECS meanwhile); ``until`` stops
    after that step (a job cut short)."""
    failed = cancelled = False
    run = JobRun({})
    w.outcomes.clear()
    for step in JOB["steps"]:
        step_id = step.get("id", step["name"])
        if not condition_holds(step.get("if", "success()"), w, failed=failed, cancelled=cancelled):
            w.outcomes[step_id] = "skipped"
            continue
        if "run" not in step:
            w.outcomes[step_id] = "success"  # logins, credentials, Slack: nothing to emulate
            continue
        status = "cancelled" if cancelled else "failure" if failed else "success"
        if signal_in and signal_in[0] == step_id:
            run.interrupted = run_step_and_signal(w, step_id, signal_in[1], marker)
            run.results[step_id] = run.interrupted.result
            cancelled = True
        elif operator is not None and step_id == "deploy":
            run.interrupted = run_step_and_act(w, step_id, operator, marker, cancels=False)
            run.results[step_id] = run.interrupted.result
            failed = failed or run.results[step_id].returncode != 0
        else:
            extra = (overrides or {}).get(step_id, {})
            run.results[step_id] = run_step(w, step_id, status=status, **extra)
            failed = failed or run.results[step_id].returncode != 0
        if step_id == until:
            break
    return run


FAST_HEALTH = {"HEALTH_CHECK_RETRIES": "2", "HEALTH_CHECK_INTERVAL_SECONDS": "0"}
FAST = {"health": FAST_HEALTH}


def _log(run: JobRun) -> str:
    return "\n".join(
        f"--- {step} ({r.returncode})\n{r.stdout}{r.stderr}" for step, r in run.results.items()
    )


# ------------------------------------------------------------------------------------------
# The rendered job
# ------------------------------------------------------------------------------------------


def _cli_env(moto_endpoint: str, **more: str) -> dict[str, str]:
    """The environment in which both ways of running the CLI are compared."""
    env = tool_env()
    env.update(
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_PAGER="",
        AWS_MAX_ATTEMPTS="1",
        **more,
    )
    return env


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["ecs", "list-clusters", "--output", "json"],
        [
            "ssm",
            "put-parameter",
            "--name",
            "/cwd/probe",
            "--type",
            "String",
            "--overwrite",
            "--value",
            "file://probe.txt",
            "--query",
            "Tier",  # not the Version: it counts the puts
        ],
        ["ssm", "get-parameter", "--name", "/cwd/probe", "--query", "Parameter.Value"],
        ["ecs", "describe-services", "--cluster", "x"],  # a missing argument: 252 and usage
        ["ecs", "describe-services", "--cluster", "nope", "--services", "nope"],  # 254
    ],
    ids=["version", "list", "file-from-cwd", "query", "usage-error", "api-error"],
)
def test_the_forked_cli_answers_as_the_console_script(
    args: list[str], moto_endpoint: str, aws_bin: Path, tmp_path: Path
) -> None:
    """The steps' ``aws`` (tests/workflows/aws_cli.py) prints and exits as ``<venv>/bin/aws``
    does, reading files relative to its working directory."""
    (tmp_path / "probe.txt").write_text("from the working directory\n")
    env = _cli_env(moto_endpoint)
    results = [
        subprocess.run(
            [command, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        for command in (tool("aws"), str(aws_bin / "aws"))
    ]
    console, forked = ((r.returncode, r.stdout, r.stderr) for r in results)
    assert forked == console
    assert console[0] != 0 or console[1], console


def test_the_forked_cli_reads_a_config_file_as_the_console_script(
    moto_endpoint: str, aws_bin: Path, tmp_path: Path
) -> None:
    """With a config file the server's prepared driver did not read, a call builds its own
    driver: the file's ``output`` applies, as for ``<venv>/bin/aws``."""
    config = tmp_path / "config"
    config.write_text("[default]\noutput = text\n")
    env = _cli_env(moto_endpoint, AWS_CONFIG_FILE=str(config))
    args = ["ssm", "put-parameter", "--name", "/config/probe", "--type", "String"]
    results = [
        subprocess.run(
            [command, *args, "--overwrite", "--value", command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        for command in (tool("aws"), str(aws_bin / "aws"))
    ]
    console, forked = ((r.returncode, r.stdout, r.stderr) for r in results)
    assert console == (0, "Standard\t1\n", "")
    assert forked == (0, "Standard\t2\n", "")  # text, as the file says; the second put


def test_every_deploy_step_is_found_in_the_rendered_workflow() -> None:
    assert set(STEPS) == {
        "known-good",
        "attestation",
        "release",
        "image",
        "render",
        "deploy",
        "health",
        "channel",
        "rollback",
        "notice",
    }
    for step in STEPS.values():
        for value in step.get("env", {}).values():
            for expression in re.findall(r"\$\{\{.*?\}\}", str(value)):
                assert EXPRESSION.fullmatch(expression), value
    # The tests run each step from the job's checkout (the `checkout` fixture): the job's first
    # step checks out the delivered scripts, and every run step runs one of them.
    first = JOB["steps"][0]
    assert first["uses"].startswith("actions/checkout@")
    assert first["with"] == {"persist-credentials": False, "sparse-checkout": DELIVERED_DIR}
    assert JOB["permissions"]["contents"] == "read"
    runs = [step["run"] for step in JOB["steps"] if "run" in step]
    assert runs == [step.run for step in DELIVERED_STEPS]


def _register_input_problems(document: dict[str, Any]) -> None:
    """Raise unless ``document`` is a valid RegisterTaskDefinition request (botocore's model)."""
    model = service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    botocore.validate.validate_parameters(document, shape)


# ------------------------------------------------------------------------------------------
# A healthy deploy, and the channel it writes
# ------------------------------------------------------------------------------------------


def test_healthy_deploy_moves_the_service_and_records_the_channel(world: World) -> None:
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["rollback"] == "skipped", log
    assert world.outputs["notice"]["outcome"] == "deployed", log
    digest = world.inputs["image-digest"]
    image = f"{world.variables['ECR_REPOSITORY_URL']}@{digest}"
    assert world.outputs["image"]["image"] == image
    assert world.outputs["release"]["version"] == "1.2.3"
    assert world.outputs["render"]["previous-task-definition"] == world.original_task_definition
    assert world.outputs["render"]["rollback-target"] == world.original_task_definition
    assert world.outputs["render"]["shape"] == SHAPE_HASH
    # The build environment's ECR already had the release: nothing was copied.
    assert "is already" in run.results["image"].stdout
    assert not [c for c in world.docker_calls() if "create" in c]
    # The attestation was verified from GHCR, signed by this repository's docker.yml.
    assert world.gh_calls() == [
        f"attestation verify oci://ghcr.io/acme/storefront@{digest} --bundle-from-oci"
        f" --repo {REPOSITORY} --cert-identity-regex {JOB['env']['SIGNER_IDENTITY_REGEX']}"
        " --deny-self-hosted-runners"
    ]
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

    new = world.outputs["deploy"]["task-definition"]
    assert new.endswith(":2")
    assert world.service_task_definition() == new
    (rollout,) = world.model.rollouts_to(new)
    # Followed by ARN, found with ListServiceDeployments and DescribeServiceRevisions.
    assert world.outputs["deploy"]["deployment"] == rollout.arn
    assert ":service-deployment/" in rollout.arn
    assert rollout.status == "SUCCESSFUL"
    assert world.outputs["deploy"]["ecs-status"] == "SUCCESSFUL"
    assert world.model.stops == []
    parameter = world.channel_parameter()
    assert parameter["Type"] == "String"
    assert parameter["Version"] == 2  # overwritten, not recreated
    value = json.loads(parameter["Value"])
    assert value == {
        "image": image,
        "taskDefinitionArn": new,
        "shape": SHAPE_HASH,
        "version": "1.2.3",
    }
    assert list(value) == ["image", "taskDefinitionArn", "shape", "version"]
    # The shape survives the CI revision: the next deploy (or pulumi up) renders from this
    # revision and reads it again.
    assert world.tags_of(new) == {SHAPE_TAG: SHAPE_HASH, "team": "shop"}
    # The other side of the contract: slipway.image_channel reads what CI wrote, the new
    # version field included (it reads the keys it knows and ignores the others).
    assert SHAPE_TAG == image_channel.SHAPE_TAG
    assert world.variables["IMAGE_CHANNEL_PARAMETER"].endswith("/" + image_channel.DEPLOYED)
    record = image_channel.parse_deployed(parameter["Value"])
    assert (record.image, record.task_definition_arn, record.shape) == (image, new, SHAPE_HASH)
    prefix = world.variables["IMAGE_CHANNEL_PARAMETER"].rsplit("/", 1)[0]
    state = image_channel.read_channel(prefix, [f"{prefix}/deployed"], [parameter["Value"]])
    assert state.problems == ()
    assert state.deployed == record
    described = world.client("ecs").describe_task_definition(taskDefinition=new)["taskDefinition"]
    assert described["containerDefinitions"][0]["image"] == image
    assert described["cpu"] == "256"
    assert described["networkMode"] == "awsvpc"
    # The next deploy reads what this one recorded.
    assert run_step(world, "known-good").returncode == 0
    assert world.outputs["known-good"] == {
        "task-definition": new,
        "version": "1.2.3",
        "shape": SHAPE_HASH,
    }


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
    world.outputs["image"] = {"image": "registry.example/app@sha256:" + "1" * 64}
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


def test_channel_refuses_a_revision_the_service_no_longer_runs(world: World) -> None:
    run = run_job(world, until="health", overrides=FAST)
    assert world.outcomes["health"] == "success", _log(run)
    # ECS (circuit breaker, alarm rollback) put the service back on the old revision meanwhile.
    world.client("ecs").update_service(
        cluster=world.variables["ECS_CLUSTER"],
        service=world.variables["ECS_SERVICE"],
        taskDefinition=world.original_task_definition,
    )
    channel = run_step(world, "channel")
    assert channel.returncode != 0
    assert "channel unchanged" in channel.stdout
    assert world.channel() == world.initial_channel
    # A failed channel step triggers the rollback, so service and channel agree afterwards.
    assert condition_holds(STEPS["rollback"]["if"], world, failed=True, cancelled=False)


def test_channel_refuses_an_image_that_is_not_a_digest(world: World) -> None:
    # The check comes first in the step, before any AWS call: no deploy is needed to reach it.
    channel = run_step(
        world,
        "channel",
        IMAGE="registry.example/app:latest",
        TASK_DEFINITION_ARN="arn:x",
        VERSION="1.2.3",
    )
    assert channel.returncode != 0
    assert "is not pinned by digest" in channel.stdout
    assert world.channel() == world.initial_channel


def test_an_old_channel_record_without_a_version_is_read(world: World) -> None:
    # Written by a deploy before CI recorded versions: no downgrade check, no error.
    world.record(
        image="x@sha256:" + "2" * 64,
        taskDefinitionArn=world.original_task_definition,
        shape=SHAPE_HASH,
    )
    result = run_step(world, "known-good")
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.outputs["known-good"] == {
        "task-definition": world.original_task_definition,
        "version": "",
        "shape": SHAPE_HASH,
    }


def test_a_malformed_channel_warns_and_gives_no_known_good_revision(world: World) -> None:
    world.record(image="x", taskDefinitionArn="not-an-arn", shape="abc", version="latest")
    result = run_step(world, "known-good")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is not a revision ARN" in result.stdout
    assert "is not a release version" in result.stdout
    assert world.outputs["known-good"] == {"task-definition": "", "version": "", "shape": ""}


# ------------------------------------------------------------------------------------------
# Rollback: after a failed health check, to the last known-good revision, after a signal
# ------------------------------------------------------------------------------------------


def test_failed_health_check_rolls_back_and_fails(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    health_server[1].status = 500
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["health"] == "failure", log
    assert "did not answer 200 after 2 attempts" in run.results["health"].stdout
    assert world.outcomes["channel"] == "skipped"
    assert world.outcomes["rollback"] == "failure"  # it rolls back, then fails the job
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert "is back on" in run.results["rollback"].stdout
    assert world.service_task_definition() == world.original_task_definition
    # The deployment had ended SUCCESSFUL (nothing to stop): the known-good revision is
    # deployed again, and followed to SUCCESSFUL.
    assert world.model.stops == []
    (rollback,) = world.model.rollouts_to(world.original_task_definition)
    assert rollback.status == "SUCCESSFUL"
    assert world.channel() == world.initial_channel
    assert world.channel_parameter()["Version"] == 1
    assert world.outputs["notice"]["outcome"] == "rolled-back"
    assert "failed; rolled back to" in world.outputs["notice"]["text"]


def test_rollback_goes_to_the_channels_known_good_revision(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    # The channel names a healthy revision; the service was since left on a broken one (say, by
    # a job whose own rollback could not finish). A rollback must not return to the broken one.
    good = world.register("registry.example/app@sha256:" + "3" * 64)
    broken = world.register("registry.example/app@sha256:" + "4" * 64)
    world.record(
        image="x@sha256:" + "3" * 64, taskDefinitionArn=good, shape=SHAPE_HASH, version="1.0.0"
    )
    world.client("ecs").update_service(
        cluster=world.variables["ECS_CLUSTER"],
        service=world.variables["ECS_SERVICE"],
        taskDefinition=broken,
    )
    health_server[1].status = 500
    run = run_job(world, overrides=FAST)
    assert world.outputs["render"]["previous-task-definition"] == broken, _log(run)
    assert world.outputs["render"]["rollback-target"] == good
    assert world.outputs["rollback"]["result"] == "rolled-back", _log(run)
    assert world.service_task_definition() == good


def test_rollback_falls_back_to_what_ran_when_the_shape_changed(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    # The known-good revision has another shape than the stack registers now (a `pulumi up`
    # changed it since): going back to it would undo the infrastructure change.
    old_shape = world.register(
        "registry.example/app@sha256:" + "5" * 64,
        tags=[{"key": SHAPE_TAG, "value": hashlib.sha256(b"old").hexdigest()}],
    )
    world.record(
        image="x@sha256:" + "5" * 64,
        taskDefinitionArn=old_shape,
        shape=hashlib.sha256(b"old").hexdigest(),
        version="1.0.0",
    )
    # The family's latest revision carries today's shape again.
    world.register("public.ecr.aws/docker/library/busybox:1")
    health_server[1].status = 500
    run = run_job(world, overrides=FAST)
    assert world.outputs["render"]["rollback-target"] == world.original_task_definition, _log(run)
    assert world.service_task_definition() == world.original_task_definition


def test_the_health_check_knows_the_version(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    # The health path reports the version this deploy rolled out: healthy.
    health_server[1].body = json.dumps({"status": "ok", "version": "1.2.3"}).encode()
    run = run_job(world, overrides=FAST)
    assert world.outputs["notice"]["outcome"] == "deployed", _log(run)
    assert "runs 1.2.3" in run.results["health"].stdout


def test_an_answer_from_another_version_is_not_healthy(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    # 200 from another version (the old revision's tasks, another image): the deploy rolls back.
    health_server[1].body = json.dumps({"version": "1.2.2"}).encode()
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["health"] == "failure", log
    assert "answered 200 for version 1.2.2, not 1.2.3" in run.results["health"].stdout
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert world.service_task_definition() == world.original_task_definition
    assert world.channel() == world.initial_channel


def test_a_health_path_without_a_version_passes_with_a_warning(world: World) -> None:
    run = run_job(world, overrides=FAST)
    assert world.outputs["notice"]["outcome"] == "deployed", _log(run)
    assert "does not report its version" in run.results["health"].stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_wait_rolls_back(world: World, signum: int) -> None:
    # New revisions never settle, so the deploy step is still waiting when the runner cancels.
    original = world.original_task_definition
    world.model.plan_for = lambda arn: COMPLETE if arn == original else STUCK
    run = run_job(world, signal_in=("deploy", signum), overrides=FAST)
    log = _log(run)
    interrupted = run.interrupted
    assert interrupted is not None
    assert interrupted.result.returncode == 128 + signum, log
    # The trap stopped the service deployment with a rollback before the step ended, well
    # inside the runner's grace (SIGINT, 7.5 s, SIGTERM, 2.5 s, then the process tree is killed).
    (rollout,) = world.model.rollouts_to(world.outputs["deploy"]["task-definition"])
    assert world.model.stops == [(rollout.arn, "ROLLBACK")], log
    assert rollout.stopped_by == "ROLLBACK"
    assert interrupted.seconds_to_exit < 7.5, interrupted.seconds_to_exit
    assert world.outputs["deploy"]["rollback-started"] == "true"
    assert f"{signal.Signals(signum).name} received" in interrupted.result.stdout
    # The job is cancelled: the health check and the channel are skipped, the rollback runs
    # (its `if:` covers cancelled()) and follows ECS back to a stable service.
    assert world.outcomes["health"] == "skipped"
    assert world.outcomes["channel"] == "skipped"
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert world.service_task_definition() == original
    assert world.channel() == world.initial_channel
    assert world.outputs["notice"]["outcome"] == "rolled-back"


def _cancel_while_unlisted(w: World, unlisted: int) -> tuple[Interrupted, str]:
    """Deploy a revision that never settles while ECS lists none of the next ``unlisted``
    ListServiceDeployments, and send SIGINT (the runner's cancel) while the step waits for its
    first listing, with the rendered poll interval (5 s, five attempts). Returns the step and
    its log, once the step ended within the runner's grace."""
    original = w.original_task_definition
    w.model.plan_for = lambda arn: COMPLETE if arn == original else STUCK
    w.model.unlisted = unlisted
    _prepare_rollout(w)
    interrupted = run_step_and_signal(
        w,
        "deploy",
        signal.SIGINT,
        marker="listed yet (attempt 1 of 5)",
        overrides={"STABILITY_POLL_SECONDS": "5"},
        any_line=True,
    )
    log = interrupted.result.stdout + interrupted.result.stderr
    assert interrupted.result.returncode == 130, log
    # Handled at once, not after the wait: bash runs a trap only once a foreground command (a
    # command substitution included) returns, and the runner kills the step 10 s after SIGINT.
    assert interrupted.seconds_to_exit < 3, (interrupted.seconds_to_exit, log)
    return interrupted, log


def test_a_cancel_before_the_deployment_is_listed_is_handled_at_once(world: World) -> None:
    interrupted, log = _cancel_while_unlisted(world, 1000)
    # Still unlisted: the service is pointed back at once.
    assert "pointing" in interrupted.result.stdout, log
    assert world.service_task_definition() == world.original_task_definition


def test_a_cancel_before_the_deployment_is_known_rolls_that_deployment_back(world: World) -> None:
    # Listed only at the trap's own look: the trap stops that deployment with a rollback and
    # hands its ARN to the rollback step, which follows it; no new deployment is started, so a
    # canary or linear schedule is not replayed back to the old revision.
    original = world.original_task_definition
    _, log = _cancel_while_unlisted(world, 1)
    (rollout,) = world.model.rollouts_to(world.outputs["deploy"]["task-definition"])
    assert world.model.stops == [(rollout.arn, "ROLLBACK")], log
    assert world.outputs["deploy"]["deployment"] == rollout.arn
    assert world.outputs["deploy"]["rollback-started"] == "true"
    rollback = run_step(world, "rollback", status="cancelled")
    assert world.outputs["rollback"]["result"] == "rolled-back", rollback.stdout + rollback.stderr
    assert world.model.rollouts_to(original) == [], "a new deployment replayed the schedule"
    assert world.service_task_definition() == original


def test_a_cancel_between_the_fork_and_its_pid_stops_the_background_wait(checkout: Path) -> None:
    # Why the cancel tests above sometimes took the whole 5 s poll to end: a SIGINT landing
    # after `interruptible` forks its command but before `sleeper=$!` runs the trap between the
    # two (bash runs a pending trap after each command), so `sleeper` is still empty (with the
    # trap that killed only ${sleeper}: 4 of 150 repeated runs of those tests took 5.0 s). The
    # trap's stop_waiting must stop that command too, or it keeps sleeping and holds the step's
    # output open after the step exited. Here the shell is left in exactly that state.
    library = checkout / DELIVERED_DIR / "lib" / "follow-deployment.sh"
    script = (
        f'source "{library}"\n'
        "trap 'stop_waiting; exit 130' INT\n"
        "sleep 30 > /dev/null &  # forked, its PID not yet in sleeper\n"
        'kill -INT "$$"\n'
        "echo not reached\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [tool("bash"), "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 130, result.stdout + result.stderr
    assert "not reached" not in result.stdout
    # The sleep inherits the step's stderr: alive, it holds the output open for its 30 s.
    assert elapsed < 3, elapsed


# ------------------------------------------------------------------------------------------
# Following the rollout: FAILED within two polls, transient API errors
# ------------------------------------------------------------------------------------------


def _prepare_rollout(w: World) -> None:
    """Render a revision to roll out (the steps before it are proven above)."""
    w.outputs["image"] = {
        "image": f"{w.variables['ECR_REPOSITORY_URL']}@{w.inputs['image-digest']}"
    }
    render = run_step(w, "render")
    assert render.returncode == 0, render.stdout + render.stderr


def test_a_failed_rollout_is_caught_within_two_polls(world: World) -> None:
    # The circuit breaker fails the rollout at the second poll and, its rollback being on (as
    # Slipway configures it), starts a deployment of the previous revision.
    original = world.original_task_definition
    world.model.plan_for = lambda arn: COMPLETE if arn == original else FAIL
    world.model.fail_at_poll = 2
    _prepare_rollout(world)
    timeout = 120
    started = time.monotonic()
    deploy = run_step(
        world, "deploy", STABILITY_TIMEOUT_SECONDS=str(timeout), STABILITY_POLL_SECONDS="2"
    )
    ended = time.monotonic()
    assert deploy.returncode != 0
    new = world.outputs["deploy"]["task-definition"]
    (rollout,) = world.model.rollouts_to(new)
    assert rollout.polls == 2  # FAILED at the second poll
    assert rollout.failed_at is not None
    # The poll that saw FAILED was the step's last: no further poll, no wait for the timeout.
    assert rollout.polls_after_failure == 0
    assert ended - rollout.failed_at < 2 * 2, ended - rollout.failed_at
    assert ended - started < timeout / 4
    assert "ROLLBACK_REQUESTED: ECS deployment circuit breaker" in deploy.stdout
    assert world.outputs["deploy"]["ecs-status"] == "ROLLBACK_REQUESTED"
    # The job then rolls back (whatever ECS started itself) and the channel stays as it was.
    assert condition_holds(STEPS["rollback"]["if"], world, failed=True, cancelled=False)
    rollback = run_step(world, "rollback")
    assert world.outputs["rollback"]["result"] == "rolled-back", rollback.stdout
    assert world.service_task_definition() == original
    assert world.channel() == world.initial_channel


def test_a_transient_api_error_is_survived(world: World) -> None:
    _prepare_rollout(world)
    world.model.describe_errors = DESCRIBE_ATTEMPTS - 1
    deploy = run_step(world, "deploy")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert f"(attempt 1 of {DESCRIBE_ATTEMPTS})" in deploy.stdout
    assert f"(attempt {DESCRIBE_ATTEMPTS - 1} of {DESCRIBE_ATTEMPTS})" in deploy.stdout
    assert world.service_task_definition() == world.outputs["deploy"]["task-definition"]


def test_a_lasting_api_error_ends_the_wait_after_bounded_attempts(world: World) -> None:
    _prepare_rollout(world)
    world.model.describe_errors = 100
    started = time.monotonic()
    deploy = run_step(world, "deploy", STABILITY_TIMEOUT_SECONDS="300")
    assert deploy.returncode != 0
    assert f"unreadable {DESCRIBE_ATTEMPTS} times in a row" in deploy.stdout
    assert 100 - world.model.describe_errors == DESCRIBE_ATTEMPTS
    assert time.monotonic() - started < 60
    world.model.describe_errors = 0


# ------------------------------------------------------------------------------------------
# Which digests are deployed: releases, attested, never backwards unless asked
# ------------------------------------------------------------------------------------------


def _refused(run: JobRun, w: World, step: str, message: str) -> None:
    log = _log(run)
    assert w.outcomes[step] == "failure", log
    assert message in run.results[step].stdout, log
    assert "nothing was promoted or deployed" in run.results[step].stdout
    for later in ("image", "render", "deploy", "health", "channel", "rollback"):
        if later != step:
            assert w.outcomes[later] == "skipped", (later, log)
    assert w.service_task_definition() == w.original_task_definition
    assert w.channel() == w.initial_channel
    assert w.outputs["notice"]["outcome"] == "refused"


def test_an_unattested_digest_is_refused(world: World) -> None:
    digest = world.add_image("unsigned", "2.0.0", attested=False)
    world.inputs["image-digest"] = digest
    before = world.ecr_tags()
    run = run_job(world, overrides=FAST)
    _refused(run, world, "attestation", f"refused {digest}: no build-provenance attestation")
    assert world.outcomes["release"] == "skipped"
    assert world.docker_calls() == []  # not even inspected
    assert world.ecr_tags() == before


def test_a_digest_that_is_not_a_release_is_refused(world: World) -> None:
    world.inputs["image-digest"] = world.add_image("branch-build", "pr-12")
    run = run_job(world, overrides=FAST)
    _refused(
        run,
        world,
        "release",
        "it is not a release: its org.opencontainers.image.version label is 'pr-12'",
    )
    assert not [c for c in world.docker_calls() if "create" in c]


@pytest.mark.parametrize("platforms", [1, 2], ids=["one-platform", "index"])
def test_an_image_without_a_version_label_is_refused(world: World, platforms: int) -> None:
    world.inputs["image-digest"] = world.add_image("unlabelled", None, platforms=platforms)
    run = run_job(world, overrides=FAST)
    _refused(run, world, "release", "label is missing or differs between platforms")


def test_the_version_comes_from_the_label_not_from_the_input(world: World) -> None:
    world.inputs["version"] = "9.9.9"
    run = run_job(world, overrides=FAST)
    _refused(run, world, "release", "the version input says '9.9.9' but the image is 1.2.3")


def test_the_label_of_a_multi_platform_image_is_read(world: World) -> None:
    world.inputs["image-digest"] = world.add_image("multi", "1.3.0", platforms=2)
    result = run_step(world, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.outputs["release"]["version"] == "1.3.0"


def _environment_runs(w: World, version: str) -> None:
    """Record in the channel that the environment runs ``version`` (another revision)."""
    newer = w.register("registry.example/app@sha256:" + "6" * 64)
    w.record(
        image="x@sha256:" + "6" * 64, taskDefinitionArn=newer, shape=SHAPE_HASH, version=version
    )


def test_a_downgrade_is_refused(world: World) -> None:
    _environment_runs(world, "2.0.0")
    run = run_job(world, overrides=FAST)
    _refused(run, world, "release", "1.2.3 is lower than 2.0.0, which dev runs")
    assert "allow-downgrade" in run.results["release"].stdout


def test_a_downgrade_is_deployed_when_allowed(world: World) -> None:
    _environment_runs(world, "2.0.0")
    world.inputs["allow-downgrade"] = "true"
    run = run_job(world, until="release")
    assert world.outcomes["release"] == "success", _log(run)
    assert "::warning::Downgrading dev from 2.0.0 to 1.2.3" in run.results["release"].stdout
    assert world.outputs["release"]["version"] == "1.2.3"


@pytest.mark.parametrize(("allowed", "kept"), [("false", True), ("true", False), ("", False)])
def test_a_pre_release_reaches_the_last_environment_only_when_picked_alone(
    world: World, allowed: str, kept: bool
) -> None:
    # deploy.yml's last environment sets PRERELEASE_ALLOWED to `inputs.environment == '<it>'`
    # (test_deploy_workflow.py); the others do not set it.
    world.inputs["image-digest"] = world.add_image("rc", "2.0.0-rc.1")
    overrides = {"PRERELEASE_ALLOWED": allowed} if allowed else {}
    result = run_step(world, "release", **overrides)
    assert result.returncode == 0, result.stdout + result.stderr
    assert world.outputs["release"]["version"] == "2.0.0-rc.1"
    assert (world.outputs["release"].get("keep") == "true") is kept
    if kept:
        assert "2.0.0-rc.1 is a pre-release; dispatch deploy.yml with environment=dev" in (
            result.stdout
        )


def test_a_hotfix_of_an_older_line_leaves_an_environment_on_a_later_line(world: World) -> None:
    # release.yml's hotfix of 1.2.x while dev runs 2.0.0: dev keeps 2.0.0, and the job
    # succeeds so the chain goes on to the environments that run the 1.2 line.
    _environment_runs(world, "2.0.0")
    channel = world.channel()
    world.inputs["hotfix"] = "true"
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["release"] == "success", log
    assert world.outputs["release"]["keep"] == "true"
    assert "dev keeps 2.0.0" in run.results["release"].stdout
    assert "allow-downgrade" in run.results["release"].stdout
    for later in ("image", "render", "deploy", "health", "channel", "rollback"):
        assert world.outcomes[later] == "skipped", (later, log)
    assert world.service_task_definition() == world.original_task_definition
    assert world.channel() == channel
    assert world.outputs["notice"]["outcome"] == "kept", log


def test_a_hotfix_downgrades_within_its_own_line(world: World) -> None:
    # dev runs 1.2.9 (say, a pre-release promoted by hand): the hotfix 1.2.3 of that line is a
    # downgrade within the line, which the hotfix may do; it says so.
    _environment_runs(world, "1.2.9")
    world.inputs["hotfix"] = "true"
    run = run_job(world, until="release")
    assert world.outcomes["release"] == "success", _log(run)
    assert "keep" not in world.outputs["release"]
    assert (
        "Downgrading dev from 1.2.9 to 1.2.3 within the 1.2 line" in run.results["release"].stdout
    )


def test_a_hotfix_is_no_licence_to_downgrade_without_the_flag(world: World) -> None:
    # Without hotfix, the same downgrade within the line is refused and named a downgrade.
    _environment_runs(world, "1.2.9")
    run = run_job(world, overrides=FAST)
    _refused(run, world, "release", "1.2.3 is lower than 1.2.9, which dev runs")
    assert "(a downgrade)" in run.results["release"].stdout


@pytest.mark.parametrize(
    ("candidate", "current", "lower"),
    [
        ("1.2.3", "1.10.0", True),
        ("1.10.0", "1.9.9", False),
        ("2.0.0-rc.1", "2.0.0", True),
        ("2.0.0", "2.0.0-rc.1", False),
        ("2.0.0-rc.2", "2.0.0-rc.10", True),
        ("1.2.3", "1.2.3", False),
    ],
)
def test_versions_are_compared_by_precedence(
    world: World, candidate: str, current: str, lower: bool
) -> None:
    world.inputs["image-digest"] = world.add_image("cmp-" + candidate, candidate)
    result = run_step(world, "release", CURRENT_VERSION=current)
    assert (result.returncode != 0) == lower, result.stdout + result.stderr


def test_malformed_digest_is_rejected(world: World) -> None:
    world.inputs["image-digest"] = "latest"
    for step in ("attestation", "release", "image"):
        result = run_step(world, step)
        assert result.returncode != 0
        assert "is not sha256:" in result.stdout


# ------------------------------------------------------------------------------------------
# Promotion into the environment's ECR: by digest, idempotent
# ------------------------------------------------------------------------------------------


def test_a_missing_image_is_promoted_from_ghcr_by_digest(world: World) -> None:
    digest = world.add_image("promoted", "2.0.0")
    world.inputs["image-digest"] = digest
    run = run_job(world, until="image")
    assert world.outcomes["image"] == "success", _log(run)
    assert world.outputs["image"]["image"] == f"{world.variables['ECR_REPOSITORY_URL']}@{digest}"
    assert "Promoting ghcr.io/acme/storefront@" in run.results["image"].stdout
    assert world.ecr_tags()["2.0.0"] == digest
    assert [c for c in world.docker_calls() if "create" in c] == [
        f"buildx imagetools create --tag {world.variables['ECR_REPOSITORY_URL']}:2.0.0"
        f" ghcr.io/acme/storefront@{digest}"
    ]


def test_a_rerun_after_a_partial_promotion_is_idempotent(world: World) -> None:
    digest = world.add_image("rerun", "2.0.0")
    world.inputs["image-digest"] = digest
    # First attempt: the image is promoted, then the job stops (cancelled, runner lost, a later
    # step failed) before the service changed.
    first = run_job(world, until="image")
    assert world.outcomes["image"] == "success", _log(first)
    assert world.service_task_definition() == world.original_task_definition
    # "Re-run failed jobs": the same job again. ECR tags are immutable, so pushing the tag again
    # would be refused even for the same digest; the step sees it is done and skips it.
    second = run_job(world, overrides=FAST)
    log = _log(second)
    assert f"is already {digest}; nothing to promote" in second.results["image"].stdout, log
    assert world.outputs["notice"]["outcome"] == "deployed", log
    assert len([c for c in world.docker_calls() if "create" in c]) == 1
    assert world.ecr_tags()["2.0.0"] == digest


def test_a_digest_already_in_ecr_under_another_tag_is_tagged_without_a_copy(world: World) -> None:
    digest = world.add_image("sha-tagged", "2.1.0")
    world.push_to_ecr(digest, "sha-0123456")  # copied once, never tagged with its version
    world.inputs["image-digest"] = digest
    result = run_step(world, "release")
    assert result.returncode == 0
    image = run_step(world, "image")
    assert image.returncode == 0, image.stdout + image.stderr
    assert "as 2.1.0" in image.stdout
    assert world.ecr_tags()["2.1.0"] == digest
    assert not [c for c in world.docker_calls() if "create" in c]


def test_a_version_tag_on_another_digest_fails_clearly(world: World) -> None:
    # Same version label, another digest (a rebuild): ECR's 1.2.3 is the first one, immutable.
    original = world.inputs["image-digest"]
    other = world.add_image("rebuilt", "1.2.3")
    world.inputs["image-digest"] = other
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["image"] == "failure", log
    message = run.results["image"].stdout
    assert f":1.2.3 already points at {original}, not {other}" in message
    assert "ECR tags are immutable" in message
    assert world.ecr_tags()["1.2.3"] == original
    assert world.service_task_definition() == world.original_task_definition
    assert world.outputs["notice"]["outcome"] == "refused"


def test_a_failed_promotion_fails_before_the_service_changes(world: World) -> None:
    digest = world.add_image("unreachable", "2.0.0")
    world.images[digest]["manifest"] = ""  # GHCR cannot serve it
    (world.tmp / "images.json").write_text(json.dumps(world.images))
    world.inputs["image-digest"] = digest
    run = run_job(world, overrides=FAST)
    assert world.outcomes["image"] == "failure", _log(run)
    assert "image" not in world.outputs["image"]
    assert world.outcomes["render"] == "skipped"
    assert world.service_task_definition() == world.original_task_definition
    assert world.channel() == world.initial_channel
    assert world.tags_of(world.original_task_definition)[SHAPE_TAG] == SHAPE_HASH


# ------------------------------------------------------------------------------------------
# The summary the job reports (its outcome output and Slack)
# ------------------------------------------------------------------------------------------


def test_the_summary_enables_slack_only_with_a_webhook(world: World) -> None:
    world.outcomes.update(channel="success", rollback="skipped")
    assert run_step(world, "notice").returncode == 0
    assert "enabled" not in world.outputs["notice"]
    world.secrets["SLACK_WEBHOOK_URL"] = "https://hooks.slack.example/T/B/x"
    assert run_step(world, "notice").returncode == 0
    assert world.outputs["notice"]["enabled"] == "true"
    assert world.outputs["notice"]["text"].endswith(
        "https://github.com/acme/storefront/actions/runs/4242"
    )


def test_the_summary_cannot_be_split_by_a_digest_input(world: World) -> None:
    world.inputs["image-digest"] = "sha256:abc\nenabled=true\noutcome=deployed"
    world.outcomes.update(release="failure", rollback="skipped")
    assert run_step(world, "notice", REFUSAL_OUTCOMES="failure").returncode == 0
    assert world.outputs["notice"]["outcome"] == "refused"
    assert "enabled" not in world.outputs["notice"]


# ------------------------------------------------------------------------------------------
# Progressive delivery: canary, linear and blue/green service deployments, followed by ARN
# ------------------------------------------------------------------------------------------

SLACK = "SLACK_WEBHOOK_URL"


def _with_slack(w: World, health_server: tuple[str, type[_Health]]) -> list[dict[str, Any]]:
    """Give the environment a Slack webhook (the local server); returns what it receives."""
    w.secrets[SLACK] = health_server[0] + "/slack"
    return health_server[1].posts


def _descriptions(w: World) -> list[str]:
    return [status["description"] for status in w.deployment_statuses()]


@pytest.mark.parametrize(
    ("strategy", "weights"),
    [(CANARY, ["10", "100"]), (LINEAR, ["25", "50", "75", "100"]), (BLUE_GREEN, ["100"])],
    ids=["canary", "linear", "blue-green"],
)
def test_a_progressive_deploy_reports_each_stage_and_succeeds(
    world: World, health_server: tuple[str, type[_Health]], strategy: str, weights: list[str]
) -> None:
    world.model.strategy = strategy
    posts = _with_slack(world, health_server)
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outputs["notice"]["outcome"] == "deployed", log
    new = world.outputs["deploy"]["task-definition"]
    (rollout,) = world.model.rollouts_to(new)
    assert rollout.status == "SUCCESSFUL"
    assert world.outputs["deploy"]["deployment"] == rollout.arn
    # Every stage ECS went through, in order, as the job's GitHub deployment status.
    shifting = [f"shifting: {w}% of production traffic on the new revision" for w in weights]
    assert _descriptions(world) == [
        f"deploying {new.rsplit('/', 1)[1]}",
        "starting the new revision's tasks",
        "test traffic: the new revision answers the test listener, production traffic stays on"
        " the old one",
        *shifting,
        "baking: all traffic on the new revision, rollback alarms watching",
        "cleaning up the old revision",
    ], log
    for status in world.deployment_statuses():
        assert status["state"] == "in_progress"
        assert status["auto_inactive"] == "false"
        assert status["environment_url"] == world.variables["ENVIRONMENT_URL"]
        assert status["log_url"] == "https://github.com/acme/storefront/actions/runs/4242"
        assert len(status["description"]) <= 140
    # Slack hears of the stages a person acts on: test traffic, each shift, the bake.
    texts = [post["text"] for post in posts]
    assert texts == [
        "dev: test traffic: the new revision answers the test listener, production traffic"
        " stays on the old one",
        *[f"dev: {text}" for text in shifting],
        "dev: baking: all traffic on the new revision, rollback alarms watching",
    ], log
    assert world.service_task_definition() == new
    assert json.loads(world.channel())["taskDefinitionArn"] == new


def test_a_rolling_deploy_reports_no_stage_and_succeeds(world: World) -> None:
    """dev's rolling update: the same shell, a service deployment without lifecycle stages."""
    world.model.strategy = ROLLING
    run = run_job(world, overrides=FAST)
    assert world.outputs["notice"]["outcome"] == "deployed", _log(run)
    new = world.outputs["deploy"]["task-definition"]
    assert _descriptions(world) == [f"deploying {new.rsplit('/', 1)[1]}"]


def _ecs_rolled_back(run: JobRun, w: World, reason: str) -> Rollout:
    """The deploy step failed at the poll that saw ECS roll back; the rollback step followed
    ECS's rollback to its end; the service and channel are as before."""
    log = _log(run)
    new = w.outputs["deploy"]["task-definition"]
    (rollout,) = w.model.rollouts_to(new)
    assert w.outcomes["deploy"] == "failure", log
    assert w.outputs["deploy"]["ecs-status"] == "ROLLBACK_REQUESTED", log
    assert reason in run.results["deploy"].stdout, log
    assert w.outcomes["health"] == w.outcomes["channel"] == "skipped"
    assert w.outputs["rollback"]["result"] == "rolled-back", log
    assert rollout.status == "ROLLBACK_SUCCESSFUL"
    assert w.model.stops == []  # ECS rolled back on its own: nothing to stop
    assert w.model.rollouts_to(w.original_task_definition) == []  # and nothing to redeploy
    assert w.service_task_definition() == w.original_task_definition
    assert w.channel() == w.initial_channel
    assert w.outputs["notice"]["outcome"] == "rolled-back"
    assert f"ECS: ROLLBACK_REQUESTED ({rollout.status_reason}" in w.outputs["notice"]["text"]
    return rollout


def test_an_alarm_during_the_bake_rolls_back_and_is_reported(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    world.model.strategy = CANARY
    world.model.plan_for = lambda arn: COMPLETE if arn == world.original_task_definition else ALARM
    posts = _with_slack(world, health_server)
    run = run_job(world, overrides=FAST)
    rollout = _ecs_rolled_back(run, world, f"alarms in ALARM: {ALARM_NAME}")
    assert rollout.stages_seen[-1] == "BAKE_TIME"
    # Seen at the very poll that showed the rollback: the deploy step made no further poll.
    assert rollout.polls_after_failure >= 1  # the rollback step's polls
    texts = [post["text"] for post in posts]
    assert any("baking" in t for t in texts)
    assert any(ALARM_NAME in t and "ROLLBACK_REQUESTED" in t for t in texts), texts
    assert any("rolled back to" in t for t in texts), texts
    assert any("ROLLBACK_SUCCESSFUL" in d for d in _descriptions(world))


def test_a_failed_lifecycle_hook_rolls_back_before_production_traffic(world: World) -> None:
    world.model.strategy = CANARY
    original = world.original_task_definition
    world.model.plan_for = lambda arn: COMPLETE if arn == original else HOOK_FAIL
    run = run_job(world, overrides=FAST)
    rollout = _ecs_rolled_back(run, world, "lifecycle hooks: smoke-test FAILED")
    assert "PRODUCTION_TRAFFIC_SHIFT" not in rollout.stages_seen
    assert rollout.stages_seen[-1] == "POST_TEST_TRAFFIC_SHIFT"


def test_a_rollout_ecs_rolls_back_is_seen_within_one_poll(world: World) -> None:
    """The deploy step ends at the poll that first shows ROLLBACK_REQUESTED."""
    world.model.strategy = CANARY
    world.model.plan_for = lambda arn: ALARM
    _prepare_rollout(world)
    deploy = run_step(world, "deploy", STABILITY_POLL_SECONDS=str(POLL))
    assert deploy.returncode != 0
    (rollout,) = world.model.rollouts_to(world.outputs["deploy"]["task-definition"])
    assert rollout.failed_at is not None
    assert rollout.polls_after_failure == 0
    assert "(alarms in ALARM" in deploy.stdout


def test_an_operator_stop_during_the_bake_rolls_back(world: World) -> None:
    """Someone rolls back from the console or the CLI (StopServiceDeployment, ROLLBACK) while
    the job waits in the bake: the job sees it, fails and follows the rollback."""
    world.model.strategy = CANARY
    original = world.original_task_definition
    world.model.plan_for = lambda arn: COMPLETE if arn == original else STUCK
    stopped: list[str] = []

    def operator(_process: Any) -> None:
        arn = world.outputs.get("deploy", {}).get("deployment") or next(
            r.arn for r in world.model.rollouts if r.task_definition != original
        )
        world.client("ecs").stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        stopped.append(arn)

    run = run_job(world, marker="BAKE_TIME", operator=operator, overrides=FAST)
    log = _log(run)
    assert run.interrupted is not None
    assert run.interrupted.seconds_to_exit < 10, log
    (rollout,) = world.model.rollouts_to(world.outputs["deploy"]["task-definition"])
    assert stopped == [rollout.arn]
    assert world.model.stops == [(rollout.arn, "ROLLBACK")]  # the operator's only
    # The model moves the rollback on at each poll: the step's next poll may see either.
    assert world.outputs["deploy"]["ecs-status"].startswith("ROLLBACK_"), log
    assert "Rollback requested with StopServiceDeployment" in run.results["deploy"].stdout
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert rollout.status == "ROLLBACK_SUCCESSFUL"
    assert world.service_task_definition() == original
    assert world.channel() == world.initial_channel
    assert world.outputs["notice"]["outcome"] == "rolled-back"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_cancel_mid_bake_rolls_back(
    world: World, health_server: tuple[str, type[_Health]], signum: int
) -> None:
    world.model.strategy = CANARY
    original = world.original_task_definition
    world.model.plan_for = lambda arn: COMPLETE if arn == original else STUCK
    posts = _with_slack(world, health_server)
    run = run_job(world, signal_in=("deploy", signum), marker="BAKE_TIME", overrides=FAST)
    log = _log(run)
    interrupted = run.interrupted
    assert interrupted is not None
    assert interrupted.result.returncode == 128 + signum, log
    assert interrupted.seconds_to_exit < 7.5, interrupted.seconds_to_exit
    (rollout,) = world.model.rollouts_to(world.outputs["deploy"]["task-definition"])
    assert rollout.stages_seen[-1] == "BAKE_TIME"
    # The trap rolled the deployment back with StopServiceDeployment before the step ended.
    assert world.model.stops == [(rollout.arn, "ROLLBACK")], log
    assert world.outputs["deploy"]["rollback-started"] == "true"
    assert world.outcomes["health"] == world.outcomes["channel"] == "skipped"
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert rollout.status == "ROLLBACK_SUCCESSFUL"
    assert world.service_task_definition() == original
    assert world.channel() == world.initial_channel
    assert world.outputs["notice"]["outcome"] == "rolled-back"
    assert any("cancelled: rolling back" in p["text"] for p in posts), posts


def test_a_rollback_after_the_bake_redeploys_the_known_good_revision(
    world: World, health_server: tuple[str, type[_Health]]
) -> None:
    """The canary ended SUCCESSFUL but the health check failed: nothing left to stop, so the
    last known-good revision is deployed again (a new service deployment, followed)."""
    world.model.strategy = CANARY
    health_server[1].status = 500
    run = run_job(world, overrides=FAST)
    log = _log(run)
    assert world.outcomes["health"] == "failure", log
    assert world.model.stops == []
    (back,) = world.model.rollouts_to(world.original_task_definition)
    assert back.status == "SUCCESSFUL"
    assert back.strategy == CANARY
    assert world.outputs["rollback"]["result"] == "rolled-back", log
    assert world.service_task_definition() == world.original_task_definition


def test_a_failed_report_never_fails_the_deploy(world: World) -> None:
    """GitHub's API refusing the status (no deployments: write, say) is a warning only."""
    (world.bin / "gh").write_text("#!/bin/bash\necho 'HTTP 403' >&2\nexit 1\n")
    _prepare_rollout(world)
    deploy = run_step(world, "deploy")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "::warning::no GitHub deployment of this run found (the deploy goes on)" in deploy.stdout


def test_the_pinned_cli_knows_the_service_deployment_operations() -> None:
    """awscli (requirements-dev.txt) has the commands the steps call."""
    model = service_model("ecs")
    for operation in (
        "ListServiceDeployments",
        "DescribeServiceDeployments",
        "DescribeServiceRevisions",
        "StopServiceDeployment",
    ):
        assert operation in model.operation_names
    # The CLI's own command table, as `aws ecs <command>` resolves it (a `help` per command
    # would render four man pages: about 2 s each).
    clidriver = _import_awscli_here()
    commands = clidriver.create_clidriver()._get_command_table()["ecs"]._get_command_table()
    for command in ("list-service-deployments", "describe-service-deployments",
                    "describe-service-revisions", "stop-service-deployment"):  # fmt: skip
        assert command in commands, command
    stop = model.operation_model("StopServiceDeployment").input_shape.members["stopType"]
    assert "ROLLBACK" in stop.enum


def _import_awscli_here() -> Any:
    """``awscli.clidriver``, imported into this test process without leaving a trace in its
    environment: importing awscli sets ``AWS_DATA_PATH`` in ``os.environ``, and the steps'
    environment (``tool_env()``, a copy of this process's) would then carry it to every later
    ``aws`` call, which the AWS CLI server refuses (its own ``AWS_DATA_PATH`` was unset)."""
    before = os.environ.get("AWS_DATA_PATH")
    import awscli.clidriver

    if before is None:
        os.environ.pop("AWS_DATA_PATH", None)
    else:
        os.environ["AWS_DATA_PATH"] = before
    return awscli.clidriver


def test_the_forked_cli_still_answers_after_this_process_imported_awscli(
    moto_endpoint: str, aws_bin: Path
) -> None:
    """Which worker imports awscli first depends on how pytest-xdist shares the tests out."""
    _import_awscli_here()
    env = _cli_env(moto_endpoint)
    result = subprocess.run(
        [str(aws_bin / "aws"), "--version"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
