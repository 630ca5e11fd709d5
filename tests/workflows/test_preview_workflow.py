"""preview.yml: zero findings from the linters, and the graph properties of issue 25."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.preview import PREVIEW_STEPS
from slipway.workflows.preview_workflow import (
    PREVIEW_WORKFLOW_PATH,
    SAME_REPOSITORY,
    preview_workflow,
    render_preview_files,
)
from slipway.workflows.render import files_used_by
from tests.workflows.conftest import SPECS, tool, tool_env, write_repository


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repository(tmp_path_factory.mktemp("preview-repo"), render_preview_files())


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=300, check=False
    )


def test_actionlint_with_shellcheck(repo: Path) -> None:
    tool("shellcheck")
    done = _run([tool("actionlint"), "-no-color", PREVIEW_WORKFLOW_PATH], repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_zizmor_pedantic(repo: Path) -> None:
    done = _run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "plain", "."], repo
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout, done.stdout
    assert "preview.yml" in done.stderr


def test_workflow_schema(repo: Path) -> None:
    done = _run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            PREVIEW_WORKFLOW_PATH,
        ],
        repo,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_delivered_scripts_pass_shellcheck(repo: Path) -> None:
    scripts = sorted(str(p) for p in (repo / ".github" / "scripts").rglob("*.sh"))
    # teardown, removed, sweep, open pull requests, and lib/preview.sh
    assert len(scripts) == 5
    done = _run(
        [tool("shellcheck"), "--severity=style", "-x", *scripts],
        repo / ".github" / "scripts" / "deploy",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _conjuncts(condition: str) -> list[str]:
    """The top-level ``&&`` terms of a condition without ``||`` or parentheses (else itself)."""
    if "||" in condition or "(" in condition:
        return [condition]
    return [term.strip() for term in condition.split("&&")]


def _events() -> set[str]:
    return set(load_yaml(render_preview_files()[PREVIEW_WORKFLOW_PATH])["on"])


def test_no_fork_path_reaches_an_oidc_token() -> None:
    document = preview_workflow()
    assert _events() == {"pull_request", "schedule", "workflow_dispatch"}
    assert "pull_request_target" not in render_preview_files()[PREVIEW_WORKFLOW_PATH]
    assert document["permissions"] == {}
    for job_id, job in document["jobs"].items():
        if job["permissions"].get("id-token") != "write":
            continue
        condition = job["if"]
        runs_on_pull_request = not re.fullmatch(
            r"github\.event_name == 'schedule' \|\| github\.event_name == 'workflow_dispatch'",
            condition,
        )
        if runs_on_pull_request:
            # The fork check is a term every run of the job must satisfy.
            assert SAME_REPOSITORY in _conjuncts(condition), job_id


def test_teardown_depends_on_nothing_and_never_loses_its_place_in_the_queue() -> None:
    teardown = preview_workflow()["jobs"]["teardown"]
    assert "needs" not in teardown
    assert "closed" in preview_workflow()["on"]["pull_request"]["types"]
    assert teardown["concurrency"]["queue"] == "max"
    assert teardown["concurrency"]["cancel-in-progress"] is False
    assert "github.event.pull_request.number" in teardown["concurrency"]["group"]


def test_the_sweep_runs_on_a_schedule_and_by_dispatch() -> None:
    document = preview_workflow()
    assert document["on"]["schedule"]
    assert "workflow_dispatch" in document["on"]
    sweep = document["jobs"]["sweep"]
    assert "needs" not in sweep
    assert "schedule" in sweep["if"]
    assert "workflow_dispatch" in sweep["if"]


def test_every_run_step_of_the_workflow_is_a_delivered_preview_step() -> None:
    runs = {
        step["run"]
        for job in preview_workflow()["jobs"].values()
        for step in job["steps"]
        if "run" in step
    }
    assert runs <= {step.run for step in PREVIEW_STEPS}
    files = render_preview_files()
    for step in PREVIEW_STEPS:
        if step.run in runs:
            assert step.path in files


@pytest.mark.parametrize(
    ("listing", "status", "numbers"),
    [("3\n17\n", 0, "3 17"), ("", 0, ""), ("", 1, None)],
)
def test_the_open_pull_requests_step_never_takes_a_failure_for_none_open(
    tmp_path: Path, listing: str, status: int, numbers: str | None
) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "gh").write_text(f"#!/usr/bin/env bash\nprintf '{listing}'\nexit {status}\n")
    (stub / "gh").chmod(0o755)
    output = tmp_path / "output"
    output.touch()
    env = tool_env()
    env.update(
        PATH=f"{stub}:{env['PATH']}", GITHUB_OUTPUT=str(output), GITHUB_REPOSITORY="acme/web"
    )
    step = next(s for s in PREVIEW_STEPS if s.name == "preview-open-prs")
    done = subprocess.run(
        ["bash", "-c", step.source], env=env, capture_output=True, text=True, check=False
    )
    if numbers is None:
        assert done.returncode != 0
        assert output.read_text() == ""
    else:
        assert done.returncode == 0, done.stderr
        assert output.read_text() == f"numbers={numbers}\n"


GH_RECORDER = """#!/usr/bin/env bash
# Records each call; answers the two listings the step makes (after --jq, as gh would).
printf '%s\\n' "$*" >> "${GH_CALLS}"
case "$*" in
  *"/deployments?environment=preview-pr-12"*) printf '501\\n502\\n' ;;
  *"/issues/12/comments"*) printf '9001\\n' ;;
esac
"""


def test_a_removed_preview_marks_its_deployments_inactive_and_updates_its_comment(
    tmp_path: Path,
) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "gh").write_text(GH_RECORDER)
    (stub / "gh").chmod(0o755)
    calls = tmp_path / "calls"
    env = tool_env()
    env.update(
        PATH=f"{stub}:{env['PATH']}",
        GH_CALLS=str(calls),
        GITHUB_REPOSITORY="acme/web",
        PREVIEW_PR="12",
        GH_TOKEN="x",
    )
    step = next(s for s in PREVIEW_STEPS if s.name == "preview-removed")
    done = subprocess.run(
        ["bash", "-c", step.source], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = calls.read_text().splitlines()
    posts = [line for line in lines if line.startswith("api --method POST")]
    assert posts == [
        f"api --method POST repos/acme/web/deployments/{i}/statuses -f state=inactive "
        "-f description=Preview removed"
        for i in (501, 502)
    ]
    patches = [line for line in lines if line.startswith("api --method PATCH")]
    assert len(patches) == 1
    assert patches[0].startswith(
        "api --method PATCH repos/acme/web/issues/comments/9001 -f body=<!-- slipway-preview -->"
    )
    # The comment is found by its marker, never created.
    assert not any("--method POST repos/acme/web/issues" in line for line in lines)


def test_the_switch_delivers_preview_yml_with_the_generated_files() -> None:
    """Off by default (every other spec renders as before); on, render_workflow_files delivers
    preview.yml and its scripts, Dependabot leaves it to the generator, and the delivered
    files it uses are all there."""
    base = SPECS["default"]
    off = render_workflow_files(base)
    on = render_workflow_files(dataclasses.replace(base, previews=True))
    assert PREVIEW_WORKFLOW_PATH not in off
    assert not any("/preview" in path for path in off)
    assert set(on) - set(off) == set(render_preview_files()) - set(off)
    assert set(render_preview_files()) <= set(on)
    assert all(on[path] == off[path] for path in off if path != ".github/dependabot.yml")
    assert on[PREVIEW_WORKFLOW_PATH] == render_preview_files()[PREVIEW_WORKFLOW_PATH]
    dependabot = load_yaml(on[".github/dependabot.yml"])["updates"][0]
    assert PREVIEW_WORKFLOW_PATH in dependabot["exclude-paths"]
    used = files_used_by(on)[PREVIEW_WORKFLOW_PATH]
    assert used
    assert used <= set(on)
