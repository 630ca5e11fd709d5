"""The placeholder image a new environment serves before CI's first deploy (issue 24):

* the server itself, compiled here with the machine's gcc (``-static -Os``, as ``build.sh``
  does in CodeBuild) and run on 127.0.0.1: GET and HEAD of any path, the stack's own container
  health check (``node -e ...`` from ``slipway.fargate_task.node_health_check``), SIGTERM;
* its sources as package data, the buildspec that carries them, shellcheck and hadolint;
* what bootstrap/ registers for it (mock runtime), and who may pull, push and change it
  (Principal Mapper, tests/iam_eval.py) against the stacks' own boundaries and roles.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.session import get_session
from botocore.validate import validate_parameters
from moto.iam.policy_validation import IAMPolicyDocumentValidator

from slipway.fargate_task import node_health_check
from slipway.registry import PULL_ACTIONS
from slipway.setup import placeholder
from tests.iam_checks import parliament_findings
from tests.iam_eval import Principal
from tests.test_bootstrap import DEPLOYER, run_bootstrap
from tests.test_stack_boundary import apply_role, boundary_of
from tests.workflows.conftest import tool, tool_env
from tooling.offline import ACCOUNT_ID, Recording

FOLDER = Path(placeholder.__file__).parent
REGION = "eu-west-1"
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{placeholder.REPOSITORY}"
BODY = b"Slipway placeholder: this environment has not had its first deploy yet\n"


# The server ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """placeholder.c compiled as build.sh compiles it; installed as ``node`` too, as the
    Dockerfile does."""
    out = tmp_path_factory.mktemp("placeholder")
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc is not installed")
    flags = ["-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror"]
    subprocess.run(
        [gcc, *flags, "-o", str(out / "placeholder"), str(FOLDER / "placeholder.c")], check=True
    )
    shutil.copy(out / "placeholder", out / "node")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(binary: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    with subprocess.Popen(
        [str(binary / "placeholder")],
        env={"PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == f"placeholder: listening on port {port}\n".encode()
        yield process, port
        if process.poll() is None:
            process.kill()


def request(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_binary_is_static(binary: Path) -> None:
    described = subprocess.run(
        ["file", str(binary / "placeholder")], capture_output=True, text=True, check=False
    )
    if described.returncode == 0:
        assert "statically linked" in described.stdout
    # No interpreter: an image FROM scratch has no dynamic loader.
    assert b"/lib64/ld-linux" not in (binary / "placeholder").read_bytes()


@pytest.mark.parametrize("path", ["/healthz", "/", "/health", "/any/path?x=1"])
def test_every_get_answers_200_with_the_placeholder_text(
    server: tuple[subprocess.Popen[bytes], int], path: str
) -> None:
    _, port = server
    status, headers, body = request(port, path)
    assert status == 200
    assert body == BODY
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert int(headers["Content-Length"]) == len(BODY)


def test_head_answers_200_without_a_body_and_other_methods_405(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    _, port = server
    status, headers, body = request(port, "/healthz", "HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) == len(BODY)
    status, headers, _ = request(port, "/", "POST")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"


def test_the_stacks_container_health_check_passes_against_it(
    server: tuple[subprocess.Popen[bytes], int], binary: Path
) -> None:
    """ECS runs the stack's health check, ``CMD node -e <script>``, inside the image: there
    ``node`` is this binary (Dockerfile), which GETs the URL the script names."""
    _, port = server
    for path in ("/health", "/healthz"):
        command = node_health_check(port, path)
        assert command[:3] == ("CMD", "node", "-e")
        probe = subprocess.run([str(binary / "node"), *command[2:]], check=False, timeout=10)
        assert probe.returncode == 0
    closed = node_health_check(free_port(), "/health")
    probe = subprocess.run([str(binary / "node"), *closed[2:]], check=False, timeout=10)
    assert probe.returncode == 1


def test_sigterm_ends_it_within_a_second(server: tuple[subprocess.Popen[bytes], int]) -> None:
    process, port = server
    assert request(port, "/")[0] == 200
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=1) == 0
    assert time.monotonic() - started < 1


def test_without_port_it_listens_on_3000_and_a_bad_port_is_refused(binary: Path) -> None:
    bad = subprocess.run(
        [str(binary / "placeholder")], env={"PORT": "http"}, capture_output=True, check=False
    )
    assert bad.returncode == 2
    assert b"PORT=http is not a port (1-65535)" in bad.stderr
    try:
        with socket.socket() as s:
            s.bind(("0.0.0.0", 3000))  # noqa: S104 (the placeholder's own bind)
    except OSError:
        pytest.skip("port 3000 is in use on this machine")
    with subprocess.Popen(
        [str(binary / "placeholder")], env={}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline() == b"placeholder: listening on port 3000\n"
            assert request(3000, "/health")[0] == 200
        finally:
            process.terminate()
            process.wait(timeout=1)


# The sources, the image and the buildspec -------------------------------------------------------


def test_build_sh_passes_shellcheck() -> None:
    subprocess.run([tool("shellcheck"), str(FOLDER / "build.sh")], check=True, env=tool_env())


def test_the_dockerfile_passes_hadolint_and_runs_the_binary_unprivileged() -> None:
    subprocess.run([tool("hadolint"), str(FOLDER / "Dockerfile")], check=True, env=tool_env())
    lines = [
        line.split(maxsplit=1)
        for line in (FOLDER / "Dockerfile").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == ["FROM", "scratch"]
    assert ["USER", "65534:65534"] in lines
    assert ["COPY", "placeholder /bin/node"] in lines
    assert ["ENV", "PATH=/bin"] in lines


def test_the_buildspecs_commands_unpack_the_sources(tmp_path: Path) -> None:
    """The unpacking commands, run by bash as CodeBuild runs them (``CODEBUILD_SRC_DIR`` set)."""
    commands = yaml.safe_load(placeholder.buildspec("X86_64"))["phases"]["build"]["commands"]
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(commands[:2])],
        env={"CODEBUILD_SRC_DIR": str(tmp_path), "PATH": os.environ["PATH"]},
        check=True,
    )
    unpacked = tmp_path / "slipway-placeholder"
    assert {p.name: p.read_bytes() for p in unpacked.iterdir()} == placeholder.sources()
    assert os.access(unpacked / "build.sh", os.X_OK)


def test_the_buildspec_carries_the_sources_and_the_tag() -> None:
    for key, architecture in placeholder.ARCHITECTURES.items():
        spec = yaml.safe_load(placeholder.buildspec(key))
        assert spec["version"] == 0.2
        tag = spec["env"]["variables"]["IMAGE_TAG"]
        assert tag == placeholder.image_tag(key)
        assert tag == f"placeholder-{placeholder.source_hash()[:12]}-{architecture.platform}"
        commands = spec["phases"]["build"]["commands"]
        encoded = commands[1].split()[1]
        with tarfile.open(fileobj=io.BytesIO(base64.b64decode(encoded)), mode="r:gz") as tar:
            unpacked = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
            modes = {m.name: m.mode for m in tar.getmembers()}
        assert unpacked == placeholder.sources()
        assert modes["build.sh"] == 0o755
        assert commands[2] == f"bash {placeholder.BUILD_DIRECTORY}/build.sh"
    # Deterministic: the same sources give the same buildspec (no time or owner in the tar).
    assert placeholder.buildspec("ARM64") == placeholder.buildspec("ARM64")
    assert gzip.decompress(placeholder.archive())[257:262] == b"ustar"


def test_the_sources_are_package_data() -> None:
    """pyproject.toml ships them (tests/test_consumer_project.py installs the wheel and the
    sdist and compares the files in git with the installed ones)."""
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    for name in placeholder.SOURCES:
        assert f'"setup/placeholder/{name}"' in text, name


# What bootstrap/ registers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run_bootstrap()


def test_the_repository_is_immutable_scanned_encrypted_retained_and_untagged_by_stack(
    recording: Recording,
) -> None:
    repository = recording.one("aws:ecr/repository:Repository", "placeholder")
    assert repository.inputs["name"] == placeholder.REPOSITORY
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
    assert repository.inputs["forceDelete"] is False
    assert repository.protect
    assert repository.retain_on_delete
    # A stack's boundary denies everything on a resource tagged with another environment.
    assert not any(key.startswith("slipway:") and key != "slipway:purpose" for key in
                   repository.inputs["tags"])  # fmt: skip


def test_one_build_project_per_architecture_privileged_without_source(
    recording: Recording,
) -> None:
    model = get_session().get_service_model("codebuild").operation_model("CreateProject")
    projects = {p.inputs["name"]: p for p in recording.of_type("aws:codebuild/project:Project")}
    assert set(projects) == {a.project for a in placeholder.ARCHITECTURES.values()}
    log_group = recording.one("aws:cloudwatch/logGroup:LogGroup", "placeholder-build-logs")
    assert log_group.inputs["retentionInDays"] == 14
    role = recording.one("aws:iam/role:Role", "placeholder-build")
    for key, architecture in placeholder.ARCHITECTURES.items():
        project = projects[architecture.project]
        assert project.inputs["source"] == {
            "type": "NO_SOURCE",
            "buildspec": placeholder.buildspec(key),
        }
        environment = project.inputs["environment"]
        assert environment["type"] == architecture.environment_type
        assert environment["image"] == architecture.image
        assert environment["privilegedMode"] is True
        (variable,) = environment["environmentVariables"]
        assert variable["name"] == "REPOSITORY_URI"
        assert variable["value"].endswith(f"/{placeholder.REPOSITORY}") or variable["value"]
        cloudwatch = project.inputs["logsConfig"]["cloudwatchLogs"]
        assert cloudwatch == {"groupName": log_group.inputs["name"], "status": "ENABLED"}
        assert project.inputs["serviceRole"]
        # The same project, as CreateProject takes it (botocore's model).
        validate_parameters(
            {
                "name": architecture.project,
                "source": project.inputs["source"],
                "artifacts": {"type": "NO_ARTIFACTS"},
                "environment": {
                    "type": environment["type"],
                    "image": environment["image"],
                    "computeType": environment["computeType"],
                    "privilegedMode": True,
                    "imagePullCredentialsType": environment["imagePullCredentialsType"],
                    "environmentVariables": [
                        {"name": "REPOSITORY_URI", "value": "x", "type": "PLAINTEXT"}
                    ],
                },
                "serviceRole": "arn:aws:iam::111122223333:role/slipway-placeholder-build",
                "timeoutInMinutes": int(project.inputs["buildTimeout"]),
                "queuedTimeoutInMinutes": int(project.inputs["queuedTimeout"]),
            },
            model.input_shape,
        )
    trust = role.json_input("assumeRolePolicy")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        ":project/slipway-placeholder-*"
    )


def test_the_outputs_name_the_repository_and_the_projects(recording: Recording) -> None:
    outputs = recording.outputs
    assert outputs["placeholderRepositoryName"] == placeholder.REPOSITORY
    assert outputs["placeholderBuildProjects"] == {
        key: a.project for key, a in placeholder.ARCHITECTURES.items()
    }


def test_without_placeholder_image_bootstrap_registers_none_of_it() -> None:
    recording = run_bootstrap({"slipway-bootstrap:placeholderImage": "false"})
    for token in (
        "aws:ecr/repository:Repository",
        "aws:codebuild/project:Project",
        "aws:iam/role:Role",
        "aws:cloudwatch/logGroup:LogGroup",
    ):
        assert recording.of_type(token) == [], token
    assert not any(name.startswith("placeholder") for name in recording.outputs)
    assert recording.one("aws:s3/bucket:Bucket", "state")


# Who may pull, push and change it (Principal Mapper) --------------------------------------------


def repository_policy(recording: Recording) -> dict[str, Any]:
    document: dict[str, Any] = recording.one(
        "aws:ecr/repositoryPolicy:RepositoryPolicy"
    ).json_input("policy")
    return document


def build_role(recording: Recording) -> Principal:
    policy = recording.one("aws:iam/rolePolicy:RolePolicy", "placeholder-build-policy")
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/slipway-placeholder-build",
        policies={"build": policy.json_input("policy")},
    )


def build_role_arn(recording: Recording) -> str:
    deny = next(
        s for s in repository_policy(recording)["Statement"] if s["Sid"] == "OnlyTheBuildPushes"
    )
    return str(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])


def execution_role(stack: str) -> Principal:
    """The stack's task execution role, as the stack registers it: pull from its own repository
    only (``EcrPull``), under the stack's boundary."""
    from tests.conftest import recorded

    rec = recorded(stack)
    policy = rec.one("aws:iam/rolePolicy:RolePolicy", "service-execution-policy")
    boundary_arn, boundary = boundary_of(stack)
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/storefront-{stack}-service-execution-role",
        policies={"execution": policy.json_input("policy")},
        boundary_arn=boundary_arn,
        boundary=boundary,
        tags={"slipway:app": "storefront", "slipway:environment": stack},
    )


CONTEXT = {"aws:PrincipalAccount": ACCOUNT_ID}
"""What AWS puts into every request (IAM User Guide, "AWS global condition context keys":
``aws:PrincipalAccount`` is always present); Principal Mapper does not infer it."""


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_bounded_execution_role_pulls_only_through_the_repository_policy(
    recording: Recording, stack: str
) -> None:
    role = execution_role(stack)
    policy = repository_policy(recording)
    for action in PULL_ACTIONS:
        assert role.allows(action, REPOSITORY_ARN, CONTEXT, resource_policy=policy), action
    # Control: its own identity policy does not reach the placeholder repository.
    assert not role.allows("ecr:BatchGetImage", REPOSITORY_ARN, CONTEXT)
    # Pulling is all it gets.
    for action in ("ecr:PutImage", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy"):
        assert not role.allows(action, REPOSITORY_ARN, CONTEXT, resource_policy=policy), action


def test_another_account_cannot_pull(recording: Recording) -> None:
    stranger = Principal(arn="arn:aws:iam::444455556666:role/admin")
    policy = repository_policy(recording)
    context = {"aws:PrincipalAccount": "444455556666"}
    assert not stranger.allows(
        "ecr:BatchGetImage", REPOSITORY_ARN, context, resource_policy=policy,
        resource_owner=ACCOUNT_ID,
    )  # fmt: skip
    # Control: the same request from this account is allowed.
    insider = Principal(arn=f"arn:aws:iam::{ACCOUNT_ID}:role/admin")
    assert insider.allows("ecr:BatchGetImage", REPOSITORY_ARN, CONTEXT, resource_policy=policy)


def test_only_the_build_pushes_and_only_administrators_change(recording: Recording) -> None:
    policy = repository_policy(recording)
    build = build_role(recording)
    assert build_role_arn(recording) == build.arn
    for action in ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:PutImage"):
        assert build.allows(action, REPOSITORY_ARN, CONTEXT, resource_policy=policy), action
    assert build.allows("ecr:GetAuthorizationToken", "*", CONTEXT)
    # The build pushes nowhere else, and cannot swap or delete what is there.
    other = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/storefront/prod"
    assert not build.allows("ecr:PutImage", other, CONTEXT)
    assert not build.allows("ecr:BatchDeleteImage", REPOSITORY_ARN, CONTEXT, resource_policy=policy)
    admin = Principal(arn=DEPLOYER)
    assert admin.allows("ecr:SetRepositoryPolicy", REPOSITORY_ARN, CONTEXT, resource_policy=policy)
    assert not admin.allows("ecr:PutImage", REPOSITORY_ARN, CONTEXT, resource_policy=policy)
    for stack in ("dev", "prod"):
        apply = apply_role(stack)
        # Positive control: the apply role (AdministratorAccess, bounded) changes an untagged
        # repository when no repository policy stands in the way.
        assert apply.allows("ecr:PutImage", REPOSITORY_ARN, CONTEXT)
        for action in (
            "ecr:PutImage",
            "ecr:BatchDeleteImage",
            "ecr:SetRepositoryPolicy",
            "ecr:DeleteRepository",
            "ecr:PutImageTagMutability",
        ):
            assert not apply.allows(action, REPOSITORY_ARN, CONTEXT, resource_policy=policy), (
                stack,
                action,
            )
        assert apply.allows("ecr:BatchGetImage", REPOSITORY_ARN, CONTEXT, resource_policy=policy)
        # Nor can it run the build with a buildspec of its own: its boundary denies codebuild.
        for architecture in placeholder.ARCHITECTURES.values():
            project = f"arn:aws:codebuild:{REGION}:{ACCOUNT_ID}:project/{architecture.project}"
            assert not apply.allows("codebuild:StartBuild", project, CONTEXT)


def test_the_policies_are_valid_and_pass_parliament(recording: Recording) -> None:
    build = recording.one("aws:iam/rolePolicy:RolePolicy", "placeholder-build-policy")
    document = build.json_input("policy")
    IAMPolicyDocumentValidator(json.dumps(document)).validate()
    assert parliament_findings(document) == []


def test_no_architecture_is_missing_from_the_stack_setting() -> None:
    from slipway.fargate_service import CPU_ARCHITECTURES

    assert set(placeholder.ARCHITECTURES) == set(CPU_ARCHITECTURES)
    assert placeholder.DEFAULT_ARCHITECTURE == "X86_64"
    assert os.sep not in placeholder.REPOSITORY.replace("/", "")


# The port the placeholder listens on -------------------------------------------------------------


def container_environment_of(stack: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    from tests.conftest import recorded

    definition = recorded(stack, overrides).one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    plain = {e["name"]: e["value"] for e in container.get("environment", [])}
    if "containerPort" in (overrides or {}):
        assert str(container["portMappings"][0]["containerPort"]) == overrides["containerPort"]  # type: ignore[index]
    return plain


def test_the_container_gets_port_from_container_port_unless_the_application_sets_it() -> None:
    """The placeholder learns the port from ``PORT`` (the stack's ``containerPort``), so it
    serves whatever port a stack uses; an application's own ``PORT`` wins."""
    assert container_environment_of("dev")["PORT"] == "3000"
    prod = container_environment_of("prod")
    assert prod["PORT"] == "3000"
    assert prod["NODE_ENV"] == "production"  # the stack file's appEnvironment is kept
    assert container_environment_of("dev", {"containerPort": "8080"})["PORT"] == "8080"
    own = container_environment_of("dev", {"appEnvironment": '["PORT=9000", "A=b"]'})
    assert own == {"PORT": "9000", "A": "b"}


# build.sh's flow, with recording stand-ins for the CodeBuild image's aws and docker -------------

STAND_IN = """#!/usr/bin/env bash
# Records its arguments (and, for `docker build`, copies the build context) and answers as
# the real command would for what build.sh asks.
echo "$(basename "$0") $*" >> "$RECORD"
case "$(basename "$0") $1 $2" in
  "aws ecr describe-images") exit "$IMAGE_EXISTS_STATUS" ;;
  "aws ecr get-login-password") echo token ;;
  "docker login"*) cat > "$RECORD.password" ;;
  "docker build"*) cp -r "${@: -1}" "$CONTEXT" ;;
  "rpm -q"*) exit 0 ;;
esac
"""


def run_build_sh(tmp_path: Path, exists: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("aws", "docker", "rpm", "dnf"):
        (bin_dir / name).write_text(STAND_IN)
        (bin_dir / name).chmod(0o755)
    record = tmp_path / "record"
    uri = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{placeholder.REPOSITORY}"
    result = subprocess.run(
        ["bash", str(FOLDER / "build.sh")],
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "RECORD": str(record),
            "CONTEXT": str(tmp_path / "context"),
            "IMAGE_EXISTS_STATUS": "0" if exists else "254",
            "REPOSITORY_URI": uri,
            "IMAGE_TAG": placeholder.image_tag("X86_64"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return result, record


def test_build_sh_compiles_builds_logs_in_and_pushes_the_tag(tmp_path: Path) -> None:
    result, record = run_build_sh(tmp_path, exists=False)
    assert result.returncode == 0, result.stderr
    tag = placeholder.image_tag("X86_64")
    registry = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com"
    image = f"{registry}/{placeholder.REPOSITORY}:{tag}"
    calls = record.read_text().splitlines()
    assert calls[0] == (
        f"aws ecr describe-images --repository-name {placeholder.REPOSITORY} "
        f"--image-ids imageTag={tag}"
    )
    assert calls[1] == "rpm -q glibc-static"
    assert calls[2].startswith(f"docker build --tag {image} ")
    # The two ends of one pipe run together: either may record first.
    assert sorted(calls[3:5]) == [
        "aws ecr get-login-password",
        f"docker login --username AWS --password-stdin {registry}",
    ]
    assert calls[5:] == [f"docker push {image}"]
    assert (tmp_path / "record.password").read_text() == "token\n"
    context = tmp_path / "context"
    assert (context / "Dockerfile").read_bytes() == (FOLDER / "Dockerfile").read_bytes()
    assert b"/lib64/ld-linux" not in (context / "placeholder").read_bytes()


def test_build_sh_leaves_an_existing_tag_alone(tmp_path: Path) -> None:
    """ECR refuses to push an existing tag of an immutable repository
    (``ImageTagAlreadyExistsException``), even with the same digest: check first."""
    result, record = run_build_sh(tmp_path, exists=True)
    assert result.returncode == 0, result.stderr
    assert "exists already" in result.stdout
    assert [c.split()[0] for c in record.read_text().splitlines()] == ["aws"]
