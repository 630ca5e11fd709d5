"""How a facade component turns its TypedDict into the Python API's typed args.

The facade's keys are the Python API's own field names; a key the caller left out is left out
here too, so the Python API's default applies (the one home of every default and rule).
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def typed_args(
    build: Callable[..., T],
    given: Mapping[str, Any],
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> T:
    """``build(**given)``, each value passed through ``convert[key]`` when there is one
    (lists of nested TypedDicts into the Python API's dataclasses, for example)."""
    convert = convert or {}
    return build(
        **{key: convert[key](value) if key in convert else value for key, value in given.items()}
    )
