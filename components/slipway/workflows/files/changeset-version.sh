#!/usr/bin/env bash
# The version pull request's script (changesets/action/version `script`). The action spawns its
# `script` input without a shell, so every step that needs more than one command lives here.
set -euo pipefail
pnpm exec changeset version
# The bumped workspace versions must reach the lockfile, or the next frozen install fails.
pnpm install --lockfile-only --ignore-scripts
