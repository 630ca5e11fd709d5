"""Files rendered from the code are current."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.settings import SECRET_SETTINGS, all_fields
from tooling import docgen


def test_rendered_files_are_current() -> None:
    assert docgen.stale() == [], "run `make docs`"


def test_pulumi_yaml_declares_every_setting_with_type_and_description() -> None:
    project = yaml.safe_load(docgen.PULUMI_YAML.read_text())
    assert project["name"] == "slipway"
    assert project["main"] == "infra/"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    declared = project["config"]
    expected = {i.alias for i in all_fields().values()} | {s.key for s in SECRET_SETTINGS}
    assert set(declared) == expected
    for name, declaration in declared.items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), name
        assert declaration["description"], name
    assert all(declared[s.key]["secret"] is True for s in SECRET_SETTINGS)


def test_configuration_reference_lists_every_key() -> None:
    text = docgen.CONFIGURATION_MD.read_text()
    for info in all_fields().values():
        assert f"`slipway:{info.alias}`" in text
    assert "by profile: dev `30`, staging `90`, prod `365`" in text


def test_check_mode_fails_on_a_stale_copy_and_write_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configuration.md"
    target.write_text("outdated\n")
    monkeypatch.setattr(docgen, "ROOT", tmp_path)
    monkeypatch.setattr(docgen, "rendered", lambda: {target: "current\n"})
    assert docgen.main(["--check"]) == 1
    assert "stale: configuration.md" in capsys.readouterr().err
    assert docgen.main(["--write"]) == 0
    assert target.read_text() == "current\n"
    assert docgen.main(["--check"]) == 0


def test_the_readme_states_each_profiles_spot_mix_as_the_code_has_it() -> None:
    """The README's ECS row says how much runs on Spot, from the compute domain's table."""
    from infra.domains.compute import PROFILES

    row = next(
        line
        for line in (docgen.ROOT / "README.md").read_text().splitlines()
        if line.startswith("| ECS on Fargate behind an ALB")
    )
    cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
    for cell, decided in zip(cells, PROFILES.all(), strict=True):
        base, spot = decided.capacity_on_demand_base, decided.capacity_spot_weight
        if spot == 0:
            assert "on-demand only (no Spot)" in cell, cell
        else:
            assert f"Spot {spot} : on-demand 1" in cell, cell
        if base:
            assert f"{base} on-demand always" in cell or f"{base} always" in cell, cell


def test_the_strategy_pictures_are_what_the_stacks_register() -> None:
    """docs/deployment-strategies.md renders each profile's strategy from the compute
    domain's table; every stack file that leaves the strategy to its profile registers a
    service with exactly that strategy (read back from its deploymentConfiguration)."""
    from slipway.deployment_strategy import describe, strategy_of
    from tests.conftest import recorded
    from tooling.offline import STACKS, load_stack_config

    strategy_keys = {
        "slipway:deploymentStrategy",
        "slipway:canaryPercent",
        "slipway:linearStepPercent",
        "slipway:stepIntervalMinutes",
        "slipway:bakeTimeMinutes",
    }
    pictured = docgen.profile_strategies()
    text = docgen.STRATEGIES_MD.read_text()
    checked = 0
    for stack in STACKS:
        config, _ = load_stack_config(stack)
        if strategy_keys & set(config):
            continue
        recording = recorded(stack)
        service = recording.one("aws:ecs/service:Service")
        registered = strategy_of(service.inputs["deploymentConfiguration"])
        assert registered == pictured[config["slipway:profile"]], stack
        assert describe(registered) in text
        checked += 1
    assert checked >= 3


def test_the_strategies_page_is_linked_where_the_docs_are_listed() -> None:
    for listing in (docgen.ROOT / "README.md", docgen.ROOT / "docs" / "index.md"):
        assert "deployment-strategies.md" in listing.read_text(), listing
