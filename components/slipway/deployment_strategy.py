"""How a :class:`~slipway.fargate_service.FargateService` moves traffic to a new revision:
ECS's own deployment strategies, their limits, lifecycle hooks and the time each takes.

ECS (deployment controller ``ECS``) offers four strategies (``deploymentConfiguration.strategy``
in CreateService/UpdateService):

* :class:`RollingStrategy`: tasks are replaced in batches; new tasks take traffic as soon as
  they are healthy.
* :class:`CanaryStrategy`: ``percent`` of production traffic goes to the new revision for
  ``interval_minutes`` (``canaryBakeTimeInMinutes``), then the rest at once.
* :class:`LinearStrategy`: ``step_percent`` more traffic every ``interval_minutes``
  (``stepBakeTimeInMinutes``) until all of it.
* :class:`BlueGreenStrategy`: all production traffic at once, after test traffic.

The three non-rolling strategies keep the old (blue) revision for ``bake_minutes``
(``bakeTimeInMinutes``) after all traffic has moved, and roll back to it when a deployment
alarm fires or a lifecycle hook fails during that time. They need two target groups, a
production listener rule, a test listener rule and an ECS infrastructure role for load
balancers (:mod:`slipway.load_balancer` builds them).

The limits are ECS's own, read from botocore's ECS model (:func:`ecs_limits`): the model
carries no min/max metadata for these members, so they are read from each member's
documentation text ("Valid values are multiples of 0.1 from 0.1 to 100.0", "Valid values are
0 to 1440 minutes"), and a test pins what was read.

Sources (AWS, Amazon ECS Developer Guide and API Reference):

* "Amazon ECS blue/green deployments",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html
* "Amazon ECS canary deployments",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment.html
* "Amazon ECS linear deployments",
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-linear.html
* "CanaryConfiguration" and "LinearConfiguration" (API Reference),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
* "DeploymentLifecycleHook" (API Reference),
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html
* "AWS::ECS::Service LinearConfiguration" (CloudFormation): the number of waits of a linear
  deployment, ``100 / stepPercent - 1`` when the step divides 100, else its floor,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-linearconfiguration.html
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

import botocore.session
import pulumi
import pulumi_aws as aws

from slipway.errors import Problems, invalid, is_whole


class StrategyKind(StrEnum):
    """The strategy's name as Slipway spells it (``slipway:deploymentStrategy``)."""

    ROLLING = "rolling"
    CANARY = "canary"
    LINEAR = "linear"
    BLUE_GREEN = "blue_green"

    @property
    def ecs(self) -> str:
        """ECS's ``DeploymentStrategy`` value: ``ROLLING``, ``CANARY``, ``LINEAR``,
        ``BLUE_GREEN``."""
        return self.value.upper()


# --------------------------------------------------------------------------------------------
# ECS's limits, from botocore's model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A closed range of values ECS accepts, in steps of ``step`` (None: any value)."""

    low: float
    high: float
    step: float | None = None
    source: str = ""
    """Where ECS says so (``<Shape>.<member>``)."""

    def allows(self, value: object) -> bool:
        """Whether ``value`` is a number in the range, on a step."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step is None:
            return float(value).is_integer()
        return math.isclose(round(value / self.step) * self.step, value, abs_tol=1e-9)

    def describe(self, unit: str) -> str:
        """``0.1 to 100.0 %, in steps of 0.1 (ECS's CanaryConfiguration.canaryPercent)``."""
        low, high = _number(self.low), _number(self.high)
        steps = f", in steps of {_number(self.step)}" if self.step is not None else ""
        return f"{low} to {high}{unit}{steps} (ECS's {self.source})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_MULTIPLES = re.compile(
    r"Valid values are multiples of ([0-9]+(?:\.[0-9]+)?) from ([0-9]+(?:\.[0-9]+)?) "
    r"to ([0-9]+(?:\.[0-9]+)?)"
)
_MINUTES = re.compile(r"Valid values are ([0-9]+) to ([0-9]+) minutes")


@dataclass(frozen=True)
class EcsLimits:
    """The ranges ECS documents in its API model for the strategies' parameters."""

    canary_percent: Range
    linear_step_percent: Range
    canary_interval_minutes: Range
    linear_interval_minutes: Range
    bake_time_minutes: Range


BAKE_TIME_SOURCE = "DeploymentConfiguration.bakeTimeInMinutes"
BAKE_TIME_MAX_MINUTES = 1440
"""The deployment bake time's most: botocore's model documents no range for
``DeploymentConfiguration.bakeTimeInMinutes`` (a test checks it still does not), so this is the
range of the other two bake times in the same model (0 to 1440 minutes) that the ECS developer
guide gives for it too ("Amazon ECS linear deployments": "Deployment bake time"; pulumi-aws
7.51.1 ``ServiceDeploymentConfigurationArgs.bake_time_in_minutes``: "Valid range: 0-1440
minutes")."""


def _member_doc(shape: str, member: str) -> str:
    model = botocore.session.get_session().get_service_model("ecs")
    documentation: str = model.shape_for(shape).members[member].documentation
    return documentation


def _percent_range(shape: str, member: str) -> Range:
    match = _MULTIPLES.search(_member_doc(shape, member))
    if match is None:
        raise RuntimeError(f"botocore's ECS model no longer documents {shape}.{member}'s range")
    step, low, high = (float(g) for g in match.groups())
    return Range(low, high, step, f"{shape}.{member}")


def _minutes_range(shape: str, member: str) -> Range:
    match = _MINUTES.search(_member_doc(shape, member))
    if match is None:
        raise RuntimeError(f"botocore's ECS model no longer documents {shape}.{member}'s range")
    return Range(float(match.group(1)), float(match.group(2)), None, f"{shape}.{member}")


@functools.cache
def ecs_limits() -> EcsLimits:
    """ECS's limits, read once from botocore's ECS model (each member's documentation)."""
    return EcsLimits(
        canary_percent=_percent_range("CanaryConfiguration", "canaryPercent"),
        linear_step_percent=_percent_range("LinearConfiguration", "stepPercent"),
        canary_interval_minutes=_minutes_range("CanaryConfiguration", "canaryBakeTimeInMinutes"),
        linear_interval_minutes=_minutes_range("LinearConfiguration", "stepBakeTimeInMinutes"),
        bake_time_minutes=Range(0, BAKE_TIME_MAX_MINUTES, None, BAKE_TIME_SOURCE),
    )


@functools.cache
def lifecycle_stages() -> tuple[str, ...]:
    """ECS's lifecycle stages (``DeploymentLifecycleHookStage``'s enum in botocore's model)."""
    model = botocore.session.get_session().get_service_model("ecs")
    return tuple(model.shape_for("DeploymentLifecycleHookStage").enum)


# --------------------------------------------------------------------------------------------
# Rules: one home each, used by the options below and by the stack settings
# --------------------------------------------------------------------------------------------


def strategy_kind_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` names a strategy (:class:`StrategyKind`)."""
    if value in {kind.value for kind in StrategyKind}:
        return []
    return [invalid(setting, value, " or ".join(kind.value for kind in StrategyKind))]


def _range_problems(value: object, setting: str, allowed: Range, unit: str) -> list[str]:
    if allowed.allows(value):
        return []
    return [invalid(setting, value, allowed.describe(unit))]


def canary_percent_problems(value: object, setting: str) -> list[str]:
    """ECS's range for the canary's share of production traffic."""
    return _range_problems(value, setting, ecs_limits().canary_percent, " %")


def linear_step_percent_problems(value: object, setting: str) -> list[str]:
    """ECS's range for a linear step's share of production traffic."""
    return _range_problems(value, setting, ecs_limits().linear_step_percent, " %")


def step_interval_problems(value: object, setting: str) -> list[str]:
    """ECS's range for the wait between traffic steps (the canary's and a linear step's bake
    times have one range; both are checked, so a change in either is caught)."""
    limits = ecs_limits()
    for allowed in (limits.canary_interval_minutes, limits.linear_interval_minutes):
        problems = _range_problems(value, setting, allowed, " minutes")
        if problems:
            return problems
    return []


def bake_time_problems(value: object, setting: str) -> list[str]:
    """ECS's range for the deployment bake time (:data:`BAKE_TIME_MAX_MINUTES`)."""
    return _range_problems(value, setting, ecs_limits().bake_time_minutes, " minutes")


# --------------------------------------------------------------------------------------------
# The strategies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficStep:
    """From ``minute`` (after the new revision first takes production traffic), ``percent``
    of production traffic goes to it."""

    minute: int
    percent: float


@dataclass(frozen=True)
class Timeline:
    """What a strategy's settings cost in time, counting only the waits it configures (task
    start, health checks, test traffic and lifecycle hooks come on top)."""

    steps: tuple[TrafficStep, ...]
    """Production traffic on the new revision over time; the last step is 100 %."""
    full_traffic_minutes: int
    """Minutes from the first production traffic on the new revision until all of it."""
    bake_minutes: int
    """Minutes both revisions then still run, so an alarm can still roll back."""

    @property
    def complete_minutes(self) -> int:
        """Minutes until the deployment completes (full traffic, then the bake)."""
        return self.full_traffic_minutes + self.bake_minutes


def _check_bake(problems: Problems, bake_minutes: int) -> None:
    problems.extend(bake_time_problems(bake_minutes, problems.name("bake_minutes")))


@dataclass(frozen=True)
class RollingStrategy:
    """ECS's rolling update: batches of new tasks replace old ones (maximum 200 %, minimum
    healthy 100 %); new tasks take traffic once healthy. No bake: only the circuit breaker and
    the alarms roll back, while the deployment runs."""

    kind = StrategyKind.ROLLING

    def timeline(self) -> Timeline:
        """All traffic as soon as the new tasks are healthy."""
        return Timeline((TrafficStep(0, 100.0),), 0, 0)


@dataclass(frozen=True)
class CanaryStrategy:
    """``percent`` of production traffic for ``interval_minutes``, then all of it; the old
    revision stays for ``bake_minutes`` more."""

    kind = StrategyKind.CANARY
    percent: float = 10.0
    """Share of production traffic the canary takes (ECS: 0.1 to 100.0, steps of 0.1)."""
    interval_minutes: int = 10
    """Minutes the canary takes ``percent`` before the rest moves (0 to 1440)."""
    bake_minutes: int = 15
    """Minutes both revisions run after all traffic moved (0 to 1440)."""

    def __post_init__(self) -> None:
        problems = Problems("CanaryStrategy")
        problems.extend(canary_percent_problems(self.percent, problems.name("percent")))
        problems.extend(
            step_interval_problems(self.interval_minutes, problems.name("interval_minutes"))
        )
        _check_bake(problems, self.bake_minutes)
        problems.raise_any()

    def timeline(self) -> Timeline:
        """The canary's share, then all traffic after ``interval_minutes``."""
        if self.percent >= 100:
            return Timeline((TrafficStep(0, 100.0),), 0, self.bake_minutes)
        steps = (TrafficStep(0, float(self.percent)), TrafficStep(self.interval_minutes, 100.0))
        return Timeline(steps, self.interval_minutes, self.bake_minutes)


@dataclass(frozen=True)
class LinearStrategy:
    """``step_percent`` more production traffic every ``interval_minutes`` until all of it;
    the old revision stays for ``bake_minutes`` more."""

    kind = StrategyKind.LINEAR
    step_percent: float = 10.0
    """Share of production traffic each step adds (ECS: 3.0 to 100.0, steps of 0.1)."""
    interval_minutes: int = 6
    """Minutes between steps (0 to 1440); none after the last."""
    bake_minutes: int = 15
    """Minutes both revisions run after all traffic moved (0 to 1440)."""

    def __post_init__(self) -> None:
        problems = Problems("LinearStrategy")
        problems.extend(
            linear_step_percent_problems(self.step_percent, problems.name("step_percent"))
        )
        problems.extend(
            step_interval_problems(self.interval_minutes, problems.name("interval_minutes"))
        )
        _check_bake(problems, self.bake_minutes)
        problems.raise_any()

    @property
    def waits(self) -> int:
        """How many ``interval_minutes`` waits the deployment has: ``100 / step - 1`` when the
        step divides 100, else the floor of ``100 / step`` (CloudFormation's
        LinearConfiguration, which ECS's own schedule follows)."""
        tenths, step_tenths = 1000, round(self.step_percent * 10)
        quotient, remainder = divmod(tenths, step_tenths)
        return quotient - 1 if remainder == 0 else quotient

    def timeline(self) -> Timeline:
        """``step_percent`` more at each wait, the last step capped at 100 %."""
        shifting = [
            TrafficStep(
                index * self.interval_minutes,
                min(100.0, round((index + 1) * self.step_percent, 1)),
            )
            for index in range(self.waits)
        ]
        steps = (*shifting, TrafficStep(self.waits * self.interval_minutes, 100.0))
        return Timeline(steps, self.waits * self.interval_minutes, self.bake_minutes)


@dataclass(frozen=True)
class BlueGreenStrategy:
    """All production traffic at once after test traffic; the old (blue) revision stays for
    ``bake_minutes`` (ECS requires the bake time with ``BLUE_GREEN``)."""

    kind = StrategyKind.BLUE_GREEN
    bake_minutes: int = 15
    """Minutes both revisions run after all traffic moved (0 to 1440)."""

    def __post_init__(self) -> None:
        problems = Problems("BlueGreenStrategy")
        _check_bake(problems, self.bake_minutes)
        problems.raise_any()

    def timeline(self) -> Timeline:
        """All traffic at once, then the bake."""
        return Timeline((TrafficStep(0, 100.0),), 0, self.bake_minutes)


DeploymentStrategy = RollingStrategy | CanaryStrategy | LinearStrategy | BlueGreenStrategy
"""One of the four strategies, each with its own parameters."""
STRATEGY_TYPES = (RollingStrategy, CanaryStrategy, LinearStrategy, BlueGreenStrategy)


def is_progressive(
    strategy: DeploymentStrategy,
) -> TypeGuard[CanaryStrategy | LinearStrategy | BlueGreenStrategy]:
    """Whether ECS shifts traffic between two target groups (every strategy but rolling)."""
    return not isinstance(strategy, RollingStrategy)


ROLLOUT_START_MINUTES = 5
"""What a rollout takes before ECS moves any traffic: the new tasks start and pass the target
group's health checks (and, with a hook, the test traffic is checked). Added to a strategy's
time to completion (:meth:`Timeline.complete_minutes`) to get the rollout wait a deploy job, or
a ``pulumi up`` that starts a deployment, must allow."""

PROVIDER_SERVICE_TIMEOUT_MINUTES = 20
"""The ECS service's default create and update timeout in the AWS provider
(terraform-provider-aws ``internal/service/ecs/service.go``, ``Timeouts``: 20 minutes each,
https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/ecs/service.go)."""

STEADY_STATE_MARGIN_MINUTES = 10
"""What a ``pulumi up`` that waits for its own deployment allows beyond the rollout: the
provider's polling, a slow task start, a lifecycle hook's retry."""


def rollout_minutes(strategy: DeploymentStrategy) -> int:
    """Minutes one deployment takes until it completes: the new tasks start
    (:data:`ROLLOUT_START_MINUTES`), then the strategy's time to full traffic and its bake."""
    return strategy.timeline().complete_minutes + ROLLOUT_START_MINUTES


def steady_state_timeout_minutes(strategy: DeploymentStrategy) -> int:
    """The service's create and update timeout (``customTimeouts``) when ``pulumi up`` waits
    for a deployment it starts: the whole rollout plus :data:`STEADY_STATE_MARGIN_MINUTES`,
    never shorter than the provider's own default. Prod's canary (10 min, bake 15) completes
    after 30 minutes with the task start, longer than the provider's 20."""
    return max(
        PROVIDER_SERVICE_TIMEOUT_MINUTES, rollout_minutes(strategy) + STEADY_STATE_MARGIN_MINUTES
    )


def deployment_strategy(
    kind: str,
    *,
    canary_percent: float,
    linear_step_percent: float,
    step_interval_minutes: int,
    bake_time_minutes: int,
) -> DeploymentStrategy:
    """The strategy a stack's flat settings describe; parameters the kind does not use are
    ignored."""
    strategy = StrategyKind(kind)
    if strategy is StrategyKind.CANARY:
        return CanaryStrategy(canary_percent, step_interval_minutes, bake_time_minutes)
    if strategy is StrategyKind.LINEAR:
        return LinearStrategy(linear_step_percent, step_interval_minutes, bake_time_minutes)
    if strategy is StrategyKind.BLUE_GREEN:
        return BlueGreenStrategy(bake_time_minutes)
    return RollingStrategy()


def strategy_of(configuration: Mapping[str, Any]) -> DeploymentStrategy:
    """The strategy a service's ``deploymentConfiguration`` input says (the inverse of
    :func:`deployment_configuration`, as the engine receives it: camelCase keys, minutes as
    strings), so that what is shown is what the program sent."""
    kind = StrategyKind(str(configuration.get("strategy", "ROLLING")).lower())
    bake = int(configuration.get("bakeTimeInMinutes", 0))
    if kind is StrategyKind.CANARY:
        canary = configuration["canaryConfiguration"]
        return CanaryStrategy(
            float(canary["canaryPercent"]), int(canary["canaryBakeTimeInMinutes"]), bake
        )
    if kind is StrategyKind.LINEAR:
        linear = configuration["linearConfiguration"]
        return LinearStrategy(
            float(linear["stepPercent"]), int(linear["stepBakeTimeInMinutes"]), bake
        )
    if kind is StrategyKind.BLUE_GREEN:
        return BlueGreenStrategy(bake)
    return RollingStrategy()


def describe(strategy: DeploymentStrategy) -> str:
    """One line for the plan and the docs: the strategy, its steps, the time to full traffic
    and to completion, e.g. ``canary: 10 % for 10 min, then 100 %; bake 15 min; full traffic
    after 10 min, complete after 25 min``."""
    timeline = strategy.timeline()
    if isinstance(strategy, RollingStrategy):
        shape = "tasks replaced in batches, each taking traffic once healthy"
    elif isinstance(strategy, CanaryStrategy):
        shape = f"{_number(strategy.percent)} % for {strategy.interval_minutes} min, then 100 %"
    elif isinstance(strategy, LinearStrategy):
        shape = (
            f"{_number(strategy.step_percent)} % more every {strategy.interval_minutes} min "
            f"({len(timeline.steps)} steps)"
        )
    else:
        shape = "100 % at once after test traffic"
    return (
        f"{strategy.kind.value}: {shape}; bake {timeline.bake_minutes} min; full traffic after "
        f"{timeline.full_traffic_minutes} min, complete after {timeline.complete_minutes} min"
    )


def time_to_full_traffic(strategy: DeploymentStrategy) -> int:
    """Minutes from the new revision's first production traffic until it takes all of it
    (the waits the strategy configures; task start and hooks come on top)."""
    return strategy.timeline().full_traffic_minutes


# --------------------------------------------------------------------------------------------
# Lifecycle hooks
# --------------------------------------------------------------------------------------------

LAMBDA_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]+)?$"
)
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")


HOOK_TIMEOUT_MAX_MINUTES = 1440
"""The ECS API's default (and longest documented) wait for a lifecycle hook."""


@dataclass(frozen=True)
class LifecycleHook:
    """A Lambda function ECS invokes at lifecycle stages of a non-rolling deployment; when it
    answers ``FAILED``, ECS rolls the deployment back ("Lifecycle hooks for Amazon ECS service
    deployments",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html;
    the role: "Permissions required for Lambda functions in Amazon ECS blue/green
    deployments",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html)."""

    hook_target_arn: pulumi.Input[str]
    """ARN of the Lambda function."""
    role_arn: pulumi.Input[str]
    """ARN of the role ECS assumes to invoke it (trusting ``ecs.amazonaws.com``, allowed
    ``lambda:InvokeFunction`` on the function)."""
    lifecycle_stages: Sequence[str]
    """Stages at which ECS invokes it, from botocore's ``DeploymentLifecycleHookStage`` enum
    (:func:`lifecycle_stages`), e.g. ``POST_TEST_TRAFFIC_SHIFT``."""
    hook_details: Mapping[str, Any] | None = None
    """A JSON object ECS passes to every invocation. Default: none."""
    timeout_minutes: int | None = None
    """Minutes ECS waits for the hook to resolve before it rolls the deployment back, 1 to
    1440 (the ECS API's ``DeploymentLifecycleHookTimeoutConfiguration``: default 1440 minutes,
    action ``ROLLBACK``). Default: ECS's 24 hours."""

    def __post_init__(self) -> None:
        problems = Problems("LifecycleHook")
        if isinstance(self.hook_target_arn, str):
            problems.check(
                bool(LAMBDA_FUNCTION_ARN.match(self.hook_target_arn)),
                "hook_target_arn",
                self.hook_target_arn,
                "a Lambda function ARN",
            )
        if isinstance(self.role_arn, str):
            problems.check(
                bool(ROLE_ARN.match(self.role_arn)), "role_arn", self.role_arn, "an IAM role ARN"
            )
        stages = list(self.lifecycle_stages)
        known = lifecycle_stages()
        problems.check(
            bool(stages) and all(s in known for s in stages) and len(set(stages)) == len(stages),
            "lifecycle_stages",
            stages,
            "one or more of ECS's stages, each once: " + ", ".join(known),
        )
        if self.hook_details is not None:
            try:
                json.dumps(dict(self.hook_details))
                serializable = True
            except (TypeError, ValueError):
                serializable = False
            problems.check(
                serializable, "hook_details", self.hook_details, "a JSON object (or None)"
            )
        if self.timeout_minutes is not None:
            problems.check(
                is_whole(self.timeout_minutes, 1, HOOK_TIMEOUT_MAX_MINUTES),
                "timeout_minutes",
                self.timeout_minutes,
                f"1 to {HOOK_TIMEOUT_MAX_MINUTES} minutes (or None)",
            )
        problems.raise_any()

    def args(self) -> aws.ecs.ServiceDeploymentConfigurationLifecycleHookArgs:
        """The hook as the service's ``deployment_configuration.lifecycle_hooks`` item."""
        return aws.ecs.ServiceDeploymentConfigurationLifecycleHookArgs(
            hook_target_arn=self.hook_target_arn,
            role_arn=self.role_arn,
            lifecycle_stages=list(self.lifecycle_stages),
            hook_details=(
                json.dumps(dict(self.hook_details), sort_keys=True)
                if self.hook_details is not None
                else None
            ),
            timeout_configuration=(
                aws.ecs.ServiceDeploymentConfigurationLifecycleHookTimeoutConfigurationArgs(
                    timeout_in_minutes=str(self.timeout_minutes), action="ROLLBACK"
                )
                if self.timeout_minutes is not None
                else None
            ),
        )


def strategy_problems(
    strategy: object, hooks: Sequence[object], setting: str, hooks_setting: str
) -> list[str]:
    """Problems with a service's strategy and hooks together: the strategy one of the four
    types; hooks only with a non-rolling strategy (ECS runs them only there)."""
    problems: list[str] = []
    if not isinstance(strategy, STRATEGY_TYPES):
        problems.append(
            invalid(
                setting,
                strategy,
                "RollingStrategy, CanaryStrategy, LinearStrategy or BlueGreenStrategy",
            )
        )
        return problems
    if not all(isinstance(hook, LifecycleHook) for hook in hooks):
        problems.append(invalid(hooks_setting, list(hooks), "LifecycleHook items"))
    if hooks and isinstance(strategy, RollingStrategy):
        problems.append(
            invalid(
                hooks_setting,
                len(hooks),
                "no lifecycle hooks with a rolling strategy: ECS runs them only in canary, "
                "linear and blue/green deployments",
            )
        )
    return problems


def deployment_configuration(
    strategy: DeploymentStrategy, hooks: Sequence[LifecycleHook]
) -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """The service's ``deployment_configuration`` block (pulumi-aws 7.51.1: its minutes are
    strings)."""
    if isinstance(strategy, RollingStrategy):
        return aws.ecs.ServiceDeploymentConfigurationArgs(strategy=strategy.kind.ecs)
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=strategy.kind.ecs,
        bake_time_in_minutes=str(strategy.bake_minutes),
        canary_configuration=(
            aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
                canary_percent=float(strategy.percent),
                canary_bake_time_in_minutes=str(strategy.interval_minutes),
            )
            if isinstance(strategy, CanaryStrategy)
            else None
        ),
        linear_configuration=(
            aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
                step_percent=float(strategy.step_percent),
                step_bake_time_in_minutes=str(strategy.interval_minutes),
            )
            if isinstance(strategy, LinearStrategy)
            else None
        ),
        lifecycle_hooks=[hook.args() for hook in hooks] or None,
    )
