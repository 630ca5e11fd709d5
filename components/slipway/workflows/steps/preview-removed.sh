#!/usr/bin/env bash
set -euo pipefail
# Tell the pull request its preview is gone (env: GH_TOKEN, PREVIEW_PR; the runner's
# GITHUB_REPOSITORY): every GitHub deployment of its environment `preview-pr-<n>` gets the
# status `inactive` (REST: "Create a deployment status", state inactive), and the sticky
# comment (the one that starts with the marker below) says so. Nothing is created: a pull
# request that never had a preview gets no comment.
[[ "${PREVIEW_PR:-}" =~ ^[1-9][0-9]{0,8}$ ]] || { echo "::error::PREVIEW_PR='${PREVIEW_PR:-}' must be a pull request number"; exit 1; }
marker="<!-- slipway-preview -->"
repo="repos/${GITHUB_REPOSITORY}"
mapfile -t deployments < <(gh api --paginate "${repo}/deployments?environment=preview-pr-${PREVIEW_PR}&per_page=100" --jq '.[].id')
for id in "${deployments[@]}"; do
  gh api --method POST "${repo}/deployments/${id}/statuses" -f state=inactive \
    -f description="Preview removed" >/dev/null
  echo "Deployment ${id}: inactive"
done
mapfile -t comments < <(gh api --paginate "${repo}/issues/${PREVIEW_PR}/comments?per_page=100" \
  --jq ".[] | select(.body | startswith(\"${marker}\")) | .id")
for id in "${comments[@]}"; do
  gh api --method PATCH "${repo}/issues/comments/${id}" \
    -f body="${marker}
**Preview removed** at $(date -u +%Y-%m-%dT%H:%MZ): its resources are gone." >/dev/null
  echo "Comment ${id}: updated"
done
