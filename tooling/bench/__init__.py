"""The offline plan's speed, measured against the SDK floor (``make bench``).

Each case is a program run under the mock runtime (:func:`tooling.offline.run_program`), in this
process, after the imports and (unless ``quick``) one untimed warm-up run:

* ``stack:<name>``: the real program for each stack file (:func:`tooling.offline.run_stack`).
* ``synthetic:<n>``: one network, one cluster and ``n`` Fargate services
  (:func:`tooling.bench.programs.synthetic_program`).

Every case is also run as two floors that register exactly the same custom resources (same
type, name and inputs; checked, not assumed): ``floor``, raw ``pulumi.CustomResource`` calls,
and ``typed``, the provider SDK's generated classes (:mod:`tooling.bench.programs`). Each of the
three is timed ``reps`` times, interleaved so that a load spike on the shared machine hits
them alike, and the *best* (minimum) wall time is reported: the one least disturbed by other
processes. Ratios are components / floor of the best times.

``resources`` counts custom resources (what AWS and GitHub would create); component
resources are counted apart and their cost is part of the components' time.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from slipway.workflows.render import clear_render_cache
from tooling.bench.programs import CONFIG, floor_program, synthetic_program, typed_floor_program
from tooling.offline import (
    ROOT,
    STACKS,
    Program,
    RecordedResource,
    Recording,
    load_stack_config,
    run_program,
    run_stack,
)

SERVICE_COUNTS = (1, 10, 50)
"""Sizes of the synthetic stack."""
REPS = 3
"""Timed runs per program and case; the best is reported."""
QUICK_REPS = 1
STACKS_WALL_LIMIT = 10.0
"""Target: planning every stack file (dev, staging and prod here) takes less than this many
seconds, wall."""
STACKS_TARGET = "all stacks < 10 s wall"
"""The name of that target in the report."""
RATIO_LIMIT = 1.3
"""Target: components take at most this many times the floor."""
SCALING_LIMIT = 1.2
"""Target: ms per resource at the largest N is within 20% of the smallest N."""
PACKAGES = ("pulumi", "pulumi-aws", "pulumi-github", "pulumi-docker", "protobuf", "grpcio")

GcMode = Literal["runtime", "off"]
"""``runtime``: the collector as the offline runtime handles it (paused while the program runs,
switched back on before ``run_program`` returns, so the collection of the run's garbage is
billed to the run). ``off``: the collector stays off until the timing ends, which leaves that
collection out and shows its share."""


# --------------------------------------------------------------------------------------------
# Timing one program
# --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Timed runs of one program."""

    samples: list[float]
    """Wall seconds of each timed run, in order."""
    gc_samples: list[float]
    """Seconds the cyclic garbage collector took inside each run."""

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def gc_of_best(self) -> float:
        return self.gc_samples[self.samples.index(self.best)]


class _GcClock:
    """Adds up the time the cyclic collector runs (through ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


@contextmanager
def _gc_mode(mode: GcMode) -> Iterator[None]:
    if mode == "off":
        gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed_run(
    run: Callable[[], Recording], mode: GcMode = "runtime"
) -> tuple[float, float, Recording]:
    """Run once after a full collection (so that earlier runs' garbage is not billed to this
    one); return wall seconds, collector seconds and the recording."""
    gc.collect()
    clock = _GcClock()
    with _gc_mode(mode):
        gc.callbacks.append(clock)
        try:
            start = time.perf_counter()
            recording = run()
            seconds = time.perf_counter() - start
        finally:
            gc.callbacks.remove(clock)
    return seconds, clock.total, recording


def _signature(resources: Sequence[RecordedResource]) -> dict[tuple[str, str], tuple[str, Any]]:
    return {
        (r.type, r.name): (json.dumps(r.inputs, sort_keys=True, default=str), r.secret_inputs)
        for r in resources
        if r.custom
    }


def assert_same_resources(components: Recording, floor: Recording, label: str) -> None:
    """Fail unless ``floor`` registered exactly the custom resources of ``components``: the
    same count, types, names, inputs and secret inputs (in any order: registrations complete
    concurrently)."""
    expected, got = _signature(components.resources), _signature(floor.resources)
    count = sum(1 for r in components.resources if r.custom)
    if count != len(floor.resources) or count != len(expected):
        raise AssertionError(
            f"{label}: the components registered {count} custom resources, "
            f"the floor {len(floor.resources)}"
        )
    for key, want in expected.items():
        if got.get(key) != want:
            raise AssertionError(f"{label}: {key} registered differently: {want} != {got.get(key)}")


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One measured case: the components and both floors."""

    case: str
    kind: Literal["stack", "synthetic"]
    services: int | None
    resources: int
    """Custom resources registered (the same number in both floors)."""
    components: int
    """Component resources registered on top (none in the floors)."""
    seconds: float
    """Best wall time of the components' program."""
    median_seconds: float
    ms_per_resource: float
    gc_seconds: float
    """Collector time inside the best run."""
    floor_seconds: float
    ratio: float
    """``seconds`` / ``floor_seconds``: the target's ratio."""
    typed_floor_seconds: float
    typed_ratio: float
    """``seconds`` / ``typed_floor_seconds``: the components' own overhead."""
    floor_gc_seconds: float
    typed_gc_seconds: float
    samples: dict[str, list[float]] = field(default_factory=dict)


Runner = Callable[[Program], Recording]


def measure_case(
    case: str,
    kind: Literal["stack", "synthetic"],
    services: int | None,
    components: Callable[[], Recording],
    run_floor: Runner,
    reps: int = REPS,
    warmup: int = 1,
    mode: GcMode = "runtime",
) -> Case:
    """Time ``components`` and both floors built from its recording, ``reps`` times each,
    interleaved, after ``warmup`` untimed rounds."""
    timings: dict[str, Timing] = {k: Timing([], []) for k in ("components", "floor", "typed")}
    floors: dict[str, Program] = {}
    reference: Recording | None = None
    for round_index in range(warmup + reps):
        seconds, gc_seconds, recording = timed_run(components, mode)
        runs = {"components": (seconds, gc_seconds)}
        if reference is None:
            reference = recording
            floors = {
                "floor": floor_program(recording.resources),
                "typed": typed_floor_program(recording.resources),
            }
        for name, program in floors.items():
            floor_seconds, floor_gc, floor_recording = timed_run(partial(run_floor, program), mode)
            if round_index == 0:
                assert_same_resources(reference, floor_recording, f"{case} ({name})")
            runs[name] = (floor_seconds, floor_gc)
        if round_index >= warmup:
            for name, (wall, collector) in runs.items():
                timings[name].samples.append(wall)
                timings[name].gc_samples.append(collector)
    assert reference is not None
    custom = sum(1 for r in reference.resources if r.custom)
    main, floor, typed = timings["components"], timings["floor"], timings["typed"]
    return Case(
        case=case,
        kind=kind,
        services=services,
        resources=custom,
        components=len(reference.resources) - custom,
        seconds=main.best,
        median_seconds=main.median,
        ms_per_resource=1000 * main.best / custom,
        gc_seconds=main.gc_of_best,
        floor_seconds=floor.best,
        ratio=main.best / floor.best,
        typed_floor_seconds=typed.best,
        typed_ratio=main.best / typed.best,
        floor_gc_seconds=floor.gc_of_best,
        typed_gc_seconds=typed.gc_of_best,
        samples={name: t.samples for name, t in timings.items()},
    )


def stack_case(stack: str, reps: int, warmup: int, mode: GcMode) -> Case:
    """``run_stack(stack)`` against its floors (run with the same config and secrets). Each run
    renders the workflow files anew, as one ``pulumi up`` does: the render cache is cleared."""
    config, secret_keys = load_stack_config(stack)

    def cold_run() -> Recording:
        clear_render_cache()
        return run_stack(stack)

    return measure_case(
        f"stack:{stack}",
        "stack",
        None,
        cold_run,
        lambda program: run_program(stack, config, secret_keys, program),
        reps,
        warmup,
        mode,
    )


def synthetic_case(services: int, reps: int, warmup: int, mode: GcMode) -> Case:
    """The synthetic stack with ``services`` services against its floors."""

    def run(program: Program) -> Recording:
        return run_program("bench", CONFIG, (), program)

    return measure_case(
        f"synthetic:{services}",
        "synthetic",
        services,
        lambda: run(synthetic_program(services)),
        run,
        reps,
        warmup,
        mode,
    )


# --------------------------------------------------------------------------------------------
# Fixed costs, measured in fresh processes
# --------------------------------------------------------------------------------------------

_IMPORT_PROBE = """
import json, time
t0 = time.perf_counter()
import pulumi
t1 = time.perf_counter()
import pulumi_aws
t2 = time.perf_counter()
import tooling.offline, tooling.plan, infra.stack
t3 = time.perf_counter()
print(json.dumps({"pulumi": t1 - t0, "pulumi_aws": t2 - t1, "slipway": t3 - t2}))
"""


def import_seconds(reps: int) -> dict[str, float]:
    """Cold import times in a fresh interpreter (best of ``reps``): ``pulumi``, then
    ``pulumi_aws``, then the project (components, infra, the other providers)."""
    best: dict[str, float] = {}
    for _ in range(reps):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name, seconds in json.loads(out.strip().splitlines()[-1]).items():
            best[name] = min(best.get(name, seconds), seconds)
    best["total"] = sum(best.values())
    return best


def plan_wall_seconds(reps: int) -> dict[str, Any]:
    """Wall time of ``python -m tooling.plan`` (every stack, text output discarded) in a fresh
    process, best of ``reps``: imports, the stacks' runs, the policy rules, the rendering."""
    command = [sys.executable, "-m", "tooling.plan"]
    samples: list[float] = []
    done: subprocess.CompletedProcess[str] | None = None
    for _ in range(reps):
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        samples.append(time.perf_counter() - start)
        if done.returncode != 0:
            break
    assert done is not None
    return {
        "seconds": min(samples),
        "samples": samples,
        "returncode": done.returncode,
        "stderr_tail": done.stderr[-400:],
    }


# --------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages (``/proc/loadavg``); empty where unavailable."""
    fields = _read("/proc/loadavg").split()
    return [float(f) for f in fields[:3]]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    kib = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu,
        "memory": f"{kib / 2**20:.1f} GiB" if kib else "unknown",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
    }


# --------------------------------------------------------------------------------------------
# The report and its targets
# --------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One of the issue's targets, evaluated."""

    name: str
    value: float
    limit: float
    met: bool
    detail: str


@dataclass
class Report:
    """Everything one benchmark run measured."""

    machine: dict[str, Any]
    load_before: list[float]
    load_after: list[float]
    method: dict[str, Any]
    imports: dict[str, float] | None
    plan_wall: dict[str, Any] | None
    cases: list[Case]
    scaling: dict[str, float] | None
    targets: list[Target]
    seconds_total: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def missed(self) -> list[Target]:
        return [t for t in self.targets if not t.met]


def scaling_of(cases: Sequence[Case]) -> dict[str, float] | None:
    """ms per resource at the largest synthetic N over that at the smallest."""
    synthetic = sorted((c for c in cases if c.services is not None), key=lambda c: c.services or 0)
    if len(synthetic) < 2 or synthetic[0].services == synthetic[-1].services:
        return None
    low, high = synthetic[0], synthetic[-1]
    return {
        "n_low": float(low.services or 0),
        "n_high": float(high.services or 0),
        "ms_per_resource_low": low.ms_per_resource,
        "ms_per_resource_high": high.ms_per_resource,
        "ratio": high.ms_per_resource / low.ms_per_resource,
    }


def evaluate(
    cases: Sequence[Case],
    imports: dict[str, float] | None,
    plan_wall: dict[str, Any] | None,
    scaling: dict[str, float] | None,
) -> list[Target]:
    """The issue's targets, for what was measured."""
    targets: list[Target] = []
    stacks = [c for c in cases if c.kind == "stack"]
    if plan_wall is not None and plan_wall["returncode"] == 0:
        targets.append(
            Target(
                STACKS_TARGET,
                plan_wall["seconds"],
                STACKS_WALL_LIMIT,
                plan_wall["seconds"] < STACKS_WALL_LIMIT,
                "python -m tooling.plan in a fresh process (imports included)",
            )
        )
    elif {c.case for c in stacks} == {f"stack:{s}" for s in STACKS}:
        wall = sum(c.seconds for c in stacks) + (imports or {}).get("total", 0.0)
        targets.append(
            Target(
                STACKS_TARGET,
                wall,
                STACKS_WALL_LIMIT,
                wall < STACKS_WALL_LIMIT,
                f"sum of the {len(stacks)} stacks' best runs"
                + (" plus the cold imports" if imports else " (imports not measured)"),
            )
        )
    for case in cases:
        targets.append(
            Target(
                f"{case.case} <= {RATIO_LIMIT}x the floor",
                case.ratio,
                RATIO_LIMIT,
                case.ratio <= RATIO_LIMIT,
                f"{case.seconds:.3f} s against {case.floor_seconds:.3f} s "
                f"(typed floor {case.typed_floor_seconds:.3f} s, {case.typed_ratio:.2f}x)",
            )
        )
    if scaling is not None:
        targets.append(
            Target(
                f"ms/resource at N={scaling['n_high']:.0f} within 20% of N={scaling['n_low']:.0f}",
                scaling["ratio"],
                SCALING_LIMIT,
                scaling["ratio"] <= SCALING_LIMIT,
                f"{scaling['ms_per_resource_high']:.2f} against "
                f"{scaling['ms_per_resource_low']:.2f} ms/resource",
            )
        )
    return targets


def run_benchmark(
    stacks: Sequence[str] = STACKS,
    services: Sequence[int] = SERVICE_COUNTS,
    quick: bool = False,
    reps: int | None = None,
    mode: GcMode = "runtime",
    plan_wall: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Measure every case. ``quick``: one timed run each, no warm-up, no ``tooling.plan``
    process (for tests; the figures are then only indicative)."""
    started = time.perf_counter()
    reps = reps if reps is not None else (QUICK_REPS if quick else REPS)
    warmup = 0 if quick else 1
    load_before = load_average()
    say = progress or (lambda _: None)
    say("cold imports")
    imports = import_seconds(1 if quick else reps)
    wall = None
    measure_plan = (not quick) if plan_wall is None else plan_wall
    if measure_plan:
        say("python -m tooling.plan")
        wall = plan_wall_seconds(reps)
    cases: list[Case] = []
    for stack in stacks:
        say(f"stack:{stack}")
        cases.append(stack_case(stack, reps, warmup, mode))
    for count in services:
        say(f"synthetic:{count}")
        cases.append(synthetic_case(count, reps, warmup, mode))
    scaling = scaling_of(cases)
    return Report(
        machine=machine(),
        load_before=load_before,
        load_after=load_average(),
        method={
            "reps": reps,
            "warmup": warmup,
            "statistic": "best (minimum) of the timed runs",
            "gc": mode,
            "quick": quick,
        },
        imports=imports,
        plan_wall=wall,
        cases=cases,
        scaling=scaling,
        targets=evaluate(cases, imports, wall, scaling),
        seconds_total=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

COLUMNS = (
    ("case", "case", "{}"),
    ("resources", "resources", "{}"),
    ("components", "comps", "{}"),
    ("seconds", "seconds", "{:.3f}"),
    ("ms_per_resource", "ms/res", "{:.2f}"),
    ("gc_seconds", "gc s", "{:.3f}"),
    ("floor_seconds", "floor s", "{:.3f}"),
    ("ratio", "ratio", "{:.2f}"),
    ("typed_floor_seconds", "typed s", "{:.3f}"),
    ("typed_ratio", "typed ratio", "{:.2f}"),
)


def render_table(report: Report) -> str:
    """The report as text: machine, method, fixed costs, the table and the targets."""
    m = report.machine
    lines = [
        f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory']}, "
        f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"load average before {report.load_before}, after {report.load_after}",
        f"method: best of {report.method['reps']} timed runs after "
        f"{report.method['warmup']} warm-up, in one process, gc={report.method['gc']}",
    ]
    if report.imports:
        i = report.imports
        lines.append(
            f"cold imports (fixed cost, fresh process): pulumi {i['pulumi']:.2f} s, "
            f"pulumi_aws {i['pulumi_aws']:.2f} s, project {i['slipway']:.2f} s, "
            f"total {i['total']:.2f} s"
        )
    if report.plan_wall:
        p = report.plan_wall
        lines.append(
            f"python -m tooling.plan ({len(STACKS)} stacks, fresh process): "
            f"{p['seconds']:.2f} s wall"
            + ("" if p["returncode"] == 0 else f" (exit {p['returncode']})")
        )
    rows = [[title for _, title, _ in COLUMNS]]
    for case in report.cases:
        values = asdict(case)
        rows.append([fmt.format(values[key]) for key, _, fmt in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines.append("")
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    if report.scaling:
        s = report.scaling
        lines.append(
            f"\nscaling: {s['ms_per_resource_high']:.2f} ms/resource at N={s['n_high']:.0f} "
            f"against {s['ms_per_resource_low']:.2f} at N={s['n_low']:.0f}: {s['ratio']:.2f}x"
        )
    lines.append("\ntargets:")
    for target in report.targets:
        mark = "met   " if target.met else "MISSED"
        lines.append(
            f"  {mark} {target.name}: {target.value:.2f} (limit {target.limit}); {target.detail}"
        )
    lines.append(f"\n(benchmark took {report.seconds_total:.0f} s)")
    return "\n".join(lines)
