"""Shared fixtures: offline runs of the real program, recorded per stack.

Nothing heavy is imported here. pytest-xdist's controller loads this file before it starts the
workers and never runs a test; importing the program here (``tooling.offline`` brings in
``pulumi_aws``, about 4 s of CPU) made every ``make test`` wait for it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.mark import ParameterSet

if TYPE_CHECKING:
    from tests.release.node_tools import NodeTools
    from tooling.offline import GithubRepository, Recording

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
        from tooling.offline import run_stack

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
    from tooling.offline import ROOT, run_stack

    def planned(stack: str, root: Path = ROOT) -> Recording:
        return recorded(stack) if root == ROOT else run_stack(stack, root=root)

    monkeypatch.setattr(plan, "run_stack", planned)


def _parametrizes(metafunc: pytest.Metafunc, argname: str) -> bool:
    """Does the test parametrize ``argname`` itself (which takes precedence over a fixture)?"""
    return any(
        argname in ParameterSet._parse_parametrize_args(*mark.args, **mark.kwargs)[0]
        for mark in metafunc.definition.iter_markers("parametrize")
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The ``stack`` fixture takes each stack in turn, as ``@pytest.fixture(params=STACKS)``
    would; the stacks are listed only when a test asks for them (``tooling.offline.STACKS`` is
    behind the program's imports)."""
    if "stack" in metafunc.fixturenames and not _parametrizes(metafunc, "stack"):
        from tooling.offline import STACKS

        metafunc.parametrize("stack", STACKS, indirect=True)


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Recording:
    """Each stack file in turn (``tooling.offline.STACKS``)."""
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


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """Node.js 24, @changesets/cli, pnpm, @actions/exec, @actions/expressions and verdaccio
    (installed on first use: about 20 s on a cold npm cache, then reused from the virtualenv).
    Here, not in tests/release/, because workflow tests outside it ask GitHub's own expression
    evaluator too."""
    from tests.release.node_tools import ensure_node_tools

    return ensure_node_tools()


@pytest.fixture
def run_component() -> Callable[[Program], Recording]:
    """Run a small program (usually one component) under the same mocks as the stacks."""
    from tooling.offline import run_program

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


# Python's cyclic collector walks every object it tracks, and once the tests are collected that
# is every module, class and function of pulumi_aws, botocore and moto: about 490,000 objects, a
# full collection 0.46 s of CPU. The collector ran about ten of those while collecting, and more
# in every worker afterwards. Those objects live as long as the process, so they are moved out of
# the collector's sight (gc.freeze) once each module is collected; what tests create is
# collected as before.
@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    gc.freeze()
    return report
