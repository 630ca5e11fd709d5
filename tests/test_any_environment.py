"""Any number of environments: every ``Pulumi.<name>.yaml`` is a stack (issue: "Any number of
environments"). A user copies a stack file to add one; the plan takes it, and a broken one is
reported by file and line, never with a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slipway.errors import ConfigError
from tooling import offline, plan
from tooling.offline import ROOT, STACKS, discover_stacks, run_stack


def _project(tmp_path: Path, *stacks: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name in stacks:
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path / f"Pulumi.{name}.yaml")
    return tmp_path


def test_the_stacks_are_the_stack_files_in_promotion_order() -> None:
    files = sorted(p.name for p in ROOT.glob("Pulumi.*.yaml"))
    assert sorted(f"Pulumi.{s}.yaml" for s in STACKS) == files
    assert discover_stacks(ROOT) == STACKS
    assert STACKS[:3] == ("dev", "staging", "prod")


def test_a_qa_stack_made_from_staging_plans(tmp_path: Path) -> None:
    root = _project(tmp_path, "dev", "staging", "prod")
    text = (root / "Pulumi.staging.yaml").read_text()
    (root / "Pulumi.qa.yaml").write_text(
        text.replace("slipway:vpcCidr: 10.30.0.0/16", "slipway:vpcCidr: 10.35.0.0/16")
    )
    # A staging-profile stack sorts with staging, before prod.
    assert discover_stacks(root) == ("dev", "qa", "staging", "prod")
    recording = run_stack("qa", root=root)
    environments = [
        r.inputs["environment"]
        for r in recording.resources
        if r.type == "github:index/repositoryEnvironment:RepositoryEnvironment"
    ]
    assert sorted(environments) == ["infra-drift-qa", "infra-preview-qa", "infra-qa", "qa"]
    names = {r.name for r in recording.resources}
    assert "github-environment" in {n for n in names if n.startswith("github-")}
    assert len(recording.resources) > 100


def test_a_broken_stack_file_names_the_file_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "dev")
    (root / "Pulumi.qa.yaml").write_text("config:\n  slipway:profile: staging\n   bad: [\n")
    assert discover_stacks(root) == ("dev", "qa")  # unreadable: listed last
    with pytest.raises(ConfigError) as caught:
        run_stack("qa", root=root)
    assert str(caught.value).startswith("Pulumi.qa.yaml, line 3, column 7: not valid YAML")
    assert caught.value.__cause__ is None  # no chained parser traceback


def test_a_stack_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "Pulumi.qa.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match=r"Pulumi\.qa\.yaml: got list; a mapping"):
        run_stack("qa", root=root)


def test_the_plan_reports_every_refused_stack_in_one_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "dev")
    (root / "Pulumi.qa.yaml").write_text("config:\n  slipway:profile: staging\n   bad: [\n")
    (root / "Pulumi.uat.yaml").write_text("config:\n  slipway:logRetentionDays: 10\n")
    stacks = discover_stacks(root)
    monkeypatch.setattr(plan, "STACKS", stacks)

    def run_in_root(stack: str) -> offline.Recording:
        return run_stack(stack, root=root)

    monkeypatch.setattr(plan, "run_stack", run_in_root)
    assert plan.main([]) == 2
    err = capsys.readouterr().err
    assert "stack qa: invalid settings\nPulumi.qa.yaml, line 3" in err
    assert "stack uat: invalid settings" in err
    assert "slipway:logRetentionDays" in err
    assert "Traceback" not in err
