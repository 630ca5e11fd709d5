#!/usr/bin/env bash
set -euo pipefail
# The numbers of the repository's open pull requests, space-separated, as the `numbers` output
# (env: GH_TOKEN; the runner's GITHUB_REPOSITORY). A failed listing fails the step: the sweep
# must never take "no answer" for "none open".
numbers=$(gh api --paginate "repos/${GITHUB_REPOSITORY}/pulls?state=open&per_page=100" \
  --jq '.[].number' | tr '\n' ' ')
numbers=${numbers% }
[[ "${numbers}" =~ ^[0-9\ ]*$ ]] || { echo "::error::unexpected pull request list: ${numbers}"; exit 1; }
echo "numbers=${numbers}" >> "${GITHUB_OUTPUT}"
echo "Open pull requests: ${numbers:-none}"
