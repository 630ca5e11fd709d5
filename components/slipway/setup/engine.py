"""The one interface between the set-up command and Pulumi, shaped on Pulumi's Automation API.

The real implementation, :class:`AutomationEngine`, drives ``pulumi.automation`` (which runs the
Pulumi CLI; it cannot be installed here, so the tests drive a recording stand-in of this
interface). What it relies on, from the Automation API's documentation (Pulumi Docs, "Automation
API", https://www.pulumi.com/docs/iac/automation-api/, and the Python reference,
https://www.pulumi.com/docs/reference/pkg/python/pulumi/#module-pulumi.automation):

* ``create_or_select_stack(stack_name, work_dir=..., opts=LocalWorkspaceOptions(...))`` creates
  the stack if it does not exist, else selects it; ``LocalWorkspaceOptions.secrets_provider`` is
  the provider a new stack is created with, ``env_vars`` the environment of every CLI call
  (``PULUMI_BACKEND_URL`` chooses the backend, as ``pulumi login`` does);
* ``LocalWorkspace.list_stacks()`` lists the stacks of the project in the backend;
* ``Stack.set_config(key, ConfigValue(value, secret=True))``: a secret is encrypted with the
  stack's secrets provider (``pulumi config set --secret``); ``Stack.get_all_config()`` reads
  every value back (``pulumi config --json``);
* ``Stack.preview()``, ``Stack.up(on_output=...)`` (``UpResult.outputs``), ``Stack.outputs()``;
* ``Stack.export_stack()`` / ``Stack.import_stack(deployment)`` (``pulumi stack export`` /
  ``import``): how bootstrap's state moves from the local backend into the bucket.

The isolation work's secrets-provider migration can use the same interface.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from slipway.setup.steps import SetupError

ConfigInput = str | list[str]
T = TypeVar("T")


def _value(text: Any) -> Any:
    """A config value as set: lists were set as their JSON text."""
    if isinstance(text, str) and text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@dataclass(frozen=True)
class StackRef:
    """Which stack: the project's directory (its ``Pulumi.yaml``), the stack's name, and the
    backend it lives in."""

    work_dir: Path
    project: str
    stack: str
    backend_url: str
    secrets_provider: str | None = None
    passphrase_file: Path | None = None
    """With the ``passphrase`` secrets provider: the file holding the passphrase, given to the
    CLI as ``PULUMI_CONFIG_PASSPHRASE_FILE`` (Pulumi Docs, "Environment variables"), so nothing
    is prompted."""


class Engine(Protocol):
    """What the set-up command needs of Pulumi."""

    def stack_exists(self, ref: StackRef) -> bool: ...

    def ensure_stack(self, ref: StackRef) -> None:
        """``create_or_select_stack``."""

    def config(self, ref: StackRef) -> dict[str, Any]:
        """``get_all_config``: key -> value (secrets as stored, never decrypted here)."""

    def set_config(self, ref: StackRef, key: str, value: ConfigInput, *, secret: bool) -> None: ...

    def up(self, ref: StackRef, on_output: Callable[[str], None]) -> dict[str, Any]:
        """``preview`` then ``up``; the stack's outputs."""

    def outputs(self, ref: StackRef) -> dict[str, Any]: ...

    def export_stack(self, ref: StackRef) -> Mapping[str, Any]: ...

    def import_stack(self, ref: StackRef, deployment: Mapping[str, Any]) -> None: ...


def _cli(method: Callable[..., T]) -> Callable[..., T]:
    """A failed CLI call (``CommandError``, whose text is the exit code, stdout and stderr on
    lines of their own) becomes one :class:`SetupError` line naming the operation."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> T:
        from pulumi.automation.errors import CommandError

        try:
            return method(*args, **kwargs)
        except CommandError as error:
            detail = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
            operation = method.__name__.replace("_", " ")
            raise SetupError(f"pulumi {operation} failed: {detail}") from error

    return call


class AutomationEngine:
    """:class:`Engine` through ``pulumi.automation`` (needs the Pulumi CLI on PATH). A failed
    CLI call (``pulumi.automation.errors.CommandError``) becomes a :class:`SetupError` carrying
    the CLI's message.

    ``credentials`` go into the environment of every CLI call and nowhere else: the GitHub
    login's token as ``GITHUB_TOKEN``, which the pulumi-github provider reads when ``github:token``
    is not set (docs/deployment-guide.md, "GitHub credentials for the pulumi-github provider"),
    so it never enters a stack's configuration or state."""

    def __init__(self, credentials: Mapping[str, str] | None = None) -> None:
        self._credentials = dict(credentials or {})

    def _env(self, ref: StackRef) -> dict[str, str]:
        env = {**self._credentials, "PULUMI_BACKEND_URL": ref.backend_url}
        if ref.passphrase_file is not None:
            env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(ref.passphrase_file)
        return env

    def _stack(self, ref: StackRef) -> Any:
        from pulumi import automation as auto

        return auto.create_or_select_stack(
            stack_name=ref.stack,
            work_dir=str(ref.work_dir),
            opts=auto.LocalWorkspaceOptions(
                env_vars=self._env(ref),
                secrets_provider=ref.secrets_provider,
            ),
        )

    @_cli
    def stack_exists(self, ref: StackRef) -> bool:
        from pulumi import automation as auto

        workspace = auto.LocalWorkspace(work_dir=str(ref.work_dir), env_vars=self._env(ref))
        return any(s.name.split("/")[-1] == ref.stack for s in workspace.list_stacks())

    @_cli
    def ensure_stack(self, ref: StackRef) -> None:
        self._stack(ref)

    @_cli
    def config(self, ref: StackRef) -> dict[str, Any]:
        return {k: _value(v.value) for k, v in self._stack(ref).get_all_config().items()}

    @_cli
    def set_config(self, ref: StackRef, key: str, value: ConfigInput, *, secret: bool) -> None:
        from pulumi import automation as auto

        # A list is set whole, as its JSON text: the program reads structured values as JSON
        # (pulumi.Config.get_object), and nothing of a longer earlier list is left behind.
        text = json.dumps(value) if isinstance(value, list) else value
        self._stack(ref).set_config(key, auto.ConfigValue(text, secret=secret))

    @_cli
    def up(self, ref: StackRef, on_output: Callable[[str], None]) -> dict[str, Any]:
        stack = self._stack(ref)
        stack.preview(on_output=on_output)
        result = stack.up(on_output=on_output)
        return {k: v.value for k, v in result.outputs.items()}

    @_cli
    def outputs(self, ref: StackRef) -> dict[str, Any]:
        return {k: v.value for k, v in self._stack(ref).outputs().items()}

    @_cli
    def export_stack(self, ref: StackRef) -> Mapping[str, Any]:
        deployment = self._stack(ref).export_stack()
        return {"version": deployment.version, "deployment": deployment.deployment}

    @_cli
    def import_stack(self, ref: StackRef, deployment: Mapping[str, Any]) -> None:
        from pulumi import automation as auto

        self._stack(ref).import_stack(
            auto.Deployment(version=deployment["version"], deployment=deployment["deployment"])
        )
