"""GitHub's official OpenAPI description (``@octokit/openapi``, pinned in
tests/release/package.json) and a validator someone else wrote (``openapi-core``), so every request
the set-up command's GitHub client sends, and every answer the stand-in gives it, is checked
against what GitHub publishes.

The description is 13 MB; only the operations the client uses are kept (with every component
they reference, transitively), parsed once per process."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from tests.release.node_tools import ensure_node_tools

PATHS = (
    "/repos/{owner}/{repo}",
    "/users/{username}",
    "/repos/{owner}/{repo}/actions/oidc/customization/sub",
    "/app-manifests/{code}/conversions",
    "/repos/{owner}/{repo}/installation",
    "/repos/{owner}/{repo}/environments/{environment_name}",
    "/repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key",
    "/repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/actions/variables",
    "/repos/{owner}/{repo}/actions/variables/{name}",
    # preview-status.sh and preview-removed.sh (tests/workflows/test_preview_workflow.py)
    "/repos/{owner}/{repo}/deployments",
    "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
)
HOST = "https://api.github.com"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@cache
def description() -> dict[str, Any]:
    """The pinned description, cut to :data:`PATHS` and what they reference."""
    tools = ensure_node_tools()
    full = json.loads(
        tools.module("@octokit", "openapi", "generated", "api.github.com.json").read_text()
    )
    paths = {p: full["paths"][p] for p in PATHS}
    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in components.setdefault(kind, {}):
            continue
        node = full["components"][kind][name]
        components[kind][name] = node
        pending += _refs(node)
    # GitHub answers 404 (or 401/403) with its ``basic-error`` body for any resource that is
    # missing or hidden, also where an operation describes only its success (GitHub Docs,
    # "Troubleshooting the REST API"); such answers are checked against that schema.
    components.setdefault("schemas", {})["basic-error"] = full["components"]["schemas"][
        "basic-error"
    ]
    return {
        "openapi": full["openapi"],
        "info": full["info"],
        "servers": full["servers"],
        "paths": paths,
        "components": components,
    }


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(description())


def version() -> str:
    manifest = json.loads(
        ensure_node_tools().module("@octokit", "openapi", "package.json").read_text()
    )
    return str(manifest["version"])


def _pattern(path: str) -> tuple[str, dict[str, str]]:
    for template in PATHS:
        regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        match = re.match(regex, path)
        if match:
            return template, match.groupdict()
    raise AssertionError(f"the client called {path}, which is not among the described PATHS")


def _request(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes | None
) -> MockRequest:
    """The request as openapi-core reads it, matched to its described path."""
    template, params = _pattern(path)
    return MockRequest(
        HOST,
        method,
        path,
        path_pattern=template,
        args=query,
        view_args=params,
        headers=headers,
        data=body,
        content_type=headers.get("Content-Type", "application/json") if body else "",
    )


def validate_request(method: str, path: str, query: dict[str, str], body: bytes | None) -> None:
    """Raise when a request (JSON body, or none) breaks GitHub's description."""
    headers = {"Content-Type": "application/json"} if body else {}
    openapi().validate_request(_request(method, path, query, headers, body))


def validate(
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    answer: Any,
) -> None:
    """Raise when the request or the answer breaks GitHub's description."""
    request = _request(method, path, query, headers, body)
    openapi().validate_request(request)
    described = description()["paths"][request.path_pattern][method.lower()]["responses"]
    if str(status) not in described and 400 <= status < 500:
        OAS30Validator(description()["components"]["schemas"]["basic-error"]).validate(answer)
        return
    data = b"" if answer is None else json.dumps(answer).encode()
    response = MockResponse(data, status_code=status, content_type="application/json")
    openapi().validate_response(request, response)
