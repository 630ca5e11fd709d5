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
    tags: dict[str, str] = field(default_factory=dict)
    """The role's own tags: Principal Mapper puts them into the request context as
    ``aws:PrincipalTag/<key>`` (and substitutes ``${aws:PrincipalTag/<key>}`` policy variables
    in ``Resource``/``NotResource``), as AWS does for every request the role makes."""

    def allows(
        self,
        action: str,
        resource: str,
        context: dict[str, Any] | None = None,
        resource_policy: dict[str, Any] | None = None,
        resource_owner: str | None = None,
    ) -> bool:
        """Would IAM allow this role ``action`` on ``resource`` with the request ``context``
        (condition keys such as ``aws:ResourceTag/slipway:environment``)? With
        ``resource_policy`` (a bucket or key policy of the role's own account), Principal
        Mapper evaluates it too: its denies, and for KMS the rule that the key policy itself
        must allow (``local_check_authorization_full``). ``resource_owner``: the resource's
        account, when it is not the role's own (a cross-account request)."""
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
            boundary, False, dict(self.tags),
        )  # fmt: skip
        owner = (resource_owner or self.arn.split(":")[4]) if resource_policy is not None else None
        return bool(check(node, action, resource, dict(context or {}), resource_policy, owner))
