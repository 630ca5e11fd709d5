#!/usr/bin/env bash
# The publish job's script (changesets/action/publish `script`). It publishes the tarballs the
# read-only pack job built and tested (PACK_DIR), never a fresh build, and passes NPM_DIST_TAG
# when a release branch publishes an older line. CHANGESETS_OUTPUT, set by the action, reaches
# the CLI through the environment: the action reads the git tags to push from it.
set -euo pipefail
args=(publish --from-pack-dir "${PACK_DIR:?PACK_DIR names the directory of packed tarballs}")
if [[ -n "${NPM_DIST_TAG:-}" ]]; then
  args+=(--tag "${NPM_DIST_TAG}")
fi
pnpm exec changeset "${args[@]}"
