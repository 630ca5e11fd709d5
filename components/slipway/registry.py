"""``ContainerRegistry``: an ECR repository with the defaults a production registry needs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import (
    EncryptionKeyArgs,
    deletion_window_problems,
    given_or_new_key_arn,
)
from slipway.errors import ConfigError, invalid, is_whole
from slipway.iam import allow, policy_document, role_name_of
from slipway.jsonout import json_output
from slipway.patterns import ACCOUNT_ID

REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
"""ECR's own rule for repository names (lower case, '/' separates namespaces)."""
TAG_PATTERN = re.compile(r"^[A-Za-z0-9._*-]{1,128}$")


def untagged_expiry_problems(days: object, setting: str) -> list[str]:
    """The one rule for how long untagged images live: 1 to 365 days."""
    return [] if is_whole(days, 1, 365) else [invalid(setting, days, "1 to 365")]


def keep_release_problems(count: object, setting: str) -> list[str]:
    """The one rule for how many release images the registry keeps: 1 to 1000."""
    return [] if is_whole(count, 1, 1000) else [invalid(setting, count, "1 to 1000")]


def release_tag_pattern_problems(patterns: Sequence[str], setting: str) -> list[str]:
    """The one rule for the tag patterns that mark release images (ECR's ``tagPatternList``:
    :data:`TAG_PATTERN`, at most 4 wildcards), one or more, never a lone ``*``."""
    if patterns and all(TAG_PATTERN.match(p) and p.count("*") <= 4 and p != "*" for p in patterns):
        return []
    return [
        invalid(
            setting,
            list(patterns),
            "one or more ECR tag patterns of letters, digits, '.', '_', '-' and at most "
            "4 '*' wildcards (a lone '*' would match every tagged image)",
        )
    ]


def pull_account_problems(account_ids: Sequence[str], setting: str) -> list[str]:
    """The one rule for the accounts allowed to pull: 12-digit AWS account IDs."""
    bad = [a for a in account_ids if not ACCOUNT_ID.match(a)]
    return [invalid(setting, bad, "12-digit AWS account IDs")] if bad else []


PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
PUSH_ACTIONS = (
    *PULL_ACTIONS,
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
"""Push also lets CI read image metadata (``DescribeImages``) to check a digest before deploying.
No KMS action: ECR encrypts and decrypts the repository's images with the key under its own
grant, made when the repository is created (:data:`slipway.preview_access.IMAGE_WRITES` cites
the Amazon ECR User Guide)."""


def _untagged_rule(untagged_expiry_days: int) -> dict[str, Any]:
    return {
        "rulePriority": 1,
        "description": f"Expire untagged images after {untagged_expiry_days} days",
        "selection": {
            "tagStatus": "untagged",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": untagged_expiry_days,
        },
        "action": {"type": "expire"},
    }


def lifecycle_policy_document(
    untagged_expiry_days: int,
    keep_release_images: int,
    release_tag_patterns: Sequence[str],
    tagged_expiry_days: int | None = None,
) -> dict[str, Any]:
    """ECR lifecycle rules: drop untagged images after N days, keep the newest N releases.

    Rule 1 expires untagged images (left behind by re-pushed manifests and multi-platform
    builds). Rule 2 keeps the newest ``keep_release_images`` images whose tag matches a release
    pattern and expires older ones. Images with other tags (``sha-…``) are never expired by
    these rules, so a digest that an environment runs cannot disappear under it.

    With ``tagged_expiry_days`` (the preview repository, ``pr-*``), rule 2 instead expires
    every image whose tag matches a pattern that many days after its push (``sinceImagePushed``
    counts whole days: https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html).
    """
    if tagged_expiry_days is not None:
        return {
            "rules": [
                _untagged_rule(untagged_expiry_days),
                {
                    "rulePriority": 2,
                    "description": f"Expire {', '.join(release_tag_patterns)} images after "
                    f"{tagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": list(release_tag_patterns),
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": tagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    return {
        "rules": [
            _untagged_rule(untagged_expiry_days),
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_release_images} release images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": list(release_tag_patterns),
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_release_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def repository_policy_statements(
    account_id: pulumi.Input[str],
    pull_account_ids: Sequence[str],
    partition: pulumi.Input[str],
) -> list[dict[str, Any]]:
    """Statements of the repository policy.

    * ``DenyOutsideAllowedAccounts``: a data perimeter. Principals from any account other than
      this one and the listed pull accounts are refused, whatever their own IAM policies say.
      AWS services acting for the account (replication, scanning) are not affected.
    * ``AllowCrossAccountPull``: only when ``pull_account_ids`` is set, read-only pulls for
      those accounts.
    """
    accounts: list[Any] = [account_id, *pull_account_ids]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyOutsideAllowedAccounts",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "ecr:*",
            "Condition": {
                "StringNotEquals": {"aws:PrincipalAccount": accounts},
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
        }
    ]
    if pull_account_ids:
        statements.append(
            {
                "Sid": "AllowCrossAccountPull",
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        pulumi.Output.concat("arn:", partition, ":iam::", a, ":root")
                        for a in pull_account_ids
                    ]
                },
                "Action": list(PULL_ACTIONS),
            }
        )
    return statements


@dataclass(frozen=True)
class ContainerRegistryArgs:
    """Arguments of :class:`ContainerRegistry`. Every default is the secure choice."""

    repository_name: str
    """ECR repository name, e.g. ``storefront/prod``."""
    untagged_expiry_days: int = 7
    """Untagged images expire this many days after push (1 to 365). Default: 7."""
    keep_release_images: int = 30
    """How many release-tagged images to keep (1 to 1000); older ones expire. Default: 30.
    Rollback can reach back this many releases."""
    release_tag_patterns: Sequence[str] = ("*.*.*",)
    """ECR tag patterns (``*`` wildcards, at most 4 each) that mark release images.
    Default: semantic versions such as ``1.4.2``, as docker/metadata-action writes them."""
    tagged_expiry_days: int | None = None
    """Instead of keeping the newest ``keep_release_images``, expire images whose tag matches
    ``release_tag_patterns`` this many days after push (1 to 365). Default: None (keep by
    count). The preview repository sets it (``pr-*`` after the preview TTL)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key for image encryption. Default: the registry creates its own key,
    with rotation on."""
    key_deletion_window_days: int = 30
    """Deletion window of the registry's own key, 7 to 30 days (ignored with ``kms_key_arn``)."""
    pull_account_ids: Sequence[str] = ()
    """Other AWS accounts allowed to pull (never push). Default: none; every other account is
    denied by the repository policy."""
    protect: bool = False
    """Protect the repository and its key, and retain them if they leave the program. On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every taggable child."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "ContainerRegistryArgs."
        if not (
            2 <= len(self.repository_name) <= 256 and REPOSITORY_NAME.match(self.repository_name)
        ):
            problems.append(
                invalid(
                    name + "repository_name",
                    self.repository_name,
                    "2 to 256 lower-case letters, digits, '.', '_', '-' and '/' namespaces",
                )
            )
        problems.extend(
            untagged_expiry_problems(self.untagged_expiry_days, name + "untagged_expiry_days")
        )
        problems.extend(
            keep_release_problems(self.keep_release_images, name + "keep_release_images")
        )
        if self.tagged_expiry_days is not None:
            problems.extend(
                untagged_expiry_problems(self.tagged_expiry_days, name + "tagged_expiry_days")
            )
        problems.extend(
            release_tag_pattern_problems(self.release_tag_patterns, name + "release_tag_patterns")
        )
        problems.extend(
            deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            )
        )
        problems.extend(pull_account_problems(self.pull_account_ids, name + "pull_account_ids"))
        if problems:
            raise ConfigError(problems)


class ContainerRegistry(pulumi.ComponentResource):
    """An ECR repository: immutable tags, scan on push, KMS encryption, lifecycle and policy.

    Outputs:
        repository_url: ``<account>.dkr.ecr.<region>.amazonaws.com/<name>``, for image references.
        repository_arn: ARN of the repository, for IAM policies.
        repository_name: Name of the repository.
        registry_id: Account ID of the registry.
        kms_key_arn: ARN of the key that encrypts the images.
    """

    TOKEN = "slipway:index:ContainerRegistry"

    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    registry_id: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self._name_prefix = name
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(
            parent=self, protect=args.protect, retain_on_delete=args.protect
        )

        kms_key_arn = given_or_new_key_arn(
            args.kms_key_arn,
            f"{name}-key",
            lambda: EncryptionKeyArgs(
                description=f"Encrypts the images of ECR repository {args.repository_name}",
                alias=f"ecr/{args.repository_name}",
                deletion_window_days=args.key_deletion_window_days,
                protect=args.protect,
                tags=args.tags,
            ),
            parent=self,
        )

        repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=kms_key_arn
                )
            ],
            force_delete=False,
            tags=dict(args.tags),
            opts=stateful,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=json_output(
                lifecycle_policy_document(
                    args.untagged_expiry_days,
                    args.keep_release_images,
                    args.release_tag_patterns,
                    args.tagged_expiry_days,
                )
            ),
            opts=child,
        )
        aws.ecr.RepositoryPolicy(
            f"{name}-policy",
            repository=repository.name,
            policy=policy_document(
                repository_policy_statements(
                    repository.registry_id,
                    args.pull_account_ids,
                    # The principals' ARNs are in the stack's partition (aws-cn, aws-us-gov…).
                    aws.get_partition_output(
                        opts=pulumi.InvokeOutputOptions(parent=self)
                    ).partition,
                )
            ),
            opts=child,
        )

        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.repository_name = repository.name
        self.registry_id = repository.registry_id
        self.kms_key_arn = pulumi.Output.from_input(kms_key_arn)
        self.register_outputs(
            {
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "repository_name": self.repository_name,
                "registry_id": self.registry_id,
                "kms_key_arn": self.kms_key_arn,
            }
        )

    def _policy(self, kind: str, actions: Sequence[str]) -> pulumi.Output[str]:
        return policy_document(
            [
                # GetAuthorizationToken has no resource-level permissions: "*" is required.
                allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
                allow(f"Ecr{kind.capitalize()}", actions, [self.repository_arn]),
            ]
        )

    def _grant(self, kind: str, role: aws.iam.Role, actions: Sequence[str]) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{self._name_prefix}-{kind}-{role_name_of(role)}",
            role=role.name,
            policy=self._policy(kind, actions),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def pull_policy(self) -> pulumi.Output[str]:
        """The policy ``grant_pull`` attaches, as JSON, for a role made elsewhere."""
        return self._policy("pull", PULL_ACTIONS)

    def push_policy(self) -> pulumi.Output[str]:
        """The policy ``grant_push`` attaches, as JSON, for a role made elsewhere."""
        return self._policy("push", PUSH_ACTIONS)

    def grant_pull(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let ``role`` pull images from this repository, and nothing else. Returns the policy."""
        return self._grant("pull", role, PULL_ACTIONS)

    def grant_push(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let ``role`` push (and pull, and read image metadata) in this repository only."""
        return self._grant("push", role, PUSH_ACTIONS)
