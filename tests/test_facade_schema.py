"""The facade's package schema (provider/schema.json): committed, current, and well formed.

The structural rules below are those of Pulumi's package-schema definition,
``pkg/codegen/schema/pulumi.json`` in pulumi/pulumi (read at commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8), encoded here so the test needs no copy of it:
- ``$defs/token``: ``^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/]*$``;
  Slipway's components live in module ``index`` (``slipway:index:<Name>``);
- ``$defs/typeSpec``: a type is exactly one of a primitive (``boolean``, ``integer``, ``number``,
  ``string``), an array (``type: array`` with ``items``), a map (``type: object``, optional
  ``additionalProperties``), a ``$ref``, or a ``oneOf`` union;
- ``$defs/enumTypeSpec``: an enum has a primitive ``type`` and ``enum`` values, each with a
  ``value``; ``$defs/objectTypeSpec``/``resourceSpec``: ``required`` and ``requiredInputs`` name
  properties of the same object;
- a ``$ref`` is ``#/types/<token>`` (a type of this package),
  ``pulumi.json#/Any|Archive|Asset|Json`` or ``/<package>/v<version>/schema.json#/...``
  (another package's, listed in ``dependencies``);
- no member may be ``null`` (the Go structs the CLI decodes into use ``omitempty``).
"""

import dataclasses
import json
import re
from typing import Any

import pytest

import slipway
from slipway.workflow_set import WorkflowSetArgs
from slipway_facade import COMPONENTS
from slipway_facade.schema import SCHEMA_PATH, schema_text

TOKEN = re.compile(r"^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/]*$")
PRIMITIVES = {"boolean", "integer", "number", "string"}
BUILTIN_REFS = {
    "pulumi.json#/Any",
    "pulumi.json#/Archive",
    "pulumi.json#/Asset",
    "pulumi.json#/Json",
}
EXPECTED = {
    "FargateService": slipway.FargateServiceArgs,
    "ContainerRegistry": slipway.ContainerRegistryArgs,
    "EcsCluster": slipway.EcsClusterArgs,
    "Network": slipway.NetworkArgs,
    "SecretStore": slipway.SecretStoreArgs,
    "Alerting": slipway.AlertingArgs,
    "AuditTrail": slipway.AuditTrailArgs,
    "ServiceMonitoring": slipway.ServiceMonitoringArgs,
    "BackupPlan": slipway.BackupPlanArgs,
    "RepositoryGuardrails": slipway.RepositoryGuardrailsArgs,
    "StackBoundary": slipway.StackBoundaryArgs,
    "DeploymentEnvironment": slipway.DeploymentEnvironmentArgs,
    "GithubOidc": slipway.GithubOidcArgs,
    "WorkflowSet": WorkflowSetArgs,
}
"""Each facade component, with the Python API's args class whose defaults decide what the
schema may require."""
METHODS_AS_INPUTS = {
    "GithubOidc": {"deployRoles"},
    "FargateService": {"canary", "linear", "blueGreen"},
}
"""Optional inputs with no field of the same name in the Python API: one for a method
(``GithubOidc.deploy_role``), one per member of a union (``deployment_strategy``)."""


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def test_committed_schema_is_current() -> None:
    regenerated = schema_text()
    assert SCHEMA_PATH.read_text(encoding="utf-8") == regenerated, (
        "provider/schema.json is stale: run `make schema`"
    )


def test_schema_names_slipway_and_its_version(schema: dict[str, Any]) -> None:
    assert schema["name"] == "slipway"
    assert schema["version"] == slipway.__version__


def test_every_component_is_listed_as_a_component(schema: dict[str, Any]) -> None:
    assert set(schema["resources"]) == {f"slipway:index:{name}" for name in EXPECTED}
    assert {c.__name__ for c in COMPONENTS} == set(EXPECTED)
    for token, resource in schema["resources"].items():
        assert resource["isComponent"] is True, token


def _nulls(value: Any, path: str) -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


def test_no_nulls(schema: dict[str, Any]) -> None:
    assert _nulls(schema, "$") == []


def test_tokens_follow_the_token_pattern(schema: dict[str, Any]) -> None:
    for token in [*schema["resources"], *schema["types"]]:
        assert TOKEN.match(token), token
        assert token.split(":")[:2] == ["slipway", "index"], token


def _type_problems(spec: dict[str, Any], path: str, schema: dict[str, Any]) -> list[str]:
    """What is wrong with one typeSpec (and the typeSpecs inside it)."""
    kinds = [k for k in ("$ref", "oneOf") if k in spec]
    kind = spec.get("type")
    if kind in PRIMITIVES and not kinds:
        extra = {"items", "additionalProperties"} & spec.keys()
        return [f"{path}: a primitive with {sorted(extra)}"] if extra else []
    if kind == "array" and not kinds:
        if "items" not in spec:
            return [f"{path}: an array without items"]
        return _type_problems(spec["items"], f"{path}.items", schema)
    if kind == "object" and not kinds:
        if "additionalProperties" in spec:
            return _type_problems(spec["additionalProperties"], f"{path}.values", schema)
        return []
    if kinds == ["$ref"]:
        return _ref_problems(spec["$ref"], path, schema)
    if kinds == ["oneOf"]:
        return [
            p for i, s in enumerate(spec["oneOf"]) for p in _type_problems(s, f"{path}|{i}", schema)
        ]
    return [f"{path}: not one of the documented kinds: {spec}"]


def _ref_problems(ref: str, path: str, schema: dict[str, Any]) -> list[str]:
    if ref in BUILTIN_REFS:
        return []
    if ref.startswith("#/types/"):
        return (
            [] if ref.removeprefix("#/types/") in schema["types"] else [f"{path}: {ref} unresolved"]
        )
    external = re.match(r"^/([^/]+)/v([^/]+)/schema\.json#/(types|resources)/.+$", ref)
    if external:
        listed = {(d["name"], d["version"]) for d in schema.get("dependencies", [])}
        return [] if external.group(1, 2) in listed else [f"{path}: {ref} not in dependencies"]
    return [f"{path}: {ref} is no documented reference"]


def _object_problems(
    properties: dict[str, Any], required: list[str], path: str, schema: dict[str, Any]
) -> list[str]:
    problems = [
        f"{path}: requires {name}, not a property" for name in required if name not in properties
    ]
    for name, spec in properties.items():
        problems += _type_problems(spec, f"{path}.{name}", schema)
    return problems


def test_every_type_is_well_formed(schema: dict[str, Any]) -> None:
    problems: list[str] = []
    for token, resource in schema["resources"].items():
        problems += _object_problems(
            resource.get("inputProperties", {}),
            resource.get("requiredInputs", []),
            f"{token} inputs",
            schema,
        )
        problems += _object_problems(
            resource.get("properties", {}), resource.get("required", []), f"{token} outputs", schema
        )
    for token, type_ in schema["types"].items():
        if "enum" in type_:
            if type_["type"] not in PRIMITIVES:
                problems.append(f"{token}: enum of {type_['type']}")
            problems += [
                f"{token}: member without value" for m in type_["enum"] if "value" not in m
            ]
        elif type_.get("type") == "object":
            problems += _object_problems(
                type_.get("properties", {}), type_.get("required", []), token, schema
            )
        else:
            problems.append(f"{token}: neither an object nor an enum")
    assert problems == []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@pytest.mark.parametrize("component", sorted(EXPECTED))
def test_requires_only_what_has_no_default(schema: dict[str, Any], component: str) -> None:
    """Required in the schema means: the Python API has no default for it."""
    resource = schema["resources"][f"slipway:index:{component}"]
    fields = dataclasses.fields(EXPECTED[component])
    without_default = {
        _camel(f.name)
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert set(resource.get("requiredInputs", [])) == without_default
    extra = METHODS_AS_INPUTS.get(component, set())
    assert set(resource["inputProperties"]) <= {_camel(f.name) for f in fields} | extra
