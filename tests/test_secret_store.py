"""SecretStore: what it registers, that values stay secret, and that AWS would accept it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import boto3
import botocore.validate
import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws

from slipway.errors import ConfigError
from slipway.secret_store import SecretSpec, SecretStore, SecretStoreArgs
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy
from tooling.offline import ACCOUNT_ID, Recording, run_program

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
KEY = "aws:kms/key:Key"
POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
PREFIX = "storefront/prod/"
SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT_ID}:secret:{PREFIX}"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
DATABASE_URL = "postgres://app:s3cr3t-offline@db.internal:5432/storefront"
GHCR_TOKEN = "ghp_offlineReadPackagesOnly000000000000"
CONFIG = {
    "aws:region": "eu-west-1",
    "slipway:secretDatabaseUrl": DATABASE_URL,
    "slipway:secretGhcrPullToken": GHCR_TOKEN,
}
"""Stack config as ``pulumi config set --secret`` leaves it: the values, marked secret."""
SECRET_KEYS = ("slipway:secretDatabaseUrl", "slipway:secretGhcrPullToken")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def default_specs() -> list[SecretSpec]:
    config = pulumi.Config("slipway")
    return [
        SecretSpec(
            "database-url",
            "Postgres connection URL",
            value=config.require_secret("secretDatabaseUrl"),
        ),
        SecretSpec(
            "ghcr-pull",
            "Read-only GHCR credentials for repositoryCredentials",
            value=pulumi.Output.json_dumps(
                {
                    "username": "storefront-bot",
                    "password": config.require_secret("secretGhcrPullToken"),
                }
            ),
        ),
        SecretSpec("stripe-key", "Stripe API key; set with put-secret-value"),
    ]


def run(program: Callable[[], dict[str, Any]]) -> Recording:
    return run_program("test", CONFIG, SECRET_KEYS, program)


def store(
    *,
    specs: Callable[[], Sequence[SecretSpec]] = default_specs,
    use: Callable[[SecretStore], dict[str, Any]] | None = None,
    **overrides: Any,
) -> Recording:
    def program() -> dict[str, Any]:
        args = SecretStoreArgs(**{"name_prefix": PREFIX, "secrets": specs(), **overrides})
        component = SecretStore("store", args)
        outputs = {
            "arns": component.secret_arns,
            "names": component.secret_names,
            "key": component.kms_key_arn,
        }
        if use is not None:
            outputs.update(use(component))
        return outputs

    return run(program)


def test_secrets_are_named_described_and_encrypted_with_the_store_key() -> None:
    recording = store()
    secrets = {r.inputs["name"]: r for r in recording.of_type(SECRET)}
    assert set(secrets) == {f"{PREFIX}database-url", f"{PREFIX}ghcr-pull", f"{PREFIX}stripe-key"}
    assert secrets[f"{PREFIX}database-url"].inputs["description"] == "Postgres connection URL"
    assert secrets[f"{PREFIX}stripe-key"].name == "store-stripe-key"
    key = recording.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    key_arn = recording.outputs["key"]
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    for secret in secrets.values():
        assert secret.inputs["kmsKeyId"] == key_arn
        assert secret.inputs["recoveryWindowInDays"] == 30
        assert key.urn in secret.dependencies
    assert (
        recording.one("aws:kms/alias:Alias").inputs["name"]
        == "alias/secretsmanager/storefront/prod"
    )
    assert recording.outputs["names"] == {
        "database-url": f"{PREFIX}database-url",
        "ghcr-pull": f"{PREFIX}ghcr-pull",
        "stripe-key": f"{PREFIX}stripe-key",
    }


def test_key_policy_needs_no_service_statement_for_secrets_manager() -> None:
    (statement,) = store().one(KEY).json_input("policy")["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}


def test_a_value_from_secret_config_becomes_a_secret_version() -> None:
    recording = store()
    versions = {v.name: v for v in recording.of_type(VERSION)}
    assert set(versions) == {"store-database-url-value", "store-ghcr-pull-value"}
    database = versions["store-database-url-value"]
    assert database.inputs["secretString"] == DATABASE_URL
    assert "secretString" in database.secret_inputs
    secret = recording.one(SECRET, "store-database-url")
    assert secret.urn in database.dependencies
    assert database.inputs["secretId"] == recording.outputs["arns"]["database-url"]


def test_a_json_value_stays_json_and_secret() -> None:
    version = store().one(VERSION, "store-ghcr-pull-value")
    assert "secretString" in version.secret_inputs
    assert json.loads(version.inputs["secretString"]) == {
        "username": "storefront-bot",
        "password": GHCR_TOKEN,
    }


def test_a_secret_without_a_value_is_created_empty_so_pulumi_never_reverts_it() -> None:
    recording = store()
    assert not any(v.name.startswith("store-stripe-key") for v in recording.of_type(VERSION))
    stripe = recording.one(SECRET, "store-stripe-key")
    assert not {"secretString", "secretBinary"} & set(stripe.inputs)
    only_empty = store(specs=lambda: [SecretSpec("stripe-key")])
    assert only_empty.of_type(VERSION) == []
    assert "description" not in only_empty.one(SECRET).inputs


def test_a_value_that_is_not_yet_secret_is_sent_as_secret() -> None:
    # The store wraps it in Output.secret, and so does pulumi-aws's SecretVersion: either
    # alone keeps it secret; this pins the outcome, whichever layer provides it.
    recording = store(specs=lambda: [SecretSpec("plain", value=pulumi.Output.from_input("x1"))])
    version = recording.one(VERSION)
    assert version.inputs["secretString"] == "x1"
    assert "secretString" in version.secret_inputs


def test_a_literal_value_in_code_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        SecretStoreArgs(name_prefix=PREFIX, secrets=[SecretSpec("db", value="hunter2-literal")])
    assert "SecretStoreArgs.secrets: got 'db'; a value from secret config" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(SecretSpec("db", value="hunter2-literal"))


@pytest.mark.parametrize("days", [0, 7, 30])
def test_recovery_window_follows_the_argument(days: int) -> None:
    recording = store(recovery_window_days=days)
    assert {s.inputs["recoveryWindowInDays"] for s in recording.of_type(SECRET)} == {days}


def test_an_existing_key_is_used_instead_of_a_new_one() -> None:
    recording = store(kms_key_arn=KEY_ARN)
    assert recording.of_type(KEY) == []
    assert {s.inputs["kmsKeyId"] for s in recording.of_type(SECRET)} == {KEY_ARN}
    assert recording.outputs["key"] == KEY_ARN


def test_create_secret_request_matches_the_api_model_and_moto_accepts_it() -> None:
    recording = store(tags={"app": "storefront", "env": "prod"})
    model = service_model("secretsmanager")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        for secret in recording.of_type(SECRET):
            sent = secret.inputs
            assert sent["tags"] == {"app": "storefront", "env": "prod"}
            params = {
                "Name": sent["name"],
                "Description": sent.get("description", ""),
                "KmsKeyId": sent["kmsKeyId"],
                "Tags": [{"Key": k, "Value": v} for k, v in sent["tags"].items()],
            }
            botocore.validate.validate_parameters(
                params, model.operation_model("CreateSecret").input_shape
            )
            client.create_secret(**params)
            botocore.validate.validate_parameters(
                {
                    "SecretId": sent["name"],
                    "RecoveryWindowInDays": int(sent["recoveryWindowInDays"]),
                },
                model.operation_model("DeleteSecret").input_shape,
            )
        listed = {s["Name"] for s in client.list_secrets()["SecretList"]}
    assert listed == {s.inputs["name"] for s in recording.of_type(SECRET)}
    assert recording.one(KEY).inputs["tags"] == {"app": "storefront", "env": "prod"}


def grant(names: Sequence[str] | None = None) -> Callable[[SecretStore], dict[str, Any]]:
    def use(component: SecretStore) -> dict[str, Any]:
        role = aws.iam.Role("exec", assume_role_policy=TRUST)
        component.grant_read(role, names)
        return {}

    return use


def test_grant_read_is_scoped_to_the_exact_secrets_and_decrypt_via_secrets_manager() -> None:
    recording = store(use=grant())
    policy = recording.one(POLICY)
    assert policy.name == "store-read-exec"
    assert policy.parent_name == "store"
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    read, decrypt = document["Statement"]
    arns = recording.outputs["arns"]
    assert sorted(read["Action"]) == [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
    ]
    assert read["Resource"] == [arns["database-url"], arns["ghcr-pull"], arns["stripe-key"]]
    assert all(arn.startswith(SECRET_ARN) for arn in read["Resource"])
    assert "Condition" not in read
    assert decrypt["Action"] == ["kms:Decrypt"]
    assert decrypt["Resource"] == [recording.outputs["key"]]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }


def test_grant_read_can_be_narrowed_to_some_secrets() -> None:
    recording = store(use=grant(["ghcr-pull"]))
    document = recording.one(POLICY).json_input("policy")
    assert_valid_permission_policy(document)
    assert document["Statement"][0]["Resource"] == [recording.outputs["arns"]["ghcr-pull"]]


@pytest.mark.parametrize(
    ("names", "specs", "message"),
    [
        (["nope"], default_specs, "SecretStore.grant_read: got ['nope']; names of this store's"),
        (None, list, "SecretStore.grant_read: got []; at least one secret to read"),
    ],
)
def test_grant_read_refuses_unknown_or_no_secrets(
    names: list[str] | None, specs: Callable[[], Sequence[SecretSpec]], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        store(specs=specs, use=grant(names))
    assert message in str(caught.value)


def task_definition(environment: dict[str, Any]) -> Callable[[SecretStore], dict[str, Any]]:
    def use(component: SecretStore) -> dict[str, Any]:
        container = {
            "name": "web",
            "image": "ghcr.io/acme-corp/storefront:1.4.2",
            "essential": True,
            "secrets": component.container_secrets(environment),
            "repositoryCredentials": component.repository_credentials("ghcr-pull"),
        }
        aws.ecs.TaskDefinition(
            "task",
            family="storefront",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu="256",
            memory="512",
            container_definitions=pulumi.Output.json_dumps([container]),
        )
        return {}

    return use


def test_container_secrets_are_valid_ecs_task_definition_entries() -> None:
    recording = store(
        use=task_definition(
            {"DATABASE_URL": "database-url", "GHCR_USER": ("ghcr-pull", "username")}
        )
    )
    task = recording.one(TASK).inputs
    containers = json.loads(task["containerDefinitions"])
    arns = recording.outputs["arns"]
    (container,) = containers
    assert container["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": arns["database-url"]},
        {"name": "GHCR_USER", "valueFrom": f"{arns['ghcr-pull']}:username::"},
    ]
    assert container["repositoryCredentials"] == {"credentialsParameter": arns["ghcr-pull"]}
    model = service_model("ecs")
    botocore.validate.validate_parameters(
        {
            "family": task["family"],
            "requiresCompatibilities": task["requiresCompatibilities"],
            "networkMode": task["networkMode"],
            "cpu": task["cpu"],
            "memory": task["memory"],
            "containerDefinitions": containers,
        },
        model.operation_model("RegisterTaskDefinition").input_shape,
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DATABASE_URL": "database"}, "SecretStore.container_secrets: got ['database']; names"),
        ({"1BAD": "database-url"}, "SecretStore.container_secrets: got ['1BAD']; environment"),
        ({"USER": ("ghcr-pull", "a:b")}, "SecretStore.container_secrets: got ['USER']; JSON keys"),
    ],
)
def test_container_secrets_refuse_unknown_names_and_bad_variables(
    environment: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        store(use=task_definition(environment))
    assert message in str(caught.value)


def test_repository_credentials_refuse_an_unknown_secret() -> None:
    def use(component: SecretStore) -> dict[str, Any]:
        component.repository_credentials("ghcr")
        return {}

    with pytest.raises(ConfigError, match=r"SecretStore.repository_credentials: got \['ghcr'\]"):
        store(use=use)


def test_protect_covers_secrets_and_key_and_retains_versions() -> None:
    protected = store(protect=True)
    for resource in protected.resources:
        stateful = resource.type in (SECRET, KEY)
        assert resource.protect is stateful, resource.name
        assert resource.retain_on_delete is (stateful or resource.type == VERSION), resource.name
    unprotected = store(protect=False)
    assert not any(r.protect or r.retain_on_delete for r in unprotected.resources)


def test_every_child_is_parented_to_the_component() -> None:
    recording = store(use=grant())
    for resource in recording.resources:
        if resource.name == "exec":
            continue
        if resource.type == SecretStore.TOKEN:
            assert resource.parent_type == "pulumi:pulumi:Stack"
            continue
        assert resource.parent_type in {SecretStore.TOKEN, "slipway:index:EncryptionKey"}
        assert resource.name.startswith("store-"), resource.name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name_prefix": "store front/"}, "SecretStoreArgs.name_prefix: got 'store front/'"),
        ({"name_prefix": "shop#prod/"}, "SecretStoreArgs.name_prefix: got 'shop#prod/'"),
        ({"secrets": [SecretSpec("")]}, "SecretStoreArgs.secrets: got ''"),
        ({"secrets": [SecretSpec("db url")]}, "SecretStoreArgs.secrets: got 'db url'"),
        ({"secrets": [SecretSpec("a" * 497)]}, "at most 512 characters including the prefix"),
        ({"secrets": [SecretSpec("db"), SecretSpec("db")]}, "got 'db'; unique secret names"),
        ({"secrets": [SecretSpec("a/b"), SecretSpec("a-b")]}, "got 'a-b'; unique secret names"),
        ({"secrets": [SecretSpec("api-secret")]}, "does not end with '-' and six characters"),
        ({"secrets": [SecretSpec("db", "x" * 2049)]}, "description of at most 2048"),
        ({"secrets": [{"name": "db"}]}, "SecretStoreArgs.secrets: got 'dict'; SecretSpec"),
        ({"recovery_window_days": 1}, "SecretStoreArgs.recovery_window_days: got 1; 0 (delete"),
        ({"recovery_window_days": 31}, "SecretStoreArgs.recovery_window_days: got 31"),
        ({"recovery_window_days": True}, "SecretStoreArgs.recovery_window_days: got True"),
        ({"key_deletion_window_days": 5}, "SecretStoreArgs.key_deletion_window_days: got 5"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        store(**overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_longest_allowed_name_is_accepted() -> None:
    name = "a" * (512 - len(PREFIX))
    recording = store(specs=lambda: [SecretSpec(name)])
    assert len(recording.one(SECRET).inputs["name"]) == 512


def test_environment_secrets_map_variables_to_value_from() -> None:
    def use(component: SecretStore) -> dict[str, Any]:
        return {
            "refs": component.environment_secrets(
                {"GHCR_PASSWORD": ("ghcr-pull", "password"), "DATABASE_URL": "database-url"}
            )
        }

    recording = store(use=use)
    arns = recording.outputs["arns"]
    assert recording.outputs["refs"] == {
        "DATABASE_URL": arns["database-url"],
        "GHCR_PASSWORD": f"{arns['ghcr-pull']}:password::",
    }


def test_replicas_are_kept_in_the_listed_regions(run_component: Any) -> None:
    def program() -> dict[str, Any]:
        SecretStore(
            "dr",
            SecretStoreArgs(
                name_prefix="shop/prod/",
                secrets=(SecretSpec("DATABASE_URL"),),
                replica_regions=("eu-central-1",),
            ),
        )
        return {}

    recording = run_component(program)
    (secret,) = recording.of_type("aws:secretsmanager/secret:Secret")
    (replica,) = secret.inputs["replicas"]
    assert replica["region"] == "eu-central-1"
    # A customer-managed key of the store's own in the replica region, through the stack's own
    # provider with the per-resource region: never the AWS-managed aws/secretsmanager key.
    assert replica["kmsKeyId"].startswith("arn:aws:kms:eu-central-1:")
    keys = recording.of_type("aws:kms/key:Key")
    (replica_key,) = [k for k in keys if "eu-central-1" in k.name]
    assert replica_key.inputs["region"] == "eu-central-1"
    assert replica_key.provider == ""
    assert recording.of_type("pulumi:providers:aws") == []
    assert replica_key.inputs["enableKeyRotation"] is True


@pytest.mark.parametrize("regions", [("Frankfurt",), ("eu-central-1", "eu-central-1")])
def test_bad_replica_regions_are_refused(run_component: Any, regions: tuple[str, ...]) -> None:
    def program() -> dict[str, Any]:
        SecretStore("dr", SecretStoreArgs(name_prefix="shop/prod/", replica_regions=regions))
        return {}

    with pytest.raises(ConfigError, match=r"SecretStoreArgs\.replica_regions"):
        run_component(program)
