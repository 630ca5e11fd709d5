"""The placeholder image a new environment serves before CI's first deploy, built in the user's
own account by AWS CodeBuild: no Docker on the user's machine, no third-party base image.

The sources are package data next to this module: ``placeholder.c`` (a static HTTP server that
answers every GET and HEAD with 200, and the ``node -e`` health probe the stack's default
container health check runs), the ``Dockerfile`` (``FROM scratch``, user 65534) and
``build.sh`` (compile, ``docker build``, push to ECR). ``bootstrap/`` owns one CodeBuild project
per CPU architecture (:data:`ARCHITECTURES`) whose buildspec (:func:`buildspec`) carries the
sources as a gzipped tar (the project has no source: ``NO_SOURCE``), and the repository
:data:`REPOSITORY` they push to. The set-up command starts the builds (step
``placeholder-image``) and gives every stack ``slipway:bootstrapImage =
<repository URI>@<digest>``, the digest read from ECR.

The tag, ``placeholder-<hash of the sources>-<amd64|arm64>`` (:func:`image_tag`), changes
with the sources, so an immutable repository never refuses a new build, and an unchanged
source never builds twice.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from importlib import resources

import yaml

SOURCES = ("Dockerfile", "build.sh", "placeholder.c")
"""The package data the build needs, in the archive's order."""
REPOSITORY = "slipway/placeholder"
"""The placeholder repository's name (bootstrap/__main__.py creates it)."""
BUILD_DIRECTORY = '"$CODEBUILD_SRC_DIR/slipway-placeholder"'
"""Where the buildspec unpacks the sources: below the build's own directory (CodeBuild sets
``CODEBUILD_SRC_DIR`` in every build, with or without a source: CodeBuild User Guide,
"Environment variables in build environments")."""


@dataclass(frozen=True)
class Architecture:
    """How one ``slipway:cpuArchitecture`` is built."""

    platform: str
    """The image's architecture, as Docker names it (and the tag's suffix)."""
    environment_type: str
    """CodeBuild's environment type (botocore's codebuild model, ``EnvironmentType``)."""
    image: str
    """CodeBuild's managed Amazon Linux 2023 image for it: gcc, Docker and the AWS CLI
    installed (aws/aws-codebuild-docker-images ``al/x86_64/standard/5.0`` and
    ``al/aarch64/standard/3.0``; CodeBuild User Guide, "Docker images provided by CodeBuild")."""

    @property
    def project(self) -> str:
        """The CodeBuild project's name."""
        return f"slipway-placeholder-{self.platform}"


ARCHITECTURES = {
    "X86_64": Architecture(
        "amd64", "LINUX_CONTAINER", "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    ),
    "ARM64": Architecture(
        "arm64", "ARM_CONTAINER", "aws/codebuild/amazonlinux-aarch64-standard:3.0"
    ),
}
"""Keyed by ``slipway:cpuArchitecture`` (``X86_64``, the stack's default, or ``ARM64``)."""
DEFAULT_ARCHITECTURE = "X86_64"
"""``slipway:cpuArchitecture``'s default (infra/domains/compute.py)."""


def sources() -> dict[str, bytes]:
    """The sources, read from the installed package."""
    folder = resources.files(__name__)
    return {name: folder.joinpath(name).read_bytes() for name in SOURCES}


def source_hash() -> str:
    """sha256 over the sources' names and contents (the first 12 hex digits name the tag)."""
    digest = hashlib.sha256()
    for name, content in sources().items():
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def image_tag(cpu_architecture: str) -> str:
    """``placeholder-<sha12>-<platform>``."""
    return f"placeholder-{source_hash()[:12]}-{ARCHITECTURES[cpu_architecture].platform}"


def archive() -> bytes:
    """The sources as a gzipped tar, byte for byte the same for the same sources (no times,
    owners or names of the machine that made it), so the buildspec is stable across runs."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in sources().items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def buildspec(cpu_architecture: str) -> str:
    """The build of one architecture (CodeBuild buildspec version 0.2): unpack the sources,
    then run ``build.sh`` with ``IMAGE_TAG`` set. ``REPOSITORY_URI`` is the project's own
    environment variable."""
    encoded = base64.b64encode(archive()).decode()
    spec = {
        "version": 0.2,
        "env": {"variables": {"IMAGE_TAG": image_tag(cpu_architecture)}},
        "phases": {
            "build": {
                "commands": [
                    f"mkdir -p {BUILD_DIRECTORY}",
                    f"echo {encoded} | base64 -d | tar -xzf - -C {BUILD_DIRECTORY}",
                    f"bash {BUILD_DIRECTORY}/build.sh",
                ]
            }
        },
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1_000_000)
