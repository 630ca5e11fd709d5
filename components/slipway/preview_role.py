"""``PreviewRoles``: the role ``preview.yml``'s jobs assume, and the execution role it passes
(docs/previews.md, "The preview role").

* The preview role trusts only GitHub's OIDC tokens for the ``preview`` environment of the
  application repository (:func:`slipway.github_oidc.environment_subjects`): a fork's pull
  request gets no token, and no other environment's job can assume it. Its identity policy is
  :func:`slipway.preview_access.preview_policy_document` (a preview's names only), and its
  isolation :func:`slipway.preview_access.preview_isolation_document` (denies: resources or
  requests tagged with another environment or application, and every preview write outside
  a preview's names). Like every role of the stack it carries the owner stack's boundary.
* The execution role trusts ECS tasks of this account, ships logs only to the preview log
  groups ``/slipway/previews/pr-*-<app>`` and pulls only from ``repository_arn``
  (:func:`slipway.fargate_task.execution_role_statements`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.fargate_task import ecs_tasks_trust_policy, execution_role_statements
from slipway.github_oidc import (
    MAX_SESSION_SECONDS,
    RepositoryIds,
    SubjectFormat,
    environment_subjects,
    github_trust_policy,
)
from slipway.iam import policy_document
from slipway.preview_access import (
    PREVIEW_ENVIRONMENT,
    PreviewScope,
    preview_isolation_document,
    preview_policy_document,
)


@dataclass(frozen=True)
class PreviewRoleArgs:
    """Arguments of :class:`PreviewRoles`."""

    repository: str
    """``owner/name`` of the application repository (its ``preview`` environment)."""
    provider_arn: pulumi.Input[str]
    """The account's GitHub OIDC provider."""
    app: str
    """The application's short name (``pr-<n>-<app>``)."""
    cluster_name: pulumi.Input[str]
    """The owner's cluster, where preview services run."""
    listener_arn: pulumi.Input[str]
    """The preview base's HTTPS listener."""
    repository_arn: pulumi.Input[str] | None
    """The ECR repository preview images are pulled from (None: no ECR pull)."""
    repository_ids: RepositoryIds | None = None
    subject_format: SubjectFormat = SubjectFormat.IMMUTABLE
    permissions_boundary_arn: pulumi.Input[str] | None = None
    """The owner stack's boundary (the stack's transformation sets it when None)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def _rendered(
    render: Callable[[PreviewScope], dict[str, Any]],
) -> Callable[[PreviewScope], str]:
    """``render``'s document as the JSON a role policy takes."""
    return lambda scope: json.dumps(render(scope))


class PreviewRoles(pulumi.ComponentResource):
    """The preview role and the execution role it passes.

    Outputs:
        role_arn: The preview role (``AWS_DEPLOY_ROLE_ARN`` of the ``preview`` environment).
        execution_role_arn: The role ECS pulls a preview's image and ships its logs with.
    """

    TOKEN = "slipway:index:PreviewRoles"

    role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PreviewRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        execution = aws.iam.Role(
            f"{name}-execution",
            description=f"ECS pulls the image and ships the logs of {args.app}'s previews",
            assume_role_policy=ecs_tasks_trust_policy(partition, account, region, False),
            permissions_boundary=args.permissions_boundary_arn,
            tags=dict(args.tags),
            opts=child,
        )
        log_groups = pulumi.Output.concat(
            "arn:", partition, ":logs:", region, ":", account,
            ":log-group:/slipway/previews/pr-*-", args.app,
        )  # fmt: skip
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution.name,
            policy=policy_document(
                execution_role_statements(
                    log_group_arn=log_groups,
                    secret_arns=[],
                    kms_key_arns=[],
                    repository_arn=args.repository_arn,
                    region=region,
                )
            ),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-github",
            description=f"{args.repository}'s preview environment: pull-request previews only",
            assume_role_policy=github_trust_policy(
                args.provider_arn,
                environment_subjects(
                    args.repository, PREVIEW_ENVIRONMENT, args.repository_ids, args.subject_format
                ),
            ),
            max_session_duration=MAX_SESSION_SECONDS,
            permissions_boundary=args.permissions_boundary_arn,
            tags=dict(args.tags),
            opts=child,
        )
        scope = pulumi.Output.all(
            partition, account, region, args.cluster_name, args.listener_arn, execution.arn
        ).apply(
            lambda v: PreviewScope(
                partition=v[0],
                account_id=v[1],
                region=v[2],
                app=args.app,
                cluster_name=v[3],
                listener_arn=v[4],
                execution_role_arn=v[5],
            )
        )
        documents: dict[str, Callable[[PreviewScope], dict[str, Any]]] = {
            "policy": preview_policy_document,
            "isolation": preview_isolation_document,
        }
        for part, render in documents.items():
            aws.iam.RolePolicy(
                f"{name}-github-{part}",
                role=role.name,
                policy=scope.apply(_rendered(render)),
                opts=child,
            )
        self.role_arn = role.arn
        self.execution_role_arn = execution.arn
        self.register_outputs(
            {"role_arn": self.role_arn, "execution_role_arn": self.execution_role_arn}
        )
