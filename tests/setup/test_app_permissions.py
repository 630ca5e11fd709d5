"""The GitHub Apps' permissions against GitHub's "Permissions required for GitHub Apps".

Every GitHub resource type and data source the code can register or invoke is found in the code
(a new one without its calls in tests/setup/app_permissions.py fails here), mapped to the REST
endpoints the provider calls, and those to the permission the page lists. The infra app must
hold exactly what `up` calls, the read-only infra app exactly what a preview or refresh reads,
the release app exactly what the release jobs call; each job's token must ask for what its own
calls need.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pulumi_github

from slipway.contract import INFRA_APP_PERMISSIONS, INFRA_READ_APP_PERMISSIONS
from slipway.setup.github import app_manifest
from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.infra_pipeline import INFRA_WORKFLOW_PATH, render_infra_files, up_job_id
from slipway.workflows.pins import CREATE_APP_TOKEN
from tests.setup.app_permissions import (
    INVOKE_CALLS,
    NOT_ON_PAGE,
    PROVIDER_CALLS,
    RELEASE_JOB_CALLS,
    Call,
    holds,
    page_rows,
    required,
)
from tests.workflows.conftest import SPECS
from tooling.offline import ROOT
from tooling.pipeline import slipway_pipeline

SOURCES = (ROOT / "components" / "slipway", ROOT / "infra")
RECORDS = ROOT / "tests" / "snapshots" / "registrations"
INFRA_SPEC = slipway_pipeline()


@cache
def _resource_tokens() -> dict[str, str]:
    """pulumi_github's resource class name -> type token (its own module registry)."""
    text = Path(pulumi_github.__file__).read_text()
    found = re.search(r'resource_modules="""(.*?)"""', text, re.S)
    assert found, "pulumi_github no longer registers its resource modules this way"
    return {
        name: token
        for module in json.loads(found.group(1))
        for token, name in module["classes"].items()
    }


@cache
def _used_in_code() -> tuple[frozenset[str], frozenset[str]]:
    """(resource type tokens constructed, data source functions invoked) through
    ``import pulumi_github as <alias>`` in components/ and infra/."""
    tokens = _resource_tokens()
    types: set[str] = set()
    invokes: set[str] = set()
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            aliases = {
                alias.asname or alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
                if alias.name == "pulumi_github"
            }
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in aliases
                ):
                    continue
                name = node.func.attr
                if name in tokens:
                    types.add(tokens[name])
                elif name.startswith("get_"):
                    invokes.add(name.removesuffix("_output"))
    return frozenset(types), frozenset(invokes)


def _recorded_types() -> set[str]:
    """GitHub resource types the stacks register (tests/snapshots/registrations)."""
    types = set()
    for record in RECORDS.glob("*.txt"):
        for line in record.read_text().splitlines():
            kind = line.split(" ")[0].split("::")[2].split("$")[-1]
            if kind.startswith("github:"):
                types.add(kind)
    return types


def _all_calls(operations: tuple[str, ...]) -> list[Call]:
    calls = [call for ops in PROVIDER_CALLS.values() for op in operations for call in ops[op]]
    return calls + [call for invoke in INVOKE_CALLS.values() for call in invoke]


UP = ("read", "create", "update", "delete")
PREVIEW = ("read",)


def _diff(grants: dict[str, str], needs: dict[str, str]) -> str:
    missing = holds(grants, needs)
    excess = {name: level for name, level in grants.items() if needs.get(name) != level}
    return f"missing {missing}, beyond what a call needs {excess}"


def _token_permissions(job: dict[str, Any]) -> dict[str, str]:
    [step] = [s for s in job["steps"] if str(s.get("uses", "")).startswith(CREATE_APP_TOKEN.action)]
    return {
        key.removeprefix("permission-").replace("-", "_"): value
        for key, value in step["with"].items()
        if key.startswith("permission-")
    }


# --- the table is complete and is the page's ---------------------------------------------------


def test_every_github_resource_type_the_code_can_register_has_its_calls() -> None:
    types, _ = _used_in_code()
    assert _recorded_types() <= types, "a registered type the code scan missed"
    # Conditional ones too (ActionsEnvironmentSecret: only with a configured secret).
    assert "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret" in types
    assert set(PROVIDER_CALLS) == types, (
        f"resource types without calls: {sorted(types - set(PROVIDER_CALLS))}; "
        f"rows of types no code registers: {sorted(set(PROVIDER_CALLS) - types)}"
    )
    for kind, operations in PROVIDER_CALLS.items():
        assert set(operations) == set(UP), kind


def test_every_data_source_the_code_invokes_has_its_calls() -> None:
    _, invokes = _used_in_code()
    assert set(INVOKE_CALLS) == invokes


def test_the_organization_and_team_look_ups_ask_for_the_summary_only() -> None:
    """Without ``summary_only`` the data sources list the organization's repositories and the
    team's members and repositories too (data_source_github_organization.go, ..._team.go),
    calls :data:`INVOKE_CALLS` does not hold."""
    seen = 0
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr.removesuffix("_output") in ("get_team", "get_organization")
                ):
                    seen += 1
                    flags = {k.arg: k.value for k in node.keywords}
                    flag = flags.get("summary_only")
                    assert isinstance(flag, ast.Constant), f"{path}:{node.lineno}"
                    assert flag.value is True, f"{path}:{node.lineno}"
    assert seen >= 2


def test_every_call_is_on_the_page_and_says_which_section_it_relies_on() -> None:
    rows = page_rows()
    calls = _all_calls(UP) + [c for job in RELEASE_JOB_CALLS.values() for c in job]
    for call in calls:
        if call.endpoint in NOT_ON_PAGE:
            assert not call.uses, call
            assert not call.also, call
            continue
        assert call.endpoint in rows, f"{call.endpoint}: not on the page as recorded"
        sections = rows[call.endpoint]
        if len(sections) > 1:
            # The page's "Additional permissions" mark: the call names what it relies on.
            assert call.uses, f"{call.endpoint} is listed under {sorted(sections)}: say which"
        assert set(call.uses) <= set(sections), call
        assert set(call.also) <= set(sections) - set(call.uses), call
        assert bool(call.also) == bool(call.why), call


def test_the_page_facts_the_design_turns_on() -> None:
    """The rows that decide the permission sets, as the page lists them."""
    rows = page_rows()
    env = "/repos/{owner}/{repo}/environments/{environment_name}"
    # Reading an environment and its branch policies is Actions (read); writing them is
    # Administration.
    assert rows[f"GET {env}"] == {"actions": "read"}
    assert rows[f"PUT {env}"] == {"administration": "write"}
    assert rows[f"GET {env}/deployment-branch-policies/{{branch_policy_id}}"] == {"actions": "read"}
    # Environment secrets and variables: Environments, or Secrets / Variables (marked).
    assert rows[f"PUT {env}/secrets/{{secret_name}}"] == {
        "environments": "write",
        "secrets": "write",
    }
    assert rows[f"POST {env}/variables"] == {"environments": "write", "actions_variables": "write"}
    # Rulesets: written with Administration, read with Metadata.
    assert rows["GET /repos/{owner}/{repo}/rulesets/{ruleset_id}"] == {"metadata": "read"}
    assert rows["POST /repos/{owner}/{repo}/rulesets"] == {"administration": "write"}


# --- the apps and the tokens -------------------------------------------------------------------


def test_the_infra_app_holds_exactly_what_up_calls() -> None:
    needs = required(_all_calls(UP))
    assert needs == INFRA_APP_PERMISSIONS, _diff(INFRA_APP_PERMISSIONS, needs)
    manifest = app_manifest("infra", "acme/storefront-infra", "http://127.0.0.1/callback")
    assert manifest["default_permissions"] == needs


def test_the_read_only_infra_app_holds_exactly_what_a_preview_reads() -> None:
    needs = required(_all_calls(PREVIEW))
    assert needs == INFRA_READ_APP_PERMISSIONS, _diff(INFRA_READ_APP_PERMISSIONS, needs)
    assert set(needs.values()) == {"read"}
    manifest = app_manifest("infra-read", "acme/storefront-infra", "http://127.0.0.1/callback")
    assert manifest["default_permissions"] == needs


def test_each_infra_job_token_asks_for_what_its_calls_need() -> None:
    jobs = load_yaml(render_infra_files(INFRA_SPEC)[INFRA_WORKFLOW_PATH])["jobs"]
    up, preview = required(_all_calls(UP)), required(_all_calls(PREVIEW))
    for stack in INFRA_SPEC.stacks:
        token = _token_permissions(jobs[up_job_id(stack)])
        assert token == up, _diff(token, up)
    for job_id in ("preview", "drift"):
        token = _token_permissions(jobs[job_id])
        assert token == preview, (job_id, _diff(token, preview))


def test_the_release_app_holds_exactly_what_the_release_jobs_call() -> None:
    needs = required(c for job in RELEASE_JOB_CALLS.values() for c in job)
    manifest = app_manifest("release", "acme/storefront", "http://127.0.0.1/callback")
    grants = manifest["default_permissions"]
    assert grants == needs, _diff(grants, needs)


def test_each_release_job_token_asks_for_what_its_calls_need() -> None:
    files = render_workflow_files(SPECS["default"])
    jobs = load_yaml(files[".github/workflows/release.yml"])["jobs"]
    minted = {
        job_id
        for job_id, job in jobs.items()
        if any(CREATE_APP_TOKEN.action in str(s.get("uses", "")) for s in job.get("steps", []))
    }
    assert minted == set(RELEASE_JOB_CALLS)
    for job_id, calls in RELEASE_JOB_CALLS.items():
        # An installation token holds Metadata (read) whatever it asks for.
        token = {"metadata": "read", **_token_permissions(jobs[job_id])}
        needs = required(calls)
        assert token == needs, (job_id, _diff(token, needs))
