"""The public API other stacks import is pinned: a change here is a change of contract."""

from __future__ import annotations

import components

PUBLIC = [
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


def test_all_is_pinned_and_sorted() -> None:
    assert components.__all__ == PUBLIC
    assert sorted(components.__all__) == components.__all__


def test_every_public_name_resolves() -> None:
    for name in components.__all__:
        assert getattr(components, name) is not None


def test_component_type_tokens_are_stable() -> None:
    assert components.ContainerRegistry.TOKEN == "slipway:index:ContainerRegistry"
    assert components.EncryptionKey.TOKEN == "slipway:index:EncryptionKey"
    for name in components.__all__:
        token = getattr(getattr(components, name), "TOKEN", None)
        if token is not None:
            assert token == f"slipway:index:{name}"


def test_importing_creates_nothing() -> None:
    import subprocess
    import sys

    code = (
        "import components, infra.stack, infra.settings, infra.plan;"
        "from pulumi.runtime import settings;"
        "assert settings.get_root_resource() is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
