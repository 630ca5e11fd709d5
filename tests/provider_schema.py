"""Recorded inputs walked against the provider SDK's own argument classes.

Every ``pulumi_aws`` resource class has an ``…Args`` class whose properties carry the camelCase
name the engine receives (``@pulumi.getter(name=...)``), a type, and whether ``__init__`` needs
them; nested inputs are ``…Args`` classes of their own. A key the provider does not know, a
required one missing or a value of the wrong kind is a problem this finds offline.
"""

from __future__ import annotations

import collections.abc
import inspect
import sys
import typing
from typing import Any

import pulumi
from pulumi.runtime import rpc

_SCALARS: dict[Any, tuple[type, ...]] = {str: (str,), int: (int, float), float: (int, float)}


def _options(annotation: Any) -> list[Any]:
    """The kinds a property's annotation allows (unions flattened, awaitables and Outputs
    dropped: the recording holds resolved values)."""
    if typing.get_origin(annotation) is typing.Union:
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_options(arg))
        return found
    if annotation is type(None) or typing.get_origin(annotation) is collections.abc.Awaitable:
        return []
    if isinstance(annotation, typing.ForwardRef) and annotation.__forward_arg__ == "Output[T]":
        return []
    return [annotation]


def _fits(value: Any, annotation: Any, module: Any, where: str) -> list[str]:
    if value is None or value is rpc.UNKNOWN:
        return []
    problems: list[str] = []
    for option in _options(annotation):
        if option is bool and isinstance(value, bool):
            return []
        scalar = option in _SCALARS and isinstance(value, _SCALARS[option])
        if scalar and not isinstance(value, bool):
            return []
        if option is pulumi.asset.Archive and isinstance(value, pulumi.asset.Archive):
            return []
        if isinstance(option, typing.ForwardRef) and isinstance(value, dict):
            nested = getattr(module, option.__forward_arg__, None)
            if inspect.isclass(nested):
                found = args_problems(value, nested, where)
                if not found:
                    return []
                problems.extend(found)
        origin = typing.get_origin(option)
        if origin is collections.abc.Sequence and isinstance(value, list):
            (inner,) = typing.get_args(option)
            found = [
                p for i, v in enumerate(value) for p in _fits(v, inner, module, f"{where}[{i}]")
            ]
            if not found:
                return []
            problems.extend(found)
        if origin is collections.abc.Mapping and isinstance(value, dict):
            _, inner = typing.get_args(option)
            found = [p for k, v in value.items() for p in _fits(v, inner, module, f"{where}.{k}")]
            if not found:
                return []
            problems.extend(found)
    return problems or [f"{where}: {value!r} is none of {_options(annotation)}"]


def args_problems(inputs: dict[str, Any], args_class: type, where: str = "") -> list[str]:
    """What is wrong with ``inputs`` (camelCase, as recorded) for ``args_class``."""
    module = sys.modules[args_class.__module__]
    properties = {}
    for attribute, member in vars(args_class).items():
        if isinstance(member, property) and hasattr(member.fget, "_pulumi_name"):
            properties[member.fget._pulumi_name] = (attribute, member)  # type: ignore[union-attr]
    problems = [
        f"{where}.{key}: not an input of {args_class.__name__}"
        for key in inputs
        if key not in properties
    ]
    required = {
        name
        for name, parameter in inspect.signature(args_class).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }
    for key, (attribute, member) in properties.items():
        if attribute in required and inputs.get(key) is None:
            problems.append(f"{where}.{key}: required by {args_class.__name__}")
        if key in inputs:
            annotation = member.fget.__annotations__["return"]
            problems.extend(_fits(inputs[key], annotation, module, f"{where}.{key}"))
    return problems


def resource_input_problems(resource_class: type, inputs: dict[str, Any]) -> list[str]:
    """What is wrong with a recorded resource's inputs, by its class's ``…Args``."""
    module = sys.modules[resource_class.__module__]
    args_class = getattr(module, f"{resource_class.__name__}Args")
    return args_problems(inputs, args_class, resource_class.__name__)
