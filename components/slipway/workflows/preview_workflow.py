"""``.github/workflows/preview.yml``: per-pull-request previews (docs/previews.md). Four jobs:

* ``image``, on ``pull_request`` opened/synchronize/reopened (and ``labeled`` with the label
  gate) of a pull request from this repository: calls ``docker.yml`` with ``stage: preview``,
  whose ``preview`` job builds, tests, smoke-tests and scans the image and only then pushes it
  as ``pr-<n>-<sha>``; output ``preview-image``, by digest.
* ``deploy``, after ``image``, in the pull request's ``queue: max`` group (the teardown's):
  ``preview-status.sh`` (a transient GitHub deployment and the sticky comment), then
  ``preview-deploy.sh`` with the image by digest, then ``preview-wait.sh`` (until a task of the
  new revision is healthy in the preview's target group: it answers), then
  ``preview-status.sh`` again (success with the URL and expiry, or failure with the reason).

* ``teardown``, on ``pull_request: closed`` of a pull request from this repository: runs
  ``preview-teardown.sh``, then ``preview-removed.sh`` (the pull request's deployments
  inactive, its sticky comment updated). It holds the pull request's concurrency group with
  ``queue: max`` (up to 100 pending runs kept in order; GitHub's changelog 2026-05-07,
  "GitHub Actions concurrency groups now allow larger queues"), so a newer pending run of the
  same pull request never cancels a pending teardown, as GitHub's default of one pending run
  per group would ("Control the concurrency of workflows and jobs"). It depends on no other
  job: it runs whether or not any deploy succeeded.
* ``sweep``, on a schedule and by dispatch: lists the open pull requests and runs
  ``preview-sweep.sh`` (expired and closed previews, then the tag sweep), then
  ``preview-removed.sh`` for the pull requests whose preview it removed, so a teardown the
  sweep finished leaves no active deployment or "ready" comment behind.

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
from slipway.workflows.docker import PREVIEW_STAGE
from slipway.workflows.paths import PREVIEW_PATH
from slipway.workflows.preview import (
    PREVIEW_DEPLOY,
    PREVIEW_OPEN_PRS,
    PREVIEW_REMOVED,
    PREVIEW_STATUS,
    PREVIEW_STEPS,
    PREVIEW_SWEEP,
    PREVIEW_TEARDOWN,
    PREVIEW_WAIT,
)
from slipway.workflows.scripts import DELIVERED_DIR, delivered_files
from slipway.workflows.spec import WorkflowSpec, docker_caller_grants
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


DEPLOY_SETTINGS = tuple(
    str(v)
    for v in (
        PreviewVariable.PREVIEW_VPC_ID,
        PreviewVariable.PREVIEW_SUBNETS,
        PreviewVariable.PREVIEW_SECURITY_GROUPS,
        PreviewVariable.PREVIEW_EXECUTION_ROLE_ARN,
        PreviewVariable.PREVIEW_TTL_HOURS,
    )
)
"""The further variables the deploy reads."""
DEPLOY_ACTIONS = ("opened", "synchronize", "reopened")
"""``pull_request`` activity types that create or update a preview."""
NUMBER = expr("github.event.pull_request.number")
HEAD_SHA = expr("github.event.pull_request.head.sha")
RUN_URL = (
    expr("github.server_url")
    + "/"
    + expr("github.repository")
    + "/actions/runs/"
    + expr("github.run_id")
)
"""The run's page: the sticky comment's and the deployment's logs link."""


SWEPT = "steps.sweep.outputs.removed"
"""The pull requests whose preview the sweep removed (space-separated)."""

STILL_OPEN = "steps.start.outputs.open == 'true'"
"""The pull request was still open when the deploy took its concurrency group."""


def _environment() -> dict[str, Any]:
    return {"name": PREVIEW_ENVIRONMENT, "deployment": False}


def _concurrency() -> dict[str, Any]:
    """The pull request's group, shared by its deploys and its teardown, ``queue: max``."""
    return {"group": "preview-pr-" + NUMBER, "cancel-in-progress": False, "queue": "max"}


def deploy_condition(spec: WorkflowSpec) -> str:
    """When a ``pull_request`` run creates or updates the preview: one of
    :data:`DEPLOY_ACTIONS` (or ``labeled``, with the label gate), a pull request from this
    repository, and with ``WorkflowSpec.preview_label`` that label on the pull request."""
    actions = [*DEPLOY_ACTIONS, *(["labeled"] if spec.preview_label else [])]
    action = " || ".join(f"github.event.action == '{a}'" for a in actions)
    terms = ["github.event_name == 'pull_request'", SAME_REPOSITORY, f"({action})"]
    if spec.preview_label:
        terms.append(f"contains(github.event.pull_request.labels.*.name, '{spec.preview_label}')")
    return " && ".join(terms)


def _image_job(spec: WorkflowSpec) -> dict[str, Any]:
    """docker.yml, ``stage: preview``: built, tested, smoke-tested and scanned, then pushed."""
    return {
        "name": "Verify and push the preview image",
        "if": deploy_condition(spec),
        # What any job of docker.yml may need (the other stages' jobs do not run here).
        "permissions": permissions(
            *docker_caller_grants(spec),
            reasons={
                "contents": "docker.yml: check out the sources to build",
                "packages": "docker.yml: its release stages push to GHCR (not run here)",
                "id-token": "docker.yml: the preview role, to push the preview image to ECR",
            },
        ),
        "uses": "$/.github/workflows/docker.yml",  # GitHub's self-repository syntax, as release.yml
        "with": {"stage": PREVIEW_STAGE, "version": "pr-" + NUMBER},
    }


def _status(state: str, **env: str) -> dict[str, str]:
    return {
        "GH_TOKEN": expr("github.token"),
        "PREVIEW_PR": NUMBER,
        "PREVIEW_SHA": HEAD_SHA,
        "PREVIEW_STATE": state,
        "PREVIEW_LOGS_URL": RUN_URL,
        **env,
    }


def _aws_job(
    name: str,
    condition: str,
    timeout_minutes: int,
    concurrency: dict[str, Any],
    *,
    deployments: str,
    pull_requests: str,
    steps: list[dict[str, Any]],
    needs: str | None = None,
) -> dict[str, Any]:
    """A job of the ``preview`` environment that reaches AWS (its OIDC token) and tells GitHub
    (the previews' deployments and sticky comments): deploy, teardown and sweep hold the same
    token, each saying why it writes deployments and pull requests."""
    return {
        "name": name,
        **({"needs": needs} if needs else {}),
        "if": condition,
        "runs-on": RUNNER,
        "timeout-minutes": timeout_minutes,
        "environment": _environment(),
        "concurrency": concurrency,
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            ("deployments", "write"),
            ("pull-requests", "write"),
            reasons={"deployments": deployments, "pull-requests": pull_requests},
        ),
        "steps": steps,
    }


def _deploy_job(spec: WorkflowSpec) -> dict[str, Any]:
    started = expr("steps.start.outputs.deployment-id")
    return _aws_job(
        "Deploy the preview",
        deploy_condition(spec),
        20,
        _concurrency(),
        deployments="the preview's transient GitHub deployment",
        pull_requests="the preview's sticky comment",
        needs="image",
        steps=[
            checkout(sparse=DELIVERED_DIR),
            run(
                "Report the preview deploying",
                PREVIEW_STATUS.run,
                _status("in_progress"),
                id="start",
            ),
            {**aws_credentials("preview-deploy"), "if": STILL_OPEN},
            run(
                "Create or update the preview",
                PREVIEW_DEPLOY.run,
                {
                    **_settings(),
                    **{name: expr(f"vars.{name}") for name in DEPLOY_SETTINGS},
                    "PREVIEW_PR": NUMBER,
                    "PREVIEW_IMAGE": expr("needs.image.outputs.preview-image"),
                    "PREVIEW_CONTAINER_PORT": str(spec.container_port),
                    "PREVIEW_HEALTH_CHECK_PATH": spec.health_check_path,
                },
                id="deploy",
                if_=STILL_OPEN,
            ),
            # "Ready" only once it answers: a task of the new revision healthy in the target
            # group; a stopped task fails at once, with its reason (docs/previews.md).
            run(
                "Wait for the preview to answer",
                PREVIEW_WAIT.run,
                {
                    **_settings(),
                    "PREVIEW_PR": NUMBER,
                    "PREVIEW_TASK_DEFINITION": expr("steps.deploy.outputs.task-definition"),
                },
                id="wait",
                if_=STILL_OPEN,
            ),
            run(
                "Report the preview ready",
                PREVIEW_STATUS.run,
                _status(
                    "success",
                    PREVIEW_DEPLOYMENT_ID=started,
                    PREVIEW_URL=expr("steps.deploy.outputs.url"),
                    PREVIEW_EXPIRES=expr("steps.deploy.outputs.expires"),
                ),
                if_=STILL_OPEN,
            ),
            run(
                "Report the preview failed",
                PREVIEW_STATUS.run,
                _status(
                    "failure",
                    PREVIEW_DEPLOYMENT_ID=started,
                    PREVIEW_REASON=expr("steps.wait.outputs.reason"),
                ),
                if_=f"failure() && {STILL_OPEN}",
            ),
        ],
    )


def preview_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The preview workflow as data."""
    teardown = _aws_job(
        "Remove the preview",
        f"github.event_name == 'pull_request' && github.event.action == 'closed' && "
        f"{SAME_REPOSITORY}",
        15,
        _concurrency(),
        deployments="mark the preview's deployments inactive",
        pull_requests="update the preview's comment",
        steps=[
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
    )
    sweep = _aws_job(
        "Sweep previews",
        "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'",
        30,
        {"group": "preview-sweep", "cancel-in-progress": False},
        deployments="mark the swept previews' deployments inactive",
        pull_requests="list the open pull requests; update the swept ones' comments",
        steps=[
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
                id="sweep",
            ),
            # The previews the sweep removed, also when it failed on another: a teardown that
            # failed half-way (or never ran) is finished here, and GitHub must not go on
            # showing its deployment active and its comment ready.
            run(
                "Tell the swept pull requests",
                PREVIEW_REMOVED.run,
                {"GH_TOKEN": expr("github.token"), "PREVIEW_PR": expr(SWEPT)},
                if_=f"!cancelled() && {SWEPT} != ''",
            ),
        ],
    )
    return {
        "name": "Preview",
        "on": {
            "pull_request": {
                "types": [
                    *DEPLOY_ACTIONS,
                    *(["labeled"] if spec.preview_label else []),
                    "closed",
                ]
            },
            "schedule": [{"cron": SWEEP_CRON}],
            "workflow_dispatch": {},
        },
        "permissions": {},
        "jobs": {
            "image": _image_job(spec),
            "deploy": _deploy_job(spec),
            "teardown": teardown,
            "sweep": sweep,
        },
    }


def render_preview_files(spec: WorkflowSpec) -> dict[str, str]:
    """preview.yml and the scripts it runs, keyed by repository path (it calls docker.yml,
    rendered with the same spec by :func:`slipway.workflows.render_workflow_files`)."""
    document = preview_workflow(spec)
    runs = [
        step["run"]
        for job in document["jobs"].values()
        for step in job.get("steps", ())
        if "run" in step
    ]
    return {PREVIEW_WORKFLOW_PATH: dump_yaml(document), **delivered_files(runs, PREVIEW_STEPS)}
