"""Collecting the suite stays cheap: every pytest process (xdist's controller and each worker)
imports every test module, so work done at import is paid once per process, test or no test
(docs/performance.md, "Session 6: collection")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
found = {}
import tests.conftest
heavy = ("tooling.offline", "slipway", "pulumi_aws", "parliament", "moto")
found["conftest"] = sorted(m for m in heavy if m in sys.modules)
import tests.test_smoke_test_hook, tests.workflows.test_deploy_scripts
from slipway.workflows.render import _render
found["modules"] = sorted(m for m in ("moto.ecs", "moto.ec2", "parliament") if m in sys.modules)
found["renders"] = _render.cache_info().currsize
print(json.dumps(found))
"""


def test_importing_the_conftest_and_the_heaviest_modules_does_no_work() -> None:
    """The root conftest (which xdist's controller loads) imports neither the program nor the
    checkers; the deploy-script and smoke-hook modules render no workflow and import neither
    moto's ECS nor parliament until a test runs."""
    found = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    assert found == {"conftest": [], "modules": [], "renders": 0}
