"""Issue 23, item 10: the version job installed with lifecycle scripts while the release app's
token was in the job. Its install step now runs the generated install script with
``PNPM_IGNORE_SCRIPTS=true``; run here with the real pnpm, a ``postinstall`` does not run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slipway.workflows import load_yaml, render_workflow_files
from tests.release.harness import Installs, Workspace
from tests.release.node_tools import NodeTools
from tests.workflows.conftest import SPECS

RELEASE: dict[str, Any] = load_yaml(
    render_workflow_files(SPECS["default"])[".github/workflows/release.yml"]
)


def _install_step(job: str) -> dict[str, Any]:
    step: dict[str, Any] = next(
        s for s in RELEASE["jobs"][job]["steps"] if s["name"].startswith("Install dependencies")
    )
    return step


@pytest.mark.parametrize("job", ["mode", "version", "publish"])
def test_jobs_that_hold_a_release_token_or_only_need_the_cli_run_no_install_scripts(
    node_tools: NodeTools, installs: Installs, tmp_path: Path, job: str
) -> None:
    manifest = {
        "name": "storefront-scripts",
        "version": "1.0.0",
        "scripts": {"postinstall": "node -e \"require('fs').writeFileSync('ran', '')\""},
    }
    ws = Workspace(tmp_path / "repo", node_tools, SPECS["default"], None, installs).create(
        {".": manifest}, {}
    )
    (ws.root / "ran").unlink(missing_ok=True)
    step = _install_step(job)
    done = ws.run("bash", "-c", step["run"], check=False, env={**step.get("env", {})})
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (ws.root / "ran").exists()
    # The same install without the setting runs it: the test would see a regression.
    done = ws.run("bash", "-c", step["run"], check=False, env={"PNPM_IGNORE_SCRIPTS": "false"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (ws.root / "ran").exists()
