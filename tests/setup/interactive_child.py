"""``python -m tests.setup.interactive_child DIR``: the set-up command on a real terminal (the
pseudo-terminal of test_interactive.py), against the same moto account and stand-ins as
test_setup.py. Standard input is the terminal, so the command asks its four questions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from moto import mock_aws

from slipway.setup.cli import main
from tests.setup.world import REGION, checkout, make_world


def child(directory: str) -> int:
    os.environ |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    checkout(Path(directory))
    with mock_aws():
        world = make_world()
        deps = world.dependencies(stdin=sys.stdin, interactive=sys.stdin.isatty(), out=sys.stdout)
        return main(
            ["--project-dir", directory, "--bootstrap-state", f"file://{directory}/bootstrap"],
            deps,
        )


if __name__ == "__main__":
    sys.exit(child(sys.argv[1]))
