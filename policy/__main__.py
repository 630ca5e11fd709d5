"""CrossGuard entry point: ``pulumi preview --policy-pack policy``.

Constructing a PolicyPack starts the policy gRPC server, so this module is only ever run by
the Pulumi CLI; the rules themselves live in policy/rules.py, where tests and ``make plan``
import them without starting anything.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import RULES, ResourceView, Rule


def _view(resource: ResourceValidationArgs) -> ResourceView:
    # CrossGuard shows `protect` but not `retainOnDelete`: None tells the rules it is unknown.
    return ResourceView.of(
        resource.resource_type, resource.name, resource.props, resource.opts.protect, None
    )


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    check = rule.check
    assert check is not None

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in check(_view(args)):
            report(message, args.urn)

    return ResourceValidationPolicy(rule.name, rule.description, validate)


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    check = rule.check_stack
    assert check is not None

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        views = [_view(r) for r in args.resources]  # type: ignore[arg-type]
        for message in check(views):
            report(message, None)

    return StackValidationPolicy(rule.name, rule.description, validate)


PolicyPack(
    name="slipway",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        _resource_policy(rule) if rule.check is not None else _stack_policy(rule) for rule in RULES
    ],
)
