"""Secrets: the application's secrets in Secrets Manager (values set outside Pulumi or as
secret settings) and, with GHCR, the pull token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import Field

from infra.common import ProfileTable, SettingsModel, component_rule, decision
from infra.domains.compute import variable_names as _variable_names
from infra.domains.identity import StackIdentity
from slipway import SecretSpec, SecretStore, SecretStoreArgs
from slipway.jsonout import json_output
from slipway.secret_store import recovery_window_problems

GHCR_PULL_SECRET = "ghcr-pull"
"""Name of the GHCR pull token's secret (after the stack's prefix)."""


def secret_name(variable: str) -> str:
    """Secrets Manager name of an application secret after the stack's prefix: the variable
    itself (``storefront/prod/DATABASE_URL``), so operators know what to fill."""
    return variable


@dataclass(frozen=True)
class SecretsProfile:
    """What the profile decides for secrets."""

    secrets_recovery_window_days: int = decision(
        "Days a deleted secret can be restored (`secretsRecoveryWindowDays`)"
    )
    replicate_to_copy_region: bool = decision(
        "Secrets are replicated to `backupCopyRegion` for disaster recovery"
    )


PROFILES = ProfileTable(
    dev=SecretsProfile(secrets_recovery_window_days=0, replicate_to_copy_region=False),
    staging=SecretsProfile(secrets_recovery_window_days=7, replicate_to_copy_region=False),
    prod=SecretsProfile(secrets_recovery_window_days=30, replicate_to_copy_region=True),
)


class SecretsSettings(SettingsModel):
    """The application's secrets."""

    PROFILES = PROFILES

    app_secrets: Annotated[list[str], component_rule(_variable_names)] = Field(
        default_factory=list,
        description="Secrets the application reads as environment variables. Each becomes a "
        "Secrets Manager secret created empty and filled outside Pulumi (`aws secretsmanager "
        "put-secret-value`), so its value never enters Pulumi state; see docs/secrets.md.",
    )

    secrets_recovery_window_days: Annotated[
        int | None, component_rule(recovery_window_problems)
    ] = Field(
        default=None,
        description="Days a deleted secret can be restored (0 or 7 to 30).",
    )


@dataclass(frozen=True)
class GhcrPull:
    """The GHCR pull token ECS uses: the token owner's login and the token (a secret)."""

    username: str
    token: pulumi.Output[str]


def build(
    settings: SecretsSettings,
    identity: StackIdentity,
    values: dict[str, pulumi.Output[str] | None],
    copy_region: str | None,
    ghcr: GhcrPull | None,
) -> SecretStore:
    """The application's secrets; ``values`` holds the secret settings' values by variable
    (None: created empty, filled outside Pulumi). Replicated to ``copy_region`` when the
    profile says so."""
    prefix = identity.resource_prefix
    replicate = settings.decided().replicate_to_copy_region and copy_region is not None
    specs = [
        SecretSpec(
            name=secret_name(variable),
            description=f"{variable} of {prefix}",
            value=values.get(variable),
        )
        for variable in settings.app_secrets
    ]
    if ghcr is not None:
        specs.append(
            SecretSpec(
                name=GHCR_PULL_SECRET,
                description="Read-only GHCR package token ECS pulls the image with",
                value=json_output({"username": ghcr.username, "password": ghcr.token}),
            )
        )
    return SecretStore(
        "secrets",
        SecretStoreArgs(
            name_prefix=f"{identity.app}/{identity.environment}/",
            secrets=tuple(specs),
            key_deletion_window_days=identity.key_deletion_window_days,
            recovery_window_days=settings.by_profile("secrets_recovery_window_days"),
            replica_regions=(copy_region,) if replicate and copy_region else (),
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def outputs(store: SecretStore) -> dict[str, Any]:
    """The secrets' part of the stack outputs (docs/outputs.md)."""
    return {"secretArns": store.secret_arns}
