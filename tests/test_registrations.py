"""Every stack's registrations, as a set, against a reviewed record.

A restructure (moving code between modules, grouping arguments, splitting a component's
constructor) must not change what a stack registers: the same URNs, with the same inputs, options
and dependencies. Each record holds one line per resource: its URN and a digest of everything
else the engine received. Regenerate after an intended change with :data:`RECORD_COMMAND` and
review the diff: a changed line names the resource whose registration changed. A new stack file
has no record until that command writes one (docs/runbooks/environments.md runs it when an
environment is added or removed); a record whose stack file is gone is removed by it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.conftest import recorded
from tooling.offline import ROOT, STACKS, RecordedResource

RECORDS = Path(__file__).parent / "snapshots" / "registrations"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
RECORD_COMMAND = (
    "UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -p no:randomly -q tests/test_registrations.py"
)
"""Writes every stack's record again (and removes the records of stacks that are gone)."""


def fingerprint(resource: RecordedResource) -> str:
    """One line: the URN, then a digest of the inputs, options and dependencies."""
    body = {
        "custom": resource.custom,
        "parent": resource.parent,
        "inputs": resource.inputs,
        "secret_inputs": sorted(resource.secret_inputs),
        "protect": resource.protect,
        "retain_on_delete": resource.retain_on_delete,
        "ignore_changes": sorted(resource.ignore_changes),
        "dependencies": sorted(resource.dependencies),
        "provider": resource.provider,
        "delete_before_replace": resource.delete_before_replace,
    }
    if resource.import_id:
        body["import_id"] = resource.import_id
    if resource.custom_timeouts:
        body["custom_timeouts"] = dict(resource.custom_timeouts)
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return f"{resource.urn} {hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


@pytest.mark.parametrize("stack", STACKS)
def test_registrations_match_the_record(stack: str) -> None:
    lines = sorted(fingerprint(resource) for resource in recorded(stack).resources)
    assert len(lines) == len(set(lines)), "two registrations share a URN"
    record = RECORDS / f"{stack}.txt"
    if UPDATE:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text("\n".join(lines) + "\n")
    assert record.exists(), (
        f"no record for {stack} (a new stack file?): review its plan, then {RECORD_COMMAND}"
    )
    expected = set(record.read_text().splitlines())
    missing, extra = sorted(expected - set(lines)), sorted(set(lines) - expected)
    assert (missing, extra) == ([], []), (
        f"{stack}: registrations changed; after review: {RECORD_COMMAND}\n"
        f"  no longer registered as recorded: {missing[:10]}\n  new or changed: {extra[:10]}"
    )


def test_every_record_has_a_stack_file() -> None:
    records = {path.stem for path in RECORDS.glob("*.txt")}
    if UPDATE:
        for gone in records - set(STACKS):
            (RECORDS / f"{gone}.txt").unlink()
        records &= set(STACKS)
    assert records <= set(STACKS), (
        f"records of stacks with no file: {sorted(records - set(STACKS))}; {RECORD_COMMAND}"
    )


def test_the_runbook_gives_the_command_that_writes_the_records() -> None:
    runbook = (ROOT / "docs" / "runbooks" / "environments.md").read_text()
    assert RECORD_COMMAND in runbook
