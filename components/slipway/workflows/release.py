"""``.github/workflows/release.yml``: version, then test, image and publish, then deploy.

On every push to the default branch, and to the release-line branches this workflow creates
(:data:`RELEASE_BRANCH_PATTERNS`), the jobs are (changesets/action v2's sub-actions, split as
Changesets recommends for trusted publishing, each job with only the rights it needs):

``mode`` (read-only)
    ``changesets/action/select-mode``: ``version`` when changesets are pending, ``publish`` when
    a package version is not released yet (the version pull request was merged), else ``none``.
    It also decides, from the publish plan select-mode wrote (the packages Changesets manages)
    and the git tags (the release history), the image version (the image package's:
    ``WorkflowSpec.image_package``, or the root package of a single-package repository; a
    workspace must name it), whether the floating image tags move and the npm dist-tag. A push
    that creates a release branch, or moves it to a released commit, is a green no-op; any
    other push to a release branch that would release nothing fails here, loudly: a hotfix
    merged without a changeset would otherwise end green.
``version`` (``mode == version``)
    ``changesets/action/version`` opens or updates the version pull request. With a release
    GitHub App (:class:`ReleaseTokenMode.APP`) the pull request is opened with the app's token,
    so its required checks run; ``GITHUB_TOKEN`` keeps ``contents: read``.
``pack`` and ``image`` (``mode == publish``, side by side, read-only towards releases)
    ``pack`` installs, runs the tests and packs the tarballs (``changesets/action/pack``);
    ``image`` calls ``docker.yml`` (``stage: verify``): for every platform the image is built,
    its tests run inside it, it is started and must answer its health path, it is scanned, and
    only then pushed **by digest**, untagged.
``publish`` (needs ``pack`` and ``image``)
    The first irreversible step: ``changesets/action/publish`` publishes the tarballs ``pack``
    built (npm trusted publishing, ``id-token: write``, in the release environment), pushes the
    version tags and creates the GitHub Releases. If anything before it failed, nothing was
    published. Its success is decided from the plan, not from the action's ``published``
    (true only when this attempt tagged something, changesets/action ``src/run.ts`` at 8488615):
    every planned version is on the registry and tagged, whichever attempt did it.
``image-publish`` (``docker.yml``, ``stage: publish``)
    Merges the verified digests into tagged manifest lists and attests them.
``deploy`` (``actions: write``)
    Starts ``deploy.yml`` (dev → staging → prod by digest) as a run of its own with
    ``gh workflow run``, and ends.
``housekeeping`` (after ``publish``; nothing waits for it)
    Keeps the newest GitHub Release marked latest after an older line published, and on the
    default branch cuts the release line it has just left (``release-line.yml`` cuts one on
    demand). Its failure fails the run, never the image or the deploy.
``notify`` (always)
    One message: published, or which stage failed.

Everything after ``publish``, and ``publish`` itself, can be finished without publishing again:
"Re-run failed jobs" re-runs what failed and the jobs that need it, and the others keep their
outputs (GitHub Docs, "Re-running workflows and jobs"; the artifacts upload with
``overwrite``); ``docker.yml`` has a ``workflow_dispatch`` to rebuild and re-tag a given version
from its tag.

Tags pushed with ``GITHUB_TOKEN`` start no workflow, which is why the chain is ``workflow_call``
and not a tag trigger.

Concurrency. GitHub keeps one running and one pending run per concurrency group, and a newer
pending run cancels the older pending one ("Control the concurrency of workflows and jobs").
A cancelled run that would have published a merged version PR is replaced by a run of a later
commit, which may find new changesets (mode ``version``): that version would never be
published. So the group queues (``queue: max``: up to 100 pending runs, run in order;
changelog 2026-05-07), and the deploy leaves the run: a run that waited for prod's reviewers
would hold the group, and every later release behind it, for as long as the approval takes.
``deploy.yml`` runs on its own (``workflow_dispatch``, which ``GITHUB_TOKEN`` may start:
"Triggering a workflow from a workflow"), its jobs queued per environment in the same order.
``tests/workflows/test_release_concurrency.py`` proves over sequences of pushes, on a model of
those documented semantics, that every merged version is published exactly once, in order, and
that no release waits for an approval.
"""

from __future__ import annotations

from typing import Any

from slipway.contract import EnvironmentSecret, ReleaseSecret, ReleaseVariable
from slipway.workflows import pins, repo_scripts, scripts
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
from slipway.workflows.paths import DEPLOY_PATH
from slipway.workflows.spec import (
    MIN_TRUSTED_PUBLISHING_NPM,
    NpmPublishMode,
    ReleaseTokenMode,
    WorkflowSpec,
    docker_caller_grants,
)

VERSION_SCRIPT = repo_scripts.VERSION_SCRIPT
"""Bumps versions and changelogs, then refreshes the lockfile for the version pull request: one
command (``bash <delivered script>``), since changesets/action spawns it without a shell."""
PUBLISH_SCRIPT = repo_scripts.PUBLISH_SCRIPT
"""Publishes the packed tarballs (env ``PACK_DIR``) under ``NPM_DIST_TAG`` when set; one
command, like :data:`VERSION_SCRIPT`."""
RELEASE_BRANCH_PATTERNS = ("release/[0-9]*.x", "release/*@[0-9]*.x", "release/@*/*@[0-9]*.x")
"""Branch patterns matching exactly the release-line branches :data:`scripts.RELEASE_BRANCHES`
creates, one per ``major.minor`` line: ``release/1.4.x`` (single package),
``release/pkg@1.4.x`` and ``release/@scope/pkg@1.4.x`` (monorepo). The same text means the same
in both of GitHub's pattern syntaxes, since ``*`` never matches ``/`` in either and only ``*``
and ``[0-9]`` are used: ``on.<event>.branches`` filters, and the ``File.fnmatch``
(``FNM_PATHNAME``) patterns of environment deployment-branch policies and ruleset conditions.
Every environment the release chain runs in must allow them next to the default branch."""
RELEASE_TAG_PATTERNS = ("v[0-9]*", "*@[0-9]*", "@*/*@[0-9]*")
"""Tag name patterns of the release tags Changesets creates: ``v1.4.2`` (single package),
``pkg@1.4.2`` and ``@scope/pkg@1.4.2`` (monorepo). Rulesets protect them (``refs/tags/`` is
prepended there)."""
VERSION_PR_TITLE = "chore: version packages"
"""Title and commit message of the version pull request."""
MODE_STEP = "mode"
"""Id of the select-mode step in the ``mode`` job."""
DECIDE_STEP = "decide"
"""Id of the step that decides the image version, floating tags and npm dist-tag."""
RELEASED_STEP = "released"
"""Id of the publish job's step that checks every planned version is released."""
APP_TOKEN_STEP = "app-token"
"""Id of the step that mints the release app's installation token."""


def _token(spec: WorkflowSpec) -> str:
    """The token the release identity acts with."""
    if spec.release_token is ReleaseTokenMode.APP:
        return expr(f"steps.{APP_TOKEN_STEP}.outputs.token")
    return expr("github.token")


def _app_token_steps(
    spec: WorkflowSpec, *, contents: str, pull_requests: str | None, workflows: bool = False
) -> list[Step]:
    """Mint the release app's installation token, scoped to this repository and to the
    permissions the job needs (none in :class:`ReleaseTokenMode.GITHUB_TOKEN` mode). A token
    asked for some ``permission-*`` holds only those, whatever the app may do
    (actions/create-github-app-token): ``workflows`` adds the Workflows permission that moving
    the version branch across changed workflow files needs (docs/deployment-guide.md)."""
    if spec.release_token is not ReleaseTokenMode.APP:
        return []
    with_: dict[str, Any] = {
        "client-id": expr(f"vars.{ReleaseVariable.RELEASE_APP_CLIENT_ID.value}"),
        "private-key": secret(ReleaseSecret.RELEASE_APP_PRIVATE_KEY.value),
        "permission-contents": contents,
    }
    if pull_requests:
        with_["permission-pull-requests"] = pull_requests
    if workflows:
        with_["permission-workflows"] = "write"
    return [uses(pins.CREATE_APP_TOKEN, "Release app token", with_, id=APP_TOKEN_STEP)]


def _release_environment(spec: WorkflowSpec) -> dict[str, Any]:
    """The release environment, used for its variables and secrets only: no deployment."""
    return {"name": spec.npm_environment, "deployment": False}


def _writes_contents(spec: WorkflowSpec, *, with_app: str, without_app: str) -> Job:
    """The permissions (and environment) of a job that writes the repository's contents as the
    release identity: with the release app its own token only reads and the app's token
    (minted from the key the release environment holds) writes; else ``GITHUB_TOKEN`` writes.
    ``with_app``/``without_app`` say why, in each mode."""
    if spec.release_token is ReleaseTokenMode.APP:
        return {
            "permissions": permissions(("contents", "read"), reasons={"contents": with_app}),
            "environment": _release_environment(spec),
        }
    return {"permissions": permissions(("contents", "write"), reasons={"contents": without_app})}


def _node_steps(spec: WorkflowSpec, *, registry: bool = False) -> list[Step]:
    setup_node: dict[str, Any] = {
        "node-version": spec.node_version,
        # No dependency cache: these jobs release, and a restored cache could be poisoned.
        "package-manager-cache": False,
    }
    if registry:
        setup_node["registry-url"] = "https://registry.npmjs.org"
    return [
        uses(pins.SETUP_NODE, "Set up Node.js", setup_node),
        run(
            "Set up pnpm through corepack",
            scripts.SETUP_PNPM,
            {"PNPM_VERSION": spec.pnpm_version},
        ),
    ]


def _install(*, lifecycle_scripts: bool = True) -> Step:
    if lifecycle_scripts:
        return run("Install dependencies", scripts.INSTALL_DEPENDENCIES)
    return run(
        "Install dependencies (no lifecycle scripts)",
        scripts.INSTALL_DEPENDENCIES,
        {"PNPM_IGNORE_SCRIPTS": "true"},
    )


def _output(job: str, name: str) -> str:
    return f"needs.{job}.outputs.{name}"


def _mode_job(spec: WorkflowSpec) -> Job:
    return {
        "name": "Select the release mode",
        "runs-on": RUNNER,
        "timeout-minutes": 15,
        "permissions": permissions(("contents", "read")),
        "outputs": {
            "mode": expr(f"steps.{MODE_STEP}.outputs.mode"),
            "publish-plan-artifact-id": expr(f"steps.{MODE_STEP}.outputs.publish-plan-artifact-id"),
            "version": expr(f"steps.{DECIDE_STEP}.outputs.version"),
            "tag-latest": expr(f"steps.{DECIDE_STEP}.outputs.tag-latest"),
            "tag-minor": expr(f"steps.{DECIDE_STEP}.outputs.tag-minor"),
            "dist-tag": expr(f"steps.{DECIDE_STEP}.outputs.dist-tag"),
            "latest-release-id": expr(f"steps.{DECIDE_STEP}.outputs.latest-release-id"),
        },
        "steps": [
            # The tags are the release history the decisions below read.
            checkout(fetch_depth=0),
            *_node_steps(spec),
            _install(lifecycle_scripts=False),
            uses(pins.CHANGESETS_SELECT_MODE, "Select the mode", id=MODE_STEP),
            run(
                "Decide the image version, floating tags and npm dist-tag",
                scripts.RELEASE_DECISIONS,
                {
                    "MODE": expr(f"steps.{MODE_STEP}.outputs.mode"),
                    "IMAGE_PACKAGE": spec.image_package or "",
                    "DEFAULT_BRANCH": spec.default_branch,
                    # A push that created the branch (a new release line) releases nothing.
                    "CREATED": expr("github.event.created"),
                    "GH_TOKEN": expr("github.token"),
                },
                id=DECIDE_STEP,
            ),
        ],
    }


def _version_job(spec: WorkflowSpec) -> Job:
    app = spec.release_token is ReleaseTokenMode.APP
    job: Job = {
        "name": "Open the version pull request",
        "needs": "mode",
        "if": f"{_output('mode', 'mode')} == 'version'",
        "runs-on": RUNNER,
        "timeout-minutes": 15,
    }
    if app:
        job["environment"] = _release_environment(spec)
        job["permissions"] = permissions(
            ("contents", "read"),
            reasons={"contents": "check out; the release app's token writes the pull request"},
        )
    else:
        job["permissions"] = permissions(("contents", "write"), ("pull-requests", "write"))
    job["steps"] = [
        *_app_token_steps(spec, contents="write", pull_requests="write", workflows=True),
        checkout(),
        *_node_steps(spec),
        # The Changesets CLI only: no dependency's install script runs beside the app's token.
        _install(lifecycle_scripts=False),
        uses(
            pins.CHANGESETS_VERSION,
            "Open or update the version pull request",
            {
                "github-token": _token(spec),
                "script": VERSION_SCRIPT,
                "commit-message": VERSION_PR_TITLE,
                "pr-title": VERSION_PR_TITLE,
            },
        ),
    ]
    return job


def _pack_job(spec: WorkflowSpec) -> Job:
    return {
        "name": "Test and pack",
        "needs": "mode",
        "if": f"{_output('mode', 'mode')} == 'publish'",
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "permissions": permissions(("contents", "read")),
        "outputs": {"pack-dir-artifact-id": expr("steps.pack.outputs.pack-dir-artifact-id")},
        "steps": [
            checkout(),
            *_node_steps(spec),
            _install(),
            run("Run the tests", scripts.RUN_TESTS),
            uses(
                pins.CHANGESETS_PACK,
                "Pack the packages to publish",
                {"publish-plan-artifact-id": expr(_output("mode", "publish-plan-artifact-id"))},
                id="pack",
            ),
        ],
    }


def _image_job(spec: WorkflowSpec, stage: str, needs: list[str], condition: str) -> Job:
    # A caller grants what every job of the called workflow may need, whichever stage runs.
    grants = docker_caller_grants(spec)
    return {
        "name": "Verify the image" if stage == "verify" else "Tag and attest the image",
        "needs": needs,
        "if": condition,
        "permissions": permissions(
            *grants,
            reasons={
                "contents": "docker.yml: check out the sources to build",
                "packages": "docker.yml: push the image to GHCR",
                "id-token": "docker.yml: AWS role for ECR, keyless attestation signing",
            },
        ),
        "uses": "$/.github/workflows/docker.yml",
        "with": {
            "stage": stage,
            "version": expr(_output("mode", "version")),
            "tag-latest": expr(_output("mode", "tag-latest") + " == 'true'"),
            "tag-minor": expr(_output("mode", "tag-minor") + " == 'true'"),
        },
    }


def _publish_job(spec: WorkflowSpec) -> Job:
    publishes = spec.npm_publish is not NpmPublishMode.NONE
    app = spec.release_token is ReleaseTokenMode.APP
    grants: list[tuple[str, str]] = []
    if app:
        grants.append(("contents", "read"))
    else:
        grants.append(("contents", "write"))
    if publishes:
        grants.append(("id-token", "write"))
    image_ok = "(needs.image.result == 'success' || needs.image.result == 'skipped')"
    job: Job = {
        "name": "Publish",
        "needs": ["mode", "pack", "image"],
        # Only after every platform's image passed (or no image is released with this run).
        "if": f"!cancelled() && {_output('mode', 'mode')} == 'publish' "
        f"&& needs.pack.result == 'success' && {image_ok}",
        "runs-on": RUNNER,
        "timeout-minutes": 20,
        "permissions": permissions(
            *grants,
            reasons={
                "id-token": "npm trusted publishing and provenance (OIDC)",
                "contents": "check out; the release app's token writes tags and releases"
                if app
                else "version tags, GitHub Releases",
            },
        ),
    }
    if publishes or app:
        job["environment"] = _release_environment(spec)
    packages = expr(f"steps.{RELEASED_STEP}.outputs.published-packages")
    publish_env: dict[str, str] = {
        "PACK_DIR": expr("runner.temp") + "/changeset-pack",
        "NPM_DIST_TAG": expr(_output("mode", "dist-tag")),
    }
    if spec.npm_publish is NpmPublishMode.TOKEN:
        publish_env["NODE_AUTH_TOKEN"] = secret("NPM_TOKEN")
        publish_env["NPM_CONFIG_PROVENANCE"] = "true"
    # The registry is asked too where it can be read: public packages, or with the npm token.
    # Trusted publishing has no read token for restricted ones; their tags are the proof then
    # (the CLI tags a version only once the registry has it).
    readable = spec.npm_publish is NpmPublishMode.TOKEN or (
        publishes and spec.npm_access == "public"
    )
    released_env: dict[str, str] = {
        "PACK_DIR": expr("runner.temp") + "/changeset-pack",
        "CHECK_REGISTRY": "true" if readable else "false",
        "GH_TOKEN": _token(spec),
    }
    if spec.npm_publish is NpmPublishMode.TOKEN:
        released_env["NODE_AUTH_TOKEN"] = secret("NPM_TOKEN")
    steps: list[Step] = [
        *_app_token_steps(spec, contents="write", pull_requests=None),
        # Changesets reads the existing tags to know what is released already.
        checkout(fetch_depth=0),
        *_node_steps(spec, registry=spec.npm_publish is NpmPublishMode.TOKEN),
    ]
    if publishes:
        steps.append(
            run(
                "Check that npm supports trusted publishing",
                scripts.CHECK_NPM,
                {"NPM_MIN_VERSION": ".".join(str(n) for n in MIN_TRUSTED_PUBLISHING_NPM)},
            )
        )
    steps += [
        # The Changesets CLI only; nothing of the repository's own code runs in this job.
        _install(lifecycle_scripts=False),
        uses(
            pins.DOWNLOAD_ARTIFACT,
            "Download the tested tarballs",
            {
                "artifact-ids": expr("needs.pack.outputs.pack-dir-artifact-id"),
                "path": expr("runner.temp") + "/changeset-pack",
            },
        ),
        uses(
            pins.CHANGESETS_PUBLISH,
            "Publish, tag and create the GitHub Releases",
            {
                "github-token": _token(spec),
                "script": PUBLISH_SCRIPT,
                "create-github-releases": True,
                "push-git-tags": True,
            },
            id="publish",
            env=publish_env,
        ),
        # The action says `published` only when this attempt tagged something: a re-run after
        # the tags were pushed says false. The plan decides: every planned version is on the
        # registry and tagged, whichever attempt did it.
        run(
            "Check that every planned version is released",
            scripts.REQUIRE_PUBLISHED,
            released_env,
            id=RELEASED_STEP,
        ),
    ]
    job["outputs"] = {
        "published": expr(f"steps.{RELEASED_STEP}.outputs.published"),
        "published-packages": packages,
    }
    job["steps"] = steps
    return job


def _housekeeping_job(spec: WorkflowSpec) -> Job:
    """The latest GitHub Release and the release lines, after a publish. Nothing waits for it:
    its failure fails the run loudly, but never stops the image or the deploy."""
    on_default_branch = f"github.ref == 'refs/heads/{spec.default_branch}'"
    latest_release = _output("mode", "latest-release-id")
    job: Job = {
        "name": "Release lines and the latest GitHub Release",
        "needs": ["mode", "publish"],
        "if": "needs.publish.outputs.published == 'true'",
        "runs-on": RUNNER,
        "timeout-minutes": 10,
        **_writes_contents(
            spec,
            with_app="check out; the release app's token writes releases and branches",
            without_app="GitHub Releases, release branches",
        ),
    }
    job["steps"] = [
        *_app_token_steps(spec, contents="write", pull_requests=None),
        # The tags are the release history the release lines are cut from.
        checkout(fetch_depth=0),
        run(
            "Keep the newest GitHub Release marked latest",
            scripts.RESTORE_LATEST_RELEASE,
            {"LATEST_RELEASE_ID": expr(latest_release), "GH_TOKEN": _token(spec)},
            if_=f"{_output('mode', 'dist-tag')} != '' && {latest_release} != ''",
        ),
        # Only the default branch cuts release lines; a release branch is already the line.
        run(
            "Create or advance the release-line branches",
            scripts.RELEASE_BRANCHES,
            {
                "PUBLISHED_PACKAGES": expr(_output("publish", "published-packages")),
                "GH_TOKEN": _token(spec),
            },
            if_=on_default_branch,
        ),
    ]
    return job


def _deploy_job() -> Job:
    """Start ``deploy.yml`` as a run of its own: this run then ends and leaves the release
    concurrency group, so a prod approval never holds the next release (module docstring)."""
    return {
        "name": "Start the deploy",
        "needs": ["mode", "image-publish"],
        "if": "needs.image-publish.result == 'success'",
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "permissions": permissions(
            ("actions", "write"),
            reasons={"actions": "start deploy.yml (workflow_dispatch) with GITHUB_TOKEN"},
        ),
        "steps": [
            run(
                "Start deploy.yml for the published image",
                scripts.START_DEPLOY,
                {
                    "IMAGE_DIGEST": expr("needs.image-publish.outputs.image-digest"),
                    "VERSION": expr("needs.image-publish.outputs.version"),
                    # A hotfix of an older line publishes under a release-X.Y dist-tag. It is
                    # deployed only where the environment runs that line or an older one; an
                    # environment on a later line keeps its version (deploy.yml ``hotfix``).
                    "HOTFIX": expr(_output("mode", "dist-tag") + " != ''"),
                    "GH_TOKEN": expr("github.token"),
                    "DEPLOY_WORKFLOW": DEPLOY_PATH,
                },
            )
        ],
    }


def _notify_job(spec: WorkflowSpec, watched: list[str]) -> Job:
    return {
        "name": "Report the release",
        "needs": watched,
        "if": "always()",
        "runs-on": RUNNER,
        "timeout-minutes": 5,
        "environment": _release_environment(spec),
        "permissions": permissions(("contents", "read"), reasons={"contents": "nothing else"}),
        "steps": [
            run(
                "Summarise the release",
                scripts.RELEASE_REPORT,
                {
                    "NEEDS_JSON": expr("toJSON(needs)"),
                    "SLACK_WEBHOOK_URL": secret(EnvironmentSecret.SLACK_WEBHOOK_URL),
                },
            ),
        ],
    }


def release_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The release workflow as data."""
    mode = _output("mode", "mode")
    has_image = f"{_output('mode', 'version')} != ''"
    workflow: dict[str, Any] = {
        "name": "Release",
        "on": {"push": {"branches": [spec.default_branch, *RELEASE_BRANCH_PATTERNS]}},
        "permissions": {},
        # One group per branch: a release-branch run never waits for, nor cancels, main's.
        # `queue: max`: every pending run waits its turn in order (GitHub's default keeps one
        # pending run and cancels it for a newer one, which could skip a merged version).
        "concurrency": {
            "group": "release-" + expr("github.ref"),
            "cancel-in-progress": False,
            "queue": "max",
        },
        "jobs": {
            "mode": _mode_job(spec),
            "version": _version_job(spec),
            "pack": _pack_job(spec),
            "image": _image_job(spec, "verify", ["mode"], f"{mode} == 'publish' && {has_image}"),
            "publish": _publish_job(spec),
            "image-publish": _image_job(
                spec,
                "publish",
                ["mode", "publish"],
                f"needs.publish.outputs.published == 'true' && {has_image}",
            ),
            "deploy": _deploy_job(),
            "housekeeping": _housekeeping_job(spec),
        },
    }
    jobs = workflow["jobs"]
    # The report waits for every other job, whatever their results.
    jobs["notify"] = _notify_job(spec, list(jobs))
    return workflow
