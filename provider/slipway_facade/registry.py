"""``ContainerRegistry`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway_facade.args import typed_args


class ContainerRegistryArgs(TypedDict):
    repository_name: str
    """Name of the ECR repository (ECR's own rule: lower case, '/' separates namespaces)."""
    untagged_expiry_days: NotRequired[int]
    """Days an untagged image lives, 1 to 365. Default: 7."""
    keep_release_images: NotRequired[int]
    """Release images kept, 1 to 1000; rollback can reach back this many releases. Default: 30."""
    release_tag_patterns: NotRequired[list[str]]
    """Tag patterns that mark release images. Default: ``*.*.*`` (semantic versions)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """ARN of a KMS key that encrypts the images. Default: the component creates a key, with
    rotation on."""
    key_deletion_window_days: NotRequired[int]
    """Waiting period, 7 to 30 days, before the created key is deleted. Default: 30."""
    pull_account_ids: NotRequired[list[str]]
    """Other AWS accounts allowed to pull; every other account is denied. Default: none."""
    protect: NotRequired[bool]
    """Protect and retain the repository and its key. Default: false; on in prod."""
    tags: NotRequired[dict[str, str]]
    """Tags on every resource. Default: none."""


class ContainerRegistry(pulumi.ComponentResource):
    """An ECR repository: immutable tags, scan on push, KMS encryption, lifecycle and policy."""

    repository_url: pulumi.Output[str]
    """``<account>.dkr.ecr.<region>.amazonaws.com/<name>``, for image references."""
    repository_arn: pulumi.Output[str]
    """ARN of the repository, for IAM policies."""
    repository_name: pulumi.Output[str]
    """Name of the repository."""
    registry_id: pulumi.Output[str]
    """Account ID of the registry."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the key that encrypts the images."""
    pull_policy_json: pulumi.Output[str]
    """An IAM policy that lets a role pull from this repository and nothing else (what the
    Python API's ``grant_pull`` attaches): attach it to your task execution role."""
    push_policy_json: pulumi.Output[str]
    """An IAM policy that lets a role push to (and pull from) this repository only (what
    ``grant_push`` attaches)."""

    def __init__(
        self,
        name: str,
        args: ContainerRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("slipway:index:ContainerRegistry", name, None, opts)
        inner = slipway.ContainerRegistry(
            name,
            typed_args(slipway.ContainerRegistryArgs, args),
            pulumi.ResourceOptions(parent=self),
        )
        self.repository_url = inner.repository_url
        self.repository_arn = inner.repository_arn
        self.repository_name = inner.repository_name
        self.registry_id = inner.registry_id
        self.kms_key_arn = inner.kms_key_arn
        self.pull_policy_json = inner.pull_policy()
        self.push_policy_json = inner.push_policy()
        self.register_outputs(
            {
                "repository_url": self.repository_url,
                "repository_arn": self.repository_arn,
                "repository_name": self.repository_name,
                "registry_id": self.registry_id,
                "kms_key_arn": self.kms_key_arn,
                "pull_policy_json": self.pull_policy_json,
                "push_policy_json": self.push_policy_json,
            }
        )
