"""Fixtures of the release tests: the real Node.js tools and a throwaway npm registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.release.harness import Installs, Registry, start_verdaccio
from tests.release.node_tools import NodeTools


@pytest.fixture(scope="session")
def registry(node_tools: NodeTools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A verdaccio on 127.0.0.1 for this test session, stopped by PID at the end."""
    with start_verdaccio(node_tools, tmp_path_factory.mktemp("verdaccio")) as running:
        yield running


@pytest.fixture(scope="session")
def installs(tmp_path_factory: pytest.TempPathFactory) -> Installs:
    """The session's pnpm installs, one per distinct set of manifests."""
    return Installs(tmp_path_factory.mktemp("installs"))
