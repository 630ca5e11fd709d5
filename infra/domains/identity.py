"""Identity: who the stack is. The environment and application names, the application
repository, the stack-wide guardrails (protection, key deletion window), and the small
:class:`StackIdentity` every other domain receives instead of the whole settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field

from infra.common import (
    Profile,
    ProfileTable,
    SettingsModel,
    component_rule,
    decision,
    name,
)
from slipway.encryption_key import DELETION_WINDOW_DAYS, deletion_window_problems
from slipway.patterns import repository_slug_problems


@dataclass(frozen=True)
class IdentityProfile:
    """What the profile decides for every domain at once."""

    protect_stateful: bool = decision(
        "Registries, keys, secrets, log groups and backups are protected and retained on delete"
    )


PROFILES = ProfileTable(
    dev=IdentityProfile(protect_stateful=False),
    staging=IdentityProfile(protect_stateful=False),
    prod=IdentityProfile(protect_stateful=True),
)


class IdentitySettings(SettingsModel):
    """Settings that name the stack and hold for every domain."""

    PROFILES = PROFILES

    environment: Annotated[str | None, AfterValidator(name)] = Field(
        default=None,
        description="Name of the environment: the GitHub deployment environment and part of "
        "every AWS resource name. Default: the stack name.",
    )

    app_name: Annotated[str | None, AfterValidator(name)] = Field(
        default=None,
        description="Short name of the application, the first part of every AWS resource "
        "name. Default: the application repository's name, lower-cased.",
    )

    github_repository: Annotated[str, component_rule(repository_slug_problems)] = Field(
        description="The application's GitHub repository, `owner/name`. The three stacks "
        "usually share it.",
    )

    kms_deletion_window_days: Annotated[int, component_rule(deletion_window_problems)] = Field(
        default=30,
        description="Days a scheduled deletion of a KMS key waits before the key is gone: "
        f"{DELETION_WINDOW_DAYS[0]} to {DELETION_WINDOW_DAYS[-1]}.",
    )

    @property
    def env(self) -> str:
        """The environment name (always set once loaded: the stack name by default)."""
        assert self.environment is not None
        return self.environment

    @property
    def repository_owner(self) -> str:
        """Owner (organisation or user) of the application repository."""
        return self.github_repository.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """Name of the application repository, without the owner."""
        return self.github_repository.split("/", 1)[1]

    @property
    def app(self) -> str:
        """The application's short name."""
        if self.app_name is not None:
            return self.app_name
        cleaned = re.sub(r"[^a-z0-9]+", "-", self.repository_name.lower()).strip("-")
        return (cleaned or "app")[:24].rstrip("-")

    @property
    def protect_stateful(self) -> bool:
        """Stateful resources are protected and retained (:class:`IdentityProfile`)."""
        return bool(self.decided().protect_stateful)

    @property
    def resource_prefix(self) -> str:
        """``<app>-<environment>``: the start of every AWS resource name of this stack."""
        return resource_prefix(self.app, self.env)

    @property
    def tags(self) -> dict[str, str]:
        """Tags put on every taggable AWS resource of the stack (:func:`stack_tags`)."""
        return stack_tags(self.app, self.env, self.profile, self.github_repository)

    def identity(self, region: str) -> StackIdentity:
        """The identity the domains build with."""
        return StackIdentity(
            environment=self.env,
            app=self.app,
            profile=self.profile,
            region=region,
            repository=self.github_repository,
            protect=self.protect_stateful,
            key_deletion_window_days=self.kms_deletion_window_days,
        )


@dataclass(frozen=True)
class StackIdentity:
    """What every domain knows of the stack: its names, region and stack-wide guardrails."""

    environment: str
    app: str
    profile: Profile
    region: str
    """``aws:region``: the region of the stack's default AWS provider."""
    repository: str
    """The application's GitHub repository, ``owner/name``."""
    protect: bool
    """Protect and retain stateful resources (the profile decides)."""
    key_deletion_window_days: int
    """Days a scheduled deletion of any of the stack's KMS keys waits."""

    @property
    def is_prod(self) -> bool:
        """True for the prod profile."""
        return self.profile is Profile.PROD

    @property
    def resource_prefix(self) -> str:
        """``<app>-<environment>``: the start of every AWS resource name of this stack."""
        return resource_prefix(self.app, self.environment)

    @property
    def tags(self) -> dict[str, str]:
        """Tags put on every taggable AWS resource of the stack (:func:`stack_tags`)."""
        return stack_tags(self.app, self.environment, self.profile, self.repository)


def resource_prefix(app: str, environment: str) -> str:
    """``<app>-<environment>``: the start of every AWS resource name of a stack."""
    return f"{app}-{environment}"


def stack_tags(app: str, environment: str, profile: Profile, repository: str) -> dict[str, str]:
    """The tags of every taggable AWS resource of a stack."""
    return {
        "slipway:app": app,
        "slipway:environment": environment,
        "slipway:profile": profile.value,
        "slipway:repository": repository,
    }
