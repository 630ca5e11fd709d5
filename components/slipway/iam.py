"""Small helpers for IAM and resource policy documents.

Documents are built as plain data and serialised once with :func:`~slipway.jsonout.json_output`,
so an ARN that is still an Output can sit anywhere inside a statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.jsonout import json_output

Statement = Mapping[str, Any]
"""One IAM statement (``Sid``, ``Effect``, ``Action``, ``Resource``, ``Condition``…)."""

POLICY_VERSION = "2012-10-17"


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """Serialise ``statements`` into a policy document; Outputs inside are resolved first."""
    return json_output({"Version": POLICY_VERSION, "Statement": list(statements)})


def allow(sid: str, actions: Sequence[str], resources: Sequence[Any] | str) -> dict[str, Any]:
    """An ``Allow`` statement; ``resources`` may hold Outputs."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }


def account_root_arn(partition: pulumi.Input[str], account_id: pulumi.Input[str]) -> Any:
    """``arn:<partition>:iam::<account>:root``, the principal that stands for a whole account."""
    return pulumi.Output.concat("arn:", partition, ":iam::", account_id, ":root")


def service_trust_policy(sid: str, service: str) -> dict[str, Any]:
    """A trust policy that lets one AWS service principal, and nothing else, assume the role."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def aws_managed_policy_arn(partition: pulumi.Input[str], path: str) -> pulumi.Output[str]:
    """``arn:<partition>:iam::aws:policy/<path>``: an AWS managed policy in ``partition``."""
    return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", path)


def role_name_of(role: aws.iam.Role) -> str:
    """The Pulumi name of ``role``, used to name the policies that a ``grant_*`` attaches to it."""
    name = role._name
    assert isinstance(name, str)
    return name
