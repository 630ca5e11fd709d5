"""preview.yml: zero findings from the linters, and the graph properties of issue 25."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from slipway.errors import ConfigError
from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.docker import PREVIEW_STAGE, VERIFY_STEPS
from slipway.workflows.preview import PREVIEW_STATUS, PREVIEW_STEPS
from slipway.workflows.preview_workflow import (
    PREVIEW_WORKFLOW_PATH,
    SAME_REPOSITORY,
    STILL_OPEN,
    preview_workflow,
    render_preview_files,
)
from slipway.workflows.render import files_used_by
from slipway.workflows.spec import WorkflowSpec
from tests.iam_checks import _parliament
from tests.setup import github_openapi
from tests.workflows.conftest import SPECS, tool, tool_env, write_repository

LABELLED = SPECS["previews"]
"""Previews on behind the label gate: one of the specs every file-level workflow test runs on
(tests/workflows/conftest.py: actionlint with ShellCheck, zizmor pedantic, the schemas,
hadolint, the snapshots)."""
SPEC = dataclasses.replace(LABELLED, preview_label=None)
"""The default spec with previews on and no label gate (preview.yml calls its docker.yml)."""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ungated render: the gated one is linted through ``SPECS`` (test_lint.py); the
    delivered preview scripts, which test_lint.py does not reach (they are under
    ``.github/scripts/deploy/``), are the same in both."""
    return write_repository(tmp_path_factory.mktemp("preview-repo"), render_workflow_files(SPEC))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=300, check=False
    )


def test_actionlint_with_shellcheck(repo: Path) -> None:
    tool("shellcheck")
    done = _run(
        [tool("actionlint"), "-no-color", PREVIEW_WORKFLOW_PATH, ".github/workflows/docker.yml"],
        repo,
    )
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
            ".github/workflows/docker.yml",
        ],
        repo,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_delivered_scripts_pass_shellcheck(repo: Path) -> None:
    scripts = sorted(
        str(p) for p in (repo / ".github" / "scripts").rglob("*.sh") if "preview" in p.name
    )
    # deploy, wait, status, teardown, removed, sweep, open pull requests, and lib/preview.sh
    assert len(scripts) == 8
    done = _run(
        [tool("shellcheck"), "--severity=style", "-x", *scripts],
        repo / ".github" / "scripts" / "deploy",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _conjuncts(condition: str) -> list[str]:
    """The top-level ``&&`` terms of a condition (outside parentheses and quotes); the whole
    condition when it has a top-level ``||`` (no term then holds for every run)."""
    terms: list[str] = []
    depth, quoted, start = 0, False, 0
    i = 0
    while i < len(condition):
        c = condition[i]
        if c == "'":
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
        elif not quoted and depth == 0 and condition.startswith("||", i):
            return [condition]
        elif not quoted and depth == 0 and condition.startswith("&&", i):
            terms.append(condition[start:i].strip())
            start = i + 2
            i += 1
        i += 1
    return [*terms, condition[start:].strip()]


def test_conjuncts_split_only_at_the_top_level() -> None:
    assert _conjuncts("a && (b || c) && 'x && y' == d") == ["a", "(b || c)", "'x && y' == d"]
    assert _conjuncts("a && b || c") == ["a && b || c"]


def _events() -> set[str]:
    return set(load_yaml(render_preview_files(SPEC)[PREVIEW_WORKFLOW_PATH])["on"])


def _pull_request_guarded(job_id: str, job: dict[str, object]) -> None:
    condition = str(job["if"])
    if re.fullmatch(
        r"github\.event_name == 'schedule' \|\| github\.event_name == 'workflow_dispatch'",
        condition,
    ):
        return
    # The fork check is a term every run of the job must satisfy.
    assert SAME_REPOSITORY in _conjuncts(condition), job_id


@pytest.mark.parametrize("spec", [SPEC, LABELLED], ids=["all", "labelled"])
def test_no_fork_path_reaches_an_oidc_token_or_the_push(spec: WorkflowSpec) -> None:
    """Every job of preview.yml, and the docker.yml job it calls, that holds ``id-token:
    write`` (the preview role, and through it the push) runs on a schedule or dispatch only, or
    has the same-repository check as a term every run satisfies; nothing uses
    pull_request_target."""
    files = render_workflow_files(spec)
    document = preview_workflow(spec)
    assert _events() == {"pull_request", "schedule", "workflow_dispatch"}
    assert not any("pull_request_target" in text for text in files.values())
    assert document["permissions"] == {}
    guarded = 0
    for job_id, job in document["jobs"].items():
        if job["permissions"].get("id-token") == "write":
            _pull_request_guarded(job_id, job)
            guarded += 1
    assert guarded == 4
    docker = load_yaml(files[".github/workflows/docker.yml"])
    pushers = [
        job_id
        for job_id, job in docker["jobs"].items()
        if job.get("permissions", {}).get("id-token") == "write" and PREVIEW_STAGE in str(job["if"])
    ]
    assert pushers == ["preview"]
    _pull_request_guarded("docker.yml preview", docker["jobs"]["preview"])
    # The preview image is pushed in that job only, after the checks.
    steps = docker["jobs"]["preview"]["steps"]
    ids = [step.get("id") for step in steps]
    push = ids.index("push")
    assert steps[push]["with"]["push"] is True
    assert all(ids.index(check) < push for check in VERIFY_STEPS)
    assert (
        ":pr-${{ github.event.pull_request.number }}-${{ github.event.pull_request.head.sha }}"
        in (steps[push]["with"]["tags"])
    )
    # The preview job's image comes from there, by digest.
    image = document["jobs"]["image"]
    assert image["uses"] == "$/.github/workflows/docker.yml"
    assert image["with"]["stage"] == PREVIEW_STAGE
    assert "steps.push.outputs.digest" in docker["jobs"]["preview"]["outputs"]["image"]


def test_the_label_gate_adds_the_label_term_and_the_labeled_trigger() -> None:
    assert "labeled" not in preview_workflow(SPEC)["on"]["pull_request"]["types"]
    assert "labeled" in preview_workflow(LABELLED)["on"]["pull_request"]["types"]
    for job in ("image", "deploy"):
        condition = preview_workflow(LABELLED)["jobs"][job]["if"]
        assert (
            "contains(github.event.pull_request.labels.*.name, 'preview')"
            in _conjuncts(condition.replace("(github.event.action", "github.event.action"))
            or "contains(github.event.pull_request.labels.*.name, 'preview')" in condition
        )
        assert condition.endswith("&& contains(github.event.pull_request.labels.*.name, 'preview')")
    with pytest.raises(ConfigError, match="preview_label"):
        dataclasses.replace(SPEC, preview_label="it's")


def _owner_preview_workflow(label: str | None) -> dict[str, Any]:
    """preview.yml as the shipped owner stack (prod) renders it when dev's stack file turns
    previews on with ``previewLabel`` ``label`` (tests/test_cross_stack.py reads it from the
    file through the program)."""
    from infra.domains.workflows import RepositoryPreviews
    from infra.stack import workflow_spec
    from tooling.offline import stack_settings

    previews = RepositoryPreviews(owner="dev", label=label)
    files = render_workflow_files(workflow_spec(stack_settings("prod"), previews))
    document: dict[str, Any] = load_yaml(files[PREVIEW_WORKFLOW_PATH])
    return document


def test_the_preview_label_setting_gates_the_owners_preview_yml() -> None:
    """``slipway:previewLabel`` reaches ``WorkflowSpec.preview_label``: the rendered deploy and
    image jobs need the label and ``labeled`` triggers them; unset, no gate."""
    gated = _owner_preview_workflow("needs preview")
    assert "labeled" in gated["on"]["pull_request"]["types"]
    for job in ("image", "deploy"):
        assert gated["jobs"][job]["if"].endswith(
            "&& contains(github.event.pull_request.labels.*.name, 'needs preview')"
        )
    ungated = _owner_preview_workflow(None)
    assert "labeled" not in ungated["on"]["pull_request"]["types"]
    assert "labels" not in ungated["jobs"]["deploy"]["if"]


def test_the_deploy_reads_the_ttl_the_owner_writes() -> None:
    """The deploy step gets ``PREVIEW_TTL_HOURS`` from the ``preview`` environment (the
    stack's ``previewTtlHours``), the variable preview-deploy.sh reads."""
    deploy = preview_workflow(SPEC)["jobs"]["deploy"]
    envs = [step.get("env", {}) for step in deploy["steps"]]
    assert any(env.get("PREVIEW_TTL_HOURS") == "${{ vars.PREVIEW_TTL_HOURS }}" for env in envs)
    script = (
        Path(__file__).parents[2] / "components/slipway/workflows/steps/preview-deploy.sh"
    ).read_text()
    assert "ttl_hours=${PREVIEW_TTL_HOURS:-72}" in script


def test_the_deploy_needs_the_tested_and_scanned_image_and_shares_the_queue() -> None:
    jobs = preview_workflow(SPEC)["jobs"]
    deploy = jobs["deploy"]
    assert deploy["needs"] == "image"
    assert deploy["concurrency"] == jobs["teardown"]["concurrency"]
    assert deploy["concurrency"]["queue"] == "max"
    assert deploy["environment"] == {"name": "preview", "deployment": False}
    images = [
        step["env"]["PREVIEW_IMAGE"]
        for step in deploy["steps"]
        if "PREVIEW_IMAGE" in step.get("env", {})
    ]
    assert images == ["${{ needs.image.outputs.preview-image }}"]
    assert "closed" not in deploy["if"]
    assert jobs["image"]["if"] == deploy["if"]


def test_teardown_depends_on_nothing_and_never_loses_its_place_in_the_queue() -> None:
    teardown = preview_workflow(SPEC)["jobs"]["teardown"]
    assert "needs" not in teardown
    assert "deploy" not in str(teardown["if"])
    assert "closed" in preview_workflow(SPEC)["on"]["pull_request"]["types"]
    assert teardown["concurrency"]["queue"] == "max"
    assert teardown["concurrency"]["cancel-in-progress"] is False
    assert "github.event.pull_request.number" in teardown["concurrency"]["group"]


def test_the_sweep_runs_on_a_schedule_and_by_dispatch() -> None:
    document = preview_workflow(SPEC)
    assert document["on"]["schedule"]
    assert "workflow_dispatch" in document["on"]
    sweep = document["jobs"]["sweep"]
    assert "needs" not in sweep
    assert "schedule" in sweep["if"]
    assert "workflow_dispatch" in sweep["if"]


def test_every_run_step_of_the_workflow_is_a_delivered_preview_step() -> None:
    runs = {
        step["run"]
        for job in preview_workflow(SPEC)["jobs"].values()
        for step in job.get("steps", ())
        if "run" in step
    }
    assert runs <= {step.run for step in PREVIEW_STEPS}
    files = render_preview_files(SPEC)
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
    assert set(on) - set(off) == set(render_preview_files(SPEC)) - set(off)
    assert set(render_preview_files(SPEC)) <= set(on)
    changed = {path for path in off if on[path] != off[path]}
    # Dependabot leaves preview.yml alone; docker.yml gains its preview stage.
    assert changed == {".github/dependabot.yml", ".github/workflows/docker.yml"}
    assert "preview" not in load_yaml(off[".github/workflows/docker.yml"])["jobs"]
    assert on[PREVIEW_WORKFLOW_PATH] == render_preview_files(SPEC)[PREVIEW_WORKFLOW_PATH]
    dependabot = load_yaml(on[".github/dependabot.yml"])["updates"][0]
    assert PREVIEW_WORKFLOW_PATH in dependabot["exclude-paths"]
    used = files_used_by(on)[PREVIEW_WORKFLOW_PATH]
    assert used
    assert used <= set(on)


FAKE_GH = """#!{python}
# Records each call (its arguments, and the body it reads with --input -) and answers what
# preview-status.sh reads back, after --jq as gh would: a new deployment's id, the comments
# whose body starts with the marker (FAKE_COMMENTS), the pull request's state (FAKE_PR_STATE).
import json, os, sys
args = sys.argv[1:]
stdin = sys.stdin.read() if "--input" in args else None
with open(os.environ["GH_CALLS"], "a") as log:
    log.write(json.dumps({{"args": args, "stdin": stdin}}) + "\\n")
if any(a.endswith("/pulls/12") for a in args):
    print(os.environ.get("FAKE_PR_STATE", "open"))
elif "POST" in args and any(a.endswith("/deployments") for a in args):
    print(777)
elif "--paginate" in args and any("/comments?" in a for a in args):
    for i in os.environ.get("FAKE_COMMENTS", "").split():
        print(i)
"""


def _requests(calls: Path) -> list[tuple[str, str, dict[str, str], dict[str, object] | None]]:
    """Each recorded ``gh api`` call as GitHub receives it: method, path, query, JSON body."""
    out: list[tuple[str, str, dict[str, str], dict[str, object] | None]] = []
    for line in calls.read_text().splitlines():
        call = json.loads(line)
        args, body = call["args"], None
        assert args[0] == "api"
        method, target, fields, i = "GET", "", {}, 1
        while i < len(args):
            arg = args[i]
            if arg in ("--method", "--jq", "--input"):
                if arg == "--method":
                    method = args[i + 1]
                i += 2
                continue
            if arg == "-f":
                key, _, value = args[i + 1].partition("=")
                fields[key] = value
                i += 2
                continue
            if arg != "--paginate":
                target = arg
            i += 1
        if call["stdin"] is not None:
            body = json.loads(call["stdin"])
        elif fields:
            body = dict(fields)
        path, _, query = target.partition("?")
        out.append((method, "/" + path, dict(parse_qsl(query)), body))
    return out


def _status(tmp_path: Path, state: str, comments: str = "", **env: str) -> tuple[Path, str]:
    stub = tmp_path / "bin"
    stub.mkdir(exist_ok=True)
    (stub / "gh").write_text(FAKE_GH.format(python=sys.executable))
    (stub / "gh").chmod(0o755)
    calls = tmp_path / f"calls-{state}"
    output = tmp_path / f"output-{state}"
    output.touch()
    run_env = tool_env()
    run_env.update(
        PATH=f"{stub}:{run_env['PATH']}",
        GH_CALLS=str(calls),
        GITHUB_OUTPUT=str(output),
        GITHUB_REPOSITORY="acme/web",
        GH_TOKEN="x",
        FAKE_COMMENTS=comments,
        PREVIEW_PR="12",
        PREVIEW_SHA="0123456789abcdef0123456789abcdef01234567",
        PREVIEW_STATE=state,
        PREVIEW_LOGS_URL="https://github.com/acme/web/actions/runs/99",
        **env,
    )
    done = subprocess.run(
        ["bash", "-c", PREVIEW_STATUS.source],
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return calls, output.read_text()


def _check_against_github(
    requests: list[tuple[str, str, dict[str, str], dict[str, object] | None]],
) -> None:
    for method, path, query, body in requests:
        github_openapi.validate_request(
            method, path, query, None if body is None else json.dumps(body).encode()
        )


def test_a_deploying_preview_creates_a_transient_deployment_and_the_sticky_comment(
    tmp_path: Path,
) -> None:
    calls, output = _status(tmp_path, "in_progress")
    requests = _requests(calls)
    _check_against_github(requests)
    writes = [(m, p, b) for m, p, _, b in requests if m != "GET"]
    assert writes[0] == (
        "POST",
        "/repos/acme/web/deployments",
        {
            "ref": "0123456789abcdef0123456789abcdef01234567",
            "environment": "preview-pr-12",
            "transient_environment": True,
            "production_environment": False,
            "auto_merge": False,
            "required_contexts": [],
            "description": "Pull request preview",
        },
    )
    assert writes[1][:2] == ("POST", "/repos/acme/web/deployments/777/statuses")
    assert writes[1][2] == {
        "state": "in_progress",
        "log_url": "https://github.com/acme/web/actions/runs/99",
        "description": "Pull request preview",
    }
    # No comment carries the marker yet: one is created.
    assert writes[2][:2] == ("POST", "/repos/acme/web/issues/12/comments")
    body = str(writes[2][2]["body"])  # type: ignore[index]
    assert body.startswith("<!-- slipway-preview -->\n**Preview deploying** for 0123456")
    assert "[Logs](https://github.com/acme/web/actions/runs/99)" in body
    assert len(writes) == 3
    assert output == "open=true\ndeployment-id=777\n"
    assert requests[0][:2] == ("GET", "/repos/acme/web/pulls/12")


def test_a_pull_request_closed_while_its_image_built_gets_no_preview(tmp_path: Path) -> None:
    """The image job runs outside the pull request's queue: when the close and its teardown
    came first, the deploy finds the pull request closed and does nothing, so no preview
    outlives its teardown; the steps after it are skipped on ``open``."""
    calls, output = _status(tmp_path, "in_progress", FAKE_PR_STATE="closed")
    requests = _requests(calls)
    _check_against_github(requests)
    assert [(m, p) for m, p, _, _ in requests] == [("GET", "/repos/acme/web/pulls/12")]
    assert output == "open=false\n"
    deploy = preview_workflow(SPEC)["jobs"]["deploy"]
    after = deploy["steps"][
        deploy["steps"].index(next(s for s in deploy["steps"] if s.get("id") == "start")) + 1 :
    ]
    assert after
    assert all(STILL_OPEN in step["if"] for step in after)


def test_a_ready_preview_updates_the_one_sticky_comment_with_url_and_expiry(
    tmp_path: Path,
) -> None:
    calls, output = _status(
        tmp_path,
        "success",
        comments="9001 9002",
        PREVIEW_DEPLOYMENT_ID="777",
        PREVIEW_URL="https://pr-12.pr.dev.acme.example",
        PREVIEW_EXPIRES="1800000000",
    )
    requests = _requests(calls)
    _check_against_github(requests)
    writes = [(m, p, b) for m, p, _, b in requests if m != "GET"]
    assert writes[0] == (
        "POST",
        "/repos/acme/web/deployments/777/statuses",
        {
            "state": "success",
            "log_url": "https://github.com/acme/web/actions/runs/99",
            "description": "Pull request preview",
            "environment_url": "https://pr-12.pr.dev.acme.example",
        },
    )
    # Found by its marker and updated; never a second comment.
    assert [(m, p) for m, p, _ in writes[1:]] == [("PATCH", "/repos/acme/web/issues/comments/9001")]
    body = str(writes[1][2]["body"])  # type: ignore[index]
    assert "**Preview ready** for 0123456: https://pr-12.pr.dev.acme.example" in body
    assert "It expires at 2027-01-15T08:00Z" in body
    assert "[Logs](https://github.com/acme/web/actions/runs/99)" in body
    assert output == ""


def test_a_failed_preview_says_so_on_its_deployment_and_comment(tmp_path: Path) -> None:
    calls, _ = _status(tmp_path, "failure", comments="9001", PREVIEW_DEPLOYMENT_ID="777")
    requests = _requests(calls)
    _check_against_github(requests)
    writes = [(m, p, b) for m, p, _, b in requests if m != "GET"]
    assert writes[0][2]["state"] == "failure"  # type: ignore[index]
    assert "environment_url" not in writes[0][2]  # type: ignore[operator]
    assert "**Preview failed**" in str(writes[1][2]["body"])  # type: ignore[index]


def test_a_failed_preview_gives_its_reason_on_its_deployment_and_comment(tmp_path: Path) -> None:
    """preview-wait.sh's reason (a stopped task's, or the timeout's) reaches the pull request:
    the comment gives it on one line, the deployment status's description (140 characters at
    most, REST "Create a deployment status") starts with it."""
    reason = "task 0f3c stopped: CannotPullContainerError: pull image manifest " + "x" * 150
    calls, _ = _status(
        tmp_path,
        "failure",
        comments="9001",
        PREVIEW_DEPLOYMENT_ID="777",
        PREVIEW_REASON=reason + "\nfrom AWS",
    )
    requests = _requests(calls)
    _check_against_github(requests)
    writes = [(m, p, b) for m, p, _, b in requests if m != "GET"]
    status = writes[0][2]
    assert status is not None
    assert status["state"] == "failure"
    assert status["description"] == f"Preview failed: {reason}"[:140]
    body = str(writes[1][2]["body"])  # type: ignore[index]
    assert f"**Preview failed** for 0123456: {reason} from AWS.\n[Logs](" in body


def test_the_removed_step_sends_what_github_describes(tmp_path: Path) -> None:
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "gh").write_text(FAKE_GH.format(python=sys.executable))
    (stub / "gh").chmod(0o755)
    calls = tmp_path / "calls"
    env = tool_env()
    env.update(
        PATH=f"{stub}:{env['PATH']}",
        GH_CALLS=str(calls),
        GITHUB_REPOSITORY="acme/web",
        PREVIEW_PR="12",
        GH_TOKEN="x",
        FAKE_COMMENTS="9001",
    )
    step = next(s for s in PREVIEW_STEPS if s.name == "preview-removed")
    done = subprocess.run(
        ["bash", "-c", step.source], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    requests = _requests(calls)
    _check_against_github(requests)
    assert [(m, p) for m, p, _, _ in requests] == [
        ("GET", "/repos/acme/web/deployments"),
        ("GET", "/repos/acme/web/issues/12/comments"),
        ("PATCH", "/repos/acme/web/issues/comments/9001"),
    ]


def test_iam_cannot_limit_an_ecr_push_by_tag() -> None:
    """docs/previews.md says so: ``ecr:PutImage`` names the repository only, and no ECR
    condition key is an image tag (parliament's copy of the Service Authorization
    Reference)."""
    (ecr,) = [s for s in _parliament().iam_definition if s["prefix"] == "ecr"]
    put = next(p for p in ecr["privileges"] if p["privilege"] == "PutImage")
    assert [(r["resource_type"], r["condition_keys"]) for r in put["resource_types"]] == [
        ("repository*", [])
    ]
    keys = {c["condition"] for c in ecr["conditions"]}
    assert not any("tag" in key.lower() and "image" in key.lower() for key in keys), keys
    assert keys <= {
        "aws:RequestTag/${TagKey}",
        "aws:ResourceTag/${TagKey}",
        "aws:TagKeys",
        "ecr:AccountSetting",
        "ecr:ResourceTag/${TagKey}",
    }
