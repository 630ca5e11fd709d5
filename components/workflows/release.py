"""``.github/workflows/release.yml``: Changesets versioning and publishing, then image and deploy.

On every push to the default branch, and to the release branches this workflow creates
(:data:`RELEASE_BRANCH_PATTERNS`), changesets/action either opens (or updates) the version pull
request with the changelog against the pushed branch, or, once that pull request is merged,
publishes: version tags, GitHub Releases and npm packages. When something was published the
workflow calls ``docker.yml`` and then ``deploy.yml`` as reusable workflows. Tags pushed with
``GITHUB_TOKEN`` start no workflow, which is why the chain is ``workflow_call`` and not a tag
trigger.

A release branch is a maintenance line: a hotfix merged there goes through the same version pull
request, publish, image (tests, scan, attestation) and deploy chain as a release from the default
branch. Only the default branch creates release branches. A version lower than one already
released publishes under the npm dist-tag ``release-<major>.<minor>`` instead of ``latest``, keeps
the latest GitHub Release where it was, and moves no floating image tag backwards.
"""

from __future__ import annotations

from typing import Any

from components.workflows import pins, repo_scripts, scripts
from components.workflows.common import (
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
from components.workflows.spec import MIN_TRUSTED_PUBLISHING_NPM, NpmPublishMode, WorkflowSpec

VERSION_SCRIPT = repo_scripts.VERSION_SCRIPT
"""Bumps versions and changelogs, then refreshes the lockfile for the version pull request: one
command (``bash <delivered script>``), since changesets/action spawns it without a shell."""
PUBLISH_SCRIPT = "pnpm exec changeset publish"
"""Publishes to npm (private packages: only tags) and creates the version tags. On a release
branch publishing an older line, ``--tag release-<major>.<minor>`` is appended
(:data:`scripts.NPM_DIST_TAG`)."""
RELEASE_BRANCH_PATTERNS = ("release/v[0-9]*", "release/*@[0-9]*", "release/@*/*@[0-9]*")
"""Branch patterns matching exactly the names :data:`scripts.RELEASE_BRANCHES` creates:
``release/v1.4.2`` (single package), ``release/pkg@1.4.2`` and ``release/@scope/pkg@1.4.2``
(monorepo). The same text means the same in both of GitHub's pattern syntaxes, since ``*``
never matches ``/`` in either and only ``*`` and ``[0-9]`` are used: ``on.<event>.branches``
filters (the push trigger here, the pull request trigger of ``docker.yml``), and the Ruby
``File.fnmatch`` (``FNM_PATHNAME``) patterns of environment deployment-branch policies and
ruleset conditions. Every environment the release chain runs in (``npm``, the build
environment, each deploy environment) must allow them next to the default branch, or GitHub
refuses the release-branch run."""
RELEASE_TAG_PATTERNS = ("v[0-9]*", "*@[0-9]*", "@*/*@[0-9]*")
"""Tag name patterns of the release tags Changesets creates: ``v1.4.2`` (single package),
``pkg@1.4.2`` and ``@scope/pkg@1.4.2`` (monorepo). Rulesets protect them (``refs/tags/`` is
prepended there)."""
NPM_TAG_STEP = "npm-tag"
"""Id of the step that chooses the publish script (and so the npm dist-tag)."""
VERSION_PR_TITLE = "chore: version packages"
"""Title and commit message of the version pull request."""


def _publish_script() -> str:
    return expr(f"steps.{NPM_TAG_STEP}.outputs.publish-script")


def _changesets_step(spec: WorkflowSpec) -> Step:
    pin = pins.changesets_action_for(spec.changesets_cli_major)
    with_: dict[str, Any]
    env: dict[str, str] = {}
    if pin.major >= 2:
        with_ = {
            "github-token": expr("github.token"),
            "version-script": VERSION_SCRIPT,
            "publish-script": _publish_script(),
            "commit-message": VERSION_PR_TITLE,
            "pr-title": VERSION_PR_TITLE,
            "create-github-releases": True,
            "push-git-tags": True,
        }
    else:
        with_ = {
            "version": VERSION_SCRIPT,
            "publish": _publish_script(),
            "commit": VERSION_PR_TITLE,
            "title": VERSION_PR_TITLE,
            "createGithubReleases": True,
        }
        if spec.npm_publish is NpmPublishMode.TRUSTED:
            with_["oidcAuth"] = True
        env["GITHUB_TOKEN"] = expr("github.token")
    if spec.npm_publish is NpmPublishMode.TOKEN:
        env["NPM_TOKEN"] = secret("NPM_TOKEN")
        env["NODE_AUTH_TOKEN"] = secret("NPM_TOKEN")
        env["NPM_CONFIG_PROVENANCE"] = "true"
    step = uses(pin, "Open the version pull request or publish", with_, id="changesets")
    if env:
        step["env"] = env
    return step


def published_packages_output(spec: WorkflowSpec) -> str:
    """Name of changesets/action's published-packages output for the chosen major."""
    major = pins.changesets_action_for(spec.changesets_cli_major).major
    return "published-packages" if major >= 2 else "publishedPackages"


def _release_job(spec: WorkflowSpec) -> Job:
    publishes = spec.npm_publish is not NpmPublishMode.NONE
    grants = [("contents", "write"), ("pull-requests", "write")]
    if publishes:
        grants.append(("id-token", "write"))
    setup_node: dict[str, Any] = {
        "node-version": spec.node_version,
        # No dependency cache: this job publishes, and a restored cache could be poisoned.
        "package-manager-cache": False,
    }
    if spec.npm_publish is NpmPublishMode.TOKEN:
        setup_node["registry-url"] = "https://registry.npmjs.org"
    packages = expr(f"steps.changesets.outputs.{published_packages_output(spec)}")
    published = "steps.changesets.outputs.published == 'true'"
    on_default_branch = f"github.ref == 'refs/heads/{spec.default_branch}'"
    older_line = f"steps.{NPM_TAG_STEP}.outputs.older-line == 'true'"
    latest_release = f"steps.{NPM_TAG_STEP}.outputs.latest-release-id"
    steps: list[Step] = [
        checkout(fetch_depth=0),
        uses(pins.SETUP_NODE, "Set up Node.js", setup_node),
        run(
            "Set up pnpm through corepack",
            scripts.SETUP_PNPM,
            {"PNPM_VERSION": spec.pnpm_version},
        ),
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
        run("Install dependencies", scripts.INSTALL_DEPENDENCIES),
        run(
            "Choose the npm dist-tag",
            scripts.NPM_DIST_TAG,
            {
                "PUBLISH_SCRIPT": PUBLISH_SCRIPT,
                "DEFAULT_BRANCH": spec.default_branch,
                "GH_TOKEN": expr("github.token"),
            },
            id=NPM_TAG_STEP,
        ),
        _changesets_step(spec),
        run(
            "Keep the newest GitHub Release marked latest",
            scripts.RESTORE_LATEST_RELEASE,
            {"LATEST_RELEASE_ID": expr(latest_release), "GH_TOKEN": expr("github.token")},
            if_=f"{published} && {older_line} && {latest_release} != ''",
        ),
        # Only the default branch cuts release branches; a release branch is already the line.
        run(
            "Create release branches",
            scripts.RELEASE_BRANCHES,
            {"PUBLISHED_PACKAGES": packages, "GH_TOKEN": expr("github.token")},
            if_=f"{published} && {on_default_branch}",
        ),
        run(
            "Pick the image version",
            scripts.IMAGE_VERSION,
            {"PUBLISHED_PACKAGES": packages, "IMAGE_PACKAGE": spec.image_package or ""},
            id="image-version",
            if_=published,
        ),
    ]
    job: Job = {
        "name": "Version or publish",
        "runs-on": RUNNER,
        "timeout-minutes": 30,
        "permissions": permissions(
            *grants, reasons={"id-token": "npm trusted publishing and provenance (OIDC)"}
        ),
    }
    if publishes:
        job["environment"] = spec.npm_environment
    job["outputs"] = {
        "published": expr("steps.changesets.outputs.published"),
        "version": expr("steps.image-version.outputs.version"),
        "tag-latest": expr("steps.image-version.outputs.tag-latest"),
        "tag-minor": expr("steps.image-version.outputs.tag-minor"),
    }
    job["steps"] = steps
    return job


def release_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The release workflow as data."""
    chain_if = "needs.release.outputs.published == 'true' && needs.release.outputs.version != ''"
    return {
        "name": "Release",
        "on": {"push": {"branches": [spec.default_branch, *RELEASE_BRANCH_PATTERNS]}},
        "permissions": {},
        # One group per branch: a release-branch run never waits for, nor cancels, main's.
        "concurrency": {"group": "release-" + expr("github.ref"), "cancel-in-progress": False},
        "jobs": {
            "release": _release_job(spec),
            "image": {
                "name": "Build the image",
                "needs": "release",
                "if": chain_if,
                "permissions": permissions(
                    ("contents", "read"),
                    ("packages", "write"),
                    ("id-token", "write"),
                    ("attestations", "write"),
                    ("security-events", "write"),
                    ("actions", "read"),
                    reasons={
                        "contents": "docker.yml: check out the sources to build",
                        "packages": "docker.yml: push the image to GHCR",
                        "id-token": "docker.yml: AWS role for ECR, keyless attestation signing",
                    },
                ),
                "uses": "$/.github/workflows/docker.yml",
                "with": {
                    "version": expr("needs.release.outputs.version"),
                    "tag-latest": expr("needs.release.outputs.tag-latest == 'true'"),
                    "tag-minor": expr("needs.release.outputs.tag-minor == 'true'"),
                },
            },
            "deploy": {
                "name": "Deploy",
                "needs": ["release", "image"],
                "permissions": permissions(
                    ("id-token", "write"),
                    ("packages", "read"),
                    reasons={
                        "id-token": "deploy.yml: each environment's AWS role through OIDC",
                        "packages": "deploy.yml: copy the image from GHCR into each ECR",
                    },
                ),
                "uses": "$/.github/workflows/deploy.yml",
                "with": {
                    "image-digest": expr("needs.image.outputs.image-digest"),
                    "version": expr("needs.image.outputs.version"),
                },
            },
        },
    }
