"""IAM decisions from an evaluator Slipway did not write: Principal Mapper (``principalmapper``,
NCC Group), whose ``local_check_authorization_full`` evaluates identity policies, permissions
boundaries and conditions (``String*``, ``Arn*``, ``Null``, ``ForAnyValue``/``ForAllValues``,
``…IfExists``) the way IAM's policy simulator does.

principalmapper 1.1.5, the last release, imports ``Mapping`` and ``MutableMapping`` from
``collections``, where Python 3.10 removed them; :func:`_load` puts the ``collections.abc``
names back before importing it. Nothing else of the package is changed.
"""

from __future__ import annotations

import collections
import collections.abc
import importlib
from dataclasses import dataclass, field
from typing import Any

ADMINISTRATOR_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
"""AWS's ``AdministratorAccess`` document, what the apply role is given."""


def _load() -> tuple[Any, Any, Any]:
    for name in ("Mapping", "MutableMapping"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    common = importlib.import_module("principalmapper.common")
    query = importlib.import_module("principalmapper.querying.query_interface")
    return common.Node, common.Policy, query.local_check_authorization_full


@dataclass(frozen=True)
class Principal:
    """A role with identity policies and, optionally, a permissions boundary."""

    arn: str
    policies: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"AdministratorAccess": ADMINISTRATOR_ACCESS}
    )
    boundary_arn: str | None = None
    boundary: dict[str, Any] | None = None

    def allows(
        self,
        action: str,
        resource: str,
        context: dict[str, Any] | None = None,
        resource_policy: dict[str, Any] | None = None,
    ) -> bool:
        """Would IAM allow this role ``action`` on ``resource`` with the request ``context``
        (condition keys such as ``aws:ResourceTag/slipway:environment``), under the
        ``resource_policy`` of a resource in the role's own account (a bucket policy) if given?"""
        node_type, policy_type, check = _load()
        attached = [
            policy_type(f"{self.arn}-{name}", name, document)
            for name, document in self.policies.items()
        ]
        boundary = (
            policy_type(self.boundary_arn, "boundary", self.boundary)
            if self.boundary is not None
            else None
        )
        trust = {"Version": "2012-10-17", "Statement": []}
        node = node_type(
            self.arn, "AROAEXAMPLEROLEID", attached, None, trust, None, 0, False, False,
            boundary, False, None,
        )  # fmt: skip
        owner = self.arn.split(":")[4] if resource_policy is not None else None
        return bool(check(node, action, resource, dict(context or {}), resource_policy, owner))
