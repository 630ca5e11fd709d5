"""Render every generated file of the application repository from one :class:`WorkflowSpec`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from slipway.workflows.changesets import render_changeset_config
from slipway.workflows.codeowners import render_codeowners
from slipway.workflows.dependabot import dependabot_config
from slipway.workflows.deploy import deploy_workflow
from slipway.workflows.docker import docker_workflow
from slipway.workflows.dockerfile import render_dockerfile, render_dockerignore
from slipway.workflows.paths import (
    CHANGESET_CONFIG_PATH,
    CODEOWNERS_PATH,
    DEPENDABOT_PATH,
    DEPLOY_PATH,
    DOCKER_PATH,
    DOCKERFILE_PATH,
    DOCKERIGNORE_PATH,
    GENERATED_WORKFLOWS,
    PREVIEW_PATH,
    RELEASE_LINE_PATH,
    RELEASE_PATH,
    RETENTION_PATH,
)
from slipway.workflows.preview_workflow import render_preview_files
from slipway.workflows.release import release_workflow
from slipway.workflows.release_line import release_line_workflow
from slipway.workflows.repo_scripts import render_repo_scripts
from slipway.workflows.retention import retention_workflow
from slipway.workflows.scripts import delivered_files, included_paths
from slipway.workflows.spec import WorkflowSpec
from slipway.workflows.yamlio import dump_yaml

_YAML: dict[str, Callable[[WorkflowSpec], dict[str, Any]]] = {
    RELEASE_PATH: release_workflow,
    DOCKER_PATH: docker_workflow,
    DEPLOY_PATH: deploy_workflow,
    RETENTION_PATH: retention_workflow,
    RELEASE_LINE_PATH: release_line_workflow,
    DEPENDABOT_PATH: dependabot_config,
}


def workflow_data(spec: WorkflowSpec) -> dict[str, dict[str, Any]]:
    """The YAML files as data (before emission), keyed by repository path."""
    return {path: build(spec) for path, build in _YAML.items()}


def render_workflow_files(spec: WorkflowSpec) -> dict[str, str]:
    """Every generated file's content keyed by its path in the application repository.

    Pure and deterministic: the same spec gives byte-identical output. A stack renders the same
    spec more than once (the workflow pull request, the plan's generated files), so the text is
    computed once per spec; each call gets its own dict.
    """
    return dict(_render(spec))


@lru_cache(maxsize=8)
def _render(spec: WorkflowSpec) -> tuple[tuple[str, str], ...]:
    data = workflow_data(spec)
    files = {path: dump_yaml(document) for path, document in data.items()}
    files[DOCKERFILE_PATH] = render_dockerfile(spec)
    files[DOCKERIGNORE_PATH] = render_dockerignore(spec)
    files[CHANGESET_CONFIG_PATH] = render_changeset_config(spec)
    files.update(render_repo_scripts())
    files.update(delivered_files(_runs(data.values())))
    codeowners = render_codeowners(spec)
    if codeowners is not None:
        files[CODEOWNERS_PATH] = codeowners
    if spec.previews:
        files.update(render_preview_files(spec))
    return tuple(sorted(files.items()))


def files_used_by(files: Mapping[str, str]) -> dict[str, set[str]]:
    """Each workflow among the rendered ``files`` -> the rendered files it uses, directly or
    through another: the scripts and workflows it names by path (a ``run:`` line, an action's
    ``script`` input, a called workflow, the workflow that signs its attestations) and the
    libraries those scripts include. A workflow delivered without them fails when it runs."""
    workflows = (*GENERATED_WORKFLOWS, PREVIEW_PATH)
    usable = {path for path in files if path.endswith(".sh") or path in workflows}

    def named_by(path: str) -> set[str]:
        found = {other for other in usable if other != path and other in files[path]}
        if path.endswith(".sh"):
            found.update(included_paths(path, files[path]))
        return found

    out: dict[str, set[str]] = {}
    for workflow in (path for path in workflows if path in files):
        used: set[str] = set()
        todo = [workflow]
        while todo:
            for other in named_by(todo.pop()) - used:
                used.add(other)
                todo.append(other)
        out[workflow] = used - {workflow}
    return out


def _runs(documents: Iterable[dict[str, Any]]) -> list[str]:
    """The ``run:`` text of every step of every workflow among ``documents``."""
    return [
        step["run"]
        for document in documents
        for job in document.get("jobs", {}).values()
        for step in job.get("steps", ())
        if "run" in step
    ]


def clear_render_cache() -> None:
    """Forget every rendering, so the next call renders again (benchmarks time a cold run)."""
    _render.cache_clear()
