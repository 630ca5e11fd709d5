"""examples/another_stack: a stack built from the components alone, run through its entry point."""

from __future__ import annotations

import ast
import json
import runpy
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from pulumi.runtime import settings as runtime_settings

from tooling.offline import ACCOUNT_ID, ROOT, Recording, run_program

EXAMPLE = ROOT / "examples" / "another_stack"
MAIN = EXAMPLE / "__main__.py"
SERVICE = "aws:ecs/service:Service"


def run_example(
    config: Mapping[str, str] | None = None, secret_keys: tuple[str, ...] = ()
) -> Recording:
    """Run the example's __main__.py as the Pulumi CLI does, for stack ``prod``."""

    def program() -> Mapping[str, Any]:
        runpy.run_path(str(MAIN), run_name="__main__")
        stack = runtime_settings.get_root_resource()
        assert stack is not None
        return dict(stack.outputs)  # type: ignore[attr-defined]

    return run_program("prod", {"aws:region": "eu-west-1", **(config or {})}, secret_keys, program)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run_example()


def test_the_example_imports_only_the_public_components_api() -> None:
    tree = ast.parse(MAIN.read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "slipway" in imported
    assert not any(name.startswith("infra") for name in imported)
    assert not any(name.startswith(("components", "slipway.")) for name in imported)


def test_the_project_is_its_own_and_installs_the_library_from_git() -> None:
    project = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    assert project["name"] == "orders-api"
    assert project["runtime"]["name"] == "python"
    assert (EXAMPLE / project["main"]).resolve() == MAIN.resolve()
    requirements = (EXAMPLE / "requirements.txt").read_text()
    lines = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    # No tag exists yet (docs/components.md, "Versions"): the example installs this checkout,
    # pip reading the path from the example's folder, and shows the Git form for a user's own.
    assert lines == ["../.."]
    assert (EXAMPLE / lines[0] / "pyproject.toml").resolve() == ROOT / "pyproject.toml"
    assert "#   slipway-platform @ git+https://" in requirements


def test_it_composes_the_five_components(recording: Recording) -> None:
    components = {(r.type, r.name) for r in recording.resources if not r.custom}
    for expected in (
        ("slipway:index:ContainerRegistry", "registry"),
        ("slipway:index:Network", "network"),
        ("slipway:index:EcsCluster", "cluster"),
        ("slipway:index:SecretStore", "secrets"),
        ("slipway:index:FargateService", "service"),
    ):
        assert expected in components, expected


def test_names_come_from_the_app_and_the_stack(recording: Recording) -> None:
    assert recording.one("aws:ecr/repository:Repository").inputs["name"] == "orders/prod"
    assert recording.one("aws:ecs/cluster:Cluster").inputs["name"] == "orders-prod"
    service = recording.one(SERVICE)
    assert service.inputs["name"] == "orders-prod"
    names = {r.inputs["name"] for r in recording.of_type("aws:secretsmanager/secret:Secret")}
    assert names == {"orders/prod/DATABASE_URL", "orders/prod/API_KEY"}
    assert recording.outputs["imageChannelParameter"] == "/orders/prod/image-channel/deployed"
    assert recording.outputs["repositoryUrl"] == (
        f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/orders/prod"
    )


def test_the_service_runs_in_the_example_network_and_cluster(recording: Recording) -> None:
    service = recording.one(SERVICE)
    assert service.inputs["cluster"].endswith(":cluster/orders-prod")
    network = service.inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False
    balancer = recording.one("aws:lb/loadBalancer:LoadBalancer")
    # Tasks in the two private subnets, the load balancer in the two public ones.
    assert len(network["subnets"]) == 2
    assert len(balancer.inputs["subnets"]) == 2
    assert not set(network["subnets"]) & set(balancer.inputs["subnets"])
    assert recording.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] == "10.60.0.0/16"
    assert len(recording.of_type("aws:ec2/natGateway:NatGateway")) == 1  # NatStrategy.SINGLE


def test_the_secrets_reach_the_container_by_arn_never_by_value(recording: Recording) -> None:
    definition = recording.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(definition.inputs["containerDefinitions"])
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert set(secrets) == {"API_KEY", "DATABASE_URL"}
    for arn in secrets.values():
        assert arn.startswith(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:secret:orders/prod/")
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert container["readonlyRootFilesystem"] is True
    assert container["portMappings"][0]["containerPort"] == 8080
    # Without the apiKey setting both secrets are created empty: no version holds a value.
    assert recording.of_type("aws:secretsmanager/secretVersion:SecretVersion") == []


def test_a_secret_from_config_stays_a_secret() -> None:
    value = "sk_live_0123456789"
    recording = run_example({"orders-api:apiKey": value}, ("orders-api:apiKey",))
    (version,) = recording.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretString"] == value
    assert "secretString" in version.secret_inputs


def test_without_a_certificate_it_serves_plain_http_and_warns(recording: Recording) -> None:
    listeners = recording.of_type("aws:lb/listener:Listener")
    assert [listener.inputs["protocol"] for listener in listeners] == ["HTTP"]
    assert any("plain HTTP" in warning for warning in recording.warnings)


def test_protect_turns_on_protection_of_the_stateful_resources() -> None:
    recording = run_example({"orders-api:protect": "true"})
    for token in (
        "aws:ecr/repository:Repository",
        "aws:secretsmanager/secret:Secret",
        "aws:cloudwatch/logGroup:LogGroup",
    ):
        for resource in recording.of_type(token):
            assert resource.protect, (token, resource.name)
    assert recording.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"]
