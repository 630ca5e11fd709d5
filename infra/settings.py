"""The settings of one Slipway stack, read once from Pulumi config and checked in one round.

Every setting is a flat key in the ``slipway`` namespace (``slipway:logRetentionDays``), because
Pulumi's project-config schema types only strings, integers, booleans and arrays. Each key
belongs to one domain (``infra/domains/*``), whose sub-model declares and checks it;
:class:`StackSettings` holds one sub-model per domain. The ``config:`` block of ``Pulumi.yaml``
and ``docs/configuration.md`` are rendered from the sub-models (``make docs``), and a test fails
when either is stale.

Secrets are not fields of any model. They are declared in :data:`SECRET_SETTINGS`, must be set
with ``pulumi config set --secret``, and are only ever read as secret Outputs through
:meth:`StackSecrets.get`. Config is read through Pulumi's public API only
(:func:`pulumi.runtime.get_config_env` lists the keys the engine passed, as the language host
passes them in ``PULUMI_CONFIG``; :func:`pulumi.runtime.get_config` and
:func:`pulumi.runtime.is_config_secret` read each).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeVar, get_args, get_origin

import pulumi
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from infra.common import NAMESPACE, CheckContext, Profile, SettingsModel, key
from infra.domains.account import AccountSettings
from infra.domains.backup import BackupSettings
from infra.domains.compute import ComputeSettings
from infra.domains.github import GithubSettings
from infra.domains.identity import IdentitySettings, StackIdentity
from infra.domains.network import NetworkSettings
from infra.domains.observability import ObservabilitySettings
from infra.domains.registry import RegistrySettings
from infra.domains.secrets import SecretsSettings
from infra.domains.workflows import WorkflowsSettings
from slipway.errors import ConfigError, invalid
from slipway.patterns import ACCOUNT_ID, region_problems

__all__ = [
    "NAMESPACE",
    "Profile",
    "StackSecrets",
    "StackSettings",
    "key",
    "load_settings",
    "parse_settings",
]


@dataclass(frozen=True)
class StackSettings:
    """All non-secret settings of one stack: one sub-model per domain, in build order."""

    identity: IdentitySettings
    registry: RegistrySettings
    network: NetworkSettings
    compute: ComputeSettings
    observability: ObservabilitySettings
    secrets: SecretsSettings
    backup: BackupSettings
    account: AccountSettings
    github: GithubSettings
    workflows: WorkflowsSettings

    @property
    def profile(self) -> Profile:
        """The stack's guardrail profile."""
        return self.identity.profile

    def stack_identity(self, region: str) -> StackIdentity:
        """What every domain builds with (:class:`~infra.domains.identity.StackIdentity`)."""
        return self.identity.identity(region)

    def domains(self) -> Iterator[SettingsModel]:
        """The sub-models, in build order."""
        for item in fields(self):
            yield getattr(self, item.name)

    def problems(
        self, secrets: frozenset[str] = frozenset(), region: str | None = None
    ) -> list[str]:
        """Every domain's rules across settings. ``secrets`` names the secret settings that are
        set; ``region`` is ``aws:region``."""
        return domain_problems(list(self.domains()), secrets, region)


DOMAINS: tuple[type[SettingsModel], ...] = (
    IdentitySettings,
    RegistrySettings,
    NetworkSettings,
    ComputeSettings,
    ObservabilitySettings,
    SecretsSettings,
    BackupSettings,
    AccountSettings,
    GithubSettings,
    WorkflowsSettings,
)
"""The domains' sub-model classes, in build order."""


def all_fields() -> dict[str, FieldInfo]:
    """Every setting (field name to its declaration), in domain order; ``profile`` once."""
    merged: dict[str, FieldInfo] = {}
    for domain in DOMAINS:
        for name, info in domain.model_fields.items():
            merged.setdefault(name, info)
    return merged


def domain_of(field_name: str) -> type[SettingsModel]:
    """The domain that declares a setting (``profile``: identity)."""
    for domain in DOMAINS:
        if field_name in domain.model_fields:
            return domain
    raise KeyError(field_name)


M = TypeVar("M", bound=SettingsModel)


def _assemble(built: Mapping[type[SettingsModel], SettingsModel]) -> StackSettings:
    """The stack's settings from every domain's validated sub-model."""

    def get(domain: type[M]) -> M:
        model = built[domain]
        assert isinstance(model, domain)
        return model

    return StackSettings(
        identity=get(IdentitySettings),
        registry=get(RegistrySettings),
        network=get(NetworkSettings),
        compute=get(ComputeSettings),
        observability=get(ObservabilitySettings),
        secrets=get(SecretsSettings),
        backup=get(BackupSettings),
        account=get(AccountSettings),
        github=get(GithubSettings),
        workflows=get(WorkflowsSettings),
    )


def domain_problems(
    checked: list[SettingsModel],
    secrets: frozenset[str],
    region: str | None,
    accounts: tuple[str, ...] = (),
) -> list[str]:
    """The rules across settings of the domains whose own settings passed their checks;
    ``accounts`` is ``aws:allowedAccountIds`` when it is known."""
    found = {type(domain): domain for domain in checked}
    identity, secret_domain = found.get(IdentitySettings), found.get(SecretsSettings)
    network_domain = found.get(NetworkSettings)
    context = CheckContext(
        region=region,
        secrets=secrets,
        environment=(identity.environment or "") if isinstance(identity, IdentitySettings) else "",
        secret_variables=(
            tuple(secret_domain.app_secrets) if isinstance(secret_domain, SecretsSettings) else ()
        ),
        vpc_cidr=(network_domain.vpc_cidr if isinstance(network_domain, NetworkSettings) else None),
        accounts=accounts,
        nat_strategy=(
            str(network_domain.by_profile("nat_strategy"))
            if isinstance(network_domain, NetworkSettings)
            else None
        ),
        vpc_interface_endpoints=(
            tuple(network_domain.vpc_interface_endpoints)
            if isinstance(network_domain, NetworkSettings)
            else ()
        ),
    )
    return [problem for domain in checked for problem in domain.problems(context)]


@dataclass(frozen=True)
class SecretSetting:
    """A setting whose value is a secret; it never enters :class:`StackSettings`."""

    key: str
    description: str


SECRET_SETTINGS: tuple[SecretSetting, ...] = (
    SecretSetting(
        "ghcrPullToken",
        "Read-only GitHub package token ECS pulls GHCR images with (`imageSource: ghcr`). "
        "Stored in Secrets Manager; only the task execution role may read it.",
    ),
    SecretSetting(
        "releaseAppPrivateKey",
        "Private key (PEM) of the release GitHub App, written as the secret "
        "`RELEASE_APP_PRIVATE_KEY` of the release environment. Optional: without it, add the "
        "secret to the environment yourself (`gh secret set RELEASE_APP_PRIVATE_KEY --env npm`). "
        "Owner stack with `releaseToken: app` only.",
    ),
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


def parse_setting(raw: str, kind: PulumiType, config_key: str) -> Any:
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


def _all_config() -> dict[str, str]:
    """Every config key the engine passed in (``namespace:key``), as strings."""
    keys = pulumi.runtime.get_config_env()
    return {k: v for k in sorted(keys) if (v := pulumi.runtime.get_config(k)) is not None}


def _all_secret_keys() -> set[str]:
    """The config keys set with ``--secret``."""
    return {k for k in pulumi.runtime.get_config_env() if pulumi.runtime.is_config_secret(k)}


def _raw_config() -> dict[str, str]:
    """Every ``slipway:`` key the engine passed in, as the strings Pulumi hands programs."""
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in _all_config().items() if k.startswith(prefix)}


def _secret_keys() -> set[str]:
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :] for k in _all_secret_keys() if k.startswith(prefix)}


def provider_config(config: Mapping[str, Any], secret_keys: Iterable[str]) -> ProviderConfig:
    """The ``aws:`` and ``github:`` keys of a whole config map, and which of them are secret."""
    providers = ("aws:", "github:")
    return ProviderConfig(
        {k: str(v) for k, v in config.items() if k.startswith(providers)},
        frozenset(k for k in secret_keys if k.startswith(providers)),
        frozenset(k for k in config if k.split(":", 1)[0] not in CONFIG_NAMESPACES),
    )


def _provider_config() -> ProviderConfig:
    """The providers' keys the engine passed in, and which of them are secret."""
    return provider_config(_all_config(), _all_secret_keys())


CONFIG_NAMESPACES = (NAMESPACE, "aws", "github", "docker", "pulumi")
"""The config namespaces this program reads: its own, its providers' (pulumi-aws,
pulumi-github, pulumi-docker) and the engine's (``pulumi:tags``…). A key in any other
namespace (``slipwy:vpcCidr``) reaches no one, so it is refused rather than dropped. A key
without a namespace in a stack file is the project's: the CLI passes it as ``slipway:<key>``."""

AWS_CREDENTIAL_KEYS = ("aws:accessKey", "aws:secretKey", "aws:token")
"""AWS provider settings that hold credentials: refused in any stack file, secret or not."""
PROVIDER_SECRET_KEYS = ("github:token",)
"""Provider settings that hold credentials: allowed only when set with ``--secret``."""


@dataclass(frozen=True)
class ProviderConfig:
    """The providers' settings of a stack (``aws:*``, ``github:*``), as Pulumi passes them."""

    values: Mapping[str, str]
    """Full keys (``aws:region``) to their raw values."""
    secret_keys: frozenset[str] = frozenset()
    """Full keys set with ``--secret``."""
    unread_keys: frozenset[str] = frozenset()
    """Full keys in a namespace no one reads (not in :data:`CONFIG_NAMESPACES`)."""


ACCOUNT_LIST_KEYS = ("aws:allowedAccountIds", "aws:forbiddenAccountIds")
"""The AWS provider's settings that list account IDs."""


def _account_list(raw: str) -> list[Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def account_list_problems(values: Mapping[str, str]) -> list[str]:
    """``aws:allowedAccountIds`` and ``aws:forbiddenAccountIds``: lists of 12-digit account
    IDs, written as strings (YAML reads ``012345678901`` unquoted as a number and drops the
    zero), and not both. The provider takes each as a list of strings
    (``pulumi_aws.ProviderArgs.allowed_account_ids``: ``Sequence[str]``) and refuses
    credentials of an account the first does not list or the second lists; the two conflict
    (its schema: "List of allowed AWS account IDs to prevent you from mistakenly using an
    incorrect one. Conflicts with `forbiddenAccountIds`.")."""
    problems: list[str] = []
    if all(k in values for k in ACCOUNT_LIST_KEYS):
        problems.append(
            f"{ACCOUNT_LIST_KEYS[1]} is set with {ACCOUNT_LIST_KEYS[0]}; the provider takes one "
            f"of them: keep {ACCOUNT_LIST_KEYS[0]}"
        )
    for config_key in ACCOUNT_LIST_KEYS:
        if config_key not in values:
            continue
        accounts = _account_list(values[config_key])
        if not accounts or not all(isinstance(a, str) and ACCOUNT_ID.match(a) for a in accounts):
            problems.append(
                invalid(
                    config_key,
                    accounts if accounts is not None else values[config_key],
                    "a list of 12-digit AWS account IDs, each quoted "
                    '(aws:allowedAccountIds: ["111122223333"])',
                )
            )
    return problems


def allowed_accounts(values: Mapping[str, str]) -> tuple[str, ...]:
    """The accounts ``aws:allowedAccountIds`` allows, when it is set and valid; else empty (the
    stack's account is not known)."""
    if "aws:allowedAccountIds" not in values or account_list_problems(
        {"aws:allowedAccountIds": values["aws:allowedAccountIds"]}
    ):
        return ()
    return tuple(str(a) for a in _account_list(values["aws:allowedAccountIds"]) or [])


def provider_problems(provider: ProviderConfig) -> list[str]:
    """Problems with the providers' settings; credential values are never echoed.

    AWS keys never belong in a stack file, not even encrypted: keys in the provider's
    configuration come before the environment (Terraform AWS provider, "Authentication and
    Configuration", https://registry.terraform.io/providers/hashicorp/aws/latest/docs, which
    the Pulumi provider bridges), so they would replace the infrastructure pipeline's OIDC role
    and the developer's own SSO session, and they are long-lived where those expire. The
    provider reads credentials from the environment and the shared AWS config files
    (Pulumi Registry, "AWS: Installation & Configuration",
    https://www.pulumi.com/registry/packages/aws/installation-configuration/). The GitHub
    token may live in config only as a secret (docs/secrets.md).
    """
    problems: list[str] = []
    region = provider.values.get("aws:region")
    if region is None:
        problems.append(
            "aws:region is required and not set; set it with `pulumi config set aws:region "
            "<code>`, a region code from pulumi_aws.Region such as eu-west-1"
        )
    else:
        problems.extend(region_problems(region, "aws:region"))
    problems.extend(account_list_problems(provider.values))
    for unread in sorted(provider.unread_keys):
        namespace, _, rest = unread.partition(":")
        close = difflib.get_close_matches(namespace, CONFIG_NAMESPACES, n=1)
        hint = f"; did you mean {close[0]}:{rest}?" if close and rest else ""
        problems.append(
            f"{unread} is in the namespace {namespace!r}, which nothing in this program reads; "
            f"one of {', '.join(CONFIG_NAMESPACES)}{hint}"
        )
    for credential in AWS_CREDENTIAL_KEYS:
        if credential in provider.values:
            how = "with --secret" if credential in provider.secret_keys else "in plain text"
            problems.append(
                f"{credential} is set ({how}); AWS credentials never go in a stack file: remove "
                f"it (`pulumi config rm {credential}`) and let the provider find them in the "
                "environment: `aws sso login` or AWS_PROFILE on your machine, the OIDC role in "
                "the pipeline (docs/secrets.md)"
            )
    for credential in PROVIDER_SECRET_KEYS:
        if credential in provider.values and credential not in provider.secret_keys:
            problems.append(
                f"{credential} holds a secret in plain text; remove it (`pulumi config rm "
                f"{credential}`) and set it with `pulumi config set --secret {credential} …`, "
                "or export GITHUB_TOKEN instead (docs/secrets.md)"
            )
    return problems


def parse_settings(
    raw: Mapping[str, str],
    secret_keys: set[str],
    stack: str,
    region: str | None = None,
    provider: ProviderConfig | None = None,
) -> tuple[StackSettings, StackSecrets]:
    """Validate raw config strings (keys without namespace) into settings and secret handles.

    Raises :class:`ConfigError` listing every problem, each naming the key, the value and what
    is allowed. Nothing in here touches the Pulumi engine, so a bad value stops the program
    before any resource is registered. With ``provider``, the providers' settings are checked
    in the same round (:func:`provider_problems`) and ``aws:region`` comes from them.
    """
    fields = {(info.alias or name): (name, info) for name, info in all_fields().items()}
    secret_names = {s.key for s in SECRET_SETTINGS}
    known = sorted([*fields, *secret_names])
    problems: list[str] = []
    provider_found: list[str] = []
    accounts: tuple[str, ...] = ()
    if provider is not None:
        provider_found = provider_problems(provider)
        accounts = allowed_accounts(provider.values)
        region = provider.values.get("aws:region")
        if any(p.startswith("aws:region") for p in provider_found):
            region = None
    values: dict[str, Any] = {}
    app_secret_values: set[str] = set()
    for raw_key, raw_value in sorted(raw.items()):
        config_key = f"{NAMESPACE}:{raw_key}"
        if APP_SECRET_KEY.match(raw_key):
            app_secret_values.add(raw_key)
            if raw_key not in secret_keys:
                problems.append(
                    f"{config_key} holds a secret in plain text; remove it and set it with "
                    f"`pulumi config set --secret {raw_key} …`"
                )
            continue
        if raw_key in secret_names:
            if raw_key not in secret_keys:
                problems.append(
                    f"{config_key} holds a secret in plain text; remove it and set it with "
                    f"`pulumi config set --secret {raw_key} …`"
                )
            continue
        if raw_key in REMOVED_SETTINGS:
            problems.append(
                f"{config_key}: got {raw_value!r}; no longer a setting, remove it (`pulumi "
                f"config rm {raw_key}`): {REMOVED_SETTINGS[raw_key]}"
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
            values[raw_key] = parse_setting(str(raw_value), pulumi_type(info), config_key)
        except ConfigError as error:
            problems.extend(error.problems)

    failed = {_key_of(p) for p in problems}
    if "environment" not in values and "environment" not in failed:
        values["environment"] = stack
    built: dict[type[SettingsModel], SettingsModel] = {}
    checked: list[SettingsModel] = []
    for domain in DOMAINS:
        aliases = {info.alias or name for name, info in domain.model_fields.items()}
        subset = {k: v for k, v in values.items() if k in aliases}
        try:
            built[domain] = domain.model_validate(subset)
            checked.append(built[domain])
        except ValidationError as error:
            problems.extend(
                p for p in _describe(error) if _key_of(p) not in failed and p not in problems
            )
            failed |= {str(item["loc"][0]) for item in error.errors() if item["loc"]}
            # The domain's rules across settings still run in this round, on its settings
            # that are valid (a refused value is left to its default), so that every problem
            # shows at once.
            with contextlib.suppress(ValidationError):
                checked.append(
                    domain.model_validate({k: v for k, v in subset.items() if k not in failed})
                )
    problems.extend(
        p
        for p in domain_problems(checked, frozenset(secret_names & set(raw)), region, accounts)
        if not _mentions(p, failed)
    )
    if len(built) == len(DOMAINS) and not problems:
        settings = _assemble(built)
        declared = {app_secret_key(v): v for v in settings.secrets.app_secrets}
        for orphan in sorted(app_secret_values - set(declared)):
            problems.append(
                f"{NAMESPACE}:{orphan} is the value of no application secret; add its variable "
                f"to {NAMESPACE}:appSecrets (known: {sorted(declared) or 'none'})"
            )
    if problems or provider_found:
        raise ConfigError(provider_found + problems)
    return settings, StackSecrets(frozenset((secret_names | app_secret_values) & set(raw)))


REMOVED_SETTINGS: dict[str, str] = {
    "previewWorkflow": f"{NAMESPACE}:previews on the stack that owns the preview base "
    "(typically dev) now turns previews on alone; the stack that owns the repository reads it "
    "from that stack file and delivers preview.yml (docs/previews.md)",
}
"""Settings that are gone, each with what replaced it: refused by name, never taken for a
misspelling."""


APP_SECRET_KEY = re.compile(r"^secret[A-Z][A-Za-z0-9]*$")
"""Secret settings that give an application secret its value (``secretDatabaseUrl``)."""


def app_secret_key(variable: str) -> str:
    """The secret setting that may hold ``variable``'s value: ``DATABASE_URL`` →
    ``secretDatabaseUrl``. When it is not set, the secret is created empty and filled outside
    Pulumi (docs/secrets.md)."""
    return "secret" + "".join(part.capitalize() for part in variable.lower().split("_") if part)


def _mentions(problem: str, aliases: set[str]) -> bool:
    """True when a problem names any of ``aliases`` (with or without the namespace): a rule
    across settings that involves a refused value says nothing reliable about the others."""
    return any(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(a)}(?![A-Za-z0-9])", problem) for a in aliases if a
    )


def _key_of(problem: str) -> str:
    """The setting a problem message starts with (``slipway:<key>…``)."""
    return problem.split(" ")[0].split(":")[1] if problem.startswith(f"{NAMESPACE}:") else ""


def _plain(item: Any) -> str:
    """What a pydantic error allows, in this project's words: "one of 'dev', 'staging' or
    'prod'", never pydantic's "Input should be …"."""
    message = str(item["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be "):
        allowed = message.removeprefix("Input should be ")
        return f"one of {allowed}" if item["type"] in ("enum", "literal_error") else allowed
    return message


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        alias = str(item["loc"][0]) if item["loc"] else "?"
        config_key = f"{NAMESPACE}:{alias}"
        message = _plain(item)
        if item["type"] == "missing":
            problems.append(
                f"{config_key} is required and not set; set it with "
                f"`pulumi config set {alias} …` (see docs/configuration.md)"
            )
        elif item["type"] == "extra_forbidden":
            problems.append(f"{config_key} is not a Slipway setting")
        elif isinstance(item.get("ctx", {}).get("error"), ConfigError):
            problems.extend(item["ctx"]["error"].problems)  # a component's rule, already named
        else:
            problems.append(invalid(config_key, item.get("input"), message))
    return problems


@dataclass(frozen=True)
class StackSecrets:
    """Handles on the secret settings that are set; values only ever come out as secrets."""

    present: frozenset[str]

    def get(self, secret_key: str) -> pulumi.Output[str] | None:
        """The secret as a secret Output, or None when it is not set."""
        declared = {s.key for s in SECRET_SETTINGS}
        if secret_key not in declared and not APP_SECRET_KEY.match(secret_key):
            raise KeyError(f"{NAMESPACE}:{secret_key} is not a declared secret setting")
        if secret_key not in self.present:
            return None
        return pulumi.Config(NAMESPACE).require_secret(secret_key)


def load_settings() -> tuple[StackSettings, StackSecrets]:
    """Read and validate the current stack's config; see :func:`parse_settings`."""
    return parse_settings(
        _raw_config(), _secret_keys(), pulumi.get_stack(), provider=_provider_config()
    )
