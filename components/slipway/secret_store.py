"""``SecretStore``: an application's Secrets Manager secrets, under one customer-managed key.

Each stack declares its secrets by name (``SecretSpec``); the store creates them as
``<name_prefix><name>`` (``storefront/prod/database-url``), encrypted with its own KMS key
(rotation on, explicit key policy) or a given one. A secret's value reaches AWS in one of two
ways, chosen per secret:

**Managed by Pulumi** (``SecretSpec.value`` set): the value comes from the stack's secret
config (``pulumi config set --secret …``, read with ``Config.require_secret``) and is written as
a ``SecretVersion``. It stays a secret Output all the way: encrypted in Pulumi state, masked in
previews. Changing the config value and running ``pulumi up`` writes a new version; a value
changed outside Pulumi is overwritten the next time Pulumi writes it (a config change, or
``pulumi up --refresh``). A literal string in code is refused.

**Filled outside Pulumi** (``value`` left out): the secret is created *empty*, with no version
at all, so Pulumi holds nothing to compare and never reverts it. Someone with access sets it::

    aws secretsmanager put-secret-value --secret-id storefront/prod/database-url \\
        --secret-string file://database-url.txt

Use this for values Pulumi should never see (a database password rotated by Secrets Manager,
a token issued by a third party). Until it is filled, tasks that reference the secret fail to
start with ``ResourceInitializationError``.

:meth:`SecretStore.environment_secrets` turns "environment variable → secret name" into the
``valueFrom`` ARNs that ``FargateServiceArgs.secrets`` takes (the service's execution role then
needs ``secret_kms_key_arns=[store.kms_key_arn]``); :meth:`SecretStore.container_secrets`
gives the same as a container definition's ``secrets`` list.

Values may be JSON: a container reads one key of it (``container_secrets({"DB_USER":
("database", "username")})``). A pull secret for GitHub Container Registry is exactly that:
a secret holding ``{"username": "<GitHub user>", "password": "<token with read:packages
only>"}``, referenced from the container definition's ``repositoryCredentials``
(:meth:`SecretStore.repository_credentials`); the task *execution* role needs
:meth:`SecretStore.grant_read` on it.

Roles get access with :meth:`SecretStore.grant_read`: ``secretsmanager:GetSecretValue`` on the
exact secret ARNs, and ``kms:Decrypt`` on the key only through Secrets Manager. The key policy
needs no statement for Secrets Manager, which uses the key with the caller's own permissions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import (
    EncryptionKey,
    EncryptionKeyArgs,
    deletion_window_problems,
    given_or_new_key_arn,
)
from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document, role_name_of
from slipway.partition import regional_endpoint
from slipway.patterns import is_region

SECRET_NAME_CHARS = re.compile(r"^[A-Za-z0-9/_+=.@-]*$")
"""The characters Secrets Manager allows in a secret name."""
MAX_NAME_LENGTH = 512
MAX_DESCRIPTION_LENGTH = 2048
ARN_SUFFIX_LOOKALIKE = re.compile(r"-[A-Za-z0-9]{6}$")
"""Secrets Manager appends ``-`` and six characters to ARNs; a name ending like that makes
partial-ARN lookups ambiguous, so AWS advises against it."""
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
JSON_KEY = re.compile(r"^[^:]+$")
READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")

ContainerSecretSource = str | tuple[str, str]
"""A secret's name, or ``(name, json_key)`` to read one key of a JSON secret."""


@dataclass(frozen=True)
class SecretSpec:
    """One secret of the store."""

    name: str
    """Name after the store's prefix, e.g. ``database-url``."""
    description: str = ""
    """What the secret is for and who fills it. Default: empty."""
    value: pulumi.Input[str] | None = field(default=None, repr=False)
    """The value, as a secret Output from stack config (``Config.require_secret``); JSON text
    is fine. Default: None, the secret is created empty and filled outside Pulumi."""


@dataclass(frozen=True)
class SecretStoreArgs:
    """Arguments of :class:`SecretStore`. Every default is the secure choice."""

    name_prefix: str
    """Prefix of every secret name, usually a path such as ``storefront/prod/``: letters,
    digits and ``/_+=.@-``."""
    secrets: Sequence[SecretSpec] = ()
    """The secrets, each with a unique name. Default: none."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key for the secrets. Default: the store creates its own key, with
    rotation."""
    key_deletion_window_days: int = 30
    """Deletion window of the store's own key, 7 to 30 days (ignored with ``kms_key_arn``)."""
    recovery_window_days: int = 30
    """Days a deleted secret can still be restored: 0 (deleted at once) or 7 to 30.
    Default: 30, the longest."""
    replica_regions: Sequence[str] = ()
    """Regions every secret is replicated to (disaster recovery). Each region gets a
    customer-managed key of its own (a KMS key lives in one region), made like the store's
    key, so a replica is never under the AWS-managed ``aws/secretsmanager`` key whose policy
    nobody controls. Default: none."""
    protect: bool = False
    """Protect the secrets and the key, and retain them if they leave the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "SecretStoreArgs."
        bad_regions = [r for r in self.replica_regions if not is_region(r)]
        if bad_regions or len(set(self.replica_regions)) != len(self.replica_regions):
            problems.append(
                invalid(
                    name + "replica_regions", list(self.replica_regions), "distinct AWS regions"
                )
            )
        if not (isinstance(self.name_prefix, str) and SECRET_NAME_CHARS.match(self.name_prefix)):
            problems.append(
                invalid(
                    name + "name_prefix",
                    self.name_prefix,
                    "letters, digits and the characters / _ + = . @ -",
                )
            )
        seen: set[str] = set()
        logical: set[str] = set()
        items: Sequence[object] = self.secrets
        for spec in items:
            if not isinstance(spec, SecretSpec):
                # The type only: the item may hold a value.
                problems.append(invalid(name + "secrets", type(spec).__name__, "SecretSpec items"))
                continue
            full = f"{self.name_prefix}{spec.name}"
            if not spec.name or not SECRET_NAME_CHARS.match(spec.name):
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        "a secret name of letters, digits and the characters / _ + = . @ -",
                    )
                )
            elif len(full) > MAX_NAME_LENGTH:
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        f"at most {MAX_NAME_LENGTH} characters including the prefix "
                        f"({len(full)} here)",
                    )
                )
            elif ARN_SUFFIX_LOOKALIKE.search(spec.name):
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        "a name that does not end with '-' and six characters (it would look "
                        "like the suffix Secrets Manager adds to ARNs)",
                    )
                )
            if spec.name in seen or _logical(spec.name) in logical:
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        "unique secret names (also once '/', '+', '=', '.' and '@' are read "
                        "as '-', which Pulumi resource names use)",
                    )
                )
            seen.add(spec.name)
            logical.add(_logical(spec.name))
            if len(spec.description) > MAX_DESCRIPTION_LENGTH:
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        f"a description of at most {MAX_DESCRIPTION_LENGTH} characters",
                    )
                )
            if isinstance(spec.value, str):
                # Never echo the value itself: it is a secret.
                problems.append(
                    invalid(
                        name + "secrets",
                        spec.name,
                        "a value from secret config (a pulumi Output, e.g. "
                        "Config.require_secret), never a literal string in code",
                    )
                )
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        problems.extend(
            recovery_window_problems(self.recovery_window_days, name + "recovery_window_days")
        )
        if problems:
            raise ConfigError(problems)


def recovery_window_problems(days: object, setting: str) -> list[str]:
    """A problem unless ``days`` is a recovery window Secrets Manager accepts: 0 (the store then
    deletes at once, ``force_delete_without_recovery``) or 7 to 30 days (DeleteSecret's
    ``RecoveryWindowInDays``; AWS Secrets Manager API Reference, "DeleteSecret",
    https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html)."""
    if isinstance(days, int) and not isinstance(days, bool) and (days == 0 or 7 <= days <= 30):
        return []
    return [invalid(setting, days, "0 (delete at once) or 7 to 30")]


def key_alias(name_prefix: str) -> str | None:
    """``secretsmanager/<prefix>`` with characters KMS aliases refuse replaced by ``-``."""
    stem = re.sub(r"[^A-Za-z0-9/_-]", "-", name_prefix.strip("/"))
    stem = re.sub(r"/+", "/", stem)
    return f"secretsmanager/{stem}" if stem else None


class SecretStore(pulumi.ComponentResource):
    """Secrets Manager secrets of one application and stack, under a customer-managed key.

    Outputs:
        secret_arns: Secret name (without prefix) to the secret's ARN.
        secret_names: Secret name (without prefix) to its full name in Secrets Manager, plain
            strings (for ``aws secretsmanager put-secret-value --secret-id``).
        kms_key_arn: ARN of the key that encrypts the secrets.
    """

    TOKEN = "slipway:index:SecretStore"

    secret_arns: dict[str, pulumi.Output[str]]
    secret_names: dict[str, str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self._name_prefix = name
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect
        )
        self._region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        kms_key_arn = given_or_new_key_arn(
            args.kms_key_arn,
            f"{name}-key",
            lambda: EncryptionKeyArgs(
                description=f"Encrypts the Secrets Manager secrets under {args.name_prefix}",
                alias=key_alias(args.name_prefix),
                deletion_window_days=args.key_deletion_window_days,
                protect=args.protect,
                tags=args.tags,
            ),
            parent=self,
        )
        self.kms_key_arn = pulumi.Output.from_input(kms_key_arn)

        replica_keys = self._replica_keys(name, args)

        self.secret_arns = {}
        self.secret_names = {}
        for spec in args.secrets:
            full_name = f"{args.name_prefix}{spec.name}"
            part = _logical(spec.name)
            secret = aws.secretsmanager.Secret(
                f"{name}-{part}",
                name=full_name,
                description=spec.description or None,
                kms_key_id=kms_key_arn,
                recovery_window_in_days=args.recovery_window_days,
                replicas=[
                    aws.secretsmanager.SecretReplicaArgs(region=region, kms_key_id=key_arn)
                    for region, key_arn in replica_keys.items()
                ]
                or None,
                tags=dict(args.tags),
                opts=stateful,
            )
            if spec.value is not None:
                # Not protected, so that a new value from config can replace the version; it is
                # retained, so that dropping the value from config never strips the secret.
                aws.secretsmanager.SecretVersion(
                    f"{name}-{part}-value",
                    secret_id=secret.id,
                    secret_string=pulumi.Output.secret(spec.value),
                    opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.protect),
                )
            self.secret_arns[spec.name] = secret.arn
            self.secret_names[spec.name] = full_name

        self.register_outputs(
            {
                "secret_arns": self.secret_arns,
                "secret_names": self.secret_names,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def _replica_keys(self, name: str, args: SecretStoreArgs) -> dict[str, pulumi.Output[str]]:
        """A customer-managed key in each replica region, made like the store's key: replica
        region to key ARN. Each is made by the stack's own provider with pulumi-aws 7's
        per-resource region (:attr:`EncryptionKeyArgs.region`), so every provider setting the
        stack has (allowed accounts, profile, assumed role, default tags) applies there too."""
        keys: dict[str, pulumi.Output[str]] = {}
        for region in args.replica_regions:
            keys[region] = EncryptionKey(
                f"{name}-{region}-key",
                EncryptionKeyArgs(
                    description=f"Encrypts the {region} replicas of the secrets under "
                    f"{args.name_prefix}",
                    alias=key_alias(args.name_prefix),
                    deletion_window_days=args.key_deletion_window_days,
                    protect=args.protect,
                    tags=args.tags,
                    region=region,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            ).key_arn
        return keys

    def _require(self, method: str, names: Sequence[str]) -> None:
        unknown = sorted({n for n in names if n not in self.secret_arns})
        if unknown:
            known = ", ".join(sorted(self.secret_arns)) or "none"
            raise ConfigError(
                invalid(f"SecretStore.{method}", unknown, f"names of this store's secrets: {known}")
            )

    def grant_read(
        self, role: aws.iam.Role, names: Sequence[str] | None = None
    ) -> aws.iam.RolePolicy:
        """Let ``role`` read the secrets ``names`` (default: all of them), and nothing else.

        Gives ``GetSecretValue`` and ``DescribeSecret`` on exactly those ARNs and ``kms:Decrypt``
        on the store's key only when Secrets Manager calls KMS for the role. Give it to a task
        *execution* role for ``secrets``/``repositoryCredentials`` in a task definition.
        """
        chosen = list(self.secret_arns) if names is None else list(names)
        self._require("grant_read", chosen)
        if not chosen:
            raise ConfigError(
                invalid("SecretStore.grant_read", chosen, "at least one secret to read")
            )
        return aws.iam.RolePolicy(
            f"{self._name_prefix}-read-{role_name_of(role)}",
            role=role.name,
            policy=policy_document(
                [
                    allow("ReadSecrets", READ_ACTIONS, [self.secret_arns[n] for n in chosen]),
                    {
                        **allow(
                            "DecryptThroughSecretsManager", ["kms:Decrypt"], [self.kms_key_arn]
                        ),
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": regional_endpoint("secretsmanager", self._region)
                            }
                        },
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def environment_secrets(
        self, environment: Mapping[str, ContainerSecretSource]
    ) -> dict[str, pulumi.Output[str]]:
        """Environment variable name to ``valueFrom`` (the secret's ARN, or ``<ARN>:<key>::``
        for one key of a JSON secret), as ``FargateServiceArgs.secrets`` takes it.

        Raises :class:`ConfigError` for unknown secrets, bad variable names or bad JSON keys.
        """
        return self._references("environment_secrets", environment)

    def _references(
        self, method: str, environment: Mapping[str, ContainerSecretSource]
    ) -> dict[str, pulumi.Output[str]]:
        bad_vars = sorted(v for v in environment if not ENV_VAR_NAME.match(v))
        if bad_vars:
            raise ConfigError(
                invalid(
                    f"SecretStore.{method}",
                    bad_vars,
                    "environment variable names: letters, digits and '_', not starting with "
                    "a digit",
                )
            )
        sources = {var: _source(src) for var, src in environment.items()}
        bad_keys = sorted(
            var for var, (_, key) in sources.items() if key is not None and not JSON_KEY.match(key)
        )
        if bad_keys:
            raise ConfigError(
                invalid(
                    f"SecretStore.{method}",
                    bad_keys,
                    "JSON keys that are not empty and have no ':'",
                )
            )
        self._require(method, [secret for secret, _ in sources.values()])
        references: dict[str, pulumi.Output[str]] = {}
        for var, (secret, json_key) in sorted(sources.items()):
            arn = self.secret_arns[secret]
            references[var] = (
                arn if json_key is None else pulumi.Output.concat(arn, ":", json_key, "::")
            )
        return references

    def container_secrets(
        self, environment: Mapping[str, ContainerSecretSource]
    ) -> list[dict[str, Any]]:
        """``secrets`` entries of an ECS container definition: environment variable name to a
        secret name, or to ``(secret name, JSON key)`` for one key of a JSON secret.

        Returns ``[{"name": "DATABASE_URL", "valueFrom": <secret ARN>}, …]``, sorted by name
        (ARN values are Outputs; serialise with :func:`~slipway.jsonout.json_output`). Raises
        :class:`ConfigError` as :meth:`environment_secrets` does.
        """
        return [
            {"name": var, "valueFrom": value_from}
            for var, value_from in self._references("container_secrets", environment).items()
        ]

    def repository_credentials(self, name: str) -> dict[str, Any]:
        """``repositoryCredentials`` of a container definition that pulls from a private
        registry (GHCR): the secret ``name`` must hold ``{"username": …, "password": …}``."""
        self._require("repository_credentials", [name])
        return {"credentialsParameter": self.secret_arns[name]}


def _source(source: ContainerSecretSource) -> tuple[str, str | None]:
    if isinstance(source, tuple):
        secret, json_key = source
        return secret, json_key
    return source, None


def _logical(secret_name: str) -> str:
    """A secret name as part of a Pulumi logical name (``/`` and other marks become ``-``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", secret_name)
