"""The offline plan: what a newcomer runs first and what a fork's pull request can still run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import plan
from infra.offline import ROOT, Recording
from tests.conftest import recorded


def test_text_plan_shows_each_stack_tree_outputs_and_differences() -> None:
    recordings = [recorded(s) for s in ("dev", "staging", "prod")]
    text = plan.render_text(recordings)
    for recording in recordings:
        custom = sum(1 for r in recording.resources if r.custom)
        components = len(recording.resources) - custom
        assert f"=== stack {recording.stack}: {custom} resources in {components} components" in text
    assert text.count("policy: passed") == 3
    assert "├─ slipway:index:ContainerRegistry  registry" in text
    assert "slipway:index:RepositoryGuardrails  repository: only in prod" in text
    assert "aws:ec2/natGateway:NatGateway  network-nat-b: only in prod" in text
    assert "imageTagMutability: IMMUTABLE" in text
    assert "enableKeyRotation: true" in text
    assert "Expire untagged images after 3 days; Keep the newest 10 release images" in text
    assert "Deny DenyOutsideAllowedAccounts (1 action)" in text
    assert "warning: FargateService service serves plain HTTP" in text
    assert "repositoryUrl: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/storefront/prod" in text
    assert "=== differences between dev, staging, prod" in text
    assert (
        "aws:ecr/repository:Repository  registry-repo  (protect): dev=—  staging=—  prod=true"
        in text
    )


def test_differences_ignore_the_environment_name_itself() -> None:
    diff = plan.differences([recorded("dev"), recorded("staging")])
    assert not any("name: dev=" in line for line in diff)
    assert any("registry-lifecycle  policy:" in line for line in diff)


def test_json_plan_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--stack", "prod", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    prod = document["stacks"]["prod"]
    repo = next(r for r in prod["resources"] if r["name"] == "registry-repo")
    assert repo["properties"]["(protect)"] == "true"
    assert repo["parent"] == "registry"
    assert prod["outputs"]["environment"] == "prod"
    assert document["differences"] == []
    assert prod["policyViolations"] == []


def test_out_writes_each_stack_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--stack", "dev", "--stack", "prod", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    for stack in ("dev", "prod"):
        written = json.loads((tmp_path / stack / "plan.json").read_text())
        assert stack in written["stacks"]
    assert not (tmp_path / "staging").exists()


def test_bad_settings_stop_the_plan_with_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = plan.run_stack

    def broken(stack: str) -> object:
        return original(stack, overrides={"logRetentionDays": "10"})

    monkeypatch.setattr(plan, "run_stack", broken)
    assert plan.main(["--stack", "dev"]) == 2
    assert "slipway:logRetentionDays: got 10;" in capsys.readouterr().err


def test_plan_runs_as_a_command_without_cloud_or_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.plan"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("=== stack ") == 3


def test_a_policy_violation_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = plan.run_stack

    def unrotated(stack: str) -> Recording:
        recording = original(stack)
        key = recording.one("aws:kms/key:Key", "registry-key-key")
        key.inputs = {**key.inputs, "enableKeyRotation": False}
        return recording

    monkeypatch.setattr(plan, "run_stack", unrotated)
    assert plan.main(["--stack", "dev"]) == 3
    captured = capsys.readouterr()
    assert "policy: 1 violations" in captured.out
    assert "[kms-rotation-on] registry-key-key: enableKeyRotation must be true" in captured.out
