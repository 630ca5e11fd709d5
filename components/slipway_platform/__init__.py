"""Slipway's distribution: its names, and the check that the package ``slipway`` is Slipway's.

Slipway is distributed as ``slipway-platform`` (:data:`DISTRIBUTION`) and imported as ``slipway``
(:data:`MODULE`); its command is ``slipway-platform`` (:data:`COMMAND`). PyPI's project
``slipway`` is an unrelated development-container CLI that ships a package ``slipway`` too, so the
two cannot share an environment: pip and uv install one distribution's files over the other's
without a warning (no file-conflict check: pypa/pip#4625, astral-sh/uv#10564).
:func:`collision_problems` names the other distribution instead; the console script and
``import slipway`` both run it (docs/components.md, "Names").

This package is apart from ``slipway`` on purpose: the command must report a collision without
importing ``slipway``, whose files may be the other project's, and without loading pulumi_aws.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import metadata

DISTRIBUTION = "slipway-platform"
"""The distribution's name (pyproject.toml): PyPI's ``slipway`` is another project."""
MODULE = "slipway"
"""The import name, kept: every consumer's ``from slipway import …`` stays as it is."""
COMMAND = "slipway-platform"
"""The console script: the distribution's name, so ``pipx run``/``uvx`` find it; never
``slipway``, the other project's command."""


def _canonical(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``Slipway_Platform``: ``slipway-platform``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def foreign_owners(
    distributions: Iterable[metadata.Distribution] | None = None,
) -> list[metadata.Distribution]:
    """Installed distributions, other than Slipway's, that own files in the package ``slipway``.

    Ownership is what the distribution's own record lists (``RECORD`` for a wheel install,
    ``installed-files.txt``/``SOURCES.txt`` otherwise: ``Distribution.files``); an editable install
    of Slipway lists no package files, so a checkout's own older install is not taken for another.
    """
    found: list[metadata.Distribution] = []
    for distribution in metadata.distributions() if distributions is None else distributions:
        name = distribution.metadata["Name"] or ""
        if _canonical(name) == DISTRIBUTION:
            continue
        if any(path.parts[:1] == (MODULE,) for path in distribution.files or ()):
            found.append(distribution)
    return found


def collision_problems(distributions: Iterable[metadata.Distribution] | None = None) -> list[str]:
    """One sentence per other distribution that ships the package ``slipway``, naming it and the
    way out; empty when ``slipway`` is Slipway's alone."""
    problems = []
    for other in foreign_owners(distributions):
        name, version = other.metadata["Name"], other.version
        summary = other.metadata["Summary"] or "no summary"
        problems.append(
            f"the distribution {name!r} {version} ({summary}) is installed in this environment "
            f"and ships a package named {MODULE!r} too: the two overwrite each other's files, so "
            f"neither works. Keep them in separate virtual environments: `pip uninstall {name}`, "
            f"then reinstall {DISTRIBUTION} (`pip install --force-reinstall` with the checkout "
            f"or git+ URL it came from: its files may have been overwritten). See "
            f'docs/components.md, "Names".'
        )
    return problems


class SlipwayCollisionError(ImportError):
    """``import slipway`` in an environment where another distribution ships ``slipway``."""


def check_environment() -> None:
    """Raise :class:`SlipwayCollisionError` if the distribution named ``slipway`` (PyPI's other
    project) ships the package ``slipway`` here.

    Run by ``import slipway``: only distributions of that name are read (microseconds), where
    the command reads every installed distribution's record (a few tenths of a second)."""
    problems = collision_problems(metadata.distributions(name=MODULE))
    if problems:
        raise SlipwayCollisionError(f"{DISTRIBUTION}: " + " ".join(problems))
