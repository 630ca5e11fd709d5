"""Slipway's reusable Pulumi components: the public API other stacks import.

Everything listed in ``__all__`` is supported; anything else is internal and may change.
"""

from components.contract import EnvironmentSecret, EnvironmentVariable
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceKeyAccess
from components.errors import ConfigError
from components.registry import ContainerRegistry, ContainerRegistryArgs

__all__ = [
    "ConfigError",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "EnvironmentSecret",
    "EnvironmentVariable",
    "ServiceKeyAccess",
]
