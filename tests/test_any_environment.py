"""Any number of environments: every ``Pulumi.<name>.yaml`` is a stack (issue: "Any number of
environments"). A user copies a stack file to add one (docs/runbooks/environments.md); the
plan takes it, the checks across stacks include it, and a broken one is reported by file and
line, never with a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.common import Profile
from slipway.errors import ConfigError
from tests.stack_files import (
    add_environment,
    new_stack_name,
    profile_of,
    project_copy,
    read_config,
    repository_owner,
    set_config,
)
from tooling import offline, plan
from tooling.offline import ROOT, STACKS, discover_stacks, run_stack, stack_settings


def _project(tmp_path: Path, *stacks: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name in stacks:
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path / f"Pulumi.{name}.yaml")
    return tmp_path


def test_the_stacks_are_the_stack_files_in_promotion_order() -> None:
    files = sorted(p.name for p in ROOT.glob("Pulumi.*.yaml"))
    assert sorted(f"Pulumi.{s}.yaml" for s in STACKS) == files
    assert discover_stacks(ROOT) == STACKS
    order = list(Profile)
    ranks = [(order.index(profile_of(s)), s) for s in STACKS]
    assert ranks == sorted(ranks)  # by profile (dev, staging, prod), then by name


def test_a_fourth_stack_added_as_the_runbook_says_is_planned_and_checked_across_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/runbooks/environments.md on a copy of the project: a staging-profile stack copied
    from staging, listed in the owner's workflowEnvironments. Discovery sorts it with its
    profile, ``--stack <it>`` plans it and runs the checks across every stack file."""
    root = project_copy(tmp_path)
    before = discover_stacks(root)
    name = new_stack_name(root)
    add_environment(root, name, Profile.STAGING)
    order = list(Profile)
    expected = sorted(
        (*before, name), key=lambda s: (order.index(stack_settings(s, root).profile), s)
    )
    assert discover_stacks(root) == tuple(expected)
    assert len(expected) == len(before) + 1

    first = run_stack(name, root=root)
    environments = {
        (r.inputs["repository"], r.inputs["environment"])
        for r in first.resources
        if r.type == "github:index/repositoryEnvironment:RepositoryEnvironment"
    }
    # Its GitHub environment, and the infrastructure repository's infra-<name> (made by the
    # stack itself: nothing to create by hand). A set: the two are registered concurrently.
    settings = stack_settings(name, root)
    infra = str(settings.github.github_infra_repository)
    assert environments == {
        (settings.identity.github_repository.split("/")[1], name),
        *((infra.split("/")[1], f"infra-{kind}{name}") for kind in ("", "preview-", "drift-")),
    }
    assert len(first.resources) > 100

    def planned(stack: str, root: Path = ROOT) -> offline.Recording:
        assert stack == name
        return first

    monkeypatch.setattr(plan, "run_stack", planned)
    assert plan.main(["--root", str(root), "--stack", name]) == 0
    out, err = capsys.readouterr()
    assert f"=== stack {name}:" in out
    assert "cross-stack" not in err  # every file agrees

    # Out of the owner's deploy chain: flagged, by name, though only this stack was planned.
    owner = repository_owner(root)
    owner_file = root / f"Pulumi.{owner}.yaml"
    chain = read_config(owner_file)["slipway:workflowEnvironments"]
    set_config(owner_file, {"workflowEnvironments": [e for e in chain if e != name]})
    assert plan.main(["--root", str(root), "--stack", name]) == 0
    err = capsys.readouterr().err
    assert (
        f"cross-stack warning: slipway:workflowEnvironments (Pulumi.{owner}.yaml): got "
        f"{[e for e in chain if e != name]}, without '{name}', which Pulumi.{name}.yaml "
        "deploys to, so deploy.yml never deploys a release there"
    ) in err

    # A problem across stacks stops the plan of the one stack: two stacks, one environment.
    taken = stack_settings(before[0], root).identity.env
    set_config(root / f"Pulumi.{name}.yaml", {"environment": taken})
    assert plan.main(["--root", str(root), "--stack", name]) == 2
    err = capsys.readouterr().err
    assert "cross-stack problem: slipway:environment: " in err
    assert f"Pulumi.{name}.yaml" in err.split("cross-stack problem: slipway:environment: ")[1]


def test_plan_refuses_a_stack_with_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, *STACKS)
    with pytest.raises(SystemExit) as caught:
        plan.main(["--root", str(root), "--stack", "nowhere"])
    assert caught.value.code == 2
    assert "--stack nowhere: no Pulumi.<name>.yaml" in capsys.readouterr().err


def test_a_broken_stack_file_names_the_file_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path, STACKS[0])
    (root / "Pulumi.qa.yaml").write_text("config:\n  slipway:profile: staging\n   bad: [\n")
    assert discover_stacks(root) == (STACKS[0], "qa")  # unreadable: listed last
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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, STACKS[0])
    (root / "Pulumi.qa.yaml").write_text("config:\n  slipway:profile: staging\n   bad: [\n")
    (root / "Pulumi.uat.yaml").write_text("config:\n  slipway:logRetentionDays: 10\n")
    assert plan.main(["--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "stack qa: invalid settings\nPulumi.qa.yaml, line 3" in err
    assert "stack uat: invalid settings" in err
    assert "slipway:logRetentionDays" in err
    assert "Traceback" not in err


def test_the_checks_across_stacks_name_a_refused_stack_they_cannot_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--stack`` plans one stack, but the checks read every file: one whose settings are
    refused is named, with the command that shows why, instead of a traceback."""
    root = project_copy(tmp_path)
    planned, broken = STACKS[0], STACKS[-1]
    set_config(root / f"Pulumi.{broken}.yaml", {"logRetentionDays": 10})
    recording = run_stack(planned, root=root)
    monkeypatch.setattr(plan, "run_stack", lambda stack, root=ROOT: recording)
    assert plan.main(["--root", str(root), "--stack", planned]) == 2
    err = capsys.readouterr().err
    assert (
        f"cross-stack problem: Pulumi.{broken}.yaml: invalid settings, so the checks across "
        f'stacks leave it out; see why with make plan PLAN_ARGS="--stack {broken}"'
    ) in err
    assert "Traceback" not in err
