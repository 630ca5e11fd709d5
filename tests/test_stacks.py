"""The whole program, per stack: dev, staging and prod differ on purpose, and only there."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings

from infra.offline import ACCOUNT_ID, ROOT, AwsMocks, RecordedResource, Recording, load_stack_config
from tests.conftest import recorded

STATEFUL = {"aws:ecr/repository:Repository", "aws:kms/key:Key"}
TAGGABLE = {"aws:ecr/repository:Repository", "aws:kms/key:Key"}
EXPECTED = {  # stack: (untagged expiry days, release images kept)
    "dev": (3, 10),
    "staging": (7, 30),
    "prod": (14, 100),
}


def test_each_stack_has_the_registry_its_key_lifecycle_and_policy(stack: Recording) -> None:
    types = sorted(r.type for r in stack.resources if r.custom)
    assert types == [
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repository:Repository",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:kms/alias:Alias",
        "aws:kms/key:Key",
    ]
    assert stack.one("aws:ecr/repository:Repository").inputs["name"] == f"storefront/{stack.stack}"


def test_every_resource_is_inside_a_component(stack: Recording) -> None:
    for resource in stack.resources:
        if resource.custom:
            assert resource.parent_type.startswith("slipway:index:"), resource.name
        else:
            assert resource.type.startswith("slipway:index:"), resource.type


def test_stateful_resources_are_protected_and_retained_only_in_prod(stack: Recording) -> None:
    prod = stack.stack == "prod"
    for resource in stack.resources:
        expected = prod and resource.type in STATEFUL
        assert resource.protect is expected, (stack.stack, resource.name)
        assert resource.retain_on_delete is expected, (stack.stack, resource.name)


def test_lifecycle_follows_each_stack_file(stack: Recording) -> None:
    rules = stack.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").json_input("policy")["rules"]
    days, keep = EXPECTED[stack.stack]
    assert rules[0]["selection"]["countNumber"] == days
    assert rules[1]["selection"]["countNumber"] == keep


def test_taggable_resources_carry_the_stack_tags(stack: Recording) -> None:
    for resource in stack.resources:
        if resource.type in TAGGABLE:
            assert resource.inputs["tags"] == {
                "slipway:app": "storefront",
                "slipway:environment": stack.stack,
                "slipway:profile": stack.stack,
                "slipway:repository": "acme-corp/storefront",
            }


def test_outputs_are_the_documented_contract(stack: Recording) -> None:
    region = "eu-west-1"
    assert stack.outputs == {
        "environment": stack.stack,
        "profile": stack.stack,
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/storefront/{stack.stack}",
        "repositoryArn": f"arn:aws:ecr:{region}:{ACCOUNT_ID}:repository/storefront/{stack.stack}",
        "registryId": ACCOUNT_ID,
        "registryKmsKeyArn": stack.outputs["registryKmsKeyArn"],
    }
    assert stack.outputs["registryKmsKeyArn"].startswith(f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/")
    assert stack.secret_outputs == set()


def test_stack_files_hold_no_plaintext_secret() -> None:
    for stack in ("dev", "staging", "prod"):
        config, secret_keys = load_stack_config(stack)
        assert "slipway:slackWebhookUrl" not in config or "slipway:slackWebhookUrl" in secret_keys
        text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        assert "hooks.slack.com/services/T" not in text


def _named(recording: Recording) -> dict[tuple[str, str], RecordedResource]:
    return {(r.type, r.name): r for r in recording.resources}


def test_stacks_register_the_same_logical_resources() -> None:
    dev, staging, prod = (_named(recorded(s)) for s in ("dev", "staging", "prod"))
    assert set(dev) == set(staging) == set(prod)


def test_prod_differs_from_dev_where_it_should() -> None:
    dev, prod = _named(recorded("dev")), _named(recorded("prod"))
    repo = ("aws:ecr/repository:Repository", "registry-repo")
    assert (dev[repo].protect, prod[repo].protect) == (False, True)
    dev_inputs = {k: v for k, v in dev[repo].inputs.items() if k not in ("name", "tags")}
    prod_inputs = {k: v for k, v in prod[repo].inputs.items() if k not in ("name", "tags")}
    dev_inputs["encryptionConfigurations"] = prod_inputs["encryptionConfigurations"] = None
    assert dev_inputs == prod_inputs  # the secure defaults do not depend on the profile


def test_the_entry_point_pulumi_runs_exports_the_outputs() -> None:
    config, secret_keys = load_stack_config("staging")
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi.runtime.set_mocks(AwsMocks("eu-west-1", "staging"), project="slipway", stack="staging")
    stack_resource = runtime_settings.get_root_resource()
    assert stack_resource is not None

    @pulumi.runtime.test  # type: ignore[misc]
    def run() -> None:
        runpy.run_path(str(Path(ROOT, "infra", "__main__.py")), run_name="__main__")

    run()
    exported = stack_resource.outputs  # type: ignore[attr-defined]
    assert set(exported) == {
        "environment",
        "profile",
        "repositoryUrl",
        "repositoryArn",
        "registryId",
        "registryKmsKeyArn",
    }


@pytest.mark.parametrize("stack_name", ["dev", "staging", "prod"])
def test_stack_file_settings_are_all_known(stack_name: str) -> None:
    from infra.settings import StackSettings

    config, _ = load_stack_config(stack_name)
    aliases = {info.alias for info in StackSettings.model_fields.values()}
    for key in config:
        namespace, name = key.split(":", 1)
        assert namespace in ("aws", "slipway"), key
        if namespace == "slipway":
            assert name in aliases, key
