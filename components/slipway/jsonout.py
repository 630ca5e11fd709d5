"""Serialising plain data that holds Outputs into a JSON string Output.

Policy documents, SSM parameter values and secret values are built as plain dicts and lists, so
an ARN that is still an Output can sit anywhere inside them. :func:`json_output` waits for those
Outputs together and serialises the document once. ``pulumi.Output.json_dumps`` gives the same
string but lifts every dict and list of the document into an Output of its own, which made it
the largest single cost the components added to a plan (docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pulumi


def json_output(document: Any) -> pulumi.Output[str]:
    """``json.dumps(document)`` once every Output inside ``document`` is resolved.

    ``document`` is made of dicts, lists, tuples, scalars and Outputs of JSON-serialisable
    values. Like ``Output.json_dumps``, the result is unknown while any Output inside is
    unknown (a preview), secret when any of them is secret, and depends on every resource they
    depend on: ``Output.all`` carries all three.
    """
    leaves: list[pulumi.Output[Any]] = []
    _collect_outputs(document, leaves)
    if not leaves:
        return pulumi.Output.from_input(json.dumps(document))
    return pulumi.Output.all(*leaves).apply(
        lambda values: json.dumps(_filled(document, iter(values)))
    )


def _collect_outputs(value: Any, leaves: list[pulumi.Output[Any]]) -> None:
    """Append the Outputs inside ``value`` to ``leaves``, depth first (dict values in order,
    then list items in order): the order :func:`_filled` puts their values back in."""
    if isinstance(value, pulumi.Output):
        leaves.append(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_outputs(item, leaves)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_outputs(item, leaves)


def _filled(value: Any, values: Iterator[Any]) -> Any:
    """``value`` with each Output replaced by the next of ``values`` (the walk of
    :func:`_collect_outputs`)."""
    if isinstance(value, pulumi.Output):
        return next(values)
    if isinstance(value, Mapping):
        return {key: _filled(item, values) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_filled(item, values) for item in value]
    return value
