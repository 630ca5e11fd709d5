"""Offline plan: run the real program for each stack under mocks and show what it would create.

    python -m infra.plan                    # dev, staging and prod
    python -m infra.plan --stack prod       # one stack
    python -m infra.plan --json             # machine-readable
    python -m infra.plan --out plan-out     # also write the generated files for review

No cloud account and no Pulumi CLI are needed, so a pull request from a fork can run it. For
each stack it prints the resource tree with the properties a reviewer cares about and the
options that keep data safe, the stack outputs, and the program's warnings; then what differs
between the stacks. Bad settings stop it with the same message ``pulumi up`` would give.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from components.errors import ConfigError
from infra.offline import STACKS, RecordedResource, Recording, run_stack, stack_settings
from policy.rules import ResourceView, evaluate

HIDDEN_INPUTS = frozenset({"tags", "tagsAll", "__defaults"})
MAX_VALUE = 96


def _json_document(value: str) -> Any:
    if not value.startswith("{"):
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def summarize(value: Any) -> str:
    """One line for a property: policies by their statements, lifecycles by their rules."""
    if isinstance(value, str):
        document = _json_document(value)
        if isinstance(document, dict) and "Statement" in document:
            parts = []
            for statement in document["Statement"]:
                actions = statement.get("Action", [])
                count = 1 if isinstance(actions, str) else len(actions)
                noun = "action" if count == 1 else "actions"
                parts.append(
                    f"{statement.get('Effect')} {statement.get('Sid', '?')} ({count} {noun})"
                )
            return "; ".join(parts)
        if isinstance(document, dict) and "rules" in document:
            return "; ".join(r.get("description", "?") for r in document["rules"])
        text = value
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def properties(resource: RecordedResource) -> dict[str, str]:
    """The reviewer's view of a resource: its inputs (summarised) and its safety options."""
    shown = {
        name: ("[secret]" if name in resource.secret_inputs else summarize(value))
        for name, value in sorted(resource.inputs.items())
        if name not in HIDDEN_INPUTS and value not in (None, [], {})
    }
    if resource.protect:
        shown["(protect)"] = "true"
    if resource.retain_on_delete:
        shown["(retainOnDelete)"] = "true"
    if resource.ignore_changes:
        shown["(ignoreChanges)"] = ",".join(resource.ignore_changes)
    return shown


def _children(recording: Recording) -> dict[str, list[RecordedResource]]:
    tree: dict[str, list[RecordedResource]] = {}
    for resource in recording.resources:
        parent = resource.parent if resource.parent_type != "pulumi:pulumi:Stack" else ""
        tree.setdefault(parent, []).append(resource)
    return tree


def render_tree(recording: Recording) -> list[str]:
    """The resource tree, components first, one resource per line with its properties below."""
    tree = _children(recording)
    lines: list[str] = []

    def walk(parent: str, indent: str) -> None:
        items = tree.get(parent, [])
        for index, resource in enumerate(items):
            last = index == len(items) - 1
            lines.append(f"{indent}{'└─ ' if last else '├─ '}{resource.type}  {resource.name}")
            inner = indent + ("   " if last else "│  ")
            if resource.custom:
                for name, value in properties(resource).items():
                    lines.append(f"{inner}    {name}: {value}")
            walk(resource.urn, inner)

    walk("", "")
    return lines


def _normalise(value: str, recording: Recording) -> str:
    environment = str(recording.outputs.get("environment", recording.stack))
    return value.replace(environment, "<env>")


def differences(recordings: Sequence[Recording]) -> list[str]:
    """What differs between stacks: resources one has and another lacks, and property values."""
    if len(recordings) < 2:
        return []
    views: list[dict[tuple[str, str], dict[str, str]]] = []
    for recording in recordings:
        views.append(
            {
                (r.type, r.name): {k: _normalise(v, recording) for k, v in properties(r).items()}
                for r in recording.resources
            }
        )
    keys = sorted({k for view in views for k in view})
    names = [r.stack for r in recordings]
    lines: list[str] = []
    for resource_key in keys:
        present = [n for n, view in zip(names, views, strict=True) if resource_key in view]
        label = f"{resource_key[0]}  {resource_key[1]}"
        if len(present) != len(names):
            lines.append(f"{label}: only in {', '.join(present)}")
            continue
        props = sorted({p for view in views for p in view[resource_key]})
        for prop in props:
            values = [view[resource_key].get(prop, "—") for view in views]
            if len(set(values)) > 1:
                shown = "  ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
                lines.append(f"{label}  {prop}: {shown}")
    return lines


def policy_violations(recording: Recording) -> list[str]:
    """The policy pack's verdict on the recorded resources (policy/rules.py)."""
    return evaluate(
        [
            ResourceView.of(r.type, r.name, r.inputs, r.protect, r.retain_on_delete)
            for r in recording.resources
            if r.custom
        ]
    )


def render_text(recordings: Sequence[Recording]) -> str:
    """The human-readable plan."""
    out: list[str] = []
    for recording in recordings:
        custom = sum(1 for r in recording.resources if r.custom)
        out.append(
            f"=== stack {recording.stack}: {custom} resources "
            f"in {len(recording.resources) - custom} components"
        )
        out.extend(render_tree(recording))
        out.append("outputs:")
        for name, value in recording.outputs.items():
            shown = "[secret]" if name in recording.secret_outputs else summarize(value)
            out.append(f"    {name}: {shown}")
        for warning in recording.warnings:
            out.append(f"warning: {warning}")
        violations = policy_violations(recording)
        out.append(f"policy: {len(violations)} violations" if violations else "policy: passed")
        out.extend(f"    {v}" for v in violations)
        out.append("")
    diff = differences(recordings)
    if diff:
        out.append("=== differences between " + ", ".join(r.stack for r in recordings))
        out.extend(f"    {line}" for line in diff)
    return "\n".join(out) + "\n"


def to_json(recordings: Sequence[Recording]) -> dict[str, Any]:
    """The machine-readable plan."""
    return {
        "stacks": {
            r.stack: {
                "resources": [
                    {
                        "type": res.type,
                        "name": res.name,
                        "parent": res.parent_name,
                        "custom": res.custom,
                        "properties": properties(res),
                    }
                    for res in r.resources
                ],
                "outputs": {
                    k: ("[secret]" if k in r.secret_outputs else v) for k, v in r.outputs.items()
                },
                "warnings": r.warnings,
                "policyViolations": policy_violations(r),
            }
            for r in recordings
        },
        "differences": differences(recordings),
    }


def generated_files(recording: Recording) -> dict[str, str]:
    """Files the stack delivers into the application repository (path to content), rendered
    by the same function the stack's WorkflowSet uses."""
    from infra.stack import generated_files as render

    return render(stack_settings(recording.stack))


def write_out(directory: Path, recordings: Iterable[Recording]) -> list[Path]:
    """Write each stack's plan and generated files under ``directory/<stack>/``."""
    written = []
    for recording in recordings:
        base = directory / recording.stack
        base.mkdir(parents=True, exist_ok=True)
        plan = base / "plan.json"
        plan.write_text(json.dumps(to_json([recording]), indent=2, sort_keys=True) + "\n")
        written.append(plan)
        for relative, content in sorted(generated_files(recording).items()):
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.plan", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--stack",
        action="append",
        choices=STACKS,
        help="a Pulumi.<name>.yaml beside Pulumi.yaml; repeatable; default: every one",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--out", type=Path, help="write each stack's plan and generated files here")
    args = parser.parse_args(argv)
    recordings = []
    refused = False
    # Every stack is planned, so that every stack's problems are reported in one round.
    for stack in args.stack or STACKS:
        try:
            recordings.append(run_stack(stack))
        except ConfigError as error:
            print(f"stack {stack}: invalid settings\n{error}", file=sys.stderr)
            refused = True
    if refused:
        return 2
    if args.json:
        print(json.dumps(to_json(recordings), indent=2, sort_keys=True))
    else:
        print(render_text(recordings), end="")
    if args.out:
        for path in write_out(args.out, recordings):
            print(f"wrote {path}", file=sys.stderr)
    if any(policy_violations(r) for r in recordings):
        print("policy violations: see above", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
