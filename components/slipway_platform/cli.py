"""The ``slipway-platform`` command: ``--version`` and ``--help`` for now.

It checks the environment first (:func:`slipway_platform.collision_problems`) and refuses to run
beside another distribution that ships the package ``slipway``, naming it. It never imports
``slipway``: the version comes from the installed distribution's metadata, which the build took
from ``slipway.__version__`` (the version's one home).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata

from slipway_platform import COMMAND, DISTRIBUTION, collision_problems

EXIT_COLLISION = 3
"""The exit status when another distribution ships ``slipway`` (argparse uses 2 for usage)."""


def installed_version() -> str:
    """The installed distribution's version, or a sentence saying it is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return (
            f"(not installed: run `pip install .` or `make .venv/.dev` to install {DISTRIBUTION})"
        )


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog=COMMAND,
        description=(
            "Slipway: the delivery platform of an application on AWS and GitHub, as Pulumi "
            "components (imported as `slipway`)."
        ),
        epilog="Documentation: docs/components.md in Slipway's repository.",
    )
    command.add_argument("--version", action="version", version=f"{COMMAND} {installed_version()}")
    return command


def main(argv: Sequence[str] | None = None) -> int:
    problems = collision_problems()
    if problems:
        for problem in problems:
            print(f"{COMMAND}: error: {problem}", file=sys.stderr)
        return EXIT_COLLISION
    command = parser()
    command.parse_args(argv)
    command.print_help()
    return 0
