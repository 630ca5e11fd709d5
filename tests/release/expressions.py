"""GitHub Actions expressions evaluated by GitHub's own evaluator (``@actions/expressions``,
run by ``expressions.mjs``), and the workflow-run rules the tests decide jobs with."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.release.node_tools import NodeTools

SCRIPT = Path(__file__).with_name("expressions.mjs")


@dataclass(frozen=True)
class Case:
    """One expression; ``status`` (the ``needs`` results, and whether the run was cancelled)
    makes it a job-level ``if:`` with GitHub's status functions."""

    expression: str
    context: dict[str, Any]
    status: dict[str, Any] | None = None


def _payload(cases: list[Case]) -> list[dict[str, Any]]:
    return [
        {"expression": c.expression, "context": c.context}
        | ({"status": c.status} if c.status is not None else {})
        for c in cases
    ]


def _env(tools: NodeTools) -> dict[str, str]:
    env = tools.env()
    env["EXPRESSIONS_MODULE"] = str(tools.module("@actions", "expressions", "dist", "index.js"))
    return env


def evaluate(tools: NodeTools, cases: list[Case]) -> list[dict[str, Any]]:
    """``{"value": <coerced string>, "truthy": bool}`` for each case, in order."""
    done = subprocess.run(
        [str(tools.node), str(SCRIPT)],
        input=json.dumps(_payload(cases)),
        env=_env(tools),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


class Evaluator:
    """:func:`evaluate` with one evaluator process kept running (``expressions.mjs --lines``)
    for many small batches: a run of a workflow evaluates each step apart, and a process
    costs about 60 ms to start. Close it (or use it as a context manager) when done."""

    def __init__(self, tools: NodeTools) -> None:
        self._process = subprocess.Popen(
            [str(tools.node), str(SCRIPT), "--lines"],
            env=_env(tools),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, cases: list[Case]) -> list[dict[str, Any]]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(_payload(cases)) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the evaluator ended ({self._process.wait(timeout=10)})")
        results: list[dict[str, Any]] = json.loads(line)
        return results

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def inside(template: str) -> str:
    """The expression of a value that is exactly one ``${{ ... }}``."""
    assert template.startswith("${{ "), template
    assert template.endswith(" }}"), template
    return template[4:-3]


@dataclass
class JobRun:
    """A job's result and outputs in a workflow run (what ``needs.<job>`` reads)."""

    result: str
    outputs: dict[str, str] = field(default_factory=dict)


def needs_of(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def dependents(jobs: dict[str, Any], roots: set[str]) -> set[str]:
    """``roots`` and every job that needs one of them, directly or not."""
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for name, job in jobs.items():
            if name not in found and found & set(needs_of(job)):
                found.add(name)
                changed = True
    return found


def topological(jobs: dict[str, Any]) -> list[str]:
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [n for n, j in jobs.items() if n not in order and set(needs_of(j)) <= set(order)]
        assert ready, "a cycle in needs"
        order.extend(sorted(ready))
    return order


def should_run(
    tools: NodeTools, job: dict[str, Any], runs: dict[str, JobRun], github: dict[str, Any]
) -> bool:
    """Whether GitHub starts ``job`` given the runs of the jobs it needs: its ``if:`` (default
    ``success()``) with the ``needs`` context of those jobs."""
    needs = {n: {"result": runs[n].result, "outputs": runs[n].outputs} for n in needs_of(job)}
    case = Case(
        str(job.get("if", "success()")),
        {"needs": needs, "github": github},
        {"needs": {n: v["result"] for n, v in needs.items()}, "cancelled": False},
    )
    return bool(evaluate(tools, [case])[0]["truthy"])
