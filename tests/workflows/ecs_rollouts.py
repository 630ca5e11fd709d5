"""The life cycle of an ECS service deployment, added to moto's ECS for the deploy tests.

moto 5.2.5 implements none of ``ListServiceDeployments``, ``DescribeServiceDeployments``,
``StopServiceDeployment`` or ``DescribeServiceRevisions``, and its ``UpdateService`` only
changes the service's ``taskDefinition``. Real ECS ("View service history using Amazon ECS
service deployments", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html;
"Stopping Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stop-service-deployment.html)
creates a service deployment for every update that needs one, ``PENDING`` then
``IN_PROGRESS`` through its lifecycle stages, ending ``SUCCESSFUL``; a failure the circuit
breaker, an alarm or a lifecycle hook detects (or a ``StopServiceDeployment`` with
``stopType: ROLLBACK``) turns it ``ROLLBACK_REQUESTED``, ``ROLLBACK_IN_PROGRESS`` and
``ROLLBACK_SUCCESSFUL`` (the service back on the source revision); ``ABORT`` gives
``STOP_REQUESTED`` then ``STOPPED``. A newer deployment stops an unfinished one.

:class:`EcsRollouts` plays that life cycle for the clusters a test tracks: it wraps moto's
``update_service`` (a new task definition starts a deployment) and adds the four operations to
moto's ECS response class, so the moto server the tests already run answers them. Answers go
through moto's serializer, which shapes them on botocore's ECS model (the same shapes and
enums: :data:`STATUSES`, the ``lifecycleStage`` values). The deployment moves one step at each
``DescribeServiceDeployments`` poll, as the old rolling model moved at each
``DescribeServices``: tests are then fast and deterministic.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

from tests.aws_models import service_model

if TYPE_CHECKING:
    # moto's ECS brings in its EC2 (about 1.4 s): imported by installed(), when a test uses it.
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

COMPLETE = "complete"
"""The deployment goes through every stage of its strategy and ends SUCCESSFUL."""
STUCK = "stuck"
"""The deployment stays IN_PROGRESS (a rolling update whose tasks never settle; a canary,
linear or blue/green deployment baking for longer than the test waits)."""
FAIL = "fail"
"""The circuit breaker fails the deployment at the ``fail_at_poll``-th poll."""
ALARM = "alarm"
"""A rollback alarm fires while the deployment bakes (``BAKE_TIME``)."""
HOOK_FAIL = "hook-fail"
"""The lifecycle hook (the smoke test against the test listener) fails after test traffic."""

ROLLING, CANARY, LINEAR, BLUE_GREEN = "ROLLING", "CANARY", "LINEAR", "BLUE_GREEN"

_MODEL = service_model("ecs")
STATUSES = tuple(_MODEL.shape_for("ServiceDeploymentStatus").enum)
"""Every status of a service deployment, from botocore's model."""
STAGES = tuple(_MODEL.shape_for("ServiceDeploymentLifecycleStage").enum)
"""Every lifecycle stage of a service deployment, from botocore's model."""
ONGOING = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
ALARM_NAME = "storefront-prod-target-5xx"
HOOK_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:storefront-prod-smoke-test"

Step = tuple[str | None, float]
CANARY_PERCENT = 10.0
_SCALE: list[Step] = [("PRE_SCALE_UP", 0.0), ("SCALE_UP", 0.0), ("POST_SCALE_UP", 0.0)]
_TEST: list[Step] = [("TEST_TRAFFIC_SHIFT", 0.0), ("POST_TEST_TRAFFIC_SHIFT", 0.0)]
_END: list[Step] = [
    ("POST_PRODUCTION_TRAFFIC_SHIFT", 100.0),
    ("BAKE_TIME", 100.0),
    ("CLEAN_UP", 100.0),
]
STEPS: dict[str, list[Step]] = {
    ROLLING: [(None, 100.0)],
    CANARY: _SCALE
    + _TEST
    + [("PRODUCTION_TRAFFIC_SHIFT", CANARY_PERCENT), ("PRODUCTION_TRAFFIC_SHIFT", 100.0)]
    + _END,
    LINEAR: _SCALE
    + _TEST
    + [("PRODUCTION_TRAFFIC_SHIFT", float(weight)) for weight in (25, 50, 75, 100)]
    + _END,
    BLUE_GREEN: _SCALE + _TEST + [("PRODUCTION_TRAFFIC_SHIFT", 100.0)] + _END,
}
"""Each strategy's (lifecycle stage, production traffic to the new revision) steps; a rolling
deployment reports no stage."""
assert {stage for steps in STEPS.values() for stage, _ in steps if stage} <= set(STAGES)


@dataclass
class Rollout:
    """One service deployment the model started, and how it goes."""

    arn: str
    cluster: str
    service: str
    cluster_arn: str
    service_arn: str
    task_definition: str
    previous_task_definition: str
    source_revision: str
    target_revision: str
    strategy: str
    plan: str
    desired: int
    created_at: datetime
    status: str = "PENDING"
    status_reason: str = "The service deployment has been created."
    position: int = -1
    polls: int = 0
    """DescribeServiceDeployments polls while it was PENDING or IN_PROGRESS."""
    failed_at: float | None = None
    """``time.monotonic()`` of the poll that started its rollback."""
    polls_after_failure: int = 0
    stopped_by: str = ""
    """The ``stopType`` of a StopServiceDeployment call, if any."""
    breaker: str = "MONITORING"
    alarm: str = "MONITORING"
    hook: str = ""
    rollback_started: datetime | None = None
    finished_at: datetime | None = None
    stages_seen: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str | None:
        if self.position < 0:
            return None
        return STEPS[self.strategy][min(self.position, len(STEPS[self.strategy]) - 1)][0]

    @property
    def weight(self) -> float:
        if self.position < 0:
            return 0.0
        return STEPS[self.strategy][min(self.position, len(STEPS[self.strategy]) - 1)][1]

    def brief(self) -> dict[str, Any]:
        """Its ``ServiceDeploymentBrief`` (ListServiceDeployments)."""
        answer: dict[str, Any] = {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "targetServiceRevisionArn": self.target_revision,
            "status": self.status,
            "statusReason": self.status_reason,
        }
        if self.position >= 0:
            answer["startedAt"] = self.created_at
        if self.finished_at:
            answer["finishedAt"] = self.finished_at
        return answer

    def full(self) -> dict[str, Any]:
        """Its ``ServiceDeployment`` (DescribeServiceDeployments)."""
        weight = self.weight if self.status in ("PENDING", "IN_PROGRESS", "SUCCESSFUL") else 0.0
        if self.status == "SUCCESSFUL":
            weight = 100.0
        answer: dict[str, Any] = {
            **{k: v for k, v in self.brief().items() if k != "targetServiceRevisionArn"},
            "updatedAt": utcnow(),
            "sourceServiceRevisions": [
                {
                    "arn": self.source_revision,
                    "requestedTaskCount": self.desired,
                    "runningTaskCount": self.desired,
                    "pendingTaskCount": 0,
                    "requestedProductionTrafficWeight": 100.0 - weight,
                }
            ],
            "targetServiceRevision": {
                "arn": self.target_revision,
                "requestedTaskCount": self.desired,
                "runningTaskCount": self.desired if self.position >= 1 else 0,
                "pendingTaskCount": 0 if self.position >= 1 else self.desired,
                "requestedProductionTrafficWeight": weight,
            },
            "deploymentConfiguration": {
                "strategy": self.strategy,
                "bakeTimeInMinutes": 0 if self.strategy == ROLLING else 10,
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "alarms": {"alarmNames": [ALARM_NAME], "rollback": True, "enable": True},
            },
            "deploymentCircuitBreaker": {"status": self.breaker, "failureCount": 0},
            "alarms": {"status": self.alarm, "alarmNames": [ALARM_NAME]},
        }
        if self.alarm == "TRIGGERED":
            answer["alarms"]["triggeredAlarmNames"] = [ALARM_NAME]
        if self.breaker == "TRIGGERED":
            answer["deploymentCircuitBreaker"]["failureCount"] = self.desired
        if self.stage and self.status in ("IN_PROGRESS",):
            answer["lifecycleStage"] = self.stage
        if self.hook:
            answer["lifecycleHookDetails"] = [
                {
                    "hookId": "smoke-test",
                    "targetType": "AWS_LAMBDA",
                    "targetArn": HOOK_ARN,
                    "status": self.hook,
                    "timeoutAction": "ROLLBACK",
                }
            ]
        if self.rollback_started:
            answer["rollback"] = {
                "reason": self.status_reason,
                "startedAt": self.rollback_started,
                "serviceRevisionArn": self.source_revision,
            }
        if self.status == "STOPPED" and self.finished_at:
            answer["stoppedAt"] = self.finished_at
        return answer


@dataclass
class EcsRollouts:
    """The service-deployment model; see the module docstring."""

    plan_for: Callable[[str], str] = lambda _task_definition: COMPLETE
    """Plan of a deployment to a task definition ARN."""
    strategy: str = ROLLING
    """The deployment strategy of the tracked services (``deploymentConfiguration.strategy``)."""
    fail_at_poll: int = 1
    describe_errors: int = 0
    """The next this many DescribeServiceDeployments calls fail (ThrottlingException)."""
    unlisted: int = 0
    """The next this many ListServiceDeployments calls list nothing: a deployment UpdateService
    just started that ECS does not list yet (the deploy step retries)."""
    clusters: set[str] = field(default_factory=set)
    rollouts: list[Rollout] = field(default_factory=list)
    revisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Service revisions by ARN."""
    current: dict[tuple[str, str], str] = field(default_factory=dict)
    """(cluster, service) -> ARN of the revision the service runs."""
    stops: list[tuple[str, str]] = field(default_factory=list)
    """Every StopServiceDeployment call: (ARN, stopType)."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def track(self, backend: EC2ContainerServiceBackend, cluster: str, service: str) -> None:
        """Model ``service`` of ``cluster`` from now on: it runs its task definition (the first
        service revision), every task running."""
        with self._lock:
            self.clusters.add(cluster)
            svc = backend._get_service(cluster, service)
            svc.running_count = svc.desired_count
            svc.pending_count = 0
            self.current[(cluster, service)] = self._revision(
                backend, cluster, svc, str(svc.task_definition)
            )

    def reset(self) -> None:
        """Back to defaults (between tests)."""
        with self._lock:
            self.plan_for = lambda _task_definition: COMPLETE
            self.strategy = ROLLING
            self.fail_at_poll = 1
            self.describe_errors = 0
            self.unlisted = 0
            self.rollouts.clear()
            self.stops.clear()

    def rollouts_to(self, task_definition: str) -> list[Rollout]:
        """The deployments the model started for one task definition ARN."""
        return [r for r in self.rollouts if r.task_definition == task_definition]

    def find(self, arn: str) -> Rollout | None:
        return next((r for r in self.rollouts if r.arn == arn), None)

    # ----------------------------------------------------------------------------------------

    def _revision(
        self, backend: EC2ContainerServiceBackend, cluster: str, svc: Any, task_definition: str
    ) -> str:
        prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}"
        arn = f"{prefix}:service-revision/{cluster}/{svc.name}/{next(self._ids):019d}"
        self.revisions[arn] = {
            "serviceRevisionArn": arn,
            "serviceArn": svc.physical_resource_id,
            "clusterArn": f"{prefix}:cluster/{cluster}",
            "taskDefinition": task_definition,
            "launchType": "FARGATE",
            "createdAt": utcnow(),
        }
        return arn

    def _start(
        self, backend: EC2ContainerServiceBackend, cluster: str, svc: Any, task_definition: str,
        previous: str,
    ) -> None:  # fmt: skip
        for rollout in self.rollouts:
            if (rollout.cluster, rollout.service) == (cluster, svc.name) and rollout.status in (
                "PENDING",
                "IN_PROGRESS",
            ):
                rollout.status = "STOPPED"
                rollout.status_reason = "A newer service deployment started."
                rollout.finished_at = utcnow()
        prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}"
        target = self._revision(backend, cluster, svc, task_definition)
        self.rollouts.append(
            Rollout(
                arn=f"{prefix}:service-deployment/{cluster}/{svc.name}/sd{next(self._ids):019d}",
                cluster=cluster,
                service=svc.name,
                cluster_arn=f"{prefix}:cluster/{cluster}",
                service_arn=svc.physical_resource_id,
                task_definition=task_definition,
                previous_task_definition=previous,
                source_revision=self.current[(cluster, svc.name)],
                target_revision=target,
                strategy=self.strategy,
                plan=self.plan_for(task_definition),
                desired=svc.desired_count,
                created_at=utcnow(),
            )
        )

    def _roll_back(self, rollout: Rollout, reason: str) -> None:
        rollout.status = "ROLLBACK_REQUESTED"
        rollout.status_reason = reason
        rollout.rollback_started = utcnow()
        rollout.failed_at = time.monotonic()

    def _advance(self, backend: EC2ContainerServiceBackend, rollout: Rollout) -> None:
        svc = backend._get_service(rollout.cluster, rollout.service)
        status = rollout.status
        if status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"):
            rollout.polls_after_failure += 1
        if status == "ROLLBACK_REQUESTED":
            rollout.status = "ROLLBACK_IN_PROGRESS"
        elif status == "ROLLBACK_IN_PROGRESS":
            rollout.status = "ROLLBACK_SUCCESSFUL"
            rollout.finished_at = utcnow()
            source = self.revisions[rollout.source_revision]["taskDefinition"]
            svc.task_definition = source
            self.current[(rollout.cluster, rollout.service)] = rollout.source_revision
        elif status == "STOP_REQUESTED":
            rollout.status = "STOPPED"
            rollout.finished_at = utcnow()
        elif status in ("PENDING", "IN_PROGRESS"):
            rollout.polls += 1
            rollout.status = "IN_PROGRESS"
            rollout.status_reason = "The service deployment is in progress."
            stage = rollout.stage
            if rollout.plan == FAIL and rollout.polls >= self.fail_at_poll:
                rollout.breaker = "TRIGGERED"
                self._roll_back(rollout, "ECS deployment circuit breaker: tasks failed to start.")
            elif rollout.plan == ALARM and stage == "BAKE_TIME":
                rollout.alarm = "TRIGGERED"
                self._roll_back(rollout, f"CloudWatch alarm {ALARM_NAME} is in ALARM.")
            elif rollout.plan == HOOK_FAIL and stage == "POST_TEST_TRAFFIC_SHIFT":
                rollout.hook = "FAILED"
                self._roll_back(rollout, "Lifecycle hook smoke-test returned FAILED.")
            elif rollout.plan == STUCK and (stage == "BAKE_TIME" or rollout.strategy == ROLLING):
                rollout.position = max(rollout.position, 0)
            elif rollout.position + 1 < len(STEPS[rollout.strategy]):
                rollout.position += 1
                if stage == "POST_TEST_TRAFFIC_SHIFT" or rollout.stage == "POST_TEST_TRAFFIC_SHIFT":
                    rollout.hook = "SUCCEEDED" if rollout.plan != HOOK_FAIL else "IN_PROGRESS"
            else:
                rollout.status = "SUCCESSFUL"
                rollout.status_reason = "The service deployment succeeded."
                rollout.finished_at = utcnow()
                rollout.breaker = rollout.alarm = "MONITORING_COMPLETE"
                self.current[(rollout.cluster, rollout.service)] = rollout.target_revision
            if rollout.stage and rollout.stage not in rollout.stages_seen:
                rollout.stages_seen.append(rollout.stage)

    # Wrapped backend method ----------------------------------------------------------------

    def update_service(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(backend: EC2ContainerServiceBackend, properties: dict[str, Any]) -> Any:
            cluster = str(properties.get("cluster", "default")).split("/")[-1]
            if cluster not in self.clusters:
                return original(backend, properties)
            name = str(properties.get("service", "")).split("/")[-1]
            task_definition = properties.get("task_definition")
            with self._lock:
                previous = backend._get_service(cluster, name).task_definition
                svc = original(backend, properties)
                if task_definition and task_definition != previous:
                    self._start(backend, cluster, svc, str(task_definition), str(previous))
                return svc

        return wrapper

    # Added operations (methods of moto's ECS response class) --------------------------------

    def operations(self) -> dict[str, Callable[[EC2ContainerServiceResponse], ActionResult]]:
        model = self

        def list_service_deployments(response: EC2ContainerServiceResponse) -> ActionResult:
            cluster = str(response._get_param("cluster", "default")).split("/")[-1]
            service = str(response._get_param("service")).split("/")[-1]
            statuses = response._get_param("status") or list(STATUSES)
            created = response._get_param("createdAt") or {}
            after, before = created.get("after"), created.get("before")
            with model._lock:
                if model.unlisted > 0:
                    model.unlisted -= 1
                    return ActionResult({"serviceDeployments": []})
                found = [
                    r
                    for r in reversed(model.rollouts)
                    if (r.cluster, r.service) == (cluster, service)
                    and r.status in statuses
                    and (after is None or r.created_at.timestamp() >= float(after))
                    and (before is None or r.created_at.timestamp() <= float(before))
                ]
                return ActionResult({"serviceDeployments": [r.brief() for r in found]})

        def describe_service_deployments(response: EC2ContainerServiceResponse) -> ActionResult:
            arns = response._get_param("serviceDeploymentArns") or []
            backend = response.ecs_backend
            with model._lock:
                if model.describe_errors > 0:
                    model.describe_errors -= 1
                    raise JsonRESTError("ThrottlingException", "Rate exceeded")
                found, failures = [], []
                for arn in arns:
                    rollout = model.find(arn)
                    if rollout is None:
                        failures.append({"arn": arn, "reason": "MISSING"})
                        continue
                    model._advance(backend, rollout)
                    found.append(rollout.full())
                return ActionResult({"serviceDeployments": found, "failures": failures})

        def stop_service_deployment(response: EC2ContainerServiceResponse) -> ActionResult:
            arn = str(response._get_param("serviceDeploymentArn"))
            stop_type = str(response._get_param("stopType") or "ROLLBACK")
            with model._lock:
                model.stops.append((arn, stop_type))
                rollout = model.find(arn)
                if rollout is None:
                    raise JsonRESTError(
                        "ServiceDeploymentNotFoundException", f"{arn} does not exist."
                    )
                if rollout.status not in ONGOING:
                    raise JsonRESTError(
                        "ConflictException",
                        f"The service deployment is {rollout.status} and cannot be stopped.",
                    )
                if rollout.status in ("PENDING", "IN_PROGRESS"):
                    if stop_type == "ROLLBACK":
                        model._roll_back(rollout, "Rollback requested with StopServiceDeployment.")
                    else:
                        rollout.status = "STOP_REQUESTED"
                        rollout.status_reason = "Stop requested with StopServiceDeployment."
                    rollout.stopped_by = stop_type
                return ActionResult({"serviceDeploymentArn": arn})

        def describe_service_revisions(response: EC2ContainerServiceResponse) -> ActionResult:
            arns = response._get_param("serviceRevisionArns") or []
            with model._lock:
                found = [model.revisions[a] for a in arns if a in model.revisions]
                failures = [
                    {"arn": a, "reason": "MISSING"} for a in arns if a not in model.revisions
                ]
                return ActionResult({"serviceRevisions": found, "failures": failures})

        return {
            "list_service_deployments": list_service_deployments,
            "describe_service_deployments": describe_service_deployments,
            "stop_service_deployment": stop_service_deployment,
            "describe_service_revisions": describe_service_revisions,
        }


@contextmanager
def installed(model: EcsRollouts) -> Iterator[EcsRollouts]:
    """Wrap moto's ECS backend and add the service-deployment operations to its responses for
    the duration of the block."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    update = EC2ContainerServiceBackend.update_service
    EC2ContainerServiceBackend.update_service = model.update_service(update)  # type: ignore[method-assign]
    operations = model.operations()
    for name, method in operations.items():
        assert not hasattr(EC2ContainerServiceResponse, name), f"moto now implements {name}"
        setattr(EC2ContainerServiceResponse, name, method)
    try:
        yield model
    finally:
        EC2ContainerServiceBackend.update_service = update  # type: ignore[method-assign]
        for name in operations:
            delattr(EC2ContainerServiceResponse, name)
