"""Slipway as a consumer installs it: a wheel built from this checkout, in a project that has a
``components`` package of its own.

The wheel is built and installed with pip (no index, no build isolation: offline), into a folder
of its own; the consumer's program runs in a fresh interpreter whose path puts the consumer's
folder and that install ahead of this checkout, under Pulumi's mock runtime.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import slipway
from tooling.offline import ROOT

CONSUMER_COMPONENTS = '''"""The consumer's own package, named like Slipway's source folder."""

OWNER = "consumer"


def repository_name(app: str, stack: str) -> str:
    return f"{app}/{stack}"
'''

CONSUMER_PROGRAM = '''"""A consumer's stack: its own `components`, and Slipway's."""
import json
import sys

import pulumi

import components
import slipway
from components import repository_name
from slipway import ContainerRegistry, ContainerRegistryArgs

registered = []


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        registered.append(args.typ)
        return f"{args.name}-id", dict(args.inputs, arn=f"arn:aws:ecr:eu-west-1:1:{args.name}")

    def call(self, args):
        # aws.get_partition, get_caller_identity and get_region, answered as one account would.
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "accountId": "111111111111",
                "arn": "arn:aws:iam::111111111111:root", "userId": "AIDA", "id": "eu-west-1",
                "name": "eu-west-1", "region": "eu-west-1"}


pulumi.runtime.set_mocks(Mocks(), project="orders", stack="prod")


@pulumi.runtime.test
def program():
    registry = ContainerRegistry(
        "api", ContainerRegistryArgs(repository_name=repository_name("orders", "prod"))
    )
    return registry.repository_url.apply(lambda _: None)


program()
json.dump(
    {
        "components": components.__file__,
        "owner": components.OWNER,
        "slipway": slipway.__file__,
        "registered": registered,
    },
    sys.stdout,
)
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from the files a clone would have: in this checkout, the editable install's
    # components/slipway.egg-info/SOURCES.txt would add files the package data misses.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
         "pyproject.toml", "README.md", "components"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("slipway-*.whl")
    return built


def test_the_wheel_holds_only_slipway_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"slipway", f"slipway-{slipway.__version__}.dist-info"}
    for data in (
        "slipway/py.typed",
        "slipway/workflows/actions/action.yml",
        "slipway/workflows/images/Dockerfile",
        "slipway/workflows/files/changeset-publish.sh",
        "slipway/workflows/steps/deploy-service.sh",
        "slipway/workflows/steps/lib/follow-deployment.sh",
        "slipway/hooks/smoke_test.py",
    ):
        assert data in names


def test_a_consumer_with_its_own_components_package_imports_slipway(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    project = tmp_path / "consumer"
    (project / "components").mkdir(parents=True)
    (project / "components" / "__init__.py").write_text(CONSUMER_COMPONENTS)
    (project / "__main__.py").write_text(CONSUMER_PROGRAM)
    result = subprocess.run(
        [sys.executable, "__main__.py"],
        cwd=project,
        env={"PYTHONPATH": f"{project}:{site}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["components"] == str(project / "components" / "__init__.py")
    assert seen["owner"] == "consumer"
    assert seen["slipway"] == str(site / "slipway" / "__init__.py"), "not the installed wheel"
    assert "aws:ecr/repository:Repository" in seen["registered"]


def test_the_changelog_describes_the_current_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\d+\.\d+\.\d+)$", changelog, flags=re.MULTILINE)
    assert releases[0] == slipway.__version__, "add a CHANGELOG.md section for this version"
    assert releases == sorted(releases, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
