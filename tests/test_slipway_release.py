"""Slipway's own release workflow (.github/workflows/slipway-release.yml) and its scripts.

It passes the checks the generated workflows pass (actionlint with shellcheck, zizmor pedantic,
the workflow schema), runs only in Slipway's own repository (this repository is also the
template users clone), and its release notes come from CHANGELOG.md.
"""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.workflows.conftest import tool, tool_env
from tooling.release.notes import section

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "slipway-release.yml"
SCRIPTS = sorted((ROOT / "tooling" / "release").glob("*.sh"))
SLIPWAY_REPOSITORY = "acme-corp/storefront-infra"
"""Slipway's own repository, the one that releases it (docs/components.md installs from it)."""


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=300, check=False
    )


def _workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_actionlint_with_shellcheck() -> None:
    tool("shellcheck")  # actionlint silently skips shell checks without it
    result = _run([tool("actionlint"), "-no-color", str(WORKFLOW)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_pedantic() -> None:
    result = _run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "plain", str(WORKFLOW)]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout
    assert "slipway-release.yml" in result.stderr, result.stderr


def test_workflow_schema() -> None:
    result = _run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_pass_shellcheck() -> None:
    assert SCRIPTS
    result = _run([tool("shellcheck"), "--severity=style", *map(str, SCRIPTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_only_for_version_tags() -> None:
    workflow = _workflow()
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert workflow[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    assert workflow["permissions"] == {}


def test_every_job_runs_only_in_slipways_own_repository() -> None:
    """In a user's clone of the template, no job runs: nothing is built or published."""
    jobs = _workflow()["jobs"]
    assert set(jobs) == {"build", "publish", "github-release"}
    for name, job in jobs.items():
        assert job["if"] == f"github.repository == '{SLIPWAY_REPOSITORY}'", name


def test_only_the_publish_job_can_mint_an_oidc_token() -> None:
    jobs = _workflow()["jobs"]
    minting = {name for name, job in jobs.items() if job["permissions"].get("id-token")}
    assert minting == {"publish"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert jobs["github-release"]["permissions"] == {"contents": "write"}


def test_release_notes_are_the_changelog_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    notes = section(changelog, "0.2.0")
    assert not notes.startswith("## ")
    assert "## 0.1.0" not in notes
    assert notes.strip()
    assert notes.strip() in changelog


def test_release_notes_refuse_a_version_without_a_section() -> None:
    with pytest.raises(LookupError, match=r"no '## 9\.9\.9' section"):
        section("# Changelog\n\n## 0.2.0\n\n- a\n", "9.9.9")
    with pytest.raises(LookupError, match="empty"):
        section("## 1.0.0\n\n## 0.9.0\n- a\n", "1.0.0")


def test_notes_script_fails_with_an_annotation(tmp_path: Path) -> None:
    result = subprocess.run(
        ["python3", str(ROOT / "tooling" / "release" / "notes.py"), "9.9.9"],
        input="## 0.2.0\n- a\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "::error::CHANGELOG.md has no '## 9.9.9' section" in result.stderr


def test_token_script_needs_the_id_token_permission() -> None:
    env = {k: v for k, v in tool_env().items() if not k.startswith("ACTIONS_ID_TOKEN")}
    result = subprocess.run(
        ["bash", str(ROOT / "tooling" / "release" / "pypi_token.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "the job needs id-token: write" in result.stderr
