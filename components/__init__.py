"""Slipway's reusable Pulumi components: the public API other stacks import.

Everything listed in ``__all__`` is supported; anything else is internal and may change.
"""

from components.bootstrap_image import BootstrapImage, BootstrapImageArgs
from components.cluster import ContainerInsights, EcsCluster, EcsClusterArgs
from components.contract import EnvironmentSecret, EnvironmentVariable
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceKeyAccess
from components.errors import ConfigError
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.secret_store import SecretSpec, SecretStore, SecretStoreArgs

__all__ = [
    "BootstrapImage",
    "BootstrapImageArgs",
    "ConfigError",
    "ContainerInsights",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "EcsCluster",
    "EcsClusterArgs",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "EnvironmentSecret",
    "EnvironmentVariable",
    "SecretSpec",
    "SecretStore",
    "SecretStoreArgs",
    "ServiceKeyAccess",
]
