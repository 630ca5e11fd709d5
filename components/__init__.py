"""Slipway's reusable Pulumi components: the public API other stacks import.

Everything listed in ``__all__`` is supported; anything else is internal and may change.
"""

from components.alerting import Alerting, AlertingArgs
from components.audit_trail import AuditTrail, AuditTrailArgs
from components.backup import BackupPlan, BackupPlanArgs, BackupRule, VaultLock
from components.bootstrap_image import BootstrapImage, BootstrapImageArgs
from components.cluster import ContainerInsights, EcsCluster, EcsClusterArgs
from components.contract import EnvironmentSecret, EnvironmentVariable
from components.deployment_environment import DeploymentEnvironment, DeploymentEnvironmentArgs
from components.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceKeyAccess
from components.errors import ConfigError
from components.fargate_service import FargateService, FargateServiceArgs
from components.github_oidc import (
    DeployRoleArgs,
    GithubOidc,
    GithubOidcArgs,
    OwnerType,
    RepositoryIds,
    SubjectFormat,
    read_repository,
)
from components.github_plan import GithubPlan, RepositoryPlan, Visibility
from components.image_channel import ImageChannel, ImageChannelArgs
from components.monitoring import AlarmThresholds, ServiceMonitoring, ServiceMonitoringArgs
from components.network import NatStrategy, Network, NetworkArgs
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.registry_replication import RegistryReplication, RegistryReplicationArgs
from components.repository_guardrails import RepositoryGuardrails, RepositoryGuardrailsArgs
from components.secret_store import SecretSpec, SecretStore, SecretStoreArgs

__all__ = [
    "AlarmThresholds",
    "Alerting",
    "AlertingArgs",
    "AuditTrail",
    "AuditTrailArgs",
    "BackupPlan",
    "BackupPlanArgs",
    "BackupRule",
    "BootstrapImage",
    "BootstrapImageArgs",
    "ConfigError",
    "ContainerInsights",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "DeployRoleArgs",
    "DeploymentEnvironment",
    "DeploymentEnvironmentArgs",
    "EcsCluster",
    "EcsClusterArgs",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "EnvironmentSecret",
    "EnvironmentVariable",
    "FargateService",
    "FargateServiceArgs",
    "GithubOidc",
    "GithubOidcArgs",
    "GithubPlan",
    "ImageChannel",
    "ImageChannelArgs",
    "NatStrategy",
    "Network",
    "NetworkArgs",
    "OwnerType",
    "RegistryReplication",
    "RegistryReplicationArgs",
    "RepositoryGuardrails",
    "RepositoryGuardrailsArgs",
    "RepositoryIds",
    "RepositoryPlan",
    "SecretSpec",
    "SecretStore",
    "SecretStoreArgs",
    "ServiceKeyAccess",
    "ServiceMonitoring",
    "ServiceMonitoringArgs",
    "SubjectFormat",
    "VaultLock",
    "Visibility",
    "read_repository",
]
