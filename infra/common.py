"""What every domain's settings share: the profile, the typed table of profile decisions, the
settings base model, and the helpers that turn a component's rule into a setting's check.

A domain (``infra/domains/*``) owns a settings sub-model (a :class:`SettingsModel`), a
:class:`ProfileTable` of what its profile decides, its checks and its ``build()``. The config
keys stay flat (``slipway:vpcCidr``): a sub-model's field names are the keys in snake case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
from pydantic.alias_generators import to_camel

from slipway.errors import ConfigError, invalid

NAMESPACE = "slipway"
NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$")
"""An environment or application name: part of every AWS resource name."""


class Profile(StrEnum):
    """Guardrail profile: how cheap or how hardened a stack is."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


T = TypeVar("T")


@dataclass(frozen=True)
class ProfileTable(Generic[T]):
    """One domain's decisions for each profile: the defaults of its 'by profile' settings
    and the choices that are not settings at all. ``make docs`` renders every table
    (docs/configuration.md, "What each profile decides")."""

    dev: T
    staging: T
    prod: T

    def __getitem__(self, profile: Profile) -> T:
        value: T = getattr(self, profile.value)
        return value

    def rows(self) -> list[tuple[str, str, tuple[Any, Any, Any]]]:
        """``(field, description, (dev, staging, prod))`` for each decision, in order."""
        rows: list[tuple[str, str, tuple[Any, Any, Any]]] = []
        for item in fields(self.dev):  # type: ignore[arg-type]
            dev, staging, prod = (getattr(row, item.name) for row in self.all())
            rows.append((item.name, str(item.metadata.get("doc", "")), (dev, staging, prod)))
        return rows

    def all(self) -> tuple[T, T, T]:
        """The decisions of dev, staging and prod."""
        return self.dev, self.staging, self.prod


def decision(doc: str) -> Any:
    """A field of a profile-decisions dataclass, with what it decides (rendered in the docs)."""
    return field(metadata={"doc": doc})


def key(field_name: str) -> str:
    """The config key of a settings field, as the user writes it: ``slipway:logRetentionDays``."""
    return f"{NAMESPACE}:{to_camel(field_name)}"


@dataclass(frozen=True)
class CheckContext:
    """What a domain's rules across settings may know beyond its own settings."""

    region: str | None = None
    """``aws:region``, when it is valid."""
    secrets: frozenset[str] = frozenset()
    """The secret settings that are set."""
    environment: str = ""
    """The stack's environment name."""
    secret_variables: tuple[str, ...] = ()
    """The application's secrets (``appSecrets``)."""
    vpc_cidr: str | None = None
    """``vpcCidr``, when it is valid (the network domain's settings passed their checks)."""
    accounts: tuple[str, ...] = ()
    """``aws:allowedAccountIds``, when it is set and valid (empty: the account is not known)."""
    nat_strategy: str | None = None
    """``natStrategy`` as decided (the stack file's, or its profile's), when the network
    domain's settings passed their checks."""
    vpc_interface_endpoints: tuple[str, ...] = ()
    """``vpcInterfaceEndpoints``, when the network domain's settings passed their checks."""


class SettingsModel(BaseModel):
    """A domain's settings. Field aliases are the config keys; ``profile`` is every domain's,
    so that a domain resolves its own 'by profile' settings from its :class:`ProfileTable`."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )
    PROFILES: ClassVar[ProfileTable[Any] | None] = None
    """The domain's profile decisions (None: the profile decides nothing here)."""

    profile: Profile = Field(
        description="Guardrail profile: `dev` is cheap, `prod` is hardened (protection, "
        "retention, redundancy). The settings below that say 'by profile' follow it."
    )

    @classmethod
    def profile_decides(cls, field_name: str) -> bool:
        """True when the profile gives ``field_name``'s default."""
        table = cls.PROFILES
        return table is not None and field_name in {f.name for f in fields(table.dev)}

    def decided(self) -> Any:
        """This profile's row of the domain's table."""
        assert self.PROFILES is not None, type(self).__name__
        return self.PROFILES[self.profile]

    def by_profile(self, field_name: str) -> Any:
        """A setting's value: what the stack file says, or the profile's default."""
        value = getattr(self, field_name)
        return getattr(self.decided(), field_name) if value is None else value

    @property
    def is_prod(self) -> bool:
        """True for the prod profile."""
        return self.profile is Profile.PROD

    def problems(self, context: CheckContext) -> list[str]:
        """Rules across this domain's settings (none unless the domain has some)."""
        del context
        return []

    def invalid(self, field_name: str, allowed: str) -> str:
        """A problem with one of this domain's settings: its key, its value, what is allowed."""
        return invalid(key(field_name), getattr(self, field_name), allowed)


def component_rule(check: Callable[[Any, str], list[str]]) -> Any:
    """Validate a field with a component's own rule, passing the config key as the name.

    ``check(value, setting)`` is the function the component itself calls (one home per rule);
    its problems already name the setting, so they are reported as they are. ``None`` (unset,
    the profile decides) is not checked.
    """

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.field_name is not None:
            problems = check(value, key(info.field_name))
            if problems:
                raise ConfigError(problems)
        return value

    return AfterValidator(validate)


def optional(pattern: re.Pattern[str], allowed: str) -> Any:
    """An optional string that must match ``pattern``; ``allowed`` says what does."""

    def check(value: str | None) -> str | None:
        if value is not None and not pattern.match(value):
            raise ValueError(allowed)
        return value

    return AfterValidator(check)


def name(value: str | None) -> str | None:
    """An environment or application name (:data:`NAME`)."""
    if value is not None and not NAME.match(value):
        raise ValueError(
            "2 to 24 lower-case letters, digits and '-', starting with a letter, not ending "
            "with '-'"
        )
    return value
