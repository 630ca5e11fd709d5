"""Every rendered file passes the linters with zero findings."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.workflows.conftest import tool, tool_env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=300, check=False
    )


def _workflows(repo: Path) -> list[str]:
    return sorted(str(p) for p in (repo / ".github" / "workflows").glob("*.yml"))


def test_actionlint_with_shellcheck(rendered_repo: Path) -> None:
    tool("shellcheck")  # actionlint silently skips shell checks without it
    result = _run([tool("actionlint"), "-no-color", *_workflows(rendered_repo)], rendered_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_pedantic(rendered_repo: Path) -> None:
    result = _run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "plain", "."],
        rendered_repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


def test_zizmor_audited_every_file(rendered_repo: Path) -> None:
    result = _run([tool("zizmor"), "--offline", "--persona", "pedantic", "."], rendered_repo)
    for name in ("release.yml", "docker.yml", "deploy.yml", "ghcr-retention.yml", "dependabot"):
        assert name in result.stderr, result.stderr


def test_workflow_schema(rendered_repo: Path) -> None:
    result = _run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *_workflows(rendered_repo),
        ],
        rendered_repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_schema(rendered_repo: Path) -> None:
    result = _run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            str(rendered_repo / ".github" / "dependabot.yml"),
        ],
        rendered_repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint(rendered_repo: Path) -> None:
    result = _run([tool("hadolint"), "--no-color", "Dockerfile"], rendered_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "", result.stdout


def test_shellcheck_delivered_scripts(rendered_repo: Path) -> None:
    scripts = sorted(str(p) for p in (rendered_repo / ".github" / "scripts").glob("*.sh"))
    assert scripts, "no delivered scripts"
    result = _run([tool("shellcheck"), "--severity=style", *scripts], rendered_repo)
    assert result.returncode == 0, result.stdout + result.stderr
