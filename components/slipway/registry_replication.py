"""``RegistryReplication``: copy ECR images to a disaster-recovery region.

ECR replication is a setting of the whole registry: one configuration per account and region,
and ``PutReplicationConfiguration`` replaces it whole. Whoever owns it therefore owns every
team's rules: exactly one stack per account may (in Slipway, the stack with
``slipway:ownsRegistryReplication``), and rules that other teams added outside it are removed
on its first ``up`` unless they are written into it (:data:`REPLACES_WARNING`; Amazon ECR API
Reference, "PutReplicationConfiguration": "creates or updates the replication configuration
for a registry", https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutReplicationConfiguration.html).

Replicated repositories are created in the destination region on first push. Without a
repository creation template they get no lifecycle policy, mutable tags and AES-256; with
:class:`ReplicaTemplate` (the default) a template applied to ``REPLICATION`` gives them a
customer-managed key in the destination region, the source's lifecycle rules and immutable
tags. A template that uses KMS or tags needs a role ECR assumes (trusted by
``ecr.amazonaws.com``; ``ecr:CreateRepository``, ``ecr:ReplicateImage``, ``ecr:TagResource``,
``kms:CreateGrant``, ``kms:RetireGrant``, ``kms:DescribeKey``): Amazon ECR User Guide,
"Creating a repository creation template", "Create a custom policy for repository creation
templates" and "Create an IAM role for repository creation templates"
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from slipway.encryption_key import EncryptionKey, EncryptionKeyArgs, deletion_window_problems
from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document, service_trust_policy
from slipway.jsonout import json_output
from slipway.patterns import is_region
from slipway.registry import (
    keep_release_problems,
    lifecycle_policy_document,
    release_tag_pattern_problems,
    untagged_expiry_problems,
)

_Configuration = aws.ecr.ReplicationConfigurationReplicationConfigurationArgs
_Rule = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs
_Destination = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs
_Filter = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs

PREFIX = re.compile(r"^[a-z0-9][a-z0-9._/-]{0,255}$")
TEMPLATE_ROLE_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource")
TEMPLATE_KEY_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")
REPLACES_WARNING = (
    "ECR replication is one configuration per registry: this stack's up replaces the "
    "replication rules of account {account} in {region} whole, so rules other teams added "
    "outside it are removed (docs/runbooks/region-failover.md, 'Registry replication')"
)
"""What the owner of the replication is told on every preview and update."""


def template_namespace(prefixes: Sequence[str]) -> str | None:
    """The namespace a repository creation template covers for ``prefixes``: their common first
    path segment (ECR appends ``/`` to a template prefix), or None if they have none."""
    heads = {p.split("/", 1)[0] for p in prefixes if "/" in p}
    if len(heads) == 1 and all("/" in p for p in prefixes):
        return heads.pop()
    return None


def repository_prefix_problems(prefixes: object, setting: str) -> list[str]:
    """The one rule for the repositories a replication rule selects: 1 to 100 prefixes (ECR's
    limit on filters), lower case."""
    if (
        isinstance(prefixes, list | tuple)
        and 0 < len(prefixes) <= 100
        and all(isinstance(p, str) and PREFIX.match(p) for p in prefixes)
    ):
        return []
    return [
        invalid(
            setting,
            list(prefixes) if isinstance(prefixes, list | tuple) else prefixes,
            "1 to 100 repository name prefixes (lower case, digits, '.', '_', '-', '/')",
        )
    ]


def templated_prefix_problems(prefixes: object, setting: str) -> list[str]:
    """The one rule for the repositories a replication rule selects when their replicas get a
    creation template (:class:`ReplicaTemplate`): :func:`repository_prefix_problems`, all under
    one namespace, the one the template covers (:func:`template_namespace`)."""
    problems = repository_prefix_problems(prefixes, setting)
    if problems or not isinstance(prefixes, list | tuple):
        return problems
    if template_namespace(list(prefixes)) is None:
        return [
            invalid(
                setting,
                list(prefixes),
                "prefixes under one namespace (e.g. 'shop/prod', 'shop/staging'), which the "
                "replica repositories' creation template covers",
            )
        ]
    return []


@dataclass(frozen=True)
class ReplicaTemplate:
    """What the repositories ECR creates in the destination region get (a repository creation
    template applied to ``REPLICATION``): immutable tags, a customer-managed key in the
    destination region and these lifecycle rules
    (:func:`slipway.registry.lifecycle_policy_document`; use the source repositories' values)."""

    untagged_expiry_days: int = 7
    """Untagged replicas expire this many days after they arrive."""
    keep_release_images: int = 30
    """How many release-tagged replicas to keep."""
    release_tag_patterns: Sequence[str] = ("*.*.*",)
    """ECR tag patterns of release images."""
    key_deletion_window_days: int = 30
    """Deletion window of the destination key."""

    def problems(self, name: str) -> list[str]:
        """What is wrong with these values, each naming ``name`` plus the field."""
        return [
            *untagged_expiry_problems(self.untagged_expiry_days, name + "untagged_expiry_days"),
            *keep_release_problems(self.keep_release_images, name + "keep_release_images"),
            *release_tag_pattern_problems(self.release_tag_patterns, name + "release_tag_patterns"),
            *deletion_window_problems(
                self.key_deletion_window_days, name + "key_deletion_window_days"
            ),
        ]


@dataclass(frozen=True)
class RegistryReplicationArgs:
    """Arguments of :class:`RegistryReplication`."""

    destination_region: str
    """Region the images are copied to."""
    repository_prefixes: Sequence[str]
    """Only repositories whose names start with one of these are replicated (ECR allows
    up to 100 filters), e.g. ``("storefront/",)``."""
    source_region: str | None = None
    """The registry's own region, when known: replicating into it is refused."""
    replica_template: ReplicaTemplate | None = field(default_factory=ReplicaTemplate)
    """Settings of the replica repositories (:class:`ReplicaTemplate`), for the prefixes'
    common namespace (``shop`` for ``shop/prod``). None: no template, replicas get ECR's
    defaults (mutable tags, AES-256, no lifecycle)."""
    protect: bool = False
    """Protect the destination key."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the key, the template's role and the replica repositories."""

    def __post_init__(self) -> None:
        problems = []
        name = "RegistryReplicationArgs."
        if not is_region(self.destination_region):
            problems.append(
                invalid(name + "destination_region", self.destination_region, "an AWS region")
            )
        elif self.destination_region == self.source_region:
            problems.append(
                invalid(
                    name + "destination_region",
                    self.destination_region,
                    f"a region other than the registry's own ({self.source_region})",
                )
            )
        prefixes = list(self.repository_prefixes)
        if self.replica_template is None:
            problems += repository_prefix_problems(prefixes, name + "repository_prefixes")
        else:
            problems += templated_prefix_problems(prefixes, name + "repository_prefixes")
            problems += self.replica_template.problems(name + "replica_template.")
        if problems:
            raise ConfigError(problems)


class RegistryReplication(pulumi.ComponentResource):
    """The registry's replication configuration.

    Outputs:
        registry_id: Account whose registry replicates.
        replica_key_arn: The destination region's key of the replica repositories, or None
            without a template.
    """

    TOKEN = "slipway:index:RegistryReplication"

    registry_id: pulumi.Output[str]
    replica_key_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: RegistryReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=invoke)
        identity.account_id.apply(
            lambda account: pulumi.log.warn(
                REPLACES_WARNING.format(account=account, region=args.source_region or "its region"),
                resource=self,
            )
        )
        self.replica_key_arn = None
        template = (
            self._template(name, args, args.replica_template, identity.account_id)
            if args.replica_template is not None
            else None
        )
        configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-configuration",
            replication_configuration=_Configuration(
                rules=[
                    _Rule(
                        destinations=[
                            _Destination(
                                region=args.destination_region,
                                registry_id=identity.account_id,
                            )
                        ],
                        repository_filters=[
                            _Filter(filter=prefix, filter_type="PREFIX_MATCH")
                            for prefix in args.repository_prefixes
                        ],
                    )
                ]
            ),
            # The template first: a replica created before it would keep ECR's defaults.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[template] if template else []),
        )
        self.registry_id = configuration.registry_id
        self.register_outputs(
            {"registry_id": self.registry_id, "replica_key_arn": self.replica_key_arn}
        )

    def _template(
        self,
        name: str,
        args: RegistryReplicationArgs,
        template: ReplicaTemplate,
        account_id: pulumi.Output[str],
    ) -> aws.ecr.RepositoryCreationTemplate:
        """The destination region's creation template for the replicas, its key and role."""
        namespace = template_namespace(args.repository_prefixes)
        assert namespace is not None  # checked by the arguments
        child = pulumi.ResourceOptions(parent=self)
        # In the destination region through the stack's own provider (pulumi-aws 7's
        # per-resource region, see EncryptionKeyArgs.region): every provider setting the stack
        # has (allowed accounts, profile, assumed role, default tags) applies there too.
        key = EncryptionKey(
            f"{name}-replica-key",
            EncryptionKeyArgs(
                description=f"Encrypts the replicas of {namespace}/ repositories in "
                f"{args.destination_region}",
                alias=f"{namespace}-ecr-replicas",
                deletion_window_days=template.key_deletion_window_days,
                protect=args.protect,
                tags=args.tags,
                region=args.destination_region,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.replica_key_arn = key.key_arn
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        repositories = pulumi.Output.concat(
            "arn:",
            partition.partition,
            ":ecr:",
            args.destination_region,
            ":",
            account_id,
            ":repository/",
            namespace,
            "/*",
        )
        role = aws.iam.Role(
            f"{name}-template-role",
            description=f"Assumed by ECR to create the {namespace}/ replicas in "
            f"{args.destination_region}",
            assume_role_policy=json_output(
                service_trust_policy("EcrCreatesReplicas", "ecr.amazonaws.com")
            ),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-template-role-policy",
            role=role.name,
            policy=policy_document(
                [
                    allow("CreateReplicas", TEMPLATE_ROLE_ACTIONS, [repositories]),
                    allow("UseReplicaKey", TEMPLATE_KEY_ACTIONS, [key.key_arn]),
                ]
            ),
            opts=child,
        )
        return aws.ecr.RepositoryCreationTemplate(
            f"{name}-template",
            prefix=namespace,
            applied_fors=["REPLICATION"],
            description=f"Replicas of {namespace}/ repositories",
            custom_role_arn=role.arn,
            encryption_configurations=[
                aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=key.key_arn
                )
            ],
            image_tag_mutability="IMMUTABLE",
            lifecycle_policy=json_output(
                lifecycle_policy_document(
                    template.untagged_expiry_days,
                    template.keep_release_images,
                    template.release_tag_patterns,
                )
            ),
            resource_tags=dict(args.tags),
            region=args.destination_region,
            opts=pulumi.ResourceOptions(parent=self),
        )
