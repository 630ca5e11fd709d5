"""Properties of deploy.yml's job graph: rollback on cancellation, the time budget, no run-wide
lock, the approval announcement, ``deployment: false``, and its contracts with release.yml and
docker.yml. The shell itself is proven against moto in test_deploy_scripts.py."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from slipway.errors import ConfigError
from slipway.workflows import WorkflowSpec, load_yaml, render_workflow_files, scripts
from slipway.workflows import deploy as deploy_module
from slipway.workflows.deploy import (
    DOWNGRADE_NOTE,
    HOTFIX_NOTE,
    PROMOTION_MINUTES,
    RECORD_MINUTES,
    RELEASE_VERSION,
    SETUP_MINUTES,
    SIGNER_WORKFLOW,
    announce_job_id,
    deploy_budget,
    job_id,
)
from slipway.workflows.paths import DEPLOY_PATH, DOCKER_PATH, RELEASE_PATH
from tests.workflows.conftest import SPECS

SINGLE = WorkflowSpec(repository="acme/storefront", environments=("prod",))
UNATTESTED = WorkflowSpec(repository="acme/storefront", attestations=False)
ALL_SPECS = {**SPECS, "single": SINGLE, "unattested": UNATTESTED}


def _workflow(spec: WorkflowSpec, path: str = DEPLOY_PATH) -> dict[str, Any]:
    return dict(load_yaml(render_workflow_files(spec)[path]))


@pytest.fixture(params=sorted(ALL_SPECS))
def spec(request: pytest.FixtureRequest) -> WorkflowSpec:
    return ALL_SPECS[str(request.param)]


def _deploy_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in workflow["jobs"].items() if k.startswith("deploy-")}


def _steps(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step.get("id", step["name"]): step for step in job["steps"]}


# ------------------------------------------------------------------------------------------
# Rollback covers failure, cancellation and timeout
# ------------------------------------------------------------------------------------------

_STEP_TOKENS = re.compile(
    r"\s*(?:(?P<function>failure|cancelled|always|success)\(\)"
    r"|steps\.(?P<step>[a-z-]+)\.(?P<what>outcome|outputs\.[a-z-]+)"
    r"|'(?P<literal>[^']*)'|(?P<op>==|!=|&&|\|\||!|\(|\)))"
)


def _holds(condition: str, *, failed: bool, cancelled: bool, outcomes: dict[str, str]) -> bool:
    functions = {
        "failure": failed,
        "cancelled": cancelled,
        "always": True,
        "success": not (failed or cancelled),
    }
    python: list[str] = []
    position = 0
    while position < len(condition):
        match = _STEP_TOKENS.match(condition, position)
        assert match, condition[position:]
        position = match.end()
        if match["function"]:
            python.append(repr(functions[match["function"]]))
        elif match["step"]:
            key = match["step"] if match["what"] == "outcome" else match["what"]
            python.append(repr(outcomes.get(key, "")))
        elif match["literal"] is not None:
            python.append(repr(match["literal"]))
        else:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
    return bool(eval("".join(python), {"__builtins__": {}}, {}))  # noqa: S307 - token by token


def test_rollback_covers_cancellation_and_timeouts(spec: WorkflowSpec) -> None:
    for job in _deploy_jobs(_workflow(spec)).values():
        condition = _steps(job)["rollback"]["if"]
        assert "cancelled()" in condition
        assert "failure()" in condition
        rendered = {"outputs.rollback-target": "arn:aws:ecs:…:task-definition/app:1"}

        def holds(
            failed: bool,
            cancelled: bool,
            condition: str = condition,
            rendered: dict[str, str] = rendered,
            **outcomes: str,
        ) -> bool:
            return _holds(
                condition, failed=failed, cancelled=cancelled, outcomes={**rendered, **outcomes}
            )

        # Failed rollout, failed health check, failed channel write.
        assert holds(True, False, deploy="failure", health="skipped", channel="skipped")
        assert holds(True, False, deploy="success", health="failure", channel="skipped")
        assert holds(True, False, deploy="success", health="success", channel="failure")
        # Cancelled (or timed out: GitHub cancels the job) during the wait or the health check.
        assert holds(False, True, deploy="cancelled", health="skipped", channel="skipped")
        assert holds(False, True, deploy="success", health="cancelled", channel="skipped")
        # Nothing moved yet (refused digest, failed render, cancelled before the deploy), or the
        # channel recorded the deploy: no rollback.
        assert not holds(True, False, deploy="skipped", health="skipped", channel="skipped")
        assert not holds(False, True, deploy="skipped", health="skipped", channel="skipped")
        assert not holds(False, True, deploy="success", health="success", channel="success")
        assert not holds(False, False, deploy="success", health="success", channel="success")


def test_the_summary_and_slack_run_whatever_happened(spec: WorkflowSpec) -> None:
    for job in _deploy_jobs(_workflow(spec)).values():
        steps = _steps(job)
        assert job["steps"][-2]["id"] == "notice"
        assert steps["notice"]["if"] == "always()"
        assert job["steps"][-1]["if"] == "always() && steps.notice.outputs.enabled == 'true'"
        assert job["outputs"]["outcome"] == "${{ steps.notice.outputs.outcome }}"
        assert job["outputs"]["version"] == "${{ steps.release.outputs.version }}"


# ------------------------------------------------------------------------------------------
# The time budget
# ------------------------------------------------------------------------------------------


def test_the_default_budget_holds_a_promotion_a_failed_rollout_and_a_full_rollback() -> None:
    spec = WorkflowSpec(repository="acme/storefront")
    budget = deploy_budget(spec)
    assert (budget.job_minutes, budget.health_minutes, budget.rollout_minutes) == (30, 4, 7)
    job = _workflow(spec)["jobs"]["deploy-prod"]
    steps = _steps(job)
    assert job["timeout-minutes"] == 30
    assert steps["image"]["timeout-minutes"] == PROMOTION_MINUTES
    assert steps["deploy"]["timeout-minutes"] == steps["rollback"]["timeout-minutes"] == 8
    assert steps["health"]["timeout-minutes"] == 4
    for step_id in ("deploy", "rollback"):
        assert steps[step_id]["env"]["STABILITY_TIMEOUT_SECONDS"] == "420"


@pytest.mark.parametrize("timeout", [17, 18, 25, 30, 45, 120, 360])
@pytest.mark.parametrize(("retries", "interval"), [(1, 1), (10, 10), (5, 30), (30, 60)])
def test_the_slowest_path_fits_the_job_timeout(timeout: int, retries: int, interval: int) -> None:
    spec = WorkflowSpec(
        repository="acme/storefront",
        deploy_timeout_minutes=timeout,
        health_check_retries=retries,
        health_check_interval_seconds=interval,
    )
    fixed = SETUP_MINUTES + PROMOTION_MINUTES + RECORD_MINUTES + 2
    if timeout < fixed + math.ceil((retries * 10 + (retries - 1) * interval) / 60) + 4:
        with pytest.raises(
            ConfigError, match=f"WorkflowSpec.deploy_timeout_minutes: got {timeout}"
        ):
            deploy_budget(spec)
        return
    budget = deploy_budget(spec)
    steps = _steps(_workflow(spec)["jobs"]["deploy-dev"])
    slowest = (
        SETUP_MINUTES
        + steps["image"]["timeout-minutes"]
        + steps["deploy"]["timeout-minutes"]
        + steps["health"]["timeout-minutes"]
        + RECORD_MINUTES
        + steps["rollback"]["timeout-minutes"]
    )
    assert slowest <= timeout
    # The health check's own worst case fits its step.
    worst = retries * 10 + (retries - 1) * interval
    assert worst <= budget.health_minutes * 60
    assert budget.rollout_minutes >= 2


def test_a_timeout_too_small_for_a_rollback_is_refused_by_name() -> None:
    spec = WorkflowSpec(repository="acme/storefront", deploy_timeout_minutes=15)
    with pytest.raises(ConfigError) as raised:
        render_workflow_files(spec)
    message = str(raised.value)
    assert message.startswith("WorkflowSpec.deploy_timeout_minutes: got 15; at least 19")
    assert "a rollout and a rollback" in message


# ------------------------------------------------------------------------------------------
# Concurrency, the approval announcement and deployment: false
# ------------------------------------------------------------------------------------------


def test_no_workflow_level_lock_only_one_group_per_environment(spec: WorkflowSpec) -> None:
    workflow = _workflow(spec)
    assert "concurrency" not in workflow
    for environment in spec.environments:
        assert workflow["jobs"][job_id(environment)]["concurrency"] == {
            "group": f"deploy-{environment}",
            "cancel-in-progress": False,
            "queue": "max",
        }
    # Nothing else shares a deploy group: a prod approval holds prod's queue only.
    groups = [job.get("concurrency", {}).get("group") for job in workflow["jobs"].values()]
    assert len(groups) == len(set(groups))


def test_the_last_environment_is_announced_before_its_approval(spec: WorkflowSpec) -> None:
    workflow = _workflow(spec)
    jobs = workflow["jobs"]
    gated = spec.environments[-1]
    if len(spec.environments) == 1:
        assert list(jobs) == [job_id(gated)]
        return
    previous = spec.environments[-2]
    announce = jobs[announce_job_id(gated)]
    assert list(jobs).index(announce_job_id(gated)) == list(jobs).index(job_id(gated)) - 1
    # It runs exactly when the gated job does, beside it: the gated job does not wait for it.
    assert announce["if"] == jobs[job_id(gated)]["if"]
    assert announce["needs"] == job_id(previous)
    assert jobs[job_id(gated)]["needs"] == job_id(previous)
    # The previous environment's webhook, no deployment there, no token at all.
    assert announce["environment"] == {"name": previous, "deployment": False}
    assert announce["permissions"] == {}
    text = announce["steps"][-1]["with"]["payload"]
    assert f"'{gated}'" in text
    assert "toJSON(format(" in text
    assert announce["steps"][-1]["if"] == "steps.slack.outputs.enabled == 'true'"


def test_every_job_naming_an_environment_deploys_or_sets_deployment_false(
    spec: WorkflowSpec,
) -> None:
    for name, job in _workflow(spec)["jobs"].items():
        environment = job.get("environment")
        if environment is None:
            continue
        deploys = any(step.get("id") == "deploy" for step in job["steps"])
        if deploys:
            assert environment.get("deployment", True) is True, name
        else:
            assert environment["deployment"] is False, name


def test_inputs_take_allow_downgrade_and_check_the_version_against_the_label() -> None:
    workflow = _workflow(SPECS["default"])
    for trigger in ("workflow_call", "workflow_dispatch"):
        inputs = workflow["on"][trigger]["inputs"]
        assert inputs["allow-downgrade"] == {
            "description": (
                "Deploy a version lower than the environment runs (a rollback on purpose)."
            ),
            "type": "boolean",
            "required": False,
            "default": False,
        }
        assert "org.opencontainers.image.version" in inputs["version"]["description"]
    release = _steps(workflow["jobs"]["deploy-prod"])["release"]
    assert release["env"]["EXPECTED_VERSION"] == "${{ inputs.version }}"
    assert release["env"]["ALLOW_DOWNGRADE"] == "${{ inputs.allow-downgrade }}"
    image = _steps(workflow["jobs"]["deploy-prod"])["image"]
    assert image["env"]["IMAGE_VERSION"] == "${{ steps.release.outputs.version }}"
    assert "inputs.version" not in str(image)


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("1.2.3", True),
        ("10.0.0-rc.1", True),
        ("0.0.1", True),
        ("1.2", False),
        ("v1.2.3", False),
        ("01.2.3", False),
        ("pr-12", False),
        ("sha-abc1234", False),
        ("main", False),
        ("", False),
    ],
)
def test_release_versions(version: str, ok: bool) -> None:
    assert bool(RELEASE_VERSION.match(version)) is ok


def test_the_attestation_is_verified_only_when_attestations_are_on() -> None:
    on = _steps(_workflow(SPECS["default"])["jobs"]["deploy-prod"])
    off = _steps(_workflow(UNATTESTED)["jobs"]["deploy-prod"])
    assert "attestation" in on
    assert "attestation" not in off
    step_ids = list(on)
    assert step_ids.index("attestation") < step_ids.index("release") < step_ids.index("image")
    assert on["attestation"]["env"]["SIGNER_WORKFLOW"] == SIGNER_WORKFLOW
    assert "steps.attestation.outcome" in on["notice"]["env"]["REFUSAL_OUTCOMES"]
    assert "steps.attestation" not in str(off)


# ------------------------------------------------------------------------------------------
# Contracts with the other workflows
# ------------------------------------------------------------------------------------------


def test_the_signer_is_the_image_workflow() -> None:
    assert SIGNER_WORKFLOW == DOCKER_PATH


def test_docker_pushes_the_ghcr_attestation_the_deploy_reads_from_the_registry(
    spec: WorkflowSpec,
) -> None:
    """The deploy verifies an attestation exactly when docker.yml makes one: each deploy job
    reads the GHCR image's from the registry, so docker.yml pushes it there; without
    attestations, neither side has the step (nor docker.yml the ``attestations`` grant)."""
    docker = _workflow(spec, DOCKER_PATH)
    attests = [
        step
        for job in docker["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/attest@")
    ]
    ghcr = [s for s in attests if s["with"].get("subject-name") == spec.ghcr_image_ref]
    verifying = {
        name: "attestation" in _steps(job) for name, job in _deploy_jobs(_workflow(spec)).items()
    }
    assert len(verifying) == len(spec.environments)
    granted = {scope for job in docker["jobs"].values() for scope in job.get("permissions", {})}
    if spec.attestations:
        assert len(ghcr) == 1, "docker.yml attests no GHCR image"
        assert ghcr[0]["with"].get("push-to-registry") is True
        assert set(verifying.values()) == {True}
        assert "attestations" in granted
    else:
        assert attests == []
        assert set(verifying.values()) == {False}
        assert "attestations" not in granted


def test_release_starts_the_deploy_as_its_own_run(spec: WorkflowSpec) -> None:
    """The release run dispatches deploy.yml and ends: it calls no workflow that waits for an
    approval, and its dispatching job holds nothing but ``actions: write``."""
    release = _workflow(spec, RELEASE_PATH)
    assert not [j for j in release["jobs"].values() if j.get("uses") == f"$/{DEPLOY_PATH}"]
    deploy = release["jobs"]["deploy"]
    assert deploy["permissions"] == {"actions": "write"}
    (step,) = deploy["steps"]
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    dispatch = _workflow(spec)["on"]["workflow_dispatch"]["inputs"]
    # Every -f the script passes is an input of deploy.yml's dispatch.
    fields = re.findall(r'-f "([a-z-]+)=', step["run"])
    assert fields == ["image-digest", "version", "hotfix"]
    assert set(fields) <= set(dispatch)


def test_upload_artifact_overwrites_on_rerun(spec: WorkflowSpec) -> None:
    """A re-run of one job must not fail on the artifact its first attempt uploaded: a re-run
    is the same workflow run, and upload-artifact v4+ refuses a name that run already holds
    unless ``overwrite: true`` (the action's README, input ``overwrite``). deploy.yml uploads
    nothing; docker.yml uploads each platform's digest, so every spec has one at least."""
    uploads = {
        (path, job_id, step["name"]): step["with"].get("overwrite")
        for path, text in render_workflow_files(spec).items()
        if path.startswith(".github/workflows/")
        for job_id, job in load_yaml(text)["jobs"].items()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    }
    assert (DOCKER_PATH, "build", "Upload the digest") in uploads
    assert {key: value for key, value in uploads.items() if value is not True} == {}


def test_step_ids_are_documented() -> None:
    rendered = _steps(_workflow(SPECS["default"])["jobs"]["deploy-dev"])
    assert set(deploy_module.STEP_IDS) <= set(rendered)
    assert set(deploy_module.REFUSING_STEPS) <= set(deploy_module.STEP_IDS)


def test_the_channel_record_with_a_version_stays_readable_by_pulumi() -> None:
    """CI's record gains ``version``; slipway.image_channel reads the keys it knows only."""
    from slipway import image_channel

    arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/storefront-prod:42"
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront/prod@sha256:" + "a" * 64
    shape = "b" * 64
    text = json.dumps(
        {"image": image, "taskDefinitionArn": arn, "shape": shape, "version": "1.2.3"}
    )
    assert image_channel.parse_deployed(text) == image_channel.DeployedRecord(image, arn, shape)
    prefix = "/slipway/storefront/prod/image-channel"
    state = image_channel.read_channel(prefix, [f"{prefix}/deployed"], [text])
    assert state.problems == ()
    # WRITE_IMAGE_CHANNEL writes exactly these keys.
    assert "version: $version}" in scripts.WRITE_IMAGE_CHANNEL.source


def test_only_the_last_environment_refuses_a_pre_release_from_the_chain() -> None:
    spec = SPECS["default"]
    workflow = _workflow(spec)
    last = spec.environments[-1]
    for environment in spec.environments:
        env = _steps(workflow["jobs"][f"deploy-{environment}"])["release"]["env"]
        if environment == last:
            assert env["PRERELEASE_ALLOWED"] == f"${{{{ inputs.environment == '{last}' }}}}"
        else:
            assert "PRERELEASE_ALLOWED" not in env
    # The release chain passes no environment (all): the last one keeps its version.
    release = load_yaml(render_workflow_files(spec)[".github/workflows/release.yml"])
    assert '-f "environment=' not in release["jobs"]["deploy"]["steps"][0]["run"]


def test_the_approval_announcement_and_the_run_name_say_downgrade() -> None:
    workflow = _workflow(SPECS["default"])
    payload = workflow["jobs"][announce_job_id("prod")]["steps"][1]["with"]["payload"]
    assert f"inputs.allow-downgrade && '{DOWNGRADE_NOTE}'" in payload
    assert f"inputs.hotfix && '{HOTFIX_NOTE}'" in payload
    assert "DOWNGRADE" in DOWNGRADE_NOTE
    assert "downgrade" in HOTFIX_NOTE
    assert f"inputs.allow-downgrade && '{DOWNGRADE_NOTE}' || ''" in workflow["run-name"]
    assert f"inputs.hotfix && '{HOTFIX_NOTE}' || ''" in workflow["run-name"]
