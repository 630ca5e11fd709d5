"""The facade (provider/slipway_facade), constructed the way the Pulumi engine constructs it.

Each component goes through ``SlipwayComponentProvider.construct`` (the path a ``Construct`` call
from TypeScript, Go or YAML takes) under the mock runtime, with its integers as floats (how they
cross the wire) and its ``Input`` values as Outputs (how the server hands over any value that
depends on another resource). It must register exactly what the Python API registers for the
same settings, below the facade's own component.
"""

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest
from pulumi.errors import InputPropertyError

import slipway
from slipway_facade import COMPONENTS
from slipway_facade.host import SlipwayComponentProvider
from tooling.offline import ACCOUNT_ID, RecordedResource, Recording

Runner = Callable[..., Recording]
Program = Callable[[], Mapping[str, Any]]
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def provider() -> SlipwayComponentProvider:
    return SlipwayComponentProvider(COMPONENTS, "slipway", version=slipway.__version__)


def via_provider(
    provider: SlipwayComponentProvider, token: str, name: str, inputs: Callable[[], dict[str, Any]]
) -> Program:
    """A program that constructs ``token`` through the provider; ``inputs`` is called inside
    the run (Outputs need the runtime)."""

    def program() -> Mapping[str, Any]:
        result = provider.construct(name, token, inputs(), None)
        return {"urn": result.urn, **result.state}

    return program


def below_facade(recording: Recording, token: str) -> list[RecordedResource]:
    """What the facade registered, minus its own component, with URNs and parents as if the
    Python API had been called directly."""
    facade, rest = recording.resources[0], recording.resources[1:]

    def direct(urn: str) -> str:
        # The mock runtime's URNs carry the parent's type only (MockMonitor.make_urn).
        if urn == facade.urn:
            return facade.parent
        return urn.replace(f"::{token}${token}::", f"::pulumi:pulumi:Stack${token}::")

    return [
        dataclasses.replace(
            r,
            urn=direct(r.urn),
            parent=direct(r.parent),
            dependencies=tuple(direct(d) for d in r.dependencies),
        )
        for r in rest
    ]


def assert_same_registrations(
    run_component: Runner, via: Program, direct: Program, token: str
) -> Recording:
    facade = run_component(via)
    python_api = run_component(direct)
    assert facade.resources[0].type == token
    assert facade.resources[0].parent_type == "pulumi:pulumi:Stack"
    assert below_facade(facade, token) == python_api.resources
    return facade


# --------------------------------------------------------------------------------------------
# ContainerRegistry
# --------------------------------------------------------------------------------------------


REGISTRY = "slipway:index:ContainerRegistry"


def test_container_registry(provider: SlipwayComponentProvider, run_component: Runner) -> None:
    inputs = lambda: {  # noqa: E731
        "repositoryName": "shop/web",
        "untaggedExpiryDays": 14.0,
        "keepReleaseImages": 50.0,
        "releaseTagPatterns": ["v*.*.*"],
        "kmsKeyArn": pulumi.Output.from_input(KEY_ARN),
        "keyDeletionWindowDays": 7.0,
        "pullAccountIds": ["210987654321"],
        "protect": True,
        "tags": {"team": "web"},
    }

    def direct() -> Mapping[str, Any]:
        slipway.ContainerRegistry(
            "reg",
            slipway.ContainerRegistryArgs(
                repository_name="shop/web",
                untagged_expiry_days=14,
                keep_release_images=50,
                release_tag_patterns=["v*.*.*"],
                kms_key_arn=KEY_ARN,
                key_deletion_window_days=7,
                pull_account_ids=["210987654321"],
                protect=True,
                tags={"team": "web"},
            ),
        )
        return {}

    facade = assert_same_registrations(
        run_component, via_provider(provider, REGISTRY, "reg", inputs), direct, REGISTRY
    )
    assert "ecr:BatchGetImage" in facade.outputs["pullPolicyJson"]
    assert "ecr:PutImage" in facade.outputs["pushPolicyJson"]
    assert facade.outputs["kmsKeyArn"] == KEY_ARN


def test_container_registry_defaults(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    def direct() -> Mapping[str, Any]:
        slipway.ContainerRegistry("reg", slipway.ContainerRegistryArgs(repository_name="shop"))
        return {}

    assert_same_registrations(
        run_component,
        via_provider(provider, REGISTRY, "reg", lambda: {"repositoryName": "shop"}),
        direct,
        REGISTRY,
    )


def test_output_for_a_plain_integer_is_refused_by_name(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {  # noqa: E731
        "repositoryName": "shop",
        "untaggedExpiryDays": pulumi.Output.from_input(14.0),
    }
    with pytest.raises(InputPropertyError) as refused:
        run_component(via_provider(provider, REGISTRY, "reg", inputs))
    assert refused.value.property_path == "untaggedExpiryDays"
    assert "known before the deployment" in refused.value.reason


def test_fractional_float_is_refused_by_name(
    provider: SlipwayComponentProvider, run_component: Runner
) -> None:
    inputs = lambda: {"repositoryName": "shop", "keepReleaseImages": 2.5}  # noqa: E731
    with pytest.raises(InputPropertyError) as refused:
        run_component(via_provider(provider, REGISTRY, "reg", inputs))
    assert refused.value.property_path == "keepReleaseImages"
    assert "2.5" in refused.value.reason
