"""bootstrap/: the state bucket and secrets key, run offline through its real entry point."""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import settings as runtime_settings

from tooling.offline import ACCOUNT_ID, ROOT, Recording, run_program

BOOTSTRAP = ROOT / "bootstrap"
MAIN = BOOTSTRAP / "__main__.py"
BUCKET = "aws:s3/bucket:Bucket"
DEPLOYER = f"arn:aws:iam::{ACCOUNT_ID}:role/slipway-deployer"
"""The role behind the mocked caller's session (tooling/offline.py, getSessionContext)."""


def run_bootstrap(extra: Mapping[str, str] | None = None) -> Recording:
    """Run bootstrap/__main__.py as the Pulumi CLI does (run_name ``__main__``)."""

    def program() -> Mapping[str, Any]:
        runpy.run_path(str(MAIN), run_name="__main__")
        stack = runtime_settings.get_root_resource()
        assert stack is not None
        return dict(stack.outputs)  # type: ignore[attr-defined]

    config = {"aws:region": "eu-west-1", **(extra or {})}
    return run_program("bootstrap", config, (), program)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run_bootstrap()


def test_the_project_file_runs_this_program_with_the_shared_virtualenv() -> None:
    project = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())
    assert project["name"] == "slipway-bootstrap"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "../.venv"
    assert (BOOTSTRAP / project["main"]).resolve() == MAIN.resolve()
    assert set(project["config"]) == {
        "stateBucketName",
        "noncurrentVersionDays",
        "adminPrincipalArns",
        "stacks",
        "projects",
        "sharedKeyDecryptsSecrets",
        "placeholderImage",
    }


def test_the_bucket_is_named_after_account_and_region_protected_and_retained(
    recording: Recording,
) -> None:
    bucket = recording.one(BUCKET, "state")
    assert bucket.inputs["bucket"] == f"slipway-pulumi-state-{ACCOUNT_ID}-eu-west-1"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.protect
    assert bucket.retain_on_delete


def test_the_bucket_is_versioned_private_and_owner_enforced(recording: Recording) -> None:
    versioning = recording.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    block = recording.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag
    ownership = recording.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    bucket = recording.one(BUCKET, "state")
    for part in (versioning, block, ownership):
        assert part.inputs["bucket"] == bucket.inputs["bucket"]


def test_the_bucket_is_encrypted_with_the_rotating_key(recording: Recording) -> None:
    key = recording.one("aws:kms/key:Key", "state-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["multiRegion"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.protect
    assert key.retain_on_delete
    (rule,) = recording.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert default["kmsMasterKeyId"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert rule["bucketKeyEnabled"] is True


def test_the_key_policy_delegates_to_iam_but_only_administrators_change_it(
    recording: Recording,
) -> None:
    policy = recording.one("aws:kms/key:Key", "state-key").json_input("policy")
    delegate, changes = policy["Statement"]
    assert delegate["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert delegate["Effect"] == "Allow"
    assert changes["Effect"] == "Deny"
    assert "kms:PutKeyPolicy" in changes["Action"]
    assert "kms:ScheduleKeyDeletion" in changes["Action"]
    # By default the administrator is the role behind the session that runs the program.
    assert changes["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [DEPLOYER]}}
    alias = recording.one("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/slipway-pulumi-secrets"


def test_the_bucket_refuses_requests_without_tls(recording: Recording) -> None:
    policy = json.loads(recording.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    statement = policy["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = f"arn:aws:s3:::slipway-pulumi-state-{ACCOUNT_ID}-eu-west-1"
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_the_bucket_policy_is_one_generic_set_of_statements(recording: Recording) -> None:
    """No statement names a stack: the stacks' paths come from the principal's tags."""
    policy = json.loads(recording.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    sids = [s["Sid"] for s in policy["Statement"]]
    assert sids == [
        "DenyInsecureTransport",
        "OnlyAdministratorsChangeTheBucket",
        "StacksReachOnlyTheirOwnState",
        "StacksOnlyReadTheStoreMeta",
        "UntaggedPrincipalsOnlyAdministrators",
        "PrincipalsWithoutAnAppOnlyAdministrators",
    ]
    own = policy["Statement"][2]["NotResource"]
    bucket_arn = f"arn:aws:s3:::slipway-pulumi-state-{ACCOUNT_ID}-eu-west-1"
    root = f"{bucket_arn}/${{aws:PrincipalTag/slipway:app}}/.pulumi"
    env = "${aws:PrincipalTag/slipway:environment}"
    assert own == [
        f"{root}/meta.yaml",
        f"{root}/stacks/slipway/{env}.*",
        f"{root}/history/slipway/{env}/*",
        f"{root}/backups/slipway/{env}/*",
        f"{root}/locks/organization/slipway/{env}/*",
    ]


def test_each_listed_stack_gets_its_own_key() -> None:
    recording = run_bootstrap(
        {
            "slipway-bootstrap:stacks": '["storefront/dev", "storefront/prod"]',
            "slipway-bootstrap:adminPrincipalArns": '["arn:aws:iam::111122223333:role/ops"]',
        }
    )
    keys = {k.name: k for k in recording.of_type("aws:kms/key:Key")}
    assert set(keys) == {"state-key", "secrets-key-storefront-dev", "secrets-key-storefront-prod"}
    prod = keys["secrets-key-storefront-prod"]
    assert prod.protect
    assert prod.retain_on_delete
    assert prod.inputs["tags"]["slipway:environment"] == "prod"
    denies = {s["Sid"]: s for s in prod.json_input("policy")["Statement"] if s["Effect"] == "Deny"}
    assert denies["OnlyThisEnvironmentUsesTheKey"]["Condition"]["StringNotEquals"] == {
        "aws:PrincipalTag/slipway:environment": "prod"
    }
    assert denies["OnlyThisApplicationUsesTheKey"]["Condition"]["StringNotEquals"] == {
        "aws:PrincipalTag/slipway:app": "storefront"
    }
    aliases = {a.inputs["name"] for a in recording.of_type("aws:kms/alias:Alias")}
    assert "alias/slipway/storefront/prod" in aliases
    assert recording.outputs["stackSecretsProviders"] == {
        "storefront/dev": "awskms://alias/slipway/storefront/dev?region=eu-west-1",
        "storefront/prod": "awskms://alias/slipway/storefront/prod?region=eu-west-1",
    }
    bucket = f"slipway-pulumi-state-{ACCOUNT_ID}-eu-west-1"
    assert recording.outputs["stackLoginUrls"] == {
        "storefront": f"s3://{bucket}/storefront?region=eu-west-1&awssdk=v2"
    }
    assert recording.outputs["adminPrincipalArns"] == ["arn:aws:iam::111122223333:role/ops"]


def test_after_the_migration_the_shared_key_works_through_s3_only() -> None:
    recording = run_bootstrap({"slipway-bootstrap:sharedKeyDecryptsSecrets": "false"})
    policy = recording.one("aws:kms/key:Key", "state-key").json_input("policy")
    (via,) = [s for s in policy["Statement"] if s["Sid"] == "OthersUseTheKeyThroughS3Only"]
    assert via["Condition"]["StringNotEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}


def test_the_s3_service_name_comes_from_the_partition() -> None:
    recording = run_bootstrap(
        {"aws:region": "cn-north-1", "slipway-bootstrap:sharedKeyDecryptsSecrets": "false"}
    )
    policy = recording.one("aws:kms/key:Key", "state-key").json_input("policy")
    (via,) = [s for s in policy["Statement"] if s["Sid"] == "OthersUseTheKeyThroughS3Only"]
    assert via["Condition"]["StringNotEquals"] == {
        "kms:ViaService": "s3.cn-north-1.amazonaws.com.cn"
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("stacks", '["Storefront/dev"]'),
        ("stacks", '["storefront/dev", "storefront/dev"]'),
        ("adminPrincipalArns", '["ops"]'),
        ("projects", "[]"),
    ],
)
def test_bad_isolation_settings_stop_before_anything_is_created(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key) as error:
        run_bootstrap({f"slipway-bootstrap:{key}": value})
    assert error.value.recording.resources == []  # type: ignore[attr-defined]


def test_old_state_versions_expire(recording: Recording) -> None:
    (rule,) = recording.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 90
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    assert "expiration" not in rule  # current state files never expire


def test_the_outputs_are_the_login_and_secrets_provider_strings(recording: Recording) -> None:
    bucket = f"slipway-pulumi-state-{ACCOUNT_ID}-eu-west-1"
    assert recording.outputs["loginUrl"] == f"s3://{bucket}?region=eu-west-1&awssdk=v2"
    assert recording.outputs["secretsProvider"] == (
        "awskms://alias/slipway-pulumi-secrets?region=eu-west-1"
    )
    assert recording.outputs["stateBucketName"] == bucket


def test_settings_override_the_name_and_retention() -> None:
    recording = run_bootstrap(
        {
            "slipway-bootstrap:stateBucketName": "acme-pulumi-state",
            "slipway-bootstrap:noncurrentVersionDays": "30",
        }
    )
    assert recording.one(BUCKET).inputs["bucket"] == "acme-pulumi-state"
    (rule,) = recording.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs["rules"]
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30


def test_a_bad_bucket_name_stops_before_anything_is_created() -> None:
    with pytest.raises(ValueError, match="stateBucketName") as error:
        run_bootstrap({"slipway-bootstrap:stateBucketName": "Bad_Name"})
    assert error.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_readme_shows_the_commands_the_outputs_feed() -> None:
    text = Path(BOOTSTRAP / "README.md").read_text()
    for needle in ('pulumi login "file://', "pulumi stack output loginUrl", "--secrets-provider"):
        assert needle in text, needle


def test_the_readme_names_the_outputs_the_program_exports(recording: Recording) -> None:
    """bootstrap/README.md lists the program's outputs, and the three it tells you to give every
    stack (``slipway:stateBucketArn``, ``slipway:stateKeyArn``, ``slipway:stateBucketKeyArn``,
    so the CI roles can use the state) are among them, the keys as key ARNs."""
    text = " ".join((BOOTSTRAP / "README.md").read_text().split())
    listed = re.search(r"Outputs: (.*?)\. ", text)
    assert listed
    assert set(re.findall(r"`(\w+)`", listed[1])) == set(recording.outputs)
    handed = {
        setting: output
        for output, setting in re.findall(
            r"`(\w+)`(?: \w+)* as `slipway:(state\w+Arn)`", text.split("Give every stack")[1]
        )
    }
    assert set(handed) == {"stateBucketArn", "stateKeyArn", "stateBucketKeyArn"}
    assert set(handed.values()) <= set(recording.outputs)
    assert ":s3:::" in str(recording.outputs[handed["stateBucketArn"]])
    assert ":key/" in str(recording.outputs[handed["stateBucketKeyArn"]])
    for arn in dict(recording.outputs[handed["stateKeyArn"]]).values():
        assert ":key/" in str(arn)
