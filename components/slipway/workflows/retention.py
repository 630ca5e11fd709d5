"""``.github/workflows/ghcr-retention.yml``: prune old untagged GHCR versions on a schedule.

GitHub has no API to give a GHCR package a retention policy, so the repository deletes what it
no longer needs itself: untagged versions older than ``older_than_days``, always keeping the
newest ``keep_latest`` and any version a tagged manifest list still points to (per-platform
images, SBOM and provenance). The workflow's token needs the "Admin" role on the package
(package settings → Manage Actions access) to delete versions.
"""

from __future__ import annotations

from typing import Any

from slipway.workflows import scripts
from slipway.workflows.common import RUNNER, expr, ghcr_login, permissions, run
from slipway.workflows.spec import WorkflowSpec


def retention_workflow(spec: WorkflowSpec) -> dict[str, Any]:
    """The GHCR retention workflow as data."""
    r = spec.ghcr_retention
    return {
        "name": "GHCR retention",
        "on": {
            "schedule": [{"cron": r.schedule_cron}],
            "workflow_dispatch": {
                "inputs": {
                    "dry-run": {
                        "description": "Only list what would be deleted.",
                        "type": "boolean",
                        "default": True,
                    }
                }
            },
        },
        "permissions": {},
        "concurrency": {"group": "ghcr-retention", "cancel-in-progress": False},
        "jobs": {
            "prune": {
                "name": "Prune untagged versions",
                "runs-on": RUNNER,
                "timeout-minutes": 15,
                "permissions": permissions(
                    ("packages", "write"),
                    reasons={"packages": "list and delete the GHCR package's versions"},
                ),
                "steps": [
                    ghcr_login(),
                    run(
                        "Delete old untagged versions",
                        scripts.GHCR_RETENTION,
                        {
                            "GHCR_IMAGE": spec.ghcr_image_path,
                            "KEEP_LATEST": str(r.keep_latest),
                            "OLDER_THAN_DAYS": str(r.older_than_days),
                            # Scheduled runs delete; manual runs default to a dry run.
                            "DRY_RUN": expr("inputs.dry-run == true"),
                            "GH_TOKEN": expr("github.token"),
                        },
                    ),
                ],
            }
        },
    }
