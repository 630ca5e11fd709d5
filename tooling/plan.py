"""Offline plan: run the real program for each stack under mocks and show what it would create.

    python -m tooling.plan                    # every Pulumi.<name>.yaml (dev, staging, prod)
    python -m tooling.plan --stack prod       # one stack, checked against every stack file
    python -m tooling.plan --json             # machine-readable
    python -m tooling.plan --out plan-out     # also write the generated files for review
    python -m tooling.plan --root DIR         # the stack files of another project directory

No cloud account and no Pulumi CLI are needed, so a pull request from a fork can run it. For
each stack it prints the resource tree with the properties a reviewer cares about and the
options that keep data safe, the stack outputs, and the program's warnings; then what differs
between the stacks. Bad settings stop it with the same message ``pulumi up`` would give, and so
does a problem across the stack files (:mod:`tooling.cross_stack`), which are all read even when
``--stack`` plans one.

Made to be diffed: two runs print the same bytes. Resources come in one order (the tree, each
parent's children by type, then name), not in the order registrations happened to arrive;
warnings are sorted. The text view shows a policy one statement a line, shortens other long
values, and marks a resource created in another region than the stack's (the DR region's
vault and key) with that region. ``--json`` has the same content in the same order with every
value whole (JSON documents parsed). The differences compare values after the environment
name and Pulumi's auto-name suffixes are normalised, down to the part of a document that
differs.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from policy.rules import ResourceView, evaluate
from slipway.deployment_strategy import DeploymentStrategy, describe, strategy_of
from slipway.errors import ConfigError
from tooling.cross_stack import project_report
from tooling.offline import (
    ROOT,
    RecordedResource,
    Recording,
    discover_stacks,
    run_stack,
    stack_settings,
)

HIDDEN_INPUTS = frozenset({"tags", "tagsAll", "__defaults"})
MAX_VALUE = 96
"""The text view shortens a one-line value to this many characters; ``--json`` never does."""
POLICY_KEY = "Statement"
"""A JSON document with this key is an IAM or resource policy: shown one statement a line."""


def _json_document(value: str) -> Any:
    if not value.startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def whole(value: Any) -> Any:
    """A property value as plain data, nothing cut: one-line JSON documents held in strings
    (policies, container definitions) parsed, and integers that the engine sends as floats
    made integers again, so that ``--json`` lays every document out line by line."""
    if isinstance(value, str):
        # A file's content (multi-line: a generated package.json) stays byte for byte.
        document = None if "\n" in value else _json_document(value)
        return value if document is None else whole(document)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole(v) for v in value]
    return value


def _listed(value: Any) -> str:
    items = [value] if isinstance(value, str) else list(value or [])
    return ", ".join(str(i) for i in items) if items else "—"


def statement_line(statement: dict[str, Any]) -> str:
    """One policy statement on one line: effect, Sid, principal, actions, resources and the
    condition keys (operator, key and the values compared)."""
    parts = [str(statement.get("Effect", "?"))]
    if statement.get("Sid"):
        parts.append(f"[{statement['Sid']}]")
    for key in ("Principal", "NotPrincipal"):
        if key in statement:
            principal = statement[key]
            shown = (
                "; ".join(f"{k} {_listed(v)}" for k, v in sorted(principal.items()))
                if isinstance(principal, dict)
                else str(principal)
            )
            parts.append(f"{'principal' if key == 'Principal' else 'not principal'} {shown}")
    for key, word in (("Action", "actions"), ("NotAction", "not actions")):
        if key in statement:
            parts.append(f"{word} {_listed(statement[key])}")
    for key, word in (("Resource", "on"), ("NotResource", "not on")):
        if key in statement:
            parts.append(f"{word} {_listed(statement[key])}")
    conditions = statement.get("Condition") or {}
    if conditions:
        tests = [
            f"{operator} {key}={_listed(expected)}"
            for operator, keys in sorted(conditions.items())
            for key, expected in sorted(keys.items())
        ]
        parts.append("if " + " and ".join(tests))
    return " ".join(parts)


def render_value(value: Any) -> list[str]:
    """A property for the text view: a policy as one line per statement (see
    :func:`statement_line`); a lifecycle policy as its rules; anything else on one line,
    shortened to :data:`MAX_VALUE` characters."""
    if isinstance(value, str):
        document = _json_document(value)
        if isinstance(document, dict) and POLICY_KEY in document:
            statements = document[POLICY_KEY]
            if isinstance(statements, dict):
                statements = [statements]
            return [statement_line(s) for s in statements]
        if isinstance(document, dict) and "rules" in document:
            return ["; ".join(r.get("description", "?") for r in document["rules"])]
        text = value
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = json.dumps(whole(value), sort_keys=True, separators=(",", ":"))
    return [text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"]


def summarize(value: Any) -> str:
    """A property on one line (the statements of a policy joined by ``; ``)."""
    return "; ".join(render_value(value))


def _provider_regions(recording: Recording) -> dict[str, str]:
    """Explicit AWS providers (URN to region): how the program reaches another region."""
    return {
        r.urn: str(r.inputs["region"])
        for r in recording.resources
        if r.type == "pulumi:providers:aws" and r.inputs.get("region")
    }


def region_of(resource: RecordedResource, recording: Recording) -> str:
    """The region a resource is created in when that is not the stack's own (``aws:region``):
    read from the explicit provider it was registered with, or its own ``region`` input;
    empty for the stack's region."""
    provider_urn = resource.provider.rsplit("::", 1)[0] if resource.provider else ""
    region = _provider_regions(recording).get(provider_urn, "")
    if not region and resource.type.startswith("aws:") and resource.custom:
        region = str(resource.inputs.get("region") or "")
    return region if region and region != recording.region else ""


def property_values(
    resource: RecordedResource, recording: Recording | None = None
) -> dict[str, Any]:
    """The reviewer's view of a resource, every value whole: its inputs (secrets hidden), the
    options that keep data safe, and the region when it is not the stack's."""
    shown: dict[str, Any] = {
        name: ("[secret]" if name in resource.secret_inputs else value)
        for name, value in sorted(resource.inputs.items())
        if name not in HIDDEN_INPUTS and value not in (None, [], {})
    }
    if resource.protect:
        shown["(protect)"] = True
    if resource.retain_on_delete:
        shown["(retainOnDelete)"] = True
    if resource.ignore_changes:
        shown["(ignoreChanges)"] = list(resource.ignore_changes)
    region = region_of(resource, recording) if recording is not None else ""
    if region:
        shown["(region)"] = region
    return shown


def properties(resource: RecordedResource, recording: Recording | None = None) -> dict[str, str]:
    """:func:`property_values`, each on one line (the text view's form)."""
    return {
        name: ",".join(value) if name == "(ignoreChanges)" else summarize(value)
        for name, value in property_values(resource, recording).items()
    }


def ordered(recording: Recording) -> list[tuple[int, RecordedResource]]:
    """Every resource with its depth, in one order whatever order the registrations arrived in
    (they follow the completion of asynchronous work): the tree walked depth first, each
    parent's children sorted by type, then name. Both views use it."""
    children: dict[str, list[RecordedResource]] = {}
    for resource in recording.resources:
        parent = resource.parent if resource.parent_type != "pulumi:pulumi:Stack" else ""
        children.setdefault(parent, []).append(resource)
    out: list[tuple[int, RecordedResource]] = []

    def walk(parent: str, depth: int) -> None:
        for resource in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            out.append((depth, resource))
            walk(resource.urn, depth + 1)

    walk("", 0)
    return out


def _is_policy(value: Any) -> bool:
    document = _json_document(value) if isinstance(value, str) else None
    return isinstance(document, dict) and POLICY_KEY in document


def _last_sibling(rows: list[tuple[int, RecordedResource]], index: int) -> bool:
    depth = rows[index][0]
    for later, _ in rows[index + 1 :]:
        if later <= depth:
            return later < depth
    return True


def properties_lines(resource: RecordedResource, recording: Recording) -> list[str]:
    """The text view of a resource's properties: ``name: value``, or for a policy ``name:``
    followed by one line per statement."""
    out: list[str] = []
    for name, value in properties(resource, recording).items():
        raw = resource.inputs.get(name)
        if name not in resource.secret_inputs and _is_policy(raw):
            out.append(f"{name}:")
            out.extend(f"    {line}" for line in render_value(raw))
        else:
            out.append(f"{name}: {value}")
    return out


def render_tree(recording: Recording) -> list[str]:
    """The resource tree in :func:`ordered` order, one resource per line with its properties
    below; a resource in another region than the stack's shows that region on its line."""
    rows = ordered(recording)
    lines: list[str] = []
    open_levels: list[bool] = []
    for index, (depth, resource) in enumerate(rows):
        last = _last_sibling(rows, index)
        del open_levels[depth:]
        indent = "".join("│  " if still_open else "   " for still_open in open_levels)
        region = region_of(resource, recording)
        where = f"  [{region}]" if region else ""
        lines.append(f"{indent}{'└─ ' if last else '├─ '}{resource.type}  {resource.name}{where}")
        open_levels.append(not last)
        if resource.custom:
            inner = indent + ("   " if last else "│  ")
            lines.extend(f"{inner}    {line}" for line in properties_lines(resource, recording))
    return lines


# --------------------------------------------------------------------------------------------
# Differences between stacks
# --------------------------------------------------------------------------------------------

_AUTO_SUFFIX = r"-[0-9a-f]{7}(?![0-9A-Za-z])"
"""What Pulumi's auto-naming appends to a logical name (random; the offline runtime derives
it from the stack): ``service-task-role-2c76dbd``."""


def normaliser(recording: Recording) -> Callable[[str], str]:
    """A function that makes a string comparable across stacks: the environment (and stack)
    name where it stands as a word of a name (``storefront-dev``, ``/ecs/storefront-dev``,
    ``storefront/dev``, but not ``devices``) becomes ``<env>``, and an auto-name
    (a logical name plus Pulumi's suffix) becomes ``<logical>-<auto>``."""
    environment = str(recording.outputs.get("environment") or recording.stack)
    words = sorted({environment, recording.stack}, key=len, reverse=True)
    env_pattern = re.compile(
        r"(?<![0-9A-Za-z])(?:" + "|".join(re.escape(w) for w in words) + r")(?![0-9A-Za-z])"
    )
    logical = sorted({r.name for r in recording.resources}, key=len, reverse=True)
    auto_pattern = (
        re.compile(
            r"(?<![0-9A-Za-z])(" + "|".join(re.escape(n) for n in logical) + ")" + _AUTO_SUFFIX
        )
        if logical
        else None
    )

    def normalise(text: str) -> str:
        if auto_pattern is not None:
            text = auto_pattern.sub(r"\1-<auto>", text)
        return env_pattern.sub("<env>", text)

    return normalise


def _normalised(value: Any, normalise: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return normalise(value)
    if isinstance(value, dict):
        return {k: _normalised(v, normalise) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v, normalise) for v in value]
    return value


def _compare(path: str, values: list[Any]) -> list[tuple[str, list[Any]]]:
    """Where ``values`` (one per stack) differ: inside documents that every stack has, down
    to the key or list item that differs; a part only some stacks have is one difference."""
    if all(v == values[0] for v in values[1:]):
        return []
    if all(isinstance(v, dict) for v in values):
        keys = sorted({k for v in values for k in v})
        return [
            found
            for key in keys
            for found in _compare(f"{path}.{key}", [v.get(key) for v in values])
        ]
    if all(isinstance(v, list) for v in values):
        longest = max(len(v) for v in values)
        return [
            found
            for index in range(longest)
            for found in _compare(
                f"{path}[{index}]", [v[index] if index < len(v) else None for v in values]
            )
        ]
    return [(path, values)]


def difference_records(recordings: Sequence[Recording]) -> list[dict[str, Any]]:
    """What differs between stacks once names are normalised (:func:`normaliser`): resources
    one stack has and another lacks, and each property value that differs, down to the part
    of a document (a policy statement, a container's variable) where it differs. Values are
    whole and normalised; ``None`` where a stack has none."""
    if len(recordings) < 2:
        return []
    names = [r.stack for r in recordings]
    views: list[dict[tuple[str, str], dict[str, Any]]] = []
    for recording in recordings:
        normalise = normaliser(recording)
        views.append(
            {
                (resource.type, normalise(resource.name)): {
                    prop: _normalised(whole(value), normalise)
                    for prop, value in property_values(resource, recording).items()
                }
                for resource in recording.resources
            }
        )
    found: list[dict[str, Any]] = []
    for key in sorted({k for view in views for k in view}):
        present = [n for n, view in zip(names, views, strict=True) if key in view]
        if len(present) != len(names):
            found.append({"type": key[0], "name": key[1], "onlyIn": present})
            continue
        for prop in sorted({p for view in views for p in view[key]}):
            for path, values in _compare(prop, [view[key].get(prop) for view in views]):
                found.append(
                    {
                        "type": key[0],
                        "name": key[1],
                        "property": path,
                        "values": dict(zip(names, values, strict=True)),
                    }
                )
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return summarize(value)


def differences(recordings: Sequence[Recording]) -> list[str]:
    """:func:`difference_records` as lines for the text view."""
    lines = []
    for found in difference_records(recordings):
        label = f"{found['type']}  {found['name']}"
        if "onlyIn" in found:
            lines.append(f"{label}: only in {', '.join(found['onlyIn'])}")
        else:
            shown = "  ".join(f"{n}={_shown(v)}" for n, v in found["values"].items())
            lines.append(f"{label}  {found['property']}: {shown}")
    return lines


def policy_violations(recording: Recording) -> list[str]:
    """The policy pack's verdict on the recorded resources (policy/rules.py)."""
    return evaluate(
        [
            ResourceView.of(r.type, r.name, r.inputs, r.protect, r.retain_on_delete)
            for _, r in ordered(recording)
            if r.custom
        ]
    )


SERVICE = "aws:ecs/service:Service"


def deployment_of(recording: Recording) -> DeploymentStrategy:
    """The deployment strategy the stack's service was registered with (rolling when the
    stack has no service)."""
    services = recording.of_type(SERVICE)
    configuration = services[0].inputs.get("deploymentConfiguration", {}) if services else {}
    return strategy_of(configuration)


def deployment_record(strategy: DeploymentStrategy) -> dict[str, Any]:
    """The strategy's cost in time, as ``--json`` shows it: minutes to full traffic and to
    completion, and production traffic on the new revision over time."""
    timeline = strategy.timeline()
    return {
        "strategy": strategy.kind.value,
        "fullTrafficMinutes": timeline.full_traffic_minutes,
        "bakeMinutes": timeline.bake_minutes,
        "completeMinutes": timeline.complete_minutes,
        "traffic": [{"minute": s.minute, "percent": s.percent} for s in timeline.steps],
    }


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
        out.append(f"deployment: {describe(deployment_of(recording))}")
        for warning in sorted(recording.warnings):
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
    """The machine-readable plan: the text view's content in the same order, every value
    whole (JSON documents parsed, nothing shortened), so two plans diff line by line."""
    return {
        "stacks": {
            r.stack: {
                "region": r.region,
                "resources": [
                    {
                        "type": res.type,
                        "name": res.name,
                        "parent": res.parent_name,
                        "custom": res.custom,
                        "properties": {k: whole(v) for k, v in property_values(res, r).items()},
                    }
                    for _, res in ordered(r)
                ],
                "outputs": {
                    k: ("[secret]" if k in r.secret_outputs else whole(v))
                    for k, v in r.outputs.items()
                },
                "deployment": deployment_record(deployment_of(r)),
                "warnings": sorted(r.warnings),
                "policyViolations": policy_violations(r),
            }
            for r in recordings
        },
        "differences": difference_records(recordings),
    }


def generated_files(recording: Recording, root: Path = ROOT) -> dict[str, str]:
    """Files the stack delivers into the application repository (path to content), rendered
    by the same function the stack's WorkflowSet uses."""
    from infra.previews import stack_previews
    from infra.stack import generated_files as render

    settings = stack_settings(recording.stack, root)
    return render(settings, stack_previews(recording.stack, settings, root))


def write_out(directory: Path, recordings: Iterable[Recording], root: Path = ROOT) -> list[Path]:
    """Write each stack's plan and generated files under ``directory/<stack>/``."""
    written = []
    for recording in recordings:
        base = directory / recording.stack
        base.mkdir(parents=True, exist_ok=True)
        plan = base / "plan.json"
        plan.write_text(json.dumps(to_json([recording]), indent=2, sort_keys=True) + "\n")
        written.append(plan)
        for relative, content in sorted(generated_files(recording, root).items()):
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            written.append(target)
    return written


def cross_stack_round(root: Path) -> bool:
    """Print the checks across every stack file in ``root`` (:mod:`tooling.cross_stack`); True
    when they found a problem. They read every stack's settings, not only the planned ones: a
    stack checked alone must still agree with the others (one repository owner, distinct
    environments, the deploy chain)."""
    report = project_report(root)
    for warning in report.warnings:
        print(f"cross-stack warning: {warning}", file=sys.stderr)
    for problem in report.problems:
        print(f"cross-stack problem: {problem}", file=sys.stderr)
    return bool(report.problems)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m tooling.plan", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--stack",
        action="append",
        metavar="NAME",
        help="a Pulumi.<NAME>.yaml beside Pulumi.yaml; repeatable; default: every one",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--out", type=Path, help="write each stack's plan and generated files here")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the project directory (where Pulumi.yaml is)"
    )
    args = parser.parse_args(argv)
    root: Path = args.root
    # The stack files are read now, not when the module was imported: a file added since (or
    # another --root) counts.
    stacks = discover_stacks(root)
    unknown = [s for s in args.stack or [] if s not in stacks]
    if unknown:
        parser.error(
            f"--stack {', '.join(unknown)}: no Pulumi.<name>.yaml in {root} has that name; "
            f"one of {', '.join(stacks) or 'none'}"
        )
    recordings = []
    refused = False
    # Every stack is planned, so that every stack's problems are reported in one round.
    for stack in args.stack or stacks:
        try:
            recordings.append(run_stack(stack, root=root))
        except ConfigError as error:
            print(f"stack {stack}: invalid settings\n{error}", file=sys.stderr)
            refused = True
    if refused:
        return 2
    if cross_stack_round(root):
        return 2
    if args.json:
        print(json.dumps(to_json(recordings), indent=2, sort_keys=True))
    else:
        print(render_text(recordings), end="")
    if args.out:
        for path in write_out(args.out, recordings, root):
            print(f"wrote {path}", file=sys.stderr)
    if any(policy_violations(r) for r in recordings):
        print("policy violations: see above", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    # What the imports made (the provider SDKs' tens of thousands of classes and functions)
    # lives as long as the process: left out of every collection, the runs' garbage is
    # collected without walking it again (about 2 s of CPU of a 10 s plan).
    gc.freeze()
    sys.exit(main())
