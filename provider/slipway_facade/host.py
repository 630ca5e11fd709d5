"""The provider that serves the facade: Pulumi's ``ComponentProvider`` with two input fixes.

Both bugs sit in ``ComponentProvider.map_input_properties`` of the Python SDK
(``pulumi/provider/experimental/component.py``, pulumi 3.272.0), which maps the inputs of a
``Construct`` call onto the facade's TypedDicts before the component's code runs:

1. For an ``integer`` property it computes ``int(value)`` and then stores the original value
   anyway (no ``continue``), so every integer reaches the component as a float (``30.0``),
   nested ones too; Slipway's rules (``is_whole``) rightly refuse a float.
2. ``int(value)`` on an ``Output`` (what the server makes of any input that depends on another
   resource or is secret: ``ProviderServicer._select_value``) raises ``TypeError``, which the
   SDK only catches as ``ValueError``: the construct fails with a traceback.

This subclass lets the SDK do its mapping with such Outputs set aside, and turns integral floats
back into ints, for top-level and nested properties, list items and map values. A set-aside
Output goes back as ``Output.apply(whole)`` when the property accepts one; a ``plain`` integer
(every integer Slipway has today: its rules check the number before anything is registered)
refuses it with the property's path and what is allowed, instead of the SDK's ``TypeError``.
A non-integral float is refused the same way.

A third gap of the same function: a list of enum members (``list[AccountResource]``) goes
through the branch for lists of objects, and each member comes out as ``{}``. Such lists are
set aside too and mapped onto the enum here; an unknown value is refused with its path and the
allowed values.
"""

import json
import math
from enum import Enum
from typing import Any

import pulumi
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider


def whole(value: object, path: str) -> object:
    """``value`` as an int when it is a float with no fractional part; otherwise unchanged,
    except a fractional float, refused: an integer property never holds one."""
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value) or not value.is_integer():
            raise InputPropertyError(path, f"'{path}' must be a whole number, got {value!r}")
        return int(value)
    return value


def _whole_items(value: object, prop: PropertyDefinition, path: str) -> object:
    """``whole`` applied to an integer property, or to the items of a list or map of integers."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda resolved: _whole_items(resolved, prop, path))
    if prop.type == PropertyType.INTEGER:
        return whole(value, path)
    if (
        prop.items is not None
        and prop.items.type == PropertyType.INTEGER
        and isinstance(value, list)
    ):
        return [whole(item, f"{path}[{i}]") for i, item in enumerate(value)]
    extra = prop.additional_properties
    if extra is not None and extra.type == PropertyType.INTEGER and isinstance(value, dict):
        return {key: whole(item, f"{path}.{key}") for key, item in value.items()}
    return value


def without_nulls(value: Any) -> Any:
    """``value`` with every ``null`` member dropped, nested ones too. The SDK's schema generator
    writes ``"description": null`` for an enum member without a docstring; Pulumi's Go schema
    structs (``omitempty``) drop those, and the package-schema rules allow no ``null``."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def _enum_member(enum: type[Enum], value: object, path: str) -> Enum:
    try:
        return enum(value)
    except ValueError as e:
        allowed = ", ".join(repr(member.value) for member in enum)
        raise InputPropertyError(path, f"'{path}' must be one of {allowed}, got {value!r}") from e


class SlipwayComponentProvider(ComponentProvider):
    """``ComponentProvider`` whose integer inputs arrive as ints, Outputs included, and whose
    schema holds no ``null``."""

    def __init__(
        self,
        components: list[type[pulumi.ComponentResource]],
        name: str,
        namespace: str | None = None,
        version: str = "0.0.0",
    ) -> None:
        super().__init__(components, name, namespace, version)
        self.schema = json.dumps(without_nulls(self.schema_document()))

    def schema_document(self) -> dict[str, Any]:
        """The package schema, parsed."""
        assert self.schema is not None, "ComponentProvider always generates a schema"
        document: dict[str, Any] = json.loads(self.schema)
        return document

    def schema_text(self) -> str:
        """The package schema as committed in ``provider/schema.json``: indented, one newline."""
        return json.dumps(self.schema_document(), indent=2, ensure_ascii=False) + "\n"

    def map_input_properties(
        self,
        inputs: Any,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> Any:
        set_aside: dict[str, pulumi.Output[Any]] = {}
        enum_lists: dict[str, tuple[type[Enum], list[Any]]] = {}
        if isinstance(inputs, dict):
            inputs = dict(inputs)
            for schema_name, prop in properties.items():
                value = inputs.get(schema_name)
                if prop.type == PropertyType.INTEGER and isinstance(value, pulumi.Output):
                    set_aside[schema_name] = value
                    inputs[schema_name] = 0  # any int: replaced below, after the SDK's mapping
                enum = self._item_enum(prop)
                if enum is not None and isinstance(value, list):
                    enum_lists[schema_name] = (enum, value)
                    inputs[schema_name] = []  # mapped below: the SDK makes each member a {}
        mapped = dict(
            super().map_input_properties(inputs, properties, mapping, component_name, property_path)
        )
        for schema_name, prop in properties.items():
            py_name = mapping[schema_name]
            path = f"{property_path}.{schema_name}" if property_path else schema_name
            if schema_name in set_aside:
                if prop.plain:
                    raise InputPropertyError(
                        path,
                        f"'{path}' on '{component_name}' must be a number known before the "
                        "deployment (a literal or a stack setting), not another resource's "
                        "output or a secret: Slipway checks it before registering anything",
                    )
                mapped[py_name] = _whole_items(set_aside[schema_name], prop, path)
            elif schema_name in enum_lists:
                enum, members = enum_lists[schema_name]
                mapped[py_name] = [
                    _enum_member(enum, member, f"{path}[{i}]") for i, member in enumerate(members)
                ]
            elif py_name in mapped and not prop.ref:
                mapped[py_name] = _whole_items(mapped[py_name], prop, path)
        return mapped

    def _item_enum(self, prop: PropertyDefinition) -> type[Enum] | None:
        """The enum a list property's members belong to, if they are members of one."""
        if prop.items is None or not prop.items.ref:
            return None
        type_def = self.get_type_definition(prop.items)
        if type_def is None or not type_def.enum:
            return None
        enum: type[Enum] = type_def.python_type
        return enum
