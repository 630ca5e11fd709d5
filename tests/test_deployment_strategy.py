"""Deployment strategies: ECS's limits, the time each takes, what a non-rolling FargateService
registers, and that AWS's models accept it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway.deployment_strategy import (
    BAKE_TIME_MAX_MINUTES,
    BlueGreenStrategy,
    CanaryStrategy,
    LifecycleHook,
    LinearStrategy,
    RollingStrategy,
    TrafficStep,
    bake_time_problems,
    canary_percent_problems,
    deployment_strategy,
    describe,
    ecs_limits,
    lifecycle_stages,
    linear_step_percent_problems,
    step_interval_problems,
    strategy_kind_problems,
    strategy_of,
    time_to_full_traffic,
)
from slipway.errors import ConfigError
from slipway.fargate_service import FargateService, FargateServiceArgs, PlacementOptions
from slipway.load_balancer import ECS_LB_POLICY, ListenerOptions
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_trust_policy
from tests.test_fargate_service import (
    ALARM,
    BASE,
    INGRESS,
    LISTENER,
    ROLE,
    SERVICE,
    TARGET_GROUP,
    create_service_params,
    grouped,
    update_service_params,
)
from tooling.offline import ACCOUNT_ID, STACKS, Recording, run_stack

Runner = Callable[..., Recording]
RULE = "aws:lb/listenerRule:ListenerRule"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
VPC_CIDR = "10.20.0.0/16"
NAT_IP = "203.0.113.7"
HOOK_FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:shop-prod-smoke-test"
HOOK_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/shop-prod-hook"
HOOK = LifecycleHook(
    hook_target_arn=HOOK_FUNCTION,
    role_arn=HOOK_ROLE,
    lifecycle_stages=("POST_TEST_TRAFFIC_SHIFT",),
    hook_details={"healthPath": "/health"},
)
PLACEMENT = grouped(PlacementOptions, vpc_cidr=VPC_CIDR, nat_public_ips=(NAT_IP,))


# --------------------------------------------------------------------------------------------
# ECS's limits, from botocore's model
# --------------------------------------------------------------------------------------------


def test_limits_are_read_from_botocores_ecs_model() -> None:
    limits = ecs_limits()
    assert (limits.canary_percent.low, limits.canary_percent.high) == (0.1, 100.0)
    assert limits.canary_percent.step == 0.1
    assert (limits.linear_step_percent.low, limits.linear_step_percent.high) == (3.0, 100.0)
    assert limits.linear_step_percent.step == 0.1
    for minutes in (limits.canary_interval_minutes, limits.linear_interval_minutes):
        assert (minutes.low, minutes.high, minutes.step) == (0, 1440, None)
    assert limits.canary_percent.source == "CanaryConfiguration.canaryPercent"


def test_the_model_has_no_range_metadata_and_none_for_the_bake_time() -> None:
    """The limits come from the documentation text because the shapes carry no min/max; the
    deployment bake time's documentation gives no range, so its most is a documented
    constant. If botocore starts to say either, this test says to read it from there."""
    for shape, member in (
        ("CanaryConfiguration", "canaryPercent"),
        ("LinearConfiguration", "stepPercent"),
        ("DeploymentConfiguration", "bakeTimeInMinutes"),
    ):
        metadata = service_model("ecs").shape_for(shape).members[member].metadata
        assert not {"min", "max"} & set(metadata), (shape, member)
    bake = (
        service_model("ecs")
        .shape_for("DeploymentConfiguration")
        .members["bakeTimeInMinutes"]
        .documentation
    )
    assert "Valid values" not in bake
    assert ecs_limits().bake_time_minutes.high == BAKE_TIME_MAX_MINUTES == 1440


@pytest.mark.parametrize(
    ("rule", "value", "ok"),
    [
        (canary_percent_problems, 0.1, True),
        (canary_percent_problems, 10, True),
        (canary_percent_problems, 12.5, True),
        (canary_percent_problems, 100, True),
        (canary_percent_problems, 0, False),
        (canary_percent_problems, 0.05, False),
        (canary_percent_problems, 12.55, False),
        (canary_percent_problems, 101, False),
        (canary_percent_problems, True, False),
        (linear_step_percent_problems, 3, True),
        (linear_step_percent_problems, 2.9, False),
        (linear_step_percent_problems, 100, True),
        (step_interval_problems, 0, True),
        (step_interval_problems, 1440, True),
        (step_interval_problems, 1441, False),
        (step_interval_problems, -1, False),
        (step_interval_problems, 1.5, False),
        (bake_time_problems, 0, True),
        (bake_time_problems, 1440, True),
        (bake_time_problems, 1441, False),
        (strategy_kind_problems, "canary", True),
        (strategy_kind_problems, "blue_green", True),
        (strategy_kind_problems, "CANARY", False),
        (strategy_kind_problems, "bluegreen", False),
    ],
)
def test_rules_name_the_setting_the_value_and_ecs_limits(
    rule: Callable[[object, str], list[str]], value: object, ok: bool
) -> None:
    problems = rule(value, "slipway:x")
    assert (problems == []) is ok
    if not ok:
        (problem,) = problems
        assert problem.startswith(f"slipway:x: got {value!r}; ")
        assert "ECS's" in problem or "rolling or canary or linear or blue_green" in problem


# --------------------------------------------------------------------------------------------
# Time to full traffic
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "full", "complete", "steps"),
    [
        (RollingStrategy(), 0, 0, [(0, 100)]),
        (BlueGreenStrategy(bake_minutes=20), 0, 20, [(0, 100)]),
        (CanaryStrategy(10, 10, 15), 10, 25, [(0, 10), (10, 100)]),
        (CanaryStrategy(100, 10, 15), 0, 15, [(0, 100)]),
        # Percent, interval and bake all differ: a swap of any two changes the timeline.
        (CanaryStrategy(5, 3, 15), 3, 18, [(0, 5), (3, 100)]),
        (LinearStrategy(25, 2, 5), 6, 11, [(0, 25), (2, 50), (4, 75), (6, 100)]),
        # 11 % steps: nine waits, the last step moves the remaining 1 % (CloudFormation's
        # LinearConfiguration: "if StepPercent is 11, the number of deployment steps is 9").
        (LinearStrategy(11, 1, 0), 9, 9, None),
        (LinearStrategy(10, 6, 0), 54, 54, None),
        (LinearStrategy(100, 6, 3), 0, 3, [(0, 100)]),
        (LinearStrategy(33.3, 4, 0), 12, 12, [(0, 33.3), (4, 66.6), (8, 99.9), (12, 100)]),
    ],
)
def test_time_to_full_traffic(
    strategy: Any, full: int, complete: int, steps: list[tuple[int, float]] | None
) -> None:
    timeline = strategy.timeline()
    assert time_to_full_traffic(strategy) == timeline.full_traffic_minutes == full
    assert timeline.complete_minutes == complete
    assert timeline.steps[-1] == TrafficStep(full, 100.0)
    percents = [step.percent for step in timeline.steps]
    assert percents == sorted(percents)
    if steps is not None:
        assert [(s.minute, s.percent) for s in timeline.steps] == steps


def test_the_flat_settings_make_the_typed_strategy() -> None:
    values = {
        "canary_percent": 5,
        "linear_step_percent": 20,
        "step_interval_minutes": 3,
        "bake_time_minutes": 7,
    }
    assert deployment_strategy("rolling", **values) == RollingStrategy()
    assert deployment_strategy("canary", **values) == CanaryStrategy(5, 3, 7)
    assert deployment_strategy("linear", **values) == LinearStrategy(20, 3, 7)
    assert deployment_strategy("blue_green", **values) == BlueGreenStrategy(7)


def test_the_one_line_description_names_each_parameter_in_its_place() -> None:
    """Percent, interval and bake differ, so a swap of any two changes the line."""
    assert describe(CanaryStrategy(5, 3, 7)) == (
        "canary: 5 % for 3 min, then 100 %; bake 7 min; full traffic after 3 min, "
        "complete after 10 min"
    )
    assert describe(LinearStrategy(20, 3, 7)) == (
        "linear: 20 % more every 3 min (5 steps); bake 7 min; full traffic after 12 min, "
        "complete after 19 min"
    )


@pytest.mark.parametrize(
    ("settings", "configuration"),
    [
        (
            {"deploymentStrategy": "canary", "canaryPercent": "15", "stepIntervalMinutes": "7"},
            {"canaryConfiguration": {"canaryPercent": 15.0, "canaryBakeTimeInMinutes": "7"}},
        ),
        (
            {"deploymentStrategy": "linear", "linearStepPercent": "20", "stepIntervalMinutes": "3"},
            {"linearConfiguration": {"stepPercent": 20.0, "stepBakeTimeInMinutes": "3"}},
        ),
    ],
    ids=["canary", "linear"],
)
def test_a_stacks_strategy_settings_reach_the_service_each_in_its_place(
    settings: dict[str, str], configuration: dict[str, Any]
) -> None:
    """From ``Pulumi.<stack>.yaml`` to the service's deploymentConfiguration, with values
    that differ from each other and from every profile's (10 % and 10 min in prod), so a swap
    anywhere on the way shows. One stack file is enough: the path is the same for all."""
    stack = sorted(STACKS)[0]
    recording = run_stack(stack, overrides={**settings, "bakeTimeMinutes": "4"})
    registered = recording.one(SERVICE).inputs["deploymentConfiguration"]
    assert {key: registered.get(key) for key in configuration} == configuration
    assert registered["bakeTimeInMinutes"] == "4"


def test_strategy_parameters_are_refused_together_naming_each_field() -> None:
    with pytest.raises(ConfigError) as caught:
        CanaryStrategy(percent=0, interval_minutes=2000, bake_minutes=-5)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "CanaryStrategy.percent",
        "CanaryStrategy.interval_minutes",
        "CanaryStrategy.bake_minutes",
    ]


# --------------------------------------------------------------------------------------------
# Lifecycle hooks
# --------------------------------------------------------------------------------------------


def test_hook_stages_are_botocores_enum() -> None:
    assert "POST_TEST_TRAFFIC_SHIFT" in lifecycle_stages()
    assert lifecycle_stages() == tuple(
        service_model("ecs").shape_for("DeploymentLifecycleHookStage").enum
    )
    with pytest.raises(ConfigError) as caught:
        LifecycleHook(HOOK_FUNCTION, HOOK_ROLE, ("AFTER_TEST",))
    message = str(caught.value)
    assert message.startswith("LifecycleHook.lifecycle_stages: got ['AFTER_TEST'];")
    assert "POST_TEST_TRAFFIC_SHIFT" in message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hook_target_arn": "arn:aws:sns:eu-west-1:111122223333:topic"}, "hook_target_arn"),
        ({"role_arn": "shop-prod-hook"}, "role_arn"),
        ({"lifecycle_stages": ()}, "lifecycle_stages"),
        ({"lifecycle_stages": ("PRE_SCALE_UP", "PRE_SCALE_UP")}, "lifecycle_stages"),
        ({"hook_details": {"when": object()}}, "hook_details"),
    ],
)
def test_bad_hooks_are_refused(fields: dict[str, Any], field: str) -> None:
    base = {
        "hook_target_arn": HOOK_FUNCTION,
        "role_arn": HOOK_ROLE,
        "lifecycle_stages": ("POST_TEST_TRAFFIC_SHIFT",),
    }
    with pytest.raises(ConfigError) as caught:
        LifecycleHook(**{**base, **fields})
    assert str(caught.value).startswith(f"LifecycleHook.{field}: got ")


def test_hooks_need_a_non_rolling_strategy_and_a_known_vpc() -> None:
    with pytest.raises(ConfigError) as caught:
        FargateServiceArgs(**{**BASE, "lifecycle_hooks": (HOOK,)})
    assert "FargateServiceArgs.lifecycle_hooks: got 1; no lifecycle hooks with a rolling" in str(
        caught.value
    )
    with pytest.raises(ConfigError) as caught:
        FargateServiceArgs(**{**BASE, "deployment_strategy": CanaryStrategy()})
    assert "FargateServiceArgs.deployment_strategy: got 'canary'; rolling unless " in str(
        caught.value
    )
    with pytest.raises(ConfigError) as caught:
        FargateServiceArgs(**{**BASE, "deployment_strategy": "canary"})
    assert "FargateServiceArgs.deployment_strategy: got 'canary'; RollingStrategy," in str(
        caught.value
    )


# --------------------------------------------------------------------------------------------
# What a non-rolling service registers
# --------------------------------------------------------------------------------------------

_recordings: dict[str, Recording] = {}


def progressive(
    run: Runner, strategy: Any, region: str = "eu-west-1", **overrides: Any
) -> Recording:
    key = repr((strategy, region, sorted(overrides.items())))
    if key not in _recordings:

        def program() -> dict[str, Any]:
            component = FargateService(
                "web",
                FargateServiceArgs(
                    **{
                        **BASE,
                        "placement": PLACEMENT,
                        "deployment_strategy": strategy,
                        "lifecycle_hooks": (HOOK,),
                        **overrides,
                    }
                ),
            )
            assert component.alternate_target_group_arn is not None
            return {
                "alternate_tg": component.alternate_target_group_arn,
                "role": component.infrastructure_role_arn,
                "tg": component.target_group_arn,
                "alarm_keys": list(component.rollback_alarm_keys),
                "alarm_arns": component.rollback_alarm_arns,
                "test_url": component.test_url,
            }

        _recordings[key] = run(program, region=region)
    return _recordings[key]


# Every parameter differs from the others (and from the profiles' 10 % and 10 min), so that a
# swap of two shows in the registered configuration.
STRATEGIES = [CanaryStrategy(12.5, 7, 15), LinearStrategy(25, 2, 5), BlueGreenStrategy(15)]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.kind.value)
def test_service_inputs_validate_against_create_and_update_service(
    run_component: Runner, strategy: Any
) -> None:
    inputs = progressive(run_component, strategy).one(SERVICE).inputs
    created = create_service_params(inputs)
    botocore.validate.validate_parameters(
        created, service_model("ecs").operation_model("CreateService").input_shape
    )
    botocore.validate.validate_parameters(
        update_service_params(inputs),
        service_model("ecs").operation_model("UpdateService").input_shape,
    )
    configuration = created["deploymentConfiguration"]
    assert configuration["strategy"] == strategy.kind.ecs
    # What the plan and the docs read back is what was given.
    assert strategy_of(inputs["deploymentConfiguration"]) == strategy
    assert configuration["bakeTimeInMinutes"] == strategy.bake_minutes
    assert configuration["lifecycleHooks"] == [
        {
            "hookTargetArn": HOOK_FUNCTION,
            "roleArn": HOOK_ROLE,
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "hookDetails": {"healthPath": "/health"},
        }
    ]
    if isinstance(strategy, CanaryStrategy):
        assert configuration["canaryConfiguration"] == {
            "canaryPercent": 12.5,
            "canaryBakeTimeInMinutes": 7,
        }
    if isinstance(strategy, LinearStrategy):
        assert configuration["linearConfiguration"] == {
            "stepPercent": 25.0,
            "stepBakeTimeInMinutes": 2,
        }
    # Alarm rollback and the circuit breaker stay on for the whole deployment, bake included.
    assert configuration["alarms"]["rollback"] is True
    assert configuration["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_the_load_balancer_gets_a_second_target_group_and_both_rules(
    run_component: Runner,
) -> None:
    recording = progressive(run_component, CanaryStrategy())
    outputs = recording.outputs
    (lb,) = recording.one(SERVICE).inputs["loadBalancers"]
    advanced = lb["advancedConfiguration"]
    assert lb["targetGroupArn"] == outputs["tg"]
    assert advanced["alternateTargetGroupArn"] == outputs["alternate_tg"] != outputs["tg"]
    assert advanced["roleArn"] == outputs["role"]
    groups = {r.name: r.inputs for r in recording.of_type(TARGET_GROUP)}
    assert set(groups) == {"web-tg", "web-tg-alt"}
    assert groups["web-tg"]["healthCheck"] == groups["web-tg-alt"]["healthCheck"]

    production = recording.one(RULE, "web-production-rule")
    test = recording.one(RULE, "web-test-rule")
    listeners = {r.name: r for r in recording.of_type(LISTENER)}
    assert set(listeners) == {"web-https", "web-http", "web-test-https"}
    assert ":listener/app/" in production.inputs["listenerArn"]
    assert production.inputs["listenerArn"] != test.inputs["listenerArn"]
    assert advanced["productionListenerRule"] != advanced["testListenerRule"]
    (forward,) = production.inputs["actions"]
    assert forward["forward"]["targetGroups"] == [
        {"arn": outputs["tg"], "weight": 100},
        {"arn": outputs["alternate_tg"], "weight": 0},
    ]
    (to_green,) = test.inputs["actions"]
    assert to_green["targetGroupArn"] == outputs["alternate_tg"]
    # ECS moves the weights and swaps the groups: Pulumi never writes the actions back.
    assert production.ignore_changes == ("actions",)
    assert test.ignore_changes == ("actions",)
    test_listener = listeners["web-test-https"].inputs
    assert test_listener["port"] == 8443
    assert outputs["test_url"].startswith("https://")
    assert outputs["test_url"].endswith(":8443")
    assert test_listener["protocol"] == "HTTPS"
    assert test_listener["sslPolicy"] == listeners["web-https"].inputs["sslPolicy"]
    # The service waits for both rules and the role's policy.
    depends = recording.one(SERVICE).dependencies
    assert production.urn in depends
    assert test.urn in depends
    assert recording.one(ATTACHMENT).urn in depends


def test_the_test_listener_admits_only_the_vpc_and_its_nat_addresses(
    run_component: Runner,
) -> None:
    recording = progressive(run_component, BlueGreenStrategy())
    test_rules = [r.inputs for r in recording.of_type(INGRESS) if r.inputs["fromPort"] == 8443]
    assert {r["cidrIpv4"] for r in test_rules} == {f"{NAT_IP}/32", VPC_CIDR}
    for rule in test_rules:
        assert rule["toPort"] == 8443
        assert (
            rule["securityGroupId"]
            == recording.one(INGRESS, "web-alb-in-443-0.0.0.0-0").inputs["securityGroupId"]
        )
    world = [
        r.inputs for r in recording.of_type(INGRESS) if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    ]
    assert {r["fromPort"] for r in world} == {80, 443}


def test_plain_http_mode_tests_on_8080(run_component: Runner) -> None:
    recording = progressive(
        run_component,
        LinearStrategy(),
        listener=ListenerOptions(allow_plain_http=True),
    )
    listener = recording.one(LISTENER, "web-test-http").inputs
    assert (listener["port"], listener["protocol"]) == (8080, "HTTP")
    assert "certificateArn" not in listener
    assert {r.name for r in recording.of_type(LISTENER)} == {"web-http", "web-test-http"}


@pytest.mark.parametrize(("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn")])
def test_the_infrastructure_role_trusts_ecs_with_awss_managed_policy(
    run_component: Runner, region: str, partition: str
) -> None:
    recording = progressive(run_component, CanaryStrategy(), region=region)
    role = recording.one(ROLE, "web-ecs-lb-role")
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    attachment = recording.one(ATTACHMENT, "web-ecs-lb-policy")
    assert attachment.inputs["policyArn"] == f"arn:{partition}:iam::aws:policy/{ECS_LB_POLICY}"
    assert attachment.inputs["role"].startswith("web-ecs-lb-role")


def test_rollback_alarms_watch_both_target_groups(run_component: Runner) -> None:
    recording = progressive(run_component, CanaryStrategy())
    alarms = {r.inputs["name"]: r.inputs for r in recording.of_type(ALARM)}
    assert set(alarms) == {
        "shop-prod-target-5xx",
        "shop-prod-unhealthy-hosts",
        "shop-prod-target-5xx-alternate",
        "shop-prod-unhealthy-hosts-alternate",
    }
    outputs = recording.outputs
    for name, alarm in alarms.items():
        expected = outputs["alternate_tg" if name.endswith("-alternate") else "tg"]
        assert expected.endswith(":" + alarm["dimensions"]["TargetGroup"])
    service_alarms = recording.one(SERVICE).inputs["alarms"]
    assert sorted(service_alarms["alarmNames"]) == sorted(alarms)
    assert service_alarms["rollback"] is True
    assert service_alarms["enable"] is True
    # ServiceMonitoring's stand-ins stay the production target group's two keys.
    assert recording.outputs["alarm_keys"] == ["target-5xx", "unhealthy-hosts"]
    assert set(recording.outputs["alarm_arns"]) == {"target-5xx", "unhealthy-hosts"}


def test_a_rolling_service_registers_none_of_it(run_component: Runner) -> None:
    def program() -> dict[str, Any]:
        component = FargateService("web", FargateServiceArgs(**{**BASE, "placement": PLACEMENT}))
        assert component.alternate_target_group_arn is None
        assert component.alternate_alarm_arns == []
        return {}

    recording = run_component(program)
    assert recording.of_type(RULE) == []
    assert recording.of_type(ATTACHMENT) == []
    assert [r.name for r in recording.of_type(TARGET_GROUP)] == ["web-tg"]
    (lb,) = recording.one(SERVICE).inputs["loadBalancers"]
    assert "advancedConfiguration" not in lb
    assert recording.one(SERVICE).inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert not [r for r in recording.of_type(INGRESS) if r.inputs["fromPort"] == 8443]


def test_hook_details_are_sent_as_json(run_component: Runner) -> None:
    (hook,) = (
        progressive(run_component, CanaryStrategy())
        .one(SERVICE)
        .inputs["deploymentConfiguration"]["lifecycleHooks"]
    )
    assert json.loads(hook["hookDetails"]) == {"healthPath": "/health"}
