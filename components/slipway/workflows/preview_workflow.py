"""``.github/workflows/preview.yml``: the teardown layers of per-pull-request previews.

First slice (docs/previews.md): the workflow removes previews, it does not create them yet
(the create job needs the pull request's own pushed image, not built yet). Two jobs:

* ``teardown``, on ``pull_request: closed`` of a pull request from this repository: runs
  ``preview-teardown.sh``, then ``preview-removed.sh`` (the pull request's deployments
  inactive, its sticky comment updated). It holds the pull request's concurrency group with
  ``queue: max`` (up to 100 pending runs kept in order; GitHub's changelog 2026-05-07,
  "GitHub Actions concurrency groups now allow larger queues"), so a newer pending run of the
  same pull request never cancels a pending teardown, as GitHub's default of one pending run
  per group would ("Control the concurrency of workflows and jobs"). It depends on no other
  job: it runs whether or not any deploy succeeded.
* ``sweep``, on a schedule and by dispatch: lists the open pull requests and runs
  ``preview-sweep.sh`` (expired and closed previews, then the tag sweep).

Forks: the workflow is triggered by ``pull_request`` only, never ``pull_request_target``, and
``teardown`` runs only when the pull request's head repository is this repository, so no fork
event reaches a job with ``id-token: write``. Both jobs run in the ``preview`` GitHub
environment (``deployment: false``: they use its variables without creating a deployment),
whose ``AWS_DEPLOY_ROLE_ARN`` is the preview role.

The workflow is rendered by :func:`render_preview_files`, which
:func:`slipway.workflows.render_workflow_files` delivers with ``WorkflowSpec.previews``.
"""

from __future__ import annotations

from typing import Any

from slipway.contract import PreviewVariable
from slipway.workflows.common import RUNNER, aws_credentials, checkout, expr, permissions, run
from slipway.workflows.paths import PREVIEW_PATH
from slipway.workflows.preview import (
    PREVIEW_OPEN_PRS,
    PREVIEW_REMOVED,
    PREVIEW_STEPS,
    PREVIEW_SWEEP,
    PREVIEW_TEARDOWN,
)
from slipway.workflows.scripts import DELIVERED_DIR, delivered_files
from slipway.workflows.yamlio import dump_yaml

PREVIEW_WORKFLOW_PATH = PREVIEW_PATH
PREVIEW_ENVIRONMENT = "preview"
SWEEP_CRON = "23 * * * *"
"""Hourly: a preview outlives its expiry by at most an hour (and a failed teardown as long)."""
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
"""A pull request from a branch of this repository, not a fork."""

SETTINGS = tuple(
    str(v)
    for v in (
        PreviewVariable.PREVIEW_APP,
        PreviewVariable.PREVIEW_DOMAIN,
        PreviewVariable.PREVIEW_LISTENER_ARN,
        PreviewVariable.PREVIEW_CLUSTER,
    )
)
"""The ``preview`` environment's variables the teardown and the sweep read (the owner stack
writes them, :class:`slipway.contract.PreviewVariable`)."""


def _settings() -> dict[str, str]:
    return {name: expr(f"vars.{name}") for name in SETTINGS}


def _environment() -> dict[str, Any]:
    return {"name": PREVIEW_ENVIRONMENT, "deployment": False}


def preview_workflow() -> dict[str, Any]:
    """The preview workflow as data."""
    teardown: dict[str, Any] = {
        "name": "Remove the preview",
        "if": f"github.event_name == 'pull_request' && github.event.action == 'closed' && "
        f"{SAME_REPOSITORY}",
        "runs-on": RUNNER,
        "timeout-minutes": 15,
        "environment": _environment(),
        "concurrency": {
            "group": "preview-pr-" + expr("github.event.pull_request.number"),
            "cancel-in-progress": False,
            "queue": "max",
        },
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            ("deployments", "write"),
            ("pull-requests", "write"),
            reasons={
                "deployments": "mark the preview's deployments inactive",
                "pull-requests": "update the preview's comment",
            },
        ),
        "steps": [
            checkout(sparse=DELIVERED_DIR),
            aws_credentials("preview-teardown"),
            run(
                "Remove the preview's resources",
                PREVIEW_TEARDOWN.run,
                {**_settings(), "PREVIEW_PR": expr("github.event.pull_request.number")},
            ),
            run(
                "Tell the pull request",
                PREVIEW_REMOVED.run,
                {
                    "GH_TOKEN": expr("github.token"),
                    "PREVIEW_PR": expr("github.event.pull_request.number"),
                },
            ),
        ],
    }
    sweep: dict[str, Any] = {
        "name": "Sweep previews",
        "if": "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'",
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "environment": _environment(),
        "concurrency": {"group": "preview-sweep", "cancel-in-progress": False},
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            ("pull-requests", "read"),
            reasons={"pull-requests": "list the open pull requests"},
        ),
        "steps": [
            checkout(sparse=DELIVERED_DIR),
            run(
                "List the open pull requests",
                PREVIEW_OPEN_PRS.run,
                {"GH_TOKEN": expr("github.token")},
                id="open",
            ),
            aws_credentials("preview-sweep"),
            run(
                "Remove closed, expired and orphaned previews",
                PREVIEW_SWEEP.run,
                {**_settings(), "PREVIEW_OPEN_PRS": expr("steps.open.outputs.numbers")},
            ),
        ],
    }
    return {
        "name": "Preview",
        "on": {
            "pull_request": {"types": ["closed"]},
            "schedule": [{"cron": SWEEP_CRON}],
            "workflow_dispatch": {},
        },
        "permissions": {},
        "jobs": {"teardown": teardown, "sweep": sweep},
    }


def render_preview_files() -> dict[str, str]:
    """preview.yml and the scripts it runs, keyed by repository path."""
    document = preview_workflow()
    runs = [
        step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step
    ]
    return {PREVIEW_WORKFLOW_PATH: dump_yaml(document), **delivered_files(runs, PREVIEW_STEPS)}
