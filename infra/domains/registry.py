"""Registry: the stack's ECR repository, where the service's image comes from (ECR or GHCR),
and the image a brand-new environment starts with."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pulumi
from pydantic import Field

from infra.common import NAMESPACE, CheckContext, SettingsModel, component_rule
from infra.domains.identity import StackIdentity
from slipway import (
    BootstrapImage,
    BootstrapImageArgs,
    ContainerRegistry,
    ContainerRegistryArgs,
)
from slipway.bootstrap_image import build_context_problems
from slipway.image_channel import image_reference_problems, image_repository_problems
from slipway.patterns import github_login_problems
from slipway.registry import (
    keep_release_problems,
    pull_account_problems,
    release_tag_pattern_problems,
    untagged_expiry_problems,
)
from slipway.registry_replication import ReplicaTemplate


def _build_context(value: str, setting: str) -> list[str]:
    return build_context_problems(value, context_name=setting)


class RegistrySettings(SettingsModel):
    """The image registry and the image source."""

    registry_untagged_expiry_days: Annotated[int, component_rule(untagged_expiry_problems)] = Field(
        default=7, description="Untagged images expire this many days after push."
    )

    registry_keep_release_images: Annotated[int, component_rule(keep_release_problems)] = Field(
        default=30,
        description="How many release-tagged images the registry keeps; older ones expire. "
        "Rollback can reach back this far.",
    )

    registry_release_tag_patterns: Annotated[
        list[str], component_rule(release_tag_pattern_problems)
    ] = Field(
        default_factory=lambda: ["*.*.*"],
        description="ECR tag patterns that mark release images. Default: semantic versions "
        "(`1.4.2`), as the generated docker workflow tags them.",
    )

    registry_pull_account_ids: Annotated[list[str], component_rule(pull_account_problems)] = Field(
        default_factory=list,
        description="Other AWS accounts allowed to pull images (never push). Every other "
        "account is denied by the repository policy.",
    )

    image_source: Literal["ecr", "ghcr"] = Field(
        default="ecr",
        description="Where ECS pulls the application image: the stack's ECR repository, or "
        "GHCR through a read-only package token (`ghcrPullToken`).",
    )

    ghcr_image: Annotated[str | None, component_rule(image_repository_problems)] = Field(
        default=None,
        description="GHCR image (without tag) to run when `imageSource` is `ghcr`.",
    )

    ghcr_username: Annotated[str | None, component_rule(github_login_problems)] = Field(
        default=None,
        description="GitHub user or bot that owns `ghcrPullToken`. Required with GHCR.",
    )

    bootstrap_image: Annotated[str | None, component_rule(image_reference_problems)] = Field(
        default=None,
        description="Image a brand-new environment runs until CI deploys. Default: the "
        "repository's `bootstrap` tag, or the image built from `bootstrapBuildContext`.",
    )

    bootstrap_build_context: Annotated[str | None, component_rule(_build_context)] = Field(
        default=None,
        description="Local Docker context that `pulumi up` builds and pushes to ECR when the "
        "environment is new (pulumi-docker). Default: off.",
    )

    @property
    def ghcr(self) -> bool:
        """The service pulls from GHCR (``imageSource: ghcr``)."""
        return self.image_source == "ghcr"

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings."""
        problems: list[str] = []
        if self.ghcr:
            if self.ghcr_image is None:
                problems.append(self.invalid("ghcr_image", "a GHCR image when imageSource is ghcr"))
            if self.ghcr_username is None:
                problems.append(
                    self.invalid(
                        "ghcr_username", "the token owner's login when imageSource is ghcr"
                    )
                )
            if "ghcrPullToken" not in context.secrets:
                problems.append(
                    f"{NAMESPACE}:ghcrPullToken is required when imageSource is ghcr; set it "
                    "with `pulumi config set --secret ghcrPullToken <read-only package token>`"
                )
        if self.bootstrap_image is not None and self.bootstrap_build_context is not None:
            problems.append(
                self.invalid(
                    "bootstrap_build_context", "unset when bootstrapImage is set (pick one)"
                )
            )
        return problems


def repository_name(identity: StackIdentity) -> str:
    """The stack's ECR repository name, ``<app>/<environment>``."""
    return f"{identity.app}/{identity.environment}"


def replica_template(settings: RegistrySettings) -> ReplicaTemplate:
    """What the repository's replicas in the disaster-recovery region keep: the same rules."""
    return ReplicaTemplate(
        untagged_expiry_days=settings.registry_untagged_expiry_days,
        keep_release_images=settings.registry_keep_release_images,
        release_tag_patterns=tuple(settings.registry_release_tag_patterns),
    )


def build(settings: RegistrySettings, identity: StackIdentity) -> ContainerRegistry:
    """The stack's ECR repository, :func:`repository_name`."""
    return ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            repository_name=repository_name(identity),
            untagged_expiry_days=settings.registry_untagged_expiry_days,
            keep_release_images=settings.registry_keep_release_images,
            release_tag_patterns=tuple(settings.registry_release_tag_patterns),
            pull_account_ids=tuple(settings.registry_pull_account_ids),
            key_deletion_window_days=identity.key_deletion_window_days,
            protect=identity.protect,
            tags=identity.tags,
        ),
    )


def bootstrap_image(
    settings: RegistrySettings, registry: ContainerRegistry, platform: str
) -> pulumi.Input[str]:
    """The image the service runs until CI deploys one: given, built here for ``platform``
    (``linux/amd64``), or the repository's ``:bootstrap`` tag."""
    if settings.bootstrap_image is not None:
        return settings.bootstrap_image
    if settings.bootstrap_build_context is not None:
        return BootstrapImage(
            "bootstrap",
            BootstrapImageArgs(
                context=settings.bootstrap_build_context,
                repository_url=registry.repository_url,
                registry_id=registry.registry_id,
                platform=platform,
            ),
        ).image
    if settings.ghcr:
        return f"{settings.ghcr_image}:bootstrap"
    return pulumi.Output.concat(registry.repository_url, ":bootstrap")


def outputs(image_registry: ContainerRegistry) -> dict[str, Any]:
    """The registry's part of the stack outputs (docs/outputs.md)."""
    return {
        "repositoryUrl": image_registry.repository_url,
        "repositoryArn": image_registry.repository_arn,
        "registryId": image_registry.registry_id,
        "registryKmsKeyArn": image_registry.kms_key_arn,
    }
