#!/usr/bin/env bash
# The publish job's script (changesets/action/publish `script`). It publishes the tarballs the
# read-only pack job built and tested (PACK_DIR, from `changeset pack --out-dir`), never a fresh
# build. CHANGESETS_OUTPUT, set by the action, reaches the CLI through the environment: the
# action reads the git tags to push from it.
set -euo pipefail
pack_dir="${PACK_DIR:?PACK_DIR names the directory of packed tarballs}"
# NPM_DIST_TAG is set when a release branch publishes an older line. `changeset publish
# --from-pack-dir` refuses `--tag` ("Releasing under custom tag is not allowed in artifact
# mode"): each release's dist-tag is the `tag` of its entry in the pack's publish plan.
if [[ -n "${NPM_DIST_TAG:-}" ]]; then
  plan="${pack_dir}/publish-plan.json"
  jq --arg tag "${NPM_DIST_TAG}" \
    '.plan |= map(map(if .kind == "publish" then .tag = $tag else . end))' \
    "${plan}" > "${plan}.tagged"
  mv "${plan}.tagged" "${plan}"
fi
pnpm exec changeset publish --from-pack-dir "${pack_dir}"
# A re-run after npm took the packages finds them all published and tags nothing, so the action
# would push no tag and create no release. `git-tag` tags (and reports to CHANGESETS_OUTPUT)
# each package version that has no tag in the checkout or on the remote yet.
pnpm exec changeset git-tag
