"""What GitHub requires of a GitHub App's installation token, endpoint by endpoint, and what each
of Slipway's GitHub App tokens calls: the data that tests/setup/test_app_permissions.py holds the
apps' ``default_permissions`` and the jobs' ``permission-*`` inputs to.

:data:`PAGE` is GitHub Docs, "Permissions required for GitHub Apps" (free-pro-team, REST API
version 2022-11-28), read from the data it is rendered from: github/docs
``src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json`` at
:data:`PAGE_COMMIT`. Each section there is one permission ("Repository permissions for
\\"Actions\\"", key ``actions``) listing endpoints with the access they need. An endpoint listed in
more than one section carries the page's "Additional permissions" mark, which the page explains
as: "Some endpoints require more than one permission. Other endpoints work with any one
permission from a set." A call of such an endpoint here names the section(s) Slipway relies on
(:attr:`Call.uses`) and those its own use adds (:attr:`Call.also`, for example Workflows for a
file under ``.github/workflows/``); the test refuses a multi-section endpoint that does not say.

The calls come from the code that makes them, each cited: the pulumi-github resources
(terraform-provider-github, the upstream of pulumi-github, ``github/resource_*.go`` at
:data:`PROVIDER_COMMIT`, through go-github v89's method -> endpoint), the data sources the stacks
invoke, and the release workflow's own scripts and actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PAGE = (
    'GitHub Docs, "Permissions required for GitHub Apps" '
    "(docs.github.com/en/rest/authentication/permissions-required-for-github-apps"
    "?apiVersion=2022-11-28)"
)
PAGE_COMMIT = "058fa63bfe93d4d06889d0d18c601d6c56b66c56"
"""github/docs commit of ``src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json``
read for :data:`PAGE_SECTIONS`."""
PROVIDER_COMMIT = "20728bb30c112287ac3e8243cdb0307a45c6a0a0"
"""integrations/terraform-provider-github v6.13.0 (go-github v88), the ``upstream`` submodule of
pulumi/pulumi-github v6.15.0 (the pin of requirements.txt), read for :data:`PROVIDER_CALLS` and
:data:`INVOKE_CALLS`."""

LEVELS = {"read": 1, "write": 2}

R = "/repos/{owner}/{repo}"
ENV = R + "/environments/{environment_name}"

# --- the page: section (the App permission's name) -> endpoints and the access each needs --------

PAGE_SECTIONS: dict[str, dict[str, str]] = {
    # Repository permissions for "Actions"
    "actions": {
        f"GET {ENV}": "read",  # get-an-environment
        f"GET {ENV}/deployment-branch-policies/{{branch_policy_id}}": "read",
    },
    # Repository permissions for "Administration"
    "administration": {
        f"PUT {ENV}": "write",  # create-or-update-an-environment
        f"DELETE {ENV}": "write",
        f"POST {ENV}/deployment-branch-policies": "write",
        f"PUT {ENV}/deployment-branch-policies/{{branch_policy_id}}": "write",
        f"DELETE {ENV}/deployment-branch-policies/{{branch_policy_id}}": "write",
        f"GET {R}/actions/permissions/workflow": "read",
        f"PUT {R}/actions/permissions/workflow": "write",
        f"POST {R}/rulesets": "write",
        f"PUT {R}/rulesets/{{ruleset_id}}": "write",
        f"DELETE {R}/rulesets/{{ruleset_id}}": "write",
    },
    # Repository permissions for "Contents"
    "contents": {
        f"GET {R}/contents/{{path}}": "read",
        f"PUT {R}/contents/{{path}}": "write",  # additional permissions (Workflows)
        f"DELETE {R}/contents/{{path}}": "write",  # additional permissions (Workflows)
        f"GET {R}/commits/{{ref}}": "read",
        f"GET {R}/branches/{{branch}}": "read",  # get-a-branch
        f"GET {R}/git/ref/{{ref}}": "read",
        f"POST {R}/git/refs": "write",  # additional permissions (Workflows)
        f"PATCH {R}/git/refs/{{ref}}": "write",  # additional permissions (Workflows)
        f"DELETE {R}/git/refs/{{ref}}": "write",
        f"POST {R}/branches/{{branch}}/rename": "write",
        f"GET {R}/pulls/{{pull_number}}": "read",  # additional permissions (Pull requests)
        f"POST {R}/releases": "write",  # additional permissions (Workflows)
        f"PATCH {R}/releases/{{release_id}}": "write",
    },
    # Repository permissions for "Environments": the environments' secrets and variables, each
    # with the "Additional permissions" mark (also under "Secrets", resp. "Variables").
    "environments": {
        f"GET {ENV}/secrets/public-key": "read",
        f"GET {ENV}/secrets/{{secret_name}}": "read",
        f"PUT {ENV}/secrets/{{secret_name}}": "write",
        f"DELETE {ENV}/secrets/{{secret_name}}": "write",
        f"POST {ENV}/variables": "write",
        f"GET {ENV}/variables/{{name}}": "read",
        f"PATCH {ENV}/variables/{{name}}": "write",
        f"DELETE {ENV}/variables/{{name}}": "write",
    },
    # Repository permissions for "Metadata"
    "metadata": {
        f"GET {R}": "read",  # get-a-repository
        f"GET {R}/rulesets/{{ruleset_id}}": "read",  # get-a-repository-ruleset
        f"GET {R}/license": "read",
    },
    # Repository permissions for "Pages"
    "pages": {f"GET {R}/pages": "read"},
    # Repository permissions for "Pull requests"
    "pull_requests": {
        f"GET {R}/pulls": "read",
        f"POST {R}/pulls": "write",
        f"GET {R}/pulls/{{pull_number}}": "read",  # additional permissions (Contents)
        f"PATCH {R}/pulls/{{pull_number}}": "write",
    },
    # Repository permissions for "Secrets" (the environment ones, with the mark)
    "secrets": {
        f"GET {ENV}/secrets/public-key": "read",
        f"GET {ENV}/secrets/{{secret_name}}": "read",
        f"PUT {ENV}/secrets/{{secret_name}}": "write",
        f"DELETE {ENV}/secrets/{{secret_name}}": "write",
    },
    # Repository permissions for "Variables" (the environment ones, with the mark)
    "actions_variables": {
        f"POST {ENV}/variables": "write",
        f"GET {ENV}/variables/{{name}}": "read",
        f"PATCH {ENV}/variables/{{name}}": "write",
        f"DELETE {ENV}/variables/{{name}}": "write",
    },
    # Repository permissions for "Workflows" (each with the mark; Contents lists them too)
    "workflows": {
        f"PUT {R}/contents/{{path}}": "write",
        f"DELETE {R}/contents/{{path}}": "write",
        f"POST {R}/git/refs": "write",
        f"PATCH {R}/git/refs/{{ref}}": "write",
        f"POST {R}/releases": "write",
    },
}

NOT_ON_PAGE: dict[str, str] = {
    "GET /orgs/{org}": "public organization profile: in no section of the page",
    "GET /users/{username}": "public user profile: in no section of the page",
    "GET /users/{username}/gpg_keys": "public: in no section of the page",
    "GET /users/{username}/keys": (
        'public keys; the page lists it only under User permissions "Git SSH keys", which an '
        "installation token never holds"
    ),
    "GET /orgs/{org}/teams/{team_slug}": (
        'in no section of the page (its "Members" section lists the team listings, not '
        "get-a-team-by-name): a visible team needs no permission"
    ),
}
"""Endpoints the tokens call that the page requires no permission for, with why."""


def page_rows() -> dict[str, dict[str, str]]:
    """Endpoint -> {section: access} over every section of :data:`PAGE_SECTIONS`."""
    rows: dict[str, dict[str, str]] = {}
    for section, endpoints in PAGE_SECTIONS.items():
        for endpoint, access in endpoints.items():
            rows.setdefault(endpoint, {})[section] = access
    return rows


@dataclass(frozen=True)
class Call:
    """One endpoint a token calls. ``uses``: for an endpoint the page lists in several sections,
    the one(s) Slipway relies on; ``also``: sections the call needs besides, with ``why``."""

    endpoint: str
    uses: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    why: str = ""


ENV_SECRETS_USE = ("environments",)
"""Environment secrets and variables: the page lists them under "Environments" and under
"Secrets" (resp. "Variables"), with the "Additional permissions" mark. Slipway relies on
Environments, which reaches only environments, not the repositories' own Actions secrets and
variables."""
WORKFLOW_FILES = ("workflows",)
WORKFLOW_FILES_WHY = (
    "the stacks write files under .github/workflows/ (WorkflowSet); GitHub refuses an App's "
    "change to them without the Workflows permission"
)


def _env(endpoint: str) -> Call:
    return Call(endpoint, uses=ENV_SECRETS_USE)


# --- what the GitHub provider calls, per resource type and operation ----------------------------
# Resource type token -> operation (read, create, update, delete) -> calls. "read" is what a
# refresh or a preview calls (and create/update read back); the others are what `up` adds.

PROVIDER_CALLS: dict[str, dict[str, tuple[Call, ...]]] = {
    # github/resource_github_repository_environment.go: create: CreateUpdateEnvironment,
    # Repositories.Get; read: GetEnvironment; update: CreateUpdateEnvironment; delete:
    # DeleteEnvironment. (Functions as named there: ...Create, ...Read, ...Update, ...Delete.)
    "github:index/repositoryEnvironment:RepositoryEnvironment": {
        "read": (Call(f"GET {ENV}"),),
        "create": (Call(f"PUT {ENV}"), Call(f"GET {R}")),
        "update": (Call(f"PUT {ENV}"),),
        "delete": (Call(f"DELETE {ENV}"),),
    },
    # github/resource_github_repository_environment_deployment_policy.go: create:
    # Repositories.Get, CreateDeploymentBranchPolicy; read: GetDeploymentBranchPolicy; update:
    # UpdateDeploymentBranchPolicy; delete: DeleteDeploymentBranchPolicy (tag patterns too).
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": {
        "read": (Call(f"GET {ENV}/deployment-branch-policies/{{branch_policy_id}}"),),
        "create": (Call(f"GET {R}"), Call(f"POST {ENV}/deployment-branch-policies")),
        "update": (Call(f"PUT {ENV}/deployment-branch-policies/{{branch_policy_id}}"),),
        "delete": (Call(f"DELETE {ENV}/deployment-branch-policies/{{branch_policy_id}}"),),
    },
    # github/resource_github_actions_environment_variable.go: create: CreateEnvVariable,
    # Repositories.Get, GetEnvVariable; read: GetEnvVariable; update: UpdateEnvVariable,
    # GetEnvVariable; delete: DeleteEnvVariable.
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": {
        "read": (_env(f"GET {ENV}/variables/{{name}}"),),
        "create": (
            _env(f"POST {ENV}/variables"),
            Call(f"GET {R}"),
            _env(f"GET {ENV}/variables/{{name}}"),
        ),
        "update": (_env(f"PATCH {ENV}/variables/{{name}}"), _env(f"GET {ENV}/variables/{{name}}")),
        "delete": (_env(f"DELETE {ENV}/variables/{{name}}"),),
    },
    # github/resource_github_actions_environment_secret.go: create: Repositories.Get (the
    # repository's ID), GetEnvPublicKey, CreateOrUpdateEnvSecret, GetEnvSecret; read:
    # GetEnvSecret; update: the same as create but Repositories.Get; delete: DeleteEnvSecret.
    # go-github v88 calls these operations (create-or-update-an-environment-secret, ...) by
    # the /repositories/{repository_id}/environments/... form of their path; the page lists
    # them under their /repos/{owner}/{repo}/environments/... form.
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": {
        "read": (_env(f"GET {ENV}/secrets/{{secret_name}}"),),
        "create": (
            Call(f"GET {R}"),
            _env(f"GET {ENV}/secrets/public-key"),
            _env(f"PUT {ENV}/secrets/{{secret_name}}"),
            _env(f"GET {ENV}/secrets/{{secret_name}}"),
        ),
        "update": (
            _env(f"GET {ENV}/secrets/public-key"),
            _env(f"PUT {ENV}/secrets/{{secret_name}}"),
            _env(f"GET {ENV}/secrets/{{secret_name}}"),
        ),
        "delete": (_env(f"DELETE {ENV}/secrets/{{secret_name}}"),),
    },
    # github/resource_github_repository_ruleset.go: create: CreateRuleset, Repositories.Get;
    # read: GetRuleset; update: Repositories.Get, UpdateRuleset; delete: DeleteRuleset.
    "github:index/repositoryRuleset:RepositoryRuleset": {
        "read": (Call(f"GET {R}/rulesets/{{ruleset_id}}"),),
        "create": (Call(f"POST {R}/rulesets"), Call(f"GET {R}")),
        "update": (Call(f"GET {R}"), Call(f"PUT {R}/rulesets/{{ruleset_id}}")),
        "delete": (Call(f"DELETE {R}/rulesets/{{ruleset_id}}"),),
    },
    # github/resource_github_workflow_repository_permissions.go: Repositories.
    # GetDefaultWorkflowPermissions, UpdateDefaultWorkflowPermissions (delete puts defaults back).
    "github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions": {
        "read": (Call(f"GET {R}/actions/permissions/workflow"),),
        "create": (Call(f"PUT {R}/actions/permissions/workflow"),),
        "update": (Call(f"PUT {R}/actions/permissions/workflow"),),
        "delete": (Call(f"PUT {R}/actions/permissions/workflow"),),
    },
    # github/resource_github_branch.go: create: Git.GetRef (the source branch), Git.CreateRef;
    # read: Git.GetRef; update: Repositories.RenameBranch (a new name); delete: Git.DeleteRef.
    "github:index/branch:Branch": {
        "read": (Call(f"GET {R}/git/ref/{{ref}}"),),
        "create": (
            Call(f"GET {R}/git/ref/{{ref}}"),
            Call(f"POST {R}/git/refs", uses=("contents",)),
        ),
        "update": (Call(f"POST {R}/branches/{{branch}}/rename"),),
        "delete": (Call(f"DELETE {R}/git/refs/{{ref}}"),),
    },
    # github/resource_github_repository_file.go: create: Repositories.Get (the default branch),
    # checkRepositoryBranchExists (util_repo.go: Repositories.GetBranch), GetContents (an
    # existing file: overwrite_on_create), CreateFile (PUT contents); read: GetContents,
    # GetCommit (the last commit's message and author); update: UpdateFile (PUT contents);
    # delete: DeleteFile (never in practice: retainOnDelete, but the provider can). Git.GetRef
    # and CreateRef only with autocreate_branch, which WorkflowSet does not set.
    "github:index/repositoryFile:RepositoryFile": {
        "read": (
            Call(f"GET {R}/contents/{{path}}"),
            Call(f"GET {R}/commits/{{ref}}"),
        ),
        "create": (
            Call(f"GET {R}"),
            Call(f"GET {R}/branches/{{branch}}"),
            Call(f"GET {R}/contents/{{path}}"),
            Call(
                f"PUT {R}/contents/{{path}}",
                uses=("contents",),
                also=WORKFLOW_FILES,
                why=WORKFLOW_FILES_WHY,
            ),
        ),
        "update": (
            Call(
                f"PUT {R}/contents/{{path}}",
                uses=("contents",),
                also=WORKFLOW_FILES,
                why=WORKFLOW_FILES_WHY,
            ),
        ),
        "delete": (
            Call(
                f"DELETE {R}/contents/{{path}}",
                uses=("contents",),
                also=WORKFLOW_FILES,
                why=WORKFLOW_FILES_WHY,
            ),
        ),
    },
    # github/resource_github_repository_pull_request.go: PullRequests.Get, Create, Edit (update;
    # delete closes it with Edit).
    "github:index/repositoryPullRequest:RepositoryPullRequest": {
        "read": (Call(f"GET {R}/pulls/{{pull_number}}", uses=("pull_requests",)),),
        "create": (Call(f"POST {R}/pulls"),),
        "update": (Call(f"PATCH {R}/pulls/{{pull_number}}"),),
        "delete": (Call(f"PATCH {R}/pulls/{{pull_number}}"),),
    },
}

INVOKE_CALLS: dict[str, tuple[Call, ...]] = {
    # github/data_source_github_repository.go: Repositories.Get; License when the repository has
    # one; GetPagesInfo only when it publishes GitHub Pages (see PAGES_LIMITATION).
    "get_repository": (Call(f"GET {R}"), Call(f"GET {R}/license")),
    # github/data_source_github_organization.go: Organizations.Get (summary_only: nothing else).
    "get_organization": (Call("GET /orgs/{org}"),),
    # github/data_source_github_user.go: Users.Get, ListGPGKeys, ListKeys.
    "get_user": (
        Call("GET /users/{username}"),
        Call("GET /users/{username}/gpg_keys"),
        Call("GET /users/{username}/keys"),
    ),
    # github/data_source_github_team.go: Teams.GetTeamBySlug (summary_only: no members/repos).
    "get_team": (Call("GET /orgs/{org}/teams/{team_slug}"),),
}

PAGES_LIMITATION = (
    "get_repository also reads GET /repos/{owner}/{repo}/pages when the repository publishes "
    "GitHub Pages (Pages: read), which the infra apps do not hold"
)

# --- the release workflow (.github/workflows/release.yml), release app token ---------------------

RELEASE_JOB_CALLS: dict[str, tuple[Call, ...]] = {
    # changesets/action v2.1.1 (8488615a) src/run.ts: pulls.list, pulls.create (the title and
    # body of an open one through GraphQL); the version branch's commit through
    # @changesets/ghcommit (bundled in dist/run-*.js): git.createRef (a temporary branch at the
    # base), GraphQL createCommitOnBranch, git.updateRef (force) of the version branch, which
    # then holds the default branch's workflow changes (docs/deployment-guide.md, "The release
    # GitHub App"), git.deleteRef (the temporary branch).
    "version": (
        Call(f"GET {R}/pulls"),
        Call(f"POST {R}/pulls"),
        Call(f"POST {R}/git/refs", uses=("contents",)),
        Call(
            f"PATCH {R}/git/refs/{{ref}}",
            uses=("contents",),
            also=WORKFLOW_FILES,
            why="the version branch moves onto the default branch's workflow changes",
        ),
        Call(f"DELETE {R}/git/refs/{{ref}}"),
    ),
    # src/github.ts pushTag (git.createRef refs/tags/...), src/run.ts repos.createRelease;
    # steps/require-published.sh: GET git/ref/tags/{tag}.
    "publish": (
        Call(f"POST {R}/git/refs", uses=("contents",)),
        Call(f"POST {R}/releases", uses=("contents",)),
        Call(f"GET {R}/git/ref/{{ref}}"),
    ),
    # steps/restore-latest-release.sh: PATCH releases/{id}; steps/lib/release-line.sh:
    # GET git/ref/heads/{branch}, POST git/refs, PATCH git/refs/heads/{branch}.
    "housekeeping": (
        Call(f"PATCH {R}/releases/{{release_id}}"),
        Call(f"GET {R}/git/ref/{{ref}}"),
        Call(f"POST {R}/git/refs", uses=("contents",)),
        Call(f"PATCH {R}/git/refs/{{ref}}", uses=("contents",)),
    ),
}
"""Release job id -> REST calls with the release app's token. The commit of the version branch
itself goes through GitHub's GraphQL API (``createCommitOnBranch``), which the page does not
cover."""


def required(calls: Iterable[Call]) -> dict[str, str]:
    """The permissions (at the highest access any call needs) that ``calls`` need, from the
    page; every installation token holds Metadata (read)."""
    rows = page_rows()
    need: dict[str, str] = {"metadata": "read"}
    for call in calls:
        if call.endpoint in NOT_ON_PAGE:
            continue
        row = rows[call.endpoint]
        for section in (call.uses or tuple(row)) + call.also:
            access = row[section]
            if LEVELS[access] > LEVELS.get(need.get(section, ""), 0):
                need[section] = access
    return need


def holds(grants: Mapping[str, str], needs: Mapping[str, str]) -> dict[str, str]:
    """What of ``needs`` ``grants`` lacks (permission -> access needed)."""
    return {
        name: access
        for name, access in needs.items()
        if LEVELS.get(grants.get(name, ""), 0) < LEVELS[access]
    }
