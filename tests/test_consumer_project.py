"""Slipway as a consumer installs it: a wheel built from this checkout, in a project that has a
``components`` package of its own.

The wheel is built and installed with pip (no index, no build isolation: offline), into a folder
of its own; the consumer's program runs in a fresh interpreter whose path puts the consumer's
folder and that install ahead of this checkout, under Pulumi's mock runtime.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import slipway
from slipway.workflows import render_workflow_files
from slipway.workflows.infra_pipeline import InfraPipelineSpec, render_infra_files
from slipway_platform import DISTRIBUTION as DIST
from slipway_platform import collision_problems
from slipway_platform.cli import EXIT_COLLISION, main
from tests.workflows.conftest import SPECS
from tooling.offline import ROOT

WHEEL_DIST = DIST.replace("-", "_")
"""The distribution's name in file names (the wheel spec's normalisation)."""

CONSUMER_COMPONENTS = '''"""The consumer's own package, named like Slipway's source folder."""

OWNER = "consumer"


def repository_name(app: str, stack: str) -> str:
    return f"{app}/{stack}"
'''

CONSUMER_MOCKS = """registered = []


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
"""
"""A consumer program's mock runtime (text, after its imports of ``pulumi``): records each
registered type in ``registered`` and answers the provider's invokes as one account would."""

CONSUMER_PROGRAM = (
    '''"""A consumer's stack: its own `components`, and Slipway's."""
import json
import sys

import pulumi

import components
import slipway
from components import repository_name
from slipway import ContainerRegistry, ContainerRegistryArgs

'''
    + CONSUMER_MOCKS
    + """

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
"""
)


def tracked(*paths: str) -> list[str]:
    """The files a clone of this checkout would have under ``paths`` (tracked or new, not
    ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *paths],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [name for name in filter(None, listed.split("\0")) if (ROOT / name).is_file()]


PACKAGES = ("components/slipway", "components/slipway_platform")
"""The packages the distribution ships: every file of theirs in git must be in the wheel and
the sdist (the package reads its scripts, pins and ``.shellcheckrc`` at run time)."""


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from the files a clone would have: in this checkout, the editable install's
    # components/*.egg-info/SOURCES.txt would add files the package data misses.
    source = tmp_path_factory.mktemp("source")
    for name in tracked("pyproject.toml", "README.md", "components"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    return source


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob(f"{WHEEL_DIST}-*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The PEP 517 hook itself, as `python -m build --sdist --no-isolation` calls it (build is not
    # pinned here; setuptools, the backend pyproject.toml names, is).
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [sys.executable, "-c",
         "import sys, setuptools.build_meta as b; b.build_sdist(sys.argv[1])", str(out)],
        cwd=source, check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob(f"{WHEEL_DIST}-*.tar.gz")
    return built


def fresh_venv(root: Path) -> Path:
    """A venv outside the checkout, without pip (fast), whose own site-packages comes first and
    that reaches the project venv's installed dependencies after it (a path line in a ``.pth``:
    the ``.pth`` files over there, such as the editable install of this checkout, are not read).
    Returns its interpreter."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, capture_output=True
    )
    python = root / "bin" / "python"
    (own,) = (root / "lib").glob("python3.*/site-packages")
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (own / "project-dependencies.pth").write_text(f"{deps}\n")
    return python


UV = Path(sys.executable).parent / "uv"
"""The project venv's uv, when the set-up installed it (Makefile); else its pip."""


def install(python: Path, *args: str, reinstall: bool = False) -> None:
    """Install into ``python``'s environment offline, without dependencies or build isolation:
    with uv (a tenth of a second) or pip (two seconds)."""
    options = ["--quiet", "--no-deps", "--no-build-isolation", *args]
    if UV.is_file():
        command = [str(UV), "pip", "install", "--offline", "--python", str(python), *options]
        command += ["--reinstall"] if reinstall else []
    else:
        command = [sys.executable, "-m", "pip", "--python", str(python), "install",
                   "--disable-pip-version-check", "--no-index", *options]  # fmt: skip
        command += ["--force-reinstall"] if reinstall else []
    subprocess.run(command, check=True, capture_output=True, cwd=python.parent)


def uninstall(python: Path, name: str) -> None:
    """Uninstall ``name`` from ``python``'s environment, as the collision message says."""
    command = (
        [str(UV), "pip", "uninstall", "--quiet", "--python", str(python), name]
        if UV.is_file()
        else [sys.executable, "-m", "pip", "--python", str(python), "uninstall", "--yes", name]
    )
    subprocess.run(command, check=True, capture_output=True, cwd=python.parent)


def run_outside(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python`` in a fresh process, from a folder outside the checkout, with no PYTHONPATH."""
    return subprocess.run(
        [str(python), *args],
        cwd=python.parent.parent.parent,
        env={"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(python.parent.parent)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


RENDER = """
import json, pickle, sys
import slipway
from slipway.workflows import render_workflow_files
from slipway.workflows.infra_pipeline import render_infra_files
with open(sys.argv[1], "rb") as specs:
    workflows, infra = pickle.load(specs)
files = {name: render_workflow_files(spec) for name, spec in workflows.items()}
files["infra"] = render_infra_files(infra)
json.dump({"slipway": slipway.__file__, "files": files}, sys.stdout)
"""
"""Renders every file of the workflow test specs and of the infra pipeline with the ``slipway``
it imports; the specs come pickled (by class name: the install's own classes load them)."""


def rendered_by_the_checkout() -> dict[str, dict[str, str]]:
    files = {name: render_workflow_files(spec) for name, spec in SPECS.items()}
    files["infra"] = render_infra_files(InfraPipelineSpec())
    return files


@pytest.mark.parametrize("artifact", ["wheel", "sdist"])
def test_an_install_outside_the_checkout_renders_every_file(
    artifact: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    built: Path = request.getfixturevalue(artifact)
    python = fresh_venv(tmp_path / "venv")
    install(python, str(built))
    specs = tmp_path / "specs.pickle"
    specs.write_bytes(pickle.dumps((SPECS, InfraPipelineSpec())))
    result = run_outside(python, "-c", RENDER, str(specs))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    installed = Path(seen["slipway"])
    assert installed.is_relative_to(tmp_path / "venv"), f"not the install: {installed}"
    assert not installed.is_relative_to(ROOT)
    expected = rendered_by_the_checkout()
    assert sorted(seen["files"]) == sorted(expected)
    for name, files in expected.items():
        assert seen["files"][name] == files, f"{artifact}: {name} renders differently"
    assert any(path.endswith("/.shellcheckrc") for path in seen["files"]["default"])
    version = run_outside(python.parent / "slipway-platform", "--version")
    assert (version.returncode, version.stdout) == (0, f"slipway-platform {slipway.__version__}\n")


def test_the_wheel_holds_only_slipway_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    info = f"{WHEEL_DIST}-{slipway.__version__}.dist-info"
    assert tops == {"slipway", "slipway_platform", info}
    assert {f"components/{name}" for name in names if not name.startswith(info)} == set(
        tracked(*PACKAGES)
    ), "every file of the package in git, and nothing else (package data in pyproject.toml)"
    for data in (
        "slipway/py.typed",
        "slipway/workflows/actions/action.yml",
        "slipway/workflows/images/Dockerfile",
        "slipway/workflows/files/changeset-publish.sh",
        "slipway/workflows/steps/.shellcheckrc",
        "slipway/workflows/steps/deploy-service.sh",
        "slipway/workflows/steps/lib/follow-deployment.sh",
        "slipway/hooks/smoke_test.py",
        # The placeholder image's sources, which the set-up command sends to CodeBuild.
        "slipway/setup/placeholder/placeholder.c",
        "slipway/setup/placeholder/Dockerfile",
        "slipway/setup/placeholder/build.sh",
    ):
        assert data in names
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "slipway-platform = slipway_platform.cli:main" in entry_points


def test_the_sdist_holds_every_file_of_the_package(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = set(tracked(*PACKAGES)) - names
    assert not missing, f"the sdist lacks {sorted(missing)}"


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


def released() -> list[str]:
    """The versions CHANGELOG.md describes as released (its ``## X.Y.Z`` sections), newest first."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    return re.findall(r"^## (\d+\.\d+\.\d+)$", changelog, flags=re.MULTILINE)


SLIPWAY_PINS = re.compile(
    r"git\+\S+?\.git@(?P<git>v?\d+\.\d+\.\d+)\b"
    r"|pulumi package add \S+@(?P<plugin>v?\d+\.\d+\.\d+)\b"
    r"|\bslipway(?:-platform)?\s*(?:==|~=|>=|<=|===)\s*(?P<pypi>v?\d+\.\d+\.\d+)\b"
)
"""How a doc pins a version of Slipway: a Git URL at a tag (every ``git+…`` install in the docs is
Slipway's), ``pulumi package add …@<tag>`` (issue 26), or a version specifier of the
distribution. Placeholders (``@<tag>``, ``vX.Y.Z``) are not pins."""


def pinned_versions(text: str) -> list[str]:
    """The Slipway versions ``text`` pins, each as its tag ``vX.Y.Z``."""
    return [
        "v" + next(v for v in match.groups() if v).removeprefix("v")
        for match in SLIPWAY_PINS.finditer(text)
    ]


def test_pins_are_found_and_placeholders_are_not() -> None:
    text = """pip install "slipway-platform @ git+https://github.com/acme/infra.git@v0.2.0"
    slipway @ git+https://github.com/acme/infra.git@0.1.0
    pulumi package add https://github.com/acme/infra/plugin@v1.2.3
    slipway-platform==0.3.0, slipway ~= 2.0.1
    slipway-platform @ git+https://github.com/<owner>/<repository>.git@<tag>; tag it vX.Y.Z
    actions/checkout@v4.2.2 # v4.2.2; the image 1.4.2; git tag -a v1.4.2"""
    assert pinned_versions(text) == ["v0.2.0", "v0.1.0", "v1.2.3", "v0.3.0", "v2.0.1"]


def test_no_doc_pins_a_version_that_was_not_released_and_tagged() -> None:
    listed = subprocess.run(
        ["git", "tag", "--list"], cwd=ROOT, check=True, capture_output=True, text=True
    )
    tags = set(listed.stdout.split())
    releases = {f"v{version}" for version in released()}
    docs = [
        name
        for name in tracked(".")
        if name != "CHANGELOG.md"
        and not name.startswith("tests/")
        and (name.endswith((".md", ".txt", ".yaml", ".yml", ".toml")) or "/examples/" in f"/{name}")
    ]
    assert "README.md" in docs
    assert "examples/another_stack/requirements.txt" in docs
    wrong = {
        f"{name}: {tag}" + ("" if tag in releases else ", not released in CHANGELOG.md")
        + ("" if tag in tags else ", not in `git tag`")
        for name in docs
        for tag in pinned_versions((ROOT / name).read_text(errors="replace"))
        if tag not in releases or tag not in tags
    }  # fmt: skip
    assert not wrong, f"pins of versions that do not exist: {sorted(wrong)}"


def test_the_changelog_describes_the_current_version() -> None:
    releases = released()
    assert releases[0] == slipway.__version__, "add a CHANGELOG.md section for this version"
    assert releases == sorted(releases, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


OTHER_SLIPWAY = {
    "pyproject.toml": """[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "slipway"
version = "0.14.0"
description = "CLI tool for managing development containers"

[project.scripts]
slipway = "slipway:main"

[tool.setuptools]
packages = ["slipway"]
""",
    "slipway/__init__.py": "def main():\n    print('development containers')\n",
    "slipway/container.py": "",
}
"""A distribution shaped like PyPI's ``slipway`` 0.14.0 (its wheel's RECORD and METADATA: the
package ``slipway`` with ``__init__.py``, ``container.py`` and more, the console script
``slipway = slipway:main``, that summary), built here by setuptools: no download."""


def test_the_other_slipway_in_the_same_environment_is_named_not_silent(
    wheel: Path, tmp_path: Path
) -> None:
    project = tmp_path / "other"
    for name, text in OTHER_SLIPWAY.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    subprocess.run(
        [sys.executable, "-c",
         "import sys, setuptools.build_meta as b; b.build_wheel(sys.argv[1])", str(tmp_path)],
        cwd=project, check=True, capture_output=True,
    )  # fmt: skip
    (other,) = tmp_path.glob("slipway-0.14.0-*.whl")
    python = fresh_venv(tmp_path / "venv")
    command = python.parent / "slipway-platform"
    named = "the distribution 'slipway' 0.14.0 (CLI tool for managing development containers)"

    # Installed after Slipway: its __init__.py replaces Slipway's; the command names it.
    install(python, str(wheel))
    install(python, str(other))
    refused = run_outside(command, "--version")
    assert refused.returncode == EXIT_COLLISION, refused
    assert refused.stdout == ""
    assert named in refused.stderr
    assert "pip uninstall slipway" in refused.stderr

    # Slipway installed again over it: the import fails, naming it, instead of half-working.
    install(python, str(wheel), reinstall=True)
    imported = run_outside(python, "-c", "import slipway")
    assert imported.returncode == 1
    assert "slipway_platform.SlipwayCollisionError: slipway-platform: " + named in imported.stderr

    # The way out the message gives: uninstall the other, reinstall Slipway.
    uninstall(python, "slipway")
    install(python, str(wheel), reinstall=True)
    assert run_outside(command, "--version").stdout == f"slipway-platform {slipway.__version__}\n"
    fixed = run_outside(python, "-c", "import slipway; print(slipway.FargateService.__name__)")
    assert (fixed.returncode, fixed.stdout) == (0, "FargateService\n"), fixed.stderr


def dist_info(site: Path, name: str, version: str, files: list[str]) -> None:
    """An installed distribution's metadata as pip writes it: METADATA and RECORD."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in files))


def test_only_another_distribution_owning_slipway_files_is_a_collision(tmp_path: Path) -> None:
    # Slipway itself, under any spelling of its name; a checkout's editable install made before
    # the rename (named `slipway`, its record lists a .pth, no package file); an unrelated one.
    dist_info(tmp_path / "a", "Slipway_Platform", "0.2.0", ["slipway/__init__.py"])
    dist_info(tmp_path / "b", "slipway", "0.2.0", ["__editable__.slipway-0.2.0.pth"])
    dist_info(tmp_path / "c", "pyyaml", "6.0", ["yaml/__init__.py"])
    paths = [str(tmp_path / part) for part in "abc"]
    assert collision_problems(metadata.distributions(path=paths)) == []
    dist_info(tmp_path / "d", "slipway", "0.14.0", ["slipway/__init__.py", "slipway/image.py"])
    (problem,) = collision_problems(metadata.distributions(path=[*paths, str(tmp_path / "d")]))
    assert problem.startswith("the distribution 'slipway' 0.14.0 (no summary) is installed")


def test_the_command_shows_its_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    usage = capsys.readouterr().out
    assert usage.startswith("usage: slipway-platform [-h] [--version] COMMAND ...\n")
    assert "    setup     from AWS credentials and a GitHub login to the first prod deploy" in usage
    # `setup` is the set-up command itself, with its own flags.
    assert main(["setup", "--help"]) == 0
    setup_usage = capsys.readouterr().out
    assert "--answers ANSWERS" in setup_usage
    assert "--dry-run" in setup_usage
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0
    assert capsys.readouterr().out == f"slipway-platform {slipway.__version__}\n"
