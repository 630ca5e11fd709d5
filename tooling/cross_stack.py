"""Checks that need every stack file at once: what no single stack's settings can tell.

* Exactly one stack owns the repository-wide resources of each application repository (the
  workflow pull request, the rulesets, the release environment).
* No two stacks deploy to the same GitHub environment of one repository (they would overwrite
  each other's variables and fight over its protection rules).
* The owner stack's ``workflowEnvironments`` names only environments some stack deploys to:
  ``deploy.yml`` reads every environment's variables, which only a stack writes.
* The image build environment (the first of them) admits the release tags
  (``deployTagPatterns``): the documented rebuild runs ``docker.yml`` from a release tag there.
* Exactly one stack owns the account-wide resources (OIDC provider, trail, ECR replication) of
  each AWS account, where the account is known (``aws:allowedAccountIds`` names one).
* A warning when two stacks' VPC ranges overlap in one region of one account (or of accounts
  that are not known): peering or a shared transit gateway would be impossible.

``make plan`` and the tests run them over every ``Pulumi.<name>.yaml``
(:func:`tooling.offline.discover_stacks`); each problem names the stack files and the setting.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from infra.common import NAMESPACE
from infra.domains import compute
from infra.settings import StackSettings
from infra.stack import workflow_spec
from slipway.deployment_environment import DEFAULT_TAG_PATTERNS, RELEASE_TAG_EXAMPLES, refused_tags
from slipway.deployment_strategy import describe
from slipway.stack_boundary import AccountResource
from slipway.workflows.deploy import ROLLOUT_START_MINUTES, deploy_budget, deploy_timeout_for
from tooling.offline import ROOT, discover_stacks, load_stack_config, stack_settings


@dataclass(frozen=True)
class StackPlacement:
    """Where a stack's AWS resources go, from its provider settings."""

    region: str | None
    """``aws:region``."""
    account: str | None
    """The account when ``aws:allowedAccountIds`` names exactly one, else None (unknown)."""

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> StackPlacement:
        """Read ``aws:region`` and ``aws:allowedAccountIds`` from a stack's config map."""
        account = None
        raw = config.get("aws:allowedAccountIds")
        if raw:
            try:
                accounts = json.loads(raw)
            except ValueError:
                accounts = [raw]
            if isinstance(accounts, list) and len(accounts) == 1:
                account = str(accounts[0])
        return cls(region=config.get("aws:region"), account=account)


@dataclass
class CrossStackReport:
    """What the checks found: problems stop the plan, warnings are shown."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def deploy_timeout_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """The deploy jobs of a repository's deploy.yml (rendered by its owner stack) must be able to
    wait for every stack's deployments to complete, and then for a rollback as long: one
    problem per stack whose strategy needs more than the owner's ``deployTimeoutMinutes``
    gives."""
    problems: list[str] = []
    for owner, settings in stacks.items():
        if not settings.workflows.owns_repository_resources:
            continue
        repository = settings.identity.github_repository.lower()
        spec = workflow_spec(settings)
        timeout = spec.deploy_timeout_minutes
        wait = deploy_budget(spec).rollout_minutes
        needs = {
            name: compute.rollout_minutes(other.compute)
            for name, other in stacks.items()
            if other.identity.github_repository.lower() == repository
        }
        slowest = max(needs, key=lambda name: needs[name])
        if needs[slowest] > wait:
            problems.append(
                f"{NAMESPACE}:deployTimeoutMinutes (Pulumi.{owner}.yaml): got {timeout}; at least "
                f"{deploy_timeout_for(needs[slowest])}, which waits {needs[slowest]} minutes for "
                f"a deployment and as long for its rollback (it waits {wait}): "
                f"Pulumi.{slowest}.yaml deploys {describe(stacks[slowest].compute.strategy)}, "
                f"after its tasks start ({ROLLOUT_START_MINUTES} min)"
            )
    return problems


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
}
"""Per account-wide resource: its setting, whether it is one per region (else one per
account), and why only one stack may own it."""


def account_owner_problems(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> list[str]:
    """One problem per account-wide resource that two stacks of one known account (and, where
    it is regional, one region) both own (:attr:`AccountSettings.owned`)."""
    problems: list[str] = []
    for resource, (setting, regional, why) in ACCOUNT_OWNERSHIP.items():
        owners: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for name, settings in stacks.items():
            placement = placements[name]
            if placement.account is None or resource not in settings.account.owned():
                continue
            owners[(placement.account, placement.region if regional else None)].append(name)
        for (account, region), names in sorted(owners.items(), key=lambda i: str(i[0])):
            if len(names) > 1:
                files = ", ".join(f"Pulumi.{s}.yaml" for s in names)
                where = f"account {account}" + (f" in {region}" if region else "")
                problems.append(
                    f"{NAMESPACE}:{setting}: {files} all own the {resource.value} of {where} "
                    f"(through {setting} or ownsAccountResources); exactly one stack may: {why}"
                )
    return problems


def cross_stack_report(
    stacks: Mapping[str, StackSettings], placements: Mapping[str, StackPlacement]
) -> CrossStackReport:
    """:func:`cross_stack_problems`, plus the account-wide owner per known account (a problem)
    and overlapping VPC ranges in one region (a warning)."""
    report = CrossStackReport(problems=cross_stack_problems(stacks))
    report.problems += account_owner_problems(stacks, placements)
    names = list(stacks)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = placements[first], placements[second]
            if a.region != b.region or (a.account and b.account and a.account != b.account):
                continue
            cidr_a = ipaddress.IPv4Network(stacks[first].network.vpc_cidr)
            cidr_b = ipaddress.IPv4Network(stacks[second].network.vpc_cidr)
            if cidr_a.overlaps(cidr_b):
                report.warnings.append(
                    f"slipway:vpcCidr: Pulumi.{first}.yaml ({cidr_a}) and Pulumi.{second}.yaml "
                    f"({cidr_b}) overlap in {a.region}"
                    + ("" if a.account else " (account not known: aws:allowedAccountIds)")
                    + "; they can never be peered or joined through a transit gateway"
                )
    return report


def project_report(root: Path = ROOT) -> CrossStackReport:
    """:func:`cross_stack_report` over every stack file in ``root``. Call it once each stack's
    own settings are valid (``make plan`` plans them first)."""
    names = discover_stacks(root)
    stacks = {name: stack_settings(name, root) for name in names}
    placements = {
        name: StackPlacement.from_config(load_stack_config(name, root)[0]) for name in names
    }
    return cross_stack_report(stacks, placements)
