"""The deployment guide's "render the files by hand" snippet writes exactly the files the owner
stack delivers (its WorkflowSet renders them with :func:`infra.stack.generated_files`).

A bare ``WorkflowSpec`` renders other files: ``deployTimeoutMinutes`` follows the slowest
stack's deployment strategy (prod's canary: 75 minutes, not the default 30), and attestations,
code scanning and the environments come from the stacks' settings too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from infra.stack import generated_files
from slipway.workflows import WorkflowSpec, render_workflow_files
from tooling.offline import ROOT, stack_settings

GUIDE = ROOT / "docs" / "deployment-guide.md"


def _snippet() -> str:
    section = GUIDE.read_text().split("## 9. Workflow files in the application repository")[1]
    match = re.search(r"\.venv/bin/python - <<'EOF'\n(.*?)\nEOF\n", section, re.S)
    assert match, "the guide's rendering snippet"
    return match.group(1)


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_the_guides_snippet_writes_what_the_owner_stack_delivers(tmp_path: Path) -> None:
    work = tmp_path / "slipway"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "components")])}
    done = subprocess.run(
        [sys.executable, "-"], input=_snippet(), cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    written = _files(tmp_path / "storefront")
    delivered = generated_files(stack_settings("prod"))
    assert written == delivered
    timeouts = set(
        re.findall(r"^    timeout-minutes: (\d+)$", delivered[".github/workflows/deploy.yml"], re.M)
    )
    # What the guide rendered before: a bare WorkflowSpec, whose deploy jobs get 30 minutes.
    bare = render_workflow_files(
        WorkflowSpec(repository="acme-corp/storefront", image_package="@acme-corp/storefront")
    )
    assert bare[".github/workflows/deploy.yml"] != delivered[".github/workflows/deploy.yml"]
    assert "75" in timeouts
