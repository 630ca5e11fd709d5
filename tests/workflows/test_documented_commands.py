"""The ``gh workflow run`` commands the docs show work as written.

Each command in ``docs/`` and the README is read with the flags ``gh workflow run`` documents
(cli/cli ``pkg/cmd/workflow/run/run.go`` at v2.60.0: ``-r/--ref``, ``-f/--raw-field``,
``-F/--field``, ``--json``; ``-R/--repo`` is inherited by every repository command), then held
against what GitHub checks when the run starts:

* the workflow has a ``workflow_dispatch`` trigger that takes every field given, and every
  required input is given;
* every job of that workflow that names an environment runs from the ref the command gives:
  the environment's deployment branch and tag policies, as this project's stacks configure
  them (the release environment with the component's defaults), admit the ref ("Deployment
  branches and tags" gate jobs with ``deployment: false`` too);
* for ``docker.yml`` from a release tag: its version check accepts the tag, and the deploy
  accepts the attestation the run makes there.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from infra.settings import StackSettings
from infra.stack import workflow_spec
from slipway.deployment_environment import DEFAULT_BRANCH_PATTERNS, refused_tags
from slipway.patterns import glob_matches
from slipway.workflows.deploy import signer_identity_regex
from slipway.workflows.render import render_workflow_files
from slipway.workflows.scripts import step_script
from slipway.workflows.spec import WorkflowSpec
from slipway.workflows.yamlio import load_yaml
from tests.workflows.test_release_branches import REPOSITORY, fake_gh, gh_calls, run_step
from tooling.offline import ROOT, STACKS, stack_settings

GH_WORKFLOW_RUN_FLAGS = {
    "-r": "ref",
    "--ref": "ref",
    "-f": "raw-field",
    "--raw-field": "raw-field",
    "-F": "field",
    "--field": "field",
    "-R": "repo",
    "--repo": "repo",
}
"""Flags of ``gh workflow run`` that take a value (run.go; ``--repo`` from cmdutil)."""
DOCS = sorted([*ROOT.joinpath("docs").rglob("*.md"), ROOT / "README.md"])


def _commands() -> list[tuple[str, str]]:
    """Every ``gh workflow run`` command in the docs, with its file; continued lines joined and
    placeholders (``<...>``) kept as words."""
    found: list[tuple[str, str]] = []
    for path in DOCS:
        text = path.read_text().replace("\\\n", " ")
        for match in re.finditer(r"gh workflow run [^`\n|]+", text):
            found.append((str(path.relative_to(ROOT)), match.group(0).strip()))
    return found


def _parse(command: str) -> tuple[str, dict[str, Any]]:
    # comments=True: a trailing `# ...` is no argument, as in the shell the command is typed in.
    words = shlex.split(re.sub(r"<[^>]*>", "PLACEHOLDER", command), comments=True)
    assert words[:3] == ["gh", "workflow", "run"], command
    workflow = words[3]
    options: dict[str, Any] = {"raw-field": [], "field": []}
    rest = iter(words[4:])
    for word in rest:
        assert word in GH_WORKFLOW_RUN_FLAGS, f"{command}: gh workflow run has no flag {word}"
        name = GH_WORKFLOW_RUN_FLAGS[word]
        value = next(rest, None)
        assert value is not None, f"{command}: {word} without a value (one line per command)"
        if name in ("raw-field", "field"):
            options[name].append(value)
        else:
            options[name] = value
    return workflow, options


def _settings() -> dict[str, StackSettings]:
    return {name: stack_settings(name) for name in STACKS}


def _owner(stacks: dict[str, StackSettings]) -> StackSettings:
    (owner,) = [s for s in stacks.values() if s.workflows.owns_repository_resources]
    return owner


Policy = tuple[Sequence[str], Sequence[str]]
"""An environment's deployment branch and tag patterns."""


def _policies(stacks: dict[str, StackSettings], spec: WorkflowSpec) -> dict[str, Policy]:
    """Each environment's policy: the stacks' own, and the release environment's (the jobs of
    release.yml and release-line.yml), which infra/domains/workflows.py creates with the
    component's defaults: DEFAULT_BRANCH_PATTERNS, no tag."""
    policies: dict[str, Policy] = {
        s.identity.env: (s.github.deploy_branch_patterns, s.github.deploy_tag_patterns)
        for s in stacks.values()
    }
    policies[spec.npm_environment] = (DEFAULT_BRANCH_PATTERNS, ())
    return policies


def _admits(policy: Policy, ref_type: str, ref: str) -> bool:
    branch_patterns, tag_patterns = policy
    if ref_type == "tag":
        return not refused_tags(branch_patterns, tag_patterns, [ref])
    if not branch_patterns and not tag_patterns:
        return True  # no policy: every branch and tag
    return any(glob_matches(p, ref) for p in branch_patterns)


COMMANDS = _commands()


def test_the_docs_show_the_rebuild_and_the_manual_deploy() -> None:
    workflows = {_parse(command)[0] for _, command in COMMANDS}
    assert {"docker.yml", "deploy.yml"} <= workflows


@pytest.mark.parametrize(("path", "command"), COMMANDS)
def test_a_documented_dispatch_starts_and_its_environments_admit_its_ref(
    path: str, command: str
) -> None:
    stacks = _settings()
    spec = workflow_spec(_owner(stacks))
    assert spec is not None
    workflow_file, options = _parse(command)
    workflow = load_yaml(render_workflow_files(spec)[f".github/workflows/{workflow_file}"])
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    given = dict(f.split("=", 1) for f in options["raw-field"] + options["field"])
    assert set(given) <= set(inputs), (path, command)
    required = {name for name, i in inputs.items() if i.get("required") and "default" not in i}
    assert required <= set(given), (path, command)
    ref = options.get("ref", spec.default_branch)
    ref_type = "tag" if re.fullmatch(r"v[0-9].*|.*@[0-9].*", ref) else "branch"
    policies = _policies(stacks, spec)
    for job_id, job in workflow["jobs"].items():
        environment = job.get("environment")
        if environment is None:
            continue
        name = environment["name"]
        if "${{" in name:  # docker.yml: the `environment` input, by default the build one
            name = given.get("environment", inputs["environment"]["default"])
        chosen = given.get("environment", "all")
        if job_id.startswith("deploy-") and chosen not in ("all", name):
            continue
        assert _admits(policies[name], ref_type, ref), (path, command, job_id, name)


@pytest.mark.parametrize(
    ("path", "command"), [(p, c) for p, c in COMMANDS if _parse(c)[0] == "docker.yml"]
)
def test_the_documented_rebuild_passes_its_version_check_and_its_attestation_deploys(
    path: str, command: str, tmp_path: Path
) -> None:
    _, options = _parse(command)
    ref = options["ref"]
    version = dict(f.split("=", 1) for f in options["raw-field"])["version"]
    script = tmp_path / "check.sh"
    script.write_text(step_script("check-dispatched-version"))
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_REF_NAME": ref,
        "VERSION": version,
    }
    result = subprocess.run(
        ["bash", "-eo", "pipefail", str(script)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, (path, result.stdout, result.stderr)
    spec = workflow_spec(_owner(_settings()))
    assert spec is not None
    san = f"https://github.com/{spec.repository}/.github/workflows/docker.yml@refs/tags/{ref}"
    assert re.search(signer_identity_regex(spec), san), (path, san)


def test_the_dev_policy_of_before_refused_the_documented_rebuild() -> None:
    # The defect: dev allowed no tags, so the rebuild's jobs (deployment: false) never started.
    dev = stack_settings("dev")
    github = dev.github
    assert refused_tags(github.deploy_branch_patterns, [], ["v1.4.2"]) == ["v1.4.2"]
    assert refused_tags(github.deploy_branch_patterns, github.deploy_tag_patterns, ["v1.4.2"]) == []


@pytest.mark.parametrize("hotfix", ["false", "true"])
def test_the_release_run_starts_the_deploy_with_gh_s_documented_flags(
    hotfix: str, tmp_path: Path
) -> None:
    # release.yml's deploy job runs its step as the runner would; the gh it calls records the
    # arguments, which must parse with `gh workflow run`'s flags and name deploy.yml's inputs.
    spec = workflow_spec(_owner(_settings()))
    release = load_yaml(render_workflow_files(spec)[".github/workflows/release.yml"])
    (step,) = release["jobs"]["deploy"]["steps"]
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, "exit 0")
    digest = "sha256:" + "a" * 64
    env = {
        "IMAGE_DIGEST": digest,
        "VERSION": "1.4.2",
        "HOTFIX": hotfix,
        "GH_TOKEN": "token",
        "DEPLOY_WORKFLOW": step["env"]["DEPLOY_WORKFLOW"],
        "GITHUB_REF_NAME": "release/1.4.x",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done, _ = run_step(step, tmp_path, env, tmp_path / "bin")
    assert done.returncode == 0, done.stdout + done.stderr
    (call,) = gh_calls(log)
    workflow, options = _parse(shlex.join(["gh", *call]))
    assert workflow == "deploy.yml"
    assert options["ref"] == "release/1.4.x"
    assert options["repo"] == REPOSITORY
    fields = dict(f.split("=", 1) for f in options["raw-field"])
    assert fields == {"image-digest": digest, "version": "1.4.2", "hotfix": hotfix}
    deploy = load_yaml(render_workflow_files(spec)[".github/workflows/deploy.yml"])
    assert set(fields) <= set(deploy["on"]["workflow_dispatch"]["inputs"])
    # A digest that is not one is refused before anything starts.
    env["IMAGE_DIGEST"] = "latest"
    done, _ = run_step(step, tmp_path, env, tmp_path / "bin")
    assert done.returncode == 1
    assert len(gh_calls(log)) == 1
