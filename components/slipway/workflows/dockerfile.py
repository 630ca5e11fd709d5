"""``Dockerfile``: a multi-stage Node.js image template for the application repository.

Stages: ``base`` (Node.js with pnpm through corepack), ``deps`` (``pnpm fetch`` from the
lockfile, ``pnpm-workspace.yaml`` and ``.npmrc``: every dependency in the store), ``build``
(the whole workspace, every manifest and ``patches/`` included, installed offline and built),
``test`` (runs the test suite; ``docker.yml`` builds it before anything is pushed),
``prod-deps`` (production dependencies only, lifecycle scripts off) and ``runtime`` (slim,
non-root, with a HEALTHCHECK), which is the last stage and the one published. A ``.dockerignore``
is delivered with it.

The base image comes from ``workflows/images/Dockerfile`` (:data:`pins.BASE_IMAGE_FILE`), which
Slipway's own Dependabot (``docker``) bumps; the next render carries the bump into every
application repository (whose own Dependabot leaves the generated Dockerfile alone). It is pinned
by tag until a digest read from the registry is written there (``FROM node:<tag>@sha256:…``):
no digest could be checked while writing this generator, and one is never made up. Dependabot
then keeps tag and digest current together; ``WorkflowSpec.node_image`` overrides it.
"""

from __future__ import annotations

from slipway.workflows.spec import WorkflowSpec
from slipway.workflows.yamlio import header


def _healthcheck(port: int, path: str) -> str:
    probe = (
        f"fetch('http://127.0.0.1:{port}{path}')"
        ".then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
    )
    return (
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\\n"
        f'  CMD ["node", "-e", "{probe}"]\n'
    )


def render_dockerfile(spec: WorkflowSpec) -> str:
    """The Dockerfile text."""
    pinned_note = (
        "# Base image pinned by tag and digest.\n"
        if "@sha256:" in spec.node_image
        else "# Base image pinned by tag only: no verified digest was available; add one.\n"
    )
    image = spec.node_image
    store = "--store-dir=/pnpm/store"
    return (
        header()
        + pinned_note
        + "\n"
        + f"FROM {image} AS base\n"
        + "ENV PNPM_HOME=/pnpm \\\n    PATH=/pnpm:$PATH \\\n    CI=true\n"
        + "RUN corepack enable \\\n"
        + f" && corepack prepare pnpm@{spec.pnpm_version} --activate\n"
        + "WORKDIR /app\n"
        + "\n"
        + "# Every dependency of the workspace, fetched from the lockfile alone (with the\n"
        + "# workspace layout and registry settings), so a source change reuses this layer.\n"
        + "# The store stays in the layer: a cache mount would not travel with the CI cache.\n"
        + "FROM base AS deps\n"
        + "COPY pnpm-lock.yaml pnpm-workspace.yam[l] .npmr[c] ./\n"
        + f"RUN pnpm fetch {store}\n"
        + "\n"
        + "# The whole workspace: every package.json, patches/ and the sources.\n"
        + "FROM deps AS build\n"
        + "COPY . .\n"
        + f"RUN pnpm install --offline --frozen-lockfile {store} \\\n"
        + " && pnpm run build\n"
        + "\n"
        + "# Building this stage runs the tests inside the image.\n"
        + "FROM build AS test\n"
        + "RUN pnpm test\n"
        + "\n"
        + "# Production dependencies only, with no install scripts run.\n"
        + "FROM deps AS prod-deps\n"
        + "COPY . .\n"
        + f"RUN pnpm install --offline --frozen-lockfile --prod --ignore-scripts {store}\n"
        + "\n"
        + f"FROM {image} AS runtime\n"
        + "ENV NODE_ENV=production\n"
        + "WORKDIR /app\n"
        + "# Files stay owned by root: the application user can read but not change its code.\n"
        + "COPY --from=prod-deps /app/node_modules ./node_modules\n"
        + "COPY --from=build /app/dist ./dist\n"
        + "COPY package.json ./\n"
        + "# The official image's unprivileged 'node' user, by id so any runtime can resolve it.\n"
        + "USER 1000:1000\n"
        + f"EXPOSE {spec.container_port}\n"
        + _healthcheck(spec.container_port, spec.health_check_path)
        + 'CMD ["node", "dist/index.js"]\n'
    )


DOCKERIGNORE = (
    ".git\n"
    ".github\n"
    "**/node_modules\n"
    "**/dist\n"
    "**/coverage\n"
    "**/.env\n"
    "**/.env.*\n"
    "**/*.log\n"
    "**/.DS_Store\n"
    "Dockerfile\n"
    ".dockerignore\n"
)
"""What never enters the build context: git metadata, workflows, local installs and builds
(the image installs and builds its own), local environment files that may hold secrets, logs."""


def render_dockerignore(spec: WorkflowSpec) -> str:
    """The ``.dockerignore`` text, kept beside the Dockerfile template."""
    del spec  # the same for every repository; kept for a uniform renderer signature
    return header() + DOCKERIGNORE
