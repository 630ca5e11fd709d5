"""What the preview role may do (docs/previews.md): policy documents only, not yet a resource.

The preview role runs ``preview-deploy.sh``, ``preview-teardown.sh`` and ``preview-sweep.sh``.
Its identity policy (:func:`preview_policy_document`) reaches only a preview's resources, by
name: target groups ``pr-*-<app>``, rules of the preview listener, services
``pr-*-<app>`` of the cluster, task definition families ``pr-*-<app>``, log groups
``/slipway/previews/pr-*-<app>``, pushing images to the ECR repository ``<app>-previews``,
and passing the one preview execution role. Its boundary
(:func:`preview_boundary_document`) is the isolation boundary of the stacks
(:func:`slipway.stack_boundary.boundary_statements`) for an environment named ``preview``, so
every resource tagged ``slipway:environment`` with dev, staging or prod (or another
application) is denied whatever the identity policy says, plus ``OnlyPreviews``: every write
the preview scripts make is denied outside those names.

Resource types and condition keys: the Service Authorization Reference as parliament ships it
(``parliament/iam_definition.json``). One action takes no resource at all,
``ecs:DeregisterTaskDefinition``, so neither names nor tags can scope it: the role can mark
any task definition revision of the account INACTIVE (running services keep running). Keeping
previews in an account of their own removes that reach; docs/previews.md says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slipway.iam import POLICY_VERSION
from slipway.registry import PUSH_ACTIONS
from slipway.stack_boundary import BoundaryScope, boundary_statements

PREVIEW_ENVIRONMENT = "preview"
PREVIEW_TAG = "slipway:preview"


def preview_repository_name(app: str) -> str:
    """``<app>-previews``: the ECR repository preview images are pushed to (the preview base's)."""
    return f"{app}-previews"


ECR_LOGIN = ("ecr:GetAuthorizationToken",)
"""No resource-level permissions (Service Authorization Reference): granted on ``*``."""
IMAGE_WRITES = (
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
"""The writes of :data:`slipway.registry.PUSH_ACTIONS` (docker/build-push-action's push), which
the boundary keeps to the previews' repository.

No KMS permission goes with them, although the repository is KMS-encrypted (its own
customer-managed key, :class:`slipway.registry.Registry`): the pushing principal never calls
KMS. Amazon ECR User Guide, "Encryption at rest"
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html): when a
repository is created with KMS encryption, "Amazon ECR adds an AWS KMS grant to the KMS key
with the Amazon ECR repository as the grantee principal" (two ``CreateGrant`` requests "to
allow Amazon ECR to encrypt and decrypt data"); on a push the ``GenerateDataKey`` request, and
on a pull the ``Decrypt`` request, are ECR's own under that grant. The principal that needs
``kms:CreateGrant``/``kms:DescribeKey`` (and ``kms:RetireGrant`` to delete) is the one that
creates the repository: the stack's deployer (the key policy lets the account's IAM policies
use the key), never the preview role. The application's push role
(:data:`slipway.registry.PUSH_ACTIONS`) and the execution roles that pull hold no KMS
permission for the same reason (tests/test_preview_access.py proves the push and the absence of
any key use with Principal Mapper)."""

TARGET_GROUP_WRITES = (
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
)
RULE_WRITES = (
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyRule",
)
SERVICE_WRITES = (
    "ecs:CreateService",
    "ecs:DeleteService",
    "ecs:TagResource",
    "ecs:UpdateService",
)
TASK_DEFINITION_WRITES = (
    "ecs:DeleteTaskDefinitions",
    "ecs:RegisterTaskDefinition",
    "ecs:TagResource",
)
LOG_GROUP_WRITES = (
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
)
READS = (
    "ecs:ListServices",
    "ecs:ListTagsForResource",
    "ecs:ListTaskDefinitionFamilies",
    "ecs:ListTaskDefinitions",
    "elasticloadbalancing:DescribeAccountLimits",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
)
"""Reads without resource-level scope in the Service Authorization Reference (or listing)."""
UNSCOPED_WRITES = ("ecs:DeregisterTaskDefinition",)
"""Writes that take no resource (Service Authorization Reference): granted on ``*``."""


@dataclass(frozen=True)
class PreviewScope:
    """Where an application's previews live: plain strings, so documents evaluate offline."""

    partition: str
    account_id: str
    region: str
    app: str
    cluster_name: str
    listener_arn: str
    execution_role_arn: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    @property
    def target_groups(self) -> str:
        return self.arn("elasticloadbalancing", f"targetgroup/pr-*-{self.app}/*")

    @property
    def rules(self) -> str:
        """Every rule of the preview listener (its ARN with ``listener-rule`` and a rule id)."""
        return self.listener_arn.replace(":listener/", ":listener-rule/", 1) + "/*"

    @property
    def repository(self) -> str:
        """The previews' ECR repository, ``<app>-previews``."""
        return self.arn("ecr", f"repository/{preview_repository_name(self.app)}")

    @property
    def services(self) -> str:
        return self.arn("ecs", f"service/{self.cluster_name}/pr-*-{self.app}")

    @property
    def cluster(self) -> str:
        return self.arn("ecs", f"cluster/{self.cluster_name}")

    @property
    def tasks(self) -> str:
        """Every task of the cluster: a task's ARN holds a random id, not its service's name."""
        return self.arn("ecs", f"task/{self.cluster_name}/*")

    @property
    def task_definitions(self) -> str:
        return self.arn("ecs", f"task-definition/pr-*-{self.app}:*")

    @property
    def log_groups(self) -> list[str]:
        group = self.arn("logs", f"log-group:/slipway/previews/pr-*-{self.app}")
        return [group, f"{group}:*"]

    def preview_resources(self) -> list[str]:
        """Every resource a preview script writes to."""
        return [
            self.target_groups,
            self.listener_arn,
            self.rules,
            self.services,
            self.task_definitions,
            *self.log_groups,
            self.repository,
        ]


def preview_policy_document(scope: PreviewScope) -> dict[str, Any]:
    """The preview role's identity policy."""
    own_tag = {"StringEquals": {f"aws:ResourceTag/{PREVIEW_TAG}": scope.app}}
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": list(READS), "Resource": "*"},
            {
                "Sid": "Unscoped",
                "Effect": "Allow",
                "Action": list(UNSCOPED_WRITES),
                "Resource": "*",
            },
            {
                "Sid": "TargetGroups",
                "Effect": "Allow",
                "Action": list(TARGET_GROUP_WRITES),
                "Resource": scope.target_groups,
            },
            {
                "Sid": "ClaimRules",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:CreateRule"],
                "Resource": scope.listener_arn,
                "Condition": {"StringEquals": {f"aws:RequestTag/{PREVIEW_TAG}": scope.app}},
            },
            {
                "Sid": "OwnRules",
                "Effect": "Allow",
                "Action": list(RULE_WRITES),
                "Resource": scope.rules,
                "Condition": own_tag,
            },
            {
                "Sid": "Services",
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", *SERVICE_WRITES],
                "Resource": scope.services,
            },
            # preview-wait.sh: the new revision's tasks and their stop reasons; reads only,
            # scoped to the cluster (a task's ARN holds a random id, not its service's name).
            # DescribeTasks takes the `task` resource (Service Authorization Reference).
            # ListTasks is listed with the `container-instance` resource, but a listing by
            # service names none: it is granted on "*" under the condition key ecs:cluster, as
            # aws-cdk grants it (aws/aws-cdk#3199) and as awsdocs/amazon-ecs-developer-guide#211
            # found to work where the container-instance ARN did not.
            {
                "Sid": "WatchTasks",
                "Effect": "Allow",
                "Action": "ecs:DescribeTasks",
                "Resource": scope.tasks,
            },
            {
                "Sid": "ListTasks",
                "Effect": "Allow",
                "Action": "ecs:ListTasks",
                "Resource": "*",
                "Condition": {"ArnEquals": {"ecs:cluster": scope.cluster}},
            },
            {
                "Sid": "TaskDefinitions",
                "Effect": "Allow",
                "Action": list(TASK_DEFINITION_WRITES),
                "Resource": scope.task_definitions,
            },
            {
                "Sid": "LogGroups",
                "Effect": "Allow",
                "Action": list(LOG_GROUP_WRITES),
                "Resource": scope.log_groups,
            },
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": list(ECR_LOGIN), "Resource": "*"},
            {
                "Sid": "PushPreviewImages",
                "Effect": "Allow",
                "Action": list(PUSH_ACTIONS),
                "Resource": scope.repository,
            },
            {
                "Sid": "PassExecutionRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": scope.execution_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        ],
    }


def preview_boundary_document(scope: PreviewScope) -> dict[str, Any]:
    """The preview role's permissions boundary: the stacks' isolation boundary for the
    ``preview`` environment, and no preview write outside a preview's names."""
    base = BoundaryScope(
        partition=scope.partition,
        account_id=scope.account_id,
        app=scope.app,
        environment=PREVIEW_ENVIRONMENT,
    )
    writes = sorted(
        {
            *TARGET_GROUP_WRITES,
            *RULE_WRITES,
            "elasticloadbalancing:CreateRule",
            *SERVICE_WRITES,
            *TASK_DEFINITION_WRITES,
            *LOG_GROUP_WRITES,
            *IMAGE_WRITES,
        }
    )
    only_previews = {
        "Sid": "OnlyPreviews",
        "Effect": "Deny",
        "Action": writes,
        "NotResource": scope.preview_resources(),
    }
    return {"Version": POLICY_VERSION, "Statement": [*boundary_statements(base), only_previews]}


ISOLATION_SIDS = (
    "OtherEnvironments",
    "OtherEnvironmentTags",
    "OtherApplications",
    "OtherApplicationTags",
    "KeepEnvironmentTags",
    "OnlyPreviews",
)
"""The statements of :func:`preview_boundary_document` that keep the role on previews: the
tag rules for the ``preview`` environment and ``OnlyPreviews``. The rest of that boundary
names principals ``<app>-preview-*``, which the owner stack cannot create under its own
boundary (``OwnPrincipals``, ``BoundedPrincipals``)."""


def preview_isolation_document(scope: PreviewScope) -> dict[str, Any]:
    """The preview role's isolation as an inline policy of denies (:data:`ISOLATION_SIDS`):
    the role created by the owner stack carries the owner's boundary (every role a stack
    creates does), and an explicit deny in an identity policy denies as it would in a boundary
    ("Policy evaluation logic", IAM User Guide:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""
    statements = preview_boundary_document(scope)["Statement"]
    return {
        "Version": POLICY_VERSION,
        "Statement": [s for s in statements if s.get("Sid") in ISOLATION_SIDS],
    }
