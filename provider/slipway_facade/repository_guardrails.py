"""``RepositoryGuardrails`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class RepositoryGuardrailsArgs(TypedDict):
    """Arguments of :class:`RepositoryGuardrails`. Defaults are the protective choices."""

    repository: str
    """``owner/name`` of the application repository; the resources take the name, the GitHub
    provider's ``owner`` must be the same owner."""
    ruleset_name: NotRequired[str]
    """Name of the default-branch ruleset as GitHub shows it (not ``slipway-release-branches``, the
    release-branch ruleset's name)."""
    protect_release_branches: NotRequired[bool]
    """Also create the ruleset ``slipway-release-branches`` on the release branches ``release.yml``
    creates, with the same pull request and status check rules as the default branch, no force
    push and no deletion, and the release-tag ruleset ``slipway-release-tags``; with
    ``release_app_id`` also ``slipway-release-branch-creation``. Default: on; turn off only when
    the repository does not use the generated ``release.yml`` or other rulesets already govern
    its release branches and tags."""
    release_app_id: NotRequired[int]
    """App ID (the number, not the client ID) of the GitHub App the release jobs act as: the only
    actor that may create release branches and create, move or delete release tags. Default:
    none; then anyone with write access can create them (``GITHUB_TOKEN`` cannot be a bypass
    actor), and the component warns."""
    required_approvals: NotRequired[int]
    """Approving reviews a pull request needs, 1 to 10. Default: 1."""
    require_last_push_approval: NotRequired[bool]
    """The most recent push must be approved by someone other than its author. Default: on."""
    require_code_owner_review: NotRequired[bool]
    """A code owner must approve changes to the files they own. Default: off; turn on with
    ``codeowners`` or ``external_codeowners``."""
    required_status_checks: NotRequired[list[str]]
    """Check names that must pass before merging. Default: the generated ``docker.yml``'s pull
    request checks; add your own test jobs' names. Empty: no status check required."""
    status_check_integration_id: NotRequired[int]
    """App the required checks must come from. Default: GitHub Actions; None accepts any source."""
    require_up_to_date_branch: NotRequired[bool]
    """Checks must have run on the latest target branch, the default branch or the release branch
    the pull request goes to (strict policy). Default: on."""
    actions_can_create_pull_requests: NotRequired[bool]
    """Let workflows create and approve pull requests with ``GITHUB_TOKEN`` (GitHub's single
    setting ``can_approve_pull_request_reviews``). Only ``release.yml`` without a release app
    needs it (Changesets opens the version pull request with ``GITHUB_TOKEN``); refused with
    ``release_app_id``. Default: off, because any workflow could then also approve a pull
    request and count towards ``required_approvals``; when on, the component warns. Note that a
    pull request opened with ``GITHUB_TOKEN`` starts no ``pull_request`` workflow, so its
    required checks only run after a human pushes to it (or closes and reopens it)."""
    codeowners: NotRequired[list[str]]
    """Owners (``@user``, ``@org/team``) of ``.github/workflows/`` and of the CODEOWNERS file,
    written to ``.github/CODEOWNERS``. Default: none, no file. See :class:`RepositoryGuardrails`
    for the trade-off of committing it."""
    codeowners_branch: NotRequired[str]
    """Branch the CODEOWNERS commit goes to. Default: the default branch."""
    external_codeowners: NotRequired[bool]
    """The repository's CODEOWNERS is delivered by other means, such as the workflow pull request
    (``WorkflowSpec.code_owners`` renders ``.github/CODEOWNERS`` beside the workflows):
    ``require_code_owner_review`` may be on without ``codeowners``, and this component writes no
    file. Default: off."""


class RepositoryGuardrails(pulumi.ComponentResource):
    """Branch rulesets, workflow permissions and (optionally) CODEOWNERS of one repository.
    Create it in exactly one stack."""

    ruleset_id: pulumi.Output[str]
    """ID of the default-branch ruleset."""
    release_branches_ruleset_id: pulumi.Output[str] | None
    """ID of the release-branch ruleset; absent when ``protectReleaseBranches`` is off."""
    release_creation_ruleset_id: pulumi.Output[str] | None
    """ID of the release-branch creation ruleset; absent without ``releaseAppId``."""
    release_tags_ruleset_id: pulumi.Output[str] | None
    """ID of the release-tag ruleset; absent when ``protectReleaseBranches`` is off."""
    required_status_checks: pulumi.Output[list[str]]
    """The check names both rulesets require."""
    codeowners_path: pulumi.Output[str] | None
    """``.github/CODEOWNERS`` when the component writes it; absent otherwise."""

    def __init__(
        self,
        name: str,
        args: RepositoryGuardrailsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("slipway:index:RepositoryGuardrails", name, None, opts)
        inner = slipway.RepositoryGuardrails(
            name,
            typed_args(slipway.RepositoryGuardrailsArgs, args),
            pulumi.ResourceOptions(parent=self),
        )
        self.ruleset_id = inner.ruleset_id
        self.release_branches_ruleset_id = inner.release_branches_ruleset_id
        self.release_creation_ruleset_id = inner.release_creation_ruleset_id
        self.release_tags_ruleset_id = inner.release_tags_ruleset_id
        self.required_status_checks = inner.required_status_checks
        self.codeowners_path = inner.codeowners_path
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
