#!/usr/bin/env bash
set -euo pipefail
# The scheduled sweep of previews (docs/previews.md), two layers, each able to finish alone:
#  1. every record (listener rule) whose pull request is not open or whose expiry has passed:
#     the preview is torn down;
#  2. the tag sweep: every preview-tagged resource of this application (target group, ECS
#     service, task definition, log group) whose pull request has no record, or whose expiry
#     has passed, is torn down with its whole preview. A resource without a record that was
#     touched less than PREVIEW_SWEEP_GRACE_SECONDS ago (900) is left for the next sweep:
#     a deploy creates the record first, so only a deploy racing this sweep can show one.
# env: PREVIEW_APP, PREVIEW_DOMAIN, PREVIEW_LISTENER_ARN, PREVIEW_CLUSTER, PREVIEW_OPEN_PRS
#   (the open pull requests' numbers, space-separated; must be set, may be empty);
#   optional PREVIEW_SWEEP_GRACE_SECONDS, PREVIEW_NOW.
# Output `removed`: the pull requests whose preview this sweep removed, space-separated, also
# when another one failed (their GitHub deployments and comments are told next).
source "$(dirname "${BASH_SOURCE[0]}")/lib/preview.sh"
preview_check_common
[[ -v PREVIEW_OPEN_PRS && "${PREVIEW_OPEN_PRS}" =~ ^[0-9\ ]*$ ]] ||
  preview_fail "PREVIEW_OPEN_PRS='${PREVIEW_OPEN_PRS:-<unset>}' must be set to the open pull requests' numbers, space-separated (empty when none)"
grace=${PREVIEW_SWEEP_GRACE_SECONDS:-900}
[[ "${grace}" =~ ^[0-9]+$ ]] || preview_fail "PREVIEW_SWEEP_GRACE_SECONDS='${grace}' must be seconds"
now=$(preview_now)
is_open() { [[ " ${PREVIEW_OPEN_PRS} " == *" $1 "* ]]; }
failed=0
removed=()
declare -A recorded=()

# Layer 1: the records.
while IFS=$'\t' read -r pr expires; do
  [[ -n "${pr}" ]] || continue
  recorded[${pr}]=1
  if ! is_open "${pr}"; then
    reason="pull request closed"
  elif (( expires <= now )); then
    reason="expired at $(date -u -d "@${expires}" +%Y-%m-%dT%H:%MZ)"
  else
    continue
  fi
  echo "Sweeping the preview of pull request ${pr}: ${reason}"
  if ( preview_teardown "${pr}" ); then removed+=("${pr}"); else
    failed=1; echo "::warning::teardown of pull request ${pr} failed; the next sweep retries"
  fi
done < <(preview_records | jq -r '[.pr, .expires] | @tsv')

# Layer 2: preview-tagged resources, whatever became of their record.
# JSON lines {pr, expires, touched} of every tagged resource of this application.
leftovers() {
  local arns=()
  mapfile -t arns < <(aws elbv2 describe-target-groups --query 'TargetGroups[].TargetGroupArn' \
    --output text | tr '\t' '\n' | grep -E ":targetgroup/pr-[0-9]+-${PREVIEW_APP}/" || true)
  if (( ${#arns[@]} > 0 )); then
    preview_tags_of "${arns[@]}" | jq -c '.tags'
  fi
  local arn
  while read -r arn; do
    [[ -n "${arn}" ]] || continue
    aws ecs list-tags-for-resource --resource-arn "${arn}" --output json |
      jq -c '.tags | map({(.key): .value}) | add // {}'
  done < <(
    aws ecs list-services --cluster "${PREVIEW_CLUSTER}" --query 'serviceArns[]' --output text |
      tr '\t' '\n' | grep -E "/pr-[0-9]+-${PREVIEW_APP}$" || true
    aws ecs list-task-definition-families --family-prefix pr- --query 'families[]' --output text |
      tr '\t' '\n' | grep -E "^pr-[0-9]+-${PREVIEW_APP}$" | while read -r family; do
        for status in ACTIVE INACTIVE; do
          aws ecs list-task-definitions --family-prefix "${family}" --status "${status}" \
            --query 'taskDefinitionArns[]' --output text | tr '\t' '\n'
        done
      done || true
  )
  while read -r arn; do
    [[ -n "${arn}" ]] || continue
    aws logs list-tags-for-resource --resource-arn "${arn%:\*}" --output json | jq -c '.tags'
  done < <(aws logs describe-log-groups --log-group-name-prefix /slipway/previews/pr- \
    --query 'logGroups[].arn' --output text | tr '\t' '\n' |
    grep -E ":log-group:/slipway/previews/pr-[0-9]+-${PREVIEW_APP}(:\*)?$" || true)
}
while IFS=$'\t' read -r pr expires touched; do
  [[ "${pr}" =~ ^[0-9]+$ ]] || continue
  if [[ -n "${recorded[${pr}]:-}" ]]; then
    continue  # layer 1 decided by the record's own expiry (a failed teardown keeps the record)
  fi
  if (( expires > now && touched + grace > now )); then
    echo "Leaving pull request ${pr}'s resources for the next sweep: touched $(( now - touched )) s ago"
    continue
  fi
  echo "Tag sweep: pull request ${pr}'s resources outlived their record or expiry"
  if ( preview_teardown "${pr}" ); then removed+=("${pr}"); else
    failed=1; echo "::warning::tag sweep of pull request ${pr} failed; the next sweep retries"
  fi
done < <(leftovers | jq -r --arg tag "${PREVIEW_TAG}" --arg app "${PREVIEW_APP}" \
  --arg p "${PREVIEW_PR_TAG}" --arg e "${PREVIEW_EXPIRES_TAG}" --arg n "${PREVIEW_TOUCHED_TAG}" '
  select(.[$tag] == $app) | [.[$p], (.[$e] // "0"), (.[$n] // "0")] | @tsv' |
  sort -k1,1n -k3,3nr | sort -u -s -k1,1n)
echo "removed=${removed[*]}" >> "${GITHUB_OUTPUT:-/dev/null}"
exit "${failed}"
