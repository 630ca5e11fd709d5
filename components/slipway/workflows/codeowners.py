"""``.github/CODEOWNERS``: the generated release machinery needs its owners' review.

The workflows, the delivered scripts, the Dockerfile and the Changesets configuration decide
what is published and deployed, so a change to them (including one a pull request makes by
hand) needs a review from :attr:`WorkflowSpec.code_owners` once the default-branch ruleset
requires code-owner review. GitHub reads the first CODEOWNERS it finds in ``.github/``, the
root, then ``docs/``; this file is ``.github/CODEOWNERS``, so an application that keeps its own
entries lists them in :attr:`WorkflowSpec.extra_code_owner_lines`. Without owners no file is
rendered.
"""

from __future__ import annotations

from slipway.workflows.paths import (
    CHANGESET_CONFIG_PATH,
    DOCKERFILE_PATH,
    DOCKERIGNORE_PATH,
    TRIVY_IGNORE_PATH,
)
from slipway.workflows.spec import WorkflowSpec
from slipway.workflows.yamlio import header

OWNED_PATTERNS = (
    "/.github/",
    f"/{DOCKERFILE_PATH}",
    f"/{DOCKERIGNORE_PATH}",
    f"/{CHANGESET_CONFIG_PATH}",
    f"/{TRIVY_IGNORE_PATH}",
)
"""CODEOWNERS patterns of the generated files (``/.github/`` holds the workflows, the
delivered scripts, Dependabot's configuration and this file), and of the application's Trivy
ignore file: an ignored finding is never published unreviewed."""


def render_codeowners(spec: WorkflowSpec) -> str | None:
    """The CODEOWNERS text, or None when the spec names no owners."""
    if not spec.code_owners:
        return None
    owners = " ".join(spec.code_owners)
    lines = [*spec.extra_code_owner_lines, *(f"{p} {owners}" for p in OWNED_PATTERNS)]
    return header() + "".join(f"{line}\n" for line in lines)
