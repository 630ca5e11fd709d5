"""``.changeset/config.json``: the Changesets configuration.

JSON has no comments, so this is the one rendered file without the generated-file header;
the snapshot test still pins it.
"""

from __future__ import annotations

import json
from typing import Any

from slipway.workflows.spec import WorkflowSpec


def changeset_config(spec: WorkflowSpec) -> dict[str, Any]:
    """The Changesets configuration as data."""
    return {
        "changelog": "@changesets/cli/changelog",
        "commit": False,
        "fixed": [],
        "linked": [],
        "access": spec.npm_access,
        "baseBranch": spec.default_branch,
        "updateInternalDependencies": "patch",
        "ignore": [],
        # Private packages are versioned and tagged, so releases (and images) work without npm.
        "privatePackages": {"version": True, "tag": True},
    }


def render_changeset_config(spec: WorkflowSpec) -> str:
    """The Changesets configuration as JSON text."""
    return json.dumps(changeset_config(spec), indent=2) + "\n"
