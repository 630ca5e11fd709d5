"""Generator of the application repository's GitHub Actions workflows and release files.

Build a :class:`WorkflowSpec` and call :func:`render_workflow_files`; it returns the content of
``release.yml``, ``docker.yml``, ``deploy.yml``, ``ghcr-retention.yml``, ``dependabot.yml``,
the ``Dockerfile`` template and ``.changeset/config.json`` keyed by repository path.
"""

from __future__ import annotations

from slipway.workflows.pins import ALL_PINS, ActionPin, changesets_action_for
from slipway.workflows.render import render_workflow_files, workflow_data
from slipway.workflows.spec import (
    GhcrRetention,
    NpmPublishMode,
    ReleaseTokenMode,
    WorkflowSpec,
)
from slipway.workflows.yamlio import GENERATOR, dump_yaml, load_yaml

__all__ = [
    "ALL_PINS",
    "GENERATOR",
    "ActionPin",
    "GhcrRetention",
    "NpmPublishMode",
    "ReleaseTokenMode",
    "WorkflowSpec",
    "changesets_action_for",
    "dump_yaml",
    "load_yaml",
    "render_workflow_files",
    "workflow_data",
]
