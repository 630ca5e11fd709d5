"""Checks that need every stack file at once: what no single stack's settings can tell.

* Exactly one stack owns the repository-wide resources of each application repository (the
  workflow pull request, the rulesets, the release environment).
* No two stacks deploy to the same GitHub environment of one repository (they would overwrite
  each other's variables and fight over its protection rules).
* The owner stack's ``workflowEnvironments`` names only environments some stack deploys to:
  ``deploy.yml`` reads every environment's variables, which only a stack writes.

``make plan`` and the tests run them over every ``Pulumi.<name>.yaml``
(:func:`infra.offline.discover_stacks`); each problem names the stack files and the setting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from infra.settings import StackSettings


def cross_stack_problems(stacks: Mapping[str, StackSettings]) -> list[str]:
    """Every problem across ``stacks`` (stack name to its validated settings), one per line."""
    problems: list[str] = []
    owners: dict[str, list[str]] = defaultdict(list)
    environments: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, settings in stacks.items():
        repository = settings.github_repository.lower()
        if settings.owns_repository_resources:
            owners[repository].append(name)
        environments[(repository, settings.env)].append(name)
    repositories = sorted({s.github_repository.lower() for s in stacks.values()})
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
    for name, settings in stacks.items():
        if not settings.owns_repository_resources:
            continue
        repository = settings.github_repository.lower()
        known = sorted(env for (repo, env) in environments if repo == repository)
        missing = [e for e in settings.workflow_environments if e not in known]
        if missing:
            problems.append(
                f"slipway:workflowEnvironments (Pulumi.{name}.yaml): got {missing}, which no "
                f"stack deploys to; one of {known} (each environment needs a stack that writes "
                "its variables)"
            )
    return problems
