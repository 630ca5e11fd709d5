"""The benchmark's machinery (``make bench``): its report, its floors and its targets.

No timing is asserted here: speed is measured by ``python -m tooling.bench``, on a quiet machine.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tooling.bench import (
    STACKS_TARGET,
    Case,
    Report,
    assert_same_resources,
    evaluate,
    scaling_of,
)
from tooling.bench.__main__ import main
from tooling.bench.programs import (
    CONFIG,
    floor_program,
    python_name,
    resource_class,
    synthetic_program,
    typed_floor_program,
)
from tooling.offline import STACKS, Recording, run_program

CASE_KEYS = {
    "case",
    "kind",
    "services",
    "resources",
    "components",
    "seconds",
    "median_seconds",
    "ms_per_resource",
    "gc_seconds",
    "floor_seconds",
    "ratio",
    "typed_floor_seconds",
    "typed_ratio",
    "floor_gc_seconds",
    "typed_gc_seconds",
    "samples",
}


def _run(program: object) -> Recording:
    return run_program("bench", CONFIG, (), program)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def two_services() -> Recording:
    return _run(synthetic_program(2))


def test_quick_json_report_has_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    # The stacks go through the same measure_case; `make bench` checks their floors each run.
    assert main(["--quick", "--json", "--services", "1", "--stacks"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["case"] for c in report["cases"]] == ["synthetic:1"]
    for case in report["cases"]:
        assert set(case) == CASE_KEYS
        assert case["resources"] > 0
        assert case["seconds"] > 0
        assert case["floor_seconds"] > 0
        assert case["ratio"] == pytest.approx(case["seconds"] / case["floor_seconds"])
        assert case["ms_per_resource"] == pytest.approx(1000 * case["seconds"] / case["resources"])
        assert {name: len(runs) for name, runs in case["samples"].items()} == {
            "components": 1,
            "floor": 1,
            "typed": 1,
        }
    assert report["method"]["reps"] == 1
    assert report["method"]["quick"] is True
    assert set(report["imports"]) == {"pulumi", "pulumi_aws", "slipway", "total"}
    assert report["plan_wall"] is None  # quick skips the fresh tooling.plan process
    assert report["scaling"] is None  # one size only
    assert {"cpus", "cpu_model", "memory", "python", "packages"} <= set(report["machine"])
    assert report["machine"]["packages"]["pulumi-aws"] != "not installed"
    names = [t["name"] for t in report["targets"]]
    assert names == ["synthetic:1 <= 1.3x the floor"]


def test_synthetic_program_builds_network_cluster_and_services(two_services: Recording) -> None:
    components = Counter(r.type for r in two_services.resources if not r.custom)
    assert components["slipway:index:Network"] == 1
    assert components["slipway:index:EcsCluster"] == 1
    assert components["slipway:index:FargateService"] == 2
    assert len(two_services.of_type("aws:ecs/service:Service")) == 2
    # each service brings its own log group; the network has the flow logs'
    assert len(two_services.of_type("aws:cloudwatch/logGroup:LogGroup")) == 2 + 1


@pytest.mark.parametrize("make_floor", [floor_program, typed_floor_program])
def test_floors_register_exactly_the_components_resources(
    two_services: Recording, make_floor: object
) -> None:
    floor = _run(make_floor(two_services.resources))  # type: ignore[operator]
    custom = [r for r in two_services.resources if r.custom]
    assert len(floor.resources) == len(custom)
    assert all(r.custom and r.parent_type in ("", "pulumi:pulumi:Stack") for r in floor.resources)
    assert sorted((r.type, r.name) for r in floor.resources) == sorted(
        (r.type, r.name) for r in custom
    )
    by_key = {(r.type, r.name): r for r in floor.resources}
    for resource in custom:
        twin = by_key[(resource.type, resource.name)]
        assert twin.inputs == resource.inputs
        assert twin.secret_inputs == resource.secret_inputs
    assert_same_resources(two_services, floor, "floor")


def test_a_floor_that_differs_is_caught(two_services: Recording) -> None:
    fewer = Recording(stack="bench", resources=[r for r in two_services.resources if r.custom][1:])
    with pytest.raises(AssertionError, match="custom resources"):
        assert_same_resources(two_services, fewer, "short")


def test_engine_names_map_to_the_generated_classes() -> None:
    assert python_name("enableHttp2") == "enable_http2"
    assert python_name("cidrIpv4") == "cidr_ipv4"
    assert python_name("assumeRolePolicy") == "assume_role_policy"
    assert resource_class("aws:ecs/service:Service").__name__ == "Service"
    assert resource_class("github:index/branch:Branch").__module__.startswith("pulumi_github")
    assert resource_class("pulumi:providers:aws").__module__.startswith("pulumi_aws")


def _case(name: str, services: int | None, seconds: float, floor: float, resources: int) -> Case:
    return Case(
        case=name,
        kind="stack" if services is None else "synthetic",
        services=services,
        resources=resources,
        components=1,
        seconds=seconds,
        median_seconds=seconds,
        ms_per_resource=1000 * seconds / resources,
        gc_seconds=0.0,
        floor_seconds=floor,
        ratio=seconds / floor,
        typed_floor_seconds=floor,
        typed_ratio=seconds / floor,
        floor_gc_seconds=0.0,
        typed_gc_seconds=0.0,
    )


def test_targets_and_check_exit_code() -> None:
    # One case per stack file, however many there are; the last is twice its floor.
    *others, slow = STACKS
    cases = [
        *(_case(f"stack:{name}", None, 1.0, 1.0, 100) for name in others),
        _case(f"stack:{slow}", None, 1.0, 0.5, 100),  # 2x the floor
        _case("synthetic:1", 1, 0.1, 0.1, 50),
        _case("synthetic:50", 50, 3.0, 3.0, 1000),  # 3 ms/res against 2: 1.5x
    ]
    scaling = scaling_of(cases)
    assert scaling is not None
    assert scaling["ratio"] == pytest.approx(1.5)
    targets = evaluate(cases, {"total": 1.5}, None, scaling)
    verdicts = {t.name: t.met for t in targets}
    stacks = next(t for t in targets if t.name == STACKS_TARGET)
    assert stacks.value == pytest.approx(len(STACKS) + 1.5)  # 1 s each + 1.5 s of imports
    assert stacks.met is (len(STACKS) + 1.5 < 10)
    assert verdicts[f"stack:{slow} <= 1.3x the floor"] is False
    assert verdicts[f"stack:{others[0]} <= 1.3x the floor"] is True
    assert verdicts["ms/resource at N=50 within 20% of N=1"] is False
    # Without a case for every stack file, the sum would not be the plan's: no such target.
    partial = evaluate(cases[1:], {"total": 1.5}, None, None)
    assert STACKS_TARGET not in {t.name for t in partial}
    slow_plan = evaluate(cases, None, {"seconds": 12.0, "returncode": 0}, None)
    assert (slow_plan[0].name, slow_plan[0].met) == (STACKS_TARGET, False)
    report = Report({}, [], [], {}, None, None, cases, scaling, targets, 0.0)
    assert {t.name for t in report.missed} == {
        f"stack:{slow} <= 1.3x the floor",
        "ms/resource at N=50 within 20% of N=1",
    } | ({STACKS_TARGET} if len(STACKS) + 1.5 >= 10 else set())
