"""Account-wide resources, one flag per thing (``githubOidcProvider``, ``ownsAuditTrail``,
``ownsRegistryReplication``, ``guardDuty``; ``ownsAccountResources`` is the shorthand that
sets the first three), tried on every stack file."""

from __future__ import annotations

import pytest

from slipway.github_oidc import GITHUB_OIDC_HOST
from slipway.registry_replication import REPLACES_WARNING
from tooling.offline import ACCOUNT_ID, discover_stacks, run_stack

STACKS = discover_stacks()
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
TRAIL = "aws:cloudtrail/trail:Trail"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"


@pytest.mark.parametrize("stack", STACKS)
def test_an_existing_provider_is_adopted_not_created_twice(stack: str) -> None:
    """``githubOidcProvider: adopt``: the first ``up`` imports the account's provider (IAM
    would refuse a second one with EntityAlreadyExists); it is kept whatever happens to the
    stack, and the roles trust it."""
    recording = run_stack(stack, overrides={"githubOidcProvider": "adopt"})
    provider = recording.one(PROVIDER)
    assert provider.import_id == PROVIDER_ARN
    assert provider.protect
    assert provider.retain_on_delete
    assert set(provider.ignore_changes) == {"clientIdLists", "thumbprintLists"}
    assert recording.outputs["githubOidcProviderArn"] == PROVIDER_ARN


@pytest.mark.parametrize("stack", STACKS)
def test_a_referenced_provider_is_not_registered(stack: str) -> None:
    recording = run_stack(stack, overrides={"githubOidcProvider": "reference"})
    assert recording.of_type(PROVIDER) == []
    assert recording.outputs["githubOidcProviderArn"] == PROVIDER_ARN


@pytest.mark.parametrize("stack", STACKS)
def test_the_trail_has_its_own_flag(stack: str) -> None:
    with_trail = run_stack(
        stack, overrides={"ownsAccountResources": "false", "ownsAuditTrail": "true"}
    )
    assert with_trail.one(TRAIL)
    assert with_trail.of_type(PROVIDER) == []
    assert with_trail.of_type(REPLICATION) == []
    without = run_stack(
        stack, overrides={"ownsAccountResources": "true", "ownsAuditTrail": "false"}
    )
    assert without.of_type(TRAIL) == []
    assert without.one(PROVIDER)


@pytest.mark.parametrize("stack", STACKS)
def test_replication_has_its_own_flag_and_warns(stack: str) -> None:
    """The owner of the registry's replication is told, on every run, that its ``up``
    replaces the registry's whole replication configuration."""
    overrides = {
        "ownsAccountResources": "false",
        "ownsRegistryReplication": "true",
        "backupCopyRegion": "eu-central-1",
        "replicatedRepositories": '["storefront/prod"]',
    }
    recording = run_stack(stack, overrides=overrides)
    (rule,) = recording.one(REPLICATION).inputs["replicationConfiguration"]["rules"]
    assert rule["repositoryFilters"] == [
        {"filter": "storefront/prod", "filterType": "PREFIX_MATCH"}
    ]
    assert recording.one(TEMPLATE).inputs["prefix"] == "storefront"
    assert recording.of_type(PROVIDER) == []
    assert recording.of_type(TRAIL) == []
    expected = REPLACES_WARNING.format(account=ACCOUNT_ID, region="eu-west-1")
    assert expected in recording.warnings
    assert not any(
        "replication" in w
        for w in run_stack(stack, overrides={"ownsAccountResources": "false"}).warnings
    )
