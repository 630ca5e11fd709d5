"""``BootstrapImage``: build the application image once from a local context, before CI exists.

A brand-new environment has an ECS service but no image: CI has never run. With this component
``pulumi up`` builds the application from a local Docker context and pushes it to the stack's
ECR repository, authenticating with ECR's authorization token (short-lived, never stored in
config). It is off by default; once CI deploys, the image channel (``slipway.image_channel``)
takes over and this image is only the fallback of a first run.

The tag is ``bootstrap-<hash of the context>``: ECR tags are immutable, so a changed context
gets a new tag instead of failing to overwrite the old one. The image is not built during
``pulumi preview`` (``build_on_preview=False``), so previews stay fast and need no Docker engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from slipway.errors import ConfigError, invalid

PLATFORMS = ("linux/amd64", "linux/arm64")
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".venv", "__pycache__"})


def context_digest(context: Path) -> str:
    """sha256 over the context's file names and contents (VCS and dependency folders skipped)."""
    digest = hashlib.sha256()
    for path in sorted(context.rglob("*")):
        relative = path.relative_to(context)
        if path.is_dir() or SKIPPED_DIRECTORIES.intersection(relative.parts):
            continue
        digest.update(str(relative).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_context_problems(
    context: str,
    dockerfile: str = "Dockerfile",
    context_name: str = "BootstrapImageArgs.context",
    dockerfile_name: str | None = None,
) -> list[str]:
    """A problem unless ``context`` is an existing directory holding ``dockerfile``.

    Relative paths are taken from the working directory, as ``docker build`` (and ``pulumi
    up``) take them. ``context_name`` is how the caller's user spells the context (the stack
    settings pass ``slipway:bootstrapBuildContext``); a missing Dockerfile is blamed on
    ``dockerfile_name`` when the caller has such a setting, else on the context.
    """
    path = Path(context)
    if not path.is_dir():
        where = f" (relative paths start at {Path.cwd()})" if not path.is_absolute() else ""
        return [invalid(context_name, context, f"an existing directory{where}")]
    if not (path / dockerfile).is_file():
        if dockerfile_name is None:
            return [invalid(context_name, context, f"a directory that holds a {dockerfile}")]
        return [invalid(dockerfile_name, dockerfile, f"a file inside the context {context}")]
    return []


@dataclass(frozen=True)
class BootstrapImageArgs:
    """Arguments of :class:`BootstrapImage`."""

    context: str
    """Path of the Docker build context (relative to the working directory of ``pulumi up``)."""
    repository_url: pulumi.Input[str]
    """ECR repository to push to (``ContainerRegistry.repository_url``)."""
    registry_id: pulumi.Input[str]
    """Account of the registry (``ContainerRegistry.registry_id``), for the authorization token."""
    dockerfile: str = "Dockerfile"
    """Dockerfile, relative to ``context``."""
    target: str | None = None
    """Build stage to stop at. Default: the last stage (the runtime image)."""
    platform: str = "linux/amd64"
    """``linux/amd64`` or ``linux/arm64``; must match the service's CPU architecture."""

    def __post_init__(self) -> None:
        problems = build_context_problems(
            self.context,
            self.dockerfile,
            "BootstrapImageArgs.context",
            "BootstrapImageArgs.dockerfile",
        )
        if self.platform not in PLATFORMS:
            problems.append(
                invalid("BootstrapImageArgs.platform", self.platform, " or ".join(PLATFORMS))
            )
        if problems:
            raise ConfigError(problems)


class BootstrapImage(pulumi.ComponentResource):
    """The application image built from a local context and pushed to ECR.

    Outputs:
        image: ``<repository-url>@sha256:…``, the pushed image by digest.
        tag: The ``bootstrap-<hash>`` tag it was pushed with.
    """

    TOKEN = "slipway:index:BootstrapImage"

    image: pulumi.Output[str]
    tag: str

    def __init__(
        self, name: str, args: BootstrapImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self.tag = f"bootstrap-{context_digest(Path(args.context))[:12]}"
        token = aws.ecr.get_authorization_token_output(
            registry_id=args.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        image = docker.Image(
            f"{name}-image",
            image_name=pulumi.Output.concat(args.repository_url, ":", self.tag),
            build=docker.DockerBuildArgs(
                context=args.context,
                dockerfile=str(Path(args.context) / args.dockerfile),
                platform=args.platform,
                target=args.target,
            ),
            build_on_preview=False,
            registry=docker.RegistryArgs(
                server=args.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image = image.repo_digest
        self.register_outputs({"image": self.image, "tag": self.tag})
