"""The release app's installation tokens carry what each job's writes need, and no more.

actions/create-github-app-token (``action.yml``, its ``permission-*`` inputs): a token asked for
any ``permission-*`` holds only those permissions, whatever the app itself may do. The version
job pushes the version branch; moving it onto a default branch whose ``.github/workflows/``
changed needs the Workflows permission (docs/deployment-guide.md, the release GitHub App), so
its token asks for ``permission-workflows: write``; the other jobs' tokens do not.
"""

from __future__ import annotations

from typing import Any

from slipway.workflows import WorkflowSpec
from slipway.workflows.render import render_workflow_files
from slipway.workflows.yamlio import load_yaml


def _token(job: dict[str, Any]) -> dict[str, Any]:
    step = next(s for s in job["steps"] if s.get("id") == "app-token")
    return dict(step["with"])


def test_only_the_version_job_token_may_write_workflow_files() -> None:
    release = load_yaml(
        render_workflow_files(WorkflowSpec(repository="acme/storefront"))[
            ".github/workflows/release.yml"
        ]
    )
    jobs = release["jobs"]
    version = _token(jobs["version"])
    assert version["permission-workflows"] == "write"
    assert version["permission-contents"] == "write"
    for job_id, job in jobs.items():
        if job_id == "version" or not any(s.get("id") == "app-token" for s in job.get("steps", [])):
            continue
        assert "permission-workflows" not in _token(job), job_id
