"""Small builders shared by the workflow modules: pinned steps, permissions, expressions."""

from __future__ import annotations

from typing import Any

from slipway.contract import EnvironmentSecret, EnvironmentVariable
from slipway.workflows import pins
from slipway.workflows.yamlio import Commented

Job = dict[str, Any]
Step = dict[str, Any]

RUNNER = "ubuntu-24.04"
"""Runner for every job that has no reason to run elsewhere (arm64 builds use the arm runner)."""

PERMISSION_REASONS: dict[tuple[str, str], str] = {
    ("contents", "read"): "check out the repository",
    ("contents", "write"): "version commits and tags, GitHub Releases, release branches",
    ("pull-requests", "write"): "open and update the version pull request",
    ("id-token", "write"): "request a GitHub OIDC token",
    ("packages", "write"): "write to GHCR",
    ("packages", "read"): "read images from GHCR",
    ("attestations", "write"): "store the image attestation",
    ("security-events", "write"): "upload the Trivy SARIF report to code scanning",
    ("actions", "read"): "let code scanning read the run of a private repository",
}


def permissions(*grants: tuple[str, str], reasons: dict[str, str] | None = None) -> dict[str, str]:
    """A job ``permissions`` mapping; each grant carries a comment saying why it is needed."""
    out: dict[str, str] = {}
    for scope, level in grants:
        reason = (reasons or {}).get(scope) or PERMISSION_REASONS[(scope, level)]
        out[scope] = Commented(level, reason)
    return out


def uses(pin: pins.ActionPin, name: str, with_: dict[str, Any] | None = None, **extra: Any) -> Step:
    """A step running ``pin`` (``uses: owner/repo@sha  # vX.Y.Z``)."""
    step: Step = {"name": name}
    if "id" in extra:
        step["id"] = extra.pop("id")
    if "if_" in extra:
        step["if"] = extra.pop("if_")
    step["uses"] = Commented(pin.uses, pin.tag)
    if with_:
        step["with"] = with_
    step.update(extra)
    return step


def run(name: str, script: str, env: dict[str, str] | None = None, **extra: Any) -> Step:
    """A bash step: inputs reach ``script`` only through ``env``."""
    if "${{" in script:
        raise ValueError(f"step {name!r}: expressions are not allowed inside run:")
    step: Step = {"name": name}
    if "id" in extra:
        step["id"] = extra.pop("id")
    if "if_" in extra:
        step["if"] = extra.pop("if_")
    if env:
        step["env"] = env
    step["shell"] = "bash"
    step["run"] = script
    step.update(extra)
    return step


def checkout(*, fetch_depth: int | None = None, sparse: str | None = None) -> Step:
    """actions/checkout without persisted credentials: no generated job pushes with git
    (changesets/action and the release-branch step authenticate on their own). ``sparse``:
    check out only this directory (and the files at the repository's root)."""
    with_: dict[str, Any] = {"persist-credentials": False}
    if fetch_depth is not None:
        with_["fetch-depth"] = fetch_depth
    if sparse is not None:
        with_["sparse-checkout"] = sparse
    return uses(pins.CHECKOUT, f"Check out {sparse}" if sparse else "Check out", with_)


def var(name: EnvironmentVariable) -> str:
    """The expression reading one environment variable a stack writes."""
    return f"${{{{ vars.{name.value} }}}}"


def secret(name: EnvironmentSecret | str) -> str:
    """The expression reading one secret."""
    value = name.value if isinstance(name, EnvironmentSecret) else name
    return f"${{{{ secrets.{value} }}}}"


def expr(body: str) -> str:
    """Wrap ``body`` as a ``${{ }}`` expression."""
    return f"${{{{ {body} }}}}"


def aws_credentials(session_name: str) -> Step:
    """configure-aws-credentials through OIDC with the job environment's role and account."""
    return uses(
        pins.CONFIGURE_AWS,
        "Configure AWS credentials (OIDC)",
        {
            "role-to-assume": var(EnvironmentVariable.AWS_DEPLOY_ROLE_ARN),
            "role-session-name": session_name,
            "aws-region": var(EnvironmentVariable.AWS_REGION),
            "allowed-account-ids": var(EnvironmentVariable.AWS_ACCOUNT_ID),
        },
    )


def ghcr_login() -> Step:
    """docker/login-action to GHCR with the job's own token."""
    return uses(
        pins.DOCKER_LOGIN,
        "Log in to GHCR",
        {"registry": "ghcr.io", "username": expr("github.actor"), "password": expr("github.token")},
    )
