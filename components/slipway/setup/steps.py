"""The set-up command's core: an ordered list of idempotent, resumable steps.

Each :class:`Step` first ``check``s whether its result already exists (in AWS, in Pulumi's
backend, on GitHub: never in a local progress file, so a run from another machine sees the same),
says in one ``plan`` line what it would do, and ``apply``s it. :func:`run` shows the whole plan
before acting; ``dry_run`` stops there. After a failure at any step, running again skips every
step whose result exists and says so, and continues at the first one that does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO


class SetupError(Exception):
    """A failure the command reports in one message (what failed, why, what to run next)."""


@dataclass(frozen=True)
class Step:
    """One idempotent unit of the set-up."""

    name: str
    """Short, stable identifier (``state-backend``, ``stack-prod``, ...)."""
    plan: str
    """What ``apply`` does, in one line."""
    check: Callable[[], bool]
    """True when the step's result already exists (then ``apply`` is skipped)."""
    apply: Callable[[], None]
    """Create the result; safe to call again after it failed half-way."""


@dataclass
class Outcome:
    """What :func:`run` did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: str | None = None
    error: str | None = None


def run(steps: Sequence[Step], out: TextIO, *, dry_run: bool = False) -> Outcome:
    """Check every step, print the plan (``skip``: already there; ``do``: to be done), then,
    unless ``dry_run``, apply the steps still to do, in order. Stops at the first failure; the
    outcome names it, and a re-run continues from there."""
    outcome = Outcome()
    pending: list[Step] = []
    out.write("Plan:\n")
    for step in steps:
        try:
            exists = step.check()
        except SetupError as error:
            outcome.failed, outcome.error = step.name, str(error)
            out.write(f"  ?     {step.name}: cannot check: {error}\n")
            return outcome
        if exists:
            outcome.skipped.append(step.name)
            out.write(f"  skip  {step.name}: already done\n")
        else:
            pending.append(step)
            out.write(f"  do    {step.name}: {step.plan}\n")
    if dry_run or not pending:
        return outcome
    for step in pending:
        started = time.monotonic()
        out.write(f"==> {step.name}: {step.plan}\n")
        out.flush()
        try:
            # A step planned before an earlier one ran may exist by now (a shared result).
            if not step.check():
                step.apply()
        except SetupError as error:
            outcome.failed, outcome.error = step.name, str(error)
            out.write(f"FAILED {step.name}: {error}\n")
            return outcome
        outcome.done.append(step.name)
        out.write(f"    done in {time.monotonic() - started:.0f} s\n")
    return outcome


def wait_for(
    what: str,
    ready: Callable[[], bool],
    out: TextIO,
    *,
    timeout: float,
    interval: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Poll ``ready`` until it is true, printing what is awaited and since when; a
    :class:`SetupError` after ``timeout`` seconds."""
    started = clock()
    out.write(f"    waiting for {what}\n")
    while not ready():
        waited = clock() - started
        if waited >= timeout:
            raise SetupError(f"gave up waiting for {what} after {waited:.0f} s")
        out.write(f"    still waiting for {what} ({waited:.0f} s)\n")
        out.flush()
        sleep(interval)
