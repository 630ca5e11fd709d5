"""``slipway:imagePackage``: the package whose released version tags the image (issue 23, item
1). One rule (:func:`slipway.workflows.spec.image_package_problems`) for the setting and for
``WorkflowSpec``; a wrong value fails before any resource, naming the key and what is allowed;
a set value reaches the generated ``mode`` job."""

from __future__ import annotations

import pytest

from infra.settings import parse_settings
from slipway import ConfigError
from slipway.workflows import WorkflowSpec, load_yaml, render_workflow_files
from slipway.workflows.release import DECIDE_STEP
from slipway.workflows.spec import image_package_problems
from tooling.offline import load_stack_config, run_stack


def _verdict(value: str) -> list[str]:
    base = {"profile": "dev", "githubRepository": "a/b", "imagePackage": value}
    try:
        parse_settings(base, set(), "dev")
    except ConfigError as error:
        return [p for p in error.problems if p.startswith("slipway:imagePackage:")]
    return []


@pytest.mark.parametrize(
    "value",
    ["storefront", "@acme/storefront", "a.b-c_d~e", "Storefront", "@acme", "a/b", "", "x" * 215],
)
def test_image_package_is_the_generators_rule(value: str) -> None:
    settings = _verdict(value)
    component = image_package_problems(value, "slipway:imagePackage")
    assert settings == component
    assert bool(settings) == (value in ("Storefront", "@acme", "a/b", "", "x" * 215))
    with_spec: list[str] = []
    try:
        WorkflowSpec(repository="acme/storefront", image_package=value)
    except ConfigError as error:
        with_spec = error.problems
    assert [p.split(": ", 1)[1] for p in with_spec] == [p.split(": ", 1)[1] for p in component]


def test_a_wrong_image_package_fails_before_any_resource() -> None:
    with pytest.raises(ConfigError) as caught:
        run_stack("prod", overrides={"imagePackage": "Not A Package"})
    message = str(caught.value)
    assert "slipway:imagePackage: got 'Not A Package'; an npm package name" in message
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def _mode_env(overrides: dict[str, str]) -> dict[str, str]:
    from infra.stack import workflow_spec

    config, secret_keys = load_stack_config("prod")
    raw = {k.removeprefix("slipway:"): v for k, v in config.items() if k.startswith("slipway:")}
    secret = {k.removeprefix("slipway:") for k in secret_keys}
    settings, _ = parse_settings({**raw, **overrides}, secret, "prod", "eu-west-1")
    files = render_workflow_files(workflow_spec(settings))
    mode = load_yaml(files[".github/workflows/release.yml"])["jobs"]["mode"]
    step = next(s for s in mode["steps"] if s.get("id") == DECIDE_STEP)
    env: dict[str, str] = step["env"]
    return env


def test_the_setting_reaches_the_mode_job() -> None:
    assert _mode_env({"imagePackage": "@acme/storefront"})["IMAGE_PACKAGE"] == "@acme/storefront"
    # Unset: empty, and the job takes the root package or fails in a workspace.
    assert _mode_env({})["IMAGE_PACKAGE"] == ""


def test_the_workflows_pull_request_says_when_a_workspace_must_set_it() -> None:
    from slipway.workflows.prerequisites import prerequisites

    unset = prerequisites(WorkflowSpec(repository="acme/storefront"))
    assert any("set `slipway:imagePackage`" in line for line in unset)
    named = prerequisites(WorkflowSpec(repository="acme/storefront", image_package="@acme/web"))
    assert "The image package is `@acme/web`: its released version tags the image." in named
