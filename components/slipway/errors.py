"""The one exception type that every Slipway validation raises."""

from __future__ import annotations

from enum import Enum


class ConfigError(ValueError):
    """A setting or component argument is not allowed.

    The message names the setting (``slipway:logRetentionDays`` for stack settings,
    ``ContainerRegistryArgs.keep_release_images`` for component arguments), the value that was
    received and what is allowed. Several problems found at once are reported together, one per
    line, so that a user fixes them in one round.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def invalid(setting: str, value: object, allowed: str) -> str:
    """Format one problem in the shared ``<setting>: got <value>; <allowed>`` shape. An enum
    member shows as the value the user wrote (``'pro'``), not as its Python name."""
    if isinstance(value, Enum):
        value = value.value
    return f"{setting}: got {value!r}; {allowed}"


def is_whole(value: object, low: int, high: int) -> bool:
    """True for a whole number from ``low`` to ``high`` (``True`` and ``False`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def require(ok: bool, setting: str, value: object, allowed: str) -> None:
    """Raise :class:`ConfigError` for ``setting`` unless ``ok``."""
    if not ok:
        raise ConfigError(invalid(setting, value, allowed))


class Problems:
    """The problems found with one argument class's fields, each named ``<owner>.<field>``,
    raised together by :meth:`raise_any` so that a user fixes them in one round."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.found: list[str] = []

    def name(self, field: str) -> str:
        """How the user spells ``field``: ``<owner>.<field>``."""
        return f"{self.owner}.{field}"

    def check(self, ok: bool, field: str, value: object, allowed: str) -> None:
        """Note a problem with ``field`` unless ``ok``."""
        if not ok:
            self.found.append(invalid(self.name(field), value, allowed))

    def extend(self, problems: list[str]) -> None:
        """Note problems a shared rule found (already naming the field)."""
        self.found.extend(problems)

    def raise_any(self) -> None:
        """Raise :class:`ConfigError` with every problem noted, if any."""
        if self.found:
            raise ConfigError(self.found)
