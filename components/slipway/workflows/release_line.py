"""``.github/workflows/release-line.yml``: cut a release line on demand.

``release.yml`` cuts the line the default branch has just left, at its highest release
(:data:`slipway.workflows.scripts.RELEASE_BRANCHES`). The line the default branch is still on
has no branch; when it needs a hotfix while the default branch holds work that must not ship, an
operator runs this workflow (``gh workflow run release-line.yml -f line=1.4``, or
``-f line=@acme/web@1.4`` in a workspace). It creates ``release/1.4.x`` at the highest 1.4
release tag, as the release identity: with a release app, the only actor the creation ruleset
lets create release branches. The push that creates the branch starts ``release.yml`` on it,
which ends green doing nothing (nothing new to release).
"""

from __future__ import annotations

from typing import Any

from slipway.workflows import scripts
from slipway.workflows.common import RUNNER, checkout, expr, run
from slipway.workflows.release import _app_token_steps, _token, _writes_contents
from slipway.workflows.spec import WorkflowSpec


def release_line_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The on-demand release-line workflow as data."""
    job: dict[str, Any] = {
        "name": "Cut the release line " + expr("inputs.line"),
        "runs-on": RUNNER,
        "timeout-minutes": 10,
        **_writes_contents(
            spec,
            with_app="check out the tags; the release app's token creates the branch",
            without_app="create the release branch",
        ),
    }
    job["steps"] = [
        *_app_token_steps(spec, contents="write", pull_requests=None),
        # The tags are the release history the line is cut from.
        checkout(fetch_depth=0),
        run(
            "Cut the release line at its highest release",
            scripts.RELEASE_LINE,
            {"RELEASE_LINE": expr("inputs.line"), "GH_TOKEN": _token(spec)},
        ),
    ]
    return {
        "name": "Release line",
        "on": {
            "workflow_dispatch": {
                "inputs": {
                    "line": {
                        "description": "The line to cut: <major>.<minor> (1.4), or "
                        "<package>@<major>.<minor> (@acme/web@1.4) in a workspace.",
                        "required": True,
                        "type": "string",
                    }
                }
            }
        },
        "permissions": {},
        "concurrency": {"group": "release-line", "cancel-in-progress": False},
        "jobs": {"cut": job},
    }
