"""Where each generated file lives in the application repository (one home for the paths)."""

from __future__ import annotations

RELEASE_PATH = ".github/workflows/release.yml"
DOCKER_PATH = ".github/workflows/docker.yml"
DEPLOY_PATH = ".github/workflows/deploy.yml"
RETENTION_PATH = ".github/workflows/ghcr-retention.yml"
RELEASE_LINE_PATH = ".github/workflows/release-line.yml"
PREVIEW_PATH = ".github/workflows/preview.yml"
"""Delivered only with ``WorkflowSpec.previews``."""
DEPENDABOT_PATH = ".github/dependabot.yml"
CODEOWNERS_PATH = ".github/CODEOWNERS"
DOCKERFILE_PATH = "Dockerfile"
DOCKERIGNORE_PATH = ".dockerignore"
CHANGESET_CONFIG_PATH = ".changeset/config.json"
TRIVY_IGNORE_PATH = ".trivyignore.yaml"
"""The application's own Trivy ignore file (not generated): the only one the scans read."""

GENERATED_WORKFLOWS = (RELEASE_PATH, DOCKER_PATH, DEPLOY_PATH, RETENTION_PATH, RELEASE_LINE_PATH)
"""The workflow files the generator owns; Dependabot leaves them to the generator."""


def generated_workflows(*, previews: bool) -> tuple[str, ...]:
    """The workflow files the generator owns for a spec (``preview.yml`` with previews)."""
    return (*GENERATED_WORKFLOWS, PREVIEW_PATH) if previews else GENERATED_WORKFLOWS
