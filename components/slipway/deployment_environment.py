"""``DeploymentEnvironment``: one GitHub deployment environment, its protection and its values.

Each stack owns the environment of its own name in the application repository: required
reviewers (resolved from logins and team slugs to IDs through the GitHub provider), a wait
timer, who may bypass, which branches and tags may deploy, and the variables and secrets the
generated workflows read (names from :mod:`slipway.contract`).

The GitHub resources take the repository NAME; the owner is the GitHub provider's ``owner``
(the organisation). ``repository`` is given as ``owner/name`` so the owner is visible in the
stack's settings; configure the provider with the same owner.

Branch and tag policies are created after the environment (``depends_on``): GitHub answers an
opaque 404 to a deployment policy whose environment does not exist yet, or whose environment
does not use custom branch policies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github

from slipway.contract import (
    EnvironmentSecret,
    EnvironmentVariable,
    InfraVariable,
    PreviewVariable,
    ReleaseSecret,
    ReleaseVariable,
)
from slipway.errors import ConfigError, invalid
from slipway.github_oidc import ENVIRONMENT_NAME
from slipway.github_plan import RepositoryPlan
from slipway.patterns import GITHUB_LOGIN, REPOSITORY_SLUG, TEAM_SLUG, glob_matches
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, RELEASE_TAG_PATTERNS

VariableName = EnvironmentVariable | ReleaseVariable | InfraVariable | PreviewVariable
"""Names a stack may write as environment variables."""
SecretName = EnvironmentSecret | ReleaseSecret
"""Names a stack may write as environment secrets."""
MAX_REVIEWERS = 6
"""GitHub accepts up to six reviewers per environment, users and teams together."""
DEFAULT_BRANCH_PATTERNS = ("main", *RELEASE_BRANCH_PATTERNS)
"""Where the generated release workflow runs, and so the only branches that deploy by default:
the default branch and the release branches it creates (a hotfix of an older line is released
and deployed from its release branch, docs/runbooks/hotfix.md)."""
DEFAULT_TAG_PATTERNS = RELEASE_TAG_PATTERNS
"""The tags the stack settings let deploy by default: the release tags, which the tag ruleset
lets only the release identity create. The image build environment needs them: ``docker.yml``
dispatched on a release tag (a rebuild) runs its jobs there, and an environment's branch and tag
policies gate jobs with ``deployment: false`` too."""
RELEASE_TAG_EXAMPLES = ("v1.4.2", "storefront@1.4.2", "@acme/storefront@1.4.2")
"""One tag of each shape Changesets creates (:data:`RELEASE_TAG_PATTERNS`)."""
MAX_WAIT_TIMER_MINUTES = 43200
"""30 days, GitHub's limit."""


def wait_timer_problems(minutes: object, setting: str) -> list[str]:
    """The one rule for an environment's wait timer: 0 to :data:`MAX_WAIT_TIMER_MINUTES`."""
    if (
        isinstance(minutes, int)
        and not isinstance(minutes, bool)
        and 0 <= minutes <= MAX_WAIT_TIMER_MINUTES
    ):
        return []
    return [invalid(setting, minutes, f"0 to {MAX_WAIT_TIMER_MINUTES} minutes")]


PATTERN_FORBIDDEN = re.compile(r"[\s:~^\\]|\.\.|@\{|//")
"""Never in a git ref name, so never in a pattern that should match one."""


def refused_tags(
    branch_patterns: Sequence[str], tag_patterns: Sequence[str], tags: Sequence[str]
) -> list[str]:
    """The ``tags`` an environment with these deployment policies refuses: those no tag
    pattern matches, unless the environment has no policy at all (every branch and tag may
    deploy then)."""
    if not branch_patterns and not tag_patterns:
        return []
    return [t for t in tags if not any(glob_matches(p, t) for p in tag_patterns)]


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable deployment branch/tag glob (GitHub uses Ruby's
    ``File.fnmatch``), or None."""
    if not pattern or len(pattern) > 255:
        return "1 to 255 characters"
    if PATTERN_FORBIDDEN.search(pattern):
        return "no spaces, ':', '~', '^', '\\', '..', '@{' or '//'"
    if pattern.startswith("/") or pattern.endswith("/"):
        return "no leading or trailing '/'"
    depth = 0
    for char in pattern:
        if char == "[":
            if depth:
                return "no nested '['"
            depth = 1
        elif char == "]":
            if not depth:
                return "no ']' without '['"
            depth = 0
    if depth:
        return "every '[' closed by ']'"
    return None


def deploy_pattern_problems(patterns: Sequence[str], setting: str) -> list[str]:
    """The one rule for an environment's deployment branch or tag patterns: distinct globs,
    each one GitHub can match against a ref (:func:`pattern_problem`)."""
    problems = [
        invalid(setting, glob, f"a glob with {why}")
        for glob in patterns
        if (why := pattern_problem(glob))
    ]
    if len(set(patterns)) != len(patterns):
        repeated = sorted({p for p in patterns if list(patterns).count(p) > 1})
        problems.append(
            invalid(setting, list(patterns), f"distinct patterns; {repeated} given twice")
        )
    return problems


def reviewer_problems(
    reviewers: Sequence[str],
    reviewer_teams: Sequence[str],
    names: tuple[str, str] = (
        "DeploymentEnvironmentArgs.reviewers",
        "DeploymentEnvironmentArgs.reviewer_teams",
    ),
) -> list[str]:
    """Problems with an environment's required reviewers: distinct GitHub logins, distinct team
    slugs, at most :data:`MAX_REVIEWERS` together. ``names`` are how the caller's user spells
    the two lists (the stack settings pass ``slipway:reviewers`` and ``slipway:reviewerTeams``).
    """
    problems: list[str] = []
    for setting, values, pattern, allowed in (
        (names[0], reviewers, GITHUB_LOGIN, "GitHub logins"),
        (names[1], reviewer_teams, TEAM_SLUG, "team slugs (lower case)"),
    ):
        bad = [v for v in values if not pattern.match(v)]
        repeated = sorted({v for v in values if list(values).count(v) > 1})
        if bad:
            problems.append(invalid(setting, list(values), f"distinct {allowed}; not {bad}"))
        elif repeated:
            problems.append(
                invalid(setting, list(values), f"distinct {allowed}; {repeated} given twice")
            )
    if len(reviewers) + len(reviewer_teams) > MAX_REVIEWERS:
        problems.append(
            invalid(
                names[0],
                [*reviewers, *reviewer_teams],
                f"at most {MAX_REVIEWERS} users and teams together ({names[0]} and {names[1]}; "
                "GitHub's limit)",
            )
        )
    return problems


@dataclass(frozen=True)
class DeploymentEnvironmentArgs:
    """Arguments of :class:`DeploymentEnvironment`. Defaults are the protective choices."""

    repository: str
    """``owner/name`` of the application repository; ``owner`` must be the GitHub provider's."""
    environment: str
    """Name of the GitHub environment (the stack's environment, e.g. ``prod``)."""
    reviewers: Sequence[str] = ()
    """GitHub logins of required reviewers (one approval suffices). Default: none."""
    reviewer_teams: Sequence[str] = ()
    """Team slugs (in the provider's organisation) of required reviewers. Default: none.
    Users and teams together: at most six."""
    require_reviewers: bool = False
    """Refuse an empty reviewer list. The stack sets it in prod."""
    prevent_self_review: bool = True
    """Whoever triggered a deployment cannot approve it. Default: on (GitHub's default is off)."""
    wait_timer_minutes: int = 0
    """Minutes a deployment waits before it starts, 0 to 43200. Default: 0."""
    can_admins_bypass: bool = False
    """Let repository administrators skip the protection rules. Default: off (GitHub's default
    is on); the stack keeps it off in prod."""
    protected_branches_only: bool = False
    """Only protected branches may deploy, instead of the patterns below. Default: off."""
    deploy_branch_patterns: Sequence[str] | None = None
    """Branch globs that may deploy (``release/*``). Default: :data:`DEFAULT_BRANCH_PATTERNS`,
    ``main`` and the release branches, where the generated release workflow runs, so
    ``deploy.yml`` dispatched from any other branch is refused (none with
    ``protected_branches_only``). An empty list with no tag patterns lets every branch
    and tag deploy."""
    deploy_tag_patterns: Sequence[str] = ()
    """Tag globs that may deploy (``v*``). Default: none."""
    variables: Mapping[VariableName, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables for the workflows; only names from
    :mod:`slipway.contract` (:class:`EnvironmentVariable` for a deployment environment,
    :class:`ReleaseVariable` for the release environment, :class:`InfraVariable` for an
    ``infra-<env>`` environment, :class:`PreviewVariable` for the ``preview`` environment)."""
    secrets: Mapping[SecretName, pulumi.Input[str]] = field(default_factory=dict)
    """Environment secrets; only :class:`EnvironmentSecret` or :class:`ReleaseSecret` names,
    values from Pulumi secrets (they are stored as secrets in the state whatever is passed)."""
    repository_plan: RepositoryPlan | None = None
    """The repository's visibility and its owner's plan: reviewers or a wait timer that GitHub
    would not enforce there (a private repository below Enterprise) are refused, and so is
    any environment where GitHub has none (private on Free). Default: not checked."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "DeploymentEnvironmentArgs."
        if not REPOSITORY_SLUG.match(self.repository):
            problems.append(
                invalid(name + "repository", self.repository, "owner/name of a GitHub repository")
            )
        if not ENVIRONMENT_NAME.match(self.environment):
            problems.append(
                invalid(
                    name + "environment",
                    self.environment,
                    "1 to 255 letters, digits, '.', '_' and '-'",
                )
            )
        problems.extend(reviewer_problems(self.reviewers, self.reviewer_teams))
        count = len(self.reviewers) + len(self.reviewer_teams)
        if self.require_reviewers and count == 0:
            problems.append(
                invalid(
                    name + "reviewers",
                    [],
                    "at least one user or team: this environment requires reviewers",
                )
            )
        problems.extend(wait_timer_problems(self.wait_timer_minutes, name + "wait_timer_minutes"))
        problems.extend(
            deploy_pattern_problems(self.branch_patterns, name + "deploy_branch_patterns")
        )
        problems.extend(
            deploy_pattern_problems(self.deploy_tag_patterns, name + "deploy_tag_patterns")
        )
        if self.protected_branches_only and (
            self.deploy_branch_patterns is not None or self.deploy_tag_patterns
        ):
            problems.append(
                invalid(
                    name + "protected_branches_only",
                    True,
                    "no deploy_branch_patterns or deploy_tag_patterns with it (GitHub allows "
                    "one of the two policies)",
                )
            )
        plan = self.repository_plan
        if plan is not None and not plan.environments:
            problems.append(
                invalid(
                    name + "repository_plan",
                    plan.describe(),
                    "a public repository, or a plan with environments in private ones (pro, "
                    "team or enterprise): GitHub Free has none there",
                )
            )
        elif plan is not None and not plan.protection_rules:
            asked = {
                "reviewers": [*self.reviewers, *self.reviewer_teams],
                "wait_timer_minutes": self.wait_timer_minutes,
            }
            for setting, value in asked.items():
                if value:
                    problems.append(
                        invalid(
                            name + setting,
                            value,
                            f"none on {plan.describe()}: GitHub enforces required reviewers "
                            "and wait timers there only on GitHub Enterprise",
                        )
                    )
        known_variables = {*EnvironmentVariable, *ReleaseVariable, *InfraVariable, *PreviewVariable}
        unknown_variables = sorted(str(k) for k in self.variables if k not in known_variables)
        if unknown_variables:
            problems.append(
                invalid(
                    name + "variables",
                    unknown_variables,
                    "names of slipway.contract.EnvironmentVariable, ReleaseVariable, "
                    "InfraVariable or PreviewVariable",
                )
            )
        empty = sorted(str(k) for k, v in self.variables.items() if isinstance(v, str) and not v)
        if empty:
            problems.append(invalid(name + "variables", empty, "non-empty values"))
        known_secrets = {*EnvironmentSecret, *ReleaseSecret}
        unknown_secrets = sorted(str(k) for k in self.secrets if k not in known_secrets)
        if unknown_secrets:
            problems.append(
                invalid(
                    name + "secrets",
                    unknown_secrets,
                    "names of slipway.contract.EnvironmentSecret or ReleaseSecret",
                )
            )
        if problems:
            raise ConfigError(problems)

    @property
    def branch_patterns(self) -> tuple[str, ...]:
        """The branch globs in force: ``deploy_branch_patterns`` or its default."""
        if self.deploy_branch_patterns is not None:
            return tuple(self.deploy_branch_patterns)
        return () if self.protected_branches_only else DEFAULT_BRANCH_PATTERNS

    @property
    def repository_name(self) -> str:
        """The repository's name without the owner, as the GitHub resources take it."""
        return self.repository.split("/", 1)[1]


def _id(value: str) -> int:
    return int(value)


class DeploymentEnvironment(pulumi.ComponentResource):
    """A GitHub deployment environment with protection rules, variables and secrets.

    Outputs:
        environment: Name of the environment (once created).
        repository_name: Name of the repository it lives in.
        variable_names: Names of the variables written, sorted.
        secret_names: Names of the secrets written, sorted.
    """

    TOKEN = "slipway:index:DeploymentEnvironment"

    environment: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    variable_names: pulumi.Output[list[str]]
    secret_names: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        args: DeploymentEnvironmentArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        repository = args.repository_name
        users = [
            github.get_user_output(username=login, opts=invoke).id.apply(_id)
            for login in args.reviewers
        ]
        teams = [
            github.get_team_output(slug=slug, summary_only=True, opts=invoke).id.apply(_id)
            for slug in args.reviewer_teams
        ]
        reviewers = (
            [github.RepositoryEnvironmentReviewerArgs(users=users, teams=teams)]
            if users or teams
            else None
        )
        patterns = [("branch", p) for p in args.branch_patterns] + [
            ("tag", p) for p in args.deploy_tag_patterns
        ]
        if args.protected_branches_only:
            branch_policy: github.RepositoryEnvironmentDeploymentBranchPolicyArgs | None = (
                github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                    protected_branches=True, custom_branch_policies=False
                )
            )
        elif patterns:
            branch_policy = github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=False, custom_branch_policies=True
            )
        else:
            branch_policy = None  # every branch and tag may deploy
        environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=repository,
            environment=args.environment,
            reviewers=reviewers,
            prevent_self_review=args.prevent_self_review,
            wait_timer=args.wait_timer_minutes,
            can_admins_bypass=args.can_admins_bypass,
            deployment_branch_policy=branch_policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        after_environment = pulumi.ResourceOptions(parent=self, depends_on=[environment])
        for kind, pattern in patterns:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-{kind}-{pattern}",
                repository=repository,
                environment=environment.environment,
                branch_pattern=pattern if kind == "branch" else None,
                tag_pattern=pattern if kind == "tag" else None,
                opts=after_environment,
            )
        for variable, value in sorted(args.variables.items()):
            github.ActionsEnvironmentVariable(
                f"{name}-var-{variable}",
                repository=repository,
                environment=environment.environment,
                variable_name=str(variable),
                value=value,
                opts=after_environment,
            )
        for secret, secret_value in sorted(args.secrets.items()):
            github.ActionsEnvironmentSecret(
                f"{name}-secret-{secret}",
                repository=repository,
                environment=environment.environment,
                secret_name=str(secret),
                # ``value`` (``plaintext_value`` is deprecated in pulumi-github 6.15): GitHub
                # encrypts it with the repository's public key; the state keeps it as a secret.
                value=pulumi.Output.secret(secret_value),
                opts=after_environment,
            )

        self.environment = environment.environment
        self.repository_name = pulumi.Output.from_input(repository)
        self.variable_names = pulumi.Output.from_input(sorted(str(v) for v in args.variables))
        self.secret_names = pulumi.Output.from_input(sorted(str(s) for s in args.secrets))
        self.register_outputs(
            {
                "environment": self.environment,
                "repository_name": self.repository_name,
                "variable_names": self.variable_names,
                "secret_names": self.secret_names,
            }
        )
