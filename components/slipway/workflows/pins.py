"""Every third-party action the generated workflows use, pinned to a full commit SHA.

The versions live in one file, ``actions/action.yml`` beside this module (:data:`PINS_FILE`):
a composite action that is never run, whose ``uses:`` lines Dependabot's ``github-actions``
ecosystem bumps in Slipway's own repository. The rows were copied from the project's verified
pin table (``action-pins.tsv``: each SHA checked against the action's own repository); the
newest ``node24`` (or composite) release of each action is used unless a comment says why not.
A Dependabot bump changes every rendered workflow: regenerate the snapshots
(``UPDATE_SNAPSHOTS=1``) in the same pull request, and the application repositories get the new
pins with the next rendered pull request (their own Dependabot leaves generated files alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType

from slipway.errors import ConfigError, invalid
from slipway.patterns import VERSION_TAG

_SHA = re.compile(r"^[0-9a-f]{40}$")


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
        if not VERSION_TAG.match(self.tag):
            raise ConfigError(invalid(f"ActionPin.tag ({self.action})", self.tag, "vX.Y.Z"))

    @property
    def uses(self) -> str:
        """The value of a ``uses:`` key: ``owner/repo@<sha>``."""
        return f"{self.action}@{self.sha}"

    @property
    def major(self) -> int:
        """The major version of :attr:`tag`."""
        return int(self.tag[1:].split(".", 1)[0])


_USES = re.compile(r"^\s*- uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<sha>\S+) # (?P<tag>\S+)\s*$")
PINS_FILE = "actions/action.yml"
"""The one home of the pins, beside this module: a composite action that is never run, so
Dependabot's ``github-actions`` updates can bump its SHAs and tag comments."""


BASE_IMAGE_FILE = "images/Dockerfile"
"""The one home of the Dockerfile template's base image, beside this module: a Dockerfile that is
never built, so Dependabot's ``docker`` updates can bump its tag (and its digest, once one from
the registry is written there)."""
_FROM = re.compile(r"^FROM (?P<image>\S+)\s*$", re.M)


def base_image() -> str:
    """The base image of the Dockerfile template, from :data:`BASE_IMAGE_FILE`."""
    text = files("slipway.workflows").joinpath(BASE_IMAGE_FILE).read_text(encoding="utf-8")
    (image,) = _FROM.findall(text)
    return str(image)


def _load() -> dict[str, ActionPin]:
    text = files("slipway.workflows").joinpath(PINS_FILE).read_text(encoding="utf-8")
    found: dict[str, ActionPin] = {}
    for line in text.splitlines():
        match = _USES.match(line)
        if match:
            found[match["action"]] = ActionPin(match["action"], match["tag"], match["sha"])
    return found


_PINS = _load()


def _pin(action: str, *, path: str = "") -> ActionPin:
    """The pin of ``action`` from :data:`PINS_FILE`; ``path`` names a sub-action of the same
    repository at the same commit (``changesets/action`` + ``/version``)."""
    try:
        pin = _PINS[action]
    except KeyError:
        raise ConfigError(invalid("action pin", action, f"one listed in {PINS_FILE}")) from None
    return ActionPin(action + path, pin.tag, pin.sha) if path else pin


CHECKOUT = _pin("actions/checkout")
SETUP_NODE = _pin("actions/setup-node")
UPLOAD_ARTIFACT = _pin("actions/upload-artifact")
DOWNLOAD_ARTIFACT = _pin("actions/download-artifact")
ATTEST = _pin("actions/attest")
CHANGESETS_V2 = _pin("changesets/action")
"""changesets/action v2 (for ``@changesets/cli`` 3). The release workflow uses its sub-actions,
which live in the same repository at the same commit, so they share this pin."""
CHANGESETS_SELECT_MODE = _pin("changesets/action", path="/select-mode")
CHANGESETS_VERSION = _pin("changesets/action", path="/version")
CHANGESETS_PACK = _pin("changesets/action", path="/pack")
CHANGESETS_PUBLISH = _pin("changesets/action", path="/publish")
SETUP_BUILDX = _pin("docker/setup-buildx-action")
DOCKER_LOGIN = _pin("docker/login-action")
DOCKER_METADATA = _pin("docker/metadata-action")
BUILD_PUSH = _pin("docker/build-push-action")
CONFIGURE_AWS = _pin("aws-actions/configure-aws-credentials")
ECR_LOGIN = _pin("aws-actions/amazon-ecr-login")
TRIVY = _pin("aquasecurity/trivy-action")
UPLOAD_SARIF = _pin("github/codeql-action/upload-sarif")
SLACK = _pin("slackapi/slack-github-action")
CREATE_APP_TOKEN = _pin("actions/create-github-app-token")
"""Not in the shared pin table: tag v3.1.1 resolved to this commit in the action's own
repository (runs on node24); checked on 2026-12-01."""
PULUMI = _pin("pulumi/actions")

ALL_PINS: tuple[ActionPin, ...] = (
    CHECKOUT,
    SETUP_NODE,
    UPLOAD_ARTIFACT,
    DOWNLOAD_ARTIFACT,
    ATTEST,
    CHANGESETS_SELECT_MODE,
    CHANGESETS_VERSION,
    CHANGESETS_PACK,
    CHANGESETS_PUBLISH,
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
    {3: CHANGESETS_V2}
)
"""changesets/action refuses a ``@changesets/cli`` of another generation: action v2 runs CLI v3.
CLI v2 (action v1) is not supported any more: v1 has no select-mode, pack and publish
sub-actions, so it cannot split versioning, testing and publishing into jobs with separate
rights, and it would publish before the image is tested."""


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
