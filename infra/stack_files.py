"""The project's stack files, read as the Pulumi CLI reads them: one code path for ``pulumi up``
(the program reads the other stacks' plain settings: :mod:`infra.previews`) and the offline
tooling (:mod:`tooling.offline`, ``make plan``, the tests).

The ``Pulumi.<stack>.yaml`` files beside ``Pulumi.yaml`` are the project's source: they are in
the infrastructure repository's checkout whenever ``pulumi up`` or ``pulumi preview`` runs
(Pulumi.yaml ``main: infra/``, so this package's parent is the project root). Only plain values
are read from them: a ``secure:`` value cannot be decrypted here and stays a placeholder.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from infra.common import NAMESPACE, Profile
from slipway.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The project directory (where Pulumi.yaml and the stack files live)."""
SECRET_PLACEHOLDER = "[secret]"
"""What a ``secure:`` value from a stack file becomes offline, where it cannot be decrypted."""

StackConfig = dict[str, str]


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (ten times faster on Pulumi.yaml), else
the pure-Python one; both construct plain data only."""


class DuplicateKeyError(yaml.YAMLError):
    """A mapping in a Pulumi file sets one key twice (each problem names the key and both
    lines)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a mapping key given twice as the Pulumi CLI does.

    The CLI reads stack and project files with gopkg.in/yaml.v3 (pulumi/pulumi
    ``sdk/go/common/encoding/marshal.go``, ``yamlMarshaler.Unmarshal``, used by
    ``LoadProjectStackBytes`` in ``sdk/go/common/workspace/loaders.go``; v3.0.1 in
    ``sdk/go.mod``). Its decoder checks every mapping for repeated keys before decoding it
    (go-yaml/yaml v3.0.1 ``decode.go``, ``decoder.mapping``: ``uniqueKeys`` is on by default)
    and fails with ``line 12: mapping key "slipway:x" already defined at line 9``. PyYAML
    keeps the last value without a word, so the offline loader checks as the CLI does.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first:
                self.duplicates.append(
                    f"line {line}: {key_node.value} is set twice, on lines "
                    f"{first[key_node.value]} and {line}; keep one (the Pulumi CLI refuses the "
                    f"file: mapping key {key_node.value!r} already defined at line "
                    f"{first[key_node.value]})"
                )
            else:
                first[key_node.value] = line
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def _load_yaml(text: str) -> Any:
    """Parse a Pulumi file as the CLI would: safe types only, and no key given twice in one
    mapping (:class:`DuplicateKeyError`, after the whole file is read so that each
    repetition is named)."""
    loader = _UniqueKeyLoader(text)
    try:
        document = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DuplicateKeyError(loader.duplicates)
    return document


_PROFILE_ORDER = tuple(p.value for p in Profile)
"""Profiles in promotion order (dev, staging, prod): stacks are listed in this order."""


def discover_stacks(root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """Every ``Pulumi.<name>.yaml`` in ``root`` is a stack. Ordered by their profile's place in
    the promotion order (dev, staging, prod), then by name; a file whose profile cannot be read
    (a YAML error, say) comes last, so planning it reports the problem."""

    def rank(path: Path) -> tuple[int, str]:
        name = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        try:
            config = (_load_yaml(path.read_text()) or {}).get("config") or {}
            profile = config.get(f"{NAMESPACE}:profile", name)
        except (yaml.YAMLError, AttributeError, OSError):
            profile = None
        order = _PROFILE_ORDER.index(profile) if profile in _PROFILE_ORDER else len(_PROFILE_ORDER)
        return order, name

    files = [p for p in root.glob("Pulumi.*.yaml") if p.name.count(".") == 2]
    return tuple(rank(p)[1] for p in sorted(files, key=rank))


STACK_FILE_KEYS = ("config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider")
"""The top-level keys of a stack file: the fields of the CLI's ``ProjectStack`` (pulumi/pulumi
``sdk/go/common/workspace/project.go``). The CLI's YAML decoder ignores any other key without a
word (yaml.v3 decodes into a struct leniently), so a misspelt ``configs:`` would lose every
setting under it: the offline loader refuses it."""


def _project(root: Path) -> dict[str, Any]:
    """Pulumi.yaml, read as the CLI reads it (the same decoder refuses a key set twice)."""
    try:
        document = _load_yaml((root / "Pulumi.yaml").read_text())
    except DuplicateKeyError as error:
        raise ConfigError([f"Pulumi.yaml, {problem}" for problem in error.problems]) from None
    return document if isinstance(document, dict) else {}


def _namespaced(config_key: str, project: str) -> str:
    """A stack file's config key as the CLI passes it to the program: a key without a
    namespace is the project's own (``logRetentionDays`` is ``<project>:logRetentionDays``;
    pulumi/pulumi ``sdk/go/common/workspace/loaders.go``, ``stackConfigNamespacedWithProject``,
    called by ``LoadProjectStackBytes``)."""
    return config_key if ":" in config_key else f"{project}:{config_key}"


def project_defaults(
    root: Path = PROJECT_ROOT, project: Mapping[str, Any] | None = None
) -> StackConfig:
    """Defaults that Pulumi.yaml (``project``, when already read) declares for the project's
    own settings."""
    project = _project(root) if project is None else project
    name = str(project.get("name") or NAMESPACE)
    defaults: StackConfig = {}
    for raw_key, declaration in (project.get("config") or {}).items():
        full_key = _namespaced(raw_key, name)
        if isinstance(declaration, dict) and "default" in declaration:
            defaults[full_key] = _as_config_string(declaration["default"])
        elif isinstance(declaration, dict) and "value" in declaration:
            defaults[full_key] = _as_config_string(declaration["value"])
    return defaults


def _unknown_top_level(file_name: str, name: str) -> str:
    close = difflib.get_close_matches(name, STACK_FILE_KEYS, n=1)
    return (
        f"{file_name}: the top-level key {name!r} is not one Pulumi reads (the CLI ignores it "
        f"and everything under it); one of {', '.join(STACK_FILE_KEYS)}"
        + (f"; did you mean {close[0]!r}?" if close else "")
    )


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> tuple[StackConfig, list[str]]:
    """The config map and secret keys that ``pulumi up`` would hand the program for ``stack``.

    ``secure:`` values cannot be decrypted offline; they become :data:`SECRET_PLACEHOLDER`,
    still marked secret, so the program takes the same path it takes for real. A key without
    a namespace is the project's, as the CLI reads it (:func:`_namespaced`). Refused with a
    :class:`ConfigError` naming the file, the key and its lines: a key set twice (in either
    spelling), and a top-level key the CLI would ignore (:data:`STACK_FILE_KEYS`).
    """
    path = root / f"Pulumi.{stack}.yaml"
    try:
        document = _load_yaml(path.read_text()) or {}
    except DuplicateKeyError as error:
        raise ConfigError([f"{path.name}, {problem}" for problem in error.problems]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = (
            f"{path.name}, line {mark.line + 1}, column {mark.column + 1}" if mark else path.name
        )
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML ({problem})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path.name}: got {type(document).__name__}; a mapping with 'config:'")
    unknown = [_unknown_top_level(path.name, str(k)) for k in document if k not in STACK_FILE_KEYS]
    if unknown:
        raise ConfigError(unknown)
    declared = _project(root)
    project = str(declared.get("name") or NAMESPACE)
    config = project_defaults(root, declared)
    secret_keys: list[str] = []
    spelled: dict[str, str] = {}
    twice: list[str] = []
    block = document.get("config") or {}
    if not isinstance(block, dict):
        raise ConfigError(f"{path.name}: config: got {type(block).__name__}; a mapping of keys")
    for config_key, value in block.items():
        full_key = _namespaced(str(config_key), project)
        if full_key in spelled:
            twice.append(
                f"{path.name}: {full_key} is set twice, as {spelled[full_key]!r} and "
                f"{config_key!r} (a key without a namespace is the project's); keep one"
            )
        spelled[full_key] = str(config_key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            config[full_key] = _as_config_string(value)
    if twice:
        raise ConfigError(twice)
    return config, secret_keys
