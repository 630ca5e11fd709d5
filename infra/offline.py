"""Run the real stack program offline, under Pulumi's mock runtime, and record what it sends.

This is what ``make plan`` and the test suite stand on. :class:`RecordingMonitor` keeps every
resource registration as the engine would receive it: type, name, parent, inputs (with which of
them are secret) and options. :class:`AwsMocks` answers like AWS and GitHub would, with ARNs,
URLs and IDs in their real shapes, and refuses invokes it does not know, so a new data source in
the program cannot slip through untested.

Tests assert on :attr:`Recording.resources` (what the program sent), never on what the mocks
echo back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

from infra.settings import NAMESPACE

ROOT = Path(__file__).resolve().parent.parent
"""The project directory (where Pulumi.yaml lives)."""
STACKS = ("dev", "staging", "prod")
ACCOUNT_ID = "111122223333"
"""The AWS account the mocks pretend to be (AWS's documentation example account)."""
SECRET_PLACEHOLDER = "[secret]"
"""What a ``secure:`` value from a stack file becomes offline, where it cannot be decrypted."""

StackConfig = dict[str, str]


# --------------------------------------------------------------------------------------------
# What was registered
# --------------------------------------------------------------------------------------------


@dataclass
class RecordedResource:
    """One resource registration, as the engine received it."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: frozenset[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]
    provider: str
    delete_before_replace: bool

    @property
    def parent_type(self) -> str:
        """Type token of the parent, read from its URN (``pulumi:pulumi:Stack`` at the top)."""
        if not self.parent:
            return ""
        return self.parent.split("::")[2].split("$")[-1]

    @property
    def parent_name(self) -> str:
        """Logical name of the parent."""
        return self.parent.split("::")[-1] if self.parent else ""

    def json_input(self, name: str) -> Any:
        """An input that holds a JSON document (policies), parsed."""
        return json.loads(self.inputs[name])


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Strip secret markers, reporting whether any were found."""
    if rpc.is_rpc_secret(value):
        inner, _ = _unwrap(rpc.unwrap_rpc_secret(value))
        return inner, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], secret = _unwrap(v)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [_unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request, in order."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[RecordedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
            inputs: dict[str, Any] = {}
            secret: set[str] = set()
            for name, value in raw.items():
                inputs[name], is_secret = _unwrap(value)
                if is_secret:
                    secret.add(name)
            self.records.append(
                RecordedResource(
                    type=request.type,
                    name=request.name,
                    urn=self.make_urn(request.parent, request.type, request.name),
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=inputs,
                    secret_inputs=frozenset(secret),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    ignore_changes=tuple(request.ignoreChanges),
                    dependencies=tuple(request.dependencies),
                    provider=request.provider,
                    delete_before_replace=bool(request.deleteBeforeReplace),
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------------------------
# What AWS and GitHub would answer
# --------------------------------------------------------------------------------------------


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


class AwsMocks(pulumi_mocks.Mocks):
    """Answers resource creations and invokes with values in AWS's and GitHub's real shapes."""

    def __init__(self, region: str, stack: str) -> None:
        self.region = region
        self.stack = stack

    # Physical names: the given ``name`` input, or Pulumi's auto-name (logical name + suffix).
    def _physical(self, args: pulumi_mocks.MockResourceArgs) -> str:
        given = args.inputs.get("name")
        if isinstance(given, str) and given:
            return given
        return f"{args.name}-{_hex(self.stack + args.name, 7)}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region, account = self.region, ACCOUNT_ID
        name = self._physical(args)
        state: dict[str, Any] = dict(args.inputs)
        token = args.typ
        module = token.split(":")[1].split("/")[0] if ":" in token else ""
        resource_id = name
        if token == "aws:kms/key:Key":
            resource_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{region}/{args.name}"))
            state.update(keyId=resource_id, arn=f"arn:aws:kms:{region}:{account}:key/{resource_id}")
        elif token == "aws:kms/alias:Alias":
            state.update(arn=f"arn:aws:kms:{region}:{account}:{name}")
        elif token == "aws:ecr/repository:Repository":
            state.update(
                name=name,
                arn=f"arn:aws:ecr:{region}:{account}:repository/{name}",
                registryId=account,
                repositoryUrl=f"{account}.dkr.ecr.{region}.amazonaws.com/{name}",
            )
        elif token == "aws:iam/role:Role":
            state.update(
                name=name,
                arn=f"arn:aws:iam::{account}:role/{name}",
                uniqueId="AROA" + _hex(name, 17).upper(),
            )
        elif token in ("aws:iam/rolePolicy:RolePolicy",):
            role = state.get("role", "role")
            resource_id = f"{role}:{name}"
            state["name"] = name
        elif module and token.startswith("aws:"):
            state.setdefault("arn", f"arn:aws:{module}:{region}:{account}:{name}")
        state.setdefault("tagsAll", state.get("tags") or {})
        return resource_id, state

    def call(
        self, args: pulumi_mocks.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/slipway-deployer/session",
                "userId": "AROA3XFRBF23EXAMPLE:session",
                "id": ACCOUNT_ID,
            }, []
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            }, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": [f"{self.region}{s}" for s in "abc"],
                "zoneIds": [
                    f"{self.region[:2]}{self.region.split('-')[1][:1]}1-az{i}" for i in (1, 2, 3)
                ],
                "id": self.region,
                "state": "available",
            }, []
        raise NotImplementedError(
            f"the offline runtime has no answer for invoke {token}; add one to AwsMocks.call"
        )


# --------------------------------------------------------------------------------------------
# Stack config as the Pulumi CLI would pass it
# --------------------------------------------------------------------------------------------


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def project_defaults(root: Path = ROOT) -> StackConfig:
    """Defaults that Pulumi.yaml declares for the project's own settings."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    defaults: StackConfig = {}
    for raw_key, declaration in (project.get("config") or {}).items():
        full_key = raw_key if ":" in raw_key else f"{NAMESPACE}:{raw_key}"
        if isinstance(declaration, dict) and "default" in declaration:
            defaults[full_key] = _as_config_string(declaration["default"])
        elif isinstance(declaration, dict) and "value" in declaration:
            defaults[full_key] = _as_config_string(declaration["value"])
    return defaults


def load_stack_config(stack: str, root: Path = ROOT) -> tuple[StackConfig, list[str]]:
    """The config map and secret keys that ``pulumi up`` would hand the program for ``stack``.

    ``secure:`` values cannot be decrypted offline; they become :data:`SECRET_PLACEHOLDER`,
    still marked secret, so the program takes the same path it takes for real.
    """
    path = root / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    config = project_defaults(root)
    secret_keys: list[str] = []
    for config_key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[config_key] = SECRET_PLACEHOLDER
            secret_keys.append(config_key)
        else:
            config[config_key] = _as_config_string(value)
    return config, secret_keys


# --------------------------------------------------------------------------------------------
# Running the program
# --------------------------------------------------------------------------------------------


@dataclass
class Recording:
    """Everything one offline run produced."""

    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def of_type(self, token: str) -> list[RecordedResource]:
        """All resources of one type token, in registration order."""
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> RecordedResource:
        """The single resource of ``token`` (and ``name``); fails when there is not exactly one."""
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(token)]
            raise LookupError(f"expected one {token} named {name!r}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(urn)


class _WarningCollector(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


Program = Callable[[], Mapping[str, Any]]


def default_program() -> Mapping[str, Any]:
    """What ``infra/__main__.py`` runs: load settings, then build."""
    from infra.settings import load_settings
    from infra.stack import build

    return build(*load_settings())


def run_program(
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | tuple[str, ...] = (),
    program: Program = default_program,
    preview: bool = False,
) -> Recording:
    """Run ``program`` under the mock runtime with ``config``; return what it registered.

    Exceptions from the program (a :class:`~components.ConfigError` for bad settings) propagate
    after the run; the partial recording is attached to them as ``recording``.
    """
    recording = Recording(stack=stack)
    region = config.get("aws:region", "us-east-1")
    mocks = AwsMocks(region=region, stack=stack)
    monitor = RecordingMonitor(mocks)
    logger = logging.getLogger(f"slipway.offline.{stack}")
    logger.propagate = False
    logger.handlers = [_WarningCollector(recording.warnings)]
    logger.setLevel(logging.WARNING)

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    pulumi.runtime.set_mocks(
        mocks, project="slipway", stack=stack, preview=preview, logger=logger, monitor=monitor
    )

    async def resolve(outputs: Mapping[str, Any]) -> None:
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            recording.outputs[name] = await output.future(with_unknowns=True)
            if await output.is_secret():
                recording.secret_outputs.add(name)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        return asyncio.ensure_future(resolve(program()))

    try:
        run()
    except BaseException as error:
        recording.resources = list(monitor.records)
        error.recording = recording  # type: ignore[attr-defined]
        raise
    recording.resources = list(monitor.records)
    return recording


def run_stack(
    stack: str,
    overrides: Mapping[str, str | None] | None = None,
    secrets: Mapping[str, str] | None = None,
    program: Program = default_program,
    root: Path = ROOT,
) -> Recording:
    """Run the program for ``stack`` from its ``Pulumi.<stack>.yaml``.

    ``overrides`` replace config values (``None`` removes a key); ``secrets`` add secret values.
    Keys without a namespace are taken as ``slipway:`` keys.
    """
    config, secret_keys = load_stack_config(stack, root)

    def qualified(config_key: str) -> str:
        return config_key if ":" in config_key else f"{NAMESPACE}:{config_key}"

    for config_key, value in (overrides or {}).items():
        if value is None:
            config.pop(qualified(config_key), None)
        else:
            config[qualified(config_key)] = value
    for config_key, value in (secrets or {}).items():
        config[qualified(config_key)] = value
        secret_keys.append(qualified(config_key))
    return run_program(stack, config, secret_keys, program)
