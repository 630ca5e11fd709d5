"""``.github/dependabot.yml``: keep actions, npm packages and base images current, with a cooldown.

A cooldown of at least seven days means a freshly published (possibly hijacked) release is
never proposed on its first days, when most malicious releases are found and pulled.

The files this generator renders (the workflows and the Dockerfile) are excluded
(``exclude-paths``, relative to the repository root: GitHub changelog 2025-08-26 "Dependabot can
now exclude automatic pull requests for manifests in selected subdirectories"): a bump there
would be reverted by the next render. Their pins are updated where they live, in the generator
(Slipway's own Dependabot watches ``components/slipway/workflows/pins/action.yml``), and reach the
application repository with the next rendered pull request.
"""

from __future__ import annotations

from typing import Any

from slipway.workflows.paths import DOCKERFILE_PATH, generated_workflows
from slipway.workflows.spec import WorkflowSpec

COOLDOWN_DAYS = 7
"""Days a new release must age before Dependabot proposes it."""


def update_entry(
    ecosystem: str, group: str, *, directory: str = "/", exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One ``updates`` entry: ``directory``, weekly, with the cooldown, every update of the
    ecosystem grouped into one pull request named ``group``, ``exclude`` left alone."""
    entry: dict[str, Any] = {
        "package-ecosystem": ecosystem,
        "directory": directory,
        "schedule": {"interval": "weekly"},
        "cooldown": {"default-days": COOLDOWN_DAYS},
        "open-pull-requests-limit": 10,
        "groups": {group: {"patterns": ["*"]}},
    }
    if exclude:
        entry["exclude-paths"] = list(exclude)
    return entry


def dependabot_config(spec: WorkflowSpec) -> dict[str, Any]:
    """The Dependabot configuration as data."""
    return {
        "version": 2,
        "updates": [
            update_entry(
                "github-actions", "actions", exclude=generated_workflows(previews=spec.previews)
            ),
            update_entry("npm", "npm"),
            update_entry("docker", "base-images", exclude=(DOCKERFILE_PATH,)),
        ],
    }
