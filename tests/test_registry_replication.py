"""RegistryReplication: images copied to the DR region, for this application's repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway import ConfigError, RegistryReplication, RegistryReplicationArgs
from tests.aws_models import service_model
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
CONFIGURATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def replicate(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = {"destination_region": "eu-central-1", "repository_prefixes": ("shop/",)}
        RegistryReplication("replication", RegistryReplicationArgs(**{**args, **overrides}))
        return {}

    return run(program)


def test_replicates_only_the_listed_repositories_to_the_destination(run_component: Runner) -> None:
    configuration = replicate(run_component).one(CONFIGURATION)
    (rule,) = configuration.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [{"region": "eu-central-1", "registryId": ACCOUNT_ID}]
    assert rule["repositoryFilters"] == [{"filter": "shop/", "filterType": "PREFIX_MATCH"}]
    assert configuration.parent_type == "slipway:index:RegistryReplication"
    model = service_model("ecr")
    botocore.validate.validate_parameters(
        {"replicationConfiguration": {"rules": [rule]}},
        model.operation_model("PutReplicationConfiguration").input_shape,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"destination_region": "Frankfurt"}, "RegistryReplicationArgs.destination_region"),
        (
            {"destination_region": "eu-west-1", "source_region": "eu-west-1"},
            "a region other than the registry's own (eu-west-1)",
        ),
        ({"repository_prefixes": ()}, "RegistryReplicationArgs.repository_prefixes: got []"),
        ({"repository_prefixes": ("Shop/",)}, "repository name prefixes"),
    ],
)
def test_bad_arguments_fail_before_anything_registers(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        replicate(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
