"""One setting turns previews on: ``slipway:previews`` on the stack that owns the preview base.

That stack (typically dev) builds the base and the repository's ``preview`` environment; the
stack that owns the repository (``ownsRepositoryResources``, prod in the shipped files) renders
the workflow set, and so ``preview.yml``. It learns that previews are on, and their label gate,
from the project's stack files: the ``Pulumi.<stack>.yaml`` files beside ``Pulumi.yaml`` are
the project's source and are in the infrastructure repository's checkout whenever
``pulumi up`` or ``pulumi preview`` runs (:mod:`infra.stack_files`, the loader ``make plan``
and the tests use too).

What is read is narrow, so stack isolation holds (docs/security.md, "Stack isolation"): only
the plain, non-secret keys :data:`READ_KEYS` of the stack files of the same
``githubRepository``; never another stack's state, outputs or secrets (a ``secure:`` value is
not decrypted, and is not read at all), and nothing in AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.common import NAMESPACE
from infra.domains.workflows import PREVIEWS_OFF, RepositoryPreviews
from infra.settings import StackSettings, parse_setting
from infra.stack_files import PROJECT_ROOT, discover_stacks, load_stack_config
from slipway.errors import ConfigError
from slipway.workflows.spec import preview_label_problems

READ_KEYS = ("githubRepository", "previews", "previewLabel")
"""The only keys the repository's owner reads from another stack's file."""


@dataclass(frozen=True)
class PreviewSource:
    """What one stack says about previews: its repository, ``previews`` and ``previewLabel``."""

    stack: str
    repository: str
    previews: bool
    label: str | None = None

    @classmethod
    def of(cls, stack: str, settings: StackSettings) -> PreviewSource:
        """From a stack's validated settings (the running stack's, or every stack's in
        ``make plan``)."""
        return cls(
            stack,
            settings.identity.github_repository,
            settings.compute.previews,
            settings.compute.preview_label,
        )


def read_stack_file(
    stack: str, root: Path = PROJECT_ROOT, repository: str | None = None
) -> PreviewSource | None:
    """The plain :data:`READ_KEYS` of ``Pulumi.<stack>.yaml``, checked by the settings' own
    rules (each problem names the key, the file, the value and what is allowed). None when
    the file names no repository (that stack's own run refuses it) or, with ``repository``,
    another one (its values are then none of this stack's business)."""
    config, secret_keys = load_stack_config(stack, root)
    plain = {
        name: config[f"{NAMESPACE}:{name}"]
        for name in READ_KEYS
        if f"{NAMESPACE}:{name}" in config and f"{NAMESPACE}:{name}" not in secret_keys
    }
    if "githubRepository" not in plain:
        return None
    if repository is not None and plain["githubRepository"].lower() != repository.lower():
        return None
    where = f"(Pulumi.{stack}.yaml)"
    problems: list[str] = []
    previews = False
    try:
        previews = parse_setting(
            plain.get("previews", "false"), "boolean", f"{NAMESPACE}:previews {where}"
        )
    except ConfigError as error:
        problems += error.problems
    label = plain.get("previewLabel")
    if label is not None:
        problems += preview_label_problems(label, f"{NAMESPACE}:previewLabel {where}")
    if problems:
        raise ConfigError(problems)
    return PreviewSource(stack, plain["githubRepository"], previews, label)


def repository_previews(repository: str, sources: Iterable[PreviewSource]) -> RepositoryPreviews:
    """Whether ``repository``'s ``preview.yml`` is rendered: exactly when a stack of it sets
    ``previews``, with that stack's ``previewLabel``. Two such stacks are refused: each would
    write the repository's one ``preview`` environment (docs/previews.md)."""
    owners = [s for s in sources if s.previews and s.repository.lower() == repository.lower()]
    if len(owners) > 1:
        files = ", ".join(f"Pulumi.{s.stack}.yaml" for s in owners)
        raise ConfigError(
            f"{NAMESPACE}:previews: {files} all set previews for {repository.lower()}; exactly "
            "one stack per repository may (typically dev): each would write the repository's "
            "one preview environment"
        )
    if not owners:
        return PREVIEWS_OFF
    return RepositoryPreviews(owner=owners[0].stack, label=owners[0].label)


def stack_previews(
    stack: str, settings: StackSettings, root: Path = PROJECT_ROOT
) -> RepositoryPreviews:
    """What the running stack renders: on the stack that owns the repository, from its own
    settings and the other stack files in ``root`` (:func:`read_stack_file`); on any other
    stack nothing is rendered and no file is read."""
    if not settings.workflows.owns_repository_resources:
        return PREVIEWS_OFF
    sources = [PreviewSource.of(stack, settings)]
    problems: list[str] = []
    for other in discover_stacks(root):
        if other == stack:
            continue
        try:
            source = read_stack_file(other, root, settings.identity.github_repository)
        except ConfigError as error:
            problems += error.problems
            continue
        if source is not None:
            sources.append(source)
    if problems:
        raise ConfigError(problems)
    return repository_previews(settings.identity.github_repository, sources)


def project_previews(stacks: Mapping[str, StackSettings], repository: str) -> RepositoryPreviews:
    """:func:`repository_previews` over validated settings (``make plan``'s cross-stack checks:
    every stack file, already read)."""
    return repository_previews(repository, (PreviewSource.of(n, s) for n, s in stacks.items()))
