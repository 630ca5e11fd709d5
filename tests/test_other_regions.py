"""Resources in another region than the stack's (the backup copy, the registry's and the
secrets' replicas) are made with every setting the stack gives the AWS provider.

They used to go through explicit ``aws.Provider`` resources that registered only ``region`` (and
the SDK's two skip flags): an explicit provider reads nothing from the stack's ``aws:*`` config
(pulumi_aws ``Provider._internal_init`` sets only what it is given; the engine configures only
the *default* provider from the stack's config). So ``aws:allowedAccountIds``, ``aws:profile``,
``aws:assumeRoles`` and ``aws:defaultTags`` were dropped in the DR region. Now every such resource
goes through the default provider and names its region itself: pulumi-aws 7's per-resource
``region`` (Terraform AWS provider 6, "Enhanced Region Support",
https://hashicorp.github.io/terraform-provider-aws/enhanced-region-support/: the effective
region is the resource's ``region`` if set, else the provider's; everything else comes from the
provider's configuration).
"""

from __future__ import annotations

import json

import pytest

from slipway.encryption_key import EncryptionKeyArgs
from slipway.errors import ConfigError
from tests.conftest import recorded
from tests.stack_files import settings_of
from tooling.offline import ACCOUNT_ID, STACKS, RecordedResource, Recording, run_stack

PROVIDER = "pulumi:providers:aws"
PROVIDER_SETTINGS = {
    "aws:allowedAccountIds": json.dumps([ACCOUNT_ID]),
    "aws:profile": "storefront-admin",
    "aws:assumeRoles": json.dumps(
        [{"roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/deployer", "sessionName": "slipway"}]
    ),
    "aws:defaultTags": json.dumps({"tags": {"cost-centre": "storefront"}}),
}
"""Provider settings a stack file may set (``pulumi config set aws:…``)."""


def _elsewhere(recording: Recording) -> list[RecordedResource]:
    """The AWS resources the stack registers in a region other than its own."""
    return [
        r
        for r in recording.resources
        if r.type.startswith("aws:") and r.inputs.get("region") not in (None, recording.region)
    ]


def test_no_stack_registers_a_provider_of_its_own(stack: Recording) -> None:
    """Every AWS resource of every stack file goes through the default provider, which the
    engine configures from the stack's ``aws:*`` settings: none can miss one of them."""
    assert stack.of_type(PROVIDER) == []
    for resource in stack.resources:
        if resource.type.startswith("aws:") and resource.custom:
            assert resource.provider == "", resource.name


def test_resources_in_another_region_name_it_and_follow_the_settings(stack: Recording) -> None:
    """What a stack makes outside its region is in the region its settings name (the backup
    copy region), and nowhere else."""
    settings = settings_of(stack.stack)
    copy_region = settings.backup.backup_copy_region
    elsewhere = _elsewhere(stack)
    assert {r.inputs["region"] for r in elsewhere} <= {copy_region}
    if copy_region is None:
        assert elsewhere == []
        return
    names = {r.name for r in elsewhere}
    # The copy vault, its key, alias and lock (the lock only when the profile locks vaults).
    assert {"backup-dr-vault", "backup-dr-key-key", "backup-dr-key-alias"} <= names
    for resource in elsewhere:
        arn = str(resource.inputs.get("kmsKeyArn") or "")
        assert not arn or arn.startswith(f"arn:aws:kms:{copy_region}:"), resource.name


def test_a_stack_files_provider_settings_reach_the_other_region() -> None:
    """A stack file that sets allowedAccountIds, profile, assumeRoles and defaultTags: the
    program registers exactly what it registers without them (no provider resource of its
    own, the same inputs), so the default provider the engine builds from those settings is
    the one that creates the DR region's resources."""
    stack = next(s for s in STACKS if settings_of(s).backup.backup_copy_region is not None)
    plain = recorded(stack)
    configured = run_stack(stack, overrides=PROVIDER_SETTINGS)
    assert configured.of_type(PROVIDER) == []
    elsewhere = _elsewhere(configured)
    assert elsewhere, "a stack with a backup copy region makes resources there"
    assert all(r.provider == "" for r in elsewhere)
    key = {(r.type, r.name): (r.inputs, r.provider) for r in plain.resources}
    assert {(r.type, r.name): (r.inputs, r.provider) for r in configured.resources} == key


def test_a_key_in_another_region_names_it_on_the_key_and_its_alias(run_component: object) -> None:
    from slipway.encryption_key import EncryptionKey

    def program() -> dict[str, object]:
        EncryptionKey("dr", EncryptionKeyArgs(description="d", alias="dr", region="eu-central-1"))
        EncryptionKey("here", EncryptionKeyArgs(description="h", alias="here"))
        return {}

    recording = run_component(program)  # type: ignore[operator]
    regions = {r.name: r.inputs.get("region") for r in recording.resources if r.custom}
    assert regions == {
        "dr-key": "eu-central-1",
        "dr-alias": "eu-central-1",
        "here-key": None,
        "here-alias": None,
    }
    (dr,) = [r for r in recording.resources if r.name == "dr-key"]
    assert dr.provider == ""


def test_a_region_that_is_no_region_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"EncryptionKeyArgs\.region: got 'Frankfurt'"):
        EncryptionKeyArgs(description="d", region="Frankfurt")
