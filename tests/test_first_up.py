"""The first ``pulumi up`` of every stack file, against the first-up model
(:mod:`tooling.first_up`): each resource that waits has its preconditions in the plan, in the
documented order or outside any wait, and the longest chain of waits fits the infra pipeline's
``up`` job. The stacks are the stack files (:data:`tooling.offline.STACKS`)."""

from __future__ import annotations

import dataclasses
import json

import pytest

import slipway.image_channel
from infra.stack import image_channel_prefix
from slipway import ConfigError
from slipway.deployment_strategy import is_progressive, rollout_minutes, strategy_of
from tests.conftest import recorded
from tooling import first_up
from tooling.offline import (
    ROOT,
    STACKS,
    HostedZone,
    Recording,
    run_stack,
    stack_settings,
)

ZONE = "Z0123456789ABCDEFGHIJ"
"""The offline account's public zone of acme-corp.example (EXAMPLE_HOSTED_ZONES)."""


def with_zone(stack: str) -> dict[str, str | None]:
    """``stack`` issuing its own certificate in the example zone (hostedZoneId)."""
    return {
        "certificateArn": None,
        "hostedZoneId": ZONE,
        "domainName": f"{stack}.acme-corp.example",
    }


def problems(stack: str, recording: Recording) -> list[str]:
    return first_up.first_up_problems(first_up.for_stack(stack, recording))


def replaced(recording: Recording, token: str, **changes: object) -> Recording:
    """A copy of ``recording`` with every resource of ``token`` changed."""
    resources = [
        dataclasses.replace(r, **changes) if r.type == token else r  # type: ignore[arg-type]
        for r in recording.resources
    ]
    return dataclasses.replace(recording, resources=resources)


def test_every_stack_files_first_up_fits_the_model(stack: Recording) -> None:
    assert problems(stack.stack, stack) == []


@pytest.mark.parametrize("name", STACKS)
def test_issuing_its_own_certificate_the_first_up_still_fits(name: str) -> None:
    recording = recorded(name, overrides=with_zone(name))
    validation = recording.one(first_up.CERTIFICATE_VALIDATION)
    assert dict(validation.custom_timeouts) == {"create": "30m"}
    assert problems(name, recording) == []
    total, chain = first_up.longest_wait(first_up.for_stack(name, recording))
    assert "service-certificate-validation" in chain
    assert total < first_up.for_stack(name, recording).job_minutes


def steady_state_stacks() -> list[str]:
    """The stack files whose service waits for steady state (waitForSteadyState, by profile:
    staging and prod)."""
    return [
        name for name in STACKS if stack_settings(name).compute.by_profile("wait_for_steady_state")
    ]


def test_the_model_fails_for_the_old_steady_state_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before this model, the service waited for steady state whenever the profile said so
    (staging and prod), the first up included. Running the program that way again breaks the
    model, naming each such stack file."""
    names = steady_state_stacks()
    assert len(names) >= 2, "staging and prod wait for steady state"
    monkeypatch.setattr(slipway.image_channel, "ci_has_deployed", lambda deployed: True)
    for name in names:
        old = run_stack(name)
        assert old.one(first_up.SERVICE).inputs["waitForSteadyState"] is True
        found = problems(name, old)
        assert any(
            p.startswith(f"Pulumi.{name}.yaml: ") and "steady state on the first up" in p
            for p in found
        ), found


def test_the_model_fails_for_the_provider_default_validation_timeout() -> None:
    """ACM validation waits 75 minutes by default: longer than the whole up job."""
    name = STACKS[-1]
    recording = replaced(
        recorded(name, overrides=with_zone(name)),
        first_up.CERTIFICATE_VALIDATION,
        custom_timeouts=(),
    )
    (found,) = problems(name, recording)
    assert found.startswith(f"Pulumi.{name}.yaml: a first up can wait 75 min along")
    assert "service-certificate-validation" in found


def test_the_model_fails_without_a_dependency_edge(stack: Recording) -> None:
    task_definition = stack.one("aws:ecs/taskDefinition:TaskDefinition").urn
    service = stack.one(first_up.SERVICE)
    kept = tuple(d for d in service.dependencies if d != task_definition)
    found = problems(stack.stack, replaced(stack, first_up.SERVICE, dependencies=kept))
    assert found == [
        f"Pulumi.{stack.stack}.yaml: {first_up.SERVICE} service-service does not depend on the "
        "task definition (aws:ecs/taskDefinition:TaskDefinition): same up, so the plan must "
        "create it first"
    ]


def test_the_model_fails_when_a_deployment_outlasts_the_update_timeout(
    stack: Recording,
) -> None:
    service = stack.one(first_up.SERVICE)
    rollout = rollout_minutes(strategy_of(service.inputs["deploymentConfiguration"]))
    short = (("create", f"{rollout}m"), ("update", f"{rollout}m"))
    found = problems(stack.stack, replaced(stack, first_up.SERVICE, custom_timeouts=short))
    assert found == [
        f"Pulumi.{stack.stack}.yaml: service-service: its update timeout ({rollout} min) does "
        f"not outlast one deployment of its strategy ({rollout} min), so an up that changes the "
        "task definition fails while ECS is still deploying"
    ]


def test_the_model_fails_when_no_deploy_workflow_reaches_the_environment(
    stack: Recording,
) -> None:
    up = dataclasses.replace(
        first_up.for_stack(stack.stack, stack), deploying_environments=frozenset()
    )
    (found,) = first_up.first_up_problems(up)
    assert found.startswith(f"Pulumi.{stack.stack}.yaml: service-service: no stack's deploy.yml")


def test_every_precondition_is_in_exactly_one_class_and_checked() -> None:
    for waiter in first_up.WAITERS:
        assert waiter.source.startswith(first_up.PROVIDER)
        for precondition in waiter.preconditions:
            same_up = precondition.kind is first_up.PreconditionKind.SAME_UP
            # A same-up precondition is a dependency edge; the others say how they hold.
            assert bool(precondition.needs) == same_up, precondition
            assert bool(precondition.how) != same_up, precondition


def test_the_waiters_are_those_the_stacks_register() -> None:
    registered = {
        r.type for name in STACKS for r in recorded(name, overrides=with_zone(name)).resources
    }
    assert {w.type for w in first_up.WAITERS} <= registered


@pytest.mark.parametrize(
    ("zones", "fragment"),
    [
        (
            {ZONE: HostedZone("acme-corp.example.", private=True)},
            "a public hosted zone: acme-corp.example is private",
        ),
        (
            {ZONE: HostedZone("other.example.")},
            "the hosted zone of domainName 'storefront.acme-corp.example': "
            f"{ZONE} is the zone of 'other.example'",
        ),
    ],
)
def test_a_hosted_zone_that_cannot_validate_stops_before_anything_is_registered(
    zones: dict[str, HostedZone], fragment: str
) -> None:
    name = STACKS[-1]
    overrides = {**with_zone(name), "domainName": "storefront.acme-corp.example"}
    with pytest.raises(ConfigError) as raised:
        run_stack(name, overrides=overrides, hosted_zones=zones)
    assert "slipway:hostedZoneId" in str(raised.value)
    assert fragment in str(raised.value)
    registered = raised.value.recording.resources  # type: ignore[attr-defined]
    assert [r.type for r in registered if not r.type.startswith("pulumi:providers:")] == []


def test_the_deployment_guide_carries_the_model() -> None:
    guide = (ROOT / "docs" / "deployment-guide.md").read_text(encoding="utf-8")
    assert first_up.markdown_table() in guide, "docs/deployment-guide.md: run `make docs`"


def test_first_up_minutes_parses_pulumi_durations() -> None:
    assert [first_up.minutes(d) for d in ("40m", "1h", "90s")] == [40, 60, 2]
    with pytest.raises(ValueError, match="is not <number>s, m or h"):
        first_up.minutes("40")


# --------------------------------------------------------------------------------------------
# Target-group replacement: a containerPort change a canary, linear or blue/green stack cannot
# make in one up is refused before anything is registered
# --------------------------------------------------------------------------------------------


def last_run(name: str, port: int) -> dict[str, str]:
    """The image channel as the last ``up`` of ``name`` left it, with the target groups on
    ``port``."""
    prefix = image_channel_prefix(stack_settings(name))
    record = {"shape": "c" * 64, "image": "ghcr.io/acme/app:bootstrap", "containerPort": port}
    return {f"{prefix}/registered": json.dumps(record)}


def by_strategy(progressive: bool) -> list[str]:
    return [n for n in STACKS if is_progressive(stack_settings(n).compute.strategy) == progressive]


def test_a_port_change_under_a_traffic_shifting_strategy_is_refused_with_the_steps() -> None:
    names = by_strategy(progressive=True)
    assert names, "some stack file shifts traffic (canary, linear or blue_green)"
    for name in names:
        settings = stack_settings(name)
        old, new = settings.compute.container_port, settings.compute.container_port + 1
        with pytest.raises(ConfigError) as raised:
            run_stack(
                name, overrides={"containerPort": str(new)}, ssm_parameters=last_run(name, old)
            )
        message = str(raised.value)
        assert (
            f"slipway:containerPort: got {new}; {old}, the port the target groups have" in message
        )
        assert (
            f"1. deploymentStrategy rolling with containerPort {old}; 2. containerPort {new}"
            in (message)
        )
        registered = raised.value.recording.resources  # type: ignore[attr-defined]
        assert [r.type for r in registered if not r.type.startswith("pulumi:providers:")] == []


def test_a_port_change_is_accepted_where_one_up_can_make_it() -> None:
    for name in by_strategy(progressive=False):
        port = stack_settings(name).compute.container_port
        changed = run_stack(
            name, overrides={"containerPort": str(port + 1)}, ssm_parameters=last_run(name, port)
        )
        assert changed.one("aws:lb/targetGroup:TargetGroup").inputs["port"] == port + 1
    for name in by_strategy(progressive=True):
        port = stack_settings(name).compute.container_port
        # The same port, or a record from before the port was recorded: nothing to refuse.
        same = recorded(name, ssm_parameters=last_run(name, port))
        registered = same.one("aws:ssm/parameter:Parameter", "service-image-registered")
        assert json.loads(registered.inputs["value"])["containerPort"] == port
