"""ContainerRegistry: what it registers, and that AWS would accept it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import botocore.validate
import pulumi
import pulumi_aws as aws
import pytest
from moto import mock_aws
from moto.ecr.policy_validation import EcrLifecyclePolicyValidator

from slipway import ConfigError, ContainerRegistry, ContainerRegistryArgs
from slipway.registry import PULL_ACTIONS, PUSH_ACTIONS, lifecycle_policy_document
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
REPOSITORY = "aws:ecr/repository:Repository"
KEY = "aws:kms/key:Key"


def registry(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = ContainerRegistryArgs(**{"repository_name": "shop/dev", **overrides})
        component = ContainerRegistry("reg", args)
        role = aws.iam.Role(
            "ci",
            assume_role_policy=json.dumps(
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
            ),
        )
        component.grant_push(role)
        component.grant_pull(role)
        return {
            "url": component.repository_url,
            "arn": component.repository_arn,
            "registry": component.registry_id,
            "key": component.kms_key_arn,
        }

    return run_component_program(run, program)


def run_component_program(run: Runner, program: Callable[[], dict[str, Any]]) -> Recording:
    return run(program)


def test_repository_defaults_are_the_secure_ones(run_component: Runner) -> None:
    recording = registry(run_component)
    repo = recording.one(REPOSITORY)
    assert repo.inputs["name"] == "shop/dev"
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["forceDelete"] is False
    key = recording.one(KEY)
    (encryption,) = repo.inputs["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    assert encryption["kmsKey"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert repo.dependencies
    assert any(dep.endswith("::reg-key-key") for dep in repo.dependencies)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert recording.one("aws:kms/alias:Alias").inputs["name"] == "alias/ecr/shop/dev"


def test_key_policy_lets_the_account_administer_through_iam(run_component: Runner) -> None:
    policy = registry(run_component).one(KEY).json_input("policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert statement["Effect"] == "Allow"


def test_lifecycle_policy_follows_the_arguments_and_ecr_accepts_it(run_component: Runner) -> None:
    recording = registry(
        run_component,
        untagged_expiry_days=3,
        keep_release_images=12,
        release_tag_patterns=("v*", "*.*.*"),
    )
    text = recording.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"]
    EcrLifecyclePolicyValidator(text).validate()
    untagged, releases = json.loads(text)["rules"]
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 3,
    }
    assert releases["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["v*", "*.*.*"],
        "countType": "imageCountMoreThan",
        "countNumber": 12,
    }
    assert [r["rulePriority"] for r in (untagged, releases)] == [1, 2]


@pytest.mark.parametrize(("days", "keep"), [(1, 1), (365, 1000), (7, 30)])
def test_lifecycle_policy_is_accepted_by_moto_ecr(days: int, keep: int) -> None:
    text = json.dumps(lifecycle_policy_document(days, keep, ["*.*.*"]))
    EcrLifecyclePolicyValidator(text).validate()
    with mock_aws():
        ecr = boto3.client("ecr", region_name="eu-west-1")
        ecr.create_repository(repositoryName="shop/dev")
        ecr.put_lifecycle_policy(repositoryName="shop/dev", lifecyclePolicyText=text)
        stored = ecr.get_lifecycle_policy(repositoryName="shop/dev")["lifecyclePolicyText"]
        assert json.loads(stored) == json.loads(text)


@pytest.mark.parametrize("days", [1, 3, 365])
def test_an_expiry_by_age_for_tagged_images_is_accepted_by_moto_ecr(days: int) -> None:
    """``tagged_expiry_days`` (the preview repository): rule 2 expires ``pr-*`` images by age
    instead of keeping a count; the untagged rule is unchanged."""
    document = lifecycle_policy_document(1, 30, ["pr-*"], days)
    untagged, tagged = document["rules"]
    assert untagged == lifecycle_policy_document(1, 30, ["pr-*"])["rules"][0]
    assert tagged["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["pr-*"],
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": days,
    }
    text = json.dumps(document)
    EcrLifecyclePolicyValidator(text).validate()
    with mock_aws():
        ecr = boto3.client("ecr", region_name="eu-west-1")
        ecr.create_repository(repositoryName="shop-previews")
        ecr.put_lifecycle_policy(repositoryName="shop-previews", lifecyclePolicyText=text)
        stored = ecr.get_lifecycle_policy(repositoryName="shop-previews")["lifecyclePolicyText"]
        assert json.loads(stored) == document


def test_repository_policy_denies_other_accounts(run_component: Runner) -> None:
    policy = registry(run_component).one("aws:ecr/repositoryPolicy:RepositoryPolicy")
    (deny,) = policy.json_input("policy")["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": [ACCOUNT_ID]}
    assert deny["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}


def test_cross_account_pull_is_read_only(run_component: Runner) -> None:
    recording = registry(run_component, pull_account_ids=("444455556666",))
    deny, pull = recording.one("aws:ecr/repositoryPolicy:RepositoryPolicy").json_input("policy")[
        "Statement"
    ]
    assert deny["Condition"]["StringNotEquals"]["aws:PrincipalAccount"] == [
        ACCOUNT_ID,
        "444455556666",
    ]
    assert pull["Principal"] == {"AWS": ["arn:aws:iam::444455556666:root"]}
    assert sorted(pull["Action"]) == sorted(PULL_ACTIONS)
    assert not any("Put" in a or "Upload" in a for a in pull["Action"])


def test_cross_account_principals_are_in_the_stacks_partition(run_component: Runner) -> None:
    def program() -> dict[str, Any]:
        ContainerRegistry(
            "reg",
            ContainerRegistryArgs(repository_name="shop/dev", pull_account_ids=("444455556666",)),
        )
        return {}

    recording = run_component(program, region="cn-north-1")
    _, pull = recording.one("aws:ecr/repositoryPolicy:RepositoryPolicy").json_input("policy")[
        "Statement"
    ]
    assert pull["Principal"] == {"AWS": ["arn:aws-cn:iam::444455556666:root"]}


def test_repository_policy_is_accepted_by_moto_ecr(run_component: Runner) -> None:
    text = (
        registry(run_component, pull_account_ids=("444455556666",))
        .one("aws:ecr/repositoryPolicy:RepositoryPolicy")
        .inputs["policy"]
    )
    with mock_aws():
        ecr = boto3.client("ecr", region_name="eu-west-1")
        ecr.create_repository(repositoryName="shop/dev")
        ecr.set_repository_policy(repositoryName="shop/dev", policyText=text)
        assert json.loads(ecr.get_repository_policy(repositoryName="shop/dev")["policyText"])


def test_create_repository_request_matches_the_ecr_api_model(run_component: Runner) -> None:
    repo = registry(run_component).one(REPOSITORY).inputs
    (encryption,) = repo["encryptionConfigurations"]
    params = {
        "repositoryName": repo["name"],
        "imageTagMutability": repo["imageTagMutability"],
        "imageScanningConfiguration": repo["imageScanningConfiguration"],
        "encryptionConfiguration": {
            "encryptionType": encryption["encryptionType"],
            "kmsKey": encryption["kmsKey"],
        },
        "tags": [{"Key": k, "Value": v} for k, v in repo["tags"].items()],
    }
    model = service_model("ecr")
    botocore.validate.validate_parameters(
        params, model.operation_model("CreateRepository").input_shape
    )


def test_grants_are_least_privilege_and_valid(run_component: Runner) -> None:
    recording = registry(run_component)
    policies = {p.name: p for p in recording.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert set(policies) == {"reg-push-ci", "reg-pull-ci"}
    repo_arn = f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/shop/dev"
    for name, expected in (("reg-pull-ci", PULL_ACTIONS), ("reg-push-ci", PUSH_ACTIONS)):
        document = policies[name].json_input("policy")
        assert_valid_permission_policy(document)
        login, scoped = document["Statement"]
        assert login["Action"] == ["ecr:GetAuthorizationToken"]
        assert login["Resource"] == "*"
        assert sorted(scoped["Action"]) == sorted(expected)
        assert scoped["Resource"] == [repo_arn]
        assert policies[name].parent_name == "reg"
    assert (
        "ecr:PutImage" not in policies["reg-pull-ci"].json_input("policy")["Statement"][1]["Action"]
    )


def test_protect_covers_repository_and_key_only(run_component: Runner) -> None:
    protected = registry(run_component, protect=True)
    for resource in protected.resources:
        stateful = resource.type in (REPOSITORY, KEY)
        assert resource.protect is stateful, resource.name
        assert resource.retain_on_delete is stateful, resource.name
    unprotected = registry(run_component, protect=False)
    assert not any(r.protect or r.retain_on_delete for r in unprotected.resources)


def test_an_existing_key_is_used_instead_of_a_new_one(run_component: Runner) -> None:
    arn = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
    recording = registry(run_component, kms_key_arn=arn)
    assert recording.of_type(KEY) == []
    assert recording.one(REPOSITORY).inputs["encryptionConfigurations"][0]["kmsKey"] == arn


def test_every_child_is_parented_to_the_component(run_component: Runner) -> None:
    recording = registry(run_component)
    component_types = {"slipway:index:ContainerRegistry", "slipway:index:EncryptionKey"}
    for resource in recording.resources:
        if resource.name == "ci":
            continue
        if resource.type == "slipway:index:ContainerRegistry":
            assert resource.parent_type == "pulumi:pulumi:Stack"
        else:
            assert resource.parent_type in component_types, resource.name
            assert resource.name.startswith("reg-"), resource.name


def test_outputs_are_documented_shapes(run_component: Runner) -> None:
    outputs = registry(run_component).outputs
    assert outputs["url"] == f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/shop/dev"
    assert outputs["arn"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/shop/dev"
    assert outputs["registry"] == ACCOUNT_ID
    assert outputs["key"].startswith("arn:aws:kms:")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repository_name": "Shop"}, "ContainerRegistryArgs.repository_name: got 'Shop'"),
        ({"repository_name": "shop//dev"}, "ContainerRegistryArgs.repository_name"),
        (
            {"untagged_expiry_days": 0},
            "ContainerRegistryArgs.untagged_expiry_days: got 0; 1 to 365",
        ),
        ({"keep_release_images": 1001}, "ContainerRegistryArgs.keep_release_images: got 1001"),
        ({"release_tag_patterns": ()}, "ContainerRegistryArgs.release_tag_patterns: got []"),
        ({"release_tag_patterns": ("*",)}, "lone '*' would match every tagged image"),
        ({"release_tag_patterns": ("a*b*c*d*e*f",)}, "at most 4 '*' wildcards"),
        ({"pull_account_ids": ("1234",)}, "ContainerRegistryArgs.pull_account_ids: got ['1234']"),
        (
            {"key_deletion_window_days": 45},
            "ContainerRegistryArgs.key_deletion_window_days: got 45",
        ),
        ({"tagged_expiry_days": 0}, "ContainerRegistryArgs.tagged_expiry_days: got 0; 1 to 365"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        registry(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_outputs_resolve_to_strings_not_outputs(run_component: Runner) -> None:
    outputs = registry(run_component).outputs
    assert all(isinstance(v, str) for v in outputs.values())
    assert not any(isinstance(v, pulumi.Output) for v in outputs.values())
