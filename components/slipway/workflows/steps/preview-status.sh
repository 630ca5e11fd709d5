#!/usr/bin/env bash
set -euo pipefail
# Report pull request PREVIEW_PR's preview on GitHub (docs/previews.md): a transient GitHub
# deployment of the environment `preview-pr-<n>` and one sticky comment, found by its marker and
# updated, else created (env: GH_TOKEN, PREVIEW_PR, PREVIEW_STATE = in_progress | success |
# failure, PREVIEW_SHA, PREVIEW_LOGS_URL; with success PREVIEW_URL and PREVIEW_EXPIRES (epoch
# seconds); PREVIEW_DEPLOYMENT_ID after in_progress; with failure, optionally PREVIEW_REASON
# (preview-wait.sh's output `reason`: shown in the comment and, cut to GitHub's 140 characters,
# as the deployment status's description); the runner's GITHUB_REPOSITORY).
# REST "Create a deployment": required_contexts [] (the head commit's other checks are still
# running: the default, every context, would refuse it with 409), transient_environment true
# (the environment goes away), production_environment false. "Create a deployment status":
# auto_inactive (default true) marks the environment's earlier deployments inactive on success.
# Outputs (in_progress): open (true, else the pull request closed meanwhile: nothing is done),
# deployment-id.
[[ "${PREVIEW_PR:-}" =~ ^[1-9][0-9]{0,8}$ ]] || { echo "::error::PREVIEW_PR='${PREVIEW_PR:-}' must be a pull request number"; exit 1; }
[[ "${PREVIEW_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || { echo "::error::PREVIEW_SHA='${PREVIEW_SHA:-}' must be a commit SHA"; exit 1; }
state=${PREVIEW_STATE:-}
[[ " in_progress success failure " == *" ${state} "* ]] || { echo "::error::PREVIEW_STATE='${state}' must be in_progress, success or failure"; exit 1; }
marker="<!-- slipway-preview -->"
repo="repos/${GITHUB_REPOSITORY}"
environment="preview-pr-${PREVIEW_PR}"
url=${PREVIEW_URL:-}
# One line of plain text (it comes from AWS: a task's stoppedReason).
reason=$(tr -s '[:cntrl:]' ' ' <<< "${PREVIEW_REASON:-}" | cut -c1-400)
reason=${reason%% }
description="Pull request preview"
if [[ "${state}" == failure && -n "${reason}" ]]; then
  # REST "Create a deployment status": description, "The short description of the status. The
  # maximum description length is 140 characters."
  description=$(cut -c1-140 <<< "Preview failed: ${reason}")
fi
if [[ "${state}" == success ]]; then
  [[ "${url}" =~ ^https://[a-z0-9.-]+$ ]] || { echo "::error::PREVIEW_URL='${url}' must be the preview's https:// URL"; exit 1; }
  [[ "${PREVIEW_EXPIRES:-}" =~ ^[0-9]+$ ]] || { echo "::error::PREVIEW_EXPIRES='${PREVIEW_EXPIRES:-}' must be epoch seconds"; exit 1; }
fi

if [[ "${state}" == in_progress ]]; then
  # The image job runs outside the pull request's concurrency group: a close (and its teardown)
  # can come while it builds. Deploy only a pull request that is still open, so a finished
  # teardown is never followed by a new preview (REST "Get a pull request": state).
  pr_state=$(gh api "${repo}/pulls/${PREVIEW_PR}" --jq '.state')
  if [[ "${pr_state}" != open ]]; then
    echo "open=false" >> "${GITHUB_OUTPUT:-/dev/null}"
    echo "Pull request ${PREVIEW_PR} is ${pr_state}: no preview"
    exit 0
  fi
  echo "open=true" >> "${GITHUB_OUTPUT:-/dev/null}"
  deployment=$(jq -n --arg ref "${PREVIEW_SHA}" --arg env "${environment}" \
    '{ref: $ref, environment: $env, transient_environment: true, production_environment: false,
      auto_merge: false, required_contexts: [], description: "Pull request preview"}' |
    gh api --method POST "${repo}/deployments" --input - --jq '.id')
  [[ "${deployment}" =~ ^[0-9]+$ ]] || { echo "::error::GitHub answered no deployment id ('${deployment}')"; exit 1; }
  echo "deployment-id=${deployment}" >> "${GITHUB_OUTPUT:-/dev/null}"
else
  deployment=${PREVIEW_DEPLOYMENT_ID:-}
fi
if [[ "${deployment}" =~ ^[0-9]+$ ]]; then
  jq -n --arg state "${state}" --arg url "${url}" --arg log "${PREVIEW_LOGS_URL:-}" \
    --arg description "${description}" '{state: $state, log_url: $log, description: $description}
      + (if $url == "" then {} else {environment_url: $url} end)' |
    gh api --method POST "${repo}/deployments/${deployment}/statuses" --input - >/dev/null
  echo "Deployment ${deployment}: ${state}"
fi

case "${state}" in
  in_progress) status="**Preview deploying** for ${PREVIEW_SHA:0:7}." ;;
  success) status="**Preview ready** for ${PREVIEW_SHA:0:7}: ${url}
It expires at $(date -u -d "@${PREVIEW_EXPIRES}" +%Y-%m-%dT%H:%MZ) unless a push renews it." ;;
  failure) status="**Preview failed** for ${PREVIEW_SHA:0:7}${reason:+: ${reason}}." ;;
esac
body="${marker}
${status}
[Logs](${PREVIEW_LOGS_URL:-})"
mapfile -t comments < <(gh api --paginate "${repo}/issues/${PREVIEW_PR}/comments?per_page=100" \
  --jq ".[] | select(.body | startswith(\"${marker}\")) | .id")
if (( ${#comments[@]} )); then
  gh api --method PATCH "${repo}/issues/comments/${comments[0]}" -f body="${body}" >/dev/null
  echo "Comment ${comments[0]}: updated"
else
  gh api --method POST "${repo}/issues/${PREVIEW_PR}/comments" -f body="${body}" >/dev/null
  echo "Comment: created"
fi
