"""``DeploymentEnvironment`` for every Pulumi language, delegating to the Python API's own."""

from typing import Any, NotRequired, TypedDict

import pulumi

import slipway
from slipway.contract import InfraVariable, ReleaseSecret, ReleaseVariable
from slipway.github_plan import GithubPlan, Visibility
from slipway_facade.args import typed_args


class RepositoryPlan(TypedDict):
    """A repository's visibility and its owner's GitHub plan."""

    visibility: NotRequired[Visibility]
    """The repository's visibility. Default: ``public``."""
    plan: NotRequired[GithubPlan]
    """The owner's GitHub plan. Default: ``free``."""


class DeploymentEnvironmentArgs(TypedDict):
    """Arguments of :class:`DeploymentEnvironment`. Defaults are the protective choices."""

    repository: str
    """``owner/name`` of the application repository; ``owner`` must be the GitHub provider's."""
    environment: str
    """Name of the GitHub environment (the stack's environment, e.g. ``prod``)."""
    reviewers: NotRequired[list[str]]
    """GitHub logins of required reviewers (one approval suffices). Default: none."""
    reviewer_teams: NotRequired[list[str]]
    """Team slugs (in the provider's organisation) of required reviewers. Default: none. Users and
    teams together: at most six."""
    require_reviewers: NotRequired[bool]
    """Refuse an empty reviewer list. The stack sets it in prod. Default: false."""
    prevent_self_review: NotRequired[bool]
    """Whoever triggered a deployment cannot approve it. Default: on (GitHub's default is off)."""
    wait_timer_minutes: NotRequired[int]
    """Minutes a deployment waits before it starts, 0 to 43200. Default: 0."""
    can_admins_bypass: NotRequired[bool]
    """Let repository administrators skip the protection rules. Default: off (GitHub's default is
    on); the stack keeps it off in prod."""
    protected_branches_only: NotRequired[bool]
    """Only protected branches may deploy, instead of the patterns below. Default: off."""
    deploy_branch_patterns: NotRequired[list[str]]
    """Branch globs that may deploy (``release/*``). Default: :data:`DEFAULT_BRANCH_PATTERNS`,
    ``main`` and the release branches, where the generated release workflow runs, so
    ``deploy.yml`` dispatched from any other branch is refused (none with
    ``protected_branches_only``). An empty list with no tag patterns lets every branch and tag
    deploy."""
    deploy_tag_patterns: NotRequired[list[str]]
    """Tag globs that may deploy (``v*``). Default: none."""
    variables: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variables for the workflows; only names from :mod:`slipway.contract`
    (:class:`EnvironmentVariable` for a deployment environment, :class:`ReleaseVariable` for the
    release environment, :class:`InfraVariable` for an ``infra-<env>`` environment). Default:
    none."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment secrets; only :class:`EnvironmentSecret` or :class:`ReleaseSecret` names, values
    from Pulumi secrets (they are stored as secrets in the state whatever is passed). Default:
    none."""
    repository_plan: NotRequired[RepositoryPlan]
    """The repository's visibility and its owner's plan: reviewers or a wait timer that GitHub
    would not enforce there (a private repository below Enterprise) are refused, and so is any
    environment where GitHub has none (private on Free). Default: not checked."""


VARIABLE_NAMES: tuple[type[Any], ...] = (
    slipway.EnvironmentVariable,
    ReleaseVariable,
    InfraVariable,
)
SECRET_NAMES: tuple[type[Any], ...] = (slipway.EnvironmentSecret, ReleaseSecret)


def _named(names: tuple[type[Any], ...]) -> Any:
    """A map whose ``str`` keys become members of the first of ``names`` that has them; other
    keys stay as given, for the Python API to refuse with its own message."""

    def convert(given: dict[str, Any]) -> dict[Any, Any]:
        def member(key: str) -> Any:
            for enum in names:
                if key in {m.value for m in enum}:
                    return enum(key)
            return key

        return {member(key): value for key, value in given.items()}

    return convert


class DeploymentEnvironment(pulumi.ComponentResource):
    """A GitHub deployment environment with protection rules, variables and secrets."""

    environment: pulumi.Output[str]
    """Name of the environment (once created)."""
    repository_name: pulumi.Output[str]
    """Name of the repository it lives in."""
    variable_names: pulumi.Output[list[str]]
    """Names of the variables written, sorted."""
    secret_names: pulumi.Output[list[str]]
    """Names of the secrets written, sorted."""

    def __init__(
        self,
        name: str,
        args: DeploymentEnvironmentArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("slipway:index:DeploymentEnvironment", name, None, opts)
        inner = slipway.DeploymentEnvironment(
            name,
            typed_args(
                slipway.DeploymentEnvironmentArgs,
                args,
                {
                    "variables": _named(VARIABLE_NAMES),
                    "secrets": _named(SECRET_NAMES),
                    "repository_plan": lambda plan: slipway.RepositoryPlan(**plan),
                },
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.environment = inner.environment
        self.repository_name = inner.repository_name
        self.variable_names = inner.variable_names
        self.secret_names = inner.secret_names
        self.register_outputs(
            {
                "environment": self.environment,
                "repository_name": self.repository_name,
                "variable_names": self.variable_names,
                "secret_names": self.secret_names,
            }
        )
