"""Checks that need every stack file at once: what no single stack's settings can tell.

* Exactly one stack owns the repository-wide resources of each application repository (the
  workflow pull request, the rulesets, the release environment).
* No two stacks deploy to the same GitHub environment of one repository (they would overwrite
  each other's variables and fight over its protection rules).
* The owner stack's ``workflowEnvironments`` names only environments some stack deploys to:
  ``deploy.yml`` reads every environment's variables, which only a stack writes.
* A warning for a stack whose environment the owner's ``workflowEnvironments`` leaves out: no
  release ever reaches it through ``deploy.yml``. A warning, not a problem, because that is
  also the first step of removing an environment (docs/runbooks/environments.md).
* Exactly one stack owns each account-wide resource (OIDC provider, trail, ECR replication,
  GuardDuty) of each AWS account. Stacks whose files name no account (``aws:allowedAccountIds``)
  may share one with any other stack, so two owners among them are refused too.
* No two stacks serve one ``domainName``.
* At most one stack per repository turns previews on (``previews``), and at most one per
  account and region owns a preview base.
* The image build environment (the first of them) admits the release tags
  (``deployTagPatterns``): the documented rebuild runs ``docker.yml`` from a release tag there.
* A warning when two stacks' VPC ranges overlap in one region of one account (or of accounts
  that are not known): peering or a shared transit gateway would be impossible.

``make plan`` (with or without ``--stack``) and the tests run them over every
``Pulumi.<name>.yaml`` (:func:`tooling.offline.discover_stacks`); each problem names the stack
files and the setting.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.common import NAMESPACE
from infra.previews import project_previews
from infra.settings import StackSettings, allowed_accounts
from infra.stack import deploy_timeout_problems, workflow_spec
from slipway.deployment_environment import DEFAULT_TAG_PATTERNS, RELEASE_TAG_EXAMPLES, refused_tags
from slipway.errors import ConfigError
from slipway.stack_boundary import AccountResource
from tooling.offline import ROOT, discover_stacks, load_stack_config, stack_settings


@dataclass(frozen=True)
class StackPlacement:
    """Where a stack's AWS resources go, from its provider settings."""

    region: str | None
    """``aws:region``."""
    accounts: tuple[str, ...] = ()
    """The accounts ``aws:allowedAccountIds`` allows (empty: not known, so any account)."""

    @property
    def account(self) -> str | None:
        """The account when ``aws:allowedAccountIds`` names exactly one, else None."""
        return self.accounts[0] if len(self.accounts) == 1 else None

    def may_share_account(self, other: StackPlacement) -> bool:
        """True unless the files prove the two stacks are in different accounts: a stack that
        names no account may be in any, as the shipped files once all were."""
        return (
            not self.accounts
            or not other.accounts
            or bool(set(self.accounts) & set(other.accounts))
        )

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> StackPlacement:
        """Read ``aws:region`` and ``aws:allowedAccountIds`` from a stack's config map."""
        return cls(region=config.get("aws:region"), accounts=allowed_accounts(config))


@dataclass
class CrossStackReport:
    """What the checks found: problems stop the plan, warnings are shown."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def domain_name_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """No two stacks serve one ``domainName``: each points it at its own load balancer (its
    alias record, or the DNS name you point at it) and its certificate must cover it, so the
    second stack would take the name from the first."""
    users: dict[str, list[str]] = defaultdict(list)
    for name, settings in stacks.items():
        if settings.compute.domain_name is not None:
            users[settings.compute.domain_name.lower().rstrip(".")].append(name)
    return [
        f"{NAMESPACE}:domainName: {', '.join(f'Pulumi.{s}.yaml' for s in names)} all serve "
        f"{domain!r}; give each stack its own name (and a certificate that covers it)"
        for domain, names in sorted(users.items())
        if len(names) > 1
    ]


def cross_stack_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """Every problem across ``stacks`` (stack name to its validated settings), one per line."""
    problems: list[str] = []
    owners: dict[str, list[str]] = defaultdict(list)
    environments: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, settings in stacks.items():
        repository = settings.identity.github_repository.lower()
        if settings.workflows.owns_repository_resources:
            owners[repository].append(name)
        environments[(repository, settings.identity.env)].append(name)
    repositories = sorted({s.identity.github_repository.lower() for s in stacks.values()})
    for repository in repositories:
        found = owners.get(repository, [])
        if len(found) != 1:
            files = ", ".join(f"Pulumi.{s}.yaml" for s in found) or "none"
            problems.append(
                f"slipway:ownsRepositoryResources: {len(found)} stacks own {repository} "
                f"({files}); exactly one stack per repository must set it"
            )
    for (repository, environment), names in sorted(environments.items()):
        if len(names) > 1:
            files = ", ".join(f"Pulumi.{s}.yaml" for s in names)
            problems.append(
                f"slipway:environment: {files} all deploy to the environment {environment!r} of "
                f"{repository}; give each stack its own environment"
            )
    problems += deploy_timeout_problems(stacks)
    problems += domain_name_problems(stacks)
    problems += preview_repository_problems(stacks)
    for name, settings in stacks.items():
        if not settings.workflows.owns_repository_resources:
            continue
        repository = settings.identity.github_repository.lower()
        known = sorted(env for (repo, env) in environments if repo == repository)
        missing = [e for e in settings.workflows.workflow_environments if e not in known]
        if missing:
            problems.append(
                f"slipway:workflowEnvironments (Pulumi.{name}.yaml): got {missing}, which no "
                f"stack deploys to; one of {known} (each environment needs a stack that writes "
                "its variables)"
            )
        build = workflow_spec(settings).image_build_environment
        for builder in environments.get((repository, build), []):
            github = stacks[builder].github
            refused = refused_tags(
                github.deploy_branch_patterns, github.deploy_tag_patterns, RELEASE_TAG_EXAMPLES
            )
            if refused:
                problems.append(
                    f"slipway:deployTagPatterns (Pulumi.{builder}.yaml): got "
                    f"{github.deploy_tag_patterns}, which refuses the release tags {refused}; "
                    f"{build} builds the image, and a rebuild runs docker.yml from the release "
                    f"tag there (docs/release-process.md): add {list(DEFAULT_TAG_PATTERNS)}"
                )
    return problems


def deploy_chain_warnings(stacks: Mapping[str, StackSettings]) -> list[str]:
    """One warning per stack whose environment its repository owner's ``workflowEnvironments``
    leaves out: ``deploy.yml`` (rendered by the owner) never deploys a release to it."""
    warnings: list[str] = []
    for owner, settings in stacks.items():
        if not settings.workflows.owns_repository_resources:
            continue
        repository = settings.identity.github_repository.lower()
        chain = list(settings.workflows.workflow_environments)
        for name, other in stacks.items():
            environment = other.identity.env
            if other.identity.github_repository.lower() != repository or environment in chain:
                continue
            warnings.append(
                f"{NAMESPACE}:workflowEnvironments (Pulumi.{owner}.yaml): got {chain}, without "
                f"{environment!r}, which Pulumi.{name}.yaml deploys to, so deploy.yml never "
                f"deploys a release there; add it in promotion order "
                "(docs/runbooks/environments.md), unless that stack is being removed"
            )
    return warnings


ACCOUNT_OWNERSHIP: dict[AccountResource, tuple[str, bool, str]] = {
    AccountResource.OIDC_PROVIDER: (
        "githubOidcProvider",
        False,
        "IAM allows one GitHub OIDC provider per account: one stack creates or adopts it, the "
        "others reference it",
    ),
    AccountResource.AUDIT_TRAIL: ("ownsAuditTrail", False, "one stack records the account"),
    AccountResource.REGISTRY_REPLICATION: (
        "ownsRegistryReplication",
        True,
        "ECR keeps one replication configuration per registry and each up replaces it whole",
    ),
    AccountResource.THREAT_DETECTION: (
        "guardDuty",
        True,
        "GuardDuty has one detector per account and region",
    ),
    AccountResource.ACCOUNT_SETTINGS: (
        "ownsAccountSettings",
        False,
        "account settings (ECS defaults, Backup region settings, registry scanning...) are one "
        "per account: two stacks would overwrite each other's",
    ),
}
"""Per account-wide resource: its setting, whether it is one per region (else one per
account), and why only one stack may own it."""


def _groups(names: list[str], linked: Callable[[str, str], bool]) -> list[list[str]]:
    """``names`` split into groups joined by ``linked`` (connected components), each in the
    given order; groups of one are left out."""
    groups: list[list[str]] = []
    for name in names:
        joined = [g for g in groups if any(linked(name, other) for other in g)]
        merged = [n for g in joined for n in g] + [name]
        groups = [g for g in groups if g not in joined] + [merged]
    return [sorted(g, key=names.index) for g in groups if len(g) > 1]


def _where(group: list[str], placements: Mapping[str, StackPlacement], regional: bool) -> str:
    """Which account (and, ``regional``, which region) the stacks of ``group`` share, as far
    as their files say."""
    known = sorted({a for s in group for a in placements[s].accounts})
    unnamed = [f"Pulumi.{s}.yaml" for s in group if not placements[s].accounts]
    if unnamed:
        where = (
            f"one account as far as the files say ({', '.join(unnamed)}: no "
            "aws:allowedAccountIds, so any account)"
        )
    elif len(known) == 1:
        where = f"account {known[0]}"
    else:
        where = f"one account (allowed accounts overlap: {', '.join(known)})"
    region = placements[group[0]].region
    return where + (f" in {region}" if regional and region else "")


def account_owner_problems(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> list[str]:
    """One problem per account-wide resource that two stacks which may share an account (and,
    where it is regional, a region) both own (:attr:`AccountSettings.owned`). Stacks whose
    files name no account (``aws:allowedAccountIds``) may share one with any other stack:
    they are refused too, until the files say which accounts they use."""
    problems: list[str] = []
    for resource, (setting, regional, why) in ACCOUNT_OWNERSHIP.items():
        owners = [name for name, settings in stacks.items() if resource in settings.account.owned()]

        def linked(a: str, b: str, regional: bool = regional) -> bool:
            first, second = placements[a], placements[b]
            same_region = not regional or first.region == second.region
            return same_region and first.may_share_account(second)

        for group in _groups(owners, linked):
            files = ", ".join(f"Pulumi.{s}.yaml" for s in group)
            where = _where(group, placements, regional)
            problems.append(
                f"{NAMESPACE}:{setting}: {files} all own the {resource.value} of {where} "
                f"(through {setting} or ownsAccountResources); exactly one stack may: {why}"
            )
    return problems


def preview_owner_problems(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> list[str]:
    """One problem per group of stacks that may share an account and region and all set
    ``previews``: the preview base is one per account and region (docs/previews.md), and two
    would claim the same ``<app>-pr-base`` load balancer name and split the previews between
    two listeners whose cap each sweep counts alone."""
    owners = [name for name, settings in stacks.items() if settings.compute.previews]

    def linked(a: str, b: str) -> bool:
        first, second = placements[a], placements[b]
        return first.region == second.region and first.may_share_account(second)

    problems: list[str] = []
    for group in _groups(owners, linked):
        files = ", ".join(f"Pulumi.{s}.yaml" for s in group)
        problems.append(
            f"{NAMESPACE}:previews: {files} all own the preview base of "
            f"{_where(group, placements, True)}; exactly one stack per account and region may "
            "(typically dev): set previews on one of them only"
        )
    return problems


def preview_repository_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """One problem per repository that more than one stack turns previews on for
    (:func:`infra.previews.repository_previews`, the rule the owner's ``pulumi up`` applies
    to the stack files too): each would write the repository's one ``preview`` environment,
    which the owner's ``preview.yml`` reads."""
    problems: list[str] = []
    for repository in sorted({s.identity.github_repository.lower() for s in stacks.values()}):
        try:
            project_previews(stacks, repository)
        except ConfigError as error:
            problems += error.problems
    return problems


def prefix_problems(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> list[str]:
    """One problem per pair of stacks that may share an account (the same known account, or
    an account not known) where one's resource prefix starts the other's: each stack's boundary
    knows its own roles, users and policies by ``<app>-<env>-*``, so ``shop-dev`` would own
    ``shop-dev-eu``'s roles."""
    problems: list[str] = []
    names = sorted(stacks)
    for first in names:
        for second in names:
            a, b = placements[first], placements[second]
            if first == second or (a.account and b.account and a.account != b.account):
                continue
            mine = stacks[first].identity.resource_prefix + "-"
            theirs = stacks[second].identity.resource_prefix + "-"
            if theirs.startswith(mine):
                problems.append(
                    f"{NAMESPACE}:environment: Pulumi.{first}.yaml ({mine}*) and "
                    f"Pulumi.{second}.yaml ({theirs}*) may share an account and the first "
                    "prefix covers the second's roles and policies; choose environment or "
                    "appName so that no stack's '<app>-<env>-' starts another's (or set "
                    "aws:allowedAccountIds to different accounts)"
                )
    return problems


def cross_stack_report(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> CrossStackReport:
    """:func:`cross_stack_problems`, plus the account-wide owner per known account (a problem)
    and overlapping VPC ranges in one region (a warning)."""
    report = CrossStackReport(problems=cross_stack_problems(stacks))
    report.problems += account_owner_problems(stacks, placements)
    report.problems += preview_owner_problems(stacks, placements)
    report.problems += prefix_problems(stacks, placements)
    report.warnings += deploy_chain_warnings(stacks)
    names = list(stacks)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = placements[first], placements[second]
            if a.region != b.region or not a.may_share_account(b):
                continue
            cidr_a = ipaddress.IPv4Network(stacks[first].network.vpc_cidr)
            cidr_b = ipaddress.IPv4Network(stacks[second].network.vpc_cidr)
            if cidr_a.overlaps(cidr_b):
                report.warnings.append(
                    f"slipway:vpcCidr: Pulumi.{first}.yaml ({cidr_a}) and Pulumi.{second}.yaml "
                    f"({cidr_b}) overlap in {a.region}"
                    + (
                        ""
                        if a.accounts and b.accounts
                        else " (account not known: aws:allowedAccountIds)"
                    )
                    + "; they can never be peered or joined through a transit gateway"
                )
    return report


def project_report(root: Path = ROOT) -> CrossStackReport:
    """:func:`cross_stack_report` over every stack file in ``root``. A stack whose own settings
    are refused cannot be compared: it is a problem that says how to see why (``make plan``
    plans every stack first, so there it has already been reported)."""
    stacks: dict[str, StackSettings] = {}
    placements: dict[str, StackPlacement] = {}
    refused: list[str] = []
    for name in discover_stacks(root):
        try:
            stacks[name] = stack_settings(name, root)
            placements[name] = StackPlacement.from_config(load_stack_config(name, root)[0])
        except ConfigError:
            refused.append(
                f"Pulumi.{name}.yaml: invalid settings, so the checks across stacks leave it "
                f'out; see why with make plan PLAN_ARGS="--stack {name}"'
            )
    report = cross_stack_report(stacks, placements)
    report.problems[:0] = refused
    return report
