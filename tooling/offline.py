"""Run the real stack program offline, under Pulumi's mock runtime, and record what it sends.

This is what ``make plan`` and the test suite stand on. :class:`RecordingMonitor` keeps every
resource registration as the engine would receive it: type, name, parent, inputs (with which of
them are secret) and options. :class:`AwsMocks` answers like AWS and GitHub would, with ARNs,
URLs and IDs in their real shapes, and refuses invokes it does not know, so a new data source in
the program cannot slip through untested.

Tests assert on :attr:`Recording.resources` (what the program sent), never on what the mocks
echo back.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import dataclasses
import functools
import gc
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import botocore.loaders
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import source_pb2

from infra.settings import NAMESPACE, StackSettings
from infra.stack_files import (  # one loader for pulumi up and the offline tooling
    PROJECT_ROOT,
)
from infra.stack_files import discover_stacks as discover_stacks
from infra.stack_files import load_stack_config as load_stack_config

ROOT = PROJECT_ROOT
"""The project directory (where Pulumi.yaml lives)."""
ACCOUNT_ID = "111122223333"
"""The AWS account the mocks pretend to be (AWS's documentation example account)."""


# --------------------------------------------------------------------------------------------
# What was registered
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedResource:
    """One resource registration, as the engine received it (a change is a new record:
    ``dataclasses.replace``)."""

    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: frozenset[str]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]
    provider: str
    delete_before_replace: bool
    import_id: str = ""
    """The ``import`` option: the ID of an existing resource to adopt (empty: none)."""
    custom_timeouts: tuple[tuple[str, str], ...] = ()
    """The ``custom_timeouts`` option, as ``(operation, duration)`` pairs for the operations
    it sets (``create``, ``update``, ``delete``), in that order; empty: the provider's own."""

    @property
    def parent_type(self) -> str:
        """Type token of the parent, read from its URN (``pulumi:pulumi:Stack`` at the top)."""
        if not self.parent:
            return ""
        return self.parent.split("::")[2].split("$")[-1]

    @property
    def parent_name(self) -> str:
        """Logical name of the parent."""
        return self.parent.split("::")[-1] if self.parent else ""

    def json_input(self, name: str) -> Any:
        """An input that holds a JSON document (policies), parsed."""
        return json.loads(self.inputs[name])


def _unwrap(value: Any) -> tuple[Any, bool]:
    """Strip secret markers, reporting whether any were found."""
    if rpc.is_rpc_secret(value):
        inner, _ = _unwrap(rpc.unwrap_rpc_secret(value))
        return inner, True
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            out[k], secret = _unwrap(v)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [_unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _custom_timeouts(request: Any) -> tuple[tuple[str, str], ...]:
    """The operations a registration's ``customTimeouts`` sets, with their durations."""
    if not request.HasField("customTimeouts"):
        return ()
    timeouts = request.customTimeouts
    return tuple(
        (operation, getattr(timeouts, operation))
        for operation in ("create", "update", "delete")
        if getattr(timeouts, operation)
    )


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request, in order."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.records: list[RecordedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
            inputs: dict[str, Any] = {}
            secret: set[str] = set()
            for name, value in raw.items():
                inputs[name], is_secret = _unwrap(value)
                if is_secret:
                    secret.add(name)
            self.records.append(
                RecordedResource(
                    type=request.type,
                    name=request.name,
                    urn=self.make_urn(request.parent, request.type, request.name),
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=inputs,
                    secret_inputs=frozenset(secret),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    ignore_changes=tuple(request.ignoreChanges),
                    dependencies=tuple(request.dependencies),
                    provider=request.provider,
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    import_id=request.importId,
                    custom_timeouts=_custom_timeouts(request),
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------------------------
# What AWS and GitHub would answer
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _partitions() -> tuple[dict[str, Any], ...]:
    """botocore's endpoint data, read once (parsing it on every invoke cost 20 ms each)."""
    return tuple(botocore.loaders.Loader().load_data("endpoints")["partitions"])


def region_partition(region: str) -> dict[str, Any]:
    """The AWS partition of ``region`` (``aws``, ``aws-cn``, ``aws-us-gov``…), from botocore's
    own endpoint data, as ``aws.get_partition`` answers in that region."""
    partitions = _partitions()
    for partition in partitions:
        if region in partition["regions"] or re.match(partition["regionRegex"], region):
            return dict(partition)
    return dict(partitions[0])


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class _Context:
    region: str
    account: str
    name: str
    logical: str
    inputs: dict[str, Any]

    def short(self, prefix: str, length: int = 17) -> str:
        """An AWS-style ID (``vpc-0a1b…``), stable for one logical name."""
        return f"{prefix}-0{_hex(self.logical + prefix, length - 1)}"

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:aws:{service}:{where}:{self.account}:{resource}"


Shape = Callable[[_Context], tuple[str, dict[str, Any]]]


def _kms_key(c: _Context) -> tuple[str, dict[str, Any]]:
    key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{c.account}/{c.region}/{c.logical}"))
    return key_id, {"keyId": key_id, "arn": c.arn("kms", f"key/{key_id}")}


def _ecr_repository(c: _Context) -> tuple[str, dict[str, Any]]:
    return c.name, {
        "name": c.name,
        "arn": c.arn("ecr", f"repository/{c.name}"),
        "registryId": c.account,
        "repositoryUrl": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{c.name}",
    }


def _iam_role(c: _Context) -> tuple[str, dict[str, Any]]:
    path = c.inputs.get("path") or "/"
    return c.name, {
        "name": c.name,
        "arn": f"arn:aws:iam::{c.account}:role{path}{c.name}",
        "uniqueId": "AROA" + _hex(c.name, 17).upper(),
    }


def _role_policy(c: _Context) -> tuple[str, dict[str, Any]]:
    return f"{c.inputs.get('role', 'role')}:{c.name}", {"name": c.name}


def _ec2(prefix: str, service: str = "ec2", resource: str = "") -> Shape:
    def shape(c: _Context) -> tuple[str, dict[str, Any]]:
        resource_id = c.short(prefix)
        kind = resource or prefix
        return resource_id, {"arn": c.arn(service, f"{kind}/{resource_id}")}

    return shape


def _vpc(c: _Context) -> tuple[str, dict[str, Any]]:
    vpc_id = c.short("vpc")
    return vpc_id, {
        "arn": c.arn("ec2", f"vpc/{vpc_id}"),
        "defaultSecurityGroupId": c.short("sg", 17) + "d",
        "mainRouteTableId": c.short("rtb"),
        "defaultNetworkAclId": c.short("acl"),
        "ownerId": c.account,
    }


def _eip(c: _Context) -> tuple[str, dict[str, Any]]:
    allocation = c.short("eipalloc")
    octet = int(_hex(c.logical, 2), 16)
    return allocation, {"allocationId": allocation, "publicIp": f"203.0.113.{octet % 250 + 1}"}


def _vpc_endpoint(c: _Context) -> tuple[str, dict[str, Any]]:
    endpoint_id = c.short("vpce")
    return endpoint_id, {
        "arn": c.arn("ec2", f"vpc-endpoint/{endpoint_id}"),
        "prefixListId": "pl-6da54004",
        "dnsEntries": [],
    }


def _log_group(c: _Context) -> tuple[str, dict[str, Any]]:
    return c.name, {"name": c.name, "arn": c.arn("logs", f"log-group:{c.name}")}


def _ecs_cluster(c: _Context) -> tuple[str, dict[str, Any]]:
    arn = c.arn("ecs", f"cluster/{c.name}")
    return arn, {"name": c.name, "arn": arn}


def _task_definition(c: _Context) -> tuple[str, dict[str, Any]]:
    family = c.inputs.get("family") or c.name
    return f"{family}", {
        "family": family,
        "revision": 1,
        "arn": c.arn("ecs", f"task-definition/{family}:1"),
        "arnWithoutRevision": c.arn("ecs", f"task-definition/{family}"),
    }


def _ecs_service(c: _Context) -> tuple[str, dict[str, Any]]:
    cluster = str(c.inputs.get("cluster", "cluster")).rsplit("/", 1)[-1]
    arn = c.arn("ecs", f"service/{cluster}/{c.name}")
    return arn, {"name": c.name, "arn": arn}


def _load_balancer(c: _Context) -> tuple[str, dict[str, Any]]:
    suffix = f"app/{c.name}/{_hex(c.logical + 'lb', 16)}"
    arn = c.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    return arn, {
        "name": c.name,
        "arn": arn,
        "arnSuffix": suffix,
        "dnsName": f"{c.name}-{int(_hex(c.logical, 8), 16) % 10**10}.{c.region}.elb.amazonaws.com",
        "zoneId": "Z32O12XQLNTSW2",
    }


def _acm_certificate(c: _Context) -> tuple[str, dict[str, Any]]:
    """A DNS-validated certificate: ACM names one CNAME per domain to create in its zone."""
    certificate_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{c.account}/{c.region}/{c.logical}"))
    domain = str(c.inputs.get("domainName", ""))
    token = _hex(c.logical + domain, 32)
    return c.arn("acm", f"certificate/{certificate_id}"), {
        "arn": c.arn("acm", f"certificate/{certificate_id}"),
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{token}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(token, 32)}.abcdefghij.acm-validations.aws.",
            }
        ],
    }


def _route53_record(c: _Context) -> tuple[str, dict[str, Any]]:
    name = str(c.inputs.get("name", "")).rstrip(".")
    return f"{c.inputs.get('zoneId')}_{name}_{c.inputs.get('type')}", {"fqdn": name}


def _target_group(c: _Context) -> tuple[str, dict[str, Any]]:
    suffix = f"targetgroup/{c.name}/{_hex(c.logical + 'tg', 16)}"
    arn = c.arn("elasticloadbalancing", suffix)
    return arn, {"name": c.name, "arn": arn, "arnSuffix": suffix}


def _listener(c: _Context) -> tuple[str, dict[str, Any]]:
    arn = c.arn("elasticloadbalancing", f"listener/app/{c.logical}/{_hex(c.logical, 16)}")
    return arn, {"arn": arn}


def _secret(c: _Context) -> tuple[str, dict[str, Any]]:
    arn = c.arn("secretsmanager", f"secret:{c.name}-{_hex(c.logical, 6)}")
    return arn, {"arn": arn, "name": c.name}


def _secret_version(c: _Context) -> tuple[str, dict[str, Any]]:
    version = str(uuid.uuid5(uuid.NAMESPACE_URL, c.logical))
    return f"{c.inputs.get('secretId', '')}|{version}", {"versionId": version, "arn": ""}


def _ssm_parameter(c: _Context) -> tuple[str, dict[str, Any]]:
    return c.name, {
        "name": c.name,
        "arn": c.arn("ssm", "parameter/" + c.name.lstrip("/")),
        "version": 1,
    }


def _named_arn(service: str, resource: str, region: bool = True) -> Shape:
    def shape(c: _Context) -> tuple[str, dict[str, Any]]:
        arn = c.arn(service, resource.format(name=c.name), region)
        return (arn if service == "sns" else c.name), {"arn": arn, "name": c.name}

    return shape


def _lambda_function(c: _Context) -> tuple[str, dict[str, Any]]:
    arn = c.arn("lambda", f"function:{c.name}")
    return c.name, {
        "arn": arn,
        "name": c.name,
        "qualifiedArn": f"{arn}:$LATEST",
        "version": "$LATEST",
        "invokeArn": f"arn:aws:apigateway:{c.region}:lambda:path/2015-03-31/functions/{arn}"
        "/invocations",
    }


def _s3_bucket(c: _Context) -> tuple[str, dict[str, Any]]:
    bucket = c.inputs.get("bucket") or c.name
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.amazonaws.com",
    }


def _backup_plan(c: _Context) -> tuple[str, dict[str, Any]]:
    plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, c.logical))
    return plan_id, {"arn": c.arn("backup", f"backup-plan:{plan_id}"), "version": "1"}


def _oidc_provider(c: _Context) -> tuple[str, dict[str, Any]]:
    host = str(c.inputs.get("url", "https://token.actions.githubusercontent.com"))
    arn = f"arn:aws:iam::{c.account}:oidc-provider/{host.removeprefix('https://')}"
    return arn, {"arn": arn}


def _docker_image(c: _Context) -> tuple[str, dict[str, Any]]:
    image = str(c.inputs.get("imageName", c.name))
    digest = "sha256:" + _hex(c.logical + image, 64)
    return f"{image}@{digest}", {"repoDigest": f"{image.split(':')[0]}@{digest}"}


def github_account_id(login: str) -> int:
    """The numeric ID the offline GitHub gives an organisation or user (stable per login)."""
    return int(_hex(login, 6), 16)


def github_repository_id(full_name: str) -> int:
    """The numeric ID the offline GitHub gives a repository (stable per ``owner/name``)."""
    return int(_hex(full_name.lower(), 7), 16) + 100_000_000


@dataclass(frozen=True)
class GithubRepository:
    """A repository as the offline GitHub knows it; unknown repositories are public ones whose
    IDs follow :func:`github_account_id` and :func:`github_repository_id`."""

    full_name: str
    """``owner/name`` as GitHub spells it."""
    visibility: str = "public"
    exists: bool = True
    """False: the provider answers as for a 404 (an empty result, no error)."""
    owner_type: str = "organization"
    """``user``: the owner is a personal account, which ``get_organization`` cannot read."""


def _get_repository(full_name: str, known: Mapping[str, GithubRepository]) -> dict[str, Any]:
    """``github:index/getRepository:getRepository`` in the provider's shape: looked up
    case-insensitively (as GitHub does), answering with GitHub's own spelling."""
    found = next((r for k, r in known.items() if k.lower() == full_name.lower()), None)
    repository = found or GithubRepository(full_name)
    if not repository.exists:
        # terraform-provider-github's data source clears the ID on a 404 and sets nothing else.
        return {"id": "", "fullName": full_name}
    name = repository.full_name.split("/", 1)[1]
    repo_id = github_repository_id(repository.full_name)
    return {
        "id": name,
        "name": name,
        "fullName": repository.full_name,
        "repoId": repo_id,
        "nodeId": "R_kgDO" + _hex(repository.full_name, 8),
        "visibility": repository.visibility,
        "private": repository.visibility != "public",
        "defaultBranch": "main",
        "archived": False,
        "fork": False,
        "htmlUrl": f"https://github.com/{repository.full_name}",
        "httpCloneUrl": f"https://github.com/{repository.full_name}.git",
        "sshCloneUrl": f"git@github.com:{repository.full_name}.git",
        "gitCloneUrl": f"git://github.com/{repository.full_name}.git",
        "svnUrl": f"https://github.com/{repository.full_name}",
        "description": "",
        "topics": [],
        "pages": [],
        "templates": [],
        "repositoryLicenses": [],
    }


def _github(prefix: str) -> Shape:
    def shape(c: _Context) -> tuple[str, dict[str, Any]]:
        return f"{prefix}{_hex(c.logical, 8)}", {"etag": 'W/"' + _hex(c.logical, 32) + '"'}

    return shape


_SHAPES: dict[str, Shape] = {
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": lambda c: (c.name, {"arn": c.arn("kms", c.name)}),
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": lambda c: (
        c.account,
        {"registryId": c.account},
    ),
    "aws:iam/role:Role": _iam_role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/policy:Policy": lambda c: (
        f"arn:aws:iam::{c.account}:policy/{c.name}",
        {"arn": f"arn:aws:iam::{c.account}:policy/{c.name}", "policyId": c.short("ANPA")},
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _ec2("subnet"),
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", resource="internet-gateway"),
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _ec2("nat", resource="natgateway"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", resource="route-table"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", resource="security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", resource="security-group"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2(
        "sgr", resource="security-group-rule"
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2(
        "sgr", resource="security-group-rule"
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": _ec2("fl", resource="vpc-flow-log"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named_arn("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/dashboard:Dashboard": lambda c: (
        c.name,
        {"dashboardArn": f"arn:aws:cloudwatch::{c.account}:dashboard/{c.name}"},
    ),
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:acm/certificate:Certificate": _acm_certificate,
    "aws:route53/record:Record": _route53_record,
    "aws:lb/listener:Listener": _listener,
    "aws:appautoscaling/policy:Policy": lambda c: (
        c.name,
        {"arn": c.arn("autoscaling", f"scalingPolicy:{_hex(c.logical, 8)}:policyName/{c.name}")},
    ),
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _secret_version,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:sns/topic:Topic": _named_arn("sns", "{name}"),
    "aws:lambda/function:Function": _lambda_function,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:backup/vault:Vault": _named_arn("backup", "backup-vault:{name}"),
    "aws:backup/plan:Plan": _backup_plan,
    "aws:cloudtrail/trail:Trail": _named_arn("cloudtrail", "trail/{name}"),
    "docker:index/image:Image": _docker_image,
    "github:index/repositoryEnvironment:RepositoryEnvironment": _github("env-"),
    "github:index/repositoryRuleset:RepositoryRuleset": _github("ruleset-"),
    "github:index/repositoryFile:RepositoryFile": _github("file-"),
    "github:index/branch:Branch": _github("branch-"),
    "github:index/repositoryPullRequest:RepositoryPullRequest": lambda c: (
        str(int(_hex(c.logical, 6), 16) % 9000 + 100),
        {"number": int(_hex(c.logical, 6), 16) % 9000 + 100},
    ),
}
"""Computed outputs per resource type, in the shapes AWS and GitHub really return."""


@dataclass(frozen=True)
class HostedZone:
    """A Route 53 hosted zone as ``GetHostedZone`` describes it."""

    name: str
    """The zone's domain, with Route 53's trailing dot."""
    private: bool = False


EXAMPLE_HOSTED_ZONES: Mapping[str, HostedZone] = {
    "Z0123456789ABCDEFGHIJ": HostedZone("acme-corp.example."),
}
"""The hosted zones the offline account holds unless a run says otherwise: the public zone of
the examples' domain (``storefront.acme-corp.example`` in ``Pulumi.prod.yaml``)."""


class AwsMocks(pulumi_mocks.Mocks):
    """Answers resource creations and invokes with values in AWS's and GitHub's real shapes."""

    def __init__(
        self,
        region: str,
        stack: str,
        ssm_parameters: Mapping[str, str] | None = None,
        github_repositories: Mapping[str, GithubRepository] | None = None,
        hosted_zones: Mapping[str, HostedZone] | None = None,
    ) -> None:
        self.region = region
        self.hosted_zones = dict(EXAMPLE_HOSTED_ZONES if hosted_zones is None else hosted_zones)
        """Route 53 hosted zones by ID; any other ID answers as Route 53 does (no such zone)."""
        self.stack = stack
        self.ssm_parameters = dict(ssm_parameters or {})
        """Live SSM parameters (name to value) that invokes see: what CI wrote, for example."""
        self.github_repositories = dict(github_repositories or {})
        """Repositories that differ from the default answer (public, IDs from the name)."""
        self.provider_regions: dict[str, str] = {}
        """Explicit AWS providers (logical name to region), so that what the program creates
        through one gets ARNs in that provider's region (a resource's own ``region`` input, as
        the DR region's vault and key have, wins)."""

    # Physical names: the given ``name`` input, or Pulumi's auto-name (logical name + suffix).
    def _physical(self, args: pulumi_mocks.MockResourceArgs) -> str:
        given = args.inputs.get("name")
        if isinstance(given, str) and given:
            return given
        return f"{args.name}-{_hex(self.stack + args.name, 7)}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = self._physical(args)
        state: dict[str, Any] = dict(args.inputs)
        if args.typ == "pulumi:providers:aws" and args.inputs.get("region"):
            self.provider_regions[args.name] = str(args.inputs["region"])
        # A provider reference is "<provider URN>::<provider ID>"; the URN ends in its name.
        provider_name = (args.provider or "").rsplit("::", 1)[0].rsplit("::", 1)[-1]
        region = self.provider_regions.get(provider_name, self.region)
        if args.typ.startswith("aws:") and isinstance(args.inputs.get("region"), str):
            # pulumi-aws 7's per-resource region: the resource's own, over its provider's.
            region = args.inputs["region"]
        shape = _SHAPES.get(args.typ)
        context = _Context(region, ACCOUNT_ID, name, args.name, state)
        if shape is not None:
            resource_id, computed = shape(context)
            state.update(computed)
        else:
            resource_id = name
            module = args.typ.split(":")[1].split("/")[0] if args.typ.startswith("aws:") else ""
            if module:
                state.setdefault("arn", f"arn:aws:{module}:{region}:{ACCOUNT_ID}:{name}")
        if args.typ.startswith("aws:"):
            state.setdefault("tagsAll", state.get("tags") or {})
        return resource_id, state

    def call(
        self, args: pulumi_mocks.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/slipway-deployer/session",
                "userId": "AROA3XFRBF23EXAMPLE:session",
                "id": ACCOUNT_ID,
            }, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            # What the provider answers for the caller above: the role behind the session.
            return {
                "arn": args.args["arn"],
                "issuerArn": f"arn:aws:iam::{ACCOUNT_ID}:role/slipway-deployer",
                "issuerId": "AROA3XFRBF23EXAMPLE",
                "issuerName": "slipway-deployer",
                "sessionName": "session",
                "id": args.args["arn"],
            }, []
        if token == "aws:index/getPartition:getPartition":
            partition = region_partition(self.region)
            return {
                "partition": partition["partition"],
                "dnsSuffix": partition["dnsSuffix"],
                "reverseDnsPrefix": ".".join(reversed(partition["dnsSuffix"].split("."))),
                "id": partition["partition"],
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            }, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": [f"{self.region}{s}" for s in "abc"],
                "zoneIds": [
                    f"{self.region[:2]}{self.region.split('-')[1][:1]}1-az{i}" for i in (1, 2, 3)
                ],
                "id": self.region,
                "state": "available",
            }, []
        if token == "aws:ssm/getParametersByPath:getParametersByPath":
            path = str(args.args["path"]).rstrip("/") + "/"
            names = sorted(n for n in self.ssm_parameters if n.startswith(path))
            return {
                "path": args.args["path"],
                "names": names,
                "values": [self.ssm_parameters[n] for n in names],
                "types": ["String" for _ in names],
                "arns": [f"arn:aws:ssm:{self.region}:{ACCOUNT_ID}:parameter{n}" for n in names],
                "id": args.args["path"],
            }, []
        if token == "aws:route53/getZone:getZone":
            zone_id = str(args.args["zoneId"])
            zone = self.hosted_zones.get(zone_id)
            if zone is None:
                raise RuntimeError(f"NoSuchHostedZone: No hosted zone found with ID: {zone_id}")
            return {
                "id": zone_id,
                "zoneId": zone_id,
                "name": zone.name,
                "privateZone": zone.private,
                "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
                "nameServers": [f"ns-{i}.awsdns-{i:02d}.net" for i in (1, 2, 3, 4)],
                "resourceRecordSetCount": 2,
                "comment": "",
                "callerReference": zone_id,
                "linkedServiceDescription": "",
                "linkedServicePrincipal": "",
                "primaryNameServer": "ns-1.awsdns-01.net",
                "tags": {},
                "vpcId": "",
            }, []
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            password = "eyJwYXlsb2FkIjoib2ZmbGluZSJ9"
            return {
                "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
                "userName": "AWS",
                "password": password,
                "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com",
                "expiresAt": "2026-11-24T12:00:00Z",
                "id": self.region,
            }, []
        if token == "github:index/getUser:getUser":
            login = str(args.args["username"])
            user_id = str(github_account_id(login))
            return {"id": user_id, "nodeId": f"U_{_hex(login, 12)}", "login": login}, []
        if token == "github:index/getRepository:getRepository":
            return _get_repository(str(args.args["fullName"]), self.github_repositories), []
        if token == "github:index/getOrganization:getOrganization":
            login = str(args.args["name"])
            users = {
                r.full_name.split("/")[0].lower()
                for r in self.github_repositories.values()
                if r.owner_type == "user"
            }
            if login.lower() in users:
                # What the provider reports for GET /orgs/<a user's login>.
                raise RuntimeError(f"GET https://api.github.com/orgs/{login}: 404 Not Found []")
            return {
                "id": str(github_account_id(login)),
                "login": login,
                "name": login,
                "orgname": login,
                "nodeId": "O_kgDO" + _hex(login, 8),
                "description": "",
                "plan": "team",
                "summaryOnly": bool(args.args.get("summaryOnly")),
                "repositories": [],
                "members": [],
                "users": [],
            }, []
        if token == "github:index/getTeam:getTeam":
            slug = str(args.args["slug"])
            team_id = str(int(_hex(slug, 6), 16))
            return {"id": team_id, "nodeId": f"T_{_hex(slug, 12)}", "slug": slug, "name": slug}, []
        raise NotImplementedError(
            f"the offline runtime has no answer for invoke {token}; add one to AwsMocks.call"
        )


# --------------------------------------------------------------------------------------------
# Stack config as the Pulumi CLI would pass it
# --------------------------------------------------------------------------------------------

STACKS = discover_stacks()
"""The stacks of this project: one per ``Pulumi.<name>.yaml`` beside ``Pulumi.yaml``."""


def stack_settings(stack: str, root: Path = ROOT) -> StackSettings:
    """The validated settings of ``stack``, read from its stack file without running it."""
    from infra.settings import parse_settings, provider_config

    config, secret_keys = load_stack_config(stack, root)
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    secret = {k[len(prefix) :] for k in secret_keys if k.startswith(prefix)}
    provider = provider_config(config, secret_keys)
    settings, _ = parse_settings(raw, secret, stack, provider=provider)
    return settings


# --------------------------------------------------------------------------------------------
# Running the program
# --------------------------------------------------------------------------------------------


_READ_ONLY = (
    "a shared recording is read-only (other tests read the same one); change a copy: "
    "copy.deepcopy(recording), or dataclasses.replace(resource, inputs={...})"
)


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(_READ_ONLY)


class _ReadOnlyList(list[Any]):
    """A list that refuses every change; its copies are plain lists."""

    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


class _ReadOnlyDict(dict[Any, Any]):
    """A dict that refuses every change; its copies are plain dicts."""

    __setitem__ = __delitem__ = __ior__ = _refuse
    pop = popitem = clear = update = setdefault = _refuse

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        return {k: copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


class _ReadOnlySet(set[Any]):
    """A set that refuses every change; its copies are plain sets."""

    add = discard = remove = pop = clear = update = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse

    def __copy__(self) -> set[Any]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> set[Any]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (set, (set(self),))


def _read_only(value: Any) -> Any:
    """``value`` with every dict and list in it made read-only (other values are immutable:
    what the engine's wire format carries)."""
    if isinstance(value, dict):
        return _ReadOnlyDict((k, _read_only(v)) for k, v in value.items())
    if isinstance(value, list):
        return _ReadOnlyList(_read_only(v) for v in value)
    return value


@dataclass
class Recording:
    """Everything one offline run produced."""

    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    region: str = ""
    """``aws:region`` of the run: the region of the default AWS provider."""
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def of_type(self, token: str) -> list[RecordedResource]:
        """All resources of one type token, in registration order."""
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> RecordedResource:
        """The single resource of ``token`` (and ``name``); fails when there is not exactly one."""
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(token)]
            raise LookupError(f"expected one {token} named {name!r}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(urn)

    def read_only(self) -> Recording:
        """A read-only copy, to share between callers (the test suite runs each stack once per
        set of settings): its resources, lists, dicts and sets refuse changes, and so does the
        recording itself. ``copy.deepcopy`` of it is an ordinary, writable recording."""
        shared = Recording(
            stack=self.stack,
            resources=_ReadOnlyList(
                dataclasses.replace(r, inputs=_read_only(r.inputs)) for r in self.resources
            ),
            region=self.region,
            outputs=_read_only(self.outputs),
            secret_outputs=_ReadOnlySet(self.secret_outputs),
            warnings=_ReadOnlyList(self.warnings),
        )
        object.__setattr__(shared, "_read_only", True)
        return shared

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_read_only"):
            raise AttributeError(f"cannot set {name!r}: {_READ_ONLY}")
        super().__setattr__(name, value)

    def __getstate__(self) -> dict[str, Any]:
        # Copies (copy.deepcopy, pickle) are writable recordings.
        return {k: v for k, v in self.__dict__.items() if k != "_read_only"}


class _WarningCollector(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


_EMPTY_STACK_TRACE = source_pb2.StackTrace()


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """Registrations without the program's stack trace and source position.

    The SDK walks the Python stack for every resource it registers (``traceback.extract_stack``
    and a ``file://`` URI for every frame: a sixth of a stack's run) so that the engine can show
    where a resource was declared. The mock monitor drops both, and nothing offline reads
    them, so the walk is skipped while the program runs; the SDK's function is put back after.
    """
    saved = getattr(runtime_resource, "_get_stack_trace", None)
    if saved is None:  # an SDK without the walk: nothing to skip
        yield
        return
    runtime_resource._get_stack_trace = lambda: _EMPTY_STACK_TRACE
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = saved


Program = Callable[[], Mapping[str, Any]]


def default_program(root: Path = ROOT) -> Mapping[str, Any]:
    """What ``infra/__main__.py`` runs: load settings, then build (with the stack files of
    ``root``: the project's own, as ``pulumi up`` reads them, unless a test gives another)."""
    from infra.settings import load_settings
    from infra.stack import build

    return build(*load_settings(), root=root)


def run_program(
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | tuple[str, ...] = (),
    program: Program = default_program,
    preview: bool = False,
    ssm_parameters: Mapping[str, str] | None = None,
    github_repositories: Mapping[str, GithubRepository] | None = None,
    hosted_zones: Mapping[str, HostedZone] | None = None,
) -> Recording:
    """Run ``program`` under the mock runtime with ``config``; return what it registered.

    Exceptions from the program (a :class:`~slipway.ConfigError` for bad settings) propagate
    after the run; the partial recording is attached to them as ``recording``.
    """
    region = config.get("aws:region", "us-east-1")
    recording = Recording(stack=stack, region=region)
    mocks = AwsMocks(
        region=region,
        stack=stack,
        ssm_parameters=ssm_parameters,
        github_repositories=github_repositories,
        hosted_zones=hosted_zones,
    )
    monitor = RecordingMonitor(mocks)
    logger = logging.getLogger(f"slipway.offline.{stack}")
    logger.propagate = False
    logger.handlers = [_WarningCollector(recording.warnings)]
    logger.setLevel(logging.WARNING)

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    # The language host hands a program its config in these variables (the Pulumi CLI's
    # python host, like every other language's); the settings list the keys from them.
    engine_env = {
        "PULUMI_CONFIG": json.dumps(dict(config)),
        "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(secret_keys)),
    }
    saved_env = {name: os.environ.get(name) for name in engine_env}

    async def resolve(outputs: Mapping[str, Any]) -> None:
        for name, value in outputs.items():
            output = pulumi.Output.from_input(value)
            recording.outputs[name] = await output.future(with_unknowns=True)
            if await output.is_secret():
                recording.secret_outputs.add(name)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        return asyncio.ensure_future(resolve(program()))

    # The runtime allocates many short-lived futures; collecting them while the program runs
    # was 46% of a 1,000-resource plan (docs/performance.md). Collect once, afterwards.
    os.environ.update(engine_env)
    collecting = gc.isenabled()
    gc.disable()
    try:
        with _without_source_positions():  # from the stack resource that set_mocks registers
            pulumi.runtime.set_mocks(
                mocks,
                project="slipway",
                stack=stack,
                preview=preview,
                logger=logger,
                monitor=monitor,
            )
            run()
    except BaseException as error:
        recording.resources = list(monitor.records)
        error.recording = recording  # type: ignore[attr-defined]
        raise
    finally:
        if collecting:
            gc.enable()
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    recording.resources = list(monitor.records)
    return recording


def run_stack(
    stack: str,
    overrides: Mapping[str, str | None] | None = None,
    secrets: Mapping[str, str] | None = None,
    program: Program = default_program,
    root: Path = ROOT,
    ssm_parameters: Mapping[str, str] | None = None,
    github_repositories: Mapping[str, GithubRepository] | None = None,
    hosted_zones: Mapping[str, HostedZone] | None = None,
) -> Recording:
    """Run the program for ``stack`` from its ``Pulumi.<stack>.yaml``.

    ``overrides`` replace config values (``None`` removes a key); ``secrets`` add secret values.
    Keys without a namespace are taken as ``slipway:`` keys. ``ssm_parameters`` is the live
    SSM state the program's invokes see (for example an image channel CI has written);
    ``github_repositories`` the repositories GitHub knows differently from the default (public,
    spelled as configured); ``hosted_zones`` the Route 53 zones (default
    :data:`EXAMPLE_HOSTED_ZONES`).
    """
    config, secret_keys = load_stack_config(stack, root)

    def qualified(config_key: str) -> str:
        return config_key if ":" in config_key else f"{NAMESPACE}:{config_key}"

    for config_key, value in (overrides or {}).items():
        if value is None:
            config.pop(qualified(config_key), None)
        else:
            config[qualified(config_key)] = value
    for config_key, value in (secrets or {}).items():
        config[qualified(config_key)] = value
        secret_keys.append(qualified(config_key))
    if program is default_program and root != ROOT:
        program = functools.partial(default_program, root)
    return run_program(
        stack,
        config,
        secret_keys,
        program,
        ssm_parameters=ssm_parameters,
        github_repositories=github_repositories,
        hosted_zones=hosted_zones,
    )
