"""``RepositoryGuardrails``: the application repository's branch rulesets and settings.

Repository-level resources have exactly ONE owner stack (docs: design notes): two stacks that
manage the same ruleset or setting fight on every ``up``. The stack that owns them creates this
component; the others do not.

* A branch ruleset on ``~DEFAULT_BRANCH``, enforced: changes arrive through pull requests with
  approving reviews (stale approvals dismissed), the required status checks pass, no force
  push, no deletion.
* A second ruleset with the same rules on the release branches ``release.yml`` creates
  (:data:`~slipway.workflows.release.RELEASE_BRANCH_PATTERNS`), so a hotfix reaches a
  maintenance line the way a change reaches the default branch. Its required checks are not
  enforced on creation; pushes to, force pushes to and deletions of an existing release branch
  are governed.
* The release identity (``release_app_id``, a GitHub App): a third ruleset restricts creating
  release branches, and a tag ruleset restricts creating, moving and deleting release tags
  (:data:`~slipway.workflows.release.RELEASE_TAG_PATTERNS`); the app is the only bypass
  actor of both. Without an app (``GITHUB_TOKEN`` releases) anyone with write access can
  create release branches and tags, since the workflow's token cannot be a bypass actor; the
  tag ruleset then only forbids moving and deleting them, and a warning says so.
* Workflow permissions: ``GITHUB_TOKEN`` is read-only by default (the generated workflows ask
  for what they need per job), and whether Actions may create and approve pull requests.
* Optionally ``.github/CODEOWNERS`` naming the owners of ``.github/workflows/``.

Rulesets layer: every ruleset that targets a ref applies, the most restrictive version of a
rule wins, and a bypass actor bypasses only the ruleset that lists it (GitHub Docs, "About
rulesets", section "About rule layering",
https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets).
That is why creation has a ruleset of its own: the app may create a release branch, and
still cannot push to one without the pull request and checks of the release-branch ruleset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github

from slipway.errors import ConfigError, invalid
from slipway.patterns import REPOSITORY_SLUG, code_owner_problems
from slipway.workflows.docker import pull_request_check_names
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, RELEASE_TAG_PATTERNS

GITHUB_ACTIONS_APP_ID = 15368
"""ID of the GitHub Actions app: a required check pinned to it cannot be satisfied by a commit
status that someone with write access posts under the same name."""
DEFAULT_STATUS_CHECKS = pull_request_check_names()
"""Names of the checks the generated ``docker.yml`` reports on pull requests: its ``check`` job
once per platform (``Check the image (linux/amd64)``…: tests inside the image, smoke test,
scan) and its Dockerfile lint."""
CODEOWNERS_PATH = ".github/CODEOWNERS"

RELEASE_RULESET_NAME = "slipway-release-branches"
"""Name of the release-branch ruleset as GitHub shows it."""
RELEASE_CREATION_RULESET_NAME = "slipway-release-branch-creation"
"""Name of the ruleset that lets only the release app create release branches."""
RELEASE_TAGS_RULESET_NAME = "slipway-release-tags"
"""Name of the release-tag ruleset."""
RESERVED_RULESET_NAMES = (
    RELEASE_RULESET_NAME,
    RELEASE_CREATION_RULESET_NAME,
    RELEASE_TAGS_RULESET_NAME,
)
APP_BYPASS_MODE = "always"
"""The release app bypasses its rulesets on every push and API call, not only in pull
requests (``pull_request``)."""
RULESET_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,100}$")


MAX_REQUIRED_APPROVALS = 10
"""The most approving reviews a ruleset's pull-request rule can require (GitHub REST API,
"Create a repository ruleset", ``required_approving_review_count``: 0 to 10,
https://docs.github.com/en/rest/repos/rules#create-a-repository-ruleset)."""


def required_approvals_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is 1 to :data:`MAX_REQUIRED_APPROVALS`: at least one
    approval, since the default branch is where releases start."""
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= MAX_REQUIRED_APPROVALS
    ):
        return []
    return [invalid(setting, value, f"1 to {MAX_REQUIRED_APPROVALS}")]


def app_id_problems(app_id: object, setting: str) -> list[str]:
    """The one rule for a GitHub App's numeric App ID: a whole number above 0."""
    if isinstance(app_id, int) and not isinstance(app_id, bool) and app_id > 0:
        return []
    return [invalid(setting, app_id, "the GitHub App's numeric App ID, a whole number above 0")]


@dataclass(frozen=True)
class RepositoryGuardrailsArgs:
    """Arguments of :class:`RepositoryGuardrails`. Defaults are the protective choices."""

    repository: str
    """``owner/name`` of the application repository; the resources take the name, the GitHub
    provider's ``owner`` must be the same owner."""
    ruleset_name: str = "slipway-default-branch"
    """Name of the default-branch ruleset as GitHub shows it (not ``slipway-release-branches``,
    the release-branch ruleset's name)."""
    protect_release_branches: bool = True
    """Also create the ruleset ``slipway-release-branches`` on the release branches
    ``release.yml`` creates, with the same pull request and status check rules as the default
    branch, no force push and no deletion, and the release-tag ruleset
    ``slipway-release-tags``; with ``release_app_id`` also ``slipway-release-branch-creation``.
    Default: on; turn off only when the repository does not use the generated ``release.yml``
    or other rulesets already govern its release branches and tags."""
    release_app_id: int | None = None
    """App ID (the number, not the client ID) of the GitHub App the release jobs act as: the
    only actor that may create release branches and create, move or delete release tags.
    Default: none; then anyone with write access can create them (``GITHUB_TOKEN`` cannot be
    a bypass actor), and the component warns."""
    required_approvals: int = 1
    """Approving reviews a pull request needs, 1 to 10. Default: 1."""
    require_last_push_approval: bool = True
    """The most recent push must be approved by someone other than its author. Default: on."""
    require_code_owner_review: bool = False
    """A code owner must approve changes to the files they own. Default: off; turn on with
    ``codeowners`` or ``external_codeowners``."""
    required_status_checks: Sequence[str] = DEFAULT_STATUS_CHECKS
    """Check names that must pass before merging. Default: the generated ``docker.yml``'s pull
    request checks; add your own test jobs' names. Empty: no status check required."""
    status_check_integration_id: int | None = GITHUB_ACTIONS_APP_ID
    """App the required checks must come from. Default: GitHub Actions; None accepts any source."""
    require_up_to_date_branch: bool = True
    """Checks must have run on the latest target branch, the default branch or the release
    branch the pull request goes to (strict policy). Default: on."""
    actions_can_create_pull_requests: bool = False
    """Let workflows create and approve pull requests with ``GITHUB_TOKEN`` (GitHub's single
    setting ``can_approve_pull_request_reviews``). Only ``release.yml`` without a release app
    needs it (Changesets opens the version pull request with ``GITHUB_TOKEN``); refused with
    ``release_app_id``. Default: off, because any workflow could then also approve a pull
    request and count towards ``required_approvals``; when on, the component warns. Note that a
    pull request opened with ``GITHUB_TOKEN`` starts no ``pull_request`` workflow, so its
    required checks only run after a human pushes to it (or closes and reopens it)."""
    codeowners: Sequence[str] = ()
    """Owners (``@user``, ``@org/team``) of ``.github/workflows/`` and of the CODEOWNERS file,
    written to ``.github/CODEOWNERS``. Default: none, no file. See :class:`RepositoryGuardrails`
    for the trade-off of committing it."""
    codeowners_branch: str | None = None
    """Branch the CODEOWNERS commit goes to. Default: the default branch."""
    external_codeowners: bool = False
    """The repository's CODEOWNERS is delivered by other means, such as the workflow pull
    request (``WorkflowSpec.code_owners`` renders ``.github/CODEOWNERS`` beside the
    workflows): ``require_code_owner_review`` may be on without ``codeowners``, and this
    component writes no file. Default: off."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "RepositoryGuardrailsArgs."
        if not REPOSITORY_SLUG.match(self.repository):
            problems.append(
                invalid(name + "repository", self.repository, "owner/name of a GitHub repository")
            )
        if not RULESET_NAME.match(self.ruleset_name):
            problems.append(
                invalid(
                    name + "ruleset_name", self.ruleset_name, "1 to 100 letters, digits, ' ._-'"
                )
            )
        elif self.protect_release_branches and self.ruleset_name in RESERVED_RULESET_NAMES:
            problems.append(
                invalid(
                    name + "ruleset_name",
                    self.ruleset_name,
                    f"a name other than {', '.join(map(repr, RESERVED_RULESET_NAMES))}, the "
                    "release rulesets' names",
                )
            )
        if self.release_app_id is not None and (
            found := app_id_problems(self.release_app_id, name + "release_app_id")
        ):
            problems += found
        elif self.release_app_id is not None and self.actions_can_create_pull_requests:
            problems.append(
                invalid(
                    name + "actions_can_create_pull_requests",
                    True,
                    "False with release_app_id: the app opens the version pull request, and no "
                    "workflow needs to create or approve pull requests with GITHUB_TOKEN",
                )
            )
        if self.release_app_id is not None and not self.protect_release_branches:
            problems.append(
                invalid(
                    name + "release_app_id",
                    self.release_app_id,
                    "None when protect_release_branches is off: the app's bypass lives in the "
                    "release rulesets",
                )
            )
        problems.extend(
            required_approvals_problems(self.required_approvals, name + "required_approvals")
        )
        checks = list(self.required_status_checks)
        if any(not c.strip() or c != c.strip() for c in checks) or len(set(checks)) != len(checks):
            problems.append(
                invalid(
                    name + "required_status_checks",
                    checks,
                    "distinct check names without surrounding spaces",
                )
            )
        if self.status_check_integration_id is not None and self.status_check_integration_id < 1:
            problems.append(
                invalid(
                    name + "status_check_integration_id",
                    self.status_check_integration_id,
                    "a GitHub App ID, or None",
                )
            )
        problems += code_owner_problems(list(self.codeowners), name + "codeowners")
        if self.require_code_owner_review and not (self.codeowners or self.external_codeowners):
            problems.append(
                invalid(
                    name + "require_code_owner_review",
                    True,
                    "only with codeowners or external_codeowners (nobody could approve otherwise)",
                )
            )
        if self.external_codeowners and self.codeowners:
            problems.append(
                invalid(
                    name + "external_codeowners",
                    True,
                    "off when this component writes CODEOWNERS itself (codeowners): one file",
                )
            )
        if self.codeowners_branch is not None and not (
            self.codeowners
            and re.match(r"^[A-Za-z0-9._/-]{1,255}$", self.codeowners_branch)
            and ".." not in self.codeowners_branch
        ):
            problems.append(
                invalid(
                    name + "codeowners_branch",
                    self.codeowners_branch,
                    "a branch name, and only with codeowners",
                )
            )
        if problems:
            raise ConfigError(problems)

    @property
    def repository_name(self) -> str:
        """The repository's name without the owner."""
        return self.repository.split("/", 1)[1]


def codeowners_content(owners: Sequence[str]) -> str:
    """``.github/CODEOWNERS``: ``owners`` own the workflows and this file."""
    who = " ".join(owners)
    return (
        "# Managed by Slipway (Pulumi, RepositoryGuardrails). Changes here are overwritten.\n"
        f"/.github/workflows/ {who}\n"
        f"/{CODEOWNERS_PATH} {who}\n"
    )


def _release_refs(prefix: str, patterns: Sequence[str]) -> github.RepositoryRulesetConditionsArgs:
    return github.RepositoryRulesetConditionsArgs(
        ref_name=github.RepositoryRulesetConditionsRefNameArgs(
            includes=[f"{prefix}{p}" for p in patterns], excludes=[]
        )
    )


def _app_bypass(app_id: int | None) -> list[github.RepositoryRulesetBypassActorArgs] | None:
    """The release app as the only bypass actor (``Integration``: a GitHub App, by App ID)."""
    if app_id is None:
        return None
    return [
        github.RepositoryRulesetBypassActorArgs(
            actor_type="Integration", actor_id=app_id, bypass_mode=APP_BYPASS_MODE
        )
    ]


def _branch_rules(
    args: RepositoryGuardrailsArgs, *, allow_creation: bool
) -> github.RepositoryRulesetRulesArgs:
    """Pull requests with approvals, the required checks, no force push, no deletion: the rules
    every protected branch gets. ``allow_creation`` lets a matching branch be created even
    though its commit carries no required checks yet (``do_not_enforce_on_create``)."""
    status_checks = (
        github.RepositoryRulesetRulesRequiredStatusChecksArgs(
            required_checks=[
                github.RepositoryRulesetRulesRequiredStatusChecksRequiredCheckArgs(
                    context=check, integration_id=args.status_check_integration_id
                )
                for check in args.required_status_checks
            ],
            strict_required_status_checks_policy=args.require_up_to_date_branch,
            do_not_enforce_on_create=True if allow_creation else None,
        )
        if args.required_status_checks
        else None
    )
    return github.RepositoryRulesetRulesArgs(
        pull_request=github.RepositoryRulesetRulesPullRequestArgs(
            required_approving_review_count=args.required_approvals,
            dismiss_stale_reviews_on_push=True,
            require_last_push_approval=args.require_last_push_approval,
            require_code_owner_review=args.require_code_owner_review,
        ),
        required_status_checks=status_checks,
        non_fast_forward=True,
        deletion=True,
    )


class RepositoryGuardrails(pulumi.ComponentResource):
    """Branch rulesets, workflow permissions and (optionally) CODEOWNERS of one repository.

    Create it in exactly one stack. CODEOWNERS trade-off: the file is committed through the
    contents API. On the default branch the commit is made before the ruleset exists on the
    first ``up`` (the ruleset depends on it); a later change to the owners is refused by the
    ruleset ("changes must be made through a pull request") unless the provider's identity may
    bypass it. With ``codeowners_branch`` the commit goes to that branch instead, and a pull
    request (the one that delivers the workflows) takes it to the default branch.

    The release-branch ruleset (``protect_release_branches``) has, like the default-branch one,
    no bypass actor. The release identity can still create the branches: the ruleset has no
    "restrict creations" rule, its required checks are not enforced on creation, and the pull
    request rule is checked on updates of a branch, not on its creation (as reported by users;
    GitHub's rules reference does not say it in so many words). Creation is restricted by
    ``slipway-release-branch-creation``, which only the release app bypasses.

    Outputs:
        ruleset_id: ID of the default-branch ruleset.
        release_branches_ruleset_id: ID of the release-branch ruleset, None when
            ``protect_release_branches`` is off.
        release_creation_ruleset_id: ID of the release-branch creation ruleset, None without
            ``release_app_id``.
        release_tags_ruleset_id: ID of the release-tag ruleset, None when
            ``protect_release_branches`` is off.
        required_status_checks: The check names both rulesets require.
        codeowners_path: ``.github/CODEOWNERS`` when the component writes it, else None.
    """

    TOKEN = "slipway:index:RepositoryGuardrails"

    ruleset_id: pulumi.Output[str]
    release_branches_ruleset_id: pulumi.Output[str] | None
    release_creation_ruleset_id: pulumi.Output[str] | None
    release_tags_ruleset_id: pulumi.Output[str] | None
    required_status_checks: pulumi.Output[list[str]]
    codeowners_path: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        args: RepositoryGuardrailsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        repository = args.repository_name
        ruleset_after: list[pulumi.Resource] = []
        self.codeowners_path = None
        if args.codeowners:
            codeowners = github.RepositoryFile(
                f"{name}-codeowners",
                repository=repository,
                file=CODEOWNERS_PATH,
                content=codeowners_content(args.codeowners),
                branch=args.codeowners_branch,
                commit_message="Set the owners of the GitHub workflows (Slipway)",
                # Never silently replace a CODEOWNERS file someone else wrote.
                overwrite_on_create=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            if args.codeowners_branch is None:
                ruleset_after.append(codeowners)
            self.codeowners_path = codeowners.file

        ruleset = github.RepositoryRuleset(
            f"{name}-ruleset",
            name=args.ruleset_name,
            repository=repository,
            target="branch",
            enforcement="active",
            conditions=github.RepositoryRulesetConditionsArgs(
                ref_name=github.RepositoryRulesetConditionsRefNameArgs(
                    includes=["~DEFAULT_BRANCH"], excludes=[]
                )
            ),
            rules=_branch_rules(args, allow_creation=False),
            opts=pulumi.ResourceOptions(parent=self, depends_on=ruleset_after),
        )
        self.release_branches_ruleset_id = None
        self.release_creation_ruleset_id = None
        self.release_tags_ruleset_id = None
        app = args.release_app_id
        if args.protect_release_branches:
            release_ruleset = github.RepositoryRuleset(
                f"{name}-release-branches",
                name=RELEASE_RULESET_NAME,
                repository=repository,
                target="branch",
                enforcement="active",
                conditions=_release_refs("refs/heads/", RELEASE_BRANCH_PATTERNS),
                # No ``creation`` rule and no bypass: creation has a ruleset of its own, so the
                # release app's bypass there does not reach the pull request rule here.
                rules=_branch_rules(args, allow_creation=True),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.release_branches_ruleset_id = release_ruleset.id
            if app is not None:
                creation = github.RepositoryRuleset(
                    f"{name}-release-branch-creation",
                    name=RELEASE_CREATION_RULESET_NAME,
                    repository=repository,
                    target="branch",
                    enforcement="active",
                    conditions=_release_refs("refs/heads/", RELEASE_BRANCH_PATTERNS),
                    rules=github.RepositoryRulesetRulesArgs(creation=True),
                    bypass_actors=_app_bypass(app),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.release_creation_ruleset_id = creation.id
            else:
                pulumi.log.warn(
                    f"RepositoryGuardrails {name}: no release app (release_app_id; Slipway's "
                    "releaseToken github-token), so anyone with write access to "
                    f"{args.repository} can create a release branch or a release tag, and a "
                    "release runs from it. Set up the release GitHub App "
                    "(docs/deployment-guide.md#the-release-github-app).",
                    resource=self,
                )
            tags = github.RepositoryRuleset(
                f"{name}-release-tags",
                name=RELEASE_TAGS_RULESET_NAME,
                repository=repository,
                target="tag",
                enforcement="active",
                conditions=_release_refs("refs/tags/", RELEASE_TAG_PATTERNS),
                # Without an app there is nobody to let through: tags can still be created
                # (by GITHUB_TOKEN, and by any writer), never moved or deleted.
                rules=github.RepositoryRulesetRulesArgs(
                    creation=True if app is not None else None, update=True, deletion=True
                ),
                bypass_actors=_app_bypass(app),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.release_tags_ruleset_id = tags.id
        if args.actions_can_create_pull_requests:
            pulumi.log.warn(
                f"RepositoryGuardrails {name}: GitHub Actions may create and approve pull "
                f"requests in {args.repository} (actions_can_create_pull_requests; Slipway's "
                "releaseToken github-token): any workflow can approve a pull request, and the "
                "version pull request, opened with GITHUB_TOKEN, runs no checks until a human "
                "pushes to it.",
                resource=self,
            )
        github.WorkflowRepositoryPermissions(
            f"{name}-workflow-permissions",
            repository=repository,
            default_workflow_permissions="read",
            can_approve_pull_request_reviews=args.actions_can_create_pull_requests,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.ruleset_id = ruleset.id
        self.required_status_checks = pulumi.Output.from_input(list(args.required_status_checks))
        self.register_outputs(
            {
                "ruleset_id": self.ruleset_id,
                "release_branches_ruleset_id": self.release_branches_ruleset_id,
                "release_creation_ruleset_id": self.release_creation_ruleset_id,
                "release_tags_ruleset_id": self.release_tags_ruleset_id,
                "required_status_checks": self.required_status_checks,
                "codeowners_path": self.codeowners_path,
            }
        )
