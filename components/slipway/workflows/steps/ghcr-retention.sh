#!/usr/bin/env bash
set -euo pipefail
owner="${GHCR_IMAGE%%/*}"
package="${GHCR_IMAGE#*/}"
encoded="${package//\//%2F}"
if [[ "$(gh api "users/${owner}" --jq .type)" == "Organization" ]]; then
  base="orgs/${owner}/packages/container/${encoded}"
else
  base="users/${owner}/packages/container/${encoded}"
fi
versions=$(gh api --paginate "${base}/versions?per_page=100" | jq -s 'add // []')
# Untagged versions can still be the per-platform images or attestations of a tagged
# manifest list: collect every child digest of every tagged version and never delete those.
protected=$(jq -r '.[] | select((.metadata.container.tags | length) > 0) | .name' \
    <<<"${versions}" |
  while read -r digest; do
    docker buildx imagetools inspect --raw "ghcr.io/${GHCR_IMAGE}@${digest}" |
      jq -r '.manifests[]?.digest'
  done | jq -R . | jq -s 'unique')
cutoff=$(( $(date -u +%s) - OLDER_THAN_DAYS * 86400 ))
doomed=$(jq -r --argjson keep "${KEEP_LATEST}" --argjson cutoff "${cutoff}" \
    --argjson protected "${protected}" '
  [.[] | select((.metadata.container.tags | length) == 0)]
  | sort_by(.created_at) | reverse | .[$keep:]
  | .[] | select((.created_at | fromdateiso8601) < $cutoff)
  | select(.name as $name | $protected | index($name) | not)
  | "\(.id) \(.name) \(.created_at)"' <<<"${versions}")
if [[ -z "${doomed}" ]]; then
  echo "Nothing to delete."
  exit 0
fi
while read -r id digest created; do
  if [[ "${DRY_RUN}" == "true" ]]; then
    echo "Would delete ${digest} (${created})"
  else
    gh api --method DELETE "${base}/versions/${id}"
    echo "Deleted ${digest} (${created})"
  fi
done <<<"${doomed}"
