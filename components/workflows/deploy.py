"""``.github/workflows/deploy.yml``: deploy one image digest through the environments in order.

Called by ``release.yml`` after the image is published, or started by hand
(``workflow_dispatch``) with any earlier digest to redeploy or roll back. One job per
environment, chained with ``needs`` in the spec's order; each runs in its GitHub environment
(whose protection rules gate it), assumes that environment's role through OIDC and reads that
stack's variables. The ``environment`` input (default ``all``) picks one environment alone, so an
operator can roll back prod without touching dev and staging; with ``all`` every job still
waits for the previous environment's success (see :func:`job_condition`). Each job:

1. makes sure the digest is in the environment's own ECR repository, promoting it by digest
   from GHCR when it is missing (each stack owns its repository, often in another account);
2. renders the latest revision of the task definition family (read with its tags) with only
   the application container's image changed to ``<repository-url>@sha256:…``, keeping the
   family's tags, the :data:`SHAPE_TAG` among them, so the stack's shape survives CI revisions;
3. registers it, updates the service and waits for stability;
4. probes the environment URL; on success writes the image channel parameter
   (``IMAGE_CHANNEL_PARAMETER``, ``<prefix>/deployed``) with the JSON
   ``{"image": "<repository-url>@sha256:…", "taskDefinitionArn": "<revision the service now
   runs>", "shape": "<value of the slipway:shape tag>"}`` (built with ``jq``), after checking
   that the service still runs that revision, so that ``pulumi up`` keeps it. When the deploy,
   the health check or the channel write fails, the service goes back to the revision it ran
   before, the channel keeps its old value and the job fails;
5. notifies Slack, when the environment has a webhook.
"""

from __future__ import annotations

from typing import Any

from components.contract import EnvironmentSecret, EnvironmentVariable
from components.workflows import pins, scripts
from components.workflows.common import (
    RUNNER,
    Job,
    Step,
    aws_credentials,
    expr,
    ghcr_login,
    permissions,
    run,
    secret,
    uses,
    var,
)
from components.workflows.spec import WorkflowSpec

V = EnvironmentVariable

STABILITY_POLL_SECONDS = 15
"""Seconds between checks of the service's rollout (the AWS CLI waiter's own interval)."""

STEP_IDS = ("image", "render", "deploy", "health", "channel", "rollback")
"""Ids of the steps whose scripts the tests run."""

SHAPE_TAG = "slipway:shape"
"""Tag the stack puts on its task definition revisions; its value names the shape (everything
but the image) and is carried into every revision CI registers and into the image channel."""

ALL_ENVIRONMENTS = "all"
"""Value of the ``environment`` input that deploys through every environment in order."""


def job_id(environment: str) -> str:
    """The deploy job id for one environment."""
    return f"deploy-{environment}"


def _inputs(spec: WorkflowSpec, *, dispatch: bool) -> dict[str, Any]:
    choices = [ALL_ENVIRONMENTS, *spec.environments]
    environment: dict[str, Any] = {
        "description": (
            f"Deploy to this environment alone, or to {ALL_ENVIRONMENTS} of them in order ("
            + " → ".join(spec.environments)
            + ")."
        ),
        "type": "choice" if dispatch else "string",
        "required": False,
        "default": ALL_ENVIRONMENTS,
    }
    if dispatch:
        environment["options"] = choices
    else:
        environment["description"] += f" One of {', '.join(choices)}."
    return {
        "image-digest": {
            "description": "Image manifest digest to deploy (sha256:…).",
            "type": "string",
            "required": True,
        },
        "version": {
            "description": "Release version of the image, used as its ECR tag when promoted.",
            "type": "string",
            "required": False,
            "default": "",
        },
        "environment": environment,
    }


def _slack_payload(environment: str) -> str:
    run_url = (
        expr("github.server_url")
        + "/"
        + expr("github.repository")
        + "/actions/runs/"
        + expr("github.run_id")
    )
    text = (
        f"Deploy to {environment}: "
        + expr("job.status")
        + " (version "
        + expr("inputs.version")
        + ", "
        + expr("inputs.image-digest")
        + ") "
        + run_url
    )
    return f'text: "{text}"\n'


def _steps(spec: WorkflowSpec, environment: str) -> list[Step]:
    ecs = {
        "ECS_CLUSTER": var(V.ECS_CLUSTER),
        "ECS_SERVICE": var(V.ECS_SERVICE),
    }
    # Half the job's time for a rollout to settle, so a rollback still fits in the other half.
    stability = {
        "STABILITY_POLL_SECONDS": str(STABILITY_POLL_SECONDS),
        "STABILITY_TIMEOUT_SECONDS": str(spec.deploy_timeout_minutes * 60 // 2),
    }
    image = expr("steps.image.outputs.image")
    # A deploy the channel cannot record would be reverted by the next `pulumi up`: roll it back
    # now, so the service and the channel agree after every failed job.
    failed = (
        "steps.deploy.outcome == 'failure' || steps.health.outcome == 'failure'"
        " || steps.channel.outcome == 'failure'"
    )
    return [
        aws_credentials(f"deploy-{environment}"),
        uses(pins.ECR_LOGIN, "Log in to Amazon ECR", id="ecr"),
        ghcr_login(),
        run(
            "Make sure the image is in this environment's ECR",
            scripts.ENSURE_IMAGE,
            {
                "IMAGE_DIGEST": expr("inputs.image-digest"),
                "IMAGE_VERSION": expr("inputs.version"),
                "ECR_REPOSITORY_URL": var(V.ECR_REPOSITORY_URL),
                "SOURCE_IMAGE": spec.ghcr_image_ref,
            },
            id="image",
        ),
        run(
            "Render the task definition",
            scripts.RENDER_TASK_DEFINITION,
            {
                **ecs,
                "ECS_TASK_FAMILY": var(V.ECS_TASK_FAMILY),
                "ECS_CONTAINER_NAME": var(V.ECS_CONTAINER_NAME),
                "IMAGE": image,
                "SHAPE_TAG": SHAPE_TAG,
            },
            id="render",
        ),
        run(
            "Deploy and wait for a stable service",
            scripts.DEPLOY_SERVICE,
            {
                **ecs,
                **stability,
                "TASK_DEFINITION_FILE": expr("steps.render.outputs.task-definition-file"),
            },
            id="deploy",
        ),
        run(
            "Health check",
            scripts.HEALTH_CHECK,
            {
                "ENVIRONMENT_URL": var(V.ENVIRONMENT_URL),
                "HEALTH_CHECK_PATH": var(V.HEALTH_CHECK_PATH),
                "HEALTH_CHECK_RETRIES": str(spec.health_check_retries),
                "HEALTH_CHECK_INTERVAL_SECONDS": str(spec.health_check_interval_seconds),
            },
            id="health",
        ),
        run(
            "Record the image in the image channel",
            scripts.WRITE_IMAGE_CHANNEL,
            {
                **ecs,
                "IMAGE_CHANNEL_PARAMETER": var(V.IMAGE_CHANNEL_PARAMETER),
                "IMAGE": image,
                "TASK_DEFINITION_ARN": expr("steps.deploy.outputs.task-definition"),
                "SHAPE": expr("steps.render.outputs.shape"),
            },
            id="channel",
        ),
        run(
            "Roll back to the previous task definition",
            scripts.ROLLBACK,
            {
                **ecs,
                **stability,
                "PREVIOUS_TASK_DEFINITION": expr("steps.render.outputs.previous-task-definition"),
            },
            id="rollback",
            if_=f"failure() && steps.render.outputs.previous-task-definition != '' && ({failed})",
        ),
        run(
            "Check for a Slack webhook",
            scripts.SLACK_ENABLED,
            {"SLACK_WEBHOOK_URL": secret(EnvironmentSecret.SLACK_WEBHOOK_URL)},
            id="slack",
            if_="always()",
        ),
        uses(
            pins.SLACK,
            "Notify Slack",
            {
                "webhook": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
                "webhook-type": "incoming-webhook",
                "payload": _slack_payload(environment),
            },
            if_="always() && steps.slack.outputs.enabled == 'true'",
        ),
    ]


def job_condition(spec: WorkflowSpec, index: int) -> str:
    """The ``if:`` of one environment's deploy job.

    The job runs when the operator picked its environment alone, or picked
    :data:`ALL_ENVIRONMENTS` and the previous environment's job succeeded. ``needs`` keeps the
    order, but GitHub skips a job whose ``needs`` was skipped unless its ``if:`` holds a status
    function. ``!cancelled()`` is that function (written last, so the YAML needs no quotes);
    the explicit ``result == 'success'`` check then restores "only after a successful previous
    environment" in the chained case, and unlike ``always()`` a cancelled run stops here.
    """
    environment = spec.environments[index]
    alone = f"inputs.environment == '{environment}'"
    everything = f"inputs.environment == '{ALL_ENVIRONMENTS}'"
    if index == 0:
        return f"{everything} || {alone}"
    previous = job_id(spec.environments[index - 1])
    return f"({alone} || ({everything} && needs.{previous}.result == 'success')) && !cancelled()"


def _job(spec: WorkflowSpec, index: int) -> Job:
    environment = spec.environments[index]
    job: Job = {"name": f"Deploy to {environment}"}
    if index > 0:
        job["needs"] = job_id(spec.environments[index - 1])
    job["if"] = job_condition(spec, index)
    job.update(
        {
            "runs-on": RUNNER,
            "timeout-minutes": spec.deploy_timeout_minutes,
            "permissions": permissions(
                ("id-token", "write"),
                ("packages", "read"),
                reasons={
                    "id-token": f"assume the {environment} environment's AWS role",
                    "packages": "copy the image from GHCR when this ECR lacks it",
                },
            ),
            "environment": {"name": environment, "url": var(V.ENVIRONMENT_URL)},
            # One deploy per environment at a time, whichever branch it comes from (they share
            # one service); pending deploys wait in order and are never cancelled by a newer one.
            "concurrency": {
                "group": f"deploy-{environment}",
                "cancel-in-progress": False,
                "queue": "max",
            },
            "steps": _steps(spec, environment),
        }
    )
    return job


def deploy_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The deploy workflow as data."""
    return {
        "name": "Deploy",
        "run-name": "Deploy "
        + expr("inputs.version || inputs.image-digest")
        + " to "
        + expr("inputs.environment"),
        "on": {
            "workflow_call": {"inputs": _inputs(spec, dispatch=False)},
            "workflow_dispatch": {"inputs": _inputs(spec, dispatch=True)},
        },
        "permissions": {},
        "concurrency": {"group": "deploy-" + expr("github.ref"), "cancel-in-progress": False},
        "jobs": {job_id(env): _job(spec, i) for i, env in enumerate(spec.environments)},
    }
