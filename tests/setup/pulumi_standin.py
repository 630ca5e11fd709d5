"""A recording stand-in of :class:`slipway.setup.engine.Engine`, imitating only what Pulumi's
Automation API documents (engine.py's docstring): stacks exist per backend URL and project once
created; config is kept as set (a secret is marked, not shown); ``up`` runs the stack's program
and keeps its outputs; ``export_stack``/``import_stack`` copy the deployment. Programs are the
test's: each stands for what the real program would create (in moto, in the GitHub stand-in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slipway.setup.engine import ConfigInput, StackRef
from slipway.setup.steps import SetupError

Program = Callable[[StackRef, dict[str, Any]], dict[str, Any]]


@dataclass
class StandInStack:
    secrets_provider: str | None
    config: dict[str, Any] = field(default_factory=dict)
    secret_keys: set[str] = field(default_factory=set)
    outputs: dict[str, Any] = field(default_factory=dict)
    deployment: dict[str, Any] | None = None


@dataclass
class RecordingEngine:
    programs: dict[str, Program]
    """project -> what its ``up`` creates; returns the outputs."""
    backends: dict[str, dict[tuple[str, str], StandInStack]] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    """(operation, project, stack)."""
    fail_once: set[tuple[str, str]] = field(default_factory=set)
    """(operation, stack) that fails once, as the CLI failing (a CommandError, turned into a
    SetupError by AutomationEngine)."""

    credentials: str | None = None
    """The GitHub token the command gave the engine for the CLI's environment."""

    def with_credentials(self, token: str) -> RecordingEngine:
        self.credentials = token
        return self

    def _record(self, operation: str, ref: StackRef) -> None:
        self.calls.append((operation, ref.project, ref.stack))
        if (operation, ref.stack) in self.fail_once:
            self.fail_once.discard((operation, ref.stack))
            raise SetupError(f"pulumi {operation}: stand-in failure of {ref.stack}")

    def _get(self, ref: StackRef) -> StandInStack:
        stacks = self.backends.get(ref.backend_url, {})
        if (ref.project, ref.stack) not in stacks:
            raise SetupError(f"no stack {ref.stack} in {ref.backend_url}")
        return stacks[(ref.project, ref.stack)]

    def stack_exists(self, ref: StackRef) -> bool:
        return (ref.project, ref.stack) in self.backends.get(ref.backend_url, {})

    def ensure_stack(self, ref: StackRef) -> None:
        self._record("create_or_select_stack", ref)
        self.backends.setdefault(ref.backend_url, {}).setdefault(
            (ref.project, ref.stack), StandInStack(ref.secrets_provider)
        )

    def config(self, ref: StackRef) -> dict[str, Any]:
        return dict(self._get(ref).config)

    def set_config(self, ref: StackRef, key: str, value: ConfigInput, *, secret: bool) -> None:
        self._record("set_config", ref)
        stack = self._get(ref)
        stack.config[key] = value
        if secret:
            stack.secret_keys.add(key)

    def up(self, ref: StackRef, on_output: Callable[[str], None]) -> dict[str, Any]:
        self._record("up", ref)
        stack = self._get(ref)
        on_output(f"Updating ({ref.stack})")
        stack.outputs = self.programs[ref.project](ref, dict(stack.config))
        stack.deployment = {"resources": sorted(stack.outputs)}
        return dict(stack.outputs)

    def outputs(self, ref: StackRef) -> dict[str, Any]:
        return dict(self._get(ref).outputs)

    def export_stack(self, ref: StackRef) -> Mapping[str, Any]:
        self._record("export_stack", ref)
        return {"version": 3, "deployment": self._get(ref).deployment}

    def import_stack(self, ref: StackRef, deployment: Mapping[str, Any]) -> None:
        self._record("import_stack", ref)
        self._get(ref).deployment = dict(deployment["deployment"])
