"""ImageChannel: the decisions (pure) and the parameters it registers (under mocks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from slipway.errors import ConfigError
from slipway.image_channel import (
    IMAGE_PLACEHOLDER,
    DeployedRecord,
    ImageChannel,
    ImageChannelArgs,
    RegisteredRecord,
    is_image_reference,
    parse_deployed,
    parse_registered,
    read_channel,
    service_task_definition,
    shape_of,
    task_image,
)
from tests.iam_checks import assert_valid_permission_policy
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
PARAMETER = "aws:ssm/parameter:Parameter"
PREFIX = "/slipway/shop/prod/image-channel"
REPO = f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/shop/prod"
BOOTSTRAP = f"{REPO}:bootstrap"
CI_IMAGE = f"{REPO}@sha256:" + "a" * 64
OLD_IMAGE = f"{REPO}@sha256:" + "b" * 64
SHAPE = "1" * 64
OTHER_SHAPE = "2" * 64
FAMILY_ARN = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:task-definition/shop-prod"
PULUMI_TD = f"{FAMILY_ARN}:3"
CI_TD = f"{FAMILY_ARN}:7"


# --------------------------------------------------------------------------------------------
# Pure decisions
# --------------------------------------------------------------------------------------------


def test_first_run_uses_the_bootstrap_image_and_pulumis_revision() -> None:
    assert task_image(SHAPE, None, None, BOOTSTRAP) == BOOTSTRAP
    assert service_task_definition(SHAPE, None, PULUMI_TD) == PULUMI_TD


def test_initial_deployed_record_is_not_a_deploy() -> None:
    initial = parse_deployed(json.dumps({"image": BOOTSTRAP, "taskDefinitionArn": "", "shape": ""}))
    assert task_image(SHAPE, initial, None, BOOTSTRAP) == BOOTSTRAP
    assert service_task_definition(SHAPE, initial, PULUMI_TD) == PULUMI_TD
    assert service_task_definition("", initial, PULUMI_TD) == PULUMI_TD


def test_unchanged_shape_keeps_pulumis_image_and_cis_revision() -> None:
    deployed = DeployedRecord(CI_IMAGE, CI_TD, SHAPE)
    registered = RegisteredRecord(SHAPE, OLD_IMAGE)
    # Pulumi's task definition keeps the image it registered: no new revision.
    assert task_image(SHAPE, deployed, registered, BOOTSTRAP) == OLD_IMAGE
    # The service stays on CI's revision: no new deployment, no rollback.
    assert service_task_definition(SHAPE, deployed, PULUMI_TD) == CI_TD


def test_shape_change_registers_cis_image_and_deploys_pulumis_revision() -> None:
    deployed = DeployedRecord(CI_IMAGE, CI_TD, SHAPE)
    registered = RegisteredRecord(SHAPE, OLD_IMAGE)
    assert task_image(OTHER_SHAPE, deployed, registered, BOOTSTRAP) == CI_IMAGE
    assert service_task_definition(OTHER_SHAPE, deployed, PULUMI_TD) == PULUMI_TD


def test_after_a_shape_change_before_ci_deploys_again_nothing_moves() -> None:
    # Pulumi registered OTHER_SHAPE with CI's image; CI has not deployed since.
    deployed = DeployedRecord(CI_IMAGE, CI_TD, SHAPE)
    registered = RegisteredRecord(OTHER_SHAPE, CI_IMAGE)
    assert task_image(OTHER_SHAPE, deployed, registered, BOOTSTRAP) == CI_IMAGE
    assert service_task_definition(OTHER_SHAPE, deployed, PULUMI_TD) == PULUMI_TD


def test_registered_record_missing_falls_back_to_the_deployed_image() -> None:
    deployed = DeployedRecord(CI_IMAGE, CI_TD, SHAPE)
    assert task_image(SHAPE, deployed, None, BOOTSTRAP) == CI_IMAGE


def test_a_revision_of_another_family_is_never_adopted() -> None:
    other = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:task-definition/other-app:9"
    deployed = DeployedRecord(CI_IMAGE, other, SHAPE)
    assert service_task_definition(SHAPE, deployed, PULUMI_TD) == PULUMI_TD


def test_shape_ignores_only_the_application_image() -> None:
    base: dict[str, Any] = {
        "family": "shop",
        "cpu": "256",
        "containerDefinitions": [
            {"name": "app", "image": "a:1", "user": "1000"},
            {"name": "sidecar", "image": "s:1"},
        ],
    }
    same = json.loads(json.dumps(base))
    same["containerDefinitions"][0]["image"] = "a:2"
    same["tags"] = {"anything": "x"}
    assert shape_of(base, "app") == shape_of(same, "app")
    changes: tuple[Callable[[dict[str, Any]], None], ...] = (
        lambda d: d.update(cpu="512"),
        lambda d: d["containerDefinitions"][0].update(user="1001"),
        lambda d: d["containerDefinitions"][1].update(image="s:2"),
    )
    for change in changes:
        changed = json.loads(json.dumps(base))
        change(changed)
        assert shape_of(changed, "app") != shape_of(base, "app")
    assert base["containerDefinitions"][0]["image"] == "a:1"  # not mutated
    assert IMAGE_PLACEHOLDER not in json.dumps(base)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"image": CI_IMAGE}),
        json.dumps({"image": "shop/UPPER:1", "taskDefinitionArn": CI_TD, "shape": SHAPE}),
        json.dumps({"image": CI_IMAGE, "taskDefinitionArn": "arn:aws:ecs:x", "shape": SHAPE}),
        json.dumps({"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": "abc"}),
        json.dumps({"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": 5}),
    ],
)
def test_malformed_deployed_records_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies per defect
        parse_deployed(text)


def test_records_parse_what_ci_and_pulumi_write() -> None:
    deployed = parse_deployed(
        json.dumps({"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": SHAPE})
    )
    assert deployed == DeployedRecord(CI_IMAGE, CI_TD, SHAPE)
    registered = parse_registered(json.dumps({"shape": SHAPE, "image": OLD_IMAGE}))
    assert registered == RegisteredRecord(SHAPE, OLD_IMAGE)
    with pytest.raises(ValueError, match="shape"):
        parse_registered(json.dumps({"shape": "", "image": OLD_IMAGE}))


def test_read_channel_names_the_malformed_parameter() -> None:
    state = read_channel(
        PREFIX,
        [f"{PREFIX}/deployed", f"{PREFIX}/registered"],
        ["{oops", json.dumps({"shape": SHAPE, "image": OLD_IMAGE})],
    )
    assert state.deployed is None
    assert state.registered == RegisteredRecord(SHAPE, OLD_IMAGE)
    (problem,) = state.problems
    assert f"{PREFIX}/deployed is malformed" in problem


@pytest.mark.parametrize(
    ("reference", "ok"),
    [
        (BOOTSTRAP, True),
        (CI_IMAGE, True),
        ("public.ecr.aws/docker/library/node:22-alpine", True),
        ("ghcr.io/acme-corp/storefront@sha256:" + "c" * 64, True),
        ("localhost:5000/app:1", True),
        (REPO, False),  # no tag: an implicit latest
        ("Shop/App:1", False),
        ("app:", False),
        ("app@sha256:short", False),
    ],
)
def test_image_references(reference: str, ok: bool) -> None:
    assert is_image_reference(reference) is ok


# --------------------------------------------------------------------------------------------
# The component
# --------------------------------------------------------------------------------------------


def channel(
    run: Runner,
    ssm_parameters: dict[str, str] | None = None,
    grant: bool = False,
    **overrides: Any,
) -> Recording:
    def program() -> dict[str, Any]:
        args = ImageChannelArgs(
            **{
                "parameter_prefix": PREFIX,
                "bootstrap_image": BOOTSTRAP,
                "shape": SHAPE,
                **overrides,
            }
        )
        component = ImageChannel("chan", args)
        if grant:
            role = aws.iam.Role("deployer", assume_role_policy="{}")
            component.grant_write(role)
        return {
            "prefix": component.parameter_prefix,
            "deployed": component.deployed_parameter_name,
            "deployed_arn": component.deployed_parameter_arn,
            "registered": component.registered_parameter_name,
            "arns": component.parameter_arns,
            "image": component.image,
            "service_td": component.service_task_definition(PULUMI_TD),
        }

    return run(program, ssm_parameters=ssm_parameters)


def test_first_run_creates_both_records(run_component: Runner) -> None:
    recording = channel(run_component)
    deployed = recording.one(PARAMETER, "chan-deployed")
    assert deployed.inputs["name"] == f"{PREFIX}/deployed"
    assert deployed.inputs["type"] == "String"
    assert json.loads(deployed.inputs["value"]) == {
        "image": BOOTSTRAP,
        "taskDefinitionArn": "",
        "shape": "",
    }
    assert deployed.ignore_changes == ("value",)
    registered = recording.one(PARAMETER, "chan-registered")
    assert registered.inputs["name"] == f"{PREFIX}/registered"
    assert json.loads(registered.inputs["value"]) == {"shape": SHAPE, "image": BOOTSTRAP}
    assert registered.ignore_changes == ()
    assert recording.outputs["image"] == BOOTSTRAP
    assert recording.outputs["service_td"] == PULUMI_TD
    assert recording.outputs["deployed"] == f"{PREFIX}/deployed"
    assert recording.outputs["deployed_arn"] == (
        f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter{PREFIX}/deployed"
    )
    assert recording.outputs["prefix"] == PREFIX
    assert recording.outputs["arns"] == [
        f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter{PREFIX}/deployed",
        f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter{PREFIX}/registered",
    ]
    assert recording.warnings == []


def test_live_records_drive_the_image_and_the_service(run_component: Runner) -> None:
    live = {
        f"{PREFIX}/deployed": json.dumps(
            {"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": SHAPE}
        ),
        f"{PREFIX}/registered": json.dumps({"shape": SHAPE, "image": OLD_IMAGE}),
        "/slipway/shop/prod/other": "ignored",
    }
    recording = channel(run_component, ssm_parameters=live)
    assert recording.outputs["image"] == OLD_IMAGE
    assert recording.outputs["service_td"] == CI_TD
    registered = recording.one(PARAMETER, "chan-registered")
    assert json.loads(registered.inputs["value"]) == {"shape": SHAPE, "image": OLD_IMAGE}
    # CI's record is never rewritten by Pulumi: its value is ignored after creation.
    assert recording.one(PARAMETER, "chan-deployed").ignore_changes == ("value",)


def test_malformed_registered_record_warns_and_falls_back(run_component: Runner) -> None:
    live = {
        f"{PREFIX}/deployed": json.dumps(
            {"image": CI_IMAGE, "taskDefinitionArn": CI_TD, "shape": SHAPE}
        ),
        f"{PREFIX}/registered": "{not json",
    }
    recording = channel(run_component, ssm_parameters=live)
    assert recording.outputs["image"] == CI_IMAGE
    (warning,) = recording.warnings
    assert f"{PREFIX}/registered is malformed" in warning


def test_protect_covers_the_deployed_record_only(run_component: Runner) -> None:
    recording = channel(run_component, protect=True)
    deployed = recording.one(PARAMETER, "chan-deployed")
    registered = recording.one(PARAMETER, "chan-registered")
    assert (deployed.protect, deployed.retain_on_delete) == (True, True)
    assert (registered.protect, registered.retain_on_delete) == (False, False)


def test_grant_write_reaches_the_deployed_record_only(run_component: Runner) -> None:
    recording = channel(run_component, grant=True)
    policy = recording.one("aws:iam/rolePolicy:RolePolicy", "chan-write-deployer")
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    (statement,) = document["Statement"]
    assert statement["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert statement["Resource"] == [
        f"arn:aws:ssm:eu-west-1:{ACCOUNT_ID}:parameter{PREFIX}/deployed"
    ]


def test_children_are_parented_and_tagged(run_component: Runner) -> None:
    recording = channel(run_component, tags={"team": "shop"})
    for parameter in recording.of_type(PARAMETER):
        assert parameter.parent_type == "slipway:index:ImageChannel"
        assert parameter.inputs["tags"] == {"team": "shop"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"parameter_prefix": "no-slash"}, "ImageChannelArgs.parameter_prefix: got 'no-slash'"),
        ({"parameter_prefix": "/aws/x"}, "not under /aws or /ssm"),
        ({"parameter_prefix": "/a/"}, "ImageChannelArgs.parameter_prefix"),
        ({"bootstrap_image": "nginx"}, "ImageChannelArgs.bootstrap_image: got 'nginx'"),
        ({"shape": "xyz"}, "ImageChannelArgs.shape: got 'xyz'"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        channel(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_registered_record_may_carry_the_target_groups_port() -> None:
    text = json.dumps({"shape": SHAPE, "image": OLD_IMAGE, "containerPort": 8080})
    assert parse_registered(text) == RegisteredRecord(SHAPE, OLD_IMAGE, 8080)
    assert parse_registered(json.dumps({"shape": SHAPE, "image": OLD_IMAGE})).container_port is None
    for bad in ("8080", True, 80.5):
        with pytest.raises(ValueError, match=r"containerPort .* is not a whole number"):
            parse_registered(json.dumps({"shape": SHAPE, "image": OLD_IMAGE, "containerPort": bad}))
