"""``.github/dependabot.yml``: keep actions, npm packages and base images current, with a cooldown.

A cooldown of at least seven days means a freshly published (possibly hijacked) release is
never proposed on its first days, when most malicious releases are found and pulled.
"""

from __future__ import annotations

from typing import Any

from components.workflows.spec import WorkflowSpec

COOLDOWN_DAYS = 7
"""Days a new release must age before Dependabot proposes it."""


def update_entry(ecosystem: str, group: str) -> dict[str, Any]:
    """One ``updates`` entry: the repository root, weekly, with the cooldown, every update of
    the ecosystem grouped into one pull request named ``group``."""
    return {
        "package-ecosystem": ecosystem,
        "directory": "/",
        "schedule": {"interval": "weekly"},
        "cooldown": {"default-days": COOLDOWN_DAYS},
        "open-pull-requests-limit": 10,
        "groups": {group: {"patterns": ["*"]}},
    }


def dependabot_config(spec: WorkflowSpec) -> dict[str, Any]:
    """The Dependabot configuration as data."""
    del spec  # the same for every repository; kept for a uniform renderer signature
    return {
        "version": 2,
        "updates": [
            update_entry("github-actions", "actions"),
            update_entry("npm", "npm"),
            update_entry("docker", "base-images"),
        ],
    }
