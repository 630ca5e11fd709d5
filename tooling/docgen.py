"""Render the files that are derived from the settings model.

* the ``config:`` block of ``Pulumi.yaml``, so the Pulumi CLI type-checks every setting;
* ``docs/configuration.md``, the configuration reference;
* the profiles' section of ``docs/deployment-strategies.md``: each profile's strategy, its
  time to full traffic and a picture of traffic over time, from the compute domain's profile
  table through the same functions the stacks and ``make plan`` use;
* the first-up model's table in ``docs/deployment-guide.md`` (:mod:`tooling.first_up`).

``python -m tooling.docgen --write`` (``make docs``) rewrites both; ``--check`` exits 1 when a
committed copy differs from what the code renders (the test suite does the same).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic_core import PydanticUndefined

from infra.common import ProfileTable
from infra.domains.compute import PROFILES as COMPUTE_PROFILES
from infra.settings import (
    AWS_CREDENTIAL_KEYS,
    DOMAINS,
    NAMESPACE,
    PROVIDER_SECRET_KEYS,
    REMOVED_SETTINGS,
    SECRET_SETTINGS,
    all_fields,
    domain_of,
    pulumi_type,
)
from slipway.deployment_strategy import (
    DeploymentStrategy,
    Timeline,
    deployment_strategy,
    describe,
)

ROOT = Path(__file__).resolve().parent.parent
PULUMI_YAML = ROOT / "Pulumi.yaml"
CONFIGURATION_MD = ROOT / "docs" / "configuration.md"
CONFIG_MARKER = "# --- settings: rendered from infra/domains/ by `make docs`; do not edit below ---"
STRATEGIES_MD = ROOT / "docs" / "deployment-strategies.md"
STRATEGIES_BEGIN = "<!-- profiles: rendered from infra/domains/compute.py by `make docs` -->"
STRATEGIES_END = "<!-- end of the rendered profiles -->"
GUIDE_MD = ROOT / "docs" / "deployment-guide.md"
FIRST_UP_BEGIN = "<!-- first-up model: rendered from tooling/first_up.py by `make docs` -->"
FIRST_UP_END = "<!-- end of the first-up model -->"

PROJECT_HEADER = """\
name: slipway
description: >-
  Slipway: an application's delivery platform on AWS and GitHub (ECR, ECS on Fargate, secrets,
  monitoring, backups, GitHub OIDC, deployment environments and workflows), one stack per
  environment.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
main: infra/
"""


def _default(name: str) -> Any:
    info = all_fields()[name]
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    default = None if info.default is PydanticUndefined else info.default
    return default.value if isinstance(default, Enum) else default


def config_block() -> dict[str, Any]:
    """Declarations of every project setting, as Pulumi.yaml's ``config:`` block holds them."""
    block: dict[str, Any] = {}
    for name, info in all_fields().items():
        kind = pulumi_type(info)
        declaration: dict[str, Any] = {"type": kind}
        if kind == "array":
            declaration["items"] = {"type": "string"}
        declaration["description"] = info.description or ""
        default = _default(name)
        if default is not None:
            declaration["default"] = default
        block[info.alias or name] = declaration
    for secret in SECRET_SETTINGS:
        block[secret.key] = {"type": "string", "description": secret.description, "secret": True}
    return block


def render_pulumi_yaml() -> str:
    """The whole of Pulumi.yaml."""
    body = yaml.safe_dump({"config": config_block()}, sort_keys=False, width=100)
    return f"{PROJECT_HEADER}\n{CONFIG_MARKER}\n{body}"


def _cell(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`" if value else "`[]`"
    return f"`{value}`"


def _decision_cell(value: Any) -> str:
    """A profile decision as the docs show it: a preset by its rules, a dataclass by its
    fields."""
    if isinstance(value, tuple) and value and is_dataclass(value[0]):
        return "; ".join(_decision_cell(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        parts = [f"{f.name} {getattr(value, f.name)}" for f in fields(value)]
        return ", ".join(p for p in parts if not p.endswith(" None"))
    return _cell(value)


def profile_decisions() -> list[str]:
    """docs/configuration.md's "What each profile decides": every domain's profile table,
    the 'by profile' settings' defaults and the decisions that are not settings."""
    lines = [
        "",
        "## What each profile decides",
        "",
        "Each domain keeps one table of what the profile decides (`infra/domains/*.py`,",
        "`PROFILES`); a 'by profile' setting above takes its default from it when unset. A stack",
        "of any name picks its profile with `slipway:profile`.",
    ]
    for domain in DOMAINS:
        table = domain.PROFILES
        if not isinstance(table, ProfileTable):
            continue
        module = domain.__module__.rsplit(".", 1)[-1]
        lines += [
            "",
            f"### {module}",
            "",
            "| decision | what it decides | dev | staging | prod |",
            "| --- | --- | --- | --- | --- |",
        ]
        for field_name, doc, values in table.rows():
            cells = " | ".join(_decision_cell(v).replace("|", "\\|") for v in values)
            lines.append(f"| `{field_name}` | {doc} | {cells} |")
    return lines


def render_configuration_md() -> str:
    """docs/configuration.md: one row per setting, in model order."""
    lines = [
        "<!-- Generated from infra/domains/ by `make docs`; a test fails when it is stale. -->",
        "# Configuration reference",
        "",
        "Every setting is a key in the `slipway` namespace of a stack's `Pulumi.<stack>.yaml`,",
        "set with `pulumi config set <key> <value>` (lists: `pulumi config set --path",
        "'<key>[0]' <value>`). A bad value stops the program before anything is created, with a",
        "message that names the key, the value and what is allowed; so does a key that is not",
        "listed here.",
        "",
        "| key | type | default | description |",
        "| --- | --- | --- | --- |",
    ]
    for name, info in all_fields().items():
        config_key = f"`{NAMESPACE}:{info.alias or name}`"
        domain = domain_of(name)
        if info.is_required():
            default = "**required**"
        elif domain.profile_decides(name) and domain.PROFILES is not None:
            values = [getattr(row, name) for row in domain.PROFILES.all()]
            default = "by profile: " + ", ".join(
                f"{profile} {_cell(value)}"
                for profile, value in zip(("dev", "staging", "prod"), values, strict=True)
            )
        else:
            default = _cell(_default(name))
        description = (info.description or "").replace("|", "\\|")
        lines.append(f"| {config_key} | {pulumi_type(info)} | {default} | {description} |")
    lines += profile_decisions()
    lines += [
        "",
        "## Secret settings",
        "",
        "Set these only with `pulumi config set --secret <key> <value>`. A secret setting found in",
        "plain text stops the program; the value reaches resources only as a secret Output.",
        "",
        "| key | description |",
        "| --- | --- |",
    ]
    for secret in SECRET_SETTINGS:
        lines.append(f"| `{NAMESPACE}:{secret.key}` | {secret.description} |")
    lines.append(
        f"| `{NAMESPACE}:secret<Name>` | The value of the application secret `<NAME>` listed in "
        "`appSecrets`, e.g. `secretDatabaseUrl` for `DATABASE_URL`. Optional: without it the "
        "secret is created empty and filled outside Pulumi (docs/secrets.md). |"
    )
    lines += [
        "",
        "## Provider settings",
        "",
        "| key | description |",
        "| --- | --- |",
        "| `aws:region` | Region of the stack's AWS resources (required): a region code from "
        "the AWS provider's own list (`pulumi_aws.Region`), such as `eu-west-1`. |",
        "| `aws:allowedAccountIds` | The AWS accounts the stack may touch, as quoted 12-digit "
        'IDs (`["111122223333"]`): the provider refuses credentials of any other account, '
        "the certificate must belong to it, and the cross-stack checks know which stacks share "
        "an account. Without it, a stack may share an account with any other, so `make plan` "
        "refuses two owners of an account-wide resource among such stacks. Set it in every "
        "stack file. `aws:forbiddenAccountIds` takes the same form. |",
        "| any other namespace | Refused: a key outside `slipway:`, `aws:`, `github:`, `docker:` "
        "and `pulumi:` reaches no one. A key without a namespace is the project's "
        "(`logRetentionDays` is `slipway:logRetentionDays`), as the Pulumi CLI reads it. |",
        "| "
        + ", ".join(f"`{k}`" for k in AWS_CREDENTIAL_KEYS)
        + " | Refused, even with `--secret`: the provider finds AWS credentials in the "
        "environment (`aws sso login` or `AWS_PROFILE` on your machine, the OIDC role in the "
        "pipeline); see docs/secrets.md. |",
        "| "
        + ", ".join(f"`{k}`" for k in PROVIDER_SECRET_KEYS)
        + " | Not needed: the infra pipeline mints a GitHub App installation token per job "
        '(docs/deployment-guide.md, "The infra pipeline\'s GitHub credential"); on your '
        "machine export `GITHUB_TOKEN`. Accepted only with `pulumi config set --secret`. |",
        "| other `aws:*` keys (`aws:allowedAccountIds`, `aws:profile`, `aws:assumeRoles`, "
        "`aws:defaultTags`…) | Passed to the AWS provider as they are, and they hold in every "
        "region the stack uses: what it makes in `backupCopyRegion` (the backup copy, the "
        "registry's and the secrets' replicas) goes through the same provider, with "
        "pulumi-aws 7's per-resource `region`. |",
        "",
        "## How stack files are read",
        "",
        "`make plan` reads each `Pulumi.<stack>.yaml` as the Pulumi CLI does, and refuses what the "
        "CLI would refuse or silently lose, naming the file, the key and its lines:",
        "",
        "- **A key set twice** in one mapping: the CLI's YAML decoder (gopkg.in/yaml.v3) refuses "
        "the file (`mapping key … already defined at line …`); so does `make plan`. One key in "
        "both spellings (`logRetentionDays` and `slipway:logRetentionDays`) is refused too: the "
        "CLI would keep either.",
        "- **A key without a namespace** is the project's: the CLI passes `logRetentionDays` as "
        "`slipway:logRetentionDays`, and it is checked like any setting.",
        "- **A top-level key** other than `config`, `environment`, `secretsprovider`, "
        "`encryptedkey` and `encryptionsalt` (say `configs:`): the CLI ignores it and every "
        "setting under it.",
        "",
        "Checks that need every stack file (one repository owner, distinct environments and "
        "domain names, one owner of each account-wide resource per account, deploy timeouts long "
        "enough for every stack's strategy) run in `make plan` and the infrastructure pipeline's "
        "checks. `pulumi up` runs, before registering anything, what its own stack can tell "
        "alone: the owner stack's `deployTimeoutMinutes` must hold its own strategy. The stack "
        "that owns the repository also reads, with the same loader, the plain `githubRepository`, "
        "`previews` and `previewLabel` of the other stack files, to deliver `preview.yml` when one "
        "of them turns previews on (docs/previews.md); never their state, outputs or secrets.",
        "",
        "## Removed settings",
        "",
        "A stack file that still sets one is refused, naming the key, its value and what "
        "replaced it.",
        "",
        "| key | replaced by |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {why} |" for name, why in REMOVED_SETTINGS.items()]
    lines.append("")
    return "\n".join(lines)


def profile_strategies() -> dict[str, DeploymentStrategy]:
    """Each profile's deployment strategy, as a stack of that profile without strategy
    settings gets it (``ComputeSettings.strategy``)."""
    return {
        profile: deployment_strategy(
            decided.deployment_strategy,
            canary_percent=decided.canary_percent,
            linear_step_percent=decided.linear_step_percent,
            step_interval_minutes=decided.step_interval_minutes,
            bake_time_minutes=decided.bake_time_minutes,
        )
        for profile, decided in zip(("dev", "staging", "prod"), COMPUTE_PROFILES.all(), strict=True)
    }


def traffic_at(timeline: Timeline, minute: int) -> float:
    """Production traffic (%) on the new revision ``minute`` minutes after it first had
    some: the last step at or before that minute."""
    return [step.percent for step in timeline.steps if step.minute <= minute][-1]


def traffic_chart(profile: str, strategy: DeploymentStrategy) -> list[str]:
    """A Mermaid line chart of production traffic on the new revision, minute by minute from
    its first traffic to the end of the bake."""
    timeline = strategy.timeline()
    last = max(timeline.complete_minutes, 1)
    minutes = list(range(last + 1))
    values = [_number(traffic_at(timeline, m)) for m in minutes]
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{profile}: {strategy.kind.value}"',
        f'    x-axis "minutes" [{", ".join(map(str, minutes))}]',
        '    y-axis "% of production traffic on the new revision" 0 --> 100',
        f"    line [{', '.join(values)}]",
        "```",
    ]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def render_strategies_block() -> list[str]:
    """The profiles' section of docs/deployment-strategies.md."""
    lines = [STRATEGIES_BEGIN, ""]
    for profile, strategy in profile_strategies().items():
        timeline = strategy.timeline()
        lines += [f"### {profile}", "", describe(strategy) + ".", ""]
        lines += traffic_chart(profile, strategy)
        lines += [
            "",
            "| minute | production traffic on the new revision |",
            "| --- | --- |",
        ]
        lines += [f"| {step.minute} | {_number(step.percent)} % |" for step in timeline.steps]
        if timeline.bake_minutes:
            lines.append(
                f"| {timeline.full_traffic_minutes} to {timeline.complete_minutes} | 100 %, "
                "the old revision still running (bake): an alarm still rolls back |"
            )
        lines.append("")
    lines.append(STRATEGIES_END)
    return lines


def render_strategies_md() -> str:
    """docs/deployment-strategies.md with its profiles' section rendered again."""
    text = STRATEGIES_MD.read_text()
    begin, end = text.index(STRATEGIES_BEGIN), text.index(STRATEGIES_END) + len(STRATEGIES_END)
    return text[:begin] + "\n".join(render_strategies_block()) + text[end:]


def render_guide_md() -> str:
    """docs/deployment-guide.md with the first-up model's table rendered again."""
    from tooling.first_up import markdown_table  # the offline runtime: only when rendering

    text = GUIDE_MD.read_text()
    begin, end = text.index(FIRST_UP_BEGIN), text.index(FIRST_UP_END) + len(FIRST_UP_END)
    return text[:begin] + f"{FIRST_UP_BEGIN}\n{markdown_table()}{FIRST_UP_END}" + text[end:]


def rendered() -> dict[Path, str]:
    """Every derived file and its expected content."""
    return {
        PULUMI_YAML: render_pulumi_yaml(),
        CONFIGURATION_MD: render_configuration_md(),
        STRATEGIES_MD: render_strategies_md(),
        GUIDE_MD: render_guide_md(),
    }


def stale() -> list[Path]:
    """Derived files whose committed content differs from the rendering."""
    return [
        path
        for path, content in rendered().items()
        if not path.exists() or path.read_text() != content
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write`` or ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m tooling.docgen", description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the derived files")
    mode.add_argument("--check", action="store_true", help="exit 1 if a derived file is stale")
    args = parser.parse_args(argv)
    if args.write:
        for path, content in rendered().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    outdated = stale()
    for path in outdated:
        print(f"stale: {path.relative_to(ROOT)} (run `make docs`)", file=sys.stderr)
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())
