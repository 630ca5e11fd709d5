"""Slipway's components for every Pulumi language (TypeScript, Go, C#, Java, YAML).

A thin facade over the Python API (:mod:`slipway`): TypedDict args that Pulumi's analyzer can turn
into a package schema (no ``from __future__ import annotations`` here: the analyzer reads
annotations without evaluating strings), each component building the Python API's typed args and
delegating to it. The Python API stays the home of every rule and default.
"""

from pulumi import ComponentResource

from slipway_facade.alerting import Alerting
from slipway_facade.audit_trail import AuditTrail
from slipway_facade.backup import BackupPlan
from slipway_facade.cluster import EcsCluster
from slipway_facade.deployment_environment import DeploymentEnvironment
from slipway_facade.fargate_service import FargateService
from slipway_facade.github_oidc import GithubOidc
from slipway_facade.monitoring import ServiceMonitoring
from slipway_facade.network import Network
from slipway_facade.registry import ContainerRegistry
from slipway_facade.repository_guardrails import RepositoryGuardrails
from slipway_facade.secret_store import SecretStore
from slipway_facade.stack_boundary import StackBoundary
from slipway_facade.workflow_set import WorkflowSet

COMPONENTS: list[type[ComponentResource]] = [
    FargateService,
    ContainerRegistry,
    EcsCluster,
    Network,
    SecretStore,
    Alerting,
    AuditTrail,
    ServiceMonitoring,
    BackupPlan,
    RepositoryGuardrails,
    StackBoundary,
    DeploymentEnvironment,
    GithubOidc,
    WorkflowSet,
]
"""The components the plugin serves, in the schema's order."""

__all__ = [
    "COMPONENTS",
    "Alerting",
    "AuditTrail",
    "BackupPlan",
    "ContainerRegistry",
    "DeploymentEnvironment",
    "EcsCluster",
    "FargateService",
    "GithubOidc",
    "Network",
    "RepositoryGuardrails",
    "SecretStore",
    "ServiceMonitoring",
    "StackBoundary",
    "WorkflowSet",
]
