#!/usr/bin/env bash
set -euo pipefail
run_url="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"
body="The scheduled drift check found changes (or could not run): ${run_url}"
number="$(gh issue list --repo "$GITHUB_REPOSITORY" --state open \
  --search "\"${ISSUE_TITLE}\" in:title" --json number,title \
  --jq "map(select(.title == \"${ISSUE_TITLE}\")) | .[0].number // empty")"
if [[ -n "$number" ]]; then
  gh issue comment "$number" --repo "$GITHUB_REPOSITORY" --body "$body"
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$ISSUE_TITLE" --body "$body"
fi
