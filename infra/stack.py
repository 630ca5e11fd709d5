"""Composition of one Slipway stack from its settings."""

from __future__ import annotations

from typing import Any

import pulumi

from components import ContainerRegistry, ContainerRegistryArgs
from infra.settings import StackSecrets, StackSettings, load_settings


def build(settings: StackSettings, secrets: StackSecrets) -> dict[str, Any]:
    """Create every resource of the stack and return its outputs (name to value).

    The output names are a stable, documented contract (docs/outputs.md): other stacks and
    the application repository's workflows read them.
    """
    del secrets  # no component of this stack reads a secret yet
    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            repository_name=f"{settings.app}/{settings.env}",
            untagged_expiry_days=settings.registry_untagged_expiry_days,
            keep_release_images=settings.registry_keep_release_images,
            release_tag_patterns=tuple(settings.registry_release_tag_patterns),
            pull_account_ids=tuple(settings.registry_pull_account_ids),
            key_deletion_window_days=settings.kms_deletion_window_days,
            protect=settings.protect_stateful,
            tags=settings.tags,
        ),
    )
    return {
        "environment": settings.env,
        "profile": settings.profile.value,
        "repositoryUrl": registry.repository_url,
        "repositoryArn": registry.repository_arn,
        "registryId": registry.registry_id,
        "registryKmsKeyArn": registry.kms_key_arn,
    }


def main() -> None:
    """Load settings, build the stack and export its outputs: what ``pulumi up`` runs."""
    settings, secrets = load_settings()
    for name, value in build(settings, secrets).items():
        pulumi.export(name, value)
