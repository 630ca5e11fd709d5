# shellcheck shell=bash
# Say where a deploy is: in the log (a notice), in the GitHub deployment this job created (a
# deployment status, "in_progress" with the stage as its description) and, for the stages a
# person acts on (test traffic, shifting, baking, rolling back), on Slack. Reporting never
# fails the deploy: a GitHub or Slack error is a warning, and the deploy goes on.
#
# GitHub creates the job's deployment itself (jobs.<id>.environment); it is found once, as the
# deployment of this environment and commit whose statuses link to this run.
github_deployment=""
report_failures=0
find_github_deployment() {
  local id
  github_deployment="none"
  while IFS= read -r id; do
    if gh api "repos/${GITHUB_REPOSITORY}/deployments/${id}/statuses?per_page=10" \
        --jq '.[].log_url' | grep -Eq "/actions/runs/${GITHUB_RUN_ID}(/|$)"; then
      github_deployment="${id}"
      return 0
    fi
  done < <(gh api "repos/${GITHUB_REPOSITORY}/deployments?environment=${ENVIRONMENT_NAME}&sha=${GITHUB_SHA}&per_page=10" \
    --jq '.[].id')
  return 1
}
report_warning() {
  report_failures=$((report_failures + 1))
  if (( report_failures <= 3 )); then
    echo "::warning::$1 (the deploy goes on)"
  fi
}
# report_stage TEXT [slack]: TEXT is at most 140 characters (GitHub's limit for a description).
report_stage() {
  local text="${1:0:140}" notify="${2:-}"
  echo "::notice title=${ECS_SERVICE}::${text}"
  if [[ -n "${GH_TOKEN:-}" ]]; then
    if [[ -z "${github_deployment}" ]]; then
      find_github_deployment || report_warning "no GitHub deployment of this run found"
    fi
    if [[ "${github_deployment}" != "none" ]] && ! gh api --silent \
        "repos/${GITHUB_REPOSITORY}/deployments/${github_deployment}/statuses" \
        -f state=in_progress -f description="${text}" -F auto_inactive=false \
        -f environment_url="${ENVIRONMENT_URL}" \
        -f log_url="${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}"; then
      report_warning "could not set the GitHub deployment status"
    fi
  fi
  if [[ -n "${notify}" && -n "${SLACK_WEBHOOK_URL:-}" ]]; then
    if ! jq -n --arg text "${ENVIRONMENT_NAME}: ${text}" '{text: $text}' |
        curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
          --data-binary @- "${SLACK_WEBHOOK_URL}"; then
      report_warning "could not notify Slack"
    fi
  fi
}
