"""Every setting has exactly one rule, and where a component takes the value, the rule is the
component's own (``component_rule``): a setting never keeps a copy that could drift from the
component, accept what the component refuses after dozens of registrations, or refuse what the
component accepts (issue 21, section 4)."""

from __future__ import annotations

import enum
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import AfterValidator
from pydantic.fields import FieldInfo

from infra.common import key
from infra.settings import all_fields, parse_settings, pulumi_type
from slipway import ConfigError
from slipway.patterns import region_problems
from tooling.offline import run_stack

SETTINGS_ONLY: dict[str, str] = {
    "environment": "Slipway's own naming rule (infra.common.NAME): part of every resource name "
    "the stack makes; no component takes the name itself",
    "app_name": "the same naming rule as environment",
    "reserved_cidrs": "ranges vpcCidr must avoid; no component takes them (the network "
    "domain's rule across settings compares vpcCidr with them)",
}
"""Settings whose rule lives beside the settings, because no component takes their value."""

ACROSS_SETTINGS: dict[str, tuple[str, str]] = {
    "task_cpu": ("300", "slipway:taskCpu"),
    "task_memory": ("100", "slipway:taskMemory"),
    "min_count": ("0", "slipway:minCount"),
    "max_count": ("1000", "slipway:maxCount"),
    "reviewers": ('["not a login!"]', "slipway:reviewers"),
    "reviewer_teams": ('["Not A Team"]', "slipway:reviewerTeams"),
}
"""Open-typed settings without a validator of their own: their component's rule takes them
together with another setting (a Fargate size is a CPU and a memory; the counts bound each
other; reviewers and teams share one limit), so it runs among the rules across settings.
Each: a value that rule refuses, and the key it must name."""

BASE = {"profile": "dev", "githubRepository": "acme-corp/storefront"}


def _closed(annotation: Any) -> bool:
    """bool, an enum or a Literal (optionally ``| None``): the type is the whole rule."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType):
        return len(args) == 1 and _closed(args[0])
    if get_origin(annotation) is Literal:
        return True
    return annotation is bool or (inspect.isclass(annotation) and issubclass(annotation, enum.Enum))


def _component_objects() -> dict[int, str]:
    """Every object a module of the component library defines or exports, by identity."""
    found: dict[int, str] = {}
    for name, module in list(sys.modules.items()):
        if name == "slipway" or name.startswith("slipway."):
            for attribute, value in vars(module).items():
                found.setdefault(id(value), f"{name}.{attribute}")
    return found


def _reaches_component(func: Callable[..., Any], depth: int = 0) -> bool:
    """True when ``func`` is a component function, or a settings wrapper that calls one (its
    arguments fixed, such as desiredCount's minimum of one task)."""
    if func.__module__.startswith("slipway"):
        return True
    if depth > 3:
        return False
    referenced = inspect.getclosurevars(func)
    return any(
        inspect.isfunction(value) and _reaches_component(value, depth + 1)
        for value in (*referenced.globals.values(), *referenced.nonlocals.values())
    )


def _rule_home(name: str, info: FieldInfo) -> str:
    """Where the one rule of a setting lives (fails when it has none or more than one)."""
    constraints = [m for m in info.metadata if not isinstance(m, AfterValidator)]
    assert constraints == [], (
        f"{key(name)}: pydantic constraints {constraints} keep a copy of the rule (and speak "
        "pydantic's words); use component_rule"
    )
    validators = [m for m in info.metadata if isinstance(m, AfterValidator)]
    assert len(validators) <= 1, f"{key(name)}: {len(validators)} rules; one, please"
    if not validators:
        if _closed(info.annotation):
            return "type"
        assert name in ACROSS_SETTINGS, f"{key(name)} has no rule"
        return "across settings"
    func = validators[0].func
    captured = inspect.getclosurevars(func).nonlocals
    if func.__qualname__.startswith("component_rule."):
        check = captured["check"]
        assert _reaches_component(check), f"{key(name)}: {check.__qualname__} is no component's"
        return "component"
    if func.__qualname__.startswith("optional."):
        pattern = captured["pattern"]
        assert id(pattern) in _component_objects(), (
            f"{key(name)}: its pattern {pattern.pattern!r} is a copy; import the component's"
        )
        return "component pattern"
    assert name in SETTINGS_ONLY, (
        f"{key(name)}: {func.__qualname__} is the settings' own rule; route it through the "
        "component's with component_rule, or say in SETTINGS_ONLY why no component has one"
    )
    return "settings"


def test_every_setting_has_exactly_one_rule_and_it_is_the_components() -> None:
    homes = {name: _rule_home(name, info) for name, info in all_fields().items()}
    assert {n for n, h in homes.items() if h == "settings"} == set(SETTINGS_ONLY)
    assert {n for n, h in homes.items() if h == "across settings"} == set(ACROSS_SETTINGS)
    # The five that kept their own copy (issue 21) now use the component's rule.
    for name in (
        "ingress_cidrs",
        "deploy_branch_patterns",
        "deploy_tag_patterns",
        "bootstrap_image",
        "ghcr_image",
    ):
        assert homes[name] == "component", name


@pytest.mark.parametrize(("field_name", "case"), sorted(ACROSS_SETTINGS.items()))
def test_a_setting_checked_across_settings_is_still_checked(
    field_name: str, case: tuple[str, str]
) -> None:
    value, setting = case
    with pytest.raises(ConfigError) as caught:
        parse_settings({**BASE, key(field_name).split(":")[1]: value}, set(), "dev")
    assert any(p.startswith(setting) for p in caught.value.problems), caught.value.problems


def _bad_value(info: FieldInfo) -> str:
    kind = pulumi_type(info)
    return {"integer": "-7", "array": '["\\u0001 bad"]', "string": "\u0001 bad"}.get(kind, "")


def test_no_message_speaks_pydantic() -> None:
    """Every setting given a bad value: each problem names the key, in the project's words
    ("one of 'dev', 'staging' or 'prod'"), never pydantic's ("Input should be …")."""
    seen = 0
    for name, info in all_fields().items():
        value = _bad_value(info)
        if not value:
            continue
        config_key = key(name).split(":")[1]
        try:
            parse_settings({**BASE, config_key: value}, set(), "dev")
        except ConfigError as error:
            seen += 1
            for problem in error.problems:
                assert "Input should" not in problem, problem
                assert "should be" not in problem.lower(), problem
    assert seen > 60


def test_an_enum_setting_lists_what_is_allowed_in_the_projects_words() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({**BASE, "imageSource": "dockerhub"}, set(), "dev")
    assert caught.value.problems == ["slipway:imageSource: got 'dockerhub'; one of 'ecr' or 'ghcr'"]


@pytest.mark.parametrize("value", ["mars-1", "eu-west-9", "Ireland", "us-east", "EU_WEST_1"])
def test_the_region_message_stays_short(value: str) -> None:
    """It listed every region on one 729-character line; now the near ones or the areas."""
    (problem,) = region_problems(value, "aws:region")
    assert problem.startswith(f"aws:region: got {value!r};")
    assert len(problem) <= 300, len(problem)


def test_a_bootstrap_image_the_component_accepts_the_settings_accept() -> None:
    """The settings refused ``nginx:1.25`` (they wanted a registry host) while the service
    accepted it; with one rule both accept it, and the service starts from it."""
    recording = run_stack("dev", overrides={"bootstrapImage": "nginx:1.25"})
    (task,) = recording.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert "nginx:1.25" in str(task.inputs["containerDefinitions"])


def test_up_refuses_a_deploy_timeout_too_short_for_its_own_strategy() -> None:
    """What the cross-stack checks can tell from one stack alone runs in its own program
    (``pulumi up``), before anything is registered: prod's canary needs 75 minutes."""
    with pytest.raises(ConfigError) as caught:
        run_stack("prod", overrides={"deployTimeoutMinutes": "40"})
    assert caught.value.problems == [
        "slipway:deployTimeoutMinutes (Pulumi.prod.yaml): got 40; at least 75, which waits 30 "
        "minutes for a deployment and as long for its rollback (it waits 12): Pulumi.prod.yaml "
        "deploys canary: 10 % for 10 min, then 100 %; bake 15 min; full traffic after 10 min, "
        "complete after 25 min, after its tasks start (5 min)"
    ]
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
