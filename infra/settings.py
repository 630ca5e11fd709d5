"""Typed, validated settings of one Slipway stack, read once from Pulumi config.

Every setting is a flat key in the ``slipway`` namespace (``slipway:logRetentionDays``), because
Pulumi's project-config schema types only strings, integers, booleans and arrays. This module is
the single source of the settings: the ``config:`` block of ``Pulumi.yaml`` and
``docs/configuration.md`` are rendered from it (``make docs``), and a test fails when either is
stale.

Secrets are not fields of the model. They are declared in :data:`SECRET_SETTINGS`, must be set
with ``pulumi config set --secret``, and are only ever read as secret Outputs through
:meth:`StackSecrets.get`.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args, get_origin

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from components.errors import ConfigError, invalid
from components.logs import CLOUDWATCH_RETENTION_DAYS

NAMESPACE = "slipway"


REPOSITORY_SLUG = re.compile(
    r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})/"
    r"(?P<name>(?!\.{1,2}$)[A-Za-z0-9._-]{1,100})$"
)
"""``owner/name`` as GitHub allows them: owner without leading, trailing or double hyphens."""
NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
ECR_TAG_PATTERN = re.compile(r"^[A-Za-z0-9._*-]{1,128}$")


class Profile(StrEnum):
    """Guardrail profile: how cheap or how hardened a stack is."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


def _retention(value: int | None) -> int | None:
    if value is not None and value not in CLOUDWATCH_RETENTION_DAYS:
        raise ValueError(
            "CloudWatch Logs allows one of " + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS))
        )
    return value


def _slug(value: str | None) -> str | None:
    if value is not None and not REPOSITORY_SLUG.match(value):
        raise ValueError(
            "a GitHub repository as owner/name (owner: letters, digits and single inner "
            "hyphens, at most 39; name: letters, digits, '.', '_', '-', at most 100)"
        )
    return value


def _name(value: str | None) -> str | None:
    if value is not None and not NAME.match(value):
        raise ValueError(
            "2 to 24 lower-case letters, digits and '-', starting with a letter, not ending "
            "with '-'"
        )
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        raise ValueError(
            f"an IPv4 network in CIDR notation such as 10.20.0.0/16 ({error})"
        ) from None
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ValueError("a private IPv4 network (RFC 1918) with a prefix from /16 to /24")
    return value


def _tag_patterns(value: list[str]) -> list[str]:
    if not value or not all(
        ECR_TAG_PATTERN.match(p) and p.count("*") <= 4 and p != "*" for p in value
    ):
        raise ValueError(
            "one or more ECR tag patterns of letters, digits, '.', '_', '-' and at most 4 '*' "
            "wildcards; a lone '*' is refused because it would match every tagged image"
        )
    return value


def _account_ids(value: list[str]) -> list[str]:
    bad = [a for a in value if not ACCOUNT_ID.match(a)]
    if bad:
        raise ValueError(f"12-digit AWS account IDs; not {bad}")
    return value


def profile_default(**values: Any) -> dict[str, Any]:
    """Marks a setting whose default depends on the profile (rendered in the docs)."""
    return {"profile_default": values}


class StackSettings(BaseModel):
    """All non-secret settings of one stack. Field aliases are the config keys."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )

    # --- identity -----------------------------------------------------------------------------
    profile: Profile = Field(
        description="Guardrail profile: `dev` is cheap, `prod` is hardened (protection, "
        "retention, redundancy). The settings below that say 'by profile' follow it."
    )
    environment: Annotated[str | None, AfterValidator(_name)] = Field(
        default=None,
        description="Name of the environment: the GitHub deployment environment and part of "
        "every AWS resource name. Default: the stack name.",
    )
    app_name: Annotated[str | None, AfterValidator(_name)] = Field(
        default=None,
        description="Short name of the application, the first part of every AWS resource "
        "name. Default: the application repository's name, lower-cased.",
    )
    github_repository: Annotated[str, AfterValidator(_slug)] = Field(
        description="The application's GitHub repository, `owner/name`. The three stacks "
        "usually share it.",
    )
    github_infra_repository: Annotated[str | None, AfterValidator(_slug)] = Field(
        default=None,
        description="This infrastructure repository, `owner/name`, when its own pipeline "
        "should get CI roles. Default: none.",
    )

    # --- container registry -------------------------------------------------------------------
    registry_untagged_expiry_days: int = Field(
        default=7, ge=1, le=365, description="Untagged images expire this many days after push."
    )
    registry_keep_release_images: int = Field(
        default=30,
        ge=1,
        le=1000,
        description="How many release-tagged images the registry keeps; older ones expire. "
        "Rollback can reach back this far.",
    )
    registry_release_tag_patterns: Annotated[list[str], AfterValidator(_tag_patterns)] = Field(
        default_factory=lambda: ["*.*.*"],
        description="ECR tag patterns that mark release images. Default: semantic versions "
        "(`1.4.2`), as the generated docker workflow tags them.",
    )
    registry_pull_account_ids: Annotated[list[str], AfterValidator(_account_ids)] = Field(
        default_factory=list,
        description="Other AWS accounts allowed to pull images (never push). Every other "
        "account is denied by the repository policy.",
    )

    # --- encryption and logs ------------------------------------------------------------------
    kms_deletion_window_days: int = Field(
        default=30,
        ge=7,
        le=30,
        description="Days a scheduled deletion of a KMS key waits before the key is gone.",
    )
    log_retention_days: Annotated[int | None, AfterValidator(_retention)] = Field(
        default=None,
        description="Retention of every log group, in days; one of CloudWatch's values. "
        "By profile: dev 30, staging 90, prod 365; prod refuses less than 90.",
        json_schema_extra=profile_default(dev=30, staging=90, prod=365),
    )

    # --- network ------------------------------------------------------------------------------
    vpc_cidr: Annotated[str, AfterValidator(_cidr)] = Field(
        default="10.20.0.0/16",
        description="IPv4 range of the VPC, private (RFC 1918), /16 to /24. Give each stack "
        "its own range if they may ever be peered.",
    )

    # --- derived values -----------------------------------------------------------------------
    @property
    def is_prod(self) -> bool:
        """True for the prod profile."""
        return self.profile is Profile.PROD

    @property
    def protect_stateful(self) -> bool:
        """Registries, keys, secrets and log groups are protected and retained in prod."""
        return self.is_prod

    @property
    def repository_owner(self) -> str:
        """Owner (organisation or user) of the application repository."""
        return self.github_repository.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """Name of the application repository, without the owner."""
        return self.github_repository.split("/", 1)[1]

    @property
    def app(self) -> str:
        """The application's short name."""
        if self.app_name is not None:
            return self.app_name
        cleaned = re.sub(r"[^a-z0-9]+", "-", self.repository_name.lower()).strip("-")
        return (cleaned or "app")[:24].rstrip("-")

    @property
    def env(self) -> str:
        """The environment name (always set once loaded; see :func:`load_settings`)."""
        assert self.environment is not None
        return self.environment

    @property
    def resource_prefix(self) -> str:
        """``<app>-<environment>``: the start of every AWS resource name of this stack."""
        return f"{self.app}-{self.env}"

    @property
    def log_retention(self) -> int:
        """Effective log retention in days."""
        if self.log_retention_days is not None:
            return self.log_retention_days
        return {Profile.DEV: 30, Profile.STAGING: 90, Profile.PROD: 365}[self.profile]

    @property
    def tags(self) -> dict[str, str]:
        """Tags put on every taggable AWS resource of the stack."""
        return {
            "slipway:app": self.app,
            "slipway:environment": self.env,
            "slipway:profile": self.profile.value,
            "slipway:repository": self.github_repository,
        }

    def cross_field_problems(self) -> list[str]:
        """Rules that involve more than one setting or depend on the profile."""
        problems: list[str] = []
        if self.is_prod and self.log_retention_days is not None and self.log_retention_days < 90:
            problems.append(
                invalid(
                    key("log_retention_days"),
                    self.log_retention_days,
                    "the prod profile keeps logs at least 90 days (90, 120, 150, 180, 365, …)",
                )
            )
        return problems


@dataclass(frozen=True)
class SecretSetting:
    """A setting whose value is a secret; it never enters :class:`StackSettings`."""

    key: str
    description: str


SECRET_SETTINGS: tuple[SecretSetting, ...] = (
    SecretSetting(
        "slackWebhookUrl",
        "Slack incoming-webhook URL for deployment notifications, written as the GitHub "
        "environment secret `SLACK_WEBHOOK_URL`. Optional.",
    ),
)
"""Secret settings; each must be set with ``pulumi config set --secret``."""


# --------------------------------------------------------------------------------------------
# Reading config
# --------------------------------------------------------------------------------------------

PulumiType = Literal["string", "integer", "boolean", "array"]


def key(field_name: str) -> str:
    """The config key of a model field, as the user writes it: ``slipway:logRetentionDays``."""
    return f"{NAMESPACE}:{_alias(field_name)}"


def _alias(field_name: str) -> str:
    info = StackSettings.model_fields[field_name]
    return info.alias or field_name


def pulumi_type(info: FieldInfo) -> PulumiType:
    """The Pulumi project-config type of a field."""
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not None and args and get_origin(annotation) is not list:
        annotation = args[0]
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if get_origin(annotation) is list:
        return "array"
    return "string"


def _parse(raw: str, kind: PulumiType, config_key: str) -> Any:
    """Turn the string Pulumi hands the program into the declared type."""
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(invalid(config_key, raw, "a whole number")) from None
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        raise ConfigError(invalid(config_key, raw, "true or false"))
    if kind == "array":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(invalid(config_key, raw, "a list of strings"))
        return value
    return raw


def _raw_config() -> dict[str, str]:
    """Every ``slipway:`` key the engine passed in, as the strings Pulumi hands programs."""
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in merged.items() if k.startswith(prefix)}


def _secret_keys() -> set[str]:
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.get_config_secret_keys_env()) | runtime_config._SECRET_KEYS.get()
    return {k[len(NAMESPACE) + 1 :] for k in keys if k.startswith(f"{NAMESPACE}:")}


def parse_settings(
    raw: Mapping[str, str], secret_keys: set[str], stack: str
) -> tuple[StackSettings, StackSecrets]:
    """Validate raw config strings (keys without namespace) into settings and secret handles.

    Raises :class:`ConfigError` listing every problem, each naming the key, the value and what
    is allowed. Nothing in here touches the Pulumi engine, so a bad value stops the program
    before any resource is registered.
    """
    fields = {
        (info.alias or name): (name, info) for name, info in StackSettings.model_fields.items()
    }
    secret_names = {s.key for s in SECRET_SETTINGS}
    known = sorted([*fields, *secret_names])
    problems: list[str] = []
    values: dict[str, Any] = {}
    for raw_key, raw_value in sorted(raw.items()):
        config_key = f"{NAMESPACE}:{raw_key}"
        if raw_key in secret_names:
            if raw_key not in secret_keys:
                problems.append(
                    f"{config_key} holds a secret in plain text; remove it and set it with "
                    f"`pulumi config set --secret {raw_key} …`"
                )
            continue
        if raw_key not in fields:
            close = difflib.get_close_matches(raw_key, known, n=1)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
            problems.append(
                f"{config_key} is not a Slipway setting{hint} (all settings: docs/configuration.md)"
            )
            continue
        if raw_key in secret_keys:
            problems.append(
                f"{config_key} is not a secret setting but was set with --secret; set it in "
                f"plain text so that reviewers can see it"
            )
            continue
        _, info = fields[raw_key]
        try:
            values[raw_key] = _parse(str(raw_value), pulumi_type(info), config_key)
        except ConfigError as error:
            problems.extend(error.problems)

    failed = {_key_of(p) for p in problems}
    if "environment" not in values and "environment" not in failed:
        values["environment"] = stack
    settings: StackSettings | None = None
    try:
        settings = StackSettings.model_validate(values)
    except ValidationError as error:
        problems.extend(p for p in _describe(error) if _key_of(p) not in failed)
    if settings is not None and not problems:
        problems.extend(settings.cross_field_problems())
    if problems:
        raise ConfigError(problems)
    assert settings is not None
    return settings, StackSecrets(frozenset(secret_names & set(raw)))


def _key_of(problem: str) -> str:
    """The setting a problem message starts with (``slipway:<key>…``)."""
    return problem.split(" ")[0].split(":")[1] if problem.startswith(f"{NAMESPACE}:") else ""


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        alias = str(item["loc"][0]) if item["loc"] else "?"
        config_key = f"{NAMESPACE}:{alias}"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            problems.append(
                f"{config_key} is required and not set; set it with "
                f"`pulumi config set {alias} …` (see docs/configuration.md)"
            )
        elif item["type"] == "extra_forbidden":
            problems.append(f"{config_key} is not a Slipway setting")
        else:
            problems.append(invalid(config_key, item.get("input"), message))
    return problems


@dataclass(frozen=True)
class StackSecrets:
    """Handles on the secret settings that are set; values only ever come out as secrets."""

    present: frozenset[str]

    def get(self, secret_key: str) -> pulumi.Output[str] | None:
        """The secret as a secret Output, or None when it is not set."""
        if secret_key not in {s.key for s in SECRET_SETTINGS}:
            raise KeyError(f"{NAMESPACE}:{secret_key} is not a declared secret setting")
        if secret_key not in self.present:
            return None
        return pulumi.Config(NAMESPACE).require_secret(secret_key)


def load_settings() -> tuple[StackSettings, StackSecrets]:
    """Read and validate the current stack's config; see :func:`parse_settings`."""
    return parse_settings(_raw_config(), _secret_keys(), pulumi.get_stack())
