"""The pipeline of Slipway's own repository: linted, committed as rendered, and its properties."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from slipway.contract import INFRA_APP_PERMISSIONS, INFRA_READ_APP_PERMISSIONS, InfraSecret
from slipway.errors import ConfigError
from slipway.workflows import ALL_PINS, load_yaml
from slipway.workflows.infra_pipeline import (
    DEPENDABOT_PATH,
    INFRA_WORKFLOW_PATH,
    PLAN_DIR,
    InfraPipelineSpec,
    infra_workflow,
    render_infra_files,
    up_job_id,
)
from slipway.workflows.pins import CONFIGURE_AWS, CREATE_APP_TOKEN, PULUMI
from tests.workflows.conftest import tool, write_repository
from tests.workflows.test_lint import _run
from tooling.offline import ROOT as REPOSITORY_ROOT
from tooling.offline import discover_stacks
from tooling.pipeline import main, slipway_pipeline, stale_files

SPEC = slipway_pipeline()
USES_LINE = re.compile(r"^\s*(?:- )?uses: (\S+)(.*)$")
PREVIEW_ROLE = "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
APPLY_ROLE = "${{ vars.AWS_INFRA_ROLE_ARN }}"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render_infra_files(SPEC)


@pytest.fixture(scope="module")
def workflow(files: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(files[INFRA_WORKFLOW_PATH])
    return data


@pytest.fixture(scope="module")
def repo(files: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repository(tmp_path_factory.mktemp("infra-repo"), files)


def _step(job: dict[str, Any], pin_action: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{pin_action}@")]
    assert len(found) == 1, (pin_action, job["name"])
    step: dict[str, Any] = found[0]
    return step


def _jobs_for(workflow: dict[str, Any], event: str) -> dict[str, dict[str, Any]]:
    """Jobs whose ``if:`` can hold for ``event`` (every job here names its events)."""
    return {
        job_id: job
        for job_id, job in workflow["jobs"].items()
        if f"github.event_name == '{event}'" in job["if"]
    }


# --- linters: the same zero-findings bar as the application's workflows -----------------------


def test_actionlint_with_shellcheck(repo: Path) -> None:
    tool("shellcheck")  # actionlint silently skips shell checks without it
    result = _run([tool("actionlint"), "-no-color", str(repo / INFRA_WORKFLOW_PATH)], repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_pedantic(repo: Path) -> None:
    result = _run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "plain", "."], repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout
    for name in ("infra.yml", "dependabot.yml"):
        assert name in result.stderr, result.stderr  # both files were audited


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-workflows", INFRA_WORKFLOW_PATH), ("vendor.dependabot", DEPENDABOT_PATH)],
)
def test_schema(repo: Path, schema: str, path: str) -> None:
    result = _run([tool("check-jsonschema"), "--builtin-schema", schema, str(repo / path)], repo)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the committed files are the rendering ----------------------------------------------------


def test_committed_files_equal_the_rendering(files: dict[str, str]) -> None:
    for relative, content in files.items():
        committed = REPOSITORY_ROOT / relative
        assert committed.is_file(), f"{relative} missing: python -m {main.__module__} --write"
        assert committed.read_text(encoding="utf-8") == content, (
            f"{relative} differs from the rendering: python -m {main.__module__} --write"
        )
    assert stale_files(REPOSITORY_ROOT) == []


def _project(root: Path, *extra: str) -> Path:
    for path in REPOSITORY_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, root / path.name)
    for name in extra:
        shutil.copy(REPOSITORY_ROOT / "Pulumi.staging.yaml", root / f"Pulumi.{name}.yaml")
    return root


def test_cli_checks_then_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _project(tmp_path)
    assert main(["--root", str(tmp_path)]) == 1
    assert INFRA_WORKFLOW_PATH in capsys.readouterr().err
    assert main(["--write", "--root", str(tmp_path)]) == 0
    assert main(["--root", str(tmp_path)]) == 0
    (tmp_path / INFRA_WORKFLOW_PATH).write_text("edited\n", encoding="utf-8")
    assert stale_files(tmp_path) == [INFRA_WORKFLOW_PATH]
    assert main(["--root", str(tmp_path)]) == 1


def test_the_pipeline_has_a_stage_for_every_stack_file(tmp_path: Path) -> None:
    name = next(n for n in ("qa", "qa2", "qa3") if n not in SPEC.stacks)
    root = _project(tmp_path, name)
    spec = slipway_pipeline(root)
    # A copy of staging: in promotion order, after every dev and prod's predecessors.
    assert set(spec.stacks) == {*SPEC.stacks, name}
    assert spec.stacks == discover_stacks(root)
    assert spec.stacks.index(name) < spec.stacks.index("prod")
    workflow = infra_workflow(spec)
    assert workflow["jobs"][up_job_id(name)]["environment"] == f"infra-{name}"
    assert workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"] == list(spec.stacks)


def test_rendering_is_deterministic(files: dict[str, str]) -> None:
    assert render_infra_files(slipway_pipeline()) == files
    assert all(content.endswith("\n") for content in files.values())


# --- every workflow's rules ---------------------------------------------------------------------


def test_every_uses_is_pinned_with_its_tag_comment(files: dict[str, str]) -> None:
    by_uses = {pin.uses: pin for pin in ALL_PINS}
    seen = set()
    for line in files[INFRA_WORKFLOW_PATH].splitlines():
        match = USES_LINE.match(line)
        if match is None:
            continue
        value, rest = match.groups()
        assert value in by_uses, f"{value} is not in pins.py"
        assert rest == f"  # {by_uses[value].tag}", line
        seen.add(value)
    assert PULUMI.uses in seen
    assert CONFIGURE_AWS.uses in seen


def test_workflow_hardening(files: dict[str, str], workflow: dict[str, Any]) -> None:
    text = files[INFRA_WORKFLOW_PATH]
    assert "pull_request_target" not in text
    assert "workflow_run" not in text
    # The only secrets read: the infra app's credential, by the step minting its token.
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            reads = "secrets." in str(step)
            assert reads == str(step.get("uses", "")).startswith(CREATE_APP_TOKEN.uses), (
                job_id,
                step["name"],
            )
    assert set(re.findall(r"secrets\.(\w+)", text)) == {s.value for s in InfraSecret}
    assert workflow["permissions"] == {}
    assert "concurrency" in workflow
    for job_id, job in workflow["jobs"].items():
        assert isinstance(job["timeout-minutes"], int), job_id
        assert "permissions" in job, job_id
        for step in job["steps"]:
            if "run" in step:
                assert "${{" not in step["run"], (job_id, step["name"])
                assert step["shell"] == "bash"
                assert step["run"].startswith("set -euo pipefail\n")
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False
    # Every granted permission carries its reason (zizmor's pedantic persona checks it too).
    for line in text.splitlines():
        if re.match(r"^\s+(?:contents|id-token|pull-requests|issues): (?:read|write)", line):
            assert "  # " in line, line


def test_triggers(workflow: dict[str, Any]) -> None:
    assert workflow["on"] == {
        "pull_request": {"branches": ["main"]},
        "push": {"branches": ["main"]},
        "schedule": [{"cron": SPEC.drift_schedule_cron}],
        "workflow_dispatch": {},
    }
    concurrency = workflow["concurrency"]
    assert "github.event_name" in concurrency["group"]  # a drift run never replaces a push run
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


# --- pull requests ---------------------------------------------------------------------------


def test_fork_pull_requests_get_checks_without_credentials(workflow: dict[str, Any]) -> None:
    pr_jobs = _jobs_for(workflow, "pull_request")
    assert set(pr_jobs) == {"checks", "preview"}
    # What a fork's pull request runs: every pull_request job but the same-repository preview.
    fork_jobs = {k: v for k, v in pr_jobs.items() if SAME_REPOSITORY not in v["if"]}
    assert set(fork_jobs) == {"checks"}
    checks = fork_jobs["checks"]
    assert checks["permissions"] == {"contents": "read"}
    assert "environment" not in checks
    assert "secrets." not in repr(checks)
    assert "vars." not in repr(checks)
    runs = [s["run"] for s in checks["steps"] if "run" in s]
    assert any("make test\n" in r for r in runs)
    assert any(f'make plan PLAN_ARGS="--out {PLAN_DIR}"' in r for r in runs)
    upload = _step(checks, "actions/upload-artifact")
    assert upload["with"]["path"] == PLAN_DIR
    # A re-run of the job is the same workflow run: without overwrite, upload-artifact v4+
    # refuses the name its first attempt uploaded.
    assert upload["with"]["overwrite"] is True
    assert not any("configure-aws-credentials" in str(s.get("uses")) for s in checks["steps"])


def test_preview_only_for_same_repository_pull_requests(workflow: dict[str, Any]) -> None:
    preview = workflow["jobs"]["preview"]
    assert preview["if"] == f"github.event_name == 'pull_request' && {SAME_REPOSITORY}"
    # Each stack's own preview environment: its own role's ARN, and its subject (never
    # pull_request) is what that stack's preview role trusts; prod's has reviewers.
    assert preview["environment"] == {
        "name": "infra-preview-${{ matrix.stack }}",
        "deployment": False,
    }
    assert [SPEC.preview_environment(s) for s in SPEC.stacks] == [
        f"infra-preview-{s}" for s in SPEC.stacks
    ]
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    assert preview["strategy"]["matrix"]["stack"] == list(SPEC.stacks)
    creds = _step(preview, CONFIGURE_AWS.action)["with"]
    assert creds["role-to-assume"] == PREVIEW_ROLE
    assert creds["allowed-account-ids"] == "${{ vars.AWS_ACCOUNT_ID }}"
    pulumi = _step(preview, PULUMI.action)["with"]
    assert pulumi["command"] == "preview"
    assert pulumi["comment-on-pr"] is True
    assert pulumi["refresh"] is True
    assert pulumi["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "expect-no-changes" not in pulumi


# --- push to main ------------------------------------------------------------------------------


def test_up_jobs_run_in_order_in_their_environments(workflow: dict[str, Any]) -> None:
    push_jobs = _jobs_for(workflow, "push")
    assert list(push_jobs) == ["checks", *(up_job_id(s) for s in discover_stacks())]
    previous = "checks"
    for stack in SPEC.stacks:
        job = push_jobs[f"up-{stack}"]
        assert job["needs"] == previous
        assert "github.ref == 'refs/heads/main'" in job["if"]
        assert job["environment"] == f"infra-{stack}"  # GithubOidc's apply-role subject
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        creds = _step(job, CONFIGURE_AWS.action)["with"]
        assert creds["role-to-assume"] == APPLY_ROLE
        pulumi = _step(job, PULUMI.action)["with"]
        assert pulumi["command"] == "up"
        assert pulumi["stack-name"] == stack
        assert pulumi["pulumi-version"] == SPEC.pulumi_version
        previous = f"up-{stack}"
    # Only the up jobs hold the apply role, and every one of them sits in an environment.
    for job_id, job in workflow["jobs"].items():
        if APPLY_ROLE in repr(job):
            assert job_id.startswith("up-"), job_id
            assert "environment" in job, job_id


def test_a_killed_up_says_how_to_recover(workflow: dict[str, Any], tmp_path: Path) -> None:
    """After the up step, failed, cancelled or timed out (failure() alone skips the last two),
    each up job prints what releases its stack's lock in the S3 backend and settles pending
    operations (pulumi/pulumi pkg/backend/diy/backend.go, CancelCurrentUpdate, deletes
    .pulumi/locks/<qualified stack>/*.json)."""
    (tmp_path / "Pulumi.yaml").write_text("name: slipway\nruntime: python\n")
    backend = "s3://acme-pulumi-state?region=eu-west-1&awssdk=v2"
    for stack in SPEC.stacks:
        steps = workflow["jobs"][up_job_id(stack)]["steps"]
        up = steps.index(_step(workflow["jobs"][up_job_id(stack)], PULUMI.action))
        recovery = steps[up + 1]
        assert recovery["if"] == "failure() || cancelled()"
        assert recovery["env"] == {"BACKEND_URL": "${{ vars.PULUMI_BACKEND_URL }}"}
        summary = tmp_path / f"summary-{stack}.md"
        result = subprocess.run(
            ["bash", "-c", recovery["run"]],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "BACKEND_URL": backend,
                "GITHUB_STEP_SUMMARY": str(summary),
            },
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout == summary.read_text()
        lines = result.stdout.splitlines()
        assert f"pulumi cancel --stack {stack} --yes" in lines
        assert (
            f"#    (it deletes s3://acme-pulumi-state/.pulumi/locks/organization/slipway/{stack}"
            "/*.json)" in lines
        )
        assert f"pulumi refresh --stack {stack} --yes --clear-pending-creates" in lines
        assert f"pulumi login '{backend}'" in lines


def test_pinned_pulumi_cli_matches_the_sdk_pin(workflow: dict[str, Any]) -> None:
    requirements = (REPOSITORY_ROOT / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(r"^pulumi==(\S+)$", requirements, re.MULTILINE)
    assert match is not None
    assert SPEC.pulumi_version == match.group(1)
    versions = {
        step["with"]["pulumi-version"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith(f"{PULUMI.action}@")
    }
    assert versions == {match.group(1)}


# --- the GitHub provider's credential: an App installation token per job -----------------------


def _token_permissions(job: dict[str, Any]) -> dict[str, str]:
    inputs = _step(job, CREATE_APP_TOKEN.action)["with"]
    return {
        key.removeprefix("permission-").replace("-", "_"): value
        for key, value in inputs.items()
        if key.startswith("permission-")
    }


def test_each_job_mints_its_github_token_narrowed_to_what_it_does(
    workflow: dict[str, Any],
) -> None:
    jobs = workflow["jobs"]
    readers = [jobs["preview"], jobs["drift"]]
    writers = [jobs[up_job_id(stack)] for stack in SPEC.stacks]
    for job in readers + writers:
        token = _step(job, CREATE_APP_TOKEN.action)
        assert token["with"]["client-id"] == "${{ secrets.INFRA_APP_CLIENT_ID }}"
        assert token["with"]["private-key"] == "${{ secrets.INFRA_APP_PRIVATE_KEY }}"
        # Only the application repository and this one, never the whole installation.
        assert token["with"]["repositories"] == (
            "${{ vars.APPLICATION_REPOSITORY }},${{ github.event.repository.name }}"
        )
        assert "owner" not in token["with"]
        # The token reaches the GitHub provider (GITHUB_TOKEN), after it is minted.
        steps = job["steps"]
        pulumi = _step(job, PULUMI.action)
        assert pulumi["env"] == {"GITHUB_TOKEN": "${{ steps.github-token.outputs.token }}"}
        assert steps.index(token) < steps.index(pulumi)
        assert token["id"] == "github-token"
    for job in readers:
        assert _token_permissions(job) == INFRA_READ_APP_PERMISSIONS, job["name"]
        assert set(_token_permissions(job).values()) == {"read"}
    for job in writers:
        assert _token_permissions(job) == INFRA_APP_PERMISSIONS, job["name"]
    # The checks (forks too) and the drift report mint nothing.
    for job_id in ("checks", "drift-issue"):
        assert "secrets." not in str(jobs[job_id]), job_id


def test_the_read_only_app_may_write_nothing() -> None:
    assert set(INFRA_READ_APP_PERMISSIONS) == set(INFRA_APP_PERMISSIONS) - {"workflows"}
    assert set(INFRA_READ_APP_PERMISSIONS.values()) == {"read"}


# --- drift ---------------------------------------------------------------------------------------


def test_drift_check_is_read_only_and_fails_on_changes(workflow: dict[str, Any]) -> None:
    assert set(_jobs_for(workflow, "schedule")) == {"drift", "drift-issue"}
    drift = workflow["jobs"]["drift"]
    # Its own environment: the OIDC subject the read-only preview role trusts for scheduled runs.
    assert drift["environment"] == {"name": "infra-drift-${{ matrix.stack }}", "deployment": False}
    assert SPEC.drift_environment("prod") == "infra-drift-prod"
    assert drift["permissions"] == {"contents": "read", "id-token": "write"}
    assert drift["strategy"] == {"fail-fast": False, "matrix": {"stack": list(SPEC.stacks)}}
    assert _step(drift, CONFIGURE_AWS.action)["with"]["role-to-assume"] == PREVIEW_ROLE
    pulumi = _step(drift, PULUMI.action)
    assert "continue-on-error" not in pulumi  # drift fails the job
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["expect-no-changes"] is True
    assert pulumi["with"]["refresh"] is True
    report = workflow["jobs"]["drift-issue"]
    assert report["needs"] == "drift"
    assert report["if"].startswith("failure() && ")
    assert report["permissions"] == {"issues": "write"}  # and nothing that runs the program
    assert not any("uses" in s for s in report["steps"])


# --- the spec ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stacks", ()),
        ("stacks", ("dev", "dev")),
        ("stacks", ("Prod",)),
        ("pulumi_version", "^3"),
        ("aws_region", "eu_west_1"),
        ("default_branch", "-main"),
        ("drift_schedule_cron", "@daily"),
        ("preview_role_variable", "GITHUB_ROLE"),
        ("apply_role_variable", "AWS_PREVIEW_ROLE_ARN"),
        ("preview_environment_prefix", "infra-"),
        ("drift_environment_prefix", "infra-preview-"),
        ("backend_url_variable", "pulumi url"),
        ("up_timeout_minutes", 0),
        ("checks_timeout_minutes", True),
    ],
)
def test_spec_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"InfraPipelineSpec\.{field}: got"):
        InfraPipelineSpec(**{field: value})  # type: ignore[arg-type]


def test_spec_follows_the_stacks() -> None:
    spec = InfraPipelineSpec(stacks=("staging", "prod"), default_branch="trunk")
    jobs = infra_workflow(spec)["jobs"]
    assert [j for j in jobs if j.startswith("up-")] == ["up-staging", "up-prod"]
    assert jobs["up-staging"]["needs"] == "checks"
    assert jobs["up-prod"]["environment"] == "infra-prod"
    assert "refs/heads/trunk" in jobs["up-prod"]["if"]
    assert jobs["drift"]["strategy"]["matrix"]["stack"] == ["staging", "prod"]
