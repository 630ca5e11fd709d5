"""A service that owns its smoke-test hook (``FargateServiceArgs.smoke_test``, the stack's
``smokeTestHook``): the hook is a child of the service, ECS invokes it after test traffic
reaches a new revision and rolls back when it fails or does not answer in time."""

from __future__ import annotations

import json
from typing import Any

import botocore.validate
import pytest

from slipway.deployment_strategy import CanaryStrategy, RollingStrategy
from slipway.errors import ConfigError
from slipway.fargate_service import FargateService, FargateServiceArgs, PlacementOptions
from slipway.smoke_test_hook import API_ENDPOINTS, SmokeTestOptions, no_nat_endpoint_problems
from tests.aws_models import service_model
from tests.conftest import recorded
from tests.test_fargate_service import BASE, SERVICE, Runner, create_service_params, grouped
from tooling.offline import discover_stacks, run_stack, stack_settings

FUNCTION = "aws:lambda/function:Function"
PLACEMENT = grouped(PlacementOptions, vpc_cidr="10.20.0.0/16")


def service(run: Runner, **overrides: Any) -> Any:
    def program() -> dict[str, Any]:
        FargateService("web", FargateServiceArgs(**{**BASE, "placement": PLACEMENT, **overrides}))
        return {}

    return run(program)


def test_the_service_wires_its_own_hook_with_a_rollback_timeout(run_component: Runner) -> None:
    recording = service(
        run_component,
        deployment_strategy=CanaryStrategy(10, 10, 15),
        smoke_test=SmokeTestOptions(timeout_seconds=240),
    )
    function = recording.one(FUNCTION)
    assert function.parent_type == "slipway:index:SmokeTestHook"
    inputs = recording.one(SERVICE).inputs
    (hook,) = inputs["deploymentConfiguration"]["lifecycleHooks"]
    assert hook["hookTargetArn"].endswith(f":function:{function.inputs['name']}")
    assert hook["lifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    # ECS would wait a day for an unresolved hook; this one gives up (and rolls back) soon
    # after the function's own timeout.
    assert hook["timeoutConfiguration"] == {"timeoutInMinutes": "5", "action": "ROLLBACK"}
    botocore.validate.validate_parameters(
        create_service_params(inputs),
        service_model("ecs").operation_model("CreateService").input_shape,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"smoke_test": SmokeTestOptions()},
            "FargateServiceArgs.smoke_test: got SmokeTestOptions(",
        ),
        (
            {"deployment_strategy": RollingStrategy(), "smoke_test": SmokeTestOptions()},
            "a rolling deployment has no test traffic to check",
        ),
    ],
)
def test_a_rolling_service_cannot_have_one(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        service(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_bad_timing_is_refused_before_anything_registers() -> None:
    with pytest.raises(ConfigError) as caught:
        SmokeTestOptions(attempts=10, timeout_seconds=60)
    assert str(caught.value).startswith("SmokeTestOptions.timeout_seconds: got 60; at least ")


@pytest.mark.parametrize("stack", discover_stacks())
def test_smoke_test_hook_setting_per_stack(stack: str) -> None:
    """``smokeTestHook: true``: on a stack whose strategy is progressive the hook is there; on
    a rolling one the setting is refused, naming it, before anything registers."""
    rolling = stack_settings(stack).compute.by_profile("deployment_strategy") == "rolling"
    if rolling:
        with pytest.raises(ConfigError) as caught:
            run_stack(stack, overrides={"smokeTestHook": "true"})
        assert str(caught.value).startswith("slipway:smokeTestHook: got True; false with ")
        assert caught.value.recording.resources == []  # type: ignore[attr-defined]
        return
    recording = run_stack(stack, overrides={"smokeTestHook": "true"})
    function = recording.one(FUNCTION)
    assert function.inputs["name"] == f"storefront-{stack}-smoke-test"
    (hook,) = recording.one(SERVICE).inputs["deploymentConfiguration"]["lifecycleHooks"]
    assert hook["hookTargetArn"].endswith(":function:" + function.inputs["name"])
    assert not recorded(stack).of_type(FUNCTION)


# --- without a NAT ---------------------------------------------------------------------------

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def _progressive_stack() -> str:
    return next(
        s
        for s in discover_stacks()
        if stack_settings(s).compute.by_profile("deployment_strategy") != "rolling"
    )


def test_the_hook_without_a_nat_or_its_endpoints_is_refused_naming_both_keys() -> None:
    """The function calls ECS, ECR and EC2 from the private subnets: with ``natStrategy: none``
    and only the tasks' endpoints those calls time out, the hook fails and ECS rolls back every
    deployment. Refused before anything registers, naming the hook, the NAT strategy and the
    endpoints that would make it work."""
    stack = _progressive_stack()
    with pytest.raises(ConfigError) as caught:
        run_stack(stack, overrides={"smokeTestHook": "true", "natStrategy": "none"})
    message = str(caught.value)
    assert message.startswith(
        "slipway:smokeTestHook: got True; false with slipway:natStrategy none, unless "
        "slipway:vpcInterfaceEndpoints has the endpoints the hook calls from the private "
        "subnets (ecs, ecr.api, ec2; missing: ecs, ec2)"
    )
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_hook_without_a_nat_works_through_its_endpoints() -> None:
    """With the ECS and EC2 endpoints beside the default ones, the combination is accepted:
    the VPC gets an interface endpoint (private DNS on) for every API the function calls, in
    the subnets the function runs in, and there is no NAT."""
    stack = _progressive_stack()
    endpoints = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ecs", "ec2"]
    recording = run_stack(
        stack,
        overrides={
            "smokeTestHook": "true",
            "natStrategy": "none",
            "vpcInterfaceEndpoints": json.dumps(endpoints),
        },
    )
    assert recording.of_type("aws:ec2/natGateway:NatGateway") == []
    region = recording.region
    interfaces = {
        str(r.inputs["serviceName"]).removeprefix(f"com.amazonaws.{region}."): r
        for r in recording.of_type(ENDPOINT)
        if r.inputs["vpcEndpointType"] == "Interface"
    }
    assert set(API_ENDPOINTS) <= set(interfaces)
    function = recording.one(FUNCTION)
    for service_name in API_ENDPOINTS:
        endpoint = interfaces[service_name].inputs
        assert endpoint["privateDnsEnabled"] is True
        assert set(function.inputs["vpcConfig"]["subnetIds"]) <= set(endpoint["subnetIds"])


def test_the_endpoints_the_hook_needs_are_the_clients_it_reads_with() -> None:
    """Each API client of the handler (``Clients``) has its endpoint in API_ENDPOINTS (ECR's API
    is the ``ecr.api`` endpoint; ``ecr.dkr`` serves image pulls): a client added to the handler
    without its endpoint fails here."""
    from dataclasses import fields

    from slipway.hooks.smoke_test import Clients
    from slipway.network import INTERFACE_ENDPOINT_SERVICES

    endpoint_of = {"ecs": "ecs", "ecr": "ecr.api", "ec2": "ec2"}
    assert sorted(endpoint_of[f.name] for f in fields(Clients)) == sorted(API_ENDPOINTS)
    assert set(API_ENDPOINTS) <= set(INTERFACE_ENDPOINT_SERVICES)


@pytest.mark.parametrize(
    ("nat", "endpoints", "refused"),
    [
        ("none", ("ecr.api", "ecr.dkr", "logs"), True),
        ("none", ("ecr.api", "ecs", "ec2"), False),
        ("single", (), False),
        ("per_az", ("ecr.api",), False),
        ("regional", (), False),
    ],
)
def test_the_rule_beside_the_component(nat: str, endpoints: tuple[str, ...], refused: bool) -> None:
    problems = no_nat_endpoint_problems(nat, endpoints, ("hook", "nat", "endpoints"))
    assert bool(problems) is refused
    if refused:
        assert problems[0].startswith("hook: got True; false with nat none, unless endpoints ")
