"""This repository's own pipeline (``.github/workflows/infra.yml`` and ``.github/dependabot.yml``):
rendered by :mod:`slipway.workflows.infra_pipeline` for the stacks this project has.

The stacks are the stack files (:func:`tooling.offline.discover_stacks`), in promotion order, so
adding ``Pulumi.qa.yaml`` adds a preview, an ``up`` job (environment ``infra-qa``) and a drift
check for it at the next render. A test fails while the committed files differ from the
rendering: ``python -m tooling.pipeline --write`` renders them again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slipway.workflows.infra_pipeline import InfraPipelineSpec, render_infra_files
from tooling.offline import ROOT, discover_stacks


def slipway_pipeline(root: Path = ROOT) -> InfraPipelineSpec:
    """The pipeline spec of the project in ``root``: one stage per stack file."""
    return InfraPipelineSpec(stacks=discover_stacks(root))


def stale_files(root: Path = ROOT) -> list[str]:
    """Paths under ``root`` whose content differs from the rendering (missing ones included)."""
    stale = []
    for relative, content in render_infra_files(slipway_pipeline(root)).items():
        target = root / relative
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            stale.append(relative)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command line: check (default) or ``--write`` this repository's rendered files."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.pipeline",
        description="Render .github/workflows/infra.yml and .github/dependabot.yml.",
    )
    parser.add_argument("--write", action="store_true", help="write the files (default: check)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root")
    args = parser.parse_args(argv)
    root: Path = args.root
    stale = stale_files(root)
    if not args.write:
        for relative in stale:
            print(f"{relative} differs from the rendering; run with --write", file=sys.stderr)
        return 1 if stale else 0
    for relative, content in render_infra_files(slipway_pipeline(root)).items():
        if relative in stale:
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            print(f"wrote {relative}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
