"""A consumer's view of a release (issue 26 §2): a throwaway project installs the built wheel
*by version* from a folder of distributions (as from an index, with ``--no-index
--find-links``), imports two components, runs them under Pulumi's mock runtime and renders the
workflows, in a fresh interpreter that cannot see this checkout.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import slipway
from tests.test_consumer_project import CONSUMER_MOCKS, source, wheel  # noqa: F401 (module-scoped fixtures)
from tooling.offline import ROOT

PROGRAM = (
    '''"""A throwaway consumer: two components under mocks, then the workflows."""
import json
import sys

import pulumi

import slipway
from slipway import EcsCluster, EcsClusterArgs, SecretSpec, SecretStore, SecretStoreArgs
from slipway.workflows import WorkflowSpec, render_workflow_files

'''
    + CONSUMER_MOCKS
    + """

@pulumi.runtime.test
def program():
    cluster = EcsCluster("orders", EcsClusterArgs(cluster_name="orders-prod"))
    store = SecretStore(
        "secrets",
        SecretStoreArgs(name_prefix="orders/prod/", secrets=[SecretSpec(name="database-url")]),
    )
    return pulumi.Output.all(cluster.cluster_arn, store.kms_key_arn).apply(lambda _: None)


program()
files = render_workflow_files(WorkflowSpec(repository="acme/orders", image_package="orders"))
json.dump(
    {"version": slipway.__version__, "slipway": slipway.__file__, "registered": registered,
     "files": sorted(files)},
    sys.stdout,
)
"""
)


def test_a_consumer_installs_the_release_by_version_and_uses_it(
    wheel: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--find-links", str(wheel.parent), "--target", str(site),
         f"{name}=={slipway.__version__}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    project = tmp_path / "orders"
    project.mkdir()
    (project / "__main__.py").write_text(PROGRAM)
    # This interpreter brings the dependencies (pulumi, pulumi-aws...); `site` comes first on
    # the path, so `slipway` is the installed release (asserted below), never this checkout.
    result = subprocess.run(
        [sys.executable, "__main__.py"],
        cwd=project,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["version"] == slipway.__version__
    assert seen["slipway"] == str(site / "slipway" / "__init__.py"), "not the installed release"
    assert "aws:ecs/cluster:Cluster" in seen["registered"]
    assert "aws:secretsmanager/secret:Secret" in seen["registered"]
    assert ".github/workflows/release.yml" in seen["files"]
    assert ".github/workflows/deploy.yml" in seen["files"]
