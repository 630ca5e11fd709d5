"""The offline runtime itself: what it skips to run faster, and the shared recordings the suite
hands to its tests."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime import resource as runtime_resource

from tests.conftest import recorded
from tests.test_registrations import fingerprint
from tooling.offline import Recording, run_stack

Runner = Callable[..., Recording]


def _one_resource() -> dict[str, Any]:
    resource = pulumi.CustomResource(
        "aws:cloudwatch/logGroup:LogGroup", "logs", {"name": "x", "tags": {"a": "b"}}
    )
    return {"name": resource.urn}


def test_registrations_skip_the_sdks_stack_walk_and_put_it_back(
    monkeypatch: pytest.MonkeyPatch, run_component: Runner
) -> None:
    """The SDK walks the Python stack for every registration, for source positions the mock
    monitor drops; the offline runtime does not let it, and restores the SDK afterwards."""

    def walk() -> Any:
        pytest.fail("the SDK walked the stack during an offline run")

    monkeypatch.setattr(runtime_resource, "_get_stack_trace", walk)
    recording = run_component(_one_resource)
    assert [r.name for r in recording.resources] == ["logs"]
    assert runtime_resource._get_stack_trace is walk


def test_a_shared_recording_refuses_every_change(run_component: Runner) -> None:
    original = run_component(_one_resource)
    original.warnings.append("seen")
    shared = original.read_only()
    assert shared == original
    (resource,) = shared.resources
    changes: list[Callable[[], Any]] = [
        lambda: shared.resources.append(resource),
        lambda: shared.resources.pop(),
        lambda: shared.resources.__setitem__(0, resource),
        lambda: shared.resources.sort(key=id),
        lambda: shared.warnings.clear(),
        lambda: shared.outputs.__setitem__("name", "other"),
        lambda: shared.outputs.update(name="other"),
        lambda: shared.secret_outputs.add("name"),
        lambda: resource.inputs.__setitem__("name", "y"),
        lambda: resource.inputs["tags"].pop("a"),
        lambda: resource.inputs.setdefault("other", 1),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(AttributeError, match="read-only"):
        shared.resources = []
    with pytest.raises(dataclasses.FrozenInstanceError):
        resource.inputs = {}  # type: ignore[misc]
    assert shared == original  # nothing changed
    assert json.loads(json.dumps(resource.inputs)) == {"name": "x", "tags": {"a": "b"}}


def test_a_copy_of_a_shared_recording_is_an_ordinary_one(run_component: Runner) -> None:
    shared = run_component(_one_resource).read_only()
    mine = copy.deepcopy(shared)
    assert mine == shared
    mine.resources[0].inputs["tags"]["a"] = "c"
    mine.warnings.append("mine")
    mine.resources = []
    assert shared.resources[0].inputs["tags"] == {"a": "b"}
    assert shared.warnings == []
    changed = dataclasses.replace(shared.resources[0], inputs={"name": "y"})
    assert changed.inputs == {"name": "y"}
    assert dataclasses.replace(shared, resources=[changed]).resources == [changed]


def test_recorded_runs_each_set_of_settings_once_and_shares_it_read_only() -> None:
    assert recorded("dev") is recorded("dev")
    assert recorded("dev", overrides={"waf": "true"}) is recorded("dev", {"waf": "true"})
    assert recorded("dev", overrides={"waf": "true"}) is not recorded("dev")
    fresh = run_stack("dev", overrides={"waf": "true"})
    shared = recorded("dev", overrides={"waf": "true"})
    # The same registrations (their order, and their dependencies' order, follow the
    # program's asynchronous work).
    assert sorted(map(fingerprint, shared.resources)) == sorted(map(fingerprint, fresh.resources))
    assert dataclasses.replace(shared, resources=[]) == dataclasses.replace(fresh, resources=[])
    with pytest.raises(TypeError, match="read-only"):
        recorded("dev").resources.clear()
