"""Throwaway application repositories and a throwaway npm registry for the release tests.

A :class:`Workspace` is a git repository holding what Slipway delivers to an application
repository for releasing (``.changeset/config.json`` and the ``.github/scripts`` files, rendered
by the generator) plus a pnpm workspace of the test's choosing. Commands run in it as they run on
a GitHub runner: ``CI=true``, npm and pnpm set up only by this module (a user config in the
test's temporary directory, never the machine's), and changesets/action's ``script`` inputs
spawned by the real ``@actions/exec`` (``action_exec.mjs``).

:func:`start_verdaccio` runs the real verdaccio on 127.0.0.1 with its storage in a temporary
directory and no uplinks, so nothing leaves the machine, and creates the publishing user through
the registry's user API (``PUT /-/user/org.couchdb.user:<name>``, the call ``npm adduser``
makes), whose answer carries the token npm then sends. :meth:`Registry.packument` reads what
the registry holds for a package (the document ``npm view`` reads).

:class:`Installs` runs each distinct ``pnpm install`` a test repository starts from once per
session and copies its result (lockfile, ``node_modules``) into every repository that starts from
the same manifests: pnpm's start-up alone costs most of a CPU second.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipway.workflows.changesets import render_changeset_config
from slipway.workflows.repo_scripts import render_repo_scripts
from slipway.workflows.spec import WorkflowSpec
from tests.release.node_tools import NodeTools
from tests.workflows.conftest import write_files

ACTION_EXEC = Path(__file__).with_name("action_exec.mjs")
COMMAND_TIMEOUT = 120
"""Seconds any one command may take (each takes about a second here)."""
UNREACHABLE_REGISTRY = "http://127.0.0.1:9/"
"""A registry address nothing answers on: commands that must not need a registry get it."""


@dataclass(frozen=True)
class Registry:
    """A running throwaway registry and the credentials of its publishing user."""

    url: str
    token: str

    def packument(self, name: str) -> dict[str, Any]:
        """The registry's document for ``name`` (``GET /<name>``, what ``npm view`` reads):
        ``dist-tags``, and ``versions`` keyed by version with each one's manifest and ``dist``."""
        return _http("GET", self.url + name.replace("/", "%2f"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read() or b"{}")
        return result


@contextmanager
def start_verdaccio(tools: NodeTools, root: Path, ready_timeout: float = 60) -> Iterator[Registry]:
    """Run verdaccio on a free loopback port until the block ends, then stop it by its PID."""
    storage = root / "storage"
    storage.mkdir(parents=True)
    config = root / "config.yaml"
    config.write_text(
        json.dumps(  # JSON is YAML; verdaccio reads either
            {
                "storage": str(storage),
                "auth": {"htpasswd": {"file": str(root / "htpasswd"), "max_users": 10}},
                "uplinks": {},
                "packages": {
                    "**": {
                        "access": "$all",
                        "publish": "$authenticated",
                        "unpublish": "$authenticated",
                    }
                },
                "web": {"enable": False},
                "log": {"type": "stdout", "format": "pretty", "level": "warn"},
            }
        )
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = root / "verdaccio.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(tools.node),
                str(tools.module("verdaccio", "bin", "verdaccio")),
                "--config",
                str(config),
                "--listen",
                f"127.0.0.1:{port}",
            ],
            cwd=root,
            env=tools.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"verdaccio exited ({process.returncode}):\n{log.read_text()}")
            try:
                _http("GET", f"{url}-/ping")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"verdaccio did not answer within {ready_timeout} s:\n{log.read_text()}"
                    ) from None
                time.sleep(0.2)
        user = _http(
            "PUT",
            f"{url}-/user/org.couchdb.user:release-bot",
            {"name": "release-bot", "password": "throwaway-registry-password"},
        )
        yield Registry(url=url, token=str(user["token"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Installs:
    """``pnpm install --offline`` of each distinct set of manifests, run once in a template
    directory under ``root``; :meth:`copy_into` copies the installed template (manifests,
    ``pnpm-lock.yaml``, ``node_modules`` with its relative workspace links) into a repository.

    What pnpm writes depends only on the manifests and ``pnpm-workspace.yaml`` (the repositories
    have no registry dependencies), so a copy holds what an install in place would write, but
    for ``node_modules/.pnpm-workspace-state-v1.json``: it names the template's paths, so pnpm
    checks the copy's projects afresh, as it does after any change to them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def copy_into(self, files: dict[str, str], target: Workspace) -> None:
        """Write ``files`` (path -> text) into ``target``'s directory, installed."""
        key = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
        template = self.root / key
        if not template.is_dir():
            stage = self.root / f"{key}.partial"
            shutil.rmtree(stage, ignore_errors=True)
            write_files(stage, files)
            Workspace(stage, target.tools, target.spec).run("pnpm", "install", "--offline")
            stage.rename(template)
        shutil.copytree(template, target.root, symlinks=True, dirs_exist_ok=True)


class Workspace:
    """A throwaway application repository with the delivered release files."""

    def __init__(
        self,
        root: Path,
        tools: NodeTools,
        spec: WorkflowSpec,
        registry: Registry | None = None,
        installs: Installs | None = None,
    ) -> None:
        self.root = root
        self.tools = tools
        self.spec = spec
        self.registry = registry
        self.installs = installs
        home = root.parent / f"{root.name}-home"
        home.mkdir(parents=True, exist_ok=True)
        # What setup-node writes for a registry: a user config with the registry and its token.
        npmrc = home / "npmrc"
        if registry is None:
            npmrc.write_text(f"registry={UNREACHABLE_REGISTRY}\n")
        else:
            host = registry.url.removeprefix("http:")
            npmrc.write_text(f"registry={registry.url}\n{host}:_authToken={registry.token}\n")
        env = tools.env()
        env.update(
            {
                # A GitHub runner's environment, which the action passes on.
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "npm_config_userconfig": str(npmrc),
                "npm_config_registry": registry.url if registry else UNREACHABLE_REGISTRY,
                "npm_config_cache": str(home / "npm-cache"),
                "npm_config_store_dir": str(home / "pnpm-store"),
                "XDG_CACHE_HOME": str(home / "cache"),
                "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"),
                "XDG_CONFIG_HOME": str(home / "config"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
                "ACTIONS_EXEC_MODULE": str(tools.module("@actions", "exec", "lib", "exec.js")),
            }
        )
        self.env = env

    # -- building -------------------------------------------------------------------------

    def create(
        self,
        packages: dict[str, dict[str, Any]],
        changesets: dict[str, str],
    ) -> Workspace:
        """Write the packages (``"."`` is a single-package repository; other keys are
        directories of a pnpm workspace) and install them (through :class:`Installs` when the
        workspace has one, else in place), then write the delivered files and the changesets,
        commit, and return ``self``."""
        self.root.mkdir(parents=True, exist_ok=True)
        manifests: dict[str, str] = {}
        root_manifest: dict[str, Any]
        if "." in packages:
            root_manifest = dict(packages["."])
        else:
            root_manifest = {"name": "workspace-root", "private": True}
            dirs = sorted({str(Path(d).parent) for d in packages})
            manifests["pnpm-workspace.yaml"] = "packages:\n" + "".join(f"  - {d}/*\n" for d in dirs)
        root_manifest["packageManager"] = f"pnpm@{self.spec.pnpm_version}"
        manifests["package.json"] = json.dumps(root_manifest, indent=2) + "\n"
        for directory, manifest in packages.items():
            if directory != ".":
                manifests[f"{directory}/package.json"] = json.dumps(manifest, indent=2) + "\n"
        if self.installs is not None:
            self.installs.copy_into(manifests, self)
        else:
            write_files(self.root, manifests)
            self.run("pnpm", "install", "--offline")
        files = {".changeset/config.json": render_changeset_config(self.spec)}
        files.update(render_repo_scripts())
        for name, text in changesets.items():
            files[f".changeset/{name}.md"] = text
        write_files(self.root, files)
        self.git("init", "-q", "-b", self.spec.default_branch)
        self.identify()
        self.commit("Initial commit")
        return self

    def identify(self) -> None:
        """What the action's ensureGitUser does when the runner has no git identity."""
        self.git("config", "user.name", "github-actions[bot]")
        self.git("config", "user.email", "41898282+github-actions[bot]@users.noreply.github.com")

    def copy(self, root: Path, registry: Registry | None = None) -> Workspace:
        """A copy of this repository, work tree and ``.git`` as they are, at ``root``, whose
        commands use ``registry``."""
        shutil.copytree(self.root, root, symlinks=True)
        return Workspace(root, self.tools, self.spec, registry, self.installs)

    def clone(self, origin: Path, root: Path) -> Workspace:
        """A fresh checkout of ``origin`` at ``root``, as a re-run job starts from."""
        self.run("git", "clone", "-q", str(origin), str(root))
        other = Workspace(root, self.tools, self.spec, self.registry, self.installs)
        other.identify()
        return other

    # -- commands -------------------------------------------------------------------------

    def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args),
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    def git(self, *args: str) -> str:
        return self.run("git", *args).stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def changeset(self, *args: str, env: dict[str, str] | None = None) -> str:
        """The Changesets CLI as changesets/action's sub-actions run it: ``node <bin.js> ...``."""
        cli = self.tools.module("@changesets", "cli", "bin.js")
        return self.run(str(self.tools.node), str(cli), *args, env=env).stdout

    def action_script(
        self, mode: str, script: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Spawn ``script`` as changesets/action/``mode`` (version or publish) does."""
        node = str(self.tools.node)
        return self.run(node, str(ACTION_EXEC), mode, str(self.root), script, check=False, env=env)

    # -- reading --------------------------------------------------------------------------

    def manifest(self, directory: str = ".") -> dict[str, Any]:
        result: dict[str, Any] = json.loads((self.root / directory / "package.json").read_text())
        return result

    def frozen_install(self) -> subprocess.CompletedProcess[str]:
        """What the next CI job does with the committed lockfile."""
        return self.run("pnpm", "install", "--frozen-lockfile", "--offline", check=False)
