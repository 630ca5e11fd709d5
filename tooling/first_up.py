"""The first-``up`` model: what each resource that waits at create or update waits for, and
why every one of its preconditions holds on a stack's first ``pulumi up`` in an empty account.

Each entry of :data:`WAITERS` comes from the AWS provider's own source (pulumi-aws bridges
terraform-provider-aws; the file is linked), with the provider's default create timeout and
the one Slipway sets (``customTimeouts``). Each precondition is in exactly one class
(:class:`PreconditionKind`):

* **same up**: a dependency edge in the registered plan, so the engine creates it first;
* **owner stack first**: another stack's ``up`` provides it, in the documented order, and the
  cross-stack checks (:mod:`tooling.cross_stack`) prove that stack exists;
* **external**: outside Pulumi; either checked before anything is registered, or not waited
  on at all on a first ``up``.

:func:`first_up_problems` checks one stack's recorded registrations against the model and
against the infra pipeline's ``up`` job (its ``timeout-minutes``): the longest chain of waits
along the plan's dependencies must end inside it. ``tests/test_first_up.py`` runs it over every
stack file; docs/deployment-guide.md carries the table (:func:`markdown_table`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from slipway.deployment_strategy import rollout_minutes, strategy_of
from tooling.offline import ROOT, RecordedResource, Recording, discover_stacks, stack_settings
from tooling.pipeline import slipway_pipeline

PROVIDER = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service"

SERVICE = "aws:ecs/service:Service"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


class PreconditionKind(StrEnum):
    """Where a precondition of a wait comes from."""

    SAME_UP = "same up"
    OWNER_STACK_FIRST = "owner stack first"
    EXTERNAL = "external"


@dataclass(frozen=True)
class FirstUp:
    """One stack's first ``up`` as recorded, with what the checks need around it."""

    stack: str
    recording: Recording
    job_minutes: int
    """``timeout-minutes`` of the infra pipeline's ``up`` job."""
    deploying_environments: frozenset[str] = frozenset()
    """Environments some owner stack's deploy.yml deploys to (``workflowEnvironments``)."""
    environment: str = ""
    """This stack's GitHub environment."""

    @property
    def file(self) -> str:
        return f"Pulumi.{self.stack}.yaml"

    @functools.cached_property
    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.recording.resources}

    @functools.cached_property
    def children(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for resource in self.recording.resources:
            found.setdefault(resource.parent, []).append(resource.urn)
        return found

    def direct(self, resource: RecordedResource) -> set[str]:
        """What the engine creates before ``resource``: its dependencies, a component's
        dependencies standing for all the component's custom descendants."""
        found: set[str] = set()
        pending = list(resource.dependencies)
        while pending:
            urn = pending.pop()
            if urn in found:
                continue
            found.add(urn)
            dependency = self.by_urn.get(urn)
            if dependency is not None and not dependency.custom:
                pending.extend(self.children.get(urn, []))
        return {u for u in found if u in self.by_urn and self.by_urn[u].custom}

    def upstream(self, resource: RecordedResource) -> set[str]:
        """Every resource created before ``resource`` (transitively)."""
        seen: set[str] = set()
        pending = list(self.direct(resource))
        while pending:
            urn = pending.pop()
            if urn in seen:
                continue
            seen.add(urn)
            pending.extend(self.direct(self.by_urn[urn]))
        return seen


Check = Callable[[RecordedResource, FirstUp], list[str]]
"""A check of an owner-stack or external precondition: the problems, each without the stack
file's name (the caller adds it)."""


@dataclass(frozen=True)
class Precondition:
    """One thing a wait needs in order to end well."""

    what: str
    kind: PreconditionKind
    needs: tuple[str, ...] = ()
    """Same up: type tokens, one of which must be created before the waiting resource."""
    how: str = ""
    """Owner stack first and external: how the program or the order makes it hold."""
    check: Check | None = None
    """Owner stack first and external: the check over the recorded run."""


@dataclass(frozen=True)
class Waiter:
    """A resource type that waits at create or update, from the provider's source."""

    type: str
    waits_for: str
    source: str
    default_minutes: int
    """The provider's default create timeout."""
    slipway_timeout: str
    """What Slipway sets, in words (``customTimeouts``)."""
    preconditions: tuple[Precondition, ...]
    waits: int = 1
    """How many times create waits, each up to the timeout."""
    first_up_minutes: Callable[[RecordedResource, int], int] | None = None
    """The worst case a first ``up`` spends in it, given the create timeout in minutes;
    default: ``waits`` times the timeout."""
    timeout_check: Check | None = None
    """A check that the timeouts Slipway sets fit what the resource waits for."""


def minutes(duration: str) -> int:
    """Whole minutes of a Pulumi custom timeout (``"40m"``, ``"1h"``, ``"90s"``), rounded up."""
    match = re.fullmatch(r"(\d+)([smh])", duration)
    if match is None:
        raise ValueError(f"custom timeout {duration!r} is not <number>s, m or h")
    value, unit = int(match.group(1)), match.group(2)
    return {"s": -(-value // 60), "m": value, "h": value * 60}[unit]


def timeout_minutes(resource: RecordedResource, waiter: Waiter, operation: str) -> int:
    """The timeout of ``operation`` the provider will use: the custom one, else its default."""
    custom = dict(resource.custom_timeouts).get(operation)
    return minutes(custom) if custom else waiter.default_minutes


# --------------------------------------------------------------------------------------------
# The checks of preconditions that are not dependency edges
# --------------------------------------------------------------------------------------------


def _not_waited_on_first_up(resource: RecordedResource, up: FirstUp) -> list[str]:
    """The service must not wait for its tasks on a first ``up``: the image and the secrets'
    values are not there yet (docs/deployment-guide.md, "The first `pulumi up`")."""
    if resource.inputs.get("waitForSteadyState"):
        return [
            f"{resource.name} waits for steady state on the first up, before the image "
            "<repository>:bootstrap is pushed and the secrets hold values: the circuit breaker "
            "stops the deployment and the provider fails the up (waitServiceStable), so the "
            "service's dependants are never created"
        ]
    return []


def _strategy_fits(resource: RecordedResource, up: FirstUp) -> list[str]:
    """A deployment ``up`` starts and waits for must complete inside the update timeout, and
    that wait inside the ``up`` job."""
    waiter = WAITER_BY_TYPE[SERVICE]
    rollout = rollout_minutes(strategy_of(resource.inputs.get("deploymentConfiguration") or {}))
    update = timeout_minutes(resource, waiter, "update")
    problems = []
    if update <= rollout:
        problems.append(
            f"{resource.name}: its update timeout ({update} min) does not outlast one "
            f"deployment of its strategy ({rollout} min), so an up that changes the task "
            "definition fails while ECS is still deploying"
        )
    if update >= up.job_minutes:
        problems.append(
            f"{resource.name}: its update timeout ({update} min) does not fit the infra "
            f"pipeline's up job ({up.job_minutes} min)"
        )
    return problems


def _deploy_workflow_reaches(resource: RecordedResource, up: FirstUp) -> list[str]:
    """CI's first deploy (which writes the record the service starts waiting from) needs the
    owner stack's deploy.yml to deploy to this stack's environment."""
    if up.environment and up.environment not in up.deploying_environments:
        return [
            f"{resource.name}: no stack's deploy.yml deploys to the environment "
            f"{up.environment!r} (slipway:workflowEnvironments of the stack with "
            "ownsRepositoryResources), so CI never deploys here and the image channel never "
            "holds a record"
        ]
    return []


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

WAITERS: tuple[Waiter, ...] = (
    Waiter(
        type=SERVICE,
        waits_for="ACTIVE (waitServiceActive). With waitForSteadyState: the deployment the "
        "create or update started reaches SUCCESSFUL (DescribeServiceDeployments); STOPPED, "
        "ROLLBACK_FAILED or ROLLBACK_SUCCESSFUL fail it (waitServiceStable)",
        source=f"{PROVIDER}/ecs/service.go",
        default_minutes=20,
        slipway_timeout="create and update: the strategy's rollout + 10 min, at least 20 "
        "(steady_state_timeout_minutes)",
        preconditions=(
            Precondition(
                "the cluster and its capacity providers",
                PreconditionKind.SAME_UP,
                needs=("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",),
            ),
            Precondition(
                "the task definition",
                PreconditionKind.SAME_UP,
                needs=("aws:ecs/taskDefinition:TaskDefinition",),
            ),
            Precondition(
                "a listener forwarding to the target group (ECS refuses a target group no "
                "listener uses)",
                PreconditionKind.SAME_UP,
                needs=("aws:lb/listener:Listener",),
            ),
            Precondition(
                "the execution role's policy (pull, logs, secrets)",
                PreconditionKind.SAME_UP,
                needs=("aws:iam/rolePolicy:RolePolicy",),
            ),
            Precondition(
                "a way out of the private subnets: a NAT route or the VPC endpoints",
                PreconditionKind.SAME_UP,
                needs=("aws:ec2/route:Route", "aws:ec2/vpcEndpoint:VpcEndpoint"),
            ),
            Precondition(
                "the image <repository>:bootstrap exists and the application's secrets hold values",
                PreconditionKind.EXTERNAL,
                how="not waited on: the service waits only once the image channel holds a "
                "record CI wrote (ci_has_deployed), never on a first up",
                check=_not_waited_on_first_up,
            ),
            Precondition(
                "CI's first deploy to this environment (it writes the record the wait starts from)",
                PreconditionKind.OWNER_STACK_FIRST,
                how="deploy.yml comes from the one stack with ownsRepositoryResources "
                "(tooling/cross_stack.py checks there is exactly one per repository) and must "
                "deploy to this environment: its workflowEnvironments, checked here",
                check=_deploy_workflow_reaches,
            ),
        ),
        timeout_check=_strategy_fits,
        first_up_minutes=lambda resource, timeout: (
            timeout if resource.inputs.get("waitForSteadyState") else 0
        ),
    ),
    Waiter(
        type=CERTIFICATE_VALIDATION,
        waits_for="the certificate ISSUED (waitCertificateIssued); FAILED or REVOKED fail it",
        source=f"{PROVIDER}/acm/certificate_validation.go",
        default_minutes=75,
        slipway_timeout="create: 30 min (CERTIFICATE_VALIDATION_TIMEOUT_MINUTES)",
        preconditions=(
            Precondition(
                "the certificate",
                PreconditionKind.SAME_UP,
                needs=("aws:acm/certificate:Certificate",),
            ),
            Precondition(
                "the validation CNAME in the hosted zone",
                PreconditionKind.SAME_UP,
                needs=("aws:route53/record:Record",),
            ),
            Precondition(
                "hostedZoneId is the public zone that answers for domainName",
                PreconditionKind.EXTERNAL,
                how="checked before anything is registered: the program reads the zone "
                "(route53 GetHostedZone) and refuses a private zone or one that does not "
                "contain domainName; its delegation from the parent domain cannot be read "
                "and is bounded by the 30-minute timeout",
            ),
        ),
    ),
    Waiter(
        type=NAT_GATEWAY,
        waits_for="available (waitNATGatewayCreated); failed fails it",
        source=f"{PROVIDER}/ec2/vpc_nat_gateway.go",
        default_minutes=10,
        slipway_timeout="the provider's",
        preconditions=(
            Precondition(
                "the internet gateway attached to the VPC",
                PreconditionKind.SAME_UP,
                needs=("aws:ec2/internetGateway:InternetGateway",),
            ),
            Precondition("its Elastic IP", PreconditionKind.SAME_UP, needs=("aws:ec2/eip:Eip",)),
        ),
    ),
    Waiter(
        type=LOAD_BALANCER,
        waits_for="active (waitLoadBalancerActive), once after CreateLoadBalancer and again "
        "after ModifyLoadBalancerAttributes",
        source=f"{PROVIDER}/elbv2/load_balancer.go",
        default_minutes=10,
        slipway_timeout="the provider's",
        waits=2,
        preconditions=(
            Precondition(
                "the public subnets", PreconditionKind.SAME_UP, needs=("aws:ec2/subnet:Subnet",)
            ),
            Precondition(
                "its security group",
                PreconditionKind.SAME_UP,
                needs=("aws:ec2/securityGroup:SecurityGroup",),
            ),
            Precondition(
                "the access-log bucket's policy (the attributes call checks it can write)",
                PreconditionKind.SAME_UP,
                needs=("aws:s3/bucketPolicy:BucketPolicy",),
            ),
        ),
    ),
)
"""Every resource type of the plan that waits at create or update for AWS to finish."""

WAITER_BY_TYPE: Mapping[str, Waiter] = {w.type: w for w in WAITERS}


def _first_up_minutes(resource: RecordedResource) -> int:
    waiter = WAITER_BY_TYPE.get(resource.type)
    if waiter is None:
        return 0
    timeout = timeout_minutes(resource, waiter, "create")
    if waiter.first_up_minutes is not None:
        return waiter.first_up_minutes(resource, timeout)
    return waiter.waits * timeout


def longest_wait(up: FirstUp) -> tuple[int, list[str]]:
    """The longest chain of waits along the plan's dependencies (minutes, and the names on
    it): the engine runs independent creates in parallel, so this is a first ``up``'s worst
    case spent waiting."""

    @functools.cache
    def chain(urn: str) -> tuple[int, tuple[str, ...]]:
        resource = up.by_urn[urn]
        best: tuple[int, tuple[str, ...]] = (0, ())
        for dependency in up.direct(resource):
            candidate = chain(dependency)
            if candidate[0] > best[0]:
                best = candidate
        own = _first_up_minutes(resource)
        return best[0] + own, best[1] + ((resource.name,) if own else ())

    worst: tuple[int, tuple[str, ...]] = (0, ())
    for resource in up.recording.resources:
        if resource.custom:
            candidate = chain(resource.urn)
            if candidate[0] > worst[0]:
                worst = candidate
    return worst[0], list(worst[1])


def first_up_problems(up: FirstUp) -> list[str]:
    """Every way the recorded first ``up`` of one stack breaks the model, each naming the
    stack file."""
    problems: list[str] = []
    for resource in up.recording.resources:
        waiter = WAITER_BY_TYPE.get(resource.type)
        if waiter is None:
            continue
        before = {up.by_urn[u].type for u in up.upstream(resource)}
        for precondition in waiter.preconditions:
            if precondition.needs and not before & set(precondition.needs):
                problems.append(
                    f"{up.file}: {resource.type} {resource.name} does not depend on "
                    f"{precondition.what} ({' or '.join(precondition.needs)}): same up, so "
                    "the plan must create it first"
                )
            if precondition.check is not None:
                problems += [f"{up.file}: {p}" for p in precondition.check(resource, up)]
        if waiter.timeout_check is not None:
            problems += [f"{up.file}: {p}" for p in waiter.timeout_check(resource, up)]
    total, names = longest_wait(up)
    if total >= up.job_minutes:
        problems.append(
            f"{up.file}: a first up can wait {total} min along {' -> '.join(names)}, not "
            f"inside the infra pipeline's up job ({up.job_minutes} min)"
        )
    return problems


def markdown_table() -> str:
    """The model as a Markdown table, for docs/deployment-guide.md."""
    lines = [
        "| Resource | Waits for | Provider default | Slipway | Preconditions |",
        "|---|---|---|---|---|",
    ]
    for waiter in WAITERS:
        kind = waiter.type.split(":")[-1]
        conditions = "; ".join(
            f"*{p.kind.value}*: {p.what}" + (f" ({p.how})" if p.how else "")
            for p in waiter.preconditions
        )
        default = f"{waiter.default_minutes} min" + (
            f" (x{waiter.waits})" if waiter.waits > 1 else ""
        )
        lines.append(
            f"| [{kind}]({waiter.source}) | {waiter.waits_for} | {default} | "
            f"{waiter.slipway_timeout} | {conditions} |"
        )
    return "\n".join(lines) + "\n"


def describe(up: FirstUp) -> dict[str, Any]:
    """The longest wait of one stack's first ``up``, for the plan and the docs."""
    total, names = longest_wait(up)
    return {"stack": up.stack, "minutes": total, "chain": names, "job_minutes": up.job_minutes}


def for_stack(stack: str, recording: Recording, root: Path = ROOT) -> FirstUp:
    """The first ``up`` of ``stack`` from its recorded run, with the infra pipeline's ``up``
    job timeout and the environments the owner stacks' deploy.yml deploy to (every stack file
    in ``root``)."""
    settings = {name: stack_settings(name, root) for name in discover_stacks(root)}
    deploying = frozenset(
        environment
        for other in settings.values()
        if other.workflows.owns_repository_resources
        and other.identity.github_repository.lower()
        == settings[stack].identity.github_repository.lower()
        for environment in other.workflows.workflow_environments
    )
    return FirstUp(
        stack=stack,
        recording=recording,
        job_minutes=slipway_pipeline(root).up_timeout_minutes,
        deploying_environments=deploying,
        environment=settings[stack].identity.env,
    )
