#!/usr/bin/env bash
set -euo pipefail
tag=$(gh api --method PATCH "repos/${GITHUB_REPOSITORY}/releases/${LATEST_RELEASE_ID}" \
  -f make_latest=true --jq .tag_name)
echo "${tag} stays the latest GitHub Release"
