"""The public API other stacks import is pinned: a change here is a change of contract."""

from __future__ import annotations

import slipway

PUBLIC = [
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


def test_all_is_pinned_and_sorted() -> None:
    assert slipway.__all__ == PUBLIC
    assert sorted(slipway.__all__) == slipway.__all__


def test_every_public_name_resolves() -> None:
    for name in slipway.__all__:
        assert getattr(slipway, name) is not None


def test_component_type_tokens_are_stable() -> None:
    assert slipway.ContainerRegistry.TOKEN == "slipway:index:ContainerRegistry"
    assert slipway.EncryptionKey.TOKEN == "slipway:index:EncryptionKey"
    for name in slipway.__all__:
        token = getattr(getattr(slipway, name), "TOKEN", None)
        if token is not None:
            assert token == f"slipway:index:{name}"


def test_importing_creates_nothing() -> None:
    import subprocess
    import sys

    code = (
        "import slipway, infra.stack, infra.settings, tooling.plan;"
        "from pulumi.runtime import settings;"
        "assert settings.get_root_resource() is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
