"""``setup``: from AWS credentials and a GitHub login to the first prod deploy.

Exit codes: 0 done (or, with ``--dry-run``, planned), 1 a step failed (run again: it continues),
2 bad usage or bad answers (nothing was created).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from slipway.setup.answers import Answers, collect, load_file
from slipway.setup.aws import AwsAccount
from slipway.setup.engine import AutomationEngine, Engine
from slipway.setup.github import (
    BrowserManifestFlow,
    GitHub,
    ManifestFlow,
    Transport,
    UrllibTransport,
)
from slipway.setup.plan import Context, build, preflight, summary
from slipway.setup.steps import SetupError, run

EXAMPLES = """examples:
  setup --answers setup.yaml                 # everything from a file (CI, repeat runs)
  setup --repository acme/shop --domain shop.acme.io --alert-email ops@acme.io \\
        --reviewers alice,bob --dry-run      # the plan only
"""


@dataclass
class Dependencies:
    """What the command talks to; the tests pass stand-ins."""

    aws: Callable[[str | None], AwsAccount]
    engine: Callable[[str], Engine]
    """The Pulumi engine, given the GitHub login's token (for the provider's environment)."""
    transport: Transport
    token: Callable[[], str]
    manifest_flow: Callable[[TextIO], ManifestFlow]
    stdin: TextIO
    out: TextIO
    interactive: Callable[[], bool]
    sleep: Callable[[float], None] | None = None


def _gh_token() -> str:
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if token:
        return token
    try:
        found = subprocess.run(["gh", "auth", "token"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SetupError("no GitHub login: run `gh auth login` (or set GH_TOKEN)") from error
    return found.stdout.strip()


def default_dependencies() -> Dependencies:
    return Dependencies(
        aws=lambda region: AwsAccount(region),
        engine=lambda token: AutomationEngine({"GITHUB_TOKEN": token}),
        transport=UrllibTransport(),
        token=_gh_token,
        manifest_flow=lambda out: BrowserManifestFlow(lambda line: print(line, file=out)),
        stdin=sys.stdin,
        out=sys.stdout,
        interactive=lambda: sys.stdin.isatty(),
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="setup",
        description="Set up Slipway from an empty AWS account: state backend, stacks, release "
        "app, first deploy. Safe to run again: it continues where it stopped.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--answers",
        type=Path,
        help="YAML file with the answers (keys: repository, domain, alertEmail, reviewers, "
        "appSecrets, bootstrapImage, infraRepository); default: none",
    )
    p.add_argument(
        "--repository", help="application repository owner/name, e.g. acme/shop (required)"
    )
    p.add_argument("--domain", help="domain prod serves, e.g. shop.acme.io")
    p.add_argument("--alert-email", dest="alertEmail", help="alert address, e.g. ops@acme.io")
    p.add_argument(
        "--reviewers", help="prod reviewers, comma-separated GitHub logins, e.g. alice,bob"
    )
    p.add_argument(
        "--bootstrap-image",
        dest="bootstrapImage",
        help="optional: image pinned by digest that new environments run until CI "
        "deploys (default: none; docs/deployment-guide.md step 8)",
    )
    p.add_argument(
        "--infra-repository",
        dest="infraRepository",
        help="this infrastructure repository, owner/name (default: from the checkout's "
        "origin remote)",
    )
    p.add_argument("--region", help="AWS region (default: from your AWS configuration)")
    p.add_argument(
        "--project-dir",
        type=Path,
        default=Path.cwd(),
        help="the Slipway infrastructure checkout (default: the current directory)",
    )
    p.add_argument(
        "--bootstrap-state",
        default=None,
        help="local backend bootstrap starts in (default: ~/.slipway/bootstrap-state)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the plan and stop (default: off)")
    return p


def main(argv: list[str] | None = None, deps: Dependencies | None = None) -> int:
    deps = deps or default_dependencies()
    out = deps.out
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        file = load_file(args.answers) if args.answers else {}
        flags = {
            "repository": args.repository,
            "domain": args.domain,
            "alertEmail": args.alertEmail,
            "reviewers": args.reviewers,
            "bootstrapImage": args.bootstrapImage,
            "infraRepository": args.infraRepository,
        }

        def ask(prompt: str) -> str:
            out.write(prompt)
            out.flush()
            return deps.stdin.readline()

        answers: Answers = collect(flags, file, interactive=deps.interactive(), ask=ask)
    except SetupError as error:
        out.write(f"error: {error}\n")
        return 2
    bootstrap_state = args.bootstrap_state or (
        "file://" + str(Path.home() / ".slipway" / "bootstrap-state")
    )
    local = bootstrap_state.removeprefix("file://")
    passphrase = (
        Path(local + ".passphrase")
        if bootstrap_state.startswith("file://")
        else Path.home() / ".slipway" / "bootstrap-state.passphrase"
    )
    try:
        token = deps.token()
        ctx = Context(
            answers=answers,
            aws=deps.aws(args.region),
            engine=deps.engine(token),
            github=GitHub(deps.transport, token),
            manifest_flow=deps.manifest_flow(out),
            out=out,
            project_dir=args.project_dir,
            bootstrap_backend=bootstrap_state,
            bootstrap_passphrase=passphrase,
            sleep=deps.sleep,
        )
        facts = preflight(ctx)
    except SetupError as error:
        out.write(f"error: {error}\n")
        return 2
    out.write(
        f"AWS account {facts.account}, region {facts.region}; hosted zone {facts.hosted_zone_id}; "
        f"OIDC subjects: {facts.subject_format}\n"
    )
    outcome = run(build(ctx, facts), out, dry_run=args.dry_run)
    if outcome.skipped:
        out.write(f"Skipped (already done): {', '.join(outcome.skipped)}\n")
    if outcome.failed:
        out.write(
            f"error: step {outcome.failed} failed: {outcome.error}\n"
            "Fix the cause and run the same command again; it continues from this step:\n"
            f"  setup {shlex.join(sys.argv[1:] if argv is None else argv)}\n"
        )
        return 1
    if args.dry_run:
        out.write("Dry run: nothing was changed.\n")
        return 0
    out.write("Done. Now:\n")
    for line in summary(ctx, facts):
        out.write(f"  {line}\n")
    return 0
