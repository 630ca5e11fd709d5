"""Slipway's reusable Pulumi components: the public API other stacks import.

Everything listed in ``__all__`` is supported; anything else is internal and may change.
Distributed as ``slipway-platform`` (``slipway_platform``: the names and why). Releases are
described in CHANGELOG.md and tagged ``v<version>`` (docs/components.md, "Versions").
"""

from slipway.alerting import Alerting, AlertingArgs
from slipway.audit_trail import AuditTrail, AuditTrailArgs
from slipway.backup import BackupPlan, BackupPlanArgs, BackupRule, VaultLock
from slipway.bootstrap_image import BootstrapImage, BootstrapImageArgs
from slipway.cis_alarms import CisAlarms, CisAlarmsArgs
from slipway.cluster import ContainerInsights, EcsCluster, EcsClusterArgs
from slipway.contract import EnvironmentSecret, EnvironmentVariable
from slipway.deployment_environment import DeploymentEnvironment, DeploymentEnvironmentArgs
from slipway.deployment_strategy import (
    BlueGreenStrategy,
    CanaryStrategy,
    LifecycleHook,
    LinearStrategy,
    RollingStrategy,
)
from slipway.edge import AccessLogOptions, WebAclOptions
from slipway.encryption_key import EncryptionKey, EncryptionKeyArgs, ServiceKeyAccess
from slipway.errors import ConfigError
from slipway.fargate_service import (
    AutoscalingOptions,
    CapacityOptions,
    FargateService,
    FargateServiceArgs,
    PlacementOptions,
)
from slipway.fargate_task import LoggingOptions
from slipway.github_oidc import (
    DeployRoleArgs,
    GithubOidc,
    GithubOidcArgs,
    OwnerType,
    RepositoryIds,
    SubjectFormat,
    read_repository,
)
from slipway.github_plan import GithubPlan, RepositoryPlan, Visibility
from slipway.image_channel import ImageChannel, ImageChannelArgs
from slipway.load_balancer import EgressRule, ListenerOptions
from slipway.monitoring import AlarmThresholds, ServiceMonitoring, ServiceMonitoringArgs
from slipway.network import NatStrategy, Network, NetworkArgs
from slipway.registry import ContainerRegistry, ContainerRegistryArgs
from slipway.registry_replication import RegistryReplication, RegistryReplicationArgs
from slipway.repository_guardrails import RepositoryGuardrails, RepositoryGuardrailsArgs
from slipway.rollback_alarms import RollbackAlarmOptions
from slipway.secret_store import SecretSpec, SecretStore, SecretStoreArgs
from slipway.smoke_test_hook import SmokeTestHook, SmokeTestHookArgs
from slipway.stack_boundary import StackBoundary, StackBoundaryArgs, bound_roles
from slipway.threat_detection import ThreatDetection, ThreatDetectionArgs
from slipway_platform import check_environment

__version__ = "0.2.0"
"""This release; the one home of the version (pyproject.toml reads it)."""

__all__ = [
    "AccessLogOptions",
    "AlarmThresholds",
    "Alerting",
    "AlertingArgs",
    "AuditTrail",
    "AuditTrailArgs",
    "AutoscalingOptions",
    "BackupPlan",
    "BackupPlanArgs",
    "BackupRule",
    "BlueGreenStrategy",
    "BootstrapImage",
    "BootstrapImageArgs",
    "CanaryStrategy",
    "CapacityOptions",
    "CisAlarms",
    "CisAlarmsArgs",
    "ConfigError",
    "ContainerInsights",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "DeployRoleArgs",
    "DeploymentEnvironment",
    "DeploymentEnvironmentArgs",
    "EcsCluster",
    "EcsClusterArgs",
    "EgressRule",
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
    "LifecycleHook",
    "LinearStrategy",
    "ListenerOptions",
    "LoggingOptions",
    "NatStrategy",
    "Network",
    "NetworkArgs",
    "OwnerType",
    "PlacementOptions",
    "RegistryReplication",
    "RegistryReplicationArgs",
    "RepositoryGuardrails",
    "RepositoryGuardrailsArgs",
    "RepositoryIds",
    "RepositoryPlan",
    "RollbackAlarmOptions",
    "RollingStrategy",
    "SecretSpec",
    "SecretStore",
    "SecretStoreArgs",
    "ServiceKeyAccess",
    "ServiceMonitoring",
    "ServiceMonitoringArgs",
    "SmokeTestHook",
    "SmokeTestHookArgs",
    "StackBoundary",
    "StackBoundaryArgs",
    "SubjectFormat",
    "ThreatDetection",
    "ThreatDetectionArgs",
    "VaultLock",
    "Visibility",
    "WebAclOptions",
    "bound_roles",
    "read_repository",
]

# Another distribution that ships this package (PyPI's `slipway`, installed before Slipway, whose
# files replaced its own) fails the import here, naming it; installed after, its own __init__
# replaces this one, and `slipway-platform` names it (docs/components.md, "Names").
check_environment()
