"""Issue 23, item 1: the image version comes from the publish plan of the packages Changesets
manages, never from another manifest in the repository (examples, docs, test fixtures).

A real pnpm workspace with fixture manifests, the real ``changeset publish-plan`` against
verdaccio (where select-mode writes it), then the generated ``mode`` decision step under bash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slipway.workflows.release import DECIDE_STEP
from tests.release.harness import Installs, Registry, Workspace
from tests.release.node_tools import NodeTools
from tests.release.test_changesets_cli import monorepo
from tests.release.test_rerun import _run_script, _step
from tests.workflows.conftest import SPECS

FIXTURES = {
    # Untagged semver manifests that sort before the workspace packages in `git ls-files`.
    "docs/package.json": {"name": "docs-site", "version": "0.1.0"},
    "examples/basic/package.json": {"name": "example-basic", "version": "9.9.9"},
    "packages/core/test/fixtures/app/package.json": {"name": "fixture-app", "version": "3.0.0"},
}


@pytest.fixture(scope="module")
def workspace_plan(
    node_tools: NodeTools,
    installs: Installs,
    registry: Registry,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Workspace, Path]:
    root = tmp_path_factory.mktemp("image-package")
    ws = monorepo(root / "repo", node_tools, installs, registry, "@imgpkg")
    for path, manifest in FIXTURES.items():
        (ws.root / path).parent.mkdir(parents=True, exist_ok=True)
        (ws.root / path).write_text(json.dumps(manifest))
    ws.commit("docs, examples and fixtures")
    runner_temp = root / "runner-temp"
    plan = runner_temp / "changeset-publish-plan-1765000000000" / "publish-plan.json"
    ws.changeset("publish-plan", "--output", str(plan))
    return ws, runner_temp


def _decide(
    ws: Workspace, runner_temp: Path, image_package: str, tmp_path: Path
) -> tuple[int, str, dict[str, str]]:
    env = {
        "MODE": "publish",
        "IMAGE_PACKAGE": image_package,
        "DEFAULT_BRANCH": SPECS["default"].default_branch,
        "GITHUB_REF_NAME": SPECS["default"].default_branch,
        "CREATED": "false",
        "RUNNER_TEMP": str(runner_temp),
        "GH_TOKEN": "t",
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    step = _step("mode", DECIDE_STEP)
    done, outputs = _run_script(ws, step["run"], env, bin_dir, tmp_path / "out")
    return done.returncode, done.stdout, outputs


def test_the_plan_holds_only_the_packages_changesets_manages(
    workspace_plan: tuple[Workspace, Path],
) -> None:
    _, runner_temp = workspace_plan
    plan = json.loads(next(runner_temp.glob("*/publish-plan.json")).read_text())
    names = {entry["name"] for group in plan["plan"] for entry in group}
    assert names == {"@imgpkg/core", "@imgpkg/web"}


def test_the_image_is_the_named_workspace_package(
    workspace_plan: tuple[Workspace, Path], tmp_path: Path
) -> None:
    ws, runner_temp = workspace_plan
    code, stdout, outputs = _decide(ws, runner_temp, "@imgpkg/web", tmp_path)
    assert code == 0, stdout
    assert outputs["version"] == "2.3.0"
    for manifest in FIXTURES.values():
        assert f"{manifest['name']}@" not in stdout


def test_a_workspace_that_leaves_the_image_package_unset_fails_naming_the_setting(
    workspace_plan: tuple[Workspace, Path], tmp_path: Path
) -> None:
    ws, runner_temp = workspace_plan
    code, stdout, outputs = _decide(ws, runner_temp, "", tmp_path)
    assert code == 1
    assert "::error::this repository is a workspace, and slipway:imagePackage is unset" in stdout
    assert outputs == {}
