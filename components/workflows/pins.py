"""Every third-party action the generated workflows use, pinned to a full commit SHA.

This module is the only place that names an action version. The rows are copied from the
project's verified pin table (``action-pins.tsv``: each SHA checked against the action's own
repository); the newest ``node24`` (or composite) release of each action is used unless a
comment says why not. Nothing here is read from disk at run time.

Dependabot's ``github-actions`` ecosystem keeps the rendered ``uses:`` lines current; bump a row
here when it does, or the snapshot tests fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from components.errors import ConfigError, invalid

_SHA = re.compile(r"^[0-9a-f]{40}$")
_TAG = re.compile(r"^v\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class ActionPin:
    """One action pinned to a commit.

    ``action`` is ``owner/repo`` or ``owner/repo/path``; ``tag`` is the release the commit
    belongs to and is written as a ``# vX.Y.Z`` comment after the ``uses:`` value.
    """

    action: str
    tag: str
    sha: str

    def __post_init__(self) -> None:
        if not _SHA.match(self.sha):
            raise ConfigError(invalid(f"ActionPin.sha ({self.action})", self.sha, "40 hex digits"))
        if not _TAG.match(self.tag):
            raise ConfigError(invalid(f"ActionPin.tag ({self.action})", self.tag, "vX.Y.Z"))

    @property
    def uses(self) -> str:
        """The value of a ``uses:`` key: ``owner/repo@<sha>``."""
        return f"{self.action}@{self.sha}"

    @property
    def major(self) -> int:
        """The major version of :attr:`tag`."""
        return int(self.tag[1:].split(".", 1)[0])


CHECKOUT = ActionPin("actions/checkout", "v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1")
SETUP_NODE = ActionPin("actions/setup-node", "v7.0.0", "820762786026740c76f36085b0efc47a31fe5020")
UPLOAD_ARTIFACT = ActionPin(
    "actions/upload-artifact", "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"
)
DOWNLOAD_ARTIFACT = ActionPin(
    "actions/download-artifact", "v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"
)
ATTEST = ActionPin("actions/attest", "v4.2.2", "1e69f48acb82d1966a394da916b4c1698aa569d6")
CHANGESETS_V1 = ActionPin("changesets/action", "v1.9.0", "a45c4d594aa4e2c509dc14a9f2b3b67ba3780d0d")
CHANGESETS_V2 = ActionPin("changesets/action", "v2.1.1", "8488615a623b1b9c987934bb89eae8af6a946ac1")
SETUP_BUILDX = ActionPin(
    "docker/setup-buildx-action", "v4.3.0", "37fe631027851001ddb9b187196cc803df7f5f0e"
)
DOCKER_LOGIN = ActionPin(
    "docker/login-action", "v4.1.0", "4907a6ddec9925e35a0a9e82d7399ccc52663121"
)
DOCKER_METADATA = ActionPin(
    "docker/metadata-action", "v6.2.0", "dc802804100637a589fabce1cb79ff13a1411302"
)
BUILD_PUSH = ActionPin(
    "docker/build-push-action", "v7.3.0", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a"
)
CONFIGURE_AWS = ActionPin(
    "aws-actions/configure-aws-credentials", "v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c"
)
ECR_LOGIN = ActionPin(
    "aws-actions/amazon-ecr-login", "v2.1.7", "03f1aad4c6c7ffd436567f42f9384779290529bd"
)
TRIVY = ActionPin(
    "aquasecurity/trivy-action", "v0.36.0", "ed142fd0673e97e23eac54620cfb913e5ce36c25"
)
UPLOAD_SARIF = ActionPin(
    "github/codeql-action/upload-sarif", "v4.36.2", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e"
)
SLACK = ActionPin(
    "slackapi/slack-github-action", "v4.0.0", "dcb1066f776dd043e64d0e8ba94ca15cc7e1875d"
)
CREATE_APP_TOKEN = ActionPin(
    "actions/create-github-app-token", "v3.1.1", "1b10c78c7865c340bc4f6099eb2f838309f1e8c3"
)
"""Not in the shared pin table: tag v3.1.1 resolved to this commit in the action's own
repository (runs on node24); checked on 2026-12-01."""
PULUMI = ActionPin("pulumi/actions", "v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d")

ALL_PINS: tuple[ActionPin, ...] = (
    CHECKOUT,
    SETUP_NODE,
    UPLOAD_ARTIFACT,
    DOWNLOAD_ARTIFACT,
    ATTEST,
    CHANGESETS_V1,
    CHANGESETS_V2,
    SETUP_BUILDX,
    DOCKER_LOGIN,
    DOCKER_METADATA,
    BUILD_PUSH,
    CONFIGURE_AWS,
    ECR_LOGIN,
    TRIVY,
    UPLOAD_SARIF,
    SLACK,
    CREATE_APP_TOKEN,
    PULUMI,
)
"""Every pin the generator may emit; a test checks each rendered ``uses:`` against this."""

CHANGESETS_ACTION_FOR_CLI_MAJOR: MappingProxyType[int, ActionPin] = MappingProxyType(
    {2: CHANGESETS_V1, 3: CHANGESETS_V2}
)
"""changesets/action refuses a ``@changesets/cli`` of another generation: action v1 runs CLI v2,
action v2 runs CLI v3 (and renames its inputs)."""


def changesets_action_for(cli_major: int) -> ActionPin:
    """Return the changesets/action pin whose major matches ``@changesets/cli`` ``cli_major``."""
    try:
        return CHANGESETS_ACTION_FOR_CLI_MAJOR[cli_major]
    except KeyError:
        allowed = ", ".join(str(k) for k in sorted(CHANGESETS_ACTION_FOR_CLI_MAJOR))
        raise ConfigError(
            invalid("WorkflowSpec.changesets_cli_major", cli_major, f"one of {allowed}")
        ) from None


def pin_for_uses(uses: str) -> ActionPin | None:
    """Return the pin whose :attr:`ActionPin.uses` equals ``uses``, or None."""
    for pin in ALL_PINS:
        if pin.uses == uses:
            return pin
    return None
