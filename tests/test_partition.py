"""No ``arn:aws:`` literal in the program or the library: ARNs are built from the partition
(``aws``, ``aws-cn``, ``aws-us-gov``…), read with ``aws.get_partition``, so the same code works
in every partition. Regexes that accept any partition (``arn:aws[a-z-]*:``) are fine."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("components", "infra", "tooling", "policy")
AWS_PLAYED = ("tooling/offline.py", "tooling/bench/programs.py")
"""The offline runtime plays AWS itself, in the ``aws`` partition its answers name."""


def string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string constant in ``path``, f-string parts included, with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_arn_literal_names_the_aws_partition() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value[:80]!r}"
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in AWS_PLAYED
        for line, value in string_constants(path)
        if "arn:aws:" in value
    ]
    assert found == []


def test_the_scan_sees_f_string_parts(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('x = f"arn:aws:iam::{account}:root"\n')
    assert [value for _, value in string_constants(sample)] == ["arn:aws:iam::", ":root"]
