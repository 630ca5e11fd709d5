"""Slipway bootstrap: the Pulumi state backend and secrets keys of one AWS account.

Run once per account, with a local backend, before any Slipway stack, and again whenever a
stack is added to ``stacks`` (bootstrap/README.md):

* an S3 bucket for Pulumi state: versioned, encrypted with the shared key below (SSE-KMS,
  bucket key on), public access blocked, object ownership enforced (no ACLs), old versions
  expired after ``noncurrentVersionDays``; protected and retained. Its policy
  (:func:`bucket_policy`): TLS only; only the administrators change the bucket; a principal
  tagged ``slipway:environment`` reaches only its own stack's objects under
  ``<app>/.pulumi/`` (:func:`stack_paths`, one generic statement with the principal's tags as
  policy variables, written before any stack exists); untagged principals reach no object
  unless they are administrators.
* the shared KMS key (alias ``alias/slipway-pulumi-secrets``): the bucket's SSE key, and the
  secrets provider of stacks not yet moved to a key of their own; yearly rotation,
  multi-Region, only administrators change it (:func:`key_policy`).
* one KMS key per entry of ``stacks`` (alias ``alias/slipway/<app>/<environment>``): that
  stack's secrets provider; only principals tagged with that stack's app and environment,
  and the administrators, use it (:func:`stack_key_policy`).
* the placeholder image's parts (``slipway.setup.placeholder``), what a new environment serves
  before CI's first deploy: the ECR repository ``slipway/placeholder`` (immutable tags, scan on
  push, KMS encryption; every principal of this account pulls, only the build pushes, only the
  administrators change it: :func:`placeholder_repository_policy`; protected and retained), one
  CodeBuild project per CPU architecture that builds and pushes it, their service role
  (:func:`placeholder_build_policy`) and log group. The set-up command starts the builds.

The bucket's objects are all encrypted with the shared key, so which stack reads which state
is decided by the bucket policy, not by the key; which stack decrypts which config secrets is
decided by the stack keys.

Outputs: ``loginUrl`` and ``secretsProvider`` (the shared ones), ``stackLoginUrls`` (per app,
``s3://<bucket>/<app>``) and ``stackSecretsProviders`` (per ``<app>/<environment>``), the
bucket's and shared key's names and ARNs, ``adminPrincipalArns``, and
``placeholderRepositoryUrl``, ``placeholderRepositoryName`` and ``placeholderBuildProjects``
(per ``slipway:cpuArchitecture``).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

# The placeholder image's sources and the registry's action lists come from this checkout's
# library (components/slipway), also when the Pulumi CLI installed only requirements.txt.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "components"))

from slipway.registry import PULL_ACTIONS, PUSH_ACTIONS
from slipway.setup import placeholder

PROJECT = "slipway-bootstrap"
"""Pulumi.yaml's project name: the namespace of this program's settings."""
KEY_ALIAS = "alias/slipway-pulumi-secrets"
"""Alias of the shared key (the bucket's SSE key); the ``awskms://`` URL of stacks not yet
moved to a key of their own names it."""
STACK_KEY_ALIAS = "alias/slipway/{app}/{environment}"
"""Alias of one stack's secrets key (:func:`stack_key_policy`)."""
BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DEFAULT_NONCURRENT_DAYS = 90
DEFAULT_PROJECTS = ("slipway",)
"""Pulumi.yaml's ``name`` of the Slipway program: the ``<project>`` of its state paths."""
NAME_PART = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
STACK = re.compile(
    r"^(?P<app>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)/(?P<env>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$"
)
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:[\w+=,.@/*-]+$")

APP_TAG = "slipway:app"
ENVIRONMENT_TAG = "slipway:environment"
"""The principal tags that say which stack a role belongs to. Every role a stack registers
carries them, and each stack's permissions boundary denies setting them to another stack's
values or removing them (``slipway.stack_boundary``: ``OtherEnvironmentTags``,
``OtherApplicationTags``, ``KeepEnvironmentTags``), so a stack cannot wear another's."""
APP_VARIABLE = f"${{aws:PrincipalTag/{APP_TAG}}}"
ENVIRONMENT_VARIABLE = f"${{aws:PrincipalTag/{ENVIRONMENT_TAG}}}"

OBJECT_ACTIONS = "s3:*Object*"
"""Every object-level action: Get/Put/Delete/Restore/Replicate Object, their Version, Acl,
Tagging, Retention and LegalHold forms, and GetObjectAttributes (``s3:ListBucket`` is a
bucket-level action and stays open: it shows names, never contents)."""
META_WRITES = ("s3:DeleteObject*", "s3:PutObject*")
BUCKET_CHANGES = ("s3:Delete*", "s3:Put*")
"""Bucket-level writes (policy, encryption, versioning, lifecycle, replication, public access
block, ownership, object lock, deletion). Matched against the bucket's own ARN only, so the
object actions whose names also start with ``Put``/``Delete`` are not touched by them."""
KEY_CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
KEY_CHANGES = (
    "kms:CancelKeyDeletion",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
)
"""What would let a principal give itself a key, take it away from others, or destroy it:
only the administrators may (a grant is an allow outside the key policy, so it is a change)."""


def stack_paths(bucket_arn: str, projects: tuple[str, ...]) -> list[str]:
    """The objects a stack's principals may touch, written once for every stack with the
    principal's own tags as policy variables. ``<app>/`` is the prefix of the app's login URL
    (``s3://<bucket>/<app>``: the diy backend opens a ``PrefixedBucket`` on the URL's path,
    pulumi/pulumi pkg/backend/diy/backend.go:287-295). Below it, the diy backend's paths
    (pulumi/pulumi at 1b59498, v3.260 development; the pin is 3.272.0, whose tree could not be
    fetched here):

    * ``.pulumi/meta.yaml`` (meta.go:30, read on login; written only to an empty store);
    * ``.pulumi/stacks/<project>/<stack>`` + ``.json``, ``.json.gz``, ``.json.zst``
      (store.go:122-126, 63-65), each with ``.bak`` (state.go:471), and ``.pulumi-tags``
      (stack_tags.go:41), and ``.json.<unix-nanos>`` with PULUMI_RETAIN_CHECKPOINTS
      (state.go:364): ``<stack>.*``;
    * ``.pulumi/history/<project>/<stack>/`` (store.go:128-131, state.go:696);
    * ``.pulumi/backups/<project>/<stack>/`` (store.go:133-136, state.go:520);
    * ``.pulumi/locks/organization/<project>/<stack>/<uuid>.json`` (lock.go:166-178, with the
      fully qualified name ``organization/<project>/<stack>`` of backend.go:190-195).

    A stack is selected by its environment's name: the stack name must equal
    ``slipway:environment``."""
    root = f"{bucket_arn}/{APP_VARIABLE}/.pulumi"
    env = ENVIRONMENT_VARIABLE
    paths = [f"{root}/meta.yaml"]
    for project in projects:
        paths += [
            f"{root}/stacks/{project}/{env}.*",
            f"{root}/history/{project}/{env}/*",
            f"{root}/backups/{project}/{env}/*",
            f"{root}/locks/organization/{project}/{env}/*",
        ]
    return paths


def _not_admin(admins: list[str]) -> dict[str, Any]:
    return {"ArnNotLike": {"aws:PrincipalArn": admins}}


PLACEHOLDER_PUSHES = tuple(sorted(set(PUSH_ACTIONS) - set(PULL_ACTIONS) - {"ecr:DescribeImages"}))
"""What writes an image (layers and manifest): only the placeholder build may."""
PLACEHOLDER_CHANGES = (
    "ecr:BatchDeleteImage",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:ReplicateImage",
    "ecr:SetRepositoryPolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
)
"""What would let a principal swap, delete or unprotect the placeholder every new environment
runs: only the administrators may. A stack's roles are refused by this policy, not by their
boundary: the repository carries no ``slipway:environment`` tag (it serves every stack)."""
PLACEHOLDER_LOG_RETENTION_DAYS = 14


def placeholder_repository_policy(account_id: str, build_role_arn: str, admins: list[str]) -> str:
    """The placeholder repository's policy: every principal of this account may pull (a stack's
    task execution role is granted only its own repository, ``slipway.fargate_task``,
    ``execution_role_statements``; within one account a repository policy's grant is enough:
    IAM User Guide, "Policy evaluation logic", same-account requests), no other account may; only
    the build role pushes; only ``admins`` change or delete the repository or its images."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountPulls",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": list(PULL_ACTIONS),
                    "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
                },
                {
                    "Sid": "OnlyTheBuildPushes",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": list(PLACEHOLDER_PUSHES),
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": build_role_arn}},
                },
                {
                    "Sid": "OnlyAdministratorsChangeTheRepository",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": list(PLACEHOLDER_CHANGES),
                    "Condition": _not_admin(admins),
                },
            ],
        }
    )


def placeholder_build_policy(repository_arn: str, log_group_arn: str) -> str:
    """The build role: its own log group, ECR's login token (``GetAuthorizationToken`` takes no
    resource) and push to the placeholder repository only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteBuildLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
                },
                {
                    "Sid": "EcrLogin",
                    "Effect": "Allow",
                    "Action": "ecr:GetAuthorizationToken",
                    "Resource": "*",
                },
                {
                    "Sid": "PushThePlaceholder",
                    "Effect": "Allow",
                    "Action": list(PUSH_ACTIONS),
                    "Resource": repository_arn,
                },
            ],
        }
    )


def placeholder_build_trust_policy(account_id: str, partition: str, region: str) -> str:
    """CodeBuild assumes the build role for this account's placeholder projects only (the
    confused-deputy conditions of the CodeBuild User Guide, "Cross-service confused deputy
    prevention": ``aws:SourceAccount`` and ``aws:SourceArn``)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:{partition}:codebuild:{region}:{account_id}:"
                            "project/slipway-placeholder-*"
                        },
                    },
                }
            ],
        }
    )


def key_policy(
    account_id: str, partition: str, admins: list[str], s3_service: str | None = None
) -> str:
    """The shared key: the account administers and uses it through IAM, as AWS's default, but
    only ``admins`` may change, grant, disable or delete it. With ``s3_service``
    (``s3.<region>.<partition's DNS suffix>``), nobody but the administrators may use it except
    through S3 in that region (``kms:ViaService``; KMS Developer Guide, "kms:ViaService"): the key
    then only encrypts the bucket, and old ciphertexts of it (secrets of stacks from before
    their own keys) cannot be decrypted with it directly."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "OnlyAdministratorsChangeTheKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(KEY_CHANGES),
            "Resource": "*",
            "Condition": _not_admin(admins),
        },
    ]
    if s3_service is not None:
        statements.append(
            {
                "Sid": "OthersUseTheKeyThroughS3Only",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(KEY_CRYPTO),
                "Resource": "*",
                "Condition": {
                    **_not_admin(admins),
                    "StringNotEquals": {"kms:ViaService": s3_service},
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def stack_key_policy(
    account_id: str, partition: str, admins: list[str], app: str, environment: str
) -> str:
    """One stack's secrets key: as :func:`key_policy`, and only principals tagged with this
    stack's ``slipway:app`` and ``slipway:environment`` (or the administrators) may encrypt,
    decrypt or re-encrypt with it. ``StringNotEquals`` is true when the tag is missing, so
    untagged principals are refused too."""
    document = json.loads(key_policy(account_id, partition, admins))
    for sid, tag, value in (
        ("OnlyThisEnvironmentUsesTheKey", ENVIRONMENT_TAG, environment),
        ("OnlyThisApplicationUsesTheKey", APP_TAG, app),
    ):
        document["Statement"].append(
            {
                "Sid": sid,
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(KEY_CRYPTO),
                "Resource": "*",
                "Condition": {
                    **_not_admin(admins),
                    "StringNotEquals": {f"aws:PrincipalTag/{tag}": value},
                },
            }
        )
    return json.dumps(document)


def bucket_policy(bucket_arn: str, admins: list[str], projects: tuple[str, ...]) -> str:
    """Bucket policy: TLS only; only ``admins`` change the bucket; a stack's principals (those
    tagged ``slipway:app`` and ``slipway:environment``) reach only their own stack's objects
    (:func:`stack_paths`); principals missing either tag reach no object unless they are
    administrators."""
    objects = f"{bucket_arn}/*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, objects],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "OnlyAdministratorsChangeTheBucket",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": list(BUCKET_CHANGES),
                    "Resource": bucket_arn,
                    "Condition": _not_admin(admins),
                },
                {
                    "Sid": "StacksReachOnlyTheirOwnState",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": OBJECT_ACTIONS,
                    "NotResource": stack_paths(bucket_arn, projects),
                    "Condition": {
                        "Null": {
                            f"aws:PrincipalTag/{ENVIRONMENT_TAG}": "false",
                            f"aws:PrincipalTag/{APP_TAG}": "false",
                        }
                    },
                },
                {
                    # Shared by the app's stacks: read on login, written only to an empty store
                    # (meta.go:117-166) or by `pulumi state upgrade`, an administrator's job.
                    # A stack that rewrote it could stop every other stack's pulumi.
                    "Sid": "StacksOnlyReadTheStoreMeta",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": list(META_WRITES),
                    "Resource": f"{bucket_arn}/*/.pulumi/meta.yaml",
                    "Condition": {"Null": {f"aws:PrincipalTag/{ENVIRONMENT_TAG}": "false"}},
                },
                *(
                    {
                        "Sid": sid,
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": OBJECT_ACTIONS,
                        "Resource": objects,
                        "Condition": {
                            **_not_admin(admins),
                            "Null": {f"aws:PrincipalTag/{tag}": "true"},
                        },
                    }
                    for sid, tag in (
                        ("UntaggedPrincipalsOnlyAdministrators", ENVIRONMENT_TAG),
                        # A policy variable AWS cannot resolve can make its whole statement
                        # invalid (IAM User Guide, "IAM policy elements: Variables and
                        # tags"): a principal with the environment tag but no app tag is
                        # refused here, not left to the statement above.
                        ("PrincipalsWithoutAnAppOnlyAdministrators", APP_TAG),
                    )
                ),
            ],
        }
    )


@dataclass(frozen=True)
class Settings:
    """The program's settings, validated before anything is created."""

    bucket_name: str | None
    noncurrent_days: int
    admins: tuple[str, ...]
    """``adminPrincipalArns``; empty: the role (or user) that runs this program."""
    stacks: tuple[tuple[str, str], ...]
    """``stacks``: (app, environment) of every stack that gets a secrets key of its own."""
    projects: tuple[str, ...]
    shared_key_secrets: bool
    """``sharedKeyDecryptsSecrets``: stacks not yet moved to their own key still use the shared
    key as their secrets provider, so it may be used outside S3."""
    placeholder_image: bool = True
    """``placeholderImage``: the placeholder image's repository, build projects, role and log
    group (the set-up command turns it off when given ``--bootstrap-image``)."""


def settings() -> Settings:
    """The settings, validated before anything is created."""
    config = pulumi.Config(PROJECT)
    name = config.get("stateBucketName")
    days = config.get_int("noncurrentVersionDays") or DEFAULT_NONCURRENT_DAYS
    admins = config.get_object("adminPrincipalArns") or []
    stacks = config.get_object("stacks") or []
    projects = config.get_object("projects")
    projects = list(DEFAULT_PROJECTS) if projects is None else projects
    shared = config.get_bool("sharedKeyDecryptsSecrets")
    placeholder_image = config.get_bool("placeholderImage")
    problems = []
    if name is not None and not BUCKET_NAME.match(name):
        problems.append(f"stateBucketName: got {name!r}; a valid S3 bucket name (3-63, a-z0-9.-)")
    if not 1 <= days <= 3650:
        problems.append(f"noncurrentVersionDays: got {days}; 1 to 3650")
    if not (
        isinstance(admins, list)
        and all(isinstance(a, str) and PRINCIPAL_ARN.match(a) for a in admins)
    ):
        problems.append(
            f"adminPrincipalArns: got {admins!r}; a list of IAM role or user ARNs (wildcards "
            "allowed), e.g. arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*"
        )
    matches = (
        [STACK.match(s) if isinstance(s, str) else None for s in stacks]
        if isinstance(stacks, list)
        else [None]
    )
    if not all(matches) or len(set(map(str, stacks))) != len(stacks):
        problems.append(
            f"stacks: got {stacks!r}; a list of distinct '<app>/<environment>' (lower-case "
            "letters, digits and '-'), e.g. storefront/prod"
        )
    if not (
        isinstance(projects, list)
        and projects
        and all(isinstance(p, str) and NAME_PART.match(p) for p in projects)
    ):
        problems.append(
            f"projects: got {projects!r}; a non-empty list of Pulumi project names "
            "(lower-case letters, digits and '-')"
        )
    if problems:
        raise ValueError("; ".join(problems))
    return Settings(
        bucket_name=name,
        noncurrent_days=days,
        admins=tuple(admins),
        stacks=tuple((m["app"], m["env"]) for m in matches if m),
        projects=tuple(projects),
        shared_key_secrets=True if shared is None else shared,
        placeholder_image=True if placeholder_image is None else placeholder_image,
    )


def placeholder_image(
    region: pulumi.Output[str],
    account_id: pulumi.Output[str],
    partition: pulumi.Output[str],
    admins: pulumi.Output[list[str]],
) -> dict[str, Any]:
    """The placeholder image's repository, build projects, build role and log group; their
    outputs."""
    tags = {"slipway:purpose": "placeholder-image"}
    repository = aws.ecr.Repository(
        "placeholder",
        name=placeholder.REPOSITORY,
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
            scan_on_push=True
        ),
        encryption_configurations=[
            aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")
        ],
        force_delete=False,
        tags=tags,
        # Every stack's first `up` names one of its digests.
        opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True),
    )
    log_group = aws.cloudwatch.LogGroup(
        "placeholder-build-logs",
        name="/slipway/placeholder-build",
        retention_in_days=PLACEHOLDER_LOG_RETENTION_DAYS,
        tags=tags,
    )
    role = aws.iam.Role(
        "placeholder-build",
        name="slipway-placeholder-build",
        description="CodeBuild builds and pushes Slipway's placeholder image",
        assume_role_policy=pulumi.Output.all(account_id, partition, region).apply(
            lambda v: placeholder_build_trust_policy(str(v[0]), str(v[1]), str(v[2]))
        ),
        tags=tags,
    )
    role_policy = aws.iam.RolePolicy(
        "placeholder-build-policy",
        role=role.id,
        policy=pulumi.Output.all(repository.arn, log_group.arn).apply(
            lambda v: placeholder_build_policy(str(v[0]), str(v[1]))
        ),
    )
    aws.ecr.RepositoryPolicy(
        "placeholder-policy",
        repository=repository.name,
        policy=pulumi.Output.all(account_id, role.arn, admins).apply(
            lambda v: placeholder_repository_policy(str(v[0]), str(v[1]), list(v[2]))
        ),
    )
    projects: dict[str, pulumi.Output[str]] = {}
    for key, architecture in placeholder.ARCHITECTURES.items():
        project = aws.codebuild.Project(
            f"placeholder-build-{architecture.platform}",
            name=architecture.project,
            description=f"Builds Slipway's placeholder image for {architecture.platform}",
            service_role=role.arn,
            source=aws.codebuild.ProjectSourceArgs(
                type="NO_SOURCE", buildspec=placeholder.buildspec(key)
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                compute_type="BUILD_GENERAL1_SMALL",
                image=architecture.image,
                type=architecture.environment_type,
                image_pull_credentials_type="CODEBUILD",
                # Docker needs it: "Enables running the Docker daemon inside a Docker
                # container" (botocore's codebuild model, ProjectEnvironment.privilegedMode).
                privileged_mode=True,
                environment_variables=[
                    aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                        name="REPOSITORY_URI", value=repository.repository_url, type="PLAINTEXT"
                    )
                ],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    group_name=log_group.name, status="ENABLED"
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            build_timeout=20,
            queued_timeout=60,
            tags=tags,
            opts=pulumi.ResourceOptions(depends_on=[role_policy]),
        )
        projects[key] = project.name
    return {
        "placeholderRepositoryUrl": repository.repository_url,
        "placeholderRepositoryName": repository.name,
        "placeholderBuildProjects": projects,
    }


def main() -> dict[str, Any]:
    """Create the bucket and the keys; return the outputs (also exported)."""
    config = settings()
    region = aws.get_region_output().region
    identity = aws.get_caller_identity_output()
    partition_data = aws.get_partition_output()
    partition = partition_data.partition
    s3_service = pulumi.Output.concat("s3.", region, ".", partition_data.dns_suffix)
    stateful = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    tags = {"slipway:purpose": "pulumi-state"}
    admins: pulumi.Output[list[str]] = (
        pulumi.Output.from_input(list(config.admins))
        if config.admins
        # The role behind the running session (its path included, as aws:PrincipalArn has it).
        else aws.iam.get_session_context_output(arn=identity.arn).issuer_arn.apply(
            lambda arn: [arn]
        )
    )

    def policy_of(render: Any) -> pulumi.Output[str]:
        return pulumi.Output.all(identity.account_id, partition, admins, s3_service).apply(
            lambda v: render(str(v[0]), str(v[1]), list(v[2]), str(v[3]))
        )

    key = aws.kms.Key(
        "state-key",
        description="State bucket of Slipway (SSE-KMS); secrets of stacks not yet on their own key",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        multi_region=True,
        policy=policy_of(
            lambda account, part, names, s3: key_policy(
                account, part, names, None if config.shared_key_secrets else s3
            )
        ),
        tags=tags,
        opts=stateful,
    )
    aws.kms.Alias("state-key-alias", name=KEY_ALIAS, target_key_id=key.key_id)

    secrets_providers: dict[str, pulumi.Output[str]] = {}
    stack_key_arns: dict[str, pulumi.Output[str]] = {}
    for app, environment in config.stacks:
        stack_key = aws.kms.Key(
            f"secrets-key-{app}-{environment}",
            description=f"Pulumi secrets provider of the stack {environment} of {app}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            multi_region=True,
            policy=policy_of(
                lambda account, part, names, _, a=app, e=environment: stack_key_policy(
                    account, part, names, a, e
                )
            ),
            tags={**tags, "slipway:app": app, "slipway:environment": environment},
            opts=stateful,
        )
        alias = STACK_KEY_ALIAS.format(app=app, environment=environment)
        aws.kms.Alias(
            f"secrets-key-{app}-{environment}-alias", name=alias, target_key_id=stack_key.key_id
        )
        secrets_providers[f"{app}/{environment}"] = pulumi.Output.concat(
            "awskms://", alias, "?region=", region
        )
        stack_key_arns[f"{app}/{environment}"] = stack_key.arn

    bucket_name: pulumi.Input[str] = config.bucket_name or pulumi.Output.concat(
        "slipway-pulumi-state-", identity.account_id, "-", region
    )
    bucket = aws.s3.Bucket(
        "state",
        bucket=bucket_name,
        force_destroy=False,
        tags=tags,
        opts=stateful,
    )
    aws.s3.BucketPublicAccessBlock(
        "state-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketOwnershipControls(
        "state-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
    )
    aws.s3.BucketVersioning(
        "state-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
    )
    sse_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "state-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=sse_default(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    aws.s3.BucketLifecycleConfiguration(
        "state-lifecycle",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-old-state-versions",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=(
                    aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=config.noncurrent_days
                    )
                ),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    )
                ),
            )
        ],
    )
    aws.s3.BucketPolicy(
        "state-policy",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, admins).apply(
            lambda v: bucket_policy(str(v[0]), list(v[1]), config.projects)
        ),
    )

    placeholder_parts = (
        placeholder_image(region, identity.account_id, partition, admins)
        if config.placeholder_image
        else {}
    )

    outputs: dict[str, Any] = {
        "stateBucketName": bucket.bucket,
        "stateBucketArn": bucket.arn,
        "secretsKeyArn": key.arn,
        "secretsKeyId": key.key_id,
        "secretsKeyAlias": KEY_ALIAS,
        "loginUrl": pulumi.Output.concat("s3://", bucket.bucket, "?region=", region, "&awssdk=v2"),
        "secretsProvider": pulumi.Output.concat("awskms://", KEY_ALIAS, "?region=", region),
        "stackLoginUrls": {
            app: pulumi.Output.concat(
                "s3://", bucket.bucket, "/", app, "?region=", region, "&awssdk=v2"
            )
            for app in sorted({app for app, _ in config.stacks})
        },
        "stackSecretsProviders": secrets_providers,
        "stackSecretsKeyArns": stack_key_arns,
        "adminPrincipalArns": admins,
        **placeholder_parts,
    }
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs


if __name__ == "__main__":
    main()
