"""Every merged version is published exactly once, in order, whatever the timing of pushes.

A model of GitHub Actions' documented concurrency semantics, run over every sequence of pushes
to the default branch up to a length, with the facts it needs read from the rendered
``release.yml``:

* "Control the concurrency of workflows and jobs" (docs): a concurrency group holds at most one
  running and one pending run; when a new run is queued, the pending one is cancelled
  (``cancel-in-progress: false`` keeps the running one).
* Changelog 2026-05-07, "GitHub Actions concurrency groups now allow larger queues":
  ``queue: max`` keeps up to 100 pending runs per group, started in the order they were queued.
* A run holds its group until its last job ends; a job that waits for an environment's
  required reviewers is not ended. A workflow called with ``uses:`` is part of the caller's
  run, so ``deploy.yml`` called from ``release.yml`` holds the release group through prod's
  approval; ``deploy.yml`` started by ``gh workflow run`` is a run of its own.

The repository: each push is a feature (adds a changeset) or the merge of the version pull
request (bumps the version, consumes the changesets). A release run works on its own commit:
``changesets/action/select-mode`` picks ``version`` while changesets are pending, ``publish``
when the commit's version is not on the registry yet, else ``none``.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from slipway.workflows import WorkflowSpec
from slipway.workflows.paths import RELEASE_PATH as RELEASE
from slipway.workflows.render import render_workflow_files
from slipway.workflows.yamlio import dump_yaml, load_yaml

QUEUE_MAX = 100
"""Pending runs a group keeps with ``queue: max`` (changelog 2026-05-07)."""
RUN_MINUTES = 10
"""How long a release run takes without any approval."""
APPROVAL_MINUTES = 2000
"""How long prod's reviewers take: far longer than any run."""


@dataclass(frozen=True)
class Semantics:
    """What the model needs to know of ``release.yml``."""

    pending: int
    """Pending runs the group keeps: 1 by default, :data:`QUEUE_MAX` with ``queue: max``."""
    holds_approval: bool
    """The run contains a job that waits for an environment's reviewers (the deploy)."""


def _waits_for(workflow: dict[str, Any], gated: str, given: dict[str, Any]) -> bool:
    """Whether a job of ``workflow`` names the ``gated`` environment (deployment: false
    included: "Required reviewers still apply"); ``${{ inputs.environment }}`` resolves to what
    the caller passes (``given``) or the input's default."""
    inputs = workflow["on"].get("workflow_call", {}).get("inputs", {})
    for job in workflow["jobs"].values():
        environment = job.get("environment")
        if environment is None:
            continue
        name = environment["name"] if isinstance(environment, dict) else environment
        if name == "${{ inputs.environment }}":
            name = given.get("environment", inputs.get("environment", {}).get("default"))
        if name == gated:
            return True
    return False


def semantics(files: dict[str, str], gated: str) -> Semantics:
    """Read the concurrency facts from the rendered files: ``release.yml``'s group, and whether
    a job of its run (its own, or one of a workflow it calls) waits for the reviewers of
    ``gated``, the environment that has them (Slipway's profiles: prod)."""
    release = load_yaml(files[RELEASE])
    concurrency = release["concurrency"]
    # One group per ref: every push to the default branch queues in the same group.
    assert concurrency["group"] == "release-${{ github.ref }}"
    assert concurrency.get("cancel-in-progress", False) is False
    pending = QUEUE_MAX if concurrency.get("queue") == "max" else 1
    holds = _waits_for(release, gated, {})
    for job in release["jobs"].values():
        if "uses" in job:
            called = load_yaml(files[re.sub(r"^[$.]/", "", job["uses"])])
            holds = holds or _waits_for(called, gated, job.get("with", {}))
    return Semantics(pending, holds)


@dataclass(frozen=True)
class Commit:
    changesets: int
    version: int


@dataclass
class Outcome:
    merged: list[int] = field(default_factory=list)
    published: list[tuple[int, int]] = field(default_factory=list)
    """(version, minute it was published)."""
    cancelled: int = 0


def simulate(pushes: list[tuple[str, int]], semantics: Semantics, approval: int) -> Outcome:
    """Run the release group over ``pushes`` (kind, minutes after the previous push)."""
    outcome = Outcome()
    registry: set[int] = set()
    state = Commit(changesets=0, version=0)
    registry.add(0)
    events: list[tuple[int, int, str, Any]] = []  # (minute, order, kind, payload)
    order = itertools.count()
    minute = 0
    for kind, gap in pushes:
        minute += gap
        if kind == "feature":
            state = Commit(state.changesets + 1, state.version)
        else:
            state = Commit(0, state.version + 1)
            outcome.merged.append(state.version)
        heapq.heappush(events, (minute, next(order), "push", state))
    running: Commit | None = None
    pending: deque[Commit] = deque()

    def start(now: int, commit: Commit) -> None:
        nonlocal running
        running = commit
        duration = RUN_MINUTES
        if commit.changesets == 0 and commit.version not in registry:
            registry.add(commit.version)
            outcome.published.append((commit.version, now + RUN_MINUTES // 2))
            if semantics.holds_approval:
                duration += approval
        # "end" sorts before "push" at the same minute only through the order counter; a run
        # ending and a push landing together is rare either way and covered by both orders.
        heapq.heappush(events, (now + duration, next(order), "end", commit))

    while events:
        now, _, kind, commit = heapq.heappop(events)
        if kind == "push":
            if running is None:
                start(now, commit)
            else:
                pending.append(commit)
                if len(pending) > semantics.pending:
                    pending.popleft()  # the older pending run is cancelled
                    outcome.cancelled += 1
        else:
            running = None
            if pending:
                start(now, pending.popleft())
    return outcome


def sequences(length: int) -> list[list[tuple[str, int]]]:
    """Every sequence of ``length`` pushes with gaps shorter and longer than a run, in which
    a version pull request is merged only when it exists (changesets are pending)."""
    found: list[list[tuple[str, int]]] = []
    for kinds in itertools.product(("feature", "merge"), repeat=length):
        pending = 0
        valid = True
        for kind in kinds:
            if kind == "merge" and pending == 0:
                valid = False
                break
            pending = 0 if kind == "merge" else pending + 1
        if not valid:
            continue
        for gaps in itertools.product((1, RUN_MINUTES * 3), repeat=length):
            found.append(list(zip(kinds, gaps, strict=True)))
    return found


def violations(semantics: Semantics, length: int = 7) -> dict[str, list[Any]]:
    """Sequences where a merged version is not published exactly once and in order, and
    sequences where a publish waits for an approval."""
    skipped: list[Any] = []
    delayed: list[Any] = []
    for pushes in sequences(length):
        quick = simulate(pushes, semantics, approval=0)
        slow = simulate(pushes, semantics, approval=APPROVAL_MINUTES)
        for outcome in (quick, slow):
            if [version for version, _ in outcome.published] != outcome.merged:
                skipped.append((pushes, outcome))
                break
        if quick.published != slow.published:
            delayed.append(pushes)
    return {"skipped": skipped, "delayed": delayed}


def _files(spec: WorkflowSpec) -> dict[str, str]:
    return render_workflow_files(spec)


def test_every_merged_version_is_published_once_in_order_and_never_waits_for_approval() -> None:
    spec = WorkflowSpec(repository="acme/storefront")
    found = semantics(_files(spec), spec.environments[-1])
    assert found == Semantics(pending=QUEUE_MAX, holds_approval=False)
    assert violations(found) == {"skipped": [], "delayed": []}


def test_with_prod_alone_the_image_build_waits_for_its_reviewers_but_skips_nothing() -> None:
    # One environment is also the image build environment: docker.yml's jobs name it
    # (deployment: false), and its reviewers still apply, so the run waits for them. Nothing
    # is skipped (queue: max); a release waits behind an approval (docs/release-process.md).
    spec = WorkflowSpec(repository="acme/storefront", environments=("prod",))
    found = semantics(_files(spec), "prod")
    assert found == Semantics(pending=QUEUE_MAX, holds_approval=True)
    assert violations(found)["skipped"] == []


def test_the_model_finds_the_skipped_version_of_one_pending_run() -> None:
    # GitHub's default (one pending run, the older one cancelled) with the deploy inside the
    # run: the release.yml of before. A merged version is bumped past and never published.
    found = violations(Semantics(pending=1, holds_approval=True))
    assert found["skipped"], "the model must see the defect it guards against"
    pushes, outcome = found["skipped"][0]
    assert outcome.cancelled > 0
    missing = set(outcome.merged) - {v for v, _ in outcome.published}
    assert missing, pushes
    # One pending run is not enough even without an approval in the run.
    assert violations(Semantics(pending=1, holds_approval=False))["skipped"]


def test_queue_max_alone_lets_an_approval_hold_the_lane() -> None:
    # queue: max keeps every run, so nothing is skipped, but a release waits behind the
    # previous release's prod approval for as long as the reviewers take.
    found = violations(Semantics(pending=QUEUE_MAX, holds_approval=True))
    assert found["skipped"] == []
    assert found["delayed"]


def test_a_workflow_with_the_deploy_called_inside_reads_as_holding_the_approval() -> None:
    # release.yml as it was: deploy.yml called inside the run, one pending run.
    spec = WorkflowSpec(repository="acme/storefront")
    files = dict(_files(spec))
    release = load_yaml(files[RELEASE])
    release["jobs"]["deploy"] = {"uses": "./.github/workflows/deploy.yml", "with": {}}
    del release["concurrency"]["queue"]
    files[RELEASE] = dump_yaml(release)
    assert semantics(files, "prod") == Semantics(pending=1, holds_approval=True)
