"""ECS deployment lifecycle hook: smoke-test the new service revision through the load
balancer's test listener before production traffic shifts to it.

Shipped alone as the code of :class:`~slipway.smoke_test_hook.SmokeTestHook`'s Lambda function
(Python runtime): the standard library and the runtime's boto3 only, nothing from ``slipway``.

**What ECS sends and expects** ("Lambda hooks for Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html): the
event holds ``executionId``, ``lifecycleStage``, ``resourceArn`` (the service deployment) and
``executionDetails`` with ``serviceArn``, ``targetServiceRevisionArn`` (the green revision),
``testTrafficWeights`` and ``productionTrafficWeights``. The function returns
``{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}``: ``SUCCEEDED`` lets the deployment go
on to the next stage; ``FAILED``, no valid ``hookStatus`` or an error in the function rolls it
back to the last successful service revision ("Lifecycle hooks for Amazon ECS service
deployments", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
This hook answers only ``SUCCEEDED`` or ``FAILED``: it retries within one invocation.

**What it checks**, at ``POST_TEST_TRAFFIC_SHIFT`` (the green revision takes all test traffic,
production still goes to blue), on every node of the load balancer:

1. ``GET <protocol>://<host>:<test port><health path>`` answers exactly 200, as the deploy
   workflow's own health check wants (``health-check.sh``).
2. When a repository is configured, the answer is a JSON object whose ``version`` field
   (:data:`ENV_VERSION_FIELD`) is the release version of the image the green revision runs.
   That version is read, not guessed: ``DescribeServiceRevisions`` gives the digest of the
   application container's image, and ``DescribeImages`` the tags ECR holds on that digest.
   The deploy workflow tags every digest it deploys with the image's own
   ``org.opencontainers.image.version`` label (docs/container-usage.md), so the release tag on
   the digest is the version that should be answering. A digest with no release tag (the
   bootstrap image) has no version to expect: only its health is checked, and the log says so.

Each round checks every node; a failed round is retried after :data:`ENV_RETRY_INTERVAL` up to
:data:`ENV_ATTEMPTS` rounds, each request bounded by :data:`ENV_REQUEST_TIMEOUT`, and never
past the function's own remaining time. Then the hook fails and ECS rolls back.

**Why the nodes' private addresses.** The function runs in the VPC's private subnets and its
security group may reach only the load balancer's security group on the test port. A security
group rule that names another group matches traffic to that group's network interfaces, that
is to their private addresses; an internet-facing load balancer's DNS name resolves to public
ones (reached through NAT, which no such rule matches). So the hook finds the load balancer's
interfaces by their description ``ELB <arn suffix>`` (``ec2:DescribeNetworkInterfaces``, in
the VPC access policy Lambda already needs), connects to each private address and speaks to
:data:`ENV_HOST` (``Host`` header and, over HTTPS, TLS server name and certificate check).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("slipway.smoke_test")
LOG.setLevel(logging.INFO)

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
LIFECYCLE_STAGES = ("POST_TEST_TRAFFIC_SHIFT",)
"""Where the hook belongs: the green revision has all test traffic and none of production's.
One of ``DeploymentLifecycleHook.lifecycleStages`` in ECS's API model."""

ENV_PROTOCOL = "TEST_LISTENER_PROTOCOL"
"""``HTTP`` or ``HTTPS``: the test listener's protocol."""
ENV_HOST = "TEST_LISTENER_HOST"
"""The name the hook asks for (``Host``; TLS server name): the service's DNS name or the load
balancer's."""
ENV_PORT = "TEST_LISTENER_PORT"
"""The test listener's port."""
ENV_HEALTH_CHECK_PATH = "HEALTH_CHECK_PATH"
"""The application's health path, ``/health``."""
ENV_LOAD_BALANCER = "LOAD_BALANCER"
"""The load balancer's ARN suffix, ``app/<name>/<id>``: its interfaces' description is
``ELB <suffix>``."""
ENV_CONTAINER_NAME = "CONTAINER_NAME"
"""The application container in the task definition."""
ENV_REPOSITORY_NAME = "REPOSITORY_NAME"
"""The ECR repository whose release tags name the expected version; empty: health only."""
ENV_REGISTRY_ID = "REGISTRY_ID"
"""The account of that repository."""
ENV_VERSION_FIELD = "VERSION_FIELD"
"""The field of the health answer's JSON object that holds the running version."""
ENV_RELEASE_VERSION = "RELEASE_VERSION_PATTERN"
"""What a release tag looks like (the deploy workflow's own pattern)."""
ENV_ATTEMPTS = "ATTEMPTS"
"""How many rounds of checks at most."""
ENV_REQUEST_TIMEOUT = "REQUEST_TIMEOUT_SECONDS"
"""Seconds one request may take (connect and answer)."""
ENV_RETRY_INTERVAL = "RETRY_INTERVAL_SECONDS"
"""Seconds between rounds."""

MAX_BODY_BYTES = 65536
"""The most of a health answer the hook reads."""
SAFETY_MARGIN_MS = 2000
"""Time kept in hand to log and return before Lambda's own timeout."""
USER_AGENT = "slipway-smoke-test"


class HookError(Exception):
    """The hook cannot pass: the message says why."""


@dataclass(frozen=True)
class Config:
    """The hook's settings, from the function's environment (:meth:`from_environment`)."""

    protocol: str
    host: str
    port: int
    health_check_path: str
    load_balancer: str
    container_name: str
    repository_name: str
    registry_id: str
    version_field: str
    release_version: re.Pattern[str]
    attempts: int
    request_timeout: float
    retry_interval: float

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Config:
        """Read every setting; a missing or malformed one is a :class:`HookError`."""

        def need(name: str) -> str:
            value = env.get(name, "")
            if not value:
                raise HookError(f"the function's environment has no {name}")
            return value

        def number(name: str) -> int:
            value = need(name)
            if not value.isdigit() or int(value) < 1:
                raise HookError(f"{name} is {value!r}, not a positive whole number")
            return int(value)

        protocol = need(ENV_PROTOCOL)
        if protocol not in ("HTTP", "HTTPS"):
            raise HookError(f"{ENV_PROTOCOL} is {protocol!r}, not HTTP or HTTPS")
        return cls(
            protocol=protocol,
            host=need(ENV_HOST),
            port=number(ENV_PORT),
            health_check_path=need(ENV_HEALTH_CHECK_PATH),
            load_balancer=need(ENV_LOAD_BALANCER),
            container_name=need(ENV_CONTAINER_NAME),
            repository_name=env.get(ENV_REPOSITORY_NAME, ""),
            registry_id=env.get(ENV_REGISTRY_ID, ""),
            version_field=need(ENV_VERSION_FIELD),
            release_version=re.compile(need(ENV_RELEASE_VERSION)),
            attempts=number(ENV_ATTEMPTS),
            request_timeout=float(number(ENV_REQUEST_TIMEOUT)),
            retry_interval=float(number(ENV_RETRY_INTERVAL)),
        )


@dataclass(frozen=True)
class Clients:
    """The AWS API clients the hook reads with (botocore clients)."""

    ecs: Any
    ecr: Any
    ec2: Any

    @classmethod
    def from_runtime(cls) -> Clients:
        """Clients with the function's own credentials and region."""
        import boto3  # the Lambda Python runtime provides it

        return cls(ecs=boto3.client("ecs"), ecr=boto3.client("ecr"), ec2=boto3.client("ec2"))


# --------------------------------------------------------------------------------------------
# What should answer, and where
# --------------------------------------------------------------------------------------------


def expected_versions(clients: Clients, config: Config, revision_arn: str) -> frozenset[str]:
    """The release versions ECR holds on the digest of the application image that the service
    revision ``revision_arn`` runs: any of them may answer. Empty when no repository is
    configured or the digest has no release tag (then only health is checked)."""
    if not config.repository_name:
        return frozenset()
    described = clients.ecs.describe_service_revisions(serviceRevisionArns=[revision_arn])
    revisions = [
        r
        for r in described.get("serviceRevisions", [])
        if r.get("serviceRevisionArn") == revision_arn
    ]
    if not revisions:
        raise HookError(f"ECS does not describe service revision {revision_arn}")
    images = [
        image
        for image in revisions[0].get("containerImages", [])
        if image.get("containerName") == config.container_name
    ]
    digest = images[0].get("imageDigest", "") if images else ""
    if not digest:
        raise HookError(
            f"service revision {revision_arn} names no image digest for container "
            f"{config.container_name!r}"
        )
    request: dict[str, Any] = {
        "repositoryName": config.repository_name,
        "imageIds": [{"imageDigest": digest}],
    }
    if config.registry_id:
        request["registryId"] = config.registry_id
    try:
        details = clients.ecr.describe_images(**request).get("imageDetails", [])
    except clients.ecr.exceptions.ImageNotFoundException as error:
        raise HookError(
            f"{digest} of service revision {revision_arn} is not in ECR repository "
            f"{config.repository_name}"
        ) from error
    tags = {tag for detail in details for tag in detail.get("imageTags", [])}
    versions = frozenset(t for t in tags if config.release_version.match(t))
    if not versions:
        LOG.info(
            "%s carries no release tag (%s): checking health only",
            digest,
            ", ".join(sorted(tags)) or "no tags",
        )
    return versions


def load_balancer_addresses(clients: Clients, config: Config) -> list[str]:
    """The private addresses of the load balancer's nodes (its in-use network interfaces)."""
    description = f"ELB {config.load_balancer}"
    pages = clients.ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=[{"Name": "description", "Values": [description]}]
    )
    addresses = sorted(
        {
            interface["PrivateIpAddress"]
            for page in pages
            for interface in page.get("NetworkInterfaces", [])
            if interface.get("Status") == "in-use" and interface.get("PrivateIpAddress")
        }
    )
    if not addresses:
        raise HookError(f"no in-use network interface is described {description!r}")
    return addresses


# --------------------------------------------------------------------------------------------
# One request
# --------------------------------------------------------------------------------------------


class _NodeConnection(http.client.HTTPConnection):
    """HTTP to ``host`` through one node's ``address``."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _NodeTlsConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` through one node's ``address``: the certificate must name ``host``."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def probe(
    config: Config,
    address: str,
    versions: frozenset[str],
    tls: ssl.SSLContext | None = None,
) -> str | None:
    """Why the node at ``address`` fails the checks, or None when it passes."""
    connection: http.client.HTTPConnection
    if config.protocol == "HTTPS":
        context = tls or ssl.create_default_context()
        connection = _NodeTlsConnection(
            config.host, config.port, address, config.request_timeout, context
        )
    else:
        connection = _NodeConnection(config.host, config.port, address, config.request_timeout)
    where = f"{config.health_check_path} through {address}"
    try:
        connection.request(
            "GET",
            config.health_check_path,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
        response = connection.getresponse()
        body = response.read(MAX_BODY_BYTES)
    except (OSError, http.client.HTTPException) as error:
        return f"{where}: {type(error).__name__}: {error}"
    finally:
        connection.close()
    if response.status != 200:
        return f"{where} answered {response.status}, not 200"
    if not versions:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return f"{where} answered no JSON object, so no {config.version_field!r}"
    reported = answer.get(config.version_field) if isinstance(answer, dict) else None
    if reported not in versions:
        return f"{where} reports {config.version_field} {reported!r}, expected " + " or ".join(
            sorted(versions)
        )
    return None


# --------------------------------------------------------------------------------------------
# The hook
# --------------------------------------------------------------------------------------------


def is_rollback(details: Mapping[str, Any]) -> bool:
    """ECS invokes production- and test-traffic-shift hooks again while it rolls back, with the
    target revision's weight at 0 (same source as the module's)."""
    target = details.get("targetServiceRevisionArn")
    for weights in (details.get("productionTrafficWeights"), details.get("testTrafficWeights")):
        if isinstance(weights, dict) and len(weights) > 1 and weights.get(target) == 0:
            return True
    return False


def run(
    event: Mapping[str, Any],
    config: Config,
    clients: Clients,
    remaining_ms: Callable[[], int],
    sleep: Callable[[float], None] = time.sleep,
    tls: ssl.SSLContext | None = None,
) -> dict[str, str]:
    """The hook's answer to ``event``: every node passes within the attempts, or it fails."""
    details = event.get("executionDetails") or {}
    revision = details.get("targetServiceRevisionArn")
    stage = event.get("lifecycleStage")
    LOG.info("%s of %s: testing revision %s", stage, event.get("resourceArn"), revision)
    if not isinstance(revision, str) or not revision:
        raise HookError("the event names no executionDetails.targetServiceRevisionArn")
    if is_rollback(details):
        LOG.info("ECS is rolling back: nothing to test")
        return {"hookStatus": SUCCEEDED}
    versions = expected_versions(clients, config, revision)
    addresses = load_balancer_addresses(clients, config)
    round_ms = int(len(addresses) * config.request_timeout * 1000)
    problems: list[str] = []
    for attempt in range(1, config.attempts + 1):
        if remaining_ms() < round_ms + SAFETY_MARGIN_MS:
            problems.append(f"no time left for round {attempt}")
            break
        problems = [p for p in (probe(config, a, versions, tls) for a in addresses) if p]
        if not problems:
            LOG.info(
                "%s healthy on %d node(s) after %d round(s)%s",
                config.health_check_path,
                len(addresses),
                attempt,
                f", version {' or '.join(sorted(versions))}" if versions else "",
            )
            return {"hookStatus": SUCCEEDED}
        LOG.warning("round %d/%d: %s", attempt, config.attempts, "; ".join(problems))
        if attempt < config.attempts:
            if remaining_ms() < config.retry_interval * 1000 + round_ms + SAFETY_MARGIN_MS:
                problems.append(f"no time left for round {attempt + 1}")
                break
            sleep(config.retry_interval)
    LOG.error("smoke test failed, ECS rolls back: %s", "; ".join(problems))
    return {"hookStatus": FAILED}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, str]:
    """The Lambda entry point. Anything unexpected is a failure (ECS rolls back), logged."""
    try:
        config = Config.from_environment(os.environ)
        return run(event, config, Clients.from_runtime(), context.get_remaining_time_in_millis)
    except HookError as error:
        LOG.error("smoke test failed, ECS rolls back: %s", error)
    except Exception:
        LOG.exception("smoke test failed unexpectedly, ECS rolls back")
    return {"hookStatus": FAILED}
