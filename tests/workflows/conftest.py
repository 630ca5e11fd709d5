"""Shared fixtures of the workflow generator tests: the specs, rendered repositories, tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slipway.workflows import (
    NpmPublishMode,
    ReleaseTokenMode,
    WorkflowSpec,
    render_workflow_files,
)

SPECS: dict[str, WorkflowSpec] = {
    # Three environments, trusted publishing, a release GitHub App, code owners.
    "default": WorkflowSpec(
        repository="acme/storefront",
        image_package="@acme/storefront",
        code_owners=("@acme/platform",),
    ),
    # Two environments, token publishing, GITHUB_TOKEN as the release identity, and a private
    # repository without attestations or code scanning.
    "token-two-envs": WorkflowSpec(
        repository="Acme/Storefront",
        environments=("staging", "prod"),
        npm_publish=NpmPublishMode.TOKEN,
        release_token=ReleaseTokenMode.GITHUB_TOKEN,
        attestations=False,
        code_scanning=False,
        health_check_retries=5,
    ),
    # The default with previews on behind a label gate: preview.yml and its scripts too
    # (docs/previews.md; a stack file with slipway:previews and slipway:previewLabel).
    "previews": WorkflowSpec(
        repository="acme/storefront",
        image_package="@acme/storefront",
        code_owners=("@acme/platform",),
        previews=True,
        preview_label="preview",
    ),
}
"""The specs whose renders are linted and snapshotted."""


def tool(name: str) -> str:
    """Path of a command-line tool, looked up with the interpreter's own bin directory first."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    found = shutil.which(name, path=path)
    if found is None:
        pytest.fail(f"{name} is not installed (looked in {path})")
    return found


def tool_env() -> dict[str, str]:
    """The environment for tool subprocesses: the interpreter's bin directory first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("GITHUB_TOKEN", None)
    env.pop("GH_TOKEN", None)
    return env


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (path relative to ``root`` -> text) under ``root``."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def write_repository(root: Path, files: dict[str, str]) -> Path:
    """Write rendered files under ``root`` in the shape of a git repository."""
    write_files(root, files)
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=tool_env())
    return root


@pytest.fixture(params=sorted(SPECS), scope="module")
def spec_name(request: pytest.FixtureRequest) -> str:
    """Name of one spec in :data:`SPECS`."""
    return str(request.param)


@pytest.fixture(scope="module")
def rendered_repo(spec_name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary repository holding every file rendered for one spec."""
    root = tmp_path_factory.mktemp(f"repo-{spec_name}")
    return write_repository(root, render_workflow_files(SPECS[spec_name]))
