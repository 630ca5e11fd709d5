#!/usr/bin/env bash
set -euo pipefail
# Runs when `pulumi up` failed, was cancelled or hit the job's timeout-minutes: a killed up
# leaves its lock in the S3 backend and may leave pending operations in the state. Prints what
# to run, in order (docs/troubleshooting.md, "A killed pulumi up").
stack="@STACK@"
project="$(sed -n 's/^name:[[:space:]]*//p' Pulumi.yaml | head -n 1)"
backend="${BACKEND_URL%%\?*}"
{
  echo "## pulumi up ${stack} did not finish"
  echo
  echo "If the job was cancelled or timed out, the update may still hold its lock and leave"
  echo "pending operations. From a checkout, with the apply role of this environment:"
  echo
  echo '```sh'
  echo "pulumi login '${BACKEND_URL}'"
  echo "pulumi stack select ${stack}"
  echo "# 1. the lock: only when no other up of ${stack} runs (this workflow runs one at a time)"
  echo "pulumi cancel --stack ${stack} --yes"
  echo "#    (it deletes ${backend}/.pulumi/locks/organization/${project}/${stack}/*.json)"
  echo "# 2. pending operations: refresh; for each resource 'interrupted while creating',"
  echo "#    look it up in AWS; if it exists, adopt it:"
  echo "pulumi refresh --stack ${stack} --yes --import-pending-creates '<urn>' --import-pending-creates '<id>'"
  echo "#    if it does not, drop the pending creates:"
  echo "pulumi refresh --stack ${stack} --yes --clear-pending-creates"
  echo "# 3. then re-run this job: the next up continues where this one stopped"
  echo '```'
} | tee -a "$GITHUB_STEP_SUMMARY"
