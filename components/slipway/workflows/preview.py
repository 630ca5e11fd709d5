"""The per-pull-request preview steps (docs/previews.md), delivered as files like the deploy
job's (:class:`~slipway.workflows.scripts.DeliveredStep`): each reads its settings from the
step's ``env:`` only.

The workflow that runs them is :mod:`slipway.workflows.preview_workflow` (``preview.yml``); the
scripts are proven against a moto server in ``tests/workflows/test_preview_scripts.py``.
"""

from __future__ import annotations

from slipway.workflows.scripts import delivered_step

PREVIEW_DEPLOY = delivered_step("preview-deploy")
"""Create or update pull request ``PREVIEW_PR``'s preview and renew its expiry: its record
(the listener rule for ``pr-<n>.pr.<domain>``, at the first free priority, refused beyond the
cap), target group, log group, task definition and one-task service on Fargate Spot; outputs
``url``, ``expires``, ``priority``, ``task-definition``."""

PREVIEW_WAIT = delivered_step("preview-wait")
"""Wait until a task of the revision ``PREVIEW_TASK_DEFINITION`` is ``healthy`` in pull request
``PREVIEW_PR``'s target group; fail at once when such a task stops, or at
``PREVIEW_WAIT_SECONDS`` (300), with output ``reason``."""

PREVIEW_TEARDOWN = delivered_step("preview-teardown")
"""Remove pull request ``PREVIEW_PR``'s preview, the record last; idempotent."""

PREVIEW_SWEEP = delivered_step("preview-sweep")
"""Tear down every preview whose pull request is not in ``PREVIEW_OPEN_PRS`` or whose expiry
passed, then every preview-tagged resource left without a record (the tag sweep)."""

PREVIEW_OPEN_PRS = delivered_step("preview-open-prs")
"""List the repository's open pull requests (env: GH_TOKEN); output ``numbers``."""

PREVIEW_REMOVED = delivered_step("preview-removed")
"""Mark pull request ``PREVIEW_PR``'s GitHub deployments inactive and update its sticky comment
(env: GH_TOKEN, PREVIEW_PR)."""

PREVIEW_STATUS = delivered_step("preview-status")
"""Report pull request ``PREVIEW_PR``'s preview (``PREVIEW_STATE`` in_progress, success or
failure): a transient GitHub deployment and its status, and the sticky comment, found by its
marker and updated, else created (env: GH_TOKEN, PREVIEW_PR, PREVIEW_SHA, PREVIEW_LOGS_URL,
PREVIEW_URL, PREVIEW_EXPIRES, PREVIEW_DEPLOYMENT_ID, PREVIEW_REASON); output ``deployment-id``."""

PREVIEW_STEPS = (
    PREVIEW_DEPLOY,
    PREVIEW_WAIT,
    PREVIEW_TEARDOWN,
    PREVIEW_SWEEP,
    PREVIEW_OPEN_PRS,
    PREVIEW_REMOVED,
    PREVIEW_STATUS,
)
"""Every preview step."""
