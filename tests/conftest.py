"""Shared fixtures: offline runs of the real program, recorded per stack."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pytest

with warnings.catch_warnings():
    # parliament and pkg_resources open data files at import without closing them; import them
    # here, once, so that warnings-as-errors stays on for everything else.
    warnings.simplefilter("ignore")
    import parliament  # noqa: F401

    gc.collect()

from tooling.offline import STACKS, GithubRepository, Recording, run_program, run_stack

_cache: dict[str, Recording] = {}


def recorded(stack: str) -> Recording:
    """The unmodified stack's recording; the program is deterministic, so it is run once."""
    if stack not in _cache:
        _cache[stack] = run_stack(stack)
    return _cache[stack]


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> Recording:
    """Each of dev, staging and prod in turn."""
    return recorded(request.param)


@pytest.fixture
def dev() -> Recording:
    return recorded("dev")


@pytest.fixture
def staging() -> Recording:
    return recorded("staging")


@pytest.fixture
def prod() -> Recording:
    return recorded("prod")


Program = Callable[[], Mapping[str, Any]]


@pytest.fixture
def run_component() -> Callable[[Program], Recording]:
    """Run a small program (usually one component) under the same mocks as the stacks."""

    def run(
        program: Program,
        region: str = "eu-west-1",
        ssm_parameters: Mapping[str, str] | None = None,
        github_repositories: Mapping[str, GithubRepository] | None = None,
    ) -> Recording:
        return run_program(
            "test",
            {"aws:region": region},
            (),
            program,
            ssm_parameters=ssm_parameters,
            github_repositories=github_repositories,
        )

    return run
