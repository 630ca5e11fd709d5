"""Slipway's guarantees as policy rules: plain functions over a neutral view of resources.

The same functions run in three places:

* the CrossGuard pack (``policy/__main__.py``), for ``pulumi preview/up --policy-pack policy``;
* ``make plan`` (``tooling.plan``), over the resources the offline run recorded;
* the tests, which prove each rule rejects a bad resource and accepts a good one.

A rule returns a list of violation messages (empty: compliant). Resource rules see one
resource; stack rules see all of them (for guarantees such as "prod backups are copied").
Properties are read by the engine's camelCase names, as both CrossGuard and the recording
monitor present them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slipway.logs import retention_problems

PROFILE_TAG = "slipway:profile"
WORLD = ("0.0.0.0/0", "::/0")
LOAD_BALANCER_PORTS = frozenset({80, 443})
OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_SUBJECT = re.compile(
    r"^repo:(?:[A-Za-z0-9-]+@[1-9][0-9]*/[A-Za-z0-9._-]+@[1-9][0-9]*|[A-Za-z0-9-]+/[A-Za-z0-9._-]+)"
    r":(?:environment:[A-Za-z0-9._-]+|pull_request)$"
)
"""One repository, in GitHub's name-only form (``repo:owner/name``) or its immutable form
(``repo:owner@<owner-id>/name@<repo-id>``), and one environment or its pull requests."""
STATEFUL_TYPES = frozenset(
    {
        "aws:ecr/repository:Repository",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:secretsmanager/secret:Secret",
        "aws:backup/vault:Vault",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
    }
)
"""Resources whose loss loses data or evidence: protected and retained in prod."""


@dataclass(frozen=True)
class ResourceView:
    """What a rule may look at: type, name, properties (engine names) and safety options."""

    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False
    retain_on_delete: bool | None = False
    """None where the caller cannot see it (CrossGuard does not expose ``retainOnDelete``)."""
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        type_: str,
        name: str,
        props: Mapping[str, Any],
        protect: bool = False,
        retain_on_delete: bool | None = False,
    ) -> ResourceView:
        """A view whose tags are read from the resource's ``tags`` property."""
        tags = props.get("tags") if isinstance(props.get("tags"), Mapping) else {}
        return cls(type_, name, props, protect, retain_on_delete, dict(tags or {}))

    @property
    def profile(self) -> str | None:
        """The Slipway profile the resource was created for, from its tags."""
        return self.tags.get(PROFILE_TAG)


ResourceRule = Callable[[ResourceView], list[str]]
StackRule = Callable[[Sequence[ResourceView]], list[str]]


@dataclass(frozen=True)
class Rule:
    """A named, documented rule."""

    name: str
    description: str
    check: ResourceRule | None = None
    check_stack: StackRule | None = None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- resource rules -----------------------------------------------------------------------------


def ecr_immutable_scanned_encrypted(r: ResourceView) -> list[str]:
    """ECR repositories: immutable tags, scan on push, a customer-managed KMS key."""
    if r.type != "aws:ecr/repository:Repository":
        return []
    problems = []
    if r.props.get("imageTagMutability") != "IMMUTABLE":
        problems.append(f"{r.name}: imageTagMutability must be IMMUTABLE")
    if not (r.props.get("imageScanningConfiguration") or {}).get("scanOnPush"):
        problems.append(f"{r.name}: imageScanningConfiguration.scanOnPush must be true")
    encryption = _as_list(r.props.get("encryptionConfigurations"))
    if (
        not encryption
        or encryption[0].get("encryptionType") != "KMS"
        or not encryption[0].get("kmsKey")
    ):
        problems.append(f"{r.name}: images must be encrypted with a customer-managed KMS key")
    return problems


def no_public_ip_on_tasks(r: ResourceView) -> list[str]:
    """ECS services never give tasks a public IP."""
    if r.type != "aws:ecs/service:Service":
        return []
    network = r.props.get("networkConfiguration") or {}
    if network.get("assignPublicIp"):
        return [f"{r.name}: networkConfiguration.assignPublicIp must be false"]
    return []


def _world_open(rule: Mapping[str, Any]) -> bool:
    cidrs = [
        rule.get("cidrIpv4"),
        rule.get("cidrIpv6"),
        *_as_list(rule.get("cidrBlocks")),
        *_as_list(rule.get("ipv6CidrBlocks")),
    ]
    return any(c in WORLD for c in cidrs)


def _ports(rule: Mapping[str, Any]) -> set[int] | None:
    low, high = rule.get("fromPort"), rule.get("toPort")
    if low is None or high is None or str(rule.get("ipProtocol", rule.get("protocol"))) == "-1":
        return None
    low, high = int(low), int(high)
    return set(range(low, high + 1)) if high - low < 1024 else None


def no_world_open_ports(r: ResourceView) -> list[str]:
    """Nothing admits 0.0.0.0/0 or ::/0 except the load balancer's ports 80 and 443."""
    rules: list[Mapping[str, Any]] = []
    if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        rules = [r.props]
    elif r.type == "aws:ec2/securityGroup:SecurityGroup":
        rules = _as_list(r.props.get("ingress"))
    elif (
        r.type == "aws:ec2/securityGroupRule:SecurityGroupRule" and r.props.get("type") == "ingress"
    ):
        rules = [r.props]
    problems = []
    for rule in rules:
        if not _world_open(rule):
            continue
        ports = _ports(rule)
        if ports is None or not ports <= LOAD_BALANCER_PORTS:
            problems.append(
                f"{r.name}: admits the whole internet on ports "
                f"{sorted(ports) if ports else 'all'}; only 80 and 443 may be world-open"
            )
    return problems


def log_retention_set(r: ResourceView) -> list[str]:
    """Every log group expires its events, after a retention CloudWatch Logs offers (the
    components' own rule, :func:`slipway.logs.retention_problems`)."""
    if r.type != "aws:cloudwatch/logGroup:LogGroup":
        return []
    days = r.props.get("retentionInDays")
    if not days:
        return [f"{r.name}: retentionInDays must be set (logs would be kept forever)"]
    return retention_problems(days, f"{r.name}: retentionInDays")


def kms_rotation_on(r: ResourceView) -> list[str]:
    """Every symmetric customer-managed key rotates."""
    if r.type != "aws:kms/key:Key":
        return []
    if r.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []
    if not r.props.get("enableKeyRotation"):
        return [f"{r.name}: enableKeyRotation must be true"]
    return []


def _oidc_statements(policy: Any) -> Iterable[Mapping[str, Any]]:
    for statement in _as_list((policy or {}).get("Statement")):
        federated = _as_list((statement.get("Principal") or {}).get("Federated"))
        if any(OIDC_HOST in str(f) for f in federated):
            yield statement


def oidc_trust_scoped(r: ResourceView) -> list[str]:
    """A role GitHub Actions can assume names one repository and one environment (or PRs)."""
    if r.type != "aws:iam/role:Role":
        return []
    problems = []
    for statement in _oidc_statements(_json(r.props.get("assumeRolePolicy"))):
        condition = statement.get("Condition") or {}
        if any(op.startswith("StringLike") for op in condition):
            problems.append(f"{r.name}: GitHub OIDC trust must use StringEquals, not StringLike")
        equals = condition.get("StringEquals") or {}
        if equals.get(f"{OIDC_HOST}:aud") != "sts.amazonaws.com":
            problems.append(f"{r.name}: GitHub OIDC trust must require aud = sts.amazonaws.com")
        subjects = _as_list(equals.get(f"{OIDC_HOST}:sub"))
        if len(subjects) != 1 or "*" in str(subjects[0]):
            problems.append(f"{r.name}: GitHub OIDC trust must name exactly one subject")
            continue
        if not OIDC_SUBJECT.match(str(subjects[0])):
            problems.append(
                f"{r.name}: GitHub OIDC subject {subjects[0]!r} must be "
                "repo:<owner>/<repo>:environment:<name> (or :pull_request for previews), with "
                "<owner>@<owner-id>/<repo>@<repo-id> in GitHub's immutable form"
            )
    return problems


def roles_bounded(r: ResourceView) -> list[str]:
    """Every IAM role carries a permissions boundary (the stack's ``<app>-<env>-ci-boundary``):
    a role without one escapes the isolation between stacks that share an account. A value not
    known yet (a preview creating the boundary) counts as set."""
    if r.type != "aws:iam/role:Role" or r.props.get("permissionsBoundary"):
        return []
    return [f"{r.name}: every IAM role must carry the stack's permissions boundary"]


def prod_stateful_protected(r: ResourceView) -> list[str]:
    """In prod, stateful resources are protected and retained on delete."""
    if r.type not in STATEFUL_TYPES or r.profile != "prod":
        return []
    if not r.protect or r.retain_on_delete is False:
        return [f"{r.name}: a prod {r.type.split(':')[-1]} must be protected and retained"]
    return []


def circuit_breaker_with_rollback(r: ResourceView) -> list[str]:
    """ECS services roll back a failing deployment by themselves."""
    if r.type != "aws:ecs/service:Service":
        return []
    breaker = r.props.get("deploymentCircuitBreaker") or {}
    if not (breaker.get("enable") and breaker.get("rollback")):
        return [f"{r.name}: deploymentCircuitBreaker must be enabled with rollback"]
    return []


PROGRESSIVE_STRATEGIES = frozenset({"CANARY", "LINEAR", "BLUE_GREEN"})
"""ECS's deployment strategies that shift traffic while alarms can still roll back."""


def prod_progressive_with_alarms(r: ResourceView) -> list[str]:
    """A prod ECS service deploys with a canary, linear or blue/green strategy and rolls back
    on CloudWatch alarms: a bad release meets a share of the traffic first, and its alarms
    act before it has all of it (docs/deployment-strategies.md)."""
    if r.type != "aws:ecs/service:Service" or r.profile != "prod":
        return []
    problems = []
    strategy = (r.props.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"
    if strategy not in PROGRESSIVE_STRATEGIES:
        problems.append(
            f"{r.name}: a prod service must deploy with a CANARY, LINEAR or BLUE_GREEN "
            f"deploymentConfiguration.strategy, not {strategy}"
        )
    alarms = r.props.get("alarms") or {}
    if not (alarms.get("enable") and alarms.get("rollback") and alarms.get("alarmNames")):
        problems.append(
            f"{r.name}: a prod service must roll back on CloudWatch alarms (alarms.enable and "
            "alarms.rollback with alarmNames)"
        )
    return problems


# --- stack rules --------------------------------------------------------------------------------


def prod_backups_copied_and_locked(resources: Sequence[ResourceView]) -> list[str]:
    """A prod stack copies its backups to another region and locks its vault."""
    if not any(r.profile == "prod" for r in resources):
        return []
    plans = [r for r in resources if r.type == "aws:backup/plan:Plan"]
    if not plans:
        return ["prod stack has no AWS Backup plan"]
    problems = []
    copied = any(
        rule.get("copyActions") for plan in plans for rule in _as_list(plan.props.get("rules"))
    )
    if not copied:
        problems.append("prod backup plan has no rule that copies to another region")
    if not any(
        r.type == "aws:backup/vaultLockConfiguration:VaultLockConfiguration" for r in resources
    ):
        problems.append("prod backup vault is not locked (no VaultLockConfiguration)")
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        "ecr-immutable-scanned-encrypted",
        "ECR: immutable tags, scan on push, CMK.",
        ecr_immutable_scanned_encrypted,
    ),
    Rule("no-public-ip-on-tasks", "ECS tasks never get a public IP.", no_public_ip_on_tasks),
    Rule(
        "no-world-open-ports",
        "Only the load balancer's 80/443 admit the internet.",
        no_world_open_ports,
    ),
    Rule("log-retention-set", "Every log group has a retention.", log_retention_set),
    Rule("kms-rotation-on", "Every customer-managed key rotates.", kms_rotation_on),
    Rule(
        "oidc-trust-scoped",
        "GitHub OIDC roles trust one repository and environment.",
        oidc_trust_scoped,
    ),
    Rule(
        "roles-bounded",
        "Every IAM role carries the stack's permissions boundary.",
        roles_bounded,
    ),
    Rule(
        "prod-stateful-protected",
        "Prod stateful resources are protected and retained.",
        prod_stateful_protected,
    ),
    Rule(
        "circuit-breaker-with-rollback",
        "ECS services roll back failed deployments.",
        circuit_breaker_with_rollback,
    ),
    Rule(
        "prod-progressive-with-alarms",
        "Prod services deploy canary, linear or blue/green and roll back on alarms.",
        prod_progressive_with_alarms,
    ),
    Rule(
        "prod-backups-copied-and-locked",
        "Prod backups are copied to another region and the vault is locked.",
        check_stack=prod_backups_copied_and_locked,
    ),
)
"""Every mandatory rule of the pack."""


def evaluate(resources: Sequence[ResourceView]) -> list[str]:
    """All violations in a stack, each prefixed with its rule's name."""
    violations: list[str] = []
    for rule in RULES:
        if rule.check is not None:
            for resource in resources:
                violations.extend(f"[{rule.name}] {v}" for v in rule.check(resource))
        if rule.check_stack is not None:
            violations.extend(f"[{rule.name}] {v}" for v in rule.check_stack(resources))
    return violations
