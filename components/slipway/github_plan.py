"""What a repository's visibility and its owner's GitHub plan make available.

Several GitHub features that Slipway relies on are enforced, or exist at all, only for public
repositories unless the owner pays for more. A setting that asks for one of them where GitHub
would silently not enforce it is refused instead of producing a gate that does not exist:

* Environments, environment secrets and deployment branch policies: public repositories on
  every plan; private or internal ones need GitHub Pro, Team or Enterprise. Required reviewers
  and wait timers ("other deployment protection rules"): on Free, Pro and Team only in public
  repositories; private or internal ones need GitHub Enterprise. GitHub Docs, "Managing
  environments for deployment"
  (https://docs.github.com/en/actions/deployment/targeting-different-environments/using-environments-for-deployment),
  availability note.
* Rulesets: public repositories on Free; public and private ones on Pro, Team and Enterprise
  Cloud. GitHub Docs, "About rulesets"
  (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets).
* Artifact attestations: public repositories on every current plan; private or internal ones
  need GitHub Enterprise Cloud. GitHub Docs, "Using artifact attestations to establish
  provenance for builds"
  (https://docs.github.com/en/actions/how-tos/secure-your-work/use-artifact-attestations/use-artifact-attestations).
* Code scanning (SARIF upload): public repositories; private ones owned by an organisation on
  GitHub Team or Enterprise with GitHub Code Security enabled. GitHub Docs, "Integrating with
  code scanning" (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning).

Only github.com is in scope (Slipway's OIDC provider is ``token.actions.githubusercontent.com``),
so ``enterprise`` means GitHub Enterprise Cloud.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slipway.errors import ConfigError, invalid


class Visibility(StrEnum):
    """A repository's visibility, as GitHub's API reports it."""

    PUBLIC = "public"
    PRIVATE = "private"
    INTERNAL = "internal"
    """Only in organisations on GitHub Enterprise."""


class GithubPlan(StrEnum):
    """The plan of the account that owns the repository."""

    FREE = "free"
    """GitHub Free, for a user or an organisation."""
    PRO = "pro"
    """GitHub Pro: a personal account's paid plan."""
    TEAM = "team"
    """GitHub Team: an organisation's paid plan."""
    ENTERPRISE = "enterprise"
    """GitHub Enterprise Cloud."""


PERSONAL_PLANS = frozenset({GithubPlan.FREE, GithubPlan.PRO})
"""Plans a personal account can have."""
ORGANIZATION_PLANS = frozenset({GithubPlan.FREE, GithubPlan.TEAM, GithubPlan.ENTERPRISE})
"""Plans an organisation can have."""


@dataclass(frozen=True)
class RepositoryPlan:
    """A repository's visibility and its owner's plan; the properties say what GitHub offers."""

    visibility: Visibility = Visibility.PUBLIC
    plan: GithubPlan = GithubPlan.FREE

    def __post_init__(self) -> None:
        members: tuple[tuple[str, object, type[StrEnum]], ...] = (
            ("visibility", self.visibility, Visibility),
            ("plan", self.plan, GithubPlan),
        )
        problems = [
            invalid(
                f"RepositoryPlan.{name}",
                value,
                f"a {kind.__name__} member: "
                + ", ".join(f"{kind.__name__}.{member.name}" for member in kind),
            )
            for name, value, kind in members
            if not isinstance(value, kind)
        ]
        if problems:
            raise ConfigError(problems)

    @property
    def public(self) -> bool:
        """The repository is public: every feature below is available."""
        return self.visibility is Visibility.PUBLIC

    @property
    def environments(self) -> bool:
        """Environments, their secrets and variables, deployment branch policies and rulesets
        exist (not on GitHub Free for a private repository)."""
        return self.public or self.plan is not GithubPlan.FREE

    @property
    def protection_rules(self) -> bool:
        """Required reviewers and wait timers of an environment are enforced."""
        return self.public or self.plan is GithubPlan.ENTERPRISE

    @property
    def attestations(self) -> bool:
        """Artifact attestations can be created and verified."""
        return self.public or self.plan is GithubPlan.ENTERPRISE

    @property
    def code_scanning_purchasable(self) -> bool:
        """Code scanning exists, or can be enabled with GitHub Code Security (organisations on
        Team or Enterprise); whether it is enabled is the owner's setting."""
        return self.public or self.plan in (GithubPlan.TEAM, GithubPlan.ENTERPRISE)

    def describe(self) -> str:
        """``a private repository on GitHub Team``: for messages."""
        article = "an" if self.visibility is Visibility.INTERNAL else "a"
        return f"{article} {self.visibility.value} repository on the {self.plan.value} plan"
