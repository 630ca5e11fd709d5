"""The small Actions runner (:mod:`tests.workflows.actions_runner`) plays what GitHub documents,
on a workflow made for it: step outputs and ``GITHUB_ENV`` reach later steps, a failed step
skips the rest but ``failure()`` steps, ``pipefail``, ``${{ }}`` in ``env:`` and ``with:``, job
outputs and ``needs``, a failed need skips its dependents, and each job's ``GITHUB_TOKEN`` holds
its ``permissions:`` (the stand-in refuses the rest, as GitHub answers 403)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.release.expressions import Evaluator
from tests.release.node_tools import NodeTools
from tests.setup.github_standin import GitHubStandIn, serve_over_http
from tests.workflows.actions_runner import (
    ActionCall,
    Runner,
    StartupFailure,
    _check_nested_permissions,
    _parse_file_commands,
)
from tests.workflows.conftest import tool, tool_env

WORKFLOW: dict[str, Any] = {
    "env": {"GREETING": "hello"},
    "jobs": {
        "first": {
            "runs-on": "ubuntu-24.04",
            "permissions": {"contents": "read"},
            "outputs": {"word": "${{ steps.say.outputs.word }}"},
            "steps": [
                {
                    "id": "say",
                    "shell": "bash",
                    "env": {"WHO": "${{ vars.WHO }}-${{ github.event.number }}"},
                    "run": 'echo "word=${GREETING} ${WHO}" >> "$GITHUB_OUTPUT"\n'
                    'echo "LATER=set" >> "$GITHUB_ENV"\n',
                },
                {"uses": "acme/echo@0123456789012345678901234567890123456789", "with": {"x": 1}},
                {
                    "shell": "bash",
                    "env": {"SAID": "${{ steps.say.outputs.word }}"},
                    "run": '[[ "${SAID}" == "hello you-5" && "${LATER}" == set ]]\n',
                },
                {"name": "pipefail", "shell": "bash", "run": "false | true\n"},
                {"name": "after", "shell": "bash", "run": "echo never\n"},
                {"name": "on failure", "if": "failure()", "shell": "bash", "run": "echo ran\n"},
            ],
        },
        "second": {
            "needs": "first",
            "runs-on": "ubuntu-24.04",
            "steps": [{"shell": "bash", "run": "true\n"}],
        },
        "third": {
            "needs": "first",
            "if": "always() && needs.first.outputs.word == 'hello you-5'",
            "runs-on": "ubuntu-24.04",
            "steps": [{"shell": "bash", "run": "true\n"}],
        },
    },
}


@pytest.fixture(scope="module")
def evaluator(node_tools: NodeTools) -> Iterator[Evaluator]:
    with Evaluator(node_tools) as running:
        yield running


def test_the_runner_plays_steps_outputs_env_failure_and_needs(
    evaluator: Evaluator, tmp_path: Path
) -> None:
    called: list[ActionCall] = []
    runner = Runner(
        evaluate=evaluator,
        workspace=tmp_path,
        repository="acme/web",
        machine_env=tool_env(),
        variables={None: {"WHO": "you"}},
        actions={"acme/echo": called.append},
        issue_token=lambda permissions: "t",
        temp=tmp_path / "runner",
    )
    outcome = runner.run(WORKFLOW, "pull_request", {"number": 5})
    steps = [(s.name, s.conclusion) for s in outcome.steps["first"]]
    # `false | true` fails under pipefail; the step after is skipped, the failure() one runs.
    assert [c for _, c in steps] == [
        "success",
        "success",
        "success",
        "failure",
        "skipped",
        "success",
    ]
    assert outcome.jobs["first"].result == "failure"
    assert outcome.jobs["first"].outputs == {"word": "hello you-5"}
    assert called[0].inputs == {"x": "1"}
    assert called[0].env["GREETING"] == "hello"
    assert outcome.jobs["second"].result == "skipped"
    assert outcome.jobs["third"].result == "success"


def test_a_nested_job_gets_no_more_than_its_caller_grants() -> None:
    jobs = {"a": {"permissions": {"contents": "read"}}, "b": {"permissions": {"id-token": "write"}}}
    _check_nested_permissions("w.yml", {"contents": "read", "id-token": "write"}, jobs)
    with pytest.raises(StartupFailure, match="'b' is requesting 'id-token: write', but is only"):
        _check_nested_permissions("w.yml", {"contents": "write"}, jobs)


def test_file_commands_read_lines_and_multiline_blocks() -> None:
    text = "a=1\nb<<EOF\nx=y\nz\nEOF\nc=\n"
    assert _parse_file_commands(text) == {"a": "1", "b": "x=y\nz", "c": ""}


def test_a_jobs_token_holds_its_permissions_and_no_more(tmp_path: Path) -> None:
    """The real gh, through the stand-in: a ``pull-requests: read`` token reads the pull
    request and may not write its comments (GitHub's 403 "Resource not accessible by
    integration"); a ``pull-requests: write`` token may."""
    github = GitHubStandIn()
    github.open_pull_request("acme/web", 3, "a" * 40)
    reader = github.actions_token("acme/web", {"pull-requests": "read"})
    writer = github.actions_token("acme/web", {"pull-requests": "write"})
    with serve_over_http(github) as gh_env:
        env = {**tool_env(), **gh_env, "GH_CONFIG_DIR": str(tmp_path)}

        def gh(token: str, *args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [tool("gh"), "api", *args],
                env={**env, "GH_TOKEN": token},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )

        read = gh(reader, "repos/acme/web/pulls/3", "--jq", ".state")
        assert (read.returncode, read.stdout) == (0, "open\n"), read.stderr
        refused = gh(reader, "--method", "POST", "repos/acme/web/issues/3/comments", "-f", "body=x")
        assert refused.returncode != 0
        assert "Resource not accessible by integration (HTTP 403)" in refused.stderr
        other = gh(writer, "repos/acme/other/pulls/3")
        assert "(HTTP 404)" in other.stderr
        posted = gh(writer, "--method", "POST", "repos/acme/web/issues/3/comments", "-f", "body=x")
        assert posted.returncode == 0, posted.stderr
    assert [c["body"] for c in github.comments.values()] == ["x"]
