"""The deployment life cycle of an ECS rolling update, added to moto's ECS for the deploy tests.

moto 5.2.5 keeps one deployment per service for ever: ``UpdateService`` only changes the
service's ``taskDefinition``, never starts a deployment, and ``rolloutState`` never moves. Real
ECS (``DescribeServices``, "Amazon ECS deployment circuit breaker") starts a new ``PRIMARY``
deployment (``rolloutState: IN_PROGRESS``) for a new task definition and turns the old one
``ACTIVE``; it completes (``COMPLETED``, the old deployment drained away) or fails
(``FAILED`` with a ``rolloutStateReason``; with rollback on, ECS then starts a deployment of the
last completed revision). :class:`EcsRollouts` wraps two methods of moto's ECS backend in the
test process (the moto server runs in a thread of it) to play that life cycle, for the clusters
a test tracks only; everything else goes to moto unchanged.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend

COMPLETE = "complete"
"""The rollout completes at the first poll after it started."""
STUCK = "stuck"
"""The rollout stays IN_PROGRESS (tasks never get healthy, not yet enough to trip the breaker)."""
FAIL = "fail"
"""The circuit breaker fails the rollout at the ``fail_at_poll``-th poll."""


@dataclass
class Rollout:
    """One deployment the model started, and how it goes."""

    cluster: str
    service: str
    deployment: dict[str, Any]
    plan: str
    previous_task_definition: str
    polls: int = 0
    failed_at: float | None = None
    """``time.monotonic()`` of the poll that turned it FAILED."""
    polls_after_failure: int = 0


@dataclass
class EcsRollouts:
    """The rolling-update model; see the module docstring."""

    plan_for: Callable[[str], str] = lambda _task_definition: COMPLETE
    """Plan of a rollout to a task definition ARN."""
    fail_at_poll: int = 1
    ecs_rolls_back: bool = True
    """On FAILED, start a deployment of the previous revision, as the breaker's rollback does."""
    describe_errors: int = 0
    """The next this many DescribeServices calls of a tracked cluster fail (ThrottlingException)."""
    clusters: set[str] = field(default_factory=set)
    rollouts: list[Rollout] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def track(self, backend: EC2ContainerServiceBackend, cluster: str, service: str) -> None:
        """Model ``service`` of ``cluster`` from now on; its tasks all run (COMPLETED)."""
        with self._lock:
            self.clusters.add(cluster)
            svc = backend._get_service(cluster, service)
            svc.running_count = svc.desired_count
            svc.pending_count = 0
            for deployment in svc.deployments:
                deployment.update(
                    runningCount=svc.desired_count,
                    pendingCount=0,
                    rolloutState="COMPLETED",
                    taskDefinition=svc.task_definition,
                )

    def reset(self) -> None:
        """Back to defaults (between tests)."""
        with self._lock:
            self.plan_for = lambda _task_definition: COMPLETE
            self.fail_at_poll = 1
            self.ecs_rolls_back = True
            self.describe_errors = 0
            self.rollouts.clear()

    def rollouts_to(self, task_definition: str) -> list[Rollout]:
        """The rollouts the model started for one task definition ARN."""
        return [r for r in self.rollouts if r.deployment["taskDefinition"] == task_definition]

    # ----------------------------------------------------------------------------------------

    def _start(self, svc: Any, cluster: str, task_definition: str, previous: str) -> None:
        now = utcnow()
        for deployment in svc.deployments:
            if deployment["status"] == "PRIMARY":
                deployment["status"] = "ACTIVE"
        deployment = {
            "id": f"ecs-svc/{next(self._ids):019d}",
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": svc.desired_count,
            "pendingCount": svc.desired_count,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now,
            "updatedAt": now,
            "launchType": svc.launch_type,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment in progress.",
        }
        svc.deployments.insert(0, deployment)
        self.rollouts.append(
            Rollout(cluster, svc.name, deployment, self.plan_for(task_definition), previous)
        )

    def _advance(self, svc: Any, rollout: Rollout) -> None:
        deployment = rollout.deployment
        if deployment["rolloutState"] == "FAILED":
            rollout.polls_after_failure += 1
            return
        if deployment["rolloutState"] != "IN_PROGRESS":
            return
        rollout.polls += 1
        if rollout.plan == COMPLETE:
            deployment.update(
                rolloutState="COMPLETED",
                rolloutStateReason="ECS deployment completed.",
                runningCount=svc.desired_count,
                pendingCount=0,
            )
            svc.deployments[:] = [deployment]
            svc.running_count = svc.desired_count
        elif rollout.plan == FAIL and rollout.polls >= self.fail_at_poll:
            deployment.update(
                rolloutState="FAILED",
                rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
                failedTasks=svc.desired_count,
            )
            rollout.failed_at = time.monotonic()
            if self.ecs_rolls_back:
                svc.task_definition = rollout.previous_task_definition
                self._start(svc, rollout.cluster, rollout.previous_task_definition, "")
                self.rollouts[-1].plan = COMPLETE

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
                    self._start(svc, cluster, str(task_definition), str(previous))
                return svc

        return wrapper

    def describe_services(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(backend: EC2ContainerServiceBackend, cluster_str: str, names: list[str]) -> Any:
            cluster = str(cluster_str).split("/")[-1]
            if cluster not in self.clusters:
                return original(backend, cluster_str, names)
            with self._lock:
                if self.describe_errors > 0:
                    self.describe_errors -= 1
                    raise JsonRESTError("ThrottlingException", "Rate exceeded")
                services, failures = original(backend, cluster_str, names)
                for svc in services:
                    for rollout in list(self.rollouts):
                        if rollout.cluster == cluster and rollout.service == svc.name:
                            self._advance(svc, rollout)
                return services, failures

        return wrapper


@contextmanager
def installed(model: EcsRollouts) -> Iterator[EcsRollouts]:
    """Wrap moto's ECS backend with ``model`` for the duration of the block."""
    update = EC2ContainerServiceBackend.update_service
    describe = EC2ContainerServiceBackend.describe_services
    EC2ContainerServiceBackend.update_service = model.update_service(update)  # type: ignore[method-assign]
    EC2ContainerServiceBackend.describe_services = model.describe_services(describe)  # type: ignore[method-assign]
    try:
        yield model
    finally:
        EC2ContainerServiceBackend.update_service = update  # type: ignore[method-assign]
        EC2ContainerServiceBackend.describe_services = describe  # type: ignore[method-assign]
