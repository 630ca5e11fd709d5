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

_CacheKey = tuple[Any, ...]
_cache: dict[_CacheKey, Recording] = {}


def _frozen(mapping: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((mapping or {}).items()))


def recorded(
    stack: str,
    overrides: Mapping[str, str | None] | None = None,
    secrets: Mapping[str, str] | None = None,
    ssm_parameters: Mapping[str, str] | None = None,
    github_repositories: Mapping[str, GithubRepository] | None = None,
) -> Recording:
    """``run_stack`` with these arguments, run once per test process: the program is
    deterministic, so every test that runs a stack file with the same settings (the unmodified
    stack, or the same overrides) shares one run. The recording is read-only
    (:meth:`Recording.read_only`): a test that wants to change one changes a copy.

    A test that changes anything else the run reads (the environment, a module attribute, a
    stack file) calls ``run_stack`` itself. A run that fails is not kept: it raises each time.
    """
    key = (
        stack,
        _frozen(overrides),
        _frozen(secrets),
        _frozen(ssm_parameters),
        _frozen(github_repositories),
    )
    if key not in _cache:
        _cache[key] = run_stack(
            stack,
            overrides=overrides,
            secrets=secrets,
            ssm_parameters=ssm_parameters,
            github_repositories=github_repositories,
        ).read_only()
    return _cache[key]


@pytest.fixture
def cached_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tooling.plan`` plans each stack from :func:`recorded` (the plan runs the unmodified
    stack files, as the rest of the suite does)."""
    from tooling import plan

    monkeypatch.setattr(plan, "run_stack", recorded)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what collection made (every module imported, the provider SDKs' tens of thousands
    of classes, the test items) out of the collector's generations: it lives as long as the
    session, and each stack run's garbage set off full collections that walked all of it
    again (about 9% of the stack-run tests' CPU). Collected once first, so no garbage is kept.
    """
    gc.collect()
    gc.freeze()
