"""Documentation links: every relative link resolves, the runbooks exist, the index is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tooling.offline import ROOT

DOCS = ROOT / "docs"
LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)\)")
"""Inline Markdown links ``[text](target)``; images are left out."""
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)

RUNBOOKS = (
    "deploy",
    "rollback",
    "hotfix",
    "rotate-secret",
    "restore",
    "region-failover",
    "revoke-ci-access",
)
"""The runbooks the issue names."""
GUIDES = (
    "deployment-guide",
    "release-process",
    "container-usage",
    "troubleshooting",
    "security",
    "secrets",
    "components",
    "configuration",
)
"""The roadmap's documentation items (guides, release process, containers, troubleshooting,
configuration, security) and the issue's own."""


def markdown_files() -> list[Path]:
    """Every Markdown file whose links must resolve: docs/**, the README files we ship."""
    files = sorted(DOCS.rglob("*.md"))
    files += [ROOT / "README.md", ROOT / "bootstrap" / "README.md"]
    files += sorted((ROOT / "examples").rglob("README.md"))
    return files


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans (their brackets are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Anchors of every heading in ``path`` (duplicates get GitHub's ``-1``, ``-2``…)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def relative_links(path: Path) -> list[str]:
    """Targets of the links in ``path`` that point inside the repository."""
    targets = LINK.findall(prose(path.read_text()))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and t != "#"]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file_and_heading(path: Path) -> None:
    problems = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            problems.append(f"{target}: no such file {resolved}")
            continue
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert problems == [], path


def test_every_runbook_the_issue_names_exists_with_a_title() -> None:
    for name in RUNBOOKS:
        path = DOCS / "runbooks" / f"{name}.md"
        assert path.is_file(), path
        assert path.read_text().startswith("# Runbook: "), path


def test_every_guide_exists() -> None:
    for name in GUIDES:
        assert (DOCS / f"{name}.md").is_file(), name


def test_the_index_links_every_doc() -> None:
    index = DOCS / "index.md"
    linked = {(index.parent / t.partition("#")[0]).resolve() for t in relative_links(index)}
    missing = [p.relative_to(ROOT) for p in DOCS.rglob("*.md") if p != index and p not in linked]
    assert missing == []
    assert (ROOT / "bootstrap" / "README.md").resolve() in linked


def test_the_link_checker_catches_broken_links_and_anchors(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n## A `code` heading: yes\n\n[ok](#a-code-heading-yes) [bad](missing.md)\n"
        "[bad anchor](#nope) [web](https://example.com) `[not](a-link.md)`\n"
        "```\n[also not](fenced.md)\n```\n"
    )
    assert relative_links(page) == ["#a-code-heading-yes", "missing.md", "#nope"]
    assert anchors(page) == {"title", "a-code-heading-yes"}
