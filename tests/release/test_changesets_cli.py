"""The delivered release scripts, run with the real tools exactly as changesets/action runs them.

changesets/action v2.1.1 (``src/run.ts``, ``src/utils.ts``, ``src/select-mode``, ``src/pack``,
``src/publish`` at 8488615a623b1b9c987934bb89eae8af6a946ac1) spawns:

- select-mode: ``node <@changesets/cli/bin.js> publish-plan --output <file>``;
- pack: ``node <bin.js> pack --out-dir <dir> [--from-publish-plan <file>]``;
- version: its ``script`` input through ``@actions/exec``'s ``exec(script, undefined, {cwd,
  env})``, which splits the string into words and runs the first without a shell;
- publish: its ``script`` input through ``getExecOutput(script, undefined, {cwd, env,
  ignoreReturnCode: true})`` with ``CHANGESETS_OUTPUT`` in the environment, then reads the
  ``git-tag`` events the CLI wrote there and pushes those tags. With a ``script`` the action does
  not pass its own downloaded pack directory on: the script is told where it is (``PACK_DIR``).

Here those exact steps run against throwaway repositories (one package, and a two-package pnpm
workspace) and a throwaway verdaccio, with @changesets/cli 3.0.3, pnpm and Node.js 24. The
session shares one verdaccio: each test that publishes publishes package names no other test
publishes (``storefront``, ``@acme/*``, ``storefront-lines``).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from slipway.workflows.repo_scripts import PUBLISH_SCRIPT, VERSION_SCRIPT, VERSION_SCRIPT_PATH
from tests.release.harness import Installs, Registry, Workspace
from tests.release.node_tools import MANIFEST, NodeTools
from tests.workflows.conftest import SPECS

SPEC = SPECS["default"]
OLD_VERSION_SCRIPT = "pnpm exec changeset version && pnpm install --lockfile-only"
"""The version-script before the fix: two commands joined by a shell operator."""


def changeset(releases: dict[str, str], summary: str) -> str:
    """The text of a changeset file, as ``changeset add`` writes it."""
    lines = "".join(f'"{name}": {bump}\n' for name, bump in releases.items())
    return f"---\n{lines}---\n\n{summary}\n"


def single_package(
    root: Path,
    tools: NodeTools,
    installs: Installs,
    registry: Registry | None,
    name: str,
    version: str,
    **cs: str,
) -> Workspace:
    manifest = {"name": name, "version": version, "license": "MIT"}
    return Workspace(root, tools, SPEC, registry, installs).create({".": manifest}, cs)


def monorepo(
    root: Path,
    tools: NodeTools,
    installs: Installs,
    registry: Registry | None,
    scope: str,
    **cs: str,
) -> Workspace:
    packages: dict[str, dict[str, Any]] = {
        "packages/core": {"name": f"{scope}/core", "version": "1.0.0", "license": "MIT"},
        "packages/web": {
            "name": f"{scope}/web",
            "version": "2.3.0",
            "license": "MIT",
            # A caret range through the workspace protocol: a bump of core rewrites it.
            "dependencies": {f"{scope}/core": "workspace:^1.0.0"},
        },
    }
    return Workspace(root, tools, SPEC, registry, installs).create(packages, cs)


def version_pull_request(ws: Workspace) -> None:
    """The version job: the delivered script as the action spawns it, then the action's commit."""
    result = ws.action_script("version", VERSION_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    ws.commit("chore: version packages")


@dataclass(frozen=True)
class Versioned:
    """A repository right after the version job's script ran, before the action commits."""

    workspace: Workspace
    result: subprocess.CompletedProcess[str]
    """What the action's spawn of the delivered version script printed and returned."""

    def copy(self, root: Path, registry: Registry | None = None) -> Workspace:
        """Each test's own copy of the repository, to read and change."""
        return self.workspace.copy(root, registry)

    def version_pull_request(self, root: Path, registry: Registry) -> Workspace:
        """:func:`version_pull_request` on a copy: the script's run, then the action's commit."""
        assert self.result.returncode == 0, self.result.stdout + self.result.stderr
        ws = self.copy(root, registry)
        ws.commit("chore: version packages")
        return ws


@pytest.fixture(scope="module")
def versioned_package(
    node_tools: NodeTools, installs: Installs, tmp_path_factory: pytest.TempPathFactory
) -> Versioned:
    """``storefront`` 1.0.0 with a minor changeset, after the delivered version script ran as
    the action spawns it. The run is the same for the tests that start from it, so it happens
    once; each test reads or publishes its own copy."""
    cs = changeset({"storefront": "minor"}, "Add the checkout page.")
    root = tmp_path_factory.mktemp("versioned-package") / "repo"
    ws = single_package(
        root, node_tools, installs, None, "storefront", "1.0.0", **{"brave-owls": cs}
    )
    return Versioned(ws, ws.action_script("version", VERSION_SCRIPT))


@pytest.fixture(scope="module")
def versioned_workspace(
    node_tools: NodeTools, installs: Installs, tmp_path_factory: pytest.TempPathFactory
) -> Versioned:
    """The ``@acme`` workspace (core minor, web patch) after the delivered version script ran as
    the action spawns it, once for the tests that start from it."""
    cs = changeset({"@acme/core": "minor", "@acme/web": "patch"}, "Show prices.")
    root = tmp_path_factory.mktemp("versioned-workspace") / "repo"
    ws = monorepo(root, node_tools, installs, None, "@acme", **{"quick-cats": cs})
    return Versioned(ws, ws.action_script("version", VERSION_SCRIPT))


def publish(
    ws: Workspace, tmp_path: Path, npm_dist_tag: str | None = None
) -> tuple[Path, list[dict[str, str]]]:
    """select-mode, pack and publish as the three jobs run them; returns the pack directory and
    the events the CLI wrote to CHANGESETS_OUTPUT."""
    plan = tmp_path / "select" / "publish-plan.json"
    ws.changeset("publish-plan", "--output", str(plan))
    pack_dir = tmp_path / "pack"
    ws.changeset("pack", "--out-dir", str(pack_dir), "--from-publish-plan", str(plan))
    output = tmp_path / "changesets-output.ndjson"
    env = {"PACK_DIR": str(pack_dir), "CHANGESETS_OUTPUT": str(output)}
    if npm_dist_tag is not None:
        env["NPM_DIST_TAG"] = npm_dist_tag
    result = ws.action_script("publish", PUBLISH_SCRIPT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    return pack_dir, events


def git_tag_events(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events changesets/action's readChangesetsOutput keeps (``type: git-tag``)."""
    return sorted((e for e in events if e.get("type") == "git-tag"), key=lambda e: e["packageName"])


# -- the tools ------------------------------------------------------------------------------


def test_tool_manifest_pins_exact_versions_that_match_the_generator() -> None:
    manifest = json.loads(MANIFEST.read_text())
    versions = {**manifest["dependencies"], **manifest["overrides"]}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions.values()), versions
    # The pnpm the tests run is the one the generated workflows and Dockerfile set up.
    assert manifest["dependencies"]["pnpm"] == SPEC.pnpm_version
    cli_major = int(manifest["dependencies"]["@changesets/cli"].split(".")[0])
    assert cli_major == SPEC.changesets_cli_major
    assert not list(MANIFEST.parent.glob("*lock*")), "no lock file is committed"
    assert "://" not in MANIFEST.read_text(), "no registry is named"


def test_cli_has_the_commands_the_split_release_jobs_use(
    node_tools: NodeTools, tmp_path: Path
) -> None:
    ws = Workspace(tmp_path, node_tools, SPEC)

    def help_of(*command: str) -> str:
        cli = node_tools.module("@changesets", "cli", "bin.js")
        return ws.run(str(node_tools.node), str(cli), *command, "--help").stdout

    assert "changeset v3.0.3" in help_of()
    assert "--output <file>" in help_of("publish-plan")
    pack = help_of("pack")
    assert "--out-dir <dir>" in pack
    assert "--from-publish-plan <file>" in pack
    publish_help = help_of("publish")
    assert "--from-pack-dir <dir>" in publish_help
    assert "--tag <name>" in publish_help


# -- the version pull request ---------------------------------------------------------------


def test_version_script_bumps_a_single_package(
    versioned_package: Versioned, tmp_path: Path
) -> None:
    result = versioned_package.result
    ws = versioned_package.copy(tmp_path / "repo")
    assert result.returncode == 0, result.stdout + result.stderr
    # @actions/exec resolved the first word and passed the rest as arguments.
    assert re.search(rf"\[command\]\S*/bash {re.escape(VERSION_SCRIPT_PATH)}\n", result.stdout)
    assert ws.manifest()["version"] == "1.1.0"
    changelog = (ws.root / "CHANGELOG.md").read_text()
    assert re.search(
        r"## 1\.1\.0\n\n### Minor Changes\n\n- \w+: Add the checkout page\.", changelog
    )
    assert not (ws.root / ".changeset" / "brave-owls.md").exists(), "the changeset is consumed"
    assert (ws.root / ".changeset" / "config.json").exists()
    frozen = ws.frozen_install()
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr


def test_version_script_bumps_a_workspace_and_refreshes_the_lockfile(
    versioned_workspace: Versioned, tmp_path: Path
) -> None:
    ws = versioned_workspace.copy(tmp_path / "repo")
    # The lockfile committed before the version script ran.
    assert "specifier: workspace:^1.0.0" in ws.git("show", "HEAD:pnpm-lock.yaml")

    result = versioned_workspace.result

    assert result.returncode == 0, result.stdout + result.stderr
    core, web = ws.manifest("packages/core"), ws.manifest("packages/web")
    assert core["version"] == "1.1.0"
    assert web["version"] == "2.3.1"
    assert web["dependencies"] == {"@acme/core": "workspace:^1.1.0"}
    assert "## 1.1.0" in (ws.root / "packages/core/CHANGELOG.md").read_text()
    web_changelog = (ws.root / "packages/web/CHANGELOG.md").read_text()
    assert "## 2.3.1" in web_changelog
    assert "@acme/core@1.1.0" in web_changelog
    assert not (ws.root / ".changeset" / "quick-cats.md").exists()
    changed = ws.git("status", "--porcelain").splitlines()
    assert " M pnpm-lock.yaml" in changed, changed
    assert "specifier: workspace:^1.1.0" in (ws.root / "pnpm-lock.yaml").read_text()
    frozen = ws.frozen_install()
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr


def test_without_the_lockfile_refresh_the_next_frozen_install_fails(
    node_tools: NodeTools, installs: Installs, tmp_path: Path
) -> None:
    """Why the delivered script runs ``pnpm install --lockfile-only`` after the bump."""
    cs = changeset({"@acme/core": "minor", "@acme/web": "patch"}, "Show prices.")
    ws = monorepo(tmp_path / "repo", node_tools, installs, None, "@acme", **{"quick-cats": cs})
    result = ws.action_script("version", "pnpm exec changeset version")
    assert result.returncode == 0, result.stdout + result.stderr
    frozen = ws.frozen_install()
    assert frozen.returncode != 0
    assert "ERR_PNPM_OUTDATED_LOCKFILE" in frozen.stdout + frozen.stderr


def test_the_old_two_command_version_script_fails_as_the_action_spawns_it(
    node_tools: NodeTools, installs: Installs, tmp_path: Path
) -> None:
    """The defect: without a shell, ``&&`` and the second command reach the Changesets CLI."""
    cs = changeset({"storefront": "minor"}, "Add the checkout page.")
    ws = single_package(tmp_path / "repo", node_tools, installs, None, "storefront", "1.0.0", b=cs)
    result = ws.action_script("version", OLD_VERSION_SCRIPT)
    assert result.returncode != 0
    assert "Unknown option `--lockfileOnly`" in result.stdout + result.stderr
    assert ws.manifest()["version"] == "1.0.0", "nothing was versioned"
    assert (ws.root / ".changeset" / "b.md").exists()


# -- publishing -----------------------------------------------------------------------------


def test_publish_script_publishes_the_packed_tarball_and_a_rerun_reports_its_tag(
    versioned_package: Versioned, registry: Registry, tmp_path: Path
) -> None:
    """The publish job, then "Re-run failed jobs" after npm took the package but the job failed
    before the action pushed the tag. The re-run's ``publish`` finds the version already on npm
    ("You cannot publish over the previously published versions", which the CLI treats as done)
    and writes no git-tag event, so the action would push no tag, create no GitHub Release and
    report nothing published; the script's ``changeset git-tag`` reports the tag that exists
    neither in the fresh checkout nor on the remote."""
    ws = versioned_package.version_pull_request(tmp_path / "repo", registry)
    origin = tmp_path / "origin.git"  # GitHub's copy: the action pushes tags there, not git
    ws.git("init", "-q", "--bare", "-b", SPEC.default_branch, str(origin))
    ws.git("remote", "add", "origin", str(origin))
    ws.git("push", "-q", "origin", "HEAD")

    pack_dir, events = publish(ws, tmp_path / "first")

    published = registry.packument("storefront")
    assert published["versions"]["1.1.0"]["version"] == "1.1.0"
    assert published["dist-tags"] == {"latest": "1.1.0"}
    # The registry holds the very tarball the read-only pack job built.
    tarball = pack_dir / "packages" / "storefront-1.1.0.tgz"
    shasum = hashlib.sha1(tarball.read_bytes()).hexdigest()  # noqa: S324 - npm's own checksum
    assert published["versions"]["1.1.0"]["dist"]["shasum"] == shasum
    # The tag the action pushes, created (annotated) by the CLI in the checkout, reported once.
    tag_event = {"type": "git-tag", "tag": "v1.1.0", "packageName": "storefront"}
    assert git_tag_events(events) == [tag_event]
    assert ws.git("cat-file", "-t", "v1.1.0").strip() == "tag"

    rerun = ws.clone(origin, tmp_path / "rerun")
    output = tmp_path / "rerun-output.ndjson"
    env = {"PACK_DIR": str(pack_dir), "CHANGESETS_OUTPUT": str(output)}
    result = rerun.action_script("publish", PUBLISH_SCRIPT, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    rerun_events = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    assert git_tag_events(rerun_events) == [tag_event]
    assert list(registry.packument("storefront")["versions"]) == ["1.1.0"]


def test_publish_script_publishes_a_workspace_in_dependency_order(
    versioned_workspace: Versioned, registry: Registry, tmp_path: Path
) -> None:
    ws = versioned_workspace.version_pull_request(tmp_path / "repo", registry)

    _, events = publish(ws, tmp_path)

    assert registry.packument("@acme/core")["dist-tags"] == {"latest": "1.1.0"}
    web = registry.packument("@acme/web")
    assert web["dist-tags"] == {"latest": "2.3.1"}
    # pnpm pack replaced the workspace protocol with the released range.
    assert web["versions"]["2.3.1"]["dependencies"] == {"@acme/core": "^1.1.0"}
    assert git_tag_events(events) == [
        {"type": "git-tag", "tag": "@acme/core@1.1.0", "packageName": "@acme/core"},
        {"type": "git-tag", "tag": "@acme/web@2.3.1", "packageName": "@acme/web"},
    ]


def test_an_older_line_publishes_under_its_dist_tag_and_latest_stays(
    node_tools: NodeTools, installs: Installs, registry: Registry, tmp_path: Path
) -> None:
    """A hotfix on ``release/v1.4.x`` after 1.5.0 is out: ``NPM_DIST_TAG=release-1.4``.

    ``changeset publish --from-pack-dir`` refuses ``--tag`` ("Releasing under custom tag is not
    allowed in artifact mode"): the dist-tag travels in the pack's publish plan instead.

    1.5.0 reaches the registry by a plain ``npm publish``: how the main line published is not
    what this test is about (the tests above publish through the delivered script)."""
    main = Workspace(tmp_path / "main", node_tools, SPEC, registry)
    main.root.mkdir()
    manifest = {"name": "storefront-lines", "version": "1.5.0", "license": "MIT"}
    (main.root / "package.json").write_text(json.dumps(manifest))
    main.run("npm", "publish")
    assert registry.packument("storefront-lines")["dist-tags"] == {"latest": "1.5.0"}

    cs = changeset({"storefront-lines": "patch"}, "Fix the basket total.")
    line = single_package(
        tmp_path / "line", node_tools, installs, registry, "storefront-lines", "1.4.0", a=cs
    )
    version_pull_request(line)
    assert line.manifest()["version"] == "1.4.1"

    _, events = publish(line, tmp_path / "line-release", npm_dist_tag="release-1.4")

    assert registry.packument("storefront-lines")["dist-tags"] == {
        "latest": "1.5.0",
        "release-1.4": "1.4.1",
    }
    assert git_tag_events(events) == [
        {"type": "git-tag", "tag": "v1.4.1", "packageName": "storefront-lines"}
    ]


def test_publish_script_refuses_to_run_without_a_pack_dir(
    node_tools: NodeTools, installs: Installs, tmp_path: Path
) -> None:
    ws = single_package(tmp_path / "repo", node_tools, installs, None, "storefront", "1.0.0")
    result = ws.action_script("publish", PUBLISH_SCRIPT)
    assert result.returncode != 0
    assert "PACK_DIR names the directory" in result.stderr + result.stdout
