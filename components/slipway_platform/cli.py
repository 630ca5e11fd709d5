"""The ``slipway-platform`` command: ``setup`` (:mod:`slipway.setup.cli`), ``--version``.

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
    commands = command.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "setup",
        help="from AWS credentials and a GitHub login to the first prod deploy "
        f"(`{COMMAND} setup --help`)",
        add_help=False,
    )
    return command


def main(argv: Sequence[str] | None = None) -> int:
    problems = collision_problems()
    if problems:
        for problem in problems:
            print(f"{COMMAND}: error: {problem}", file=sys.stderr)
        return EXIT_COLLISION
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["setup"]:
        # Only now, with no other distribution's `slipway` in the way, is `slipway` imported.
        from slipway.setup.cli import main as setup

        return setup(words[1:])
    command = parser()
    command.parse_args(words)
    command.print_help()
    return 0
