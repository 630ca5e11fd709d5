"""The smoke-test hook's Lambda handler against a real HTTP server on 127.0.0.1, with its AWS
reads stubbed on botocore's own ECS, ECR and EC2 models (``Stubber`` refuses a request or a
response that the model does not allow)."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from slipway.hooks import smoke_test
from slipway.hooks.smoke_test import FAILED, SUCCEEDED, Clients, Config, HookError
from slipway.workflows.deploy import RELEASE_VERSION
from tests import aws_models

ACCOUNT = "111122223333"
REGION = "eu-west-1"
SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/storefront-prod/storefront"
GREEN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/storefront-prod/storefront/931342351546"
BLUE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/storefront-prod/storefront/192049846293"
DIGEST = "sha256:" + "ab" * 32
REPOSITORY = "storefront/prod"
LOAD_BALANCER = "app/storefront-prod/50dc6c495c0c9188"


def event(stage: str = "POST_TEST_TRAFFIC_SHIFT", **details: Any) -> dict[str, Any]:
    """An event as ECS documents it (lambda-lifecycle-hooks.html, POST_TEST_TRAFFIC_SHIFT)."""
    return {
        "executionId": "3a0345ba-b029-404b-890d-7da2a4b266aa",
        "lifecycleStage": stage,
        "resourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/storefront-prod/"
        "storefront/EZe5RNVLH6PPzHXINuP28",
        "executionDetails": {
            "serviceArn": SERVICE,
            "targetServiceRevisionArn": GREEN,
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
            **details,
        },
    }


# --------------------------------------------------------------------------------------------
# The application: a real server on loopback
# --------------------------------------------------------------------------------------------


@dataclass
class App:
    """What the fake application answers, and what it saw."""

    status: int = 200
    body: bytes = b'{"status":"ok","version":"1.4.2"}'
    delay: float = 0.0
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    """Answers given in turn before ``status``/``body`` (to show retries)."""
    seen: list[dict[str, str]] = field(default_factory=list)


class _QuietOnHangUp(ThreadingHTTPServer):
    """Says nothing when a client hangs up before the answer (a timing-out check does, on
    purpose); any other error in a handler is printed, as ``socketserver`` does."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture
def app() -> Iterator[tuple[App, int]]:
    state = App()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append({"path": self.path, **dict(self.headers.items())})
            time.sleep(state.delay)
            status, body = state.answers.pop(0) if state.answers else (state.status, state.body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _QuietOnHangUp(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def config(port: int, **changes: Any) -> Config:
    """The hook's settings, read from an environment the way the function reads its own."""
    env = {
        smoke_test.ENV_PROTOCOL: "HTTP",
        smoke_test.ENV_HOST: "shop.example.com",
        smoke_test.ENV_PORT: str(port),
        smoke_test.ENV_HEALTH_CHECK_PATH: "/health",
        smoke_test.ENV_LOAD_BALANCER: LOAD_BALANCER,
        smoke_test.ENV_CONTAINER_NAME: "app",
        smoke_test.ENV_REPOSITORY_NAME: REPOSITORY,
        smoke_test.ENV_REGISTRY_ID: ACCOUNT,
        smoke_test.ENV_VERSION_FIELD: "version",
        smoke_test.ENV_RELEASE_VERSION: RELEASE_VERSION.pattern,
        smoke_test.ENV_ATTEMPTS: "3",
        smoke_test.ENV_REQUEST_TIMEOUT: "1",
        smoke_test.ENV_RETRY_INTERVAL: "1",
    }
    return replace(Config.from_environment(env), **changes)


# --------------------------------------------------------------------------------------------
# AWS: botocore clients with Stubber
# --------------------------------------------------------------------------------------------


class Aws:
    """Stubbed ECS, ECR and EC2 clients; each ``expect_*`` queues one call with its request."""

    def __init__(self) -> None:
        session = aws_models.session()

        def client(name: str) -> Any:
            return session.create_client(
                name,
                region_name=REGION,
                aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                aws_secret_access_key="offline",  # a stub: nothing is sent
            )

        self.clients = Clients(ecs=client("ecs"), ecr=client("ecr"), ec2=client("ec2"))
        self.stubs = [Stubber(c) for c in (self.clients.ecs, self.clients.ecr, self.clients.ec2)]
        for stub in self.stubs:
            stub.activate()

    def expect_revision(self, container: str = "app", digest: str = DIGEST) -> None:
        self.stubs[0].add_response(
            "describe_service_revisions",
            {
                "serviceRevisions": [
                    {
                        "serviceRevisionArn": GREEN,
                        "serviceArn": SERVICE,
                        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/storefront-prod",
                        "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/"
                        "storefront:42",
                        "containerImages": [
                            {
                                "containerName": container,
                                "imageDigest": digest,
                                "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/"
                                f"{REPOSITORY}@{digest}",
                            }
                        ],
                        "createdAt": datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC),
                    }
                ],
                "failures": [],
            },
            {"serviceRevisionArns": [GREEN]},
        )

    def expect_tags(self, tags: list[str]) -> None:
        self.stubs[1].add_response(
            "describe_images",
            {
                "imageDetails": [
                    {
                        "registryId": ACCOUNT,
                        "repositoryName": REPOSITORY,
                        "imageDigest": DIGEST,
                        "imageTags": tags,
                    }
                ]
            },
            {
                "repositoryName": REPOSITORY,
                "registryId": ACCOUNT,
                "imageIds": [{"imageDigest": DIGEST}],
            },
        )

    def expect_interfaces(self, addresses: list[str], status: str = "in-use") -> None:
        self.stubs[2].add_response(
            "describe_network_interfaces",
            {
                "NetworkInterfaces": [
                    {
                        "NetworkInterfaceId": f"eni-0{i}1234567890abcde",
                        "Description": f"ELB {LOAD_BALANCER}",
                        "PrivateIpAddress": address,
                        "Status": status,
                        "InterfaceType": "interface",
                    }
                    for i, address in enumerate(addresses)
                ]
            },
            {"Filters": [{"Name": "description", "Values": [f"ELB {LOAD_BALANCER}"]}]},
        )

    def expect_all(self, tags: list[str], addresses: list[str] | None = None) -> None:
        self.expect_revision()
        self.expect_tags(tags)
        self.expect_interfaces(addresses or ["127.0.0.1"])

    def done(self) -> None:
        for stub in self.stubs:
            stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Aws:
    return Aws()


def plenty() -> int:
    return 900_000


def test_healthy_and_the_right_version_succeeds(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    aws.expect_all(["1.4.2", "sha-0a1b2c3"])
    answer = smoke_test.run(event(), config(port), aws.clients, plenty, sleep=_no_sleep)
    assert answer == {"hookStatus": SUCCEEDED}
    aws.done()
    # The node was asked for the health path, by the service's name (not its address).
    assert [(s["path"], s["Host"]) for s in state.seen] == [("/health", f"shop.example.com:{port}")]


def test_every_node_must_pass(app: tuple[App, int], aws: Aws) -> None:
    """127.0.0.2 is loopback too, with nothing listening: one bad node fails the hook."""
    state, port = app
    aws.expect_all(["1.4.2"], addresses=["127.0.0.2", "127.0.0.1"])
    answer = smoke_test.run(event(), config(port), aws.clients, plenty, sleep=_no_sleep)
    assert answer == {"hookStatus": FAILED}
    assert len(state.seen) == 3, "the good node answered in each of three rounds"


def test_a_wrong_version_fails(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.body = b'{"version":"1.4.1"}'
    aws.expect_all(["1.4.2"])
    slept: list[float] = []
    answer = smoke_test.run(event(), config(port), aws.clients, plenty, sleep=slept.append)
    assert answer == {"hookStatus": FAILED}
    assert len(state.seen) == 3, "three rounds"
    assert slept == [1.0, 1.0]


def test_an_answer_without_a_version_fails_when_one_is_expected(
    app: tuple[App, int], aws: Aws
) -> None:
    state, port = app
    state.body = b"ok"
    aws.expect_all(["1.4.2"])
    answer = smoke_test.run(event(), config(port, attempts=1), aws.clients, plenty)
    assert answer == {"hookStatus": FAILED}


def test_a_5xx_fails(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.status = 503
    aws.expect_all(["1.4.2"])
    answer = smoke_test.run(event(), config(port), aws.clients, plenty, sleep=_no_sleep)
    assert answer == {"hookStatus": FAILED}
    assert len(state.seen) == 3


def test_a_redirect_is_not_health(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.status = 301
    aws.expect_all(["1.4.2"])
    answer = smoke_test.run(event(), config(port, attempts=1), aws.clients, plenty)
    assert answer == {"hookStatus": FAILED}


def test_a_slow_answer_times_out_and_fails(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.delay = 5.0
    aws.expect_all(["1.4.2"])
    started = time.monotonic()
    answer = smoke_test.run(event(), config(port, attempts=2), aws.clients, plenty, _no_sleep)
    assert answer == {"hookStatus": FAILED}
    # Two attempts with a 1 s timeout each: about 2 s; waiting for the answers would take 10 s
    # (the margin keeps the test true on a loaded machine).
    assert time.monotonic() - started < 5.0, "each request gave up after its 1 s timeout"


def test_nothing_listening_fails(aws: Aws) -> None:
    aws.expect_all(["1.4.2"])
    answer = smoke_test.run(event(), config(1, attempts=2), aws.clients, plenty, _no_sleep)
    assert answer == {"hookStatus": FAILED}


def test_a_transient_failure_is_retried(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.answers = [(502, b""), (200, b'{"version":"0.9.0"}')]
    aws.expect_all(["1.4.2"])
    slept: list[float] = []
    answer = smoke_test.run(event(), config(port), aws.clients, plenty, sleep=slept.append)
    assert answer == {"hookStatus": SUCCEEDED}
    assert len(state.seen) == 3
    assert slept == [1.0, 1.0]


def test_rounds_stop_before_the_function_times_out(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.status = 500
    aws.expect_all(["1.4.2"])
    left = iter([10_000, 3_500, 1_000])  # the first round fits, the wait and a second do not
    answer = smoke_test.run(event(), config(port, attempts=5), aws.clients, lambda: next(left))
    assert answer == {"hookStatus": FAILED}
    assert len(state.seen) == 1


def test_a_digest_without_a_release_tag_is_checked_for_health_only(
    app: tuple[App, int], aws: Aws, caplog: pytest.LogCaptureFixture
) -> None:
    state, port = app
    state.body = b"ok"
    aws.expect_all(["bootstrap", "bootstrap-3f2a"])
    with caplog.at_level("INFO", logger="slipway.smoke_test"):
        answer = smoke_test.run(event(), config(port), aws.clients, plenty)
    assert answer == {"hookStatus": SUCCEEDED}
    assert "carries no release tag (bootstrap, bootstrap-3f2a): checking health only" in (
        caplog.text
    )


def test_without_a_repository_only_health_is_checked(app: tuple[App, int], aws: Aws) -> None:
    state, port = app
    state.body = b"ok"
    aws.expect_interfaces(["127.0.0.1"])
    answer = smoke_test.run(event(), config(port, repository_name=""), aws.clients, plenty)
    assert answer == {"hookStatus": SUCCEEDED}
    aws.done()


def test_the_image_must_be_in_the_repository(app: tuple[App, int], aws: Aws) -> None:
    _, port = app
    aws.expect_revision()
    aws.stubs[1].add_client_error(
        "describe_images", "ImageNotFoundException", "The image requested does not exist"
    )
    with pytest.raises(HookError, match=rf"{DIGEST} of service revision .* not in ECR"):
        smoke_test.run(event(), config(port), aws.clients, plenty)


def test_the_container_must_be_in_the_revision(app: tuple[App, int], aws: Aws) -> None:
    _, port = app
    aws.expect_revision(container="sidecar")
    with pytest.raises(HookError, match="no image digest for container 'app'"):
        smoke_test.run(event(), config(port), aws.clients, plenty)


def test_a_load_balancer_without_interfaces_fails(app: tuple[App, int], aws: Aws) -> None:
    _, port = app
    aws.expect_revision()
    aws.expect_tags(["1.4.2"])
    aws.expect_interfaces(["10.0.1.5"], status="available")
    with pytest.raises(HookError, match="no in-use network interface"):
        smoke_test.run(event(), config(port), aws.clients, plenty)


def test_a_rollback_is_never_blocked(aws: Aws) -> None:
    rolling_back = event("PRODUCTION_TRAFFIC_SHIFT", productionTrafficWeights={GREEN: 0, BLUE: 100})
    assert smoke_test.run(rolling_back, config(1), aws.clients, plenty) == {"hookStatus": SUCCEEDED}
    aws.done()  # no AWS read, no request


class Context:
    """The part of Lambda's context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_the_entry_point_fails_closed(
    app: tuple[App, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing setting or any error is FAILED (ECS rolls back), never an exception."""
    for name in vars(smoke_test):
        if name.startswith("ENV_"):
            monkeypatch.delenv(getattr(smoke_test, name), raising=False)
    assert smoke_test.handler(event(), Context()) == {"hookStatus": FAILED}

    def broken() -> Clients:
        raise RuntimeError("no credentials")

    _, port = app
    monkeypatch.setattr(Config, "from_environment", classmethod(lambda cls, env: config(port)))
    monkeypatch.setattr(Clients, "from_runtime", broken)
    assert smoke_test.handler(event(), Context()) == {"hookStatus": FAILED}


def test_a_bad_setting_is_named() -> None:
    env = {
        smoke_test.ENV_PROTOCOL: "FTP",
        smoke_test.ENV_HOST: "shop.example.com",
        smoke_test.ENV_PORT: "8443",
    }
    with pytest.raises(HookError, match="TEST_LISTENER_PROTOCOL is 'FTP', not HTTP or HTTPS"):
        Config.from_environment(env)
    env[smoke_test.ENV_PROTOCOL] = "HTTPS"
    env[smoke_test.ENV_PORT] = "0"
    with pytest.raises(HookError, match="TEST_LISTENER_PORT is '0', not a positive whole number"):
        Config.from_environment(env)


def test_the_statuses_are_ecs_own() -> None:
    """SUCCEEDED and FAILED are statuses ECS reports for a Lambda hook, and the stage the
    component configures is one of the model's lifecycle stages."""
    model = aws_models.service_model("ecs")
    hook_statuses = model.shape_for("DeploymentLifecycleHookDetail").members["status"].enum
    assert {SUCCEEDED, FAILED} <= set(hook_statuses)
    stages = model.shape_for("DeploymentLifecycleHook").members["lifecycleStages"].member.enum
    assert set(smoke_test.LIFECYCLE_STAGES) <= set(stages)


def test_the_handler_reads_its_event_as_ecs_documents_it() -> None:
    assert json.loads(json.dumps(event()))["executionDetails"]["targetServiceRevisionArn"] == GREEN
    assert not smoke_test.is_rollback(event()["executionDetails"])
    assert smoke_test.is_rollback(
        event(productionTrafficWeights={GREEN: 0, BLUE: 100})["executionDetails"]
    )
    assert not smoke_test.is_rollback(
        event(productionTrafficWeights={GREEN: 100, BLUE: 0})["executionDetails"]
    )


def _no_sleep(seconds: float) -> None:
    pass


# --------------------------------------------------------------------------------------------
# HTTPS: the node's address on the wire, the service's name in TLS
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for shop.example.com (and only that name), and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("shop.example.com")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_app(app: tuple[App, int], certificate: tuple[Path, Path]) -> Iterator[tuple[App, int]]:
    """The same application behind TLS on another loopback port (a small TLS relay)."""
    state, plain_port = app
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def relay(client: socket.socket) -> None:
        try:
            with (
                server_context.wrap_socket(client, server_side=True) as tls,
                socket.create_connection(("127.0.0.1", plain_port)) as upstream,
            ):
                request = tls.recv(65536)
                upstream.sendall(request)
                while chunk := upstream.recv(65536):
                    tls.sendall(chunk)
        except (OSError, ssl.SSLError):
            pass

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=relay, args=(client,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state, listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def test_https_checks_the_service_name_on_the_node_address(
    tls_app: tuple[App, int], certificate: tuple[Path, Path], aws: Aws
) -> None:
    state, port = tls_app
    aws.expect_all(["1.4.2"])
    settings = config(port, protocol="HTTPS")
    answer = smoke_test.run(event(), settings, aws.clients, plenty, tls=trusting(certificate))
    assert answer == {"hookStatus": SUCCEEDED}
    assert [s["Host"] for s in state.seen] == [f"shop.example.com:{port}"]


def test_https_refuses_a_certificate_for_another_name(
    tls_app: tuple[App, int], certificate: tuple[Path, Path], aws: Aws
) -> None:
    state, port = tls_app
    aws.expect_all(["1.4.2"])
    settings = config(port, protocol="HTTPS", host="other.example.com", attempts=1)
    answer = smoke_test.run(event(), settings, aws.clients, plenty, tls=trusting(certificate))
    assert answer == {"hookStatus": FAILED}
    assert state.seen == [], "nothing was sent over a connection that failed verification"
