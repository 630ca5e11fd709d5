"""``StackBoundary`` for every Pulumi language, delegating to the Python API's own."""

from typing import NotRequired, TypedDict

import pulumi

import slipway
from slipway.stack_boundary import AccountResource
from slipway_facade.args import typed_args


class StackBoundaryArgs(TypedDict):
    """Arguments of :class:`StackBoundary`."""

    app: str
    """The application's short name (the first part of ``<app>-<env>``)."""
    environment: str
    """The stack's environment: the ``slipway:environment`` value its resources carry."""
    owned_account_resources: NotRequired[list[AccountResource]]
    """The account-wide resources this stack owns (:class:`AccountResource`). Default: none, so the
    boundary denies changing any of them."""
    record_names: NotRequired[list[str]]
    """The DNS names whose records the stack changes (:func:`record_name_patterns` of its domain).
    Default: none, so the boundary denies every record change."""
    tags: NotRequired[dict[str, str]]
    """Tags for the policy (the stack's, so other stacks cannot change it). Default: none."""


class StackBoundary(pulumi.ComponentResource):
    """The stack's permissions boundary policy."""

    policy_arn: pulumi.Output[str]
    """ARN of the boundary policy."""
    policy_name: pulumi.Output[str]
    """Its name, ``<app>-<env>-ci-boundary``."""

    def __init__(
        self, name: str, args: StackBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("slipway:index:StackBoundary", name, None, opts)
        inner = slipway.StackBoundary(
            name,
            typed_args(
                slipway.StackBoundaryArgs,
                args,
                {
                    "owned_account_resources": lambda owned: frozenset(map(AccountResource, owned)),
                    "record_names": tuple,
                },
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.policy_arn = inner.policy_arn
        self.policy_name = inner.policy_name
        self.register_outputs({"policy_arn": self.policy_arn, "policy_name": self.policy_name})
