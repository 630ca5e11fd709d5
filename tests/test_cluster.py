"""EcsCluster: what it registers, and that ECS would accept it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.validate
import pulumi
import pulumi_aws as aws
import pytest

from slipway.cluster import (
    EXEC_CHANNEL_ACTIONS,
    EXEC_LOG_ACTIONS,
    ContainerInsights,
    EcsCluster,
    EcsClusterArgs,
)
from slipway.errors import ConfigError
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
CLUSTER = "aws:ecs/cluster:Cluster"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
SERVICE = "aws:ecs/service:Service"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"


def cluster(run: Runner, *, with_service: bool = False, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = EcsClusterArgs(**{"cluster_name": "storefront-dev", **overrides})
        component = EcsCluster("c", args)
        if with_service:
            aws.ecs.Service(
                "web",
                cluster=component.cluster_arn,
                desired_count=2,
                capacity_provider_strategies=component.default_capacity_provider_strategy,
            )
        return {
            "arn": component.cluster_arn,
            "name": component.cluster_name,
            "exec_log_group": component.exec_log_group_name,
            "exec_key": component.exec_kms_key_arn,
            "strategy": component.default_capacity_provider_strategy,
        }

    return run(program)


def as_sent(value: Any) -> Any:
    """Pulumi's wire format (protobuf Struct) carries every number as a double; AWS gets ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_sent(v) for v in value]
    return value


def validate(operation: str, params: dict[str, Any]) -> None:
    botocore.validate.validate_parameters(
        as_sent(params), service_model("ecs").operation_model(operation).input_shape
    )


def test_defaults_enhanced_insights_on_demand_fargate_and_no_exec(run_component: Runner) -> None:
    recording = cluster(run_component)
    resource = recording.one(CLUSTER)
    assert resource.inputs["name"] == "storefront-dev"
    assert resource.inputs["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert "configuration" not in resource.inputs
    assert recording.of_type(LOG_GROUP) == []
    assert recording.of_type(KEY) == []
    capacity = recording.one(CAPACITY).inputs
    assert capacity["clusterName"] == "storefront-dev"
    assert capacity["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert capacity["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "base": 0, "weight": 1}
    ]
    assert recording.outputs["exec_log_group"] is None
    assert recording.outputs["exec_key"] is None


@pytest.mark.parametrize(
    ("level", "value"),
    [
        (ContainerInsights.ENHANCED, "enhanced"),
        (ContainerInsights.ENABLED, "enabled"),
        (ContainerInsights.DISABLED, "disabled"),
        ("enabled", "enabled"),
    ],
)
def test_container_insights_level_follows_the_argument(
    run_component: Runner, level: Any, value: str
) -> None:
    settings = cluster(run_component, container_insights=level).one(CLUSTER).inputs["settings"]
    assert settings == [{"name": "containerInsights", "value": value}]


@pytest.mark.parametrize(
    ("base", "on_demand", "spot", "expected"),
    [
        # dev: everything on Spot.
        (0, 0, 1, [{"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1}]),
        # staging: half and half.
        (
            0,
            1,
            1,
            [
                {"capacityProvider": "FARGATE", "base": 0, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
            ],
        ),
        # prod: an on-demand base, on-demand above it.
        (2, 1, 0, [{"capacityProvider": "FARGATE", "base": 2, "weight": 1}]),
        # prod with Spot for bursts above the base.
        (
            2,
            0,
            1,
            [
                {"capacityProvider": "FARGATE", "base": 2, "weight": 0},
                {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
            ],
        ),
    ],
)
def test_default_strategy_follows_the_arguments(
    run_component: Runner, base: int, on_demand: int, spot: int, expected: list[dict[str, Any]]
) -> None:
    recording = cluster(
        run_component, on_demand_base=base, on_demand_weight=on_demand, spot_weight=spot
    )
    capacity = recording.one(CAPACITY).inputs
    assert capacity["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert capacity["defaultCapacityProviderStrategies"] == expected
    snake = [
        {"capacity_provider": i["capacityProvider"], "base": i["base"], "weight": i["weight"]}
        for i in expected
    ]
    assert recording.outputs["strategy"] == snake
    validate(
        "PutClusterCapacityProviders",
        {
            "cluster": capacity["clusterName"],
            "capacityProviders": capacity["capacityProviders"],
            "defaultCapacityProviderStrategy": capacity["defaultCapacityProviderStrategies"],
        },
    )


def test_strategy_is_plain_data_a_service_can_use(run_component: Runner) -> None:
    recording = cluster(
        run_component, with_service=True, on_demand_base=1, on_demand_weight=1, spot_weight=3
    )
    strategy = recording.outputs["strategy"]
    assert json.loads(json.dumps(strategy)) == strategy  # nothing but plain data
    service = recording.one(SERVICE)
    sent = service.inputs["capacityProviderStrategies"]
    assert sent == [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 3},
    ]
    validate(
        "CreateService",
        {
            "serviceName": "web",
            "cluster": service.inputs["cluster"],
            "capacityProviderStrategy": sent,
        },
    )


def test_services_on_the_cluster_wait_for_the_capacity_providers(run_component: Runner) -> None:
    recording = cluster(run_component, with_service=True)
    capacity = recording.one(CAPACITY)
    service = recording.one(SERVICE)
    assert capacity.urn in service.dependencies
    assert recording.one(CLUSTER).urn in service.dependencies
    assert service.inputs["cluster"] == f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:cluster/storefront-dev"


def test_exec_on_logs_every_session_to_an_encrypted_retained_log_group(
    run_component: Runner,
) -> None:
    recording = cluster(run_component, execute_command=True, exec_log_retention_days=90)
    group = recording.one(LOG_GROUP)
    assert group.name == "c-exec-logs"
    assert group.inputs["name"] == "/ecs/storefront-dev/exec"
    assert group.inputs["retentionInDays"] == 90
    key = recording.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    key_arn = group.inputs["kmsKeyId"]
    assert key_arn.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
    assert key.urn in group.dependencies

    config = recording.one(CLUSTER).inputs["configuration"]["executeCommandConfiguration"]
    assert config == {
        "kmsKeyId": key_arn,
        "logging": "OVERRIDE",
        "logConfiguration": {
            "cloudWatchLogGroupName": "/ecs/storefront-dev/exec",
            "cloudWatchEncryptionEnabled": True,
        },
    }
    assert group.urn in recording.one(CLUSTER).dependencies
    assert recording.outputs["exec_log_group"] == "/ecs/storefront-dev/exec"
    assert recording.outputs["exec_key"] == key_arn


def test_exec_key_lets_cloudwatch_logs_in_for_this_log_group_only(run_component: Runner) -> None:
    recording = cluster(run_component, execute_command=True)
    root, logs = recording.one(KEY).json_input("policy")["Statement"]
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/ecs/storefront-dev/exec"
            )
        }
    }
    assert recording.one("aws:kms/alias:Alias").inputs["name"] == "alias/ecs/storefront-dev/exec"


def test_exec_uses_a_given_key_instead_of_its_own(run_component: Runner) -> None:
    recording = cluster(run_component, execute_command=True, log_kms_key_arn=KEY_ARN)
    assert recording.of_type(KEY) == []
    assert recording.one(LOG_GROUP).inputs["kmsKeyId"] == KEY_ARN
    config = recording.one(CLUSTER).inputs["configuration"]["executeCommandConfiguration"]
    assert config["kmsKeyId"] == KEY_ARN


def test_a_given_key_alone_does_not_turn_exec_on(run_component: Runner) -> None:
    recording = cluster(run_component, log_kms_key_arn=KEY_ARN)
    assert recording.of_type(LOG_GROUP) == []
    assert "configuration" not in recording.one(CLUSTER).inputs


def test_create_cluster_request_matches_the_ecs_api_model(run_component: Runner) -> None:
    recording = cluster(
        run_component,
        execute_command=True,
        spot_weight=2,
        tags={"app": "storefront", "env": "dev"},
    )
    sent = recording.one(CLUSTER).inputs
    capacity = recording.one(CAPACITY).inputs
    params = {
        "clusterName": sent["name"],
        "settings": sent["settings"],
        "configuration": sent["configuration"],
        "capacityProviders": capacity["capacityProviders"],
        "defaultCapacityProviderStrategy": capacity["defaultCapacityProviderStrategies"],
        "tags": [{"key": k, "value": v} for k, v in sent["tags"].items()],
    }
    validate("CreateCluster", params)
    assert sent["tags"] == {"app": "storefront", "env": "dev"}
    assert recording.one(LOG_GROUP).inputs["tags"] == {"app": "storefront", "env": "dev"}
    assert recording.one(KEY).inputs["tags"] == {"app": "storefront", "env": "dev"}


def test_protect_covers_the_exec_log_group_and_key_only(run_component: Runner) -> None:
    protected = cluster(run_component, execute_command=True, protect=True)
    for resource in protected.resources:
        stateful = resource.type in (LOG_GROUP, KEY)
        assert resource.protect is stateful, resource.name
        assert resource.retain_on_delete is stateful, resource.name
    unprotected = cluster(run_component, execute_command=True)
    assert not any(r.protect or r.retain_on_delete for r in unprotected.resources)


def test_every_child_is_parented_to_the_component(run_component: Runner) -> None:
    recording = cluster(run_component, execute_command=True)
    assert {r.type for r in recording.resources} >= {CLUSTER, CAPACITY, LOG_GROUP, KEY}
    for resource in recording.resources:
        if resource.type == EcsCluster.TOKEN:
            assert resource.parent_type == "pulumi:pulumi:Stack"
            continue
        assert resource.parent_type in {EcsCluster.TOKEN, "slipway:index:EncryptionKey"}
        assert resource.name.startswith("c-"), resource.name


def test_outputs_resolve_to_plain_values(run_component: Runner) -> None:
    outputs = cluster(run_component, execute_command=True).outputs
    assert outputs["arn"] == f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:cluster/storefront-dev"
    assert outputs["name"] == "storefront-dev"
    assert not any(isinstance(v, pulumi.Output) for v in outputs.values())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cluster_name": ""}, "EcsClusterArgs.cluster_name: got ''"),
        ({"cluster_name": "store front"}, "EcsClusterArgs.cluster_name: got 'store front'"),
        ({"cluster_name": "a" * 256}, "EcsClusterArgs.cluster_name"),
        ({"container_insights": "on"}, "EcsClusterArgs.container_insights: got 'on'"),
        ({"on_demand_base": -1}, "EcsClusterArgs.on_demand_base: got -1; 0 to 100000"),
        ({"on_demand_base": 100_001}, "EcsClusterArgs.on_demand_base: got 100001"),
        ({"on_demand_weight": 1001}, "EcsClusterArgs.on_demand_weight: got 1001; 0 to 1000"),
        ({"spot_weight": -2}, "EcsClusterArgs.spot_weight: got -2; 0 to 1000"),
        ({"spot_weight": True}, "EcsClusterArgs.spot_weight: got True"),
        (
            {"on_demand_weight": 0, "spot_weight": 0, "on_demand_base": 2},
            "on_demand_weight and spot_weight cannot both be 0",
        ),
        (
            {"execute_command": True, "exec_log_retention_days": 10},
            "EcsClusterArgs.exec_log_retention_days: got 10; one of CloudWatch's values",
        ),
        ({"key_deletion_window_days": 6}, "EcsClusterArgs.key_deletion_window_days: got 6"),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        cluster(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        EcsClusterArgs(cluster_name="x y", on_demand_base=-1, exec_log_retention_days=2)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "EcsClusterArgs.cluster_name",
        "EcsClusterArgs.on_demand_base",
        "EcsClusterArgs.exec_log_retention_days",
    ]


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


def exec_grant(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        component = EcsCluster("c", EcsClusterArgs(cluster_name="storefront-dev", **overrides))
        component.grant_exec(aws.iam.Role("task", assume_role_policy=TRUST))
        return {"key": component.exec_kms_key_arn}

    return run(program)


def test_grant_exec_lets_a_task_role_open_sessions_and_log_them_here_only(
    run_component: Runner,
) -> None:
    recording = exec_grant(run_component, execute_command=True)
    policy = recording.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.name == "c-exec-task"
    assert policy.parent_name == "c"
    document = policy.json_input("policy")
    assert_valid_permission_policy(document)
    channels, find, write, decrypt = document["Statement"]
    assert channels["Action"] == sorted(EXEC_CHANNEL_ACTIONS)
    assert all(a.startswith("ssmmessages:") for a in channels["Action"])
    assert find["Action"] == ["logs:DescribeLogGroups"]
    assert write["Action"] == sorted(EXEC_LOG_ACTIONS)
    assert write["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/ecs/storefront-dev/exec:*"
    ]
    assert decrypt == {
        "Sid": "DecryptExecSessions",
        "Effect": "Allow",
        "Action": ["kms:Decrypt"],
        "Resource": [recording.outputs["key"]],
    }


def test_grant_exec_refuses_a_cluster_without_exec(run_component: Runner) -> None:
    with pytest.raises(ConfigError, match=r"EcsCluster\.grant_exec: got 'task'; a cluster built"):
        exec_grant(run_component)
