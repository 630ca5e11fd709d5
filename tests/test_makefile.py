"""The Makefile's targets do what they say: a declared target has a rule (GNU make runs a phony
target without one as a success that does nothing), and ``make typecheck``, which ``make lint``
and so ``make test`` run, type-checks every Python file of the repository, the tests included."""

from __future__ import annotations

import re
import subprocess
import tomllib

from tooling.offline import ROOT

MAKEFILE = ROOT / "Makefile"


def _phony() -> list[str]:
    (line,) = re.findall(r"^\.PHONY:(.*)$", MAKEFILE.read_text(), re.MULTILINE)
    return str(line).split()


def _recipe(target: str) -> list[str]:
    """The recipe lines of ``target``'s rule (tab-indented, after ``target:``)."""
    lines = MAKEFILE.read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(rf"{re.escape(target)}:(?!=)", line)]
    assert len(starts) == 1, f"{target}: {len(starts)} rules"
    recipe = []
    for line in lines[starts[0] + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def _dry_run(target: str) -> str:
    result = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_declared_target_has_a_rule_with_a_recipe() -> None:
    assert "typecheck" in _phony()
    missing = [target for target in _phony() if not _recipe(target)]
    assert missing == []


def test_typecheck_runs_mypy_strict_over_every_python_file() -> None:
    commands = _dry_run("typecheck").splitlines()
    assert sum("mypy" in command for command in commands) == 3
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    checked = [ROOT / entry for entry in config["files"]]
    checked += [ROOT / c.split()[-1] for c in commands if c.endswith("__main__.py")]
    unchecked = sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        and not any(path == root or root in path.parents for root in checked)
    )
    # The two separate programs run with --strict on their entry point, which imports the rest.
    assert unchecked == [], "not type-checked"
    assert "tests" in config["files"]


def test_lint_runs_typecheck_and_test_runs_lint() -> None:
    assert "typecheck" in " ".join(_recipe("lint"))
    assert _dry_run("typecheck").splitlines()[0] in _dry_run("lint")
    assert "lint" in " ".join(_recipe("test"))
