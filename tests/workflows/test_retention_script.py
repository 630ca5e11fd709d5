"""The GHCR retention script, taken from the rendered workflow, against fake ``gh``/``docker``."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slipway.workflows import WorkflowSpec, load_yaml, render_workflow_files
from tests.workflows.conftest import tool, tool_env


def _script() -> tuple[str, dict[str, str]]:
    spec = WorkflowSpec(repository="acme/storefront")
    workflow = load_yaml(render_workflow_files(spec)[".github/workflows/ghcr-retention.yml"])
    step = next(s for s in workflow["jobs"]["prune"]["steps"] if "run" in s)
    return step["run"], step["env"]


def _version(number: int, digest: str, days: int, tags: list[str]) -> dict[str, object]:
    created = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": number,
        "name": digest,
        "created_at": created,
        "metadata": {"container": {"tags": tags}},
    }


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_deletes_only_old_unreferenced_untagged_versions(tmp_path: Path, dry_run: str) -> None:
    script, env_block = _script()
    assert env_block["GHCR_IMAGE"] == "acme/storefront"
    versions = [
        _version(1, "sha256:tagged", 100, ["1.0.0"]),
        _version(2, "sha256:child", 100, []),
        _version(3, "sha256:old1", 100, []),
        _version(4, "sha256:old2", 90, []),
        _version(5, "sha256:fresh", 1, []),
    ]
    (tmp_path / "versions.json").write_text(json.dumps(versions))
    deleted = tmp_path / "deleted"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(
        "#!/bin/bash\n"
        'case "$*" in\n'
        '  "api users/acme --jq .type") echo Organization ;;\n'
        f'  "api --paginate orgs/acme/packages/container/storefront/versions?per_page=100") '
        f"cat {tmp_path / 'versions.json'} ;;\n"
        f'  "api --method DELETE "*) echo "${{@: -1}}" >> {deleted} ;;\n'
        '  *) echo "unexpected gh $*" >&2; exit 2 ;;\n'
        "esac\n"
    )
    (bin_dir / "docker").write_text(
        "#!/bin/bash\n"
        '[[ "$*" == "buildx imagetools inspect --raw ghcr.io/acme/storefront@sha256:tagged" ]]'
        ' || { echo "unexpected docker $*" >&2; exit 2; }\n'
        'echo \'{"manifests": [{"digest": "sha256:child"}]}\'\n'
    )
    for fake in bin_dir.iterdir():
        fake.chmod(0o755)
    env = tool_env()
    env.update({"KEEP_LATEST": "1", "OLDER_THAN_DAYS": "30", "DRY_RUN": dry_run})
    env["GHCR_IMAGE"] = env_block["GHCR_IMAGE"]
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    result = subprocess.run(
        [tool("bash"), "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    if dry_run == "true":
        assert not deleted.exists()
        assert "Would delete sha256:old1" in result.stdout
        assert "Would delete sha256:old2" in result.stdout
    else:
        prefix = "orgs/acme/packages/container/storefront/versions/"
        assert sorted(deleted.read_text().split()) == [f"{prefix}3", f"{prefix}4"]
    assert "fresh" not in result.stdout
    assert "child" not in result.stdout
