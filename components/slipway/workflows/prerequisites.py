"""What the application repository must hold for the delivered files to work: listed in the
workflows pull request (:class:`slipway.workflow_set.WorkflowSet`) and in
``docs/release-process.md``. Each line follows from what a generated file runs:

* ``mode``, ``version``, ``pack`` and ``publish`` run the repository's own Changesets CLI after
  ``pnpm install --frozen-lockfile`` (changesets/action v2 checks its major), so it is a root
  dependency of the major the spec names, in a committed lockfile, with pnpm pinned by
  ``packageManager`` (the jobs and the Dockerfile activate that pnpm);
* the Dockerfile template runs ``pnpm run build`` and ``pnpm test`` and starts
  ``node dist/index.js``; ``pack`` runs ``build`` (when present) and ``test``;
* the smoke test, the container health check, the load balancer and each deploy probe the health
  path on the container port;
* in a workspace, the release workflow's ``mode`` job needs ``imagePackage``.
"""

from __future__ import annotations

from slipway.workflows.spec import WorkflowSpec


def prerequisites(spec: WorkflowSpec) -> list[str]:
    """The application repository's prerequisites, one Markdown list item each."""
    major = spec.changesets_cli_major
    image = (
        f"The image package is `{spec.image_package}`: its released version tags the image."
        if spec.image_package
        else "A single-package repository's root package is the image package. In a workspace "
        "(`pnpm-workspace.yaml` or `workspaces`), set `slipway:imagePackage` to the package "
        "that is the application, or the release workflow's `mode` job fails."
    )
    return [
        f"`@changesets/cli` {major} as a root dev dependency "
        f"(`pnpm add -Dw @changesets/cli@^{major}`), in the committed `pnpm-lock.yaml`.",
        f'`"packageManager": "pnpm@{spec.pnpm_version}"` in the root `package.json`.',
        "Scripts in the root `package.json`: `build` (writes `dist/index.js`, which the image "
        "starts) and `test` (run before anything is published, and inside the image).",
        f"The health path `{spec.health_check_path}` answers 200 on port "
        f"{spec.container_port} once the application is up (smoke test, load balancer, "
        "deploys).",
        image,
    ]
