"""SmokeTestHook under Pulumi mocks: what it registers (checked against the provider SDK's own
argument classes and botocore's models), least privilege, and bad arguments."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.validate
import pulumi
import pulumi_aws as aws
import pytest

from slipway import SmokeTestHook, SmokeTestHookArgs
from slipway.errors import ConfigError
from slipway.fargate_task import LoggingOptions
from slipway.hooks import smoke_test
from slipway.smoke_test_hook import HANDLER, code_archive
from slipway.workflows.deploy import RELEASE_VERSION
from tests.aws_models import service_model
from tests.iam_checks import assert_valid_permission_policy, assert_valid_trust_policy
from tests.provider_schema import resource_input_problems
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[..., Recording]
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY_ARN = f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/storefront/prod"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
LB_SG = "sg-0a1b2c3d4e5f60718"


def provider_classes() -> dict[str, type[pulumi.CustomResource]]:
    """The provider SDK's class of each type the hook registers (read when a test runs: the
    SDK's modules load on first use, EC2's in about 0.8 s)."""
    return {
        FUNCTION: aws.lambda_.Function,
        ROLE: aws.iam.Role,
        ROLE_POLICY: aws.iam.RolePolicy,
        ATTACHMENT: aws.iam.RolePolicyAttachmentsExclusive,
        GROUP: aws.ec2.SecurityGroup,
        EGRESS: aws.vpc.SecurityGroupEgressRule,
        LOG_GROUP: aws.cloudwatch.LogGroup,
    }


def args(**changes: Any) -> SmokeTestHookArgs:
    base = SmokeTestHookArgs(
        service_name="storefront",
        cluster_name="storefront-prod",
        vpc_id="vpc-0123456789abcdef0",
        subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        load_balancer_arn_suffix="app/storefront-prod/50dc6c495c0c9188",
        load_balancer_security_group_id=LB_SG,
        test_listener_port=8443,
        test_listener_host="shop.example.com",
        health_check_path="/health",
        repository_arn=REPOSITORY_ARN,
        logging=LoggingOptions(retention_days=365, kms_key_arn=KEY_ARN),
        protect=True,
        tags={"app": "storefront"},
    )
    return replace(base, **changes)


def program(hook_args: SmokeTestHookArgs) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        hook = SmokeTestHook("smoke", hook_args)
        return {
            "function_arn": hook.function_arn,
            "function_name": hook.function_name,
            "invoke_role_arn": hook.invoke_role_arn,
            "security_group_id": hook.security_group_id,
            "lifecycle_stages": hook.lifecycle_stages,
            "log_group_name": hook.log_group_name,
        }

    return run


@pytest.fixture(scope="module")
def recording() -> Recording:
    from tooling.offline import run_program

    return run_program("test", {"aws:region": "eu-west-1"}, (), program(args()))


def test_every_input_is_one_the_provider_knows(recording: Recording) -> None:
    classes = provider_classes()
    for resource in recording.resources:
        if resource.type in classes:
            assert resource_input_problems(classes[resource.type], resource.inputs) == [], (
                resource.name
            )
    # The checker does catch a wrong input.
    function = recording.one(FUNCTION)
    wrong = {**function.inputs, "vpcConfig": {"subnets": ["subnet-0123456789abcdef0"]}}
    assert resource_input_problems(aws.lambda_.Function, wrong)


def test_every_child_belongs_to_the_component(recording: Recording) -> None:
    children = [r for r in recording.resources if r.type != SmokeTestHook.TOKEN]
    assert children
    assert {r.parent_type for r in children} == {SmokeTestHook.TOKEN}


def test_the_function(recording: Recording) -> None:
    function = recording.one(FUNCTION)
    inputs = function.inputs
    assert inputs["name"] == "storefront-smoke-test"
    assert (inputs["runtime"], inputs["handler"], inputs["architectures"]) == (
        "python3.13",
        HANDLER,
        ["arm64"],
    )
    assert inputs["runtime"] in botocore_enum("lambda", "Runtime")
    assert inputs["timeout"] == 180
    assert inputs["vpcConfig"]["subnetIds"] == [
        "subnet-0123456789abcdef0",
        "subnet-0123456789abcdef1",
    ]
    (group,) = inputs["vpcConfig"]["securityGroupIds"]
    assert group == recording.outputs["security_group_id"]
    assert inputs["loggingConfig"]["logGroup"] == "/aws/lambda/storefront-smoke-test"
    assert inputs["loggingConfig"]["logFormat"] == "JSON"
    # It waits for its permissions, so that its first run can log and reach the VPC.
    depends = {recording.by_urn(u).type for u in function.dependencies}
    assert {ROLE_POLICY, ATTACHMENT} <= depends
    # The request Lambda's API would get: botocore's CreateFunction model.
    model = service_model("lambda")
    botocore.validate.validate_parameters(
        {
            "FunctionName": inputs["name"],
            "Runtime": inputs["runtime"],
            "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/smoke-role",
            "Handler": inputs["handler"],
            "Code": {"ZipFile": b"PK"},
            "Timeout": int(inputs["timeout"]),
            "MemorySize": int(inputs["memorySize"]),
            "Architectures": inputs["architectures"],
            "VpcConfig": {
                "SubnetIds": inputs["vpcConfig"]["subnetIds"],
                "SecurityGroupIds": inputs["vpcConfig"]["securityGroupIds"],
            },
            "Environment": {"Variables": inputs["environment"]["variables"]},
            "LoggingConfig": {
                "LogFormat": inputs["loggingConfig"]["logFormat"],
                "ApplicationLogLevel": inputs["loggingConfig"]["applicationLogLevel"],
                "LogGroup": inputs["loggingConfig"]["logGroup"],
            },
        },
        model.operation_model("CreateFunction").input_shape,
    )


def test_the_environment_is_what_the_handler_reads(recording: Recording) -> None:
    variables = recording.one(FUNCTION).inputs["environment"]["variables"]
    config = smoke_test.Config.from_environment(variables)
    assert (config.protocol, config.host, config.port) == ("HTTPS", "shop.example.com", 8443)
    assert config.health_check_path == "/health"
    assert config.load_balancer == "app/storefront-prod/50dc6c495c0c9188"
    assert (config.repository_name, config.registry_id) == ("storefront/prod", ACCOUNT_ID)
    assert config.release_version.pattern == RELEASE_VERSION.pattern
    assert (config.attempts, config.request_timeout, config.retry_interval) == (6, 5.0, 10.0)


def test_the_code_is_the_handler_file_alone(tmp_path: Path) -> None:
    archive = code_archive()
    assert list(archive.assets) == ["smoke_test.py"]
    asset = archive.assets["smoke_test.py"]
    assert isinstance(asset, pulumi.FileAsset)
    # Zipped the way Lambda unpacks it, the handler imports with the standard library alone
    # (-S: no site-packages, so neither slipway nor boto3 can be found).
    bundle = tmp_path / "code.zip"
    with zipfile.ZipFile(bundle, "w") as zipped:
        zipped.write(str(asset.path), "smoke_test.py")
    module, function = HANDLER.split(".")
    probe = (
        f"import sys; sys.path.insert(0, {str(bundle)!r}); import {module}; "
        f"print(callable({module}.{function}), 'slipway' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "False"]


def test_the_log_group(recording: Recording) -> None:
    logs = recording.one(LOG_GROUP)
    assert logs.inputs["name"] == "/aws/lambda/storefront-smoke-test"
    assert logs.inputs["retentionInDays"] == 365
    assert logs.inputs["kmsKeyId"] == KEY_ARN
    assert logs.protect
    assert logs.retain_on_delete


def test_the_security_group_reaches_only_the_test_listener_and_https(
    recording: Recording,
) -> None:
    recording.one(GROUP)
    assert not recording.of_type(INGRESS)
    rules = {
        (
            r.inputs["ipProtocol"],
            int(r.inputs["fromPort"]),
            int(r.inputs["toPort"]),
            r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4"),
        )
        for r in recording.of_type(EGRESS)
    }
    assert rules == {("tcp", 8443, 8443, LB_SG), ("tcp", 443, 443, "0.0.0.0/0")}


def test_the_function_role_is_least_privilege(recording: Recording) -> None:
    role = recording.one(ROLE, "smoke-role")
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = recording.one(ROLE_POLICY, "smoke-policy").json_input("policy")
    assert_valid_permission_policy(policy)
    log_group_arn = (
        f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/aws/lambda/storefront-smoke-test"
    )
    statements = {s["Sid"]: (s["Action"], s.get("Resource")) for s in policy["Statement"]}
    assert statements["WriteOwnLogs"][0] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert all(r.startswith(log_group_arn) for r in statements["WriteOwnLogs"][1])
    service = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:service/storefront-prod/storefront"
    revisions = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:service-revision/storefront-prod/storefront/*"
    assert statements["ReadServiceRevisions"] == (
        ["ecs:DescribeServiceRevisions"],
        [service, revisions],
    )
    assert statements["ReadImageTags"] == (["ecr:DescribeImages"], [REPOSITORY_ARN])
    assert set(statements) == {
        "WriteOwnLogs",
        "NoOtherLogs",
        "ReadServiceRevisions",
        "ReadImageTags",
    }
    # The managed VPC policy's log actions reach no other log group.
    deny = next(s for s in policy["Statement"] if s["Sid"] == "NoOtherLogs")
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    assert deny["NotResource"] == [log_group_arn, f"{log_group_arn}:*"]
    attachment = recording.one(ATTACHMENT)
    assert attachment.inputs["policyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    ]
    assert attachment.inputs["roleName"].startswith("smoke-role-")


def test_ecs_may_invoke_this_function_and_nothing_else(recording: Recording) -> None:
    role = recording.one(ROLE, "smoke-invoke-role")
    trust = role.json_input("assumeRolePolicy")
    assert_valid_trust_policy(trust)
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    policy = recording.one(ROLE_POLICY, "smoke-invoke-policy").json_input("policy")
    assert_valid_permission_policy(policy)
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["lambda:InvokeFunction"]
    assert statement["Resource"] == [recording.outputs["function_arn"]]
    assert recording.outputs["function_arn"] == (
        f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:storefront-smoke-test"
    )


def test_the_outputs_configure_an_ecs_lifecycle_hook(recording: Recording) -> None:
    """The outputs, as CreateService takes them (botocore's ECS model), at a stage that exists."""
    outputs = recording.outputs
    assert outputs["lifecycle_stages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert re.fullmatch(
        r"arn:aws:iam::\d{12}:role/smoke-invoke-role-[0-9a-f]+", outputs["invoke_role_arn"]
    )
    assert outputs["security_group_id"].startswith("sg-")
    model = service_model("ecs")
    stages = model.shape_for("DeploymentLifecycleHook").members["lifecycleStages"].member.enum
    assert set(outputs["lifecycle_stages"]) <= set(stages)
    botocore.validate.validate_parameters(
        {
            "serviceName": "storefront",
            "deploymentConfiguration": {
                "strategy": "BLUE_GREEN",
                "lifecycleHooks": [
                    {
                        "hookTargetArn": outputs["function_arn"],
                        "roleArn": outputs["invoke_role_arn"],
                        "lifecycleStages": outputs["lifecycle_stages"],
                    }
                ],
            },
        },
        model.operation_model("CreateService").input_shape,
    )
    # The pinned provider takes the same three fields.
    aws.ecs.ServiceDeploymentConfigurationLifecycleHookArgs(
        hook_target_arn=outputs["function_arn"],
        role_arn=outputs["invoke_role_arn"],
        lifecycle_stages=outputs["lifecycle_stages"],
    )


def test_without_a_repository_only_health_is_checked(run_component: Runner) -> None:
    recording = run_component(program(args(repository_arn=None, test_listener_protocol="HTTP")))
    policy = recording.one(ROLE_POLICY, "smoke-policy").json_input("policy")
    assert "ReadImageTags" not in {s["Sid"] for s in policy["Statement"]}
    assert_valid_permission_policy(policy)
    variables = recording.one(FUNCTION).inputs["environment"]["variables"]
    assert variables[smoke_test.ENV_REPOSITORY_NAME] == ""
    assert variables[smoke_test.ENV_PROTOCOL] == "HTTP"


def test_partition_comes_from_the_provider(run_component: Runner) -> None:
    recording = run_component(program(args(repository_arn=None)), region="cn-north-1")
    attachment = recording.one(ATTACHMENT)
    (managed,) = attachment.inputs["policyArns"]
    assert managed.startswith("arn:aws-cn:iam::aws:policy/")
    policy = recording.one(ROLE_POLICY, "smoke-policy").json_input("policy")
    revisions = next(s for s in policy["Statement"] if s["Sid"] == "ReadServiceRevisions")
    assert all(r.startswith("arn:aws-cn:ecs:cn-north-1:") for r in revisions["Resource"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"service_name": "x" * 54}, r"SmokeTestHookArgs\.service_name: got 'x+'; an ECS service"),
        ({"cluster_name": "a b"}, r"SmokeTestHookArgs\.cluster_name: got 'a b'"),
        ({"vpc_id": "vpc-1"}, r"SmokeTestHookArgs\.vpc_id: got 'vpc-1'; a VPC ID"),
        ({"subnet_ids": []}, r"SmokeTestHookArgs\.subnet_ids: got \[\]"),
        ({"load_balancer_arn_suffix": "storefront"}, r"\.load_balancer_arn_suffix: got 'storef"),
        ({"load_balancer_security_group_id": "lb"}, r"\.load_balancer_security_group_id: got 'lb'"),
        ({"test_listener_port": 0}, r"\.test_listener_port: got 0; a port, 1 to 65535"),
        ({"test_listener_port": True}, r"\.test_listener_port: got True"),
        ({"test_listener_host": "Shop.Example.com"}, r"\.test_listener_host: got 'Shop.Exa"),
        ({"test_listener_protocol": "TCP"}, r"\.test_listener_protocol: got 'TCP'; HTTP or HTTPS"),
        ({"health_check_path": "health"}, r"\.health_check_path: got 'health'"),
        ({"container_name": ""}, r"\.container_name: got ''"),
        ({"repository_arn": "storefront/prod"}, r"\.repository_arn: got 'storefront/prod'"),
        ({"version_field": "a.b"}, r"\.version_field: got 'a.b'"),
        ({"attempts": 0}, r"\.attempts: got 0; 1 to 20"),
        ({"request_timeout_seconds": 31}, r"\.request_timeout_seconds: got 31; 1 to 30"),
        ({"retry_interval_seconds": 0}, r"\.retry_interval_seconds: got 0; 1 to 60"),
        ({"timeout_seconds": 901}, r"\.timeout_seconds: got 901; 1 to 900"),
        (
            {"timeout_seconds": 60},
            r"\.timeout_seconds: got 60; at least 150: 6 rounds of 3 requests of up to 5 s, "
            r"10 s apart, and 10 s to start",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_field_named(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        args(**changes)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        args(vpc_id="nope", test_listener_port=70000, attempts=0)
    assert len(caught.value.problems) == 3


def botocore_enum(service: str, shape: str) -> list[str]:
    return list(service_model(service).shape_for(shape).enum)


VPC_ACCESS_EXECUTION_ROLE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AWSLambdaVPCAccessExecutionPermissions",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "*",
        }
    ],
}
"""AWSLambdaVPCAccessExecutionRole, v3, as AWS publishes it ("AWS managed policy reference",
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html)."""


def test_the_role_as_iam_evaluates_it(recording: Recording) -> None:
    """The managed policy and the function's own, evaluated together by Principal Mapper."""
    from tests.iam_eval import Principal

    policy = recording.one(ROLE_POLICY, "smoke-policy").json_input("policy")
    role = Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/smoke-role",
        policies={"vpc-access": VPC_ACCESS_EXECUTION_ROLE, "own": policy},
    )
    logs = f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group"
    own = f"{logs}:/aws/lambda/storefront-smoke-test"
    ecs = f"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}"
    assert role.allows("logs:PutLogEvents", f"{own}:log-stream:2026/12/01/[$LATEST]0a1b")
    assert role.allows("logs:CreateLogStream", own)
    assert not role.allows("logs:PutLogEvents", f"{logs}:/ecs/storefront:log-stream:ecs/app/1")
    assert not role.allows("logs:CreateLogGroup", f"{logs}:/aws/lambda/anything-else")
    assert role.allows("ec2:CreateNetworkInterface", "*")
    assert role.allows("ec2:DescribeNetworkInterfaces", "*")
    revision = f"{ecs}:service-revision/storefront-prod/storefront/931342351546"
    assert role.allows("ecs:DescribeServiceRevisions", revision)
    assert not role.allows(
        "ecs:DescribeServiceRevisions", f"{ecs}:service-revision/storefront-prod/other/1"
    )
    assert role.allows("ecr:DescribeImages", REPOSITORY_ARN)
    assert not role.allows("ecr:DescribeImages", REPOSITORY_ARN.replace("prod", "dev"))
    assert not role.allows("ecr:BatchGetImage", REPOSITORY_ARN)
    assert not role.allows("ecs:UpdateService", f"{ecs}:service/storefront-prod/storefront")
