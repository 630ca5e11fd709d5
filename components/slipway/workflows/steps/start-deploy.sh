#!/usr/bin/env bash
set -euo pipefail
# Start deploy.yml as a run of its own (workflow_dispatch; GITHUB_TOKEN may start one, with
# `actions: write`), so this release run ends now and leaves the release concurrency group: a
# prod approval holds only the deploy run, never the next release.
# `gh workflow run` flags (cli/cli pkg/cmd/workflow/run/run.go): --ref, -f/--raw-field; the
# workflow by its file name (shared.go FindWorkflow: GET actions/workflows/<file name>).
if [[ ! "${IMAGE_DIGEST}" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "::error::image digest '${IMAGE_DIGEST}' is not sha256:<64 hex digits>"
  exit 1
fi
gh workflow run "${DEPLOY_WORKFLOW##*/}" --repo "${GITHUB_REPOSITORY}" --ref "${GITHUB_REF_NAME}" \
  -f "image-digest=${IMAGE_DIGEST}" -f "version=${VERSION}" -f "hotfix=${HOTFIX}"
text="Started ${DEPLOY_WORKFLOW##*/} for ${VERSION} (${IMAGE_DIGEST}) from ${GITHUB_REF_NAME}"
if [[ "${HOTFIX}" == "true" ]]; then
  text="${text}; a hotfix of an older line: only environments on its line or an older one take it"
fi
echo "${text}: ${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/workflows/${DEPLOY_WORKFLOW##*/}"
echo "${text}." >> "${GITHUB_STEP_SUMMARY}"
