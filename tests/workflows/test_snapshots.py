"""The rendered files are pinned by golden copies under ``snapshots/``.

Regenerate them after an intended change with ``UPDATE_SNAPSHOTS=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slipway.workflows import render_workflow_files
from tests.workflows.conftest import SPECS

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_rendered_files_match_snapshots(name: str) -> None:
    files = render_workflow_files(SPECS[name])
    root = SNAPSHOTS / name
    if UPDATE:
        for relative, content in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
    on_disk = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(files), "run with UPDATE_SNAPSHOTS=1 to regenerate"
    for relative, content in files.items():
        assert on_disk[relative] == content, f"{name}/{relative} differs; UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_rendering_is_deterministic(name: str) -> None:
    first = render_workflow_files(SPECS[name])
    second = render_workflow_files(SPECS[name])
    assert first == second
    assert all(content.endswith("\n") for content in first.values())
