"""Shell scripts delivered into the application repository beside the workflows.

An action that takes a command as an input (changesets/action's ``script``) spawns it through
``@actions/exec`` without a shell: the string is split into words and the first word is run, so
``a && b`` hands ``&&`` and ``b`` to ``a`` as arguments. Multi-step commands therefore live in
these files (``components/slipway/workflows/files/``), and the action input is one ``bash <path>``
command. The files are shellchecked as files and run by the tests with the real Changesets CLI.
The deploy job's step scripts are delivered too, from ``steps/``
(:class:`slipway.workflows.scripts.DeliveredStep`).
"""

from __future__ import annotations

from importlib.resources import files

from slipway.workflows.yamlio import with_header

VERSION_SCRIPT_PATH = ".github/scripts/changeset-version.sh"
"""Path, in the application repository, of the version pull request's script."""
PUBLISH_SCRIPT_PATH = ".github/scripts/changeset-publish.sh"
"""Path, in the application repository, of the publish job's script."""

VERSION_SCRIPT = f"bash {VERSION_SCRIPT_PATH}"
"""changesets/action/version ``script``: one command, as ``@actions/exec`` spawns it."""
PUBLISH_SCRIPT = f"bash {PUBLISH_SCRIPT_PATH}"
"""changesets/action/publish ``script`` (env: PACK_DIR, NPM_DIST_TAG; needs ``jq`` when
NPM_DIST_TAG is set). The action does not hand its own downloaded pack directory to a ``script``,
so the job downloads the pack artifact itself and names it in PACK_DIR."""

_SOURCES = {
    VERSION_SCRIPT_PATH: "changeset-version.sh",
    PUBLISH_SCRIPT_PATH: "changeset-publish.sh",
}


def source(name: str) -> str:
    """The text of ``components/slipway/workflows/files/<name>``."""
    return files("slipway.workflows").joinpath("files", name).read_text(encoding="utf-8")


def render_repo_scripts() -> dict[str, str]:
    """Each delivered script keyed by its repository path, with the generated-file header after
    the shebang line."""
    return {path: with_header(source(name)) for path, name in _SOURCES.items()}
