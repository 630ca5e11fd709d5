#!/usr/bin/env bash
set -euo pipefail
# Tell each pull request its preview is gone (env: GH_TOKEN, PREVIEW_PR: one pull request's
# number, or several space-separated, as the sweep's `removed` output; the runner's
# GITHUB_REPOSITORY): every GitHub deployment of its environment `preview-pr-<n>` gets the
# status `inactive` (REST: "Create a deployment status", state inactive), and the sticky
# comment (the one that starts with the marker below) says so. Nothing is created: a pull
# request that never had a preview gets no comment.
read -r -a numbers <<< "${PREVIEW_PR:-}"
(( ${#numbers[@]} )) || { echo "::error::PREVIEW_PR='' must be a pull request number"; exit 1; }
for pr in "${numbers[@]}"; do
  [[ "${pr}" =~ ^[1-9][0-9]{0,8}$ ]] || { echo "::error::PREVIEW_PR='${PREVIEW_PR}' must be pull request numbers"; exit 1; }
done
marker="<!-- slipway-preview -->"
repo="repos/${GITHUB_REPOSITORY}"
for pr in "${numbers[@]}"; do
  mapfile -t deployments < <(gh api --paginate "${repo}/deployments?environment=preview-pr-${pr}&per_page=100" --jq '.[].id')
  for id in "${deployments[@]}"; do
    gh api --method POST "${repo}/deployments/${id}/statuses" -f state=inactive \
      -f description="Preview removed" >/dev/null
    echo "Deployment ${id}: inactive"
  done
  mapfile -t comments < <(gh api --paginate "${repo}/issues/${pr}/comments?per_page=100" \
    --jq ".[] | select(.body | startswith(\"${marker}\")) | .id")
  for id in "${comments[@]}"; do
    gh api --method PATCH "${repo}/issues/comments/${id}" \
      -f body="${marker}
**Preview removed** at $(date -u +%Y-%m-%dT%H:%MZ): its resources are gone." >/dev/null
    echo "Comment ${id}: updated"
  done
done
