"""SmokeTestHook: an ECS deployment lifecycle hook that smoke-tests the new revision through the
load balancer's test listener before production traffic shifts to it; if it fails, ECS rolls
the deployment back.

What it checks and how it decides is in the function's own code,
:mod:`slipway.hooks.smoke_test` (packaged from that file): the health path answers 200 on every
load balancer node, and the answer's ``version`` is the release the new revision's image digest
carries in ECR. This component deploys that code and what it needs:

* the Lambda function (Python runtime, arm64) in the VPC's private subnets;
* its security group: no ingress; egress to the load balancer's security group on the test
  listener's port only, and HTTPS out for the ECS, ECR and EC2 reads (through NAT, or, in a VPC
  without one, through the interface endpoints :data:`API_ENDPOINTS`, which
  :func:`no_nat_endpoint_problems` requires). The load balancer must admit this group on the
  test port (:attr:`SmokeTestHook.security_group_id`);
* its execution role: write to its own log group, the ENI permissions Lambda needs in a VPC
  (AWS's managed ``AWSLambdaVPCAccessExecutionRole``; "Giving Lambda functions access to
  resources in an Amazon VPC", https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html,
  and the policy's document,
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html),
  ``ecs:DescribeServiceRevisions`` on this service's revisions and ``ecr:DescribeImages`` on
  this repository. The managed policy also allows writing to every log group; the function's
  own policy denies that outside its log group, and the managed policies are attached
  exclusively (one attached out of band is detached again);
* its log group, ``/aws/lambda/<function>``, with retention and optionally KMS;
* the role ECS assumes to invoke it: trusted by ``ecs.amazonaws.com``, ``lambda:InvokeFunction``
  on this function only ("Permissions required for Lambda functions in Amazon ECS blue/green
  deployments", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html;
  AWS's example allows every function, this role one).

The service names the hook in its deployment configuration: ``hookTargetArn`` =
:attr:`SmokeTestHook.function_arn`, ``roleArn`` = :attr:`SmokeTestHook.invoke_role_arn`,
``lifecycleStages`` = :attr:`SmokeTestHook.lifecycle_stages`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import Problems, invalid, is_whole
from slipway.fargate_task import LoggingOptions
from slipway.hooks import smoke_test
from slipway.iam import allow, policy_document, service_trust_policy
from slipway.jsonout import json_output
from slipway.load_balancer import HTTPS_PORT, SECURITY_GROUP_ID, domain_name_problems
from slipway.logs import log_group
from slipway.network import NatStrategy
from slipway.patterns import (
    CONTAINER_NAME,
    ECR_REPOSITORY_ARN,
    HEALTH_CHECK_PATH,
    VPC_ID,
    subnet_ids_problems,
)
from slipway.workflows.deploy import RELEASE_VERSION

HANDLER_FILE = Path(smoke_test.__file__)
"""The function's code: one file, shipped as ``smoke_test.py`` in the package's data."""
HANDLER = "smoke_test.handler"
RUNTIME = "python3.13"
"""A Lambda Python runtime that includes boto3 ("Lambda runtimes",
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)."""
ARCHITECTURE = "arm64"
MEMORY_MB = 128
FUNCTION_SUFFIX = "-smoke-test"
FUNCTION_NAME_MAX = 64
"""Lambda's limit on a function name."""
LAMBDA_TIMEOUT_MAX = 900
"""Lambda's longest timeout, in seconds."""
NODES_BUDGETED = 3
"""Load balancer nodes one round of checks is budgeted for (one per availability zone of a
three-zone VPC). With more, the function stops when its time runs out and fails."""
START_MARGIN_SECONDS = 10
"""Time budgeted for a cold start and the AWS reads before the first round."""
PROTOCOLS = ("HTTP", "HTTPS")
LOAD_BALANCER_ARN_SUFFIX = re.compile(r"^app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
"""An Application Load Balancer's ARN suffix, ``app/<name>/<id>``."""
VERSION_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"
"""AWS's managed policy for a function's network interfaces in a VPC."""
VPC_ACCESS_LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
"""What that policy also allows on every log group (``Resource: *``, its v3 document); the
function's own policy denies them outside its log group."""
LAMBDA_SERVICE = "lambda.amazonaws.com"
ECS_SERVICE = "ecs.amazonaws.com"
API_ENDPOINTS = ("ecs", "ecr.api", "ec2")
"""The AWS APIs the function calls from the private subnets (:mod:`slipway.hooks.smoke_test`:
``ecs:DescribeServiceRevisions``, ``ecr:DescribeImages``, ``ec2:DescribeNetworkInterfaces``),
as :class:`~slipway.network.Network`'s interface endpoint services: without a NAT it reaches
them only through these endpoints (private DNS on, so the SDK's default endpoints resolve to
them): ``com.amazonaws.<region>.ecs`` ("Amazon ECS interface VPC endpoints",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html),
``com.amazonaws.<region>.ecr.api`` ("Amazon ECR interface VPC endpoints",
https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html) and
``com.amazonaws.<region>.ec2`` ("Access Amazon EC2 using an interface VPC endpoint",
https://docs.aws.amazon.com/ec2/latest/devguide/interface-vpc-endpoints.html)."""


def no_nat_endpoint_problems(
    nat_strategy: str, endpoints: Sequence[str], settings: tuple[str, str, str]
) -> list[str]:
    """The hook in a VPC whose private subnets have no NAT (``nat_strategy`` ``none``) needs an
    interface endpoint for each of :data:`API_ENDPOINTS`: otherwise every call times out, the
    function fails, and ECS rolls back every deployment. ``settings`` names the hook, the NAT
    strategy and the endpoints as the caller's user spells them."""
    if str(nat_strategy) != NatStrategy.NONE.value:
        return []
    missing = [service for service in API_ENDPOINTS if service not in endpoints]
    if not missing:
        return []
    hook, strategy, endpoints_name = settings
    return [
        invalid(
            hook,
            True,
            f"false with {strategy} none, unless {endpoints_name} has the endpoints the hook "
            f"calls from the private subnets ({', '.join(API_ENDPOINTS)}; missing: "
            f"{', '.join(missing)}): without a NAT its ECS, ECR and EC2 calls time out and ECS "
            f"rolls back every deployment; or set {strategy} single",
        )
    ]


@dataclass(frozen=True)
class SmokeTestOptions:
    """How the hook tests (:class:`SmokeTestHookArgs` has the same fields): what a service that
    owns its hook (``FargateServiceArgs.smoke_test``) is given."""

    version_field: str = "version"
    """The field of the health answer's JSON object that reports the running version."""
    attempts: int = 6
    """Rounds of checks before the hook fails, 1 to 20."""
    request_timeout_seconds: int = 5
    """Seconds one request may take, 1 to 30."""
    retry_interval_seconds: int = 10
    """Seconds between rounds, 1 to 60."""
    timeout_seconds: int = 180
    """The function's timeout: must hold every round, at most 900."""

    def __post_init__(self) -> None:
        problems = Problems("SmokeTestOptions")
        timing_problems(problems, self)
        problems.raise_any()


def timing_problems(problems: Problems, values: SmokeTestOptions | SmokeTestHookArgs) -> None:
    """The one rule for the hook's version field, rounds and timeouts: each in its range, and
    the function's timeout holding every round."""
    problems.check(
        bool(VERSION_FIELD.match(values.version_field)),
        "version_field",
        values.version_field,
        "a JSON field name: a letter or '_', then letters, digits, '_' or '-'",
    )
    before = len(problems.found)
    for name, low, high in (
        ("attempts", 1, 20),
        ("request_timeout_seconds", 1, 30),
        ("retry_interval_seconds", 1, 60),
        ("timeout_seconds", 1, LAMBDA_TIMEOUT_MAX),
    ):
        value = getattr(values, name)
        problems.check(is_whole(value, low, high), name, value, f"{low} to {high}")
    if len(problems.found) == before:
        budget = budget_seconds(
            values.attempts, values.request_timeout_seconds, values.retry_interval_seconds
        )
        problems.check(
            budget <= values.timeout_seconds,
            "timeout_seconds",
            values.timeout_seconds,
            f"at least {budget}: {values.attempts} rounds of "
            f"{NODES_BUDGETED} requests of up to {values.request_timeout_seconds} s, "
            f"{values.retry_interval_seconds} s apart, and {START_MARGIN_SECONDS} s to start",
        )


def budget_seconds(attempts: int, request_timeout_seconds: int, retry_interval_seconds: int) -> int:
    """What every round may take at worst: each request of :data:`NODES_BUDGETED` nodes
    timing out, the waits between rounds, and :data:`START_MARGIN_SECONDS`."""
    return (
        attempts * NODES_BUDGETED * request_timeout_seconds
        + (attempts - 1) * retry_interval_seconds
        + START_MARGIN_SECONDS
    )


@dataclass(frozen=True)
class SmokeTestHookArgs:
    """Arguments of :class:`SmokeTestHook`."""

    service_name: str
    """The ECS service the hook tests: it names the function (``<service>-smoke-test``) and
    scopes its ECS reads."""
    cluster_name: pulumi.Input[str]
    """The cluster of that service."""
    vpc_id: pulumi.Input[str]
    """VPC of the service and its load balancer."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets the function runs in (with a route out for the AWS APIs)."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """The load balancer's ``arn_suffix``, ``app/<name>/<id>``: how the function finds its
    nodes."""
    load_balancer_security_group_id: pulumi.Input[str]
    """The load balancer's security group, the only place the function may send test traffic."""
    test_listener_port: int
    """Port of the load balancer's test listener."""
    test_listener_host: pulumi.Input[str]
    """The name the function asks for: the service's DNS name (its certificate must name it
    over HTTPS) or the load balancer's."""
    test_listener_protocol: str = "HTTPS"
    """``HTTPS`` or ``HTTP``, as the test listener speaks. Default: HTTPS."""
    health_check_path: str = "/"
    """The application's health path; it must answer 200."""
    container_name: str = "app"
    """The application container, whose image's release tag is the expected version."""
    repository_arn: pulumi.Input[str] | None = None
    """The ECR repository the service's images come from. Without it (GHCR) only health is
    checked."""
    version_field: str = "version"
    """The field of the health answer's JSON object that reports the running version."""
    attempts: int = 6
    """Rounds of checks before the hook fails, 1 to 20."""
    request_timeout_seconds: int = 5
    """Seconds one request may take, 1 to 30."""
    retry_interval_seconds: int = 10
    """Seconds between rounds, 1 to 60."""
    timeout_seconds: int = 180
    """The function's timeout: must hold every round (:attr:`budget_seconds`), at most 900."""
    logging: LoggingOptions = field(default_factory=LoggingOptions)
    """The function's log group: retention and KMS key."""
    protect: bool = False
    """Protect the log group and retain it if it leaves the program."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every resource."""

    @property
    def function_name(self) -> str:
        """``<service_name>-smoke-test``."""
        return f"{self.service_name}{FUNCTION_SUFFIX}"

    @property
    def budget_seconds(self) -> int:
        """What every round may take at worst: each request of :data:`NODES_BUDGETED` nodes
        timing out, the waits between rounds, and :data:`START_MARGIN_SECONDS`."""
        return budget_seconds(
            self.attempts, self.request_timeout_seconds, self.retry_interval_seconds
        )

    def __post_init__(self) -> None:
        problems = Problems("SmokeTestHookArgs")
        longest = FUNCTION_NAME_MAX - len(FUNCTION_SUFFIX)
        problems.check(
            bool(CONTAINER_NAME.match(self.service_name)) and len(self.service_name) <= longest,
            "service_name",
            self.service_name,
            f"an ECS service name of at most {longest} characters (the function's name adds "
            f"{FUNCTION_SUFFIX!r} within Lambda's {FUNCTION_NAME_MAX})",
        )
        if not isinstance(self.cluster_name, pulumi.Output):
            problems.check(
                isinstance(self.cluster_name, str)
                and bool(CONTAINER_NAME.match(self.cluster_name)),
                "cluster_name",
                self.cluster_name,
                "an ECS cluster name: letters, digits, hyphens and underscores",
            )
        if isinstance(self.vpc_id, str):
            problems.check(bool(VPC_ID.match(self.vpc_id)), "vpc_id", self.vpc_id, "a VPC ID")
        problems.extend(
            subnet_ids_problems(
                self.subnet_ids,
                problems.name("subnet_ids"),
                1,
                "one or more subnet IDs (subnet-…), private ones",
            )
        )
        if isinstance(self.load_balancer_arn_suffix, str):
            problems.check(
                bool(LOAD_BALANCER_ARN_SUFFIX.match(self.load_balancer_arn_suffix)),
                "load_balancer_arn_suffix",
                self.load_balancer_arn_suffix,
                "an Application Load Balancer's ARN suffix, app/<name>/<16 hex digits>",
            )
        if isinstance(self.load_balancer_security_group_id, str):
            problems.check(
                bool(SECURITY_GROUP_ID.match(self.load_balancer_security_group_id)),
                "load_balancer_security_group_id",
                self.load_balancer_security_group_id,
                "a security group ID (sg-…)",
            )
        problems.check(
            is_whole(self.test_listener_port, 1, 65535),
            "test_listener_port",
            self.test_listener_port,
            "a port, 1 to 65535",
        )
        if isinstance(self.test_listener_host, str):
            problems.extend(
                domain_name_problems(self.test_listener_host, problems.name("test_listener_host"))
            )
        problems.check(
            self.test_listener_protocol in PROTOCOLS,
            "test_listener_protocol",
            self.test_listener_protocol,
            " or ".join(PROTOCOLS),
        )
        problems.check(
            bool(HEALTH_CHECK_PATH.match(self.health_check_path)),
            "health_check_path",
            self.health_check_path,
            "a path starting with '/', unreserved URL characters only",
        )
        problems.check(
            bool(CONTAINER_NAME.match(self.container_name)),
            "container_name",
            self.container_name,
            "a container name: letters, digits, hyphens and underscores",
        )
        if isinstance(self.repository_arn, str):
            problems.check(
                bool(ECR_REPOSITORY_ARN.match(self.repository_arn)),
                "repository_arn",
                self.repository_arn,
                "an ECR repository ARN",
            )
        timing_problems(problems, self)
        problems.raise_any()


# --------------------------------------------------------------------------------------------
# Documents (plain data; ARNs may be Outputs)
# --------------------------------------------------------------------------------------------


def trusted_service_policy(service: str) -> pulumi.Output[str]:
    """Lets the AWS service principal ``service`` assume the role (what AWS documents for a
    Lambda execution role and for ECS's hook-invoking role)."""
    return json_output(service_trust_policy("TrustedService", service))


def function_statements(
    *,
    log_group_arn: pulumi.Input[str],
    service_arn: pulumi.Input[str],
    repository_arn: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """The function's own permissions: its log group (and no other, which the managed VPC
    policy would allow), this service's revisions and, with a repository, that repository's
    image details. ``DescribeServiceRevisions`` authorizes on the
    service and on the revision (Service Authorization Reference, Amazon ECS)."""
    own_logs = [log_group_arn, pulumi.Output.concat(log_group_arn, ":log-stream:*")]
    statements = [
        allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], own_logs),
        {
            # AWSLambdaVPCAccessExecutionRole also allows these on every log group.
            "Sid": "NoOtherLogs",
            "Effect": "Deny",
            "Action": sorted(VPC_ACCESS_LOG_ACTIONS),
            # Anything under its own group, however an action names it.
            "NotResource": [log_group_arn, pulumi.Output.concat(log_group_arn, ":*")],
        },
        allow(
            "ReadServiceRevisions",
            ["ecs:DescribeServiceRevisions"],
            [service_arn, revision_arns_of(service_arn)],
        ),
    ]
    if repository_arn is not None:
        statements.append(allow("ReadImageTags", ["ecr:DescribeImages"], [repository_arn]))
    return statements


def revision_arns_of(service_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """``…:service-revision/<cluster>/<service>/*`` for ``…:service/<cluster>/<service>``."""
    return pulumi.Output.from_input(service_arn).apply(
        lambda arn: arn.replace(":service/", ":service-revision/", 1) + "/*"
    )


def invoke_statements(function_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """What ECS may do with the invoke role: call this function, nothing else."""
    return [allow("InvokeSmokeTest", ["lambda:InvokeFunction"], [function_arn])]


def environment_of(
    args: SmokeTestHookArgs,
    repository_name: pulumi.Input[str],
    registry_id: pulumi.Input[str],
) -> dict[str, pulumi.Input[str]]:
    """The function's settings, by the names the handler reads (``smoke_test.ENV_*``)."""
    h = smoke_test
    return {
        h.ENV_PROTOCOL: args.test_listener_protocol,
        h.ENV_HOST: args.test_listener_host,
        h.ENV_PORT: str(args.test_listener_port),
        h.ENV_HEALTH_CHECK_PATH: args.health_check_path,
        h.ENV_LOAD_BALANCER: args.load_balancer_arn_suffix,
        h.ENV_CONTAINER_NAME: args.container_name,
        h.ENV_REPOSITORY_NAME: repository_name,
        h.ENV_REGISTRY_ID: registry_id,
        h.ENV_VERSION_FIELD: args.version_field,
        h.ENV_RELEASE_VERSION: RELEASE_VERSION.pattern,
        h.ENV_ATTEMPTS: str(args.attempts),
        h.ENV_REQUEST_TIMEOUT: str(args.request_timeout_seconds),
        h.ENV_RETRY_INTERVAL: str(args.retry_interval_seconds),
    }


def code_archive() -> pulumi.AssetArchive:
    """The function's code: the handler file alone, at the archive's root."""
    return pulumi.AssetArchive({"smoke_test.py": pulumi.FileAsset(str(HANDLER_FILE))})


# --------------------------------------------------------------------------------------------
# The component
# --------------------------------------------------------------------------------------------


class SmokeTestHook(pulumi.ComponentResource):
    """The smoke-test lifecycle hook of one ECS service: a Lambda function in the VPC, its
    roles, security group and log group.

    Outputs:
        function_arn: The function's ARN: the lifecycle hook's ``hookTargetArn``.
        function_name: The function's name, ``<service_name>-smoke-test``.
        invoke_role_arn: The role ECS assumes to invoke the function: the hook's ``roleArn``.
        security_group_id: The function's security group; let it into the load balancer's
            security group on the test listener's port.
        lifecycle_stages: Where the hook runs: ``POST_TEST_TRAFFIC_SHIFT``, once the new
            revision has all test traffic and before any production traffic.
        log_group_name: The function's log group, where each run says what it checked.
    """

    TOKEN = "slipway:index:SmokeTestHook"

    function_arn: pulumi.Output[str]
    function_name: pulumi.Output[str]
    invoke_role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    lifecycle_stages: pulumi.Output[list[str]]
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SmokeTestHookArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        tags = dict(args.tags)

        logs = log_group(
            f"{name}-logs",
            parent=self,
            log_group_name=f"/aws/lambda/{args.function_name}",
            retention_days=args.logging.retention_days,
            kms_key_arn=args.logging.kms_key_arn,
            protect=args.protect,
            tags=tags,
        )

        role = aws.iam.Role(
            f"{name}-role",
            description=f"The smoke-test hook of {args.service_name}: its logs and ECS/ECR reads",
            assume_role_policy=trusted_service_policy(LAMBDA_SERVICE),
            tags=tags,
            opts=child,
        )
        service_arn = pulumi.Output.concat(
            "arn:", partition, ":ecs:", region, ":", identity.account_id, ":service/",
            args.cluster_name, "/", args.service_name,
        )  # fmt: skip
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.name,
            policy=policy_document(
                function_statements(
                    log_group_arn=logs.arn,
                    service_arn=service_arn,
                    repository_arn=args.repository_arn,
                )
            ),
            opts=child,
        )
        # Exclusive: the one managed policy, and any attached out of band is detached.
        vpc_access = aws.iam.RolePolicyAttachmentsExclusive(
            f"{name}-managed-policies",
            role_name=role.name,
            policy_arns=[
                pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", VPC_ACCESS_POLICY)
            ],
            opts=child,
        )

        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Smoke-test hook of {args.service_name}: the test listener and HTTPS out",
            revoke_rules_on_delete=True,
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-test-listener",
            security_group_id=group.id,
            description="To the load balancer's test listener",
            ip_protocol="tcp",
            from_port=args.test_listener_port,
            to_port=args.test_listener_port,
            referenced_security_group_id=args.load_balancer_security_group_id,
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-https",
            security_group_id=group.id,
            description="HTTPS out: the ECS, ECR and EC2 APIs (through NAT or VPC endpoints)",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
            tags=tags,
            opts=child,
        )

        if args.repository_arn is None:
            repository_name: pulumi.Input[str] = ""
            registry_id: pulumi.Input[str] = ""
        else:
            repository = pulumi.Output.from_input(args.repository_arn)
            repository_name = repository.apply(lambda arn: arn.split(":repository/", 1)[1])
            registry_id = repository.apply(lambda arn: arn.split(":")[4])

        function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=f"Smoke-tests {args.service_name} through the test listener "
            "before production traffic shifts (ECS lifecycle hook)",
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            code=code_archive(),
            role=role.arn,
            timeout=args.timeout_seconds,
            memory_size=MEMORY_MB,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[group.id]
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables=environment_of(args, repository_name, registry_id)
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=logs.name, application_log_level="INFO"
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, vpc_access]),
        )

        invoke_role = aws.iam.Role(
            f"{name}-invoke-role",
            description=f"ECS invokes the smoke-test hook of {args.service_name}",
            assume_role_policy=trusted_service_policy(ECS_SERVICE),
            tags=tags,
            opts=child,
        )
        invoke_policy = aws.iam.RolePolicy(
            f"{name}-invoke-policy",
            role=invoke_role.name,
            policy=policy_document(invoke_statements(function.arn)),
            opts=child,
        )

        self.function_arn = function.arn
        self.function_name = function.name
        # Ready once it may invoke: whoever configures the hook with it waits for the policy.
        self.invoke_role_arn = pulumi.Output.all(invoke_role.arn, invoke_policy.id).apply(
            lambda values: str(values[0])
        )
        self.security_group_id = group.id
        self.lifecycle_stages = pulumi.Output.from_input(list(smoke_test.LIFECYCLE_STAGES))
        self.log_group_name = logs.name
        self.register_outputs(
            {
                "function_arn": self.function_arn,
                "function_name": self.function_name,
                "invoke_role_arn": self.invoke_role_arn,
                "security_group_id": self.security_group_id,
                "lifecycle_stages": self.lifecycle_stages,
                "log_group_name": self.log_group_name,
            }
        )
