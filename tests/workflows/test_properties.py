"""Properties every rendered workflow holds, checked on the parsed YAML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from slipway.contract import EnvironmentVariable
from slipway.errors import ConfigError
from slipway.workflows import (
    ALL_PINS,
    GENERATOR,
    NpmPublishMode,
    ReleaseTokenMode,
    WorkflowSpec,
    changesets_action_for,
    load_yaml,
    render_workflow_files,
)
from slipway.workflows.docker import CANDIDATE_IMAGE, VERIFY_STEPS
from slipway.workflows.pins import CHANGESETS_V2
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS
from slipway.workflows.scripts import DELIVERED_DIR
from tests.workflows.conftest import SPECS

WORKFLOWS = (
    ".github/workflows/release.yml",
    ".github/workflows/docker.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/ghcr-retention.yml",
)
USES_LINE = re.compile(r"^\s*(?:- )?uses: (\S+)(.*)$")


def _rendered(name: str) -> dict[str, str]:
    return render_workflow_files(SPECS[name])


def _steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.fixture(params=sorted(SPECS))
def files(request: pytest.FixtureRequest) -> dict[str, str]:
    return _rendered(str(request.param))


@pytest.fixture(params=sorted(SPECS))
def parsed(request: pytest.FixtureRequest) -> dict[str, Any]:
    rendered = _rendered(str(request.param))
    return {path: load_yaml(rendered[path]) for path in WORKFLOWS}


def test_every_file_has_the_generated_header(files: dict[str, str]) -> None:
    for path, content in files.items():
        if path.endswith(".json"):
            continue  # JSON cannot hold comments
        head = "\n".join(content.splitlines()[:3])
        assert GENERATOR in head, path
        assert "Do not edit" in head, path


def test_on_is_emitted_as_a_plain_key(files: dict[str, str]) -> None:
    for path in WORKFLOWS:
        assert re.search(r"^on:$", files[path], re.MULTILINE), path
        assert "true:" not in files[path]
        assert "'on':" not in files[path]


def test_every_uses_is_pinned_with_its_tag_comment(files: dict[str, str]) -> None:
    by_uses = {pin.uses: pin for pin in ALL_PINS}
    seen = 0
    for path in WORKFLOWS:
        for line in files[path].splitlines():
            match = USES_LINE.match(line)
            if match is None:
                continue
            value, rest = match.groups()
            if value.startswith("$/"):
                assert rest == "", line  # local reusable workflow
                continue
            assert value in by_uses, f"{path}: {value} is not in pins.py"
            assert re.fullmatch(r"[^@]+@[0-9a-f]{40}", value)
            assert rest == f"  # {by_uses[value].tag}", line
            seen += 1
    assert seen > 20


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_expression_inside_run(name: str) -> None:
    # A delivered step runs its file from the checkout; the file is what must hold.
    rendered = _rendered(name)
    delivered = re.compile(rf"exec bash ({re.escape(DELIVERED_DIR)}/[a-z-]+\.sh)\n")
    seen = 0
    for path in WORKFLOWS:
        for step in _steps(load_yaml(rendered[path])):
            if "run" not in step:
                continue
            assert "${{" not in step["run"], (path, step["name"])
            assert step.get("shell") == "bash"
            script = step["run"]
            if match := delivered.fullmatch(script):
                first, _, script = rendered[match.group(1)].partition("\n")
                assert first == "#!/usr/bin/env bash"
                script = re.sub(r"^(#.*\n)+", "", script)  # the generated-file header
                assert "${{" not in script, match.group(1)
                seen += 1
            assert script.startswith("set -euo pipefail\n"), (path, step["name"])
    assert seen >= 9


def test_run_scripts_are_literal_blocks(files: dict[str, str]) -> None:
    # A control character in a script would make the emitter fall back to a quoted scalar.
    for path in WORKFLOWS:
        for line in files[path].splitlines():
            if re.match(r"^\s+run: ", line):
                assert line.endswith("run: |"), (path, line[:80])


def test_top_level_permissions_are_empty(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        assert workflow["permissions"] == {}, path
        if path == ".github/workflows/deploy.yml":
            # Per-environment job groups only: a run-wide group would hold every later deploy,
            # a manual rollback included, behind a prod approval (slipway/workflows/deploy.py).
            assert "concurrency" not in workflow, path
        else:
            assert "concurrency" in workflow, path


def test_every_job_has_a_timeout_and_its_own_permissions(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, (path, job_id)
            if "uses" in job:
                # A job calling a reusable workflow cannot set timeout-minutes; the called
                # workflow's jobs carry it.
                assert "runs-on" not in job
                continue
            assert isinstance(job["timeout-minutes"], int), (path, job_id)


def test_checkout_never_persists_credentials(parsed: dict[str, Any]) -> None:
    for workflow in parsed.values():
        for step in _steps(workflow):
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False


def test_no_dangerous_triggers_or_inherited_secrets(files: dict[str, str]) -> None:
    for path in WORKFLOWS:
        assert "pull_request_target" not in files[path]
        assert "secrets: inherit" not in files[path]
        assert "toJSON(secrets" not in files[path]
        assert "workflow_run" not in files[path]


def test_no_tag_trigger_chaining(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        push = workflow["on"].get("push") or {}
        assert "tags" not in push, path
    release = parsed[".github/workflows/release.yml"]
    assert release["on"] == {"push": {"branches": ["main", *RELEASE_BRANCH_PATTERNS]}}
    jobs = release["jobs"]
    assert jobs["image"]["uses"] == "$/.github/workflows/docker.yml"
    assert jobs["image-publish"]["uses"] == "$/.github/workflows/docker.yml"
    assert "needs.publish.outputs.published == 'true'" in jobs["image-publish"]["if"]
    # The deploy is started as a run of its own (workflow_dispatch, which GITHUB_TOKEN may
    # start), so the release run leaves its concurrency group (test_release_concurrency.py).
    assert "uses" not in jobs["deploy"]
    assert jobs["deploy"]["needs"] == ["mode", "image-publish"]
    assert jobs["deploy"]["permissions"] == {"actions": "write"}
    assert 'gh workflow run "${DEPLOY_WORKFLOW##*/}"' in jobs["deploy"]["steps"][0]["run"]
    assert jobs["deploy"]["steps"][0]["env"]["DEPLOY_WORKFLOW"] == ".github/workflows/deploy.yml"
    assert "workflow_call" in parsed[".github/workflows/docker.yml"]["on"]
    assert "workflow_dispatch" in parsed[".github/workflows/deploy.yml"]["on"]


def test_secrets_only_in_jobs_with_an_environment(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        for job_id, job in workflow["jobs"].items():
            text = repr(job)
            if "secrets." in text:
                assert "environment" in job, (path, job_id)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_deploy_jobs_follow_the_environment_order(name: str) -> None:
    spec = SPECS[name]
    deploy = load_yaml(_rendered(name)[".github/workflows/deploy.yml"])
    jobs = {job_id: job for job_id, job in deploy["jobs"].items() if job_id.startswith("deploy-")}
    assert list(jobs) == [f"deploy-{env}" for env in spec.environments]
    previous = None
    for env in spec.environments:
        job = jobs[f"deploy-{env}"]
        assert job.get("needs") == previous
        assert job["environment"] == {
            "name": env,
            "url": f"${{{{ vars.{EnvironmentVariable.ENVIRONMENT_URL} }}}}",
        }
        assert job["concurrency"] == {
            "group": f"deploy-{env}",
            "cancel-in-progress": False,
            "queue": "max",
        }
        (creds,) = [
            step["with"]
            for step in job["steps"]
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        ]
        assert creds["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert creds["allowed-account-ids"] == "${{ vars.AWS_ACCOUNT_ID }}"
        previous = f"deploy-{env}"
    assert set(deploy["on"]) == {"workflow_call", "workflow_dispatch"}


_STATUS_FUNCTIONS = re.compile(r"\b(?:success|failure|always|cancelled)\(\)")
_CONDITION_TOKENS = re.compile(
    r"^(?:\s+|\(|\)|&&|\|\||==|!cancelled\(\)|'[a-z-]+'|"
    r"inputs\.environment|needs\.[a-z-]+\.result)+$"
)


def _evaluate(condition: str, selection: str, results: dict[str, str], cancelled: bool) -> bool:
    """Evaluate a deploy job's ``if:`` the way GitHub does, for the subset it uses."""
    assert _CONDITION_TOKENS.match(condition), condition
    python = re.sub(r"needs\.([a-z-]+)\.result", lambda m: repr(results[m.group(1)]), condition)
    python = (
        python.replace("inputs.environment", repr(selection))
        .replace("!cancelled()", repr(not cancelled))
        .replace("&&", " and ")
        .replace("||", " or ")
    )
    return bool(eval(python, {"__builtins__": {}}, {}))  # noqa: S307 - checked token by token


def _simulate(
    name: str, selection: str, failing: frozenset[str] = frozenset(), cancel_after: str = ""
) -> dict[str, str]:
    """Which deploy jobs GitHub runs: ``success``/``failure``/``skipped`` per environment."""
    deploy = load_yaml(_rendered(name)[".github/workflows/deploy.yml"])
    results: dict[str, str] = {}
    cancelled = False
    for job_id, job in deploy["jobs"].items():
        if not job_id.startswith("deploy-"):
            continue  # the approval announcement deploys nothing (test_deploy_workflow.py)
        needs = job.get("needs")
        needs = [needs] if isinstance(needs, str) else list(needs or [])
        condition = job.get("if", "")
        # Without a status function GitHub adds an implicit success(): every need succeeded.
        implicit = not _STATUS_FUNCTIONS.search(condition)
        if implicit and (cancelled or any(results[n] != "success" for n in needs)):
            results[job_id] = "skipped"
            continue
        if condition and not _evaluate(condition, selection, results, cancelled):
            results[job_id] = "skipped"
            continue
        environment = job["environment"]["name"]
        results[job_id] = "failure" if environment in failing else "success"
        if environment == cancel_after:
            cancelled = True
    return {job_id.removeprefix("deploy-"): result for job_id, result in results.items()}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_deploy_environment_input_runs_one_environment_alone(name: str) -> None:
    environments = SPECS[name].environments
    for chosen in environments:
        ran = _simulate(name, chosen)
        assert ran == {e: ("success" if e == chosen else "skipped") for e in environments}
        # Earlier environments being broken does not matter when one is chosen alone.
        others = frozenset(e for e in environments if e != chosen)
        assert _simulate(name, chosen, failing=others)[chosen] == "success"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_deploy_all_runs_every_environment_in_order_and_stops_at_a_failure(name: str) -> None:
    environments = SPECS[name].environments
    assert _simulate(name, "all") == dict.fromkeys(environments, "success")
    for index, broken in enumerate(environments):
        ran = _simulate(name, "all", failing=frozenset({broken}))
        expected = ["success"] * index + ["failure"] + ["skipped"] * (len(environments) - index - 1)
        assert list(ran.values()) == expected, broken
    # A run cancelled during the first environment deploys no further.
    ran = _simulate(name, "all", cancel_after=environments[0])
    assert set(list(ran.values())[1:]) <= {"skipped"}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_deploy_environment_input(name: str) -> None:
    spec = SPECS[name]
    deploy = load_yaml(_rendered(name)[".github/workflows/deploy.yml"])
    dispatch = deploy["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert dispatch["type"] == "choice"
    assert dispatch["options"] == ["all", *spec.environments]
    assert dispatch["default"] == "all"
    call = deploy["on"]["workflow_call"]["inputs"]["environment"]
    assert (call["type"], call["default"]) == ("string", "all")
    # release.yml passes no environment, so a release deploys everywhere.
    release = load_yaml(_rendered(name)[".github/workflows/release.yml"])
    assert "environment" not in release["jobs"]["deploy"].get("with", {})


def test_deploy_reads_only_contract_variables() -> None:
    text = _rendered("default")[".github/workflows/deploy.yml"]
    names = set(re.findall(r"vars\.([A-Z_]+)", text))
    assert names <= {v.value for v in EnvironmentVariable}
    assert names >= {
        "AWS_DEPLOY_ROLE_ARN",
        "ECR_REPOSITORY_URL",
        "ECS_TASK_FAMILY",
        "IMAGE_CHANNEL_PARAMETER",
    }


def test_changesets_sub_actions_share_the_v2_pin() -> None:
    assert changesets_action_for(3) == CHANGESETS_V2
    assert CHANGESETS_V2.major == 2
    release = load_yaml(_rendered("default")[".github/workflows/release.yml"])
    used = {
        step["uses"]
        for job in release["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("changesets/action")
    }
    assert used == {
        f"changesets/action/{sub}@{CHANGESETS_V2.sha}"
        for sub in ("select-mode", "version", "pack", "publish")
    }


@pytest.mark.parametrize("major", [2, 4])
def test_unsupported_changesets_major_is_rejected(major: int) -> None:
    # CLI 2 needs changesets/action v1, which cannot split versioning, packing and publishing.
    with pytest.raises(ConfigError, match=rf"WorkflowSpec\.changesets_cli_major: got {major}"):
        WorkflowSpec(repository="acme/storefront", changesets_cli_major=major)


def test_trusted_publishing_has_no_npm_token() -> None:
    text = _rendered("default")[".github/workflows/release.yml"]
    assert "NPM_TOKEN" not in text
    assert "registry-url" not in text
    publish = load_yaml(text)["jobs"]["publish"]
    assert publish["permissions"]["id-token"] == "write"


def test_token_publishing_reads_the_secret_from_the_release_environment() -> None:
    release = load_yaml(_rendered("token-two-envs")[".github/workflows/release.yml"])
    job = release["jobs"]["publish"]
    assert job["environment"] == {"name": "npm", "deployment": False}
    step = next(s for s in job["steps"] if s.get("id") == "publish")
    assert step["env"]["NODE_AUTH_TOKEN"] == "${{ secrets.NPM_TOKEN }}"
    assert step["env"]["NPM_CONFIG_PROVENANCE"] == "true"


def test_no_npm_publishing_and_no_app_needs_no_oidc_or_environment() -> None:
    spec = WorkflowSpec(
        repository="acme/storefront",
        npm_publish=NpmPublishMode.NONE,
        release_token=ReleaseTokenMode.GITHUB_TOKEN,
    )
    release = load_yaml(render_workflow_files(spec)[".github/workflows/release.yml"])
    job = release["jobs"]["publish"]
    assert "environment" not in job
    assert "id-token" not in job["permissions"]
    assert job["permissions"]["contents"] == "write"


def test_release_jobs_restore_no_dependency_cache() -> None:
    release = load_yaml(_rendered("default")[".github/workflows/release.yml"])
    nodes = [
        step
        for job in release["jobs"].values()
        for step in job.get("steps", [])
        if "setup-node" in str(step.get("uses", ""))
    ]
    assert len(nodes) == 4  # mode, version, pack, publish
    for node in nodes:
        assert node["with"]["package-manager-cache"] is False


def test_only_a_push_to_the_default_branch_writes_the_layer_cache() -> None:
    docker = load_yaml(_rendered("default")[".github/workflows/docker.yml"])
    writes = {
        (job_id, step["name"]): step["with"]["cache-to"]
        for job_id, job in docker["jobs"].items()
        for step in job.get("steps", [])
        if "cache-to" in step.get("with", {})
    }
    assert writes == {
        ("check", "Build and run the tests inside the image"): "${{ github.event_name == 'push'"
        " && format('type=gha,mode=max,scope={0}', matrix.pair) || '' }}"
    }
    # The check job never runs for a release call, where github.event_name is 'push' as well.
    # Not on a release call, nor on the push of a merged version pull request (the release's
    # image job builds that commit; tests/release/test_version_merge.py evaluates it).
    assert docker["jobs"]["check"]["if"].startswith("!(inputs.version != '') && !(")
    assert docker["on"]["push"] == {"branches": ["main"]}
    push = next(s for s in docker["jobs"]["build"]["steps"] if s.get("id") == "push")
    assert push["with"]["provenance"] == "mode=max"
    assert push["with"]["sbom"] is True


def test_docker_pull_requests_never_push() -> None:
    docker = load_yaml(_rendered("default")[".github/workflows/docker.yml"])
    for job_id in ("check", "lint"):
        job = docker["jobs"][job_id]
        assert job["permissions"] == {"contents": "read"}
        assert "environment" not in job
        for step in job["steps"]:
            assert step.get("with", {}).get("push", False) is False
            assert "outputs" not in step.get("with", {})
    for job_id in ("build", "merge"):
        assert "inputs.stage" in docker["jobs"][job_id]["if"]
    assert [p["runner"] for p in docker["jobs"]["check"]["strategy"]["matrix"]["include"]] == [
        "ubuntu-24.04",
        "ubuntu-24.04-arm",
    ]


def test_pull_requests_run_the_tests_smoke_test_and_scan_in_the_image() -> None:
    docker = load_yaml(_rendered("default")[".github/workflows/docker.yml"])
    ids = [s.get("id") for s in docker["jobs"]["check"]["steps"]]
    assert [i for i in ids if i in VERIFY_STEPS] == list(VERIFY_STEPS)
    scan = docker["jobs"]["check"]["steps"][ids.index("scan")]["with"]
    assert (scan["exit-code"], scan["severity"]) == ("1", "CRITICAL,HIGH")
    assert scan["image-ref"] == CANDIDATE_IMAGE
    assert "hadolint" in repr(docker["jobs"]["lint"]["steps"])


def test_dependabot_has_a_cooldown_of_a_week() -> None:
    config = load_yaml(_rendered("default")[".github/dependabot.yml"])
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert {"github-actions", "npm"} <= set(ecosystems)
    for update in ecosystems.values():
        assert update["cooldown"]["default-days"] >= 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"environments": ()}, "WorkflowSpec.environments"),
        ({"environments": ("dev", "dev")}, "no duplicate names"),
        ({"environments": ("Dev",)}, "WorkflowSpec.environments: got 'Dev'"),
        ({"environments": ("dev", "all")}, "no environment named 'all'"),
        ({"build_environment": "qa"}, "WorkflowSpec.build_environment: got 'qa'"),
        ({"node_version": "20"}, "WorkflowSpec.node_version: got '20'"),
        ({"node_version": "22"}, "Node.js 24 or later when publishing"),
        ({"trivy_version": "v0.69.4"}, "was not compromised"),
        ({"trivy_version": "latest"}, "WorkflowSpec.trivy_version"),
        ({"npm_environment": "prod"}, "WorkflowSpec.npm_environment"),
        ({"health_check_retries": 0}, "WorkflowSpec.health_check_retries: got 0"),
        ({"dockerfile": "../Dockerfile"}, "WorkflowSpec.dockerfile"),
        ({"ghcr_image": "Acme/Shop"}, "WorkflowSpec.ghcr_image"),
    ],
)
def test_invalid_specs_name_the_field_value_and_rule(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        WorkflowSpec(repository="acme/storefront", **kwargs)


def test_invalid_repository() -> None:
    with pytest.raises(ConfigError, match=r"WorkflowSpec\.repository: got 'acme'"):
        WorkflowSpec(repository="acme")


def test_node_22_is_fine_without_npm_publishing() -> None:
    spec = WorkflowSpec(
        repository="acme/storefront", node_version="22", npm_publish=NpmPublishMode.NONE
    )
    assert spec.image_build_environment == "dev"
    assert spec.ghcr_image_ref == "ghcr.io/acme/storefront"


def test_public_api_is_pinned() -> None:
    import slipway.workflows as package

    # isort-style order, as ruff's RUF022 wants: CONSTANTS, then Classes, then functions.
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert package.__all__ == sorted(package.__all__, key=key)
    assert package.__all__ == [
        "ALL_PINS",
        "GENERATOR",
        "ActionPin",
        "GhcrRetention",
        "NpmPublishMode",
        "ReleaseTokenMode",
        "WorkflowSpec",
        "changesets_action_for",
        "dump_yaml",
        "load_yaml",
        "render_workflow_files",
        "workflow_data",
    ]


def test_rollouts_are_polled_with_a_bounded_wait() -> None:
    from slipway.workflows import deploy, scripts
    from slipway.workflows.spec import WorkflowSpec

    spec = WorkflowSpec(repository="acme-corp/storefront")
    steps = {s.get("id"): s for s in deploy._steps(spec, "prod")}
    for step_id, script in (("deploy", scripts.DEPLOY_SERVICE), ("rollback", scripts.ROLLBACK)):
        env = steps[step_id]["env"]
        assert env["STABILITY_POLL_SECONDS"] == str(deploy.STABILITY_POLL_SECONDS) == "5"
        assert env["STABILITY_TIMEOUT_SECONDS"] == str(deploy.deploy_budget(spec).rollout_seconds)
        assert steps[step_id]["run"] == script.run
    for step in (scripts.DEPLOY_SERVICE, scripts.ROLLBACK):
        assert "follow_deployment" in step.source
        assert step.libraries() == ("report-stage", "follow-deployment")
    files = render_workflow_files(spec)
    assert not [path for path in files if path.endswith(".sh") and "aws ecs wait" in files[path]]


SCRIPT_INPUTS = ("script", "version-script", "publish-script", "version", "publish")
"""Inputs of changesets/action (v1, v2 and its sub-actions) that it spawns through
``@actions/exec``: split into words, the first word run, no shell in between."""
SHELL_SYNTAX = re.compile(r"&&|\|\||[;|<>`]|\$\(|\$\{(?!\{)")


def test_every_exec_spawned_input_is_one_command(parsed: dict[str, Any]) -> None:
    seen = 0
    for workflow in parsed.values():
        for step in _steps(workflow):
            if not str(step.get("uses", "")).startswith("changesets/action"):
                continue
            for key in SCRIPT_INPUTS:
                value = (step.get("with") or {}).get(key)
                if value is None:
                    continue
                seen += 1
                text = re.sub(r"\$\{\{.*?\}\}", "EXPR", str(value))
                assert not SHELL_SYNTAX.search(text), f"{key}: {value!r} needs a shell"
                assert "\n" not in str(value).strip(), f"{key}: {value!r} is several lines"
    assert seen, "no changesets/action script input found"


# --------------------------------------------------------------------------------------------
# The release graph: nothing irreversible before the image passed; least privilege per job
# --------------------------------------------------------------------------------------------

IRREVERSIBLE_STEPS = ("publish",)
"""Ids of release.yml steps that publish (npm, tags, GitHub Releases)."""


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _ancestors(jobs: dict[str, Any], job_id: str) -> set[str]:
    seen: set[str] = set()
    stack = _needs(jobs[job_id])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(_needs(jobs[current]))
    return seen


def _called_steps(parsed: dict[str, Any], job: dict[str, Any], stage: str) -> set[str]:
    """Step ids of the jobs a reusable-workflow call runs for ``stage``."""
    called = parsed[".github/workflows/" + job["uses"].rsplit("/", 1)[1]]
    return {
        step.get("id", "")
        for called_job in called["jobs"].values()
        if f"inputs.stage == '{stage}'" in called_job.get("if", "")
        for step in called_job.get("steps", [])
    }


def test_publish_transitively_needs_the_images_tests_smoke_and_scan(
    parsed: dict[str, Any],
) -> None:
    release = parsed[".github/workflows/release.yml"]
    jobs = release["jobs"]
    publish = jobs["publish"]
    assert any(s.get("id") in IRREVERSIBLE_STEPS for s in publish["steps"])
    before = _ancestors(jobs, "publish")
    assert {"mode", "pack", "image"} <= before
    # The image call that publish waits for is the verify stage: every platform's tests inside
    # the image, runtime image, smoke test and scan, and only then the push by digest.
    assert jobs["image"]["with"]["stage"] == "verify"
    verify_steps = _called_steps(parsed, jobs["image"], "verify")
    assert set(VERIFY_STEPS) | {"push"} <= verify_steps
    build = parsed[".github/workflows/docker.yml"]["jobs"]["build"]
    ids = [s.get("id") for s in build["steps"]]
    assert max(ids.index(i) for i in VERIFY_STEPS) < ids.index("push")
    assert build["strategy"]["fail-fast"] is True
    # The pack job runs the test suite before packing what publish uploads.
    pack_steps = [s["name"] for s in jobs["pack"]["steps"]]
    assert pack_steps.index("Run the tests") < pack_steps.index("Pack the packages to publish")
    # publish runs only when pack and the image succeeded (the image may be absent).
    condition = publish["if"]
    assert "needs.pack.result == 'success'" in condition
    assert "needs.image.result == 'success' || needs.image.result == 'skipped'" in condition
    # Nothing that tags or deploys runs before publish.
    assert "publish" in _ancestors(jobs, "image-publish")
    assert "image-publish" in _ancestors(jobs, "deploy")
    # And npm pack and the tests run beside the image build, not after it.
    assert "pack" not in _ancestors(jobs, "image")
    assert "image" not in _ancestors(jobs, "pack")


def test_no_job_holds_both_id_token_and_pull_requests_write(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        for job_id, job in workflow["jobs"].items():
            grants = job.get("permissions", {})
            both = grants.get("id-token") == "write" and grants.get("pull-requests") == "write"
            assert not both, (path, job_id)


def test_only_the_version_job_may_write_pull_requests(parsed: dict[str, Any]) -> None:
    for path, workflow in parsed.items():
        for job_id, job in workflow["jobs"].items():
            if job.get("permissions", {}).get("pull-requests") == "write":
                assert (path, job_id) == (".github/workflows/release.yml", "version")


DEPLOYING_JOBS = re.compile(r"^deploy-[a-z][a-z0-9-]*$")
"""deploy.yml's per-environment jobs: the only jobs whose environment records a deployment."""


def test_every_non_deploying_job_with_an_environment_creates_no_deployment(
    parsed: dict[str, Any],
) -> None:
    seen = 0
    for path, workflow in parsed.items():
        for job_id, job in workflow["jobs"].items():
            if "environment" not in job:
                continue
            if path.endswith("deploy.yml") and DEPLOYING_JOBS.match(job_id):
                continue
            seen += 1
            environment = job["environment"]
            assert isinstance(environment, dict), (path, job_id)
            assert environment.get("deployment") is False, (path, job_id)
    assert seen >= 4  # build, merge, publish, notify at least


def test_the_version_pull_request_is_opened_by_the_release_app() -> None:
    release = load_yaml(_rendered("default")[".github/workflows/release.yml"])
    job = release["jobs"]["version"]
    token = next(s for s in job["steps"] if s.get("id") == "app-token")
    assert token["uses"].startswith("actions/create-github-app-token@")
    assert token["with"]["client-id"] == "${{ vars.RELEASE_APP_CLIENT_ID }}"
    assert token["with"]["private-key"] == "${{ secrets.RELEASE_APP_PRIVATE_KEY }}"
    assert token["with"]["permission-pull-requests"] == "write"
    version = next(s for s in job["steps"] if "changesets/action/version" in s.get("uses", ""))
    assert version["with"]["github-token"] == "${{ steps.app-token.outputs.token }}"
    # GITHUB_TOKEN itself stays read-only: the app writes.
    assert job["permissions"] == {"contents": "read"}
    # The same identity pushes the tags and releases, so rulesets can let only it create them.
    publish = release["jobs"]["publish"]
    step = next(s for s in publish["steps"] if s.get("id") == "publish")
    assert step["with"]["github-token"] == "${{ steps.app-token.outputs.token }}"
    housekeeping = release["jobs"]["housekeeping"]
    assert any(s.get("id") == "app-token" for s in housekeeping["steps"])
    branches = next(s for s in housekeeping["steps"] if s["name"].startswith("Create or advance"))
    assert branches["env"]["GH_TOKEN"] == "${{ steps.app-token.outputs.token }}"
    assert housekeeping["environment"] == {"name": "npm", "deployment": False}


def test_without_an_app_the_github_token_opens_the_version_pull_request() -> None:
    release = load_yaml(_rendered("token-two-envs")[".github/workflows/release.yml"])
    job = release["jobs"]["version"]
    assert "environment" not in job
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert "create-github-app-token" not in repr(release)
    version = next(s for s in job["steps"] if "changesets/action/version" in s.get("uses", ""))
    assert version["with"]["github-token"] == "${{ github.token }}"


def test_private_repositories_without_enterprise_skip_attestations_and_sarif() -> None:
    docker = load_yaml(_rendered("token-two-envs")[".github/workflows/docker.yml"])
    text = repr(docker)
    assert "actions/attest@" not in text
    assert "upload-sarif" not in text
    scan = next(s for s in docker["jobs"]["build"]["steps"] if s.get("id") == "scan")
    assert scan["with"]["exit-code"] == "1"  # the scan still gates the release
    for job in docker["jobs"].values():
        assert "attestations" not in job["permissions"]
        assert "security-events" not in job["permissions"]
    full = load_yaml(_rendered("default")[".github/workflows/docker.yml"])
    assert "actions/attest@" in repr(full["jobs"]["merge"])
    assert "upload-sarif" in repr(full["jobs"]["build"])


def test_the_notify_job_reports_every_stage_whatever_happened(parsed: dict[str, Any]) -> None:
    release = parsed[".github/workflows/release.yml"]
    notify = release["jobs"]["notify"]
    assert notify["if"] == "always()"
    assert set(_needs(notify)) == set(release["jobs"]) - {"notify"}
    assert notify["steps"][0]["env"]["NEEDS_JSON"] == "${{ toJSON(needs) }}"


def test_generated_files_are_left_alone_by_the_application_dependabot() -> None:
    config = load_yaml(_rendered("default")[".github/dependabot.yml"])
    by_ecosystem = {u["package-ecosystem"]: u for u in config["updates"]}
    assert by_ecosystem["github-actions"]["exclude-paths"] == [
        ".github/workflows/release.yml",
        ".github/workflows/docker.yml",
        ".github/workflows/deploy.yml",
        ".github/workflows/ghcr-retention.yml",
        ".github/workflows/release-line.yml",
    ]
    assert by_ecosystem["docker"]["exclude-paths"] == ["Dockerfile"]
    assert "exclude-paths" not in by_ecosystem["npm"]


def test_codeowners_cover_the_generated_release_machinery() -> None:
    files = _rendered("default")
    lines = [line for line in files[".github/CODEOWNERS"].splitlines() if not line.startswith("#")]
    assert lines == [
        "/.github/ @acme/platform",
        "/Dockerfile @acme/platform",
        "/.dockerignore @acme/platform",
        "/.changeset/config.json @acme/platform",
        "/.trivyignore.yaml @acme/platform",
    ]
    assert ".github/CODEOWNERS" not in _rendered("token-two-envs")


WORKFLOW_FILE_LIMIT = 500 * 1024
"""GitHub does not start runs of a workflow file larger than 500 KB ("Workflow file size",
https://docs.github.com/en/actions/reference/limits)."""


def test_every_workflow_stays_under_githubs_file_limit_with_many_environments() -> None:
    # deploy.yml grows with each environment; with the deploy job's shell inlined, ten
    # environments made it 547 KB. Thirty stay far below the limit.
    environments = (*(f"env{i:02d}" for i in range(29)), "prod")
    spec = WorkflowSpec(repository="acme/storefront", environments=environments)
    rendered = render_workflow_files(spec)
    sizes = {path: len(rendered[path].encode()) for path in WORKFLOWS}
    assert max(sizes.values()) < WORKFLOW_FILE_LIMIT / 2, sizes
    per_environment = (sizes[WORKFLOWS[2]] - len(_rendered("default")[WORKFLOWS[2]].encode())) / 27
    assert per_environment < 10 * 1024


def test_only_the_image_deploy_verifies_is_attested_and_without_storage_records() -> None:
    """Issue 23, item 10: the ECR attestation was made after publishing and never read; the
    deploy verifies the GHCR manifest list's attestation only (deploy.yml, step attestation).
    actions/attest creates a storage record only with ``artifact-metadata: write``, which no
    job holds, so the step turns it off instead of failing it quietly."""
    docker = load_yaml(_rendered("default")[".github/workflows/docker.yml"])
    attests = [
        step
        for job in docker["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/attest@")
    ]
    assert [s["with"]["subject-name"] for s in attests] == [SPECS["default"].ghcr_image_ref]
    assert attests[0]["with"]["create-storage-record"] is False
    for workflow in _rendered("default").values():
        assert "artifact-metadata" not in workflow
    deploy = load_yaml(_rendered("default")[".github/workflows/deploy.yml"])
    verify = [
        step
        for job in deploy["jobs"].values()
        for step in job.get("steps", [])
        if step.get("id") == "attestation"
    ]
    assert verify
    assert all(s["env"]["SOURCE_IMAGE"] == SPECS["default"].ghcr_image_ref for s in verify)


@pytest.mark.parametrize(
    ("npm_publish", "npm_access", "registry", "token"),
    [
        (NpmPublishMode.TRUSTED, "public", "true", False),
        # Trusted publishing gives no token to read a restricted package: the tags decide.
        (NpmPublishMode.TRUSTED, "restricted", "false", False),
        (NpmPublishMode.TOKEN, "restricted", "true", True),
        (NpmPublishMode.NONE, "public", "false", False),
    ],
)
def test_the_publish_check_reads_the_registry_where_it_can(
    npm_publish: NpmPublishMode, npm_access: str, registry: str, token: bool
) -> None:
    spec = WorkflowSpec(
        repository="acme/storefront", npm_publish=npm_publish, npm_access=npm_access
    )
    release = load_yaml(render_workflow_files(spec)[".github/workflows/release.yml"])
    step = next(s for s in release["jobs"]["publish"]["steps"] if s.get("id") == "released")
    assert step["env"]["CHECK_REGISTRY"] == registry
    assert ("NODE_AUTH_TOKEN" in step["env"]) is token
