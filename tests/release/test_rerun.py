"""Issue 23, item 3: a publish that failed after its tags were pushed is finished by "Re-run
failed jobs", and the image is then tagged and deployed.

The run is played with the real tools where they exist: the Changesets CLI (select-mode's
``publish-plan``, ``pack``, the delivered publish script as changesets/action spawns it) against
verdaccio, the generated ``mode`` and ``publish`` shell steps under bash, git for the tags (a
bare repository plays GitHub's copy; a fake ``gh`` answers the tag API from it), and GitHub's
own expression evaluator (``@actions/expressions``) deciding every job's ``if:`` over the
recorded ``needs`` results and outputs. The image jobs run their AWS-facing shell steps against
moto (``docker.yml``'s merge step, ``deploy.yml``'s promotion step) with the real AWS CLI; only
the image build is stubbed (its digests, and ``docker buildx imagetools`` standing for the
registries' copy of images). ``housekeeping`` and ``notify`` are stubbed as succeeding: their
steps are tested in tests/workflows.

Re-run semantics (GitHub Docs, "Re-running workflows and jobs"): "When you re-run failed jobs
or a specific job, GitHub also re-runs the jobs that depend on them. Jobs that aren't included
keep their outputs from the previous attempt, which the newly run jobs can use."

changesets/action v2.1.1 (8488615, ``src/run.ts`` runPublish, ``src/publish/index.ts``) sets
``published=true`` only when the CLI reported ``git-tag`` events in this attempt: a re-run after
the tags were pushed reports ``published=false``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from slipway.workflows import load_yaml, render_workflow_files, scripts
from slipway.workflows.release import DECIDE_STEP, PUBLISH_SCRIPT, RELEASED_STEP
from tests.local_servers import moto_server_url
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
from tests.workflows import aws_cli
from tests.workflows.conftest import SPECS, write_files

SPEC = SPECS["default"]
RENDERED = render_workflow_files(SPEC)
RELEASE: dict[str, Any] = load_yaml(RENDERED[".github/workflows/release.yml"])
DOCKER: dict[str, Any] = load_yaml(RENDERED[".github/workflows/docker.yml"])
DEPLOY: dict[str, Any] = load_yaml(RENDERED[".github/workflows/deploy.yml"])
ECR_REPOSITORY = "storefront/dev"
ECR_URL = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{ECR_REPOSITORY}"
PLATFORM_IMAGES = {
    "linux-amd64": "sha256:" + "1" * 64,
    "linux-arm64": "sha256:" + "2" * 64,
}
"""The digests the stubbed image build pushed, per platform (the verify stage's artifacts)."""

FAKE_DOCKER = """#!/bin/bash
# `docker buildx imagetools`, the one command the image steps run, standing in for the image
# build's registries: GHCR is a directory (FAKE_GHCR), ECR is moto, through the real AWS CLI.
# `create` writes an OCI index of the given platform images under each tag (its digest: the
# SHA-256 of its bytes, as a registry computes it); `inspect` reads one back.
set -euo pipefail
[[ "$1 $2" == "buildx imagetools" ]] || { echo "unexpected docker $*" >&2; exit 2; }
shift 2
command="$1"; shift
key() { printf '%s' "$1" | tr '/:@' '___'; }
ecr_repository() { local r="${1#*/}"; r="${r%@*}"; echo "${r%:*}"; }
if [[ "${command}" == "create" ]]; then
  tags=(); sources=()
  while (( $# )); do
    if [[ "$1" == "--tag" ]]; then tags+=("$2"); shift 2; else sources+=("$1"); shift; fi
  done
  index=$(jq -cn --args '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [$ARGS.positional[] | {mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: (split("@")[1]), size: 1024, platform: {os: "linux", architecture: "any"}}]}' \
    "${sources[@]}")
  digest="sha256:$(printf '%s' "${index}" | sha256sum | cut -c1-64)"
  for tag in "${tags[@]}"; do
    if [[ "${tag}" == *.amazonaws.com/* ]]; then
      aws ecr put-image --repository-name "$(ecr_repository "${tag}")" --image-tag "${tag##*:}" \
        --image-manifest "${index}" --image-digest "${digest}" >/dev/null
    else
      printf '%s' "${index}" > "${FAKE_GHCR}/$(key "${tag}")"
    fi
  done
  exit 0
fi
if [[ "$1" == "--raw" ]]; then
  ref="$2"
  if [[ "${ref}" == *.amazonaws.com/* ]]; then
    aws ecr batch-get-image --repository-name "$(ecr_repository "${ref}")" \
      --image-ids "imageDigest=${ref##*@}" --query 'images[0].imageManifest' --output text
  else  # a platform image the build pushed
    echo '{"mediaType": "application/vnd.oci.image.manifest.v1+json"}'
  fi
  exit 0
fi
ref="$1"
if [[ "${ref}" == *.amazonaws.com/* ]]; then
  digest=$(aws ecr describe-images --repository-name "$(ecr_repository "${ref}")" \
    --image-ids "imageTag=${ref##*:}" --query 'imageDetails[0].imageDigest' --output text)
else
  digest="sha256:$(sha256sum < "${FAKE_GHCR}/$(key "${ref}")" | cut -c1-64)"
fi
printf '{"digest": "%s"}\\n' "${digest}"
"""

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


@pytest.fixture(scope="module")
def moto_env() -> Iterator[dict[str, str]]:
    """A moto server on 127.0.0.1 (stopped at the end) with the build environment's ECR
    repository, immutable tags as the stack creates it; the AWS CLI's environment for it."""
    with moto_server_url() as url:
        env = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        ecr = boto3.client(
            "ecr",
            endpoint_url=url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        ecr.create_repository(repositoryName=ECR_REPOSITORY, imageTagMutability="IMMUTABLE")
        yield env


@pytest.fixture(scope="module")
def aws_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The real AWS CLI, imported once and forked per call (tests/workflows/aws_cli.py)."""
    with aws_cli.started(tmp_path_factory.mktemp("aws-cli")) as bin_dir:
        yield bin_dir


def _docker_step(job: str, name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in DOCKER["jobs"][job]["steps"] if s["name"] == name)
    return step


def _deploy_step(id_: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The step of deploy.yml with id ``id_``, and its environment as the runner builds it:
    the workflow's ``env``, then the job's, then the step's (GitHub Docs, "Store information in
    variables": the most specific wins); values that are expressions are left out."""
    job = next(j for j in DEPLOY["jobs"].values() if any(s.get("id") == id_ for s in j["steps"]))
    step: dict[str, Any] = next(s for s in job["steps"] if s.get("id") == id_)
    layers = (DEPLOY.get("env", {}), job.get("env", {}), step.get("env", {}))
    env = {k: str(v) for layer in layers for k, v in layer.items() if "${{" not in str(v)}
    return step, env


def test_a_publish_that_failed_after_its_tags_is_finished_by_re_running_failed_jobs(
    node_tools: NodeTools,
    installs: Installs,
    registry: Registry,
    moto_env: dict[str, str],
    aws_bin: Path,
    tmp_path: Path,
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
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    (bin_dir / "aws").symlink_to(aws_bin / "aws")
    ghcr = tmp_path / "ghcr"
    ghcr.mkdir()
    aws_env = {**moto_env, "FAKE_GHCR": str(ghcr)}
    runner_temp = tmp_path / "runner-temp"
    pack_dir = runner_temp / "changeset-pack"
    deploy_checkout = tmp_path / "deploy-checkout"
    write_files(deploy_checkout, RENDERED)

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
        if name == "image":
            # The image build, stubbed: per platform a digest (the verify stage's artifacts);
            # its images are in "GHCR" and, untagged, in ECR (they may have expired there).
            for pair, digest in PLATFORM_IMAGES.items():
                (runner_temp / "digests").mkdir(parents=True, exist_ok=True)
                (runner_temp / "digests" / pair).write_text(digest)
            return JobRun("success")
        if name == "image-publish":
            # docker.yml stage publish: its merge step, against moto's ECR.
            step = _docker_step("merge", "Merge and tag the manifest lists")
            version = runs["mode"].outputs["version"]
            env = {
                **aws_env,
                "METADATA_JSON": json.dumps({"tags": [f"{SPEC.ghcr_image_ref}:{version}"]}),
                "GHCR_IMAGE": SPEC.ghcr_image_ref,
                "ECR_REPOSITORY_URL": ECR_URL,
                "VERSION": version,
                "RUNNER_TEMP": str(runner_temp),
            }
            done, merged = _run_script(ws, step["run"], env, bin_dir, tmp_path / "merge-out")
            assert done.returncode == 0, done.stdout + done.stderr
            merges.append(done.stdout)
            if attempt == 2:
                return JobRun("failure")  # the attestation step after the merge failed
            return JobRun("success", {"image-digest": merged["digest"], "version": version})
        if name == "deploy":
            # deploy.yml's promotion step, from its delivered script, against moto's ECR.
            step, env = _deploy_step("image")
            env |= {
                **aws_env,
                "IMAGE_DIGEST": runs["image-publish"].outputs["image-digest"],
                "IMAGE_VERSION": runs["image-publish"].outputs["version"],
                "ECR_REPOSITORY_URL": ECR_URL,
                "RUNNER_TEMP": str(runner_temp),
            }
            checkout = Workspace(deploy_checkout, node_tools, SPEC)
            done, promoted = _run_script(
                checkout, step["run"], env, bin_dir, tmp_path / "deploy-out"
            )
            assert done.returncode == 0, done.stdout + done.stderr
            deployed.append(promoted["image"])
            return JobRun("success")
        # housekeeping and notify: their steps are tested in tests/workflows.
        return JobRun("success")

    attempts: dict[str, list[dict[str, str]]] = {}
    deployed: list[str] = []
    merges: list[str] = []
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
        "image-publish": "failure",
        "deploy": "skipped",
        "housekeeping": "success",
        "notify": "success",
    }
    outputs = second["publish"].outputs
    assert outputs["published"] == "true"
    assert json.loads(outputs["published-packages"]) == [{"name": PACKAGE, "version": "1.1.0"}]
    # Nothing was published or tagged twice.
    assert registry.packument(PACKAGE)["versions"].keys() == {"1.1.0"}
    assert ws.run("git", "--git-dir", str(origin), "tag").stdout.split() == ["v1.1.0"]
    # The image stage failed after it tagged ECR: "Re-run failed jobs" once more. publish is
    # not re-run (it succeeded); its outputs are reused. ECR's immutable tag is kept.
    rerun = dependents(JOBS, {n for n, r in second.items() if r.result == "failure"})
    assert rerun == {"image-publish", "deploy", "notify"}
    third = play(3, second, rerun)
    assert {n: r.result for n, r in third.items()} == {
        **{n: r.result for n, r in second.items()},
        "image-publish": "success",
        "deploy": "success",
    }
    assert "exists already with these images; kept" in merges[1]
    # The image was tagged once in ECR (immutable) from the verified images, and deployed by it.
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest,
                    "size": 1024,
                    "platform": {"os": "linux", "architecture": "any"},
                }
                for digest in sorted(PLATFORM_IMAGES.values())
            ],
        },
        separators=(",", ":"),
    )
    list_digest = "sha256:" + hashlib.sha256(index.encode()).hexdigest()
    assert third["image-publish"].outputs["image-digest"] == list_digest
    assert deployed == [f"{ECR_URL}@{list_digest}"]
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
