"""``.github/workflows/deploy.yml``: deploy one image digest through the environments in order.

Started by ``release.yml`` after the image is published (``gh workflow run``: a run of its own,
so the release run never waits for an approval; :mod:`slipway.workflows.release`), or by hand
(``workflow_dispatch``) with any earlier digest to redeploy or roll back. One job per
environment, chained with ``needs`` in the spec's order; each runs in its GitHub environment
(whose protection rules gate it), assumes that environment's role through OIDC and reads that
stack's variables. The ``environment`` input (default ``all``) picks one environment alone, so an
operator can roll back prod without touching dev and staging; with ``all`` every job still
waits for the previous environment's success (see :func:`job_condition`). Each job first
checks out its step scripts (``.github/scripts/deploy``, delivered beside the workflow:
:class:`slipway.workflows.scripts.DeliveredStep`; ``contents: read``), then:

1. reads the environment's image channel (``IMAGE_CHANNEL_PARAMETER``): the version, revision
   and shape of its last healthy deploy;
2. verifies the digest's build-provenance attestation, signed by this repository's
   ``docker.yml`` on the default branch, a release line or a release tag, on a GitHub-hosted
   runner (``gh attestation verify oci://<ghcr image>@<digest> --bundle-from-oci --repo
   <owner/name> --cert-identity-regex <signer_identity_regex> --deny-self-hosted-runners``),
   unless ``WorkflowSpec.attestations`` is off. ``docker.yml`` pushes the attestation to GHCR
   next to the image (``push-to-registry``), so ``--bundle-from-oci`` reads it with the job's
   ``packages: read``; the GitHub API path would need ``attestations: read`` ("REST API
   endpoints for artifact attestations", https://docs.github.com/en/rest/users/attestations),
   which the deploy jobs do not hold. ``gh`` still
   wants a token to start (cli/cli#11803): the job's own;
3. takes the release version from the image's own ``org.opencontainers.image.version`` label
   (docker/metadata-action sets it; the free-text ``version`` input is only checked against it),
   and refuses a digest that is not a release, and a version lower than the environment runs
   (a downgrade) unless the ``allow-downgrade`` input is true. With ``hotfix`` (release.yml: a
   hotfix of an older line) an environment on that line or an older one takes it, a downgrade
   within the line included, and one on a later line keeps its version (``keep``: the later
   steps skip, the job succeeds). The last environment keeps its version for a pre-release
   unless it is picked alone (``PRERELEASE_ALLOWED``);
4. makes sure the digest is in the environment's own ECR repository under that version,
   idempotently (a re-run after a partial promotion skips what is done; a tag on another digest
   fails, ECR tags being immutable);
5. renders the latest revision of the task definition family (read with its tags) with only
   the application container's image changed to ``<repository-url>@sha256:…``, keeping the
   family's tags, the :data:`SHAPE_TAG` among them, so the stack's shape survives CI revisions,
   and chooses the rollback target (below);
6. registers it, updates the service and follows the ECS *service deployment* that update
   started, by ARN, whatever the service's strategy (rolling in dev, linear, canary or
   blue/green): ``ListServiceDeployments`` (``PENDING`` or ``IN_PROGRESS``) and
   ``DescribeServiceRevisions`` find the one whose target revision runs the new task definition;
   ``DescribeServiceDeployments`` follows it every :data:`STABILITY_POLL_SECONDS`. Each
   lifecycle stage (new tasks, test traffic, each production traffic shift with its weight,
   bake, clean-up) is reported as it comes: a notice in the log, an ``in_progress`` status of
   the job's GitHub deployment (its description; "REST API endpoints for deployment
   statuses", https://docs.github.com/en/rest/deployments/statuses, at most 140 characters,
   ``deployments: write``) and, for test traffic, shifting, baking and any rollback, a Slack
   message. The step succeeds on ``SUCCESSFUL`` and fails at the first poll that sees
   ``ROLLBACK_REQUESTED``, ``ROLLBACK_IN_PROGRESS``, ``ROLLBACK_SUCCESSFUL``,
   ``ROLLBACK_FAILED``, ``STOP_REQUESTED`` or ``STOPPED`` (an alarm, a failed lifecycle hook,
   the circuit breaker, an operator's stop, a newer deployment), reporting the reason, the
   alarms in ALARM and the failed hooks; so a failed rollout is caught within one poll. A failed
   ``DescribeServiceDeployments`` is retried :data:`DESCRIBE_ATTEMPTS` times in a row. Reporting
   never fails a deploy ("View service history using Amazon ECS service deployments",
   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html);
7. probes the environment URL until it answers 200 for this version (a JSON body's
   ``version``, as the smoke-test hook reports it, must be the deployed one; an answer without
   one passes with a warning); on success writes the image channel
   ``{"image", "taskDefinitionArn", "shape", "version"}`` (``slipway.image_channel`` reads
   the first three and ignores the rest), after checking that the service still runs that
   revision, so that ``pulumi up`` keeps it;
8. rolls back when the deploy, the health check or the channel write fails, and when the job is
   cancelled or times out (below), so the channel keeps its old value and the job fails;
9. says how it ended (``deployed``, ``kept``: a hotfix of an older line where the environment
   runs a later one, or a pre-release in the last environment, ``rolled-back``,
   ``rollback-failed``, ``refused``, ``cancelled``, ``failed``) in its ``outcome`` output and
   on Slack, in a final ``always()`` step.

Rollback. The rollback step first rolls the job's service deployment back when it has not
ended (``StopServiceDeployment`` with ``stopType: ROLLBACK``: a cancel, a timeout, mid-bake
included; "Stopping Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html) and
follows the rollback, its own or the one ECS started (alarm, hook, circuit breaker), to its end.
Then, unless the service runs the rollback target with no deployment under way (the usual case
after ECS's own rollback), it deploys the target again and follows that deployment: the case of
a deployment that ended ``SUCCESSFUL`` (after its bake) but whose health check or channel write
failed. A manual rollback is the same two paths: during a bake, cancel the run (the deploy
step's trap stops the deployment with a rollback at once) or stop the deployment in the console
or CLI (the job sees it at its next poll and follows it); after the deploy, dispatch deploy.yml
with the last known-good digest and ``allow-downgrade`` (``docs/runbooks/rollback.md``).

The target is the last known-good revision recorded in the image channel when that
revision is ACTIVE, belongs to the family and has the shape the stack registers now (the
revision ``pulumi up`` itself would keep, :func:`slipway.image_channel.service_task_definition`);
otherwise the revision the service ran before the deploy. A service left on a broken revision
by an earlier failed job is so not taken for "good". The rollback step runs on ``failure()``
*and* ``cancelled()``: a step with ``if: failure()`` does not run when the job is cancelled or
times out. On cancellation the runner sends SIGINT, then SIGTERM 7.5 s later, then kills the
step 2.5 s after that, and GitHub ends the whole job 5 minutes later ("Workflow cancellation
reference", https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-cancellation).
The deploy step therefore traps both signals and rolls back at once (``StopServiceDeployment``
with ``ROLLBACK``; before the deployment is known, by pointing the service back), so ECS rolls
back even when the rollback step is cut short; that step then follows the rollback. The step
``exec``s its script, so the script is the process the runner signals.

Time budget (:func:`deploy_budget`). ``timeout-minutes`` of a deploy job (``T``,
``WorkflowSpec.deploy_timeout_minutes``) must hold the slowest path that still ends well: a
promotion, a rollout that waits its full time and fails, and a full rollback::

    T = SETUP + PROMOTION + (R + 1) + HEALTH + RECORD + (R + 1)
    R = (T - SETUP - PROMOTION - HEALTH - RECORD - 2) // 2

with ``SETUP`` = :data:`SETUP_MINUTES` (OIDC, logins, channel read, attestation, label,
render), ``PROMOTION`` = :data:`PROMOTION_MINUTES` (the promotion step's own timeout), ``R`` the
minutes one rollout may take (the deploy wait and the rollback wait each; ``+ 1`` for their API
calls), ``HEALTH`` the health check's worst case, ``retries * timeout + (retries - 1) *
interval`` rounded up, and ``RECORD`` = :data:`RECORD_MINUTES` (channel write, notification).
The defaults give ``T`` = 30, ``HEALTH`` = 4, ``R`` = 7. Each of those steps carries its part as
its own ``timeout-minutes``, so their sum never exceeds ``T``. With a canary, linear or
blue/green strategy a rollout lasts until its bake ends: ``R`` must hold the environment's time
to full traffic plus its bake, so ``deploy_timeout_minutes`` is raised for it (one value for
every environment: the workflow is the same for every stack). A rollout that outlasts ``R``
is rolled back by the rollback step, never left half-shifted.

Concurrency. deploy.yml has no workflow-level ``concurrency``: a run-wide group would be held
by a run whose prod job waits for approval (a job waiting for its reviewers holds its group),
for days, and every later run, a manual rollback included, would queue behind it without even
creating jobs. Only each deploy job holds ``deploy-<environment>`` (one service per
environment; queued with ``queue: max``, never cancelled), so dev and staging deploy the next
release while prod waits, and only prod's own queue waits behind prod's approval: a reviewer
rejects the pending deployment to let a rollback through (``docs/runbooks/rollback.md``).

Notifications. Each deploy job ends with an ``always()`` step that posts its outcome to the
environment's Slack webhook. "Awaiting approval" comes from a small job (:func:`announce_job_id`)
before the last environment: the generator cannot see which environments have reviewers (each
stack sets its own; Slipway's profiles give them to prod, the last), and a job that names the
gated environment waits for its reviewers even with ``deployment: false``. The webhook is an
environment secret, which a job outside an environment cannot read, and a job output cannot
carry a secret; so the announcement runs in the *previous* environment with ``deployment:
false``, reading that environment's webhook without creating a deployment there, beside the gated
job (which does not wait for it). A repository with one environment gets no announcement.

``deployment: false`` ("Deploying with GitHub Actions", section "Using environments without
deployments",
https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/control-deployments#using-environments-without-deployments;
"Workflow syntax", ``jobs.<job_id>.environment``,
https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idenvironment):
the job still references the environment, with full access to its secrets and variables, and
its wait timer and required reviewers still apply; only the deployment object is not created
(custom protection-rule apps are incompatible and fail the job). The OpenID Connect reference
(https://docs.github.com/en/actions/reference/security/oidc): "The subject claim includes the
environment name when the job references an environment"; "Using environments without
deployments": "when a workflow job references an environment, GitHub creates a deployment
object … You can opt out of deployment creation by setting ``deployment`` to ``false``". The job
still references the environment, so its token keeps the claim (docs/security.md,
"``deployment: false`` and the OIDC ``environment`` claim", also on how the chain fails safe
if it did not). The
announcement job needs no token at all (``permissions: {}``), so nothing here depends on it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from slipway.contract import EnvironmentSecret, EnvironmentVariable
from slipway.errors import ConfigError, invalid
from slipway.patterns import ref_glob_regex, regex_literal
from slipway.workflows import pins, scripts
from slipway.workflows.common import (
    RUNNER,
    Job,
    Step,
    aws_credentials,
    checkout,
    expr,
    ghcr_login,
    permissions,
    run,
    secret,
    uses,
    var,
)
from slipway.workflows.paths import DOCKER_PATH
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, RELEASE_TAG_PATTERNS
from slipway.workflows.spec import WorkflowSpec

V = EnvironmentVariable

STABILITY_POLL_SECONDS = 5
"""Seconds between two ``DescribeServiceDeployments`` of a rollout: a rollback that ECS starts
(an alarm, a lifecycle hook, the circuit breaker) or someone asks for is seen within this many
seconds, and each stage is reported as soon. ECS's API rate limits are per second; one call
every 5 s is far below them."""

DESCRIBE_ATTEMPTS = 3
"""Failed ``DescribeServiceDeployments`` calls in a row after which a rollout wait gives up."""

SETUP_MINUTES = 3
"""Budget of a deploy job's short steps: OIDC, logins, channel read, attestation, label, render."""

PROMOTION_MINUTES = 5
"""``timeout-minutes`` of the step that copies the image from GHCR into the environment's ECR."""

RECORD_MINUTES = 1
"""Budget of the channel write and the notification."""

MIN_ROLLOUT_MINUTES = 2
"""The shortest rollout wait a deploy job may have; a smaller ``deploy_timeout_minutes`` is
refused."""

HEALTH_CHECK_TIMEOUT_SECONDS = 10
"""``curl --max-time`` of one health check attempt."""

VERSION_LABEL = "org.opencontainers.image.version"
"""OCI label holding the image's release version (docker/metadata-action sets it)."""

RELEASE_VERSION = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"
)
"""A release version (``X.Y.Z`` or ``X.Y.Z-pre``): what the version label of a deployable image
must be. Written so that Python and bash (``[[ =~ ]]``) read it alike."""

SIGNER_WORKFLOW = DOCKER_PATH
"""The workflow whose attestations the deploy accepts: ``docker.yml`` signs them."""


def signer_identity_regex(spec: WorkflowSpec) -> str:
    """``--cert-identity-regex`` of ``gh attestation verify``: the certificate's subject
    alternative name (the signing job's ``job_workflow_ref`` as a URL) must be this
    repository's ``docker.yml`` at the default branch, a release line or a release tag.

    ``--signer-workflow`` alone accepts any ref: cli/cli ``pkg/cmd/attestation/verify/policy.go``
    turns it into the unanchored ``^https://<host>/<owner>/<repo>/<path>`` regex, so an
    attestation made by ``docker.yml`` on a same-repository branch or pull request
    (``@refs/heads/x``, ``@refs/pull/1/merge``) would pass. sigstore-go matches the regex with
    Go's ``regexp.MatchString`` (unanchored), hence ``^…$``. Owner and name are
    case-insensitive on GitHub (``(?i:…)``); refs are not."""
    branches = [spec.default_branch, *RELEASE_BRANCH_PATTERNS]
    heads = "|".join(ref_glob_regex(b) for b in branches)
    tags = "|".join(ref_glob_regex(t) for t in RELEASE_TAG_PATTERNS)
    repository = regex_literal(spec.repository)
    workflow = regex_literal(SIGNER_WORKFLOW)
    return (
        f"^https://github\\.com/(?i:{repository})/{workflow}"
        f"@refs/(?:heads/(?:{heads})|tags/(?:{tags}))$"
    )


STEP_IDS = (
    "known-good",
    "attestation",
    "release",
    "image",
    "render",
    "deploy",
    "health",
    "channel",
    "rollback",
    "notice",
)
"""Ids of the steps whose scripts the tests run (``attestation`` only with attestations on)."""

REFUSING_STEPS = ("attestation", "release", "image")
"""Steps that refuse a digest before anything changes."""

SHAPE_TAG = "slipway:shape"
"""Tag the stack puts on its task definition revisions; its value names the shape (everything
but the image) and is carried into every revision CI registers and into the image channel."""

ALL_ENVIRONMENTS = "all"
"""Value of the ``environment`` input that deploys through every environment in order."""


DOWNGRADE_NOTE = " (allow-downgrade: may DOWNGRADE the environment)"
"""Said in the run's name and in the approval announcement when ``allow-downgrade`` is set."""
HOTFIX_NOTE = " (hotfix of an older line: a downgrade within its line only)"
"""Said in the run's name and in the approval announcement for a hotfix of an older line."""


def job_id(environment: str) -> str:
    """The deploy job id for one environment."""
    return f"deploy-{environment}"


def announce_job_id(environment: str) -> str:
    """The id of the job that announces ``environment`` is waiting for approval."""
    return f"announce-{environment}"


@dataclass(frozen=True)
class DeployBudget:
    """How one deploy job's ``timeout-minutes`` is spent (the arithmetic is in the module's
    docstring)."""

    job_minutes: int
    """``timeout-minutes`` of the job."""
    health_minutes: int
    """Worst case of the health check, rounded up."""
    rollout_minutes: int
    """How long one rollout may take: the deploy's wait, and again the rollback's."""

    @property
    def rollout_seconds(self) -> int:
        """``STABILITY_TIMEOUT_SECONDS`` of the deploy and rollback steps."""
        return self.rollout_minutes * 60

    @property
    def rollout_step_minutes(self) -> int:
        """``timeout-minutes`` of the deploy and rollback steps: the wait and its API calls."""
        return self.rollout_minutes + 1


def _health_and_fixed_minutes(retries: int, interval_seconds: int) -> tuple[int, int]:
    """The health check's worst case, and every part of the job but the two rollout waits."""
    health_seconds = retries * HEALTH_CHECK_TIMEOUT_SECONDS + (retries - 1) * interval_seconds
    health = math.ceil(health_seconds / 60)
    return health, SETUP_MINUTES + PROMOTION_MINUTES + health + RECORD_MINUTES + 2


def deploy_timeout_for(
    rollout_minutes: int,
    health_check_retries: int = 10,
    health_check_interval_seconds: int = 10,
) -> int:
    """The shortest ``deploy_timeout_minutes`` whose rollout wait (:func:`deploy_budget`) holds
    ``rollout_minutes``: a canary that completes after 25 minutes needs a job that can wait for
    it and then for a full rollback."""
    _, fixed = _health_and_fixed_minutes(health_check_retries, health_check_interval_seconds)
    return fixed + 2 * max(rollout_minutes, MIN_ROLLOUT_MINUTES)


def deploy_budget(spec: WorkflowSpec) -> DeployBudget:
    """Split ``spec.deploy_timeout_minutes`` so that a promotion, a failed rollout and a full
    rollback fit; raises :class:`ConfigError` when the rollout would get less than
    :data:`MIN_ROLLOUT_MINUTES`."""
    retries = spec.health_check_retries
    health, fixed = _health_and_fixed_minutes(retries, spec.health_check_interval_seconds)
    rollout = (spec.deploy_timeout_minutes - fixed) // 2
    if rollout < MIN_ROLLOUT_MINUTES:
        raise ConfigError(
            invalid(
                "WorkflowSpec.deploy_timeout_minutes",
                spec.deploy_timeout_minutes,
                f"at least {fixed + 2 * MIN_ROLLOUT_MINUTES} with health_check_retries={retries}"
                f" and health_check_interval_seconds={spec.health_check_interval_seconds}: the job"
                f" must hold setup ({SETUP_MINUTES}), a promotion ({PROMOTION_MINUTES}), the"
                f" health check ({health}), the record ({RECORD_MINUTES}) and a rollout and a"
                f" rollback of at least {MIN_ROLLOUT_MINUTES} minutes each (+1 each for their"
                " API calls)",
            )
        )
    return DeployBudget(spec.deploy_timeout_minutes, health, rollout)


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
            "description": (
                "Optional: the release version you expect. The deploy reads the version from the"
                f" image's {VERSION_LABEL} label and refuses the digest when they differ."
            ),
            "type": "string",
            "required": False,
            "default": "",
        },
        "environment": environment,
        "allow-downgrade": {
            "description": (
                "Deploy a version lower than the environment runs (a rollback on purpose)."
            ),
            "type": "boolean",
            "required": False,
            "default": False,
        },
        "hotfix": {
            "description": (
                "A hotfix of an older release line (release.yml sets it): an environment that"
                " runs that line or an older one takes it, a downgrade within the line"
                " included; one on a later line keeps its version (deploy it there with"
                " allow-downgrade)."
            ),
            "type": "boolean",
            "required": False,
            "default": False,
        },
    }


def _steps(spec: WorkflowSpec, environment: str) -> list[Step]:
    budget = deploy_budget(spec)
    ecs = {
        "ECS_CLUSTER": var(V.ECS_CLUSTER),
        "ECS_SERVICE": var(V.ECS_SERVICE),
    }
    rollout = {
        "STABILITY_POLL_SECONDS": str(STABILITY_POLL_SECONDS),
        "STABILITY_TIMEOUT_SECONDS": str(budget.rollout_seconds),
        "DESCRIBE_ATTEMPTS": str(DESCRIBE_ATTEMPTS),
        "ROLLBACK_TARGET": expr("steps.render.outputs.rollback-target"),
    }
    report = {
        "ENVIRONMENT_NAME": environment,
        "ENVIRONMENT_URL": var(V.ENVIRONMENT_URL),
        "GH_TOKEN": expr("github.token"),
        "SLACK_WEBHOOK_URL": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
    }
    digest = {"IMAGE_DIGEST": expr("inputs.image-digest"), "SOURCE_IMAGE": spec.ghcr_image_ref}
    image = expr("steps.image.outputs.image")
    version = expr("steps.release.outputs.version")
    # Anything that may have moved the service, unless the channel recorded it: roll back. On
    # cancellation (or a timeout) too: a step with `if: failure()` would not run then.
    rollback_if = (
        "(failure() || cancelled()) && steps.render.outputs.rollback-target != ''"
        " && steps.deploy.outcome != 'skipped' && steps.channel.outcome != 'success'"
    )
    # A hotfix of an older line leaves an environment on a later line as it is (image-release),
    # and the last environment takes a pre-release only when it is picked alone (a dispatch).
    taken = "!steps.release.outputs.keep"
    prerelease = (
        {"PRERELEASE_ALLOWED": expr(f"inputs.environment == '{environment}'")}
        if environment == spec.environments[-1]
        else {}
    )
    steps: list[Step] = [
        checkout(sparse=scripts.DELIVERED_DIR),
        aws_credentials(f"deploy-{environment}"),
        uses(pins.ECR_LOGIN, "Log in to Amazon ECR", id="ecr"),
        ghcr_login(),
        run(
            "Read the image channel",
            scripts.READ_IMAGE_CHANNEL.run,
            {"IMAGE_CHANNEL_PARAMETER": var(V.IMAGE_CHANNEL_PARAMETER)},
            id="known-good",
        ),
    ]
    if spec.attestations:
        steps.append(
            run(
                "Verify the build-provenance attestation",
                scripts.VERIFY_ATTESTATION.run,
                {
                    **digest,
                    "SIGNER_WORKFLOW": SIGNER_WORKFLOW,
                    "GH_TOKEN": expr("github.token"),
                },
                id="attestation",
            )
        )
    steps += [
        run(
            "Check the release version",
            scripts.IMAGE_RELEASE.run,
            {
                **digest,
                "VERSION_LABEL": VERSION_LABEL,
                "EXPECTED_VERSION": expr("inputs.version"),
                "CURRENT_VERSION": expr("steps.known-good.outputs.version"),
                "ALLOW_DOWNGRADE": expr("inputs.allow-downgrade"),
                "HOTFIX": expr("inputs.hotfix"),
                "ENVIRONMENT_NAME": environment,
                **prerelease,
            },
            id="release",
        ),
        run(
            "Make sure the image is in this environment's ECR",
            scripts.ENSURE_IMAGE.run,
            {
                **digest,
                "IMAGE_VERSION": version,
                "ECR_REPOSITORY_URL": var(V.ECR_REPOSITORY_URL),
            },
            id="image",
            if_=taken,
            **{"timeout-minutes": PROMOTION_MINUTES},
        ),
        run(
            "Render the task definition",
            scripts.RENDER_TASK_DEFINITION.run,
            {
                **ecs,
                "ECS_TASK_FAMILY": var(V.ECS_TASK_FAMILY),
                "ECS_CONTAINER_NAME": var(V.ECS_CONTAINER_NAME),
                "IMAGE": image,
                "SHAPE_TAG": SHAPE_TAG,
                "KNOWN_GOOD_TASK_DEFINITION": expr("steps.known-good.outputs.task-definition"),
                "KNOWN_GOOD_SHAPE": expr("steps.known-good.outputs.shape"),
            },
            id="render",
            if_=taken,
        ),
        run(
            "Deploy and follow the rollout",
            scripts.DEPLOY_SERVICE.run,
            {
                **ecs,
                **rollout,
                "TASK_DEFINITION_FILE": expr("steps.render.outputs.task-definition-file"),
                **report,
            },
            id="deploy",
            if_=taken,
            **{"timeout-minutes": budget.rollout_step_minutes},
        ),
        run(
            "Health check",
            scripts.HEALTH_CHECK.run,
            {
                "ENVIRONMENT_URL": var(V.ENVIRONMENT_URL),
                "HEALTH_CHECK_PATH": var(V.HEALTH_CHECK_PATH),
                "VERSION": version,
            },
            id="health",
            if_=taken,
            **{"timeout-minutes": budget.health_minutes},
        ),
        run(
            "Record the image in the image channel",
            scripts.WRITE_IMAGE_CHANNEL.run,
            {
                **ecs,
                "IMAGE_CHANNEL_PARAMETER": var(V.IMAGE_CHANNEL_PARAMETER),
                "IMAGE": image,
                "TASK_DEFINITION_ARN": expr("steps.deploy.outputs.task-definition"),
                "SHAPE": expr("steps.render.outputs.shape"),
                "VERSION": version,
            },
            id="channel",
            if_=taken,
        ),
        run(
            "Roll back to the last known-good revision",
            scripts.ROLLBACK.run,
            {
                **ecs,
                **rollout,
                "DEPLOYMENT_ARN": expr("steps.deploy.outputs.deployment"),
                **report,
            },
            id="rollback",
            if_=rollback_if,
            **{"timeout-minutes": budget.rollout_step_minutes},
        ),
        run(
            "Sum up the deploy",
            scripts.DEPLOY_NOTICE.run,
            {
                "ENVIRONMENT_NAME": environment,
                "VERSION": version,
                "IMAGE_DIGEST": expr("inputs.image-digest"),
                "CHANNEL_OUTCOME": expr("steps.channel.outcome"),
                "KEPT": expr("steps.release.outputs.keep"),
                "ROLLBACK_OUTCOME": expr("steps.rollback.outcome"),
                "ROLLBACK_RESULT": expr("steps.rollback.outputs.result"),
                "ROLLBACK_TARGET": expr("steps.render.outputs.rollback-target"),
                "ECS_STATUS": expr("steps.deploy.outputs.ecs-status"),
                "ECS_REASON": expr("steps.deploy.outputs.ecs-reason"),
                "REFUSAL_OUTCOMES": " ".join(
                    expr(f"steps.{step}.outcome")
                    for step in REFUSING_STEPS
                    if step != "attestation" or spec.attestations
                ),
                "JOB_STATUS": expr("job.status"),
                "SLACK_WEBHOOK_URL": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
            },
            id="notice",
            if_="always()",
        ),
        uses(
            pins.SLACK,
            "Notify Slack",
            {
                "webhook": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
                "webhook-type": "incoming-webhook",
                "payload": "text: " + expr("toJSON(steps.notice.outputs.text)") + "\n",
            },
            if_="always() && steps.notice.outputs.enabled == 'true'",
        ),
    ]
    return steps


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
            "timeout-minutes": deploy_budget(spec).job_minutes,
            "permissions": permissions(
                ("contents", "read"),
                ("id-token", "write"),
                ("packages", "read"),
                ("deployments", "write"),
                reasons={
                    "contents": f"check out the deploy scripts ({scripts.DELIVERED_DIR})",
                    "id-token": f"assume the {environment} environment's AWS role",
                    "packages": "read the image, its labels and its attestations in GHCR",
                    "deployments": "report each stage of the rollout as a deployment status",
                },
            ),
            "environment": {"name": environment, "url": var(V.ENVIRONMENT_URL)},
            # One deploy per environment at a time, whichever branch it comes from (they share
            # one service); pending deploys wait in order and are never cancelled by a newer one.
            # There is no workflow-level group (see the module docstring).
            "concurrency": {
                "group": f"deploy-{environment}",
                "cancel-in-progress": False,
                "queue": "max",
            },
            "outputs": {
                "version": expr("steps.release.outputs.version"),
                "outcome": expr("steps.notice.outputs.outcome"),
            },
            "steps": _steps(spec, environment),
        }
    )
    return job


def _announce_job(spec: WorkflowSpec) -> Job:
    """The job that says the last environment waits for approval (module docstring)."""
    gated = spec.environments[-1]
    previous = spec.environments[-2]
    text = (
        "format('{0} is ready for {1}{5}: approve the deployment (when {1} requires it) at"
        " {2}/{3}/actions/runs/{4}', "
        f"needs.{job_id(previous)}.outputs.version || inputs.image-digest, '{gated}',"
        " github.server_url, github.repository, github.run_id,"
        f" inputs.allow-downgrade && '{DOWNGRADE_NOTE}'"
        f" || (inputs.hotfix && '{HOTFIX_NOTE}' || ''))"
    )
    return {
        "name": f"Announce {gated} awaiting approval",
        "needs": job_id(previous),
        "if": job_condition(spec, len(spec.environments) - 1),
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "permissions": {},
        # Reads the previous environment's webhook without deploying there; a job naming the
        # gated environment would wait for its reviewers, even with deployment: false.
        "environment": {"name": previous, "deployment": False},
        # A few seconds long; announcements of several runs go out in order.
        "concurrency": {
            "group": announce_job_id(gated),
            "cancel-in-progress": False,
            "queue": "max",
        },
        "steps": [
            run(
                "Check for a Slack webhook",
                scripts.SLACK_ENABLED,
                {"SLACK_WEBHOOK_URL": secret(EnvironmentSecret.SLACK_WEBHOOK_URL)},
                id="slack",
            ),
            uses(
                pins.SLACK,
                "Notify Slack",
                {
                    "webhook": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
                    "webhook-type": "incoming-webhook",
                    "payload": "text: " + expr(f"toJSON({text})") + "\n",
                },
                if_="steps.slack.outputs.enabled == 'true'",
            ),
        ],
    }


def deploy_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The deploy workflow as data."""
    jobs: dict[str, Job] = {}
    for index, environment in enumerate(spec.environments):
        if index == len(spec.environments) - 1 and index > 0:
            jobs[announce_job_id(environment)] = _announce_job(spec)
        jobs[job_id(environment)] = _job(spec, index)
    return {
        "name": "Deploy",
        "run-name": "Deploy "
        + expr("inputs.version || inputs.image-digest")
        + " to "
        + expr("inputs.environment")
        + expr(f"inputs.allow-downgrade && '{DOWNGRADE_NOTE}' || ''")
        + expr(f"inputs.hotfix && '{HOTFIX_NOTE}' || ''"),
        "on": {
            "workflow_call": {"inputs": _inputs(spec, dispatch=False)},
            "workflow_dispatch": {"inputs": _inputs(spec, dispatch=True)},
        },
        "permissions": {},
        # Constants of the generator every deploy job reads, written once: deploy.yml grows
        # with each environment (GitHub refuses workflow files over 500 KB).
        "env": _workflow_env(spec),
        "jobs": jobs,
    }


def _workflow_env(spec: WorkflowSpec) -> dict[str, str]:
    env = {
        "SEMVER": RELEASE_VERSION.pattern,
        "HEALTH_CHECK_RETRIES": str(spec.health_check_retries),
        "HEALTH_CHECK_INTERVAL_SECONDS": str(spec.health_check_interval_seconds),
        "HEALTH_CHECK_TIMEOUT_SECONDS": str(HEALTH_CHECK_TIMEOUT_SECONDS),
    }
    if spec.attestations:
        env["SIGNER_IDENTITY_REGEX"] = signer_identity_regex(spec)
    return env
