"""``.github/workflows/infra.yml``: the pipeline of Slipway's own repository (the Pulumi program).

Rendered by the same generator as the application's workflows, from an
:class:`InfraPipelineSpec`, and committed; a test fails when the committed file differs from the
rendering. Regenerate with ``python -m tooling.pipeline --write``.

* ``pull_request``: the ``checks`` job runs the offline plan (``make plan``, uploaded as an
  artifact and written to the job summary) and ``make test``, with no credentials at all, so
  pull requests from forks get the same checks. The ``preview`` job runs ``pulumi preview``
  per stack, each in that stack's ``infra-preview-<stack>`` environment with that stack's own
  read-only preview role, and comments on the pull request; it runs only for branches of this
  repository (GitHub gives a fork's pull request no OIDC token). Prod's preview environment
  has required reviewers: a preview runs the pull request's code with prod's config secrets,
  so it starts only once a reviewer has read the change and approved.
* ``push`` to the default branch: ``checks``, then ``pulumi up`` stack by stack in order, each
  job in its ``infra-<stack>`` environment (whose protection rules gate it) with the apply role
  from that environment's variables, and one concurrency group per stack.
* ``schedule`` and ``workflow_dispatch``: ``pulumi preview --expect-no-changes --refresh`` per
  stack, in its ``infra-drift-<stack>`` environment (default branch only) with its own
  read-only role. Drift fails the job, and the ``drift-issue`` job opens (or
  comments on) one issue, so drift is visible beyond the failed run's e-mail.

The stacks use the ``awskms`` secrets provider recorded in each ``Pulumi.<stack>.yaml``, so
decrypting needs only the role. The GitHub provider's credential is no stack secret: each preview,
drift and ``up`` job mints a GitHub App installation token (``actions/create-github-app-token``)
from the two secrets of its environment (:class:`slipway.contract.InfraSecret`, written by
``slipway-platform setup``) and passes it to ``pulumi`` as ``GITHUB_TOKEN``, which the
pulumi-github provider reads when ``github:token`` is not set (pulumi-github
``provider/resources.go``: ``token`` defaults from the ``GITHUB_TOKEN`` variable). The token lives
one hour at most and is revoked when the job ends (the action's ``post`` step). ``up`` jobs run
in ``infra-<stack>`` (default branch only), whose secrets are the infra app's, and ask for
:data:`~slipway.contract.INFRA_APP_PERMISSIONS`; preview and drift jobs, whose environments hold
the read-only infra app's secrets, ask for :data:`~slipway.contract.INFRA_READ_APP_PERMISSIONS`:
a pull request's code can change what its job asks for, never what the app may do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slipway.contract import (
    INFRA_APP_PERMISSIONS,
    INFRA_READ_APP_PERMISSIONS,
    InfraSecret,
    InfraVariable,
)
from slipway.errors import ConfigError, Problems
from slipway.patterns import BRANCH_NAME, CRON, SEMVER, WORKFLOW_NAME, is_region
from slipway.workflows import pins
from slipway.workflows.common import (
    RUNNER,
    Job,
    Step,
    checkout,
    expr,
    permissions,
    run,
    secret,
    uses,
)
from slipway.workflows.dependabot import update_entry
from slipway.workflows.scripts import step_script
from slipway.workflows.spec import job_timeout_problems
from slipway.workflows.yamlio import dump_yaml

INFRA_WORKFLOW_PATH = ".github/workflows/infra.yml"
DEPENDABOT_PATH = ".github/dependabot.yml"

INFRA_ENVIRONMENT_PREFIX = "infra-"
"""GithubOidc trusts its apply role for ``environment:infra-<env>`` (infra/stack.py)."""

PLAN_DIR = "plan-out"
"""Where ``make plan`` writes each stack's plan and generated files; uploaded as an artifact."""

DRIFT_ISSUE_TITLE = "Infrastructure drift detected"
"""Title of the one issue the drift check opens, then comments on while it stays open."""

_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")


@dataclass(frozen=True)
class InfraPipelineSpec:
    """Everything ``infra.yml`` depends on. Account-specific values (role ARNs, account id,
    backend URL) stay in GitHub variables, named here, so the file holds no identifier."""

    stacks: tuple[str, ...] = ("dev", "staging", "prod")
    """Pulumi stacks, in ``up`` order; each applies in the environment ``infra-<stack>``."""
    pulumi_version: str = "3.272.0"
    """Exact Pulumi CLI version; keep it equal to the ``pulumi`` SDK pin in requirements.txt."""
    aws_region: str = "eu-west-1"
    """Region configure-aws-credentials uses for STS (each stack's resources follow
    ``aws:region`` in its stack file)."""
    default_branch: str = "main"
    """Branch whose pushes run ``pulumi up``; pull requests against it run previews."""
    preview_environment_prefix: str = "infra-preview-"
    """Each stack's pull request preview runs in the environment ``<prefix><stack>``, which
    its stack creates with its own preview role's ARN (``preview_role_variable``); the
    preview role trusts that environment's subject, never ``pull_request``. In prod the
    environment has required reviewers, so prod's preview, which runs the pull request's
    code with prod's config secrets, starts only after a reviewer approves."""
    drift_environment_prefix: str = "infra-drift-"
    """Each stack's drift check runs in ``<prefix><stack>``, limited to the default branch and
    holding the same preview role's ARN; its preview role trusts it too."""
    drift_schedule_cron: str = "23 5 * * 1-5"
    """When the drift check runs (UTC cron); weekday mornings by default."""
    preview_role_variable: str = InfraVariable.AWS_PREVIEW_ROLE_ARN.value
    """Variable of each stack's preview and drift environments: ARN of that stack's read-only
    preview role (``infraPreviewRoleArn``)."""
    apply_role_variable: str = InfraVariable.AWS_INFRA_ROLE_ARN.value
    """Variable of each ``infra-<stack>`` environment: ARN of that stack's apply role
    (``infraApplyRoleArn``)."""
    account_id_variable: str = "AWS_ACCOUNT_ID"
    """Variable passed to ``allowed-account-ids``: repository-level for previews; an
    environment-level value of the same name overrides it in the ``up`` jobs."""
    backend_url_variable: str = "PULUMI_BACKEND_URL"
    """Repository variable: the ``pulumi login`` URL (``s3://…`` from bootstrap's ``loginUrl``)."""
    checks_timeout_minutes: int = 30
    """``timeout-minutes`` of the checks job (``make test`` and ``make plan``)."""
    preview_timeout_minutes: int = 30
    """``timeout-minutes`` of each preview and drift job."""
    up_timeout_minutes: int = 60
    """``timeout-minutes`` of each ``pulumi up`` job."""

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ConfigError(problems)

    def _problems(self) -> list[str]:
        problems = Problems("InfraPipelineSpec")
        check, p = problems.check, problems.found

        stacks = self.stacks
        check(
            isinstance(stacks, tuple)
            and len(stacks) >= 1
            and all(isinstance(s, str) and WORKFLOW_NAME.match(s) for s in stacks)
            and len(set(stacks)) == len(stacks),
            "stacks",
            stacks,
            "a non-empty tuple of distinct stack names (lower-case letters, digits and '-', "
            "starting with a letter, at most 31)",
        )
        check(
            isinstance(self.pulumi_version, str) and bool(SEMVER.match(self.pulumi_version)),
            "pulumi_version",
            self.pulumi_version,
            "an exact X.Y.Z Pulumi CLI version",
        )
        check(
            is_region(self.aws_region),
            "aws_region",
            self.aws_region,
            "an AWS region such as eu-west-1",
        )
        check(
            isinstance(self.default_branch, str) and bool(BRANCH_NAME.match(self.default_branch)),
            "default_branch",
            self.default_branch,
            "a branch name",
        )
        check(
            isinstance(self.drift_schedule_cron, str)
            and bool(CRON.match(self.drift_schedule_cron)),
            "drift_schedule_cron",
            self.drift_schedule_cron,
            "a five-field cron expression",
        )
        for name in ("preview_environment_prefix", "drift_environment_prefix"):
            value = getattr(self, name)
            check(
                isinstance(value, str)
                and bool(re.match(r"^[A-Za-z0-9._-]{1,200}$", value))
                and value != INFRA_ENVIRONMENT_PREFIX,
                name,
                value,
                "a GitHub environment name prefix (letters, digits, '.', '_' and '-') other than "
                f"{INFRA_ENVIRONMENT_PREFIX!r}, whose environments hold the apply role",
            )
        check(
            self.preview_environment_prefix != self.drift_environment_prefix,
            "drift_environment_prefix",
            self.drift_environment_prefix,
            "a prefix other than preview_environment_prefix (the drift environment is limited "
            "to the default branch; the preview environment is not)",
        )
        names = ("preview_role", "apply_role", "account_id", "backend_url")
        values = [getattr(self, f"{n}_variable") for n in names]
        for name, value in zip(names, values, strict=True):
            check(
                isinstance(value, str)
                and bool(_VARIABLE.match(value))
                and not value.startswith("GITHUB_"),
                f"{name}_variable",
                value,
                "a GitHub variable name (upper-case letters, digits and '_'; not GITHUB_*)",
            )
        check(
            values[0] != values[1],
            "apply_role_variable",
            values[1],
            "a name other than preview_role_variable (an environment value would shadow it)",
        )
        for name in ("checks", "preview", "up"):
            value = getattr(self, f"{name}_timeout_minutes")
            problems.extend(job_timeout_problems(value, problems.name(f"{name}_timeout_minutes")))
        return p

    def environment(self, stack: str) -> str:
        """The GitHub environment the ``up`` job of ``stack`` runs in."""
        return f"{INFRA_ENVIRONMENT_PREFIX}{stack}"

    def preview_environment(self, stack: str) -> str:
        """The GitHub environment the pull request preview of ``stack`` runs in."""
        return f"{self.preview_environment_prefix}{stack}"

    def drift_environment(self, stack: str) -> str:
        """The GitHub environment the drift check of ``stack`` runs in."""
        return f"{self.drift_environment_prefix}{stack}"


def up_job_id(stack: str) -> str:
    """The ``pulumi up`` job id for one stack."""
    return f"up-{stack}"


def concurrency_group(stack: str) -> str:
    """Concurrency group of every ``pulumi up`` of ``stack``: one update at a time."""
    return f"pulumi-{stack}"


def _var(name: str) -> str:
    return expr(f"vars.{name}")


def _event(*names: str) -> str:
    return " || ".join(f"github.event_name == '{n}'" for n in names)


_SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
"""True only for a pull request from a branch of this repository: a fork's gets no OIDC token."""


def _install_runtime() -> Step:
    # The Pulumi CLI runs the program in .venv (Pulumi.yaml: runtime.options.virtualenv); the
    # Makefile creates it from the exact pins in requirements.txt with the runner's python3.
    return run(
        "Install the stack program's pinned dependencies",
        step_script("infra-install-runtime"),
    )


def _aws_credentials(spec: InfraPipelineSpec, role_variable: str, session: str) -> Step:
    return uses(
        pins.CONFIGURE_AWS,
        "Configure AWS credentials (OIDC)",
        {
            "role-to-assume": _var(role_variable),
            "role-session-name": session,
            "aws-region": spec.aws_region,
            "allowed-account-ids": _var(spec.account_id_variable),
        },
    )


GITHUB_TOKEN_STEP = "github-token"
"""Id of the step minting the job's GitHub App installation token for the GitHub provider."""


def _github_token(write: bool) -> Step:
    """The job's installation token, scoped to the application repository (named by the
    stack in the job's environment) and this one (``repositories``; the owner is this
    repository's: actions/create-github-app-token's README, "Create a token for multiple
    repositories in the current owner's installation"), asking for exactly the app's
    permissions (a ``permission-*`` input narrows the token: lib/get-permissions-from-
    inputs.js at the pinned commit), so a token never holds more than its job needs."""
    grants = INFRA_APP_PERMISSIONS if write else INFRA_READ_APP_PERMISSIONS
    with_: dict[str, Any] = {
        "client-id": secret(InfraSecret.INFRA_APP_CLIENT_ID.value),
        "private-key": secret(InfraSecret.INFRA_APP_PRIVATE_KEY.value),
        "repositories": _var(InfraVariable.APPLICATION_REPOSITORY.value)
        + ","
        + expr("github.event.repository.name"),
    }
    for name, level in sorted(grants.items()):
        with_["permission-" + name.replace("_", "-")] = level
    app = "infra app" if write else "read-only infra app"
    return uses(pins.CREATE_APP_TOKEN, f"GitHub token of the {app}", with_, id=GITHUB_TOKEN_STEP)


def _pulumi(spec: InfraPipelineSpec, name: str, stack: str, **inputs: Any) -> Step:
    with_: dict[str, Any] = {
        "command": inputs.pop("command"),
        "stack-name": stack,
        "pulumi-version": spec.pulumi_version,
        "cloud-url": _var(spec.backend_url_variable),
    }
    with_.update({key.replace("_", "-"): value for key, value in inputs.items()})
    # The GitHub provider's credential (not pulumi/actions' own `github-token` input, which
    # comments on the pull request with the job's GITHUB_TOKEN).
    token = {"GITHUB_TOKEN": expr(f"steps.{GITHUB_TOKEN_STEP}.outputs.token")}
    return uses(pins.PULUMI, name, with_, id="pulumi", env=token)


def _checks_job(spec: InfraPipelineSpec) -> Job:
    always = "!cancelled()"
    return {
        "name": "Lint, tests and offline plan",
        "if": _event("pull_request", "push"),
        "runs-on": RUNNER,
        "timeout-minutes": spec.checks_timeout_minutes,
        "permissions": permissions(("contents", "read")),
        "steps": [
            checkout(),
            run(
                "Offline plan of every stack",
                step_script("infra-plan", PLAN_DIR=PLAN_DIR),
                id="plan",
            ),
            run(
                "Show the plan in the job summary",
                step_script("infra-plan-summary", PLAN_DIR=PLAN_DIR),
                if_=f"{always} && hashFiles('{PLAN_DIR}/plan.txt') != ''",
            ),
            uses(
                pins.UPLOAD_ARTIFACT,
                "Upload the plan",
                {
                    "name": "offline-plan",
                    "path": PLAN_DIR,
                    "if-no-files-found": "error",
                    "retention-days": 14,
                    # "Re-run failed jobs" uploads again under the same name in the same run.
                    "overwrite": True,
                },
                if_=f"{always} && hashFiles('{PLAN_DIR}/plan.txt') != ''",
            ),
            run(
                "Lint, type checks and tests",
                step_script("infra-test"),
                if_=always,
            ),
        ],
    }


def _stack_matrix(spec: InfraPipelineSpec) -> dict[str, Any]:
    return {"fail-fast": False, "matrix": {"stack": list(spec.stacks)}}


def _preview_job(spec: InfraPipelineSpec) -> Job:
    stack = expr("matrix.stack")
    return {
        "name": f"Preview {stack}",
        "if": f"github.event_name == 'pull_request' && {_SAME_REPOSITORY}",
        "runs-on": RUNNER,
        "timeout-minutes": spec.preview_timeout_minutes,
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            ("pull-requests", "write"),
            reasons={
                "id-token": "assume the read-only preview role",
                "pull-requests": "comment the preview on the pull request",
            },
        ),
        # The stack's own preview environment: its own read-only role, and in prod a
        # reviewer's approval before the pull request's code runs with prod's secrets.
        "environment": {"name": spec.preview_environment(stack), "deployment": False},
        "strategy": _stack_matrix(spec),
        "steps": [
            checkout(),
            _install_runtime(),
            _aws_credentials(spec, spec.preview_role_variable, "infra-preview-" + stack),
            _github_token(write=False),
            _pulumi(
                spec,
                "pulumi preview",
                stack,
                command="preview",
                refresh=True,
                diff=True,
                comment_on_pr=True,
                comment_on_summary=True,
            ),
        ],
    }


def _up_job(spec: InfraPipelineSpec, index: int) -> Job:
    stack = spec.stacks[index]
    environment = spec.environment(stack)
    job: Job = {"name": f"pulumi up {stack}"}
    job["needs"] = "checks" if index == 0 else up_job_id(spec.stacks[index - 1])
    job.update(
        {
            "if": f"github.event_name == 'push' && github.ref == "
            f"'refs/heads/{spec.default_branch}'",
            "runs-on": RUNNER,
            "timeout-minutes": spec.up_timeout_minutes,
            "permissions": permissions(
                ("contents", "read"),
                ("id-token", "write"),
                reasons={"id-token": f"assume the apply role of {environment}"},
            ),
            "environment": environment,
            "concurrency": {"group": concurrency_group(stack), "cancel-in-progress": False},
            "steps": [
                checkout(),
                _install_runtime(),
                _aws_credentials(spec, spec.apply_role_variable, f"infra-up-{stack}"),
                _github_token(write=True),
                _pulumi(
                    spec,
                    "pulumi up",
                    stack,
                    command="up",
                    diff=True,
                    comment_on_summary=True,
                ),
                # A failed, cancelled or timed-out up (failure() alone skips the last two)
                # says how to release its lock and settle pending operations.
                run(
                    "If the up did not finish: how to recover",
                    step_script("infra-up-recovery", STACK=stack),
                    {"BACKEND_URL": _var(spec.backend_url_variable)},
                    if_="failure() || cancelled()",
                ),
            ],
        }
    )
    return job


def _drift_job(spec: InfraPipelineSpec) -> Job:
    stack = expr("matrix.stack")
    return {
        "name": f"Drift check {stack}",
        "if": _event("schedule", "workflow_dispatch"),
        "runs-on": RUNNER,
        "environment": {"name": spec.drift_environment(stack), "deployment": False},
        "timeout-minutes": spec.preview_timeout_minutes,
        "permissions": permissions(
            ("contents", "read"),
            ("id-token", "write"),
            reasons={"id-token": "assume the read-only preview role"},
        ),
        "strategy": _stack_matrix(spec),
        "steps": [
            checkout(),
            _install_runtime(),
            _aws_credentials(spec, spec.preview_role_variable, "infra-drift-" + stack),
            _github_token(write=False),
            _pulumi(
                spec,
                "pulumi preview --expect-no-changes",
                stack,
                command="preview",
                refresh=True,
                expect_no_changes=True,
                diff=True,
                comment_on_summary=True,
            ),
        ],
    }


def _drift_issue_job(spec: InfraPipelineSpec) -> Job:
    del spec  # the same for every spec; kept for a uniform signature
    return {
        "name": "Report drift",
        "needs": "drift",
        "if": f"failure() && ({_event('schedule', 'workflow_dispatch')})",
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "permissions": permissions(
            ("issues", "write"),
            reasons={"issues": "open or comment on the drift issue"},
        ),
        "steps": [
            run(
                "Open or update the drift issue",
                step_script("infra-drift-issue"),
                {"GH_TOKEN": expr("github.token"), "ISSUE_TITLE": DRIFT_ISSUE_TITLE},
            ),
        ],
    }


def infra_workflow(spec: InfraPipelineSpec) -> dict[str, Any]:
    """The infrastructure workflow as data."""
    jobs: dict[str, Job] = {"checks": _checks_job(spec), "preview": _preview_job(spec)}
    for index, stack in enumerate(spec.stacks):
        jobs[up_job_id(stack)] = _up_job(spec, index)
    jobs["drift"] = _drift_job(spec)
    jobs["drift-issue"] = _drift_issue_job(spec)
    return {
        "name": "Infrastructure",
        "on": {
            "pull_request": {"branches": [spec.default_branch]},
            "push": {"branches": [spec.default_branch]},
            "schedule": [{"cron": spec.drift_schedule_cron}],
            "workflow_dispatch": {},
        },
        "permissions": {},
        # Pull requests: a new push cancels the previous run. Pushes and drift checks queue per
        # event, so a drift check never replaces a pending `pulumi up` run.
        "concurrency": {
            "group": "infra-"
            + expr("github.event_name")
            + "-"
            + expr("github.event.pull_request.number || github.ref"),
            "cancel-in-progress": expr("github.event_name == 'pull_request'"),
        },
        "jobs": jobs,
    }


def infra_dependabot_config() -> dict[str, Any]:
    """Dependabot for this repository: the generator's action pins, its base image and the exact
    Python pins.

    Actions are watched where their versions live,
    ``components/slipway/workflows/actions/action.yml`` (:data:`pins.PINS_FILE`), not in
    ``.github/workflows/``: those files are rendered from the pins, so a bump there would be
    reverted by the next render."""
    return {
        "version": 2,
        "updates": [
            update_entry(
                "github-actions", "actions", directory="/components/slipway/workflows/actions"
            ),
            # The generated Dockerfile's base image (pins.BASE_IMAGE_FILE), the same way.
            update_entry("docker", "base-image", directory="/components/slipway/workflows/images"),
            # The root is enough: bootstrap/requirements.txt only includes ../requirements.txt.
            update_entry("pip", "python"),
        ],
    }


def render_infra_files(spec: InfraPipelineSpec) -> dict[str, str]:
    """``infra.yml`` and ``dependabot.yml`` of this repository, keyed by repository path."""
    return {
        DEPENDABOT_PATH: dump_yaml(infra_dependabot_config()),
        INFRA_WORKFLOW_PATH: dump_yaml(infra_workflow(spec)),
    }
