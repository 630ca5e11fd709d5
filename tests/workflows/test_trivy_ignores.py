"""Only a reviewed, expiring ignore file can silence the image scan.

Trivy reads ``./.trivyignore`` whenever no ignore file is named (``--ignorefile``'s default), and
aquasecurity/trivy-action names one only through its ``trivyignores`` input (``entrypoint.sh``:
it exports ``TRIVY_IGNOREFILE`` from it, and fails on a file that does not exist). The scan
steps therefore name ``.trivyignore.yaml`` (Trivy's YAML ignore file: a statement and an
``expired_at`` per entry) when the repository has one, a step before them refuses a plain
``.trivyignore``, and CODEOWNERS makes the ignore file a reviewed change.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from slipway.workflows import WorkflowSpec, load_yaml, render_workflow_files
from slipway.workflows.paths import TRIVY_IGNORE_PATH
from slipway.workflows.scripts import CHECK_TRIVY_IGNORES
from tests.workflows.conftest import SPECS

YAML_IGNORES = """\
vulnerabilities:
  - id: CVE-2024-0001
    statement: not reachable from the application; fixed upstream in the next base image
    expired_at: 2027-01-31
"""


def _run(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = tmp_path.parent / f"{tmp_path.name}-output"
    output.write_text("")
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", CHECK_TRIVY_IGNORES],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_OUTPUT": str(output),
            "IGNORE_FILE": TRIVY_IGNORE_PATH,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


def test_without_an_ignore_file_nothing_is_ignored(tmp_path: Path) -> None:
    done, outputs = _run(tmp_path)
    assert done.returncode == 0, done.stdout
    assert outputs == {"file": ""}


def test_the_yaml_ignore_file_is_named_to_the_scan(tmp_path: Path) -> None:
    (tmp_path / TRIVY_IGNORE_PATH).write_text(YAML_IGNORES)
    done, outputs = _run(tmp_path)
    assert done.returncode == 0, done.stdout
    assert outputs == {"file": ".trivyignore.yaml"}
    assert "CVE-2024-0001" in done.stdout  # the ignores are in the log


def test_a_plain_trivyignore_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".trivyignore").write_text("CVE-2024-0001\n")
    (tmp_path / TRIVY_IGNORE_PATH).write_text(YAML_IGNORES)
    done, _ = _run(tmp_path)
    assert done.returncode == 1
    assert "::error file=.trivyignore::.trivyignore is not accepted" in done.stdout


def _scanning_jobs(spec: WorkflowSpec) -> dict[str, Any]:
    docker = load_yaml(render_workflow_files(spec)[".github/workflows/docker.yml"])
    return {
        job_id: job
        for job_id, job in docker["jobs"].items()
        if any("aquasecurity/trivy-action@" in s.get("uses", "") for s in job.get("steps", []))
    }


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_scan_reads_only_the_checked_ignore_file(name: str) -> None:
    jobs = _scanning_jobs(SPECS[name])
    # With previews, docker.yml's preview job scans the pull request's image before its push.
    assert set(jobs) == {"check", "build"} | ({"preview"} if SPECS[name].previews else set())
    for job_id, job in jobs.items():
        ids = [s.get("id") for s in job["steps"]]
        scan = next(s for s in job["steps"] if "aquasecurity/trivy-action@" in s.get("uses", ""))
        assert ids.index("trivy-ignores") < ids.index("scan"), job_id
        assert scan["with"]["trivyignores"] == "${{ steps.trivy-ignores.outputs.file }}"


def test_the_ignore_file_needs_the_code_owners_review() -> None:
    codeowners = render_workflow_files(SPECS["default"])[".github/CODEOWNERS"]
    assert "/.trivyignore.yaml @acme/platform" in codeowners.splitlines()
