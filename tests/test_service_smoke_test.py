"""A service that owns its smoke-test hook (``FargateServiceArgs.smoke_test``, the stack's
``smokeTestHook``): the hook is a child of the service, ECS invokes it after test traffic
reaches a new revision and rolls back when it fails or does not answer in time."""

from __future__ import annotations

from typing import Any

import botocore.validate
import pytest

from slipway.deployment_strategy import CanaryStrategy, RollingStrategy
from slipway.errors import ConfigError
from slipway.fargate_service import FargateService, FargateServiceArgs, PlacementOptions
from slipway.smoke_test_hook import SmokeTestOptions
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
