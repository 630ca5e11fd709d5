"""Issue 23, item 10: a merged version pull request built the image twice and ran the tests five
times. Its push to ``main`` starts both ``docker.yml`` (job ``check``: build, tests in the image,
smoke test and scan per platform) and ``release.yml`` (``pack`` runs the tests; ``image`` calls
``docker.yml`` to build, test, smoke-test and scan the same commit per platform). The ``check``
job now skips that push; every other push and every pull request still runs it. Conditions are
decided by GitHub's own evaluator (``@actions/expressions``)."""

from __future__ import annotations

from typing import Any

import pytest

from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.docker import PLATFORMS
from tests.release.expressions import Case, evaluate
from tests.release.node_tools import NodeTools
from tests.workflows.conftest import SPECS

FILES = render_workflow_files(SPECS["default"])
DOCKER: dict[str, Any] = load_yaml(FILES[".github/workflows/docker.yml"])
RELEASE: dict[str, Any] = load_yaml(FILES[".github/workflows/release.yml"])


def _runs(tools: NodeTools, condition: str, github: dict[str, Any]) -> bool:
    context = {"github": github, "inputs": {"version": "", "stage": ""}}
    status = {"needs": {}, "cancelled": False}
    return bool(evaluate(tools, [Case(condition, context, status)])[0]["truthy"])


def _push(message: str) -> dict[str, Any]:
    return {
        "event_name": "push",
        "ref": "refs/heads/main",
        "event": {"head_commit": {"message": message}},
    }


@pytest.mark.parametrize(
    ("github", "runs"),
    [
        (_push("chore: version packages (#12)"), False),  # squash merge
        (_push("chore: version packages"), False),  # rebase merge
        (_push("Merge pull request #12 from acme/changeset-release/main\n\nchore: version"), False),
        (_push("Fix the checkout timeout (#13)"), True),
        (_push("Merge pull request #14 from acme/feature/checkout"), True),
        # The version pull request's own checks (required by the rulesets) still run.
        ({"event_name": "pull_request", "ref": "refs/pull/12/merge", "event": {}}, True),
    ],
)
def test_the_push_of_a_version_merge_builds_the_image_once(
    node_tools: NodeTools, github: dict[str, Any], runs: bool
) -> None:
    assert _runs(node_tools, DOCKER["jobs"]["check"]["if"], github) is runs


def test_a_version_merge_runs_the_tests_three_times(node_tools: NodeTools) -> None:
    """pack (the npm tarballs' source) and the image's test stage on each platform: 3, not 5."""
    push = _push("chore: version packages (#12)")
    check = DOCKER["jobs"]["check"]
    runs_of_check = len(PLATFORMS) if _runs(node_tools, check["if"], push) else 0
    pack = [s["name"] for s in RELEASE["jobs"]["pack"]["steps"]].count("Run the tests")
    build = DOCKER["jobs"]["build"]
    image = len(build["strategy"]["matrix"]["include"]) * sum(
        1 for s in build["steps"] if s.get("id") == "tests"
    )
    assert (runs_of_check, pack, image) == (0, 1, 2)
