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
