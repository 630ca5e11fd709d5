"""What the program and the library import is what their installs provide.

``make plan``, ``make docs``, the restore drill and the Pulumi CLI (``Pulumi.yaml``:
``runtime.options.virtualenv``) install only ``requirements.txt``; a consumer installing Slipway
gets only ``[project].dependencies``. The tests run in the dev venv, which has everything, so a
missing pin shows only on a fresh machine. Here every third-party module imported anywhere in
the code those installs run (at module level or inside a function) is traced to its
distribution (``importlib.metadata``), and that distribution, with everything it requires in
turn (markers evaluated for this interpreter), must be pinned in ``requirements.txt``; the
library's own imports must also be declared dependencies.

The Lambda handlers under ``slipway/hooks`` run in AWS Lambda's Python runtime, which provides
boto3; they are packaged as code, never imported by the library, and checked apart.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "components" / "slipway"
HOOKS = LIBRARY / "hooks"
PROGRAM = [LIBRARY, ROOT / "infra", ROOT / "tooling", ROOT / "policy"]
OWN = {
    "slipway",
    "slipway_platform",
    "infra",
    "tooling",
    "policy",
    "components",
    "tests",
    "__future__",
}
LAMBDA_RUNTIME = {"boto3", "botocore"}
"""What AWS Lambda's Python runtimes include besides the standard library (AWS Lambda
Developer Guide, "Building Lambda functions with Python": the runtime includes the AWS SDK for
Python)."""


def imported_modules(roots: Iterable[Path], *, skip: Path | None = None) -> dict[str, set[str]]:
    """Top-level third-party modules imported under ``roots``: module -> files importing it."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if skip is not None and path.is_relative_to(skip):
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def distributions_of(modules: Iterable[str]) -> dict[str, str]:
    """The installed distribution (canonical name) providing each module."""
    providers = metadata.packages_distributions()
    result: dict[str, str] = {}
    for module in modules:
        assert module in providers, f"no installed distribution provides {module!r}"
        (name,) = {canonicalize_name(d) for d in providers[module]}
        result[module] = name
    return result


def closure(names: Iterable[str]) -> set[str]:
    """``names`` and every distribution they require, for this interpreter (no extras)."""
    environment = {name: str(value) for name, value in default_environment().items()}
    environment["extra"] = ""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                todo.append(canonicalize_name(requirement.name))
    return seen


def pinned(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            assert str(requirement.specifier).startswith("=="), f"{path.name}: {line} not exact"
            names.add(canonicalize_name(requirement.name))
    return names


def test_requirements_txt_pins_everything_the_program_imports() -> None:
    modules = imported_modules(PROGRAM, skip=HOOKS)
    needed = closure(distributions_of(modules).values())
    missing = needed - pinned(ROOT / "requirements.txt")
    assert not missing, f"requirements.txt lacks {sorted(missing)}, needed by " + "; ".join(
        f"{m}: {sorted(files)[0]}"
        for m, files in modules.items()
        if distributions_of([m])[m] in missing
    )


def test_the_library_declares_what_it_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    used = set(distributions_of(imported_modules([LIBRARY], skip=HOOKS)).values())
    assert used - declared == set()


def test_the_lambda_handlers_import_only_what_lambda_provides() -> None:
    assert set(imported_modules([HOOKS])) <= LAMBDA_RUNTIME


def test_pulumis_pip_toolchain_finds_pip_in_the_venv() -> None:
    """``Pulumi.yaml`` names the pip toolchain and ``.venv``: the Pulumi CLI installs
    ``requirements.txt`` there with the venv's own pip (``python -m pip install -r
    requirements.txt``; Pulumi docs, "Pulumi & Python": pip, poetry or uv installs the
    dependencies). ``make`` creates ``.venv`` without pip (Makefile), so the runtime pins
    carry it."""
    import yaml

    options = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options["virtualenv"] == ".venv"
    if options.get("toolchain", "pip") == "pip":
        assert "--without-pip" in (ROOT / "Makefile").read_text()
        assert "pip" in pinned(ROOT / "requirements.txt")
