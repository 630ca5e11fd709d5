"""``setup``: the set-up command (issue 24). Entry point :func:`main`; the orchestration core is
:mod:`slipway.setup.steps`, the steps :mod:`slipway.setup.plan`, and AWS, Pulumi and GitHub sit
behind :mod:`slipway.setup.aws`, :mod:`slipway.setup.engine` and :mod:`slipway.setup.github`."""

from slipway.setup.cli import main

__all__ = ["main"]
