"""``SecretStore`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class SecretSpec(TypedDict):
    """One secret of the store."""

    name: str
    """Name after the store's prefix, e.g. ``database-url``."""
    description: NotRequired[str]
    """What the secret is for and who fills it. Default: empty."""
    value: NotRequired[pulumi.Input[str]]
    """The value, as a secret Output from stack config (``Config.require_secret``); JSON text is
    fine. Default: None, the secret is created empty and filled outside Pulumi."""


class SecretStoreArgs(TypedDict):
    """Arguments of :class:`SecretStore`. Every default is the secure choice."""

    name_prefix: str
    """Prefix of every secret name, usually a path such as ``storefront/prod/``: letters, digits
    and ``/_+=.@-``."""
    secrets: NotRequired[list[SecretSpec]]
    """The secrets, each with a unique name. Default: none."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer-managed KMS key for the secrets. Default: the store creates its own key, with
    rotation."""
    key_deletion_window_days: NotRequired[int]
    """Deletion window of the store's own key, 7 to 30 days (ignored with ``kms_key_arn``).
    Default: 30."""
    recovery_window_days: NotRequired[int]
    """Days a deleted secret can still be restored: 0 (deleted at once) or 7 to 30. Default: 30,
    the longest."""
    replica_regions: NotRequired[list[str]]
    """Regions every secret is replicated to (disaster recovery). Each region gets a customer-
    managed key of its own (a KMS key lives in one region), made like the store's key, so a
    replica is never under the AWS-managed ``aws/secretsmanager`` key whose policy nobody
    controls. Default: none."""
    protect: NotRequired[bool]
    """Protect the secrets and the key, and retain them if they leave the program. On in prod.
    Default: false."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


def _secret_specs(secrets: list[SecretSpec]) -> list[slipway.SecretSpec]:
    return [slipway.SecretSpec(**secret) for secret in secrets]


class SecretStore(pulumi.ComponentResource):
    """Secrets Manager secrets of one application and stack, under a customer-managed key."""

    secret_arns: pulumi.Output[dict[str, str]]
    """Secret name (without prefix) to the secret's ARN."""
    secret_names: pulumi.Output[dict[str, str]]
    """Secret name (without prefix) to its full name in Secrets Manager (for ``aws
    secretsmanager put-secret-value --secret-id``)."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the key that encrypts the secrets."""

    def __init__(
        self, name: str, args: SecretStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:SecretStore", name, None, opts)
        inner = slipway.SecretStore(
            name,
            typed_args(slipway.SecretStoreArgs, args, {"secrets": _secret_specs}),
            pulumi.ResourceOptions(parent=self),
        )
        self.secret_arns = pulumi.Output.all(**inner.secret_arns).apply(dict)
        self.secret_names = pulumi.Output.from_input(dict(inner.secret_names))
        self.kms_key_arn = inner.kms_key_arn
        self.register_outputs(
            {
                "secret_arns": self.secret_arns,
                "secret_names": self.secret_names,
                "kms_key_arn": self.kms_key_arn,
            }
        )
