"""Stack files are read offline as the Pulumi CLI reads them, so that ``make plan`` refuses
what ``pulumi up`` would refuse or silently lose.

* The CLI decodes stack files with gopkg.in/yaml.v3 (pulumi/pulumi
  ``sdk/go/common/encoding/marshal.go``), whose decoder refuses a mapping key given twice
  (go-yaml/yaml v3.0.1 ``decode.go``, ``decoder.mapping``: ``line 12: mapping key "x" already
  defined at line 9``). PyYAML keeps the last value without a word.
* A config key without a namespace is the project's (pulumi/pulumi
  ``sdk/go/common/workspace/loaders.go``, ``stackConfigNamespacedWithProject``).
* A top-level key other than ``ProjectStack``'s fields is ignored by the CLI, with everything
  under it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slipway import ConfigError
from tooling.offline import ROOT, discover_stacks, load_stack_config, run_stack, stack_settings


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _append(root: Path, stack: str, text: str) -> None:
    path = root / f"Pulumi.{stack}.yaml"
    path.write_text(path.read_text() + text)


def _line_of(root: Path, stack: str, fragment: str) -> int:
    lines = (root / f"Pulumi.{stack}.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line)


def test_a_key_set_twice_is_refused_naming_the_key_and_both_lines(root: Path) -> None:
    first = _line_of(root, "dev", "slipway:logRetentionDays:")
    _append(root, "dev", "  slipway:logRetentionDays: 30\n")
    second = len((root / "Pulumi.dev.yaml").read_text().splitlines())
    with pytest.raises(ConfigError) as caught:
        load_stack_config("dev", root)
    assert caught.value.problems == [
        f"Pulumi.dev.yaml, line {second}: slipway:logRetentionDays is set twice, on lines "
        f"{first} and {second}; keep one (the Pulumi CLI refuses the file: mapping key "
        f"'slipway:logRetentionDays' already defined at line {first})"
    ]


def test_every_key_set_twice_is_named_and_the_plan_registers_nothing(root: Path) -> None:
    _append(root, "prod", "  slipway:maxCount: 6\n  slipway:vpcCidr: 10.41.0.0/16\n")
    with pytest.raises(ConfigError) as caught:
        run_stack("prod", root=root)
    keys = [p.split(": ", 1)[1].split(" ", 1)[0] for p in caught.value.problems]
    assert keys == ["slipway:maxCount", "slipway:vpcCidr"]
    assert not hasattr(caught.value, "recording")  # refused before the program ran


def test_a_key_set_twice_inside_a_value_is_refused_too(root: Path) -> None:
    """yaml.v3 checks every mapping, nested ones included."""
    path = root / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  slipway:extra:\n    a: 1\n    a: 2\n")
    with pytest.raises(ConfigError, match="a is set twice"):
        load_stack_config("dev", root)


def test_a_key_without_a_namespace_is_the_projects_as_the_cli_reads_it(root: Path) -> None:
    path = root / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace("  slipway:logRetentionDays: 14\n", "  logRetentionDays: 30\n")
    )
    config, _ = load_stack_config("dev", root)
    assert config["slipway:logRetentionDays"] == "30"
    assert "logRetentionDays" not in config
    assert stack_settings("dev", root).observability.log_retention_days == 30


def test_a_bad_key_without_a_namespace_is_checked_like_any_setting(root: Path) -> None:
    """Before, the offline loader kept it as ``logRetentionDay`` and the settings never saw it;
    the CLI passes it as ``slipway:logRetentionDay``, which is refused."""
    _append(root, "dev", "  logRetentionDay: 30\n")
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", root=root)
    assert caught.value.problems == [
        "slipway:logRetentionDay is not a Slipway setting; did you mean "
        "slipway:logRetentionDays? (all settings: docs/configuration.md)"
    ]
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_one_key_in_both_spellings_is_refused(root: Path) -> None:
    """The CLI would keep either value (its namespacing walks a Go map, in no fixed order)."""
    _append(root, "dev", "  logRetentionDays: 30\n")
    with pytest.raises(ConfigError) as caught:
        load_stack_config("dev", root)
    assert caught.value.problems == [
        "Pulumi.dev.yaml: slipway:logRetentionDays is set twice, as 'slipway:logRetentionDays' "
        "and 'logRetentionDays' (a key without a namespace is the project's); keep one"
    ]


def test_a_top_level_key_the_cli_ignores_is_refused(root: Path) -> None:
    path = root / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("\nconfig:\n", "\nconfigs:\n"))
    with pytest.raises(ConfigError) as caught:
        run_stack("staging", root=root)
    assert caught.value.problems == [
        "Pulumi.staging.yaml: the top-level key 'configs' is not one Pulumi reads (the CLI "
        "ignores it and everything under it); one of config, encryptedkey, encryptionsalt, "
        "environment, secretsprovider; did you mean 'config'?"
    ]
    # Discovery still lists the stack, so that planning it reports the problem.
    assert "staging" in discover_stacks(root)


def test_the_shipped_stack_files_load() -> None:
    for stack in discover_stacks():
        config, _ = load_stack_config(stack)
        assert all(":" in key for key in config), stack


def test_a_key_set_twice_in_the_project_file_is_refused(root: Path) -> None:
    path = root / "Pulumi.yaml"
    path.write_text(path.read_text() + "name: other\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.yaml, line \d+: name is set twice, on lines 1"):
        load_stack_config("dev", root)


def test_a_config_block_that_is_no_mapping_is_refused(root: Path) -> None:
    (root / "Pulumi.dev.yaml").write_text("config:\n  - slipway:profile: dev\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: config: got list; a mapping"):
        load_stack_config("dev", root)
