"""Issue 23, item 3: a publish that failed after its tags were pushed is finished by "Re-run
failed jobs", and the image is then tagged and deployed.

The run is played with the real tools where they exist: the Changesets CLI (select-mode's
``publish-plan``, ``pack``, the delivered publish script as changesets/action spawns it) against
verdaccio, the generated ``mode`` and ``publish`` shell steps under bash, git for the tags (a
bare repository plays GitHub's copy; a fake ``gh`` answers the tag API from it), and GitHub's
own expression evaluator (``@actions/expressions``) deciding every job's ``if:`` over the
recorded ``needs`` results and outputs. Only the jobs that build, tag or deploy the image
(reusable workflows, tested on their own in tests/workflows) are stubbed as succeeding.

Re-run semantics (GitHub Docs, "Re-running workflows and jobs"): "When you re-run failed jobs
or a specific job, GitHub also re-runs the jobs that depend on them. Jobs that aren't included
keep their outputs from the previous attempt, which the newly run jobs can use."

changesets/action v2.1.1 (8488615, ``src/run.ts`` runPublish, ``src/publish/index.ts``) sets
``published=true`` only when the CLI reported ``git-tag`` events in this attempt: a re-run after
the tags were pushed reports ``published=false``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from slipway.workflows import load_yaml, render_workflow_files, scripts
from slipway.workflows.release import DECIDE_STEP, PUBLISH_SCRIPT, RELEASED_STEP
from tests.release.expressions import (
    Case,
    JobRun,
    dependents,
    evaluate,
    inside,
    should_run,
    topological,
)
from tests.release.harness import Installs, Registry, Workspace
from tests.release.node_tools import NodeTools
from tests.release.test_changesets_cli import changeset, single_package, version_pull_request
from tests.workflows.conftest import SPECS

SPEC = SPECS["default"]
RELEASE: dict[str, Any] = load_yaml(render_workflow_files(SPEC)[".github/workflows/release.yml"])
JOBS: dict[str, Any] = RELEASE["jobs"]
REPOSITORY = "acme/storefront"
GITHUB = {"ref": f"refs/heads/{SPEC.default_branch}", "event_name": "push"}
PACKAGE = "storefront-rerun"
"""The package this module publishes (the session's verdaccio is shared: a name of its own)."""


def _tag_api(bin_dir: Path, origin: Path) -> None:
    """A ``gh`` whose ``api repos/<repo>/git/ref/tags/<tag>`` answers from ``origin`` (GitHub's
    copy of the repository), 404 when the tag is not there; anything else is refused."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/bin/bash\n"
        f'prefix="api repos/{REPOSITORY}/git/ref/tags/"\n'
        'if [[ "$1 $2" == "${prefix}"* ]]; then\n'
        '  tag="${2#repos/' + REPOSITORY + '/git/ref/tags/}"\n'
        f'  git --git-dir="{origin}" rev-parse --quiet --verify "refs/tags/${{tag}}" && exit 0\n'
        '  echo "gh: Not Found (HTTP 404)" >&2; exit 1\n'
        "fi\n"
        'echo "unexpected gh $*" >&2; exit 2\n'
    )
    gh.chmod(0o755)


def _step(job: str, id_: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in JOBS[job]["steps"] if s.get("id") == id_)
    return step


def _run_script(
    ws: Workspace, script: str, env: dict[str, str], bin_dir: Path, output: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """A ``run:`` step in the checkout: bash, ``$GITHUB_OUTPUT`` a file; its outputs."""
    output.write_text("")
    full = {
        **env,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_REPOSITORY": REPOSITORY,
        "PATH": f"{bin_dir}:{ws.env['PATH']}",
    }
    done = ws.run("bash", "-c", script, check=False, env=full)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, outputs


def _job_outputs(tools: NodeTools, job: str, steps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The job's ``outputs:`` evaluated over its steps' outputs (GitHub's evaluator)."""
    names = list(JOBS[job].get("outputs", {}))
    context = {"steps": {k: {"outputs": v} for k, v in steps.items()}}
    cases = [Case(inside(JOBS[job]["outputs"][n]), context) for n in names]
    return {n: r["value"] for n, r in zip(names, evaluate(tools, cases), strict=True)}


def _tag_events(output: Path) -> list[dict[str, str]]:
    if not output.exists():
        return []
    events = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    return [e for e in events if e.get("type") == "git-tag"]


def test_a_publish_that_failed_after_its_tags_is_finished_by_re_running_failed_jobs(
    node_tools: NodeTools, installs: Installs, registry: Registry, tmp_path: Path
) -> None:
    cs = changeset({PACKAGE: "minor"}, "Add the checkout page.")
    ws = single_package(tmp_path / "repo", node_tools, installs, registry, PACKAGE, "1.0.0", a=cs)
    # A fixture manifest the old decision would have taken for the image (item 1).
    fixture = ws.root / "docs" / "package.json"
    fixture.parent.mkdir()
    fixture.write_text(json.dumps({"name": "storefront-docs", "version": "0.1.0"}))
    ws.commit("docs site")
    version_pull_request(ws)  # merged: the push to main starts the Release run
    origin = tmp_path / "origin.git"
    ws.git("init", "-q", "--bare", "-b", SPEC.default_branch, str(origin))
    ws.git("remote", "add", "origin", str(origin))
    ws.git("push", "-q", "origin", "HEAD")
    bin_dir = tmp_path / "bin"
    _tag_api(bin_dir, origin)
    runner_temp = tmp_path / "runner-temp"
    pack_dir = runner_temp / "changeset-pack"

    def run_job(name: str, attempt: int, runs: dict[str, JobRun]) -> JobRun:
        if name == "mode":
            # select-mode: the CLI's publish plan where the action writes it, then the step.
            plan = runner_temp / "changeset-publish-plan-1765000000000" / "publish-plan.json"
            ws.changeset("publish-plan", "--output", str(plan))
            step = _step("mode", DECIDE_STEP)
            env = {
                "MODE": "publish",
                "IMAGE_PACKAGE": "",
                "DEFAULT_BRANCH": SPEC.default_branch,
                "GITHUB_REF_NAME": SPEC.default_branch,
                "CREATED": "false",
                "RUNNER_TEMP": str(runner_temp),
                "GH_TOKEN": "t",
            }
            done, decided = _run_script(ws, step["run"], env, bin_dir, tmp_path / "mode-out")
            assert done.returncode == 0, done.stdout + done.stderr
            steps = {"mode": {"mode": "publish", "publish-plan-artifact-id": "11"}}
            return JobRun(
                "success", _job_outputs(node_tools, "mode", {**steps, DECIDE_STEP: decided})
            )
        if name == "pack":
            ws.changeset(
                "pack",
                "--out-dir",
                str(pack_dir),
                "--from-publish-plan",
                str(next(runner_temp.glob("changeset-publish-plan-*/publish-plan.json"))),
            )
            return JobRun("success", {"pack-dir-artifact-id": "12"})
        if name == "publish":
            # Each attempt starts from a fresh checkout of GitHub's copy, tags included.
            job_ws = ws.clone(origin, tmp_path / f"publish-{attempt}")
            events_file = tmp_path / f"changesets-output-{attempt}.ndjson"
            env = {
                "PACK_DIR": str(pack_dir),
                "CHANGESETS_OUTPUT": str(events_file),
                "NPM_DIST_TAG": runs["mode"].outputs["dist-tag"],
            }
            done = job_ws.action_script("publish", PUBLISH_SCRIPT, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
            events = _tag_events(events_file)
            # The action pushes each reported tag through the API (here: to GitHub's copy).
            for event in events:
                job_ws.git("push", "-q", "origin", f"refs/tags/{event['tag']}")
            action = {"published": "true" if events else "false"}
            if events:
                names = [{"name": e["packageName"], "version": "1.1.0"} for e in events]
                action["published-packages"] = json.dumps(names)
            attempts.setdefault("action", []).append(action)
            if attempt == 1:
                return JobRun("failure")  # the runner lost the job after the tags were pushed
            step = _step("publish", RELEASED_STEP)
            env = {k: v for k, v in step["env"].items() if "${{" not in v}
            env |= {"PACK_DIR": str(pack_dir), "GH_TOKEN": "t"}
            done, released = _run_script(
                job_ws, step["run"], env, bin_dir, tmp_path / "released-out"
            )
            assert done.returncode == 0, done.stdout + done.stderr
            outputs = _job_outputs(
                node_tools, "publish", {"publish": action, RELEASED_STEP: released}
            )
            return JobRun("success", outputs)
        # The image (docker.yml), its tags (docker.yml), deploy.yml, housekeeping and notify
        # are stubbed as succeeding: their own steps are tested in tests/workflows.
        if name == "image-publish":
            return JobRun("success", {"image-digest": "sha256:" + "a" * 64, "version": "1.1.0"})
        return JobRun("success")

    attempts: dict[str, list[dict[str, str]]] = {}
    order = topological(JOBS)

    def play(attempt: int, previous: dict[str, JobRun], rerun: set[str]) -> dict[str, JobRun]:
        runs: dict[str, JobRun] = {}
        for name in order:
            if name not in rerun:
                runs[name] = previous[name]
            elif should_run(node_tools, JOBS[name], runs, GITHUB):
                runs[name] = run_job(name, attempt, runs)
            else:
                runs[name] = JobRun("skipped")
        return runs

    first = play(1, {}, set(JOBS))

    assert {n: r.result for n, r in first.items()} == {
        "mode": "success",
        "version": "skipped",
        "pack": "success",
        "image": "success",
        "publish": "failure",
        "image-publish": "skipped",
        "deploy": "skipped",
        "housekeeping": "skipped",
        "notify": "success",
    }
    # The image is the root package, not the docs manifest.
    assert first["mode"].outputs["version"] == "1.1.0"
    assert registry.packument(PACKAGE)["versions"].keys() == {"1.1.0"}
    assert ws.run("git", "--git-dir", str(origin), "tag").stdout.split() == ["v1.1.0"]

    # "Re-run failed jobs": the failed job and every job that needs it.
    rerun = dependents(JOBS, {n for n, r in first.items() if r.result in ("failure", "cancelled")})
    assert rerun == {"publish", "image-publish", "deploy", "housekeeping", "notify"}
    second = play(2, first, rerun)

    # The defect: this attempt published and tagged nothing, so the action says false.
    assert attempts["action"][1] == {"published": "false"}
    assert {n: r.result for n, r in second.items()} == {
        **{n: r.result for n, r in first.items()},
        "publish": "success",
        "image-publish": "success",
        "deploy": "success",
        "housekeeping": "success",
        "notify": "success",
    }
    outputs = second["publish"].outputs
    assert outputs["published"] == "true"
    assert json.loads(outputs["published-packages"]) == [{"name": PACKAGE, "version": "1.1.0"}]
    # Nothing was published or tagged twice.
    assert registry.packument(PACKAGE)["versions"].keys() == {"1.1.0"}
    assert ws.run("git", "--git-dir", str(origin), "tag").stdout.split() == ["v1.1.0"]
    # Before the fix the job's `published` was the action's: the image job's `if:` was false.
    before = {**second, "publish": JobRun("success", attempts["action"][1])}
    assert not should_run(node_tools, JOBS["image-publish"], before, GITHUB)


def test_the_publish_check_fails_until_every_planned_version_is_released(
    node_tools: NodeTools, installs: Installs, registry: Registry, tmp_path: Path
) -> None:
    """Not on the registry (npm refused it) or not tagged on GitHub: the job fails and says
    which, so nothing downstream tags or deploys a half release."""
    ws = single_package(
        tmp_path / "repo", node_tools, installs, registry, "storefront-unreleased", "2.0.0"
    )
    origin = tmp_path / "origin.git"
    ws.git("init", "-q", "--bare", "-b", SPEC.default_branch, str(origin))
    bin_dir = tmp_path / "bin"
    _tag_api(bin_dir, origin)
    pack_dir = tmp_path / "pack"
    plan = tmp_path / "plan.json"
    ws.changeset("publish-plan", "--output", str(plan))
    ws.changeset("pack", "--out-dir", str(pack_dir), "--from-publish-plan", str(plan))
    step = _step("publish", RELEASED_STEP)
    env = {"PACK_DIR": str(pack_dir), "CHECK_REGISTRY": "true", "GH_TOKEN": "t"}

    done, outputs = _run_script(ws, step["run"], env, bin_dir, tmp_path / "out")

    assert done.returncode == 1
    assert "::error::storefront-unreleased@2.0.0 is not on the registry" in done.stdout
    assert "::error::storefront-unreleased@2.0.0 has no tag v2.0.0 on GitHub" in done.stdout
    assert outputs == {}
    assert step["env"]["CHECK_REGISTRY"] == "true"
    assert step["run"] == scripts.REQUIRE_PUBLISHED
