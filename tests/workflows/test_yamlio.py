"""The generator's YAML loader: libyaml's parser with GitHub's reading of booleans."""

from __future__ import annotations

import pytest
import yaml

from slipway.workflows import render_workflow_files, yamlio
from tests.workflows.conftest import SPECS


class PurePythonLoader(yaml.SafeLoader):
    """The pure-Python parser with the same resolvers: what the loader must agree with."""


PurePythonLoader.yaml_implicit_resolvers = yamlio._Loader.yaml_implicit_resolvers


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_fast_loader_reads_every_rendered_file_as_the_pure_python_one(name: str) -> None:
    for path, text in render_workflow_files(SPECS[name]).items():
        if path.endswith((".yml", ".yaml")):
            expected = yaml.load(text, Loader=PurePythonLoader)  # noqa: S506 - a SafeLoader
            assert yamlio.load_yaml(text) == expected, path


def test_on_and_yes_stay_strings_and_true_is_a_boolean() -> None:
    assert yamlio.load_yaml("on: yes\nx: true\ny: off\n") == {"on": "yes", "x": True, "y": "off"}
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(yamlio._Loader, yaml.CSafeLoader)


class PurePyYamlDumper(yamlio._Dumper):
    """The generator's dumper with PyYAML's own scalar analysis and literal writer: what the
    faster ones must agree with, byte for byte."""

    analyze_scalar = yaml.emitter.Emitter.analyze_scalar
    write_literal = yaml.emitter.Emitter.write_literal


LITERALS = [
    "one line\n",
    "no final newline",
    "two\nlines",
    "\nstarts with a break\n",
    "  leading spaces\nneed an indentation indicator\n",
    "keeps\ntrailing breaks\n\n\n",
    "inner\n\n\nblank lines\n",
    "a line of spaces\n   \nbetween\n",
    "trailing spaces  \n\tand a tab\n",
    "a line\u2028with a line separator\n",
    "a NEL\x85line\n",
    "unicode: \u00e9\u4e2d\n\n",
    "\n",
    "\n\n",
]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_dumper_writes_every_rendered_file_as_pure_pyyaml(name: str) -> None:
    for path, text in render_workflow_files(SPECS[name]).items():
        if path.endswith((".yml", ".yaml")):
            data = yamlio.load_yaml(text)
            for _ in range(2):  # the second time from the analysis cache
                fast = yaml.dump(data, Dumper=yamlio._Dumper, **yamlio.DUMP_OPTIONS)
                pure = yaml.dump(data, Dumper=PurePyYamlDumper, **yamlio.DUMP_OPTIONS)
                assert fast == pure, path


@pytest.mark.parametrize("literal", LITERALS)
def test_literal_blocks_are_written_as_pure_pyyaml(literal: str) -> None:
    data = {"jobs": {"a": {"steps": [{"run": literal}, {"run": literal, "env": {"X": literal}}]}}}
    fast = yaml.dump(data, Dumper=yamlio._Dumper, **yamlio.DUMP_OPTIONS)
    assert fast == yaml.dump(data, Dumper=PurePyYamlDumper, **yamlio.DUMP_OPTIONS)
    if not any(br in literal for br in "\x85\u2028"):  # YAML 1.1 line breaks, read as \n
        assert yamlio.load_yaml(fast) == data
