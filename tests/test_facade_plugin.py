"""The plugin folder (provider/) is what Pulumi's Python language host expects.

The host runs ``python <plugin folder> <args>`` (``RunPlugin`` in pulumi/pulumi
``sdk/python/cmd/pulumi-language-python/main.go``: "executing the plugin's ``__main__.py``"),
after ``pip install -r requirements.txt`` with the plugin folder as working directory
(``sdk/python/toolchain/pip.go``).
"""

import ast
import runpy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "provider"


def test_plugin_runs_on_the_python_runtime() -> None:
    assert yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}


def test_requirements_install_slipway_from_the_same_checkout() -> None:
    lines = [
        line
        for line in (PLUGIN / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines == [".."]
    assert (PLUGIN / ".." / "pyproject.toml").resolve() == ROOT / "pyproject.toml"


def test_main_serves_the_facade_with_slipways_version() -> None:
    """``__main__.py`` passes ``version=slipway.__version__`` (without it: 0.0.0) and serves
    ``SlipwayComponentProvider`` only when run as the main module."""
    source = (PLUGIN / "__main__.py").read_text()
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "SlipwayComponentProvider"
    ]
    assert len(calls) == 1
    assert [ast.unparse(a) for a in calls[0].args] == ["COMPONENTS", "'slipway'"]
    assert {k.arg: ast.unparse(k.value) for k in calls[0].keywords} == {
        "version": "slipway.__version__"
    }
    namespace = runpy.run_path(str(PLUGIN / "__main__.py"), run_name="not_main")
    assert "SlipwayComponentProvider" in namespace


def test_no_facade_module_postpones_its_annotations() -> None:
    """Pulumi's analyzer reads annotations without evaluating strings."""
    for module in sorted(PLUGIN.rglob("*.py")):
        tree = ast.parse(module.read_text())
        postponed = [
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and node.module == "__future__"
            and any(alias.name == "annotations" for alias in node.names)
        ]
        assert not postponed, module
