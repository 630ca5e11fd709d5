#!/usr/bin/env bash
set -euo pipefail
# Trivy reads ./.trivyignore whenever no ignore file is named (its --ignorefile default): a plain
# list of IDs, with no reason and no expiry, that a pull request could add unnoticed. Findings
# are ignored only through IGNORE_FILE, Trivy's YAML ignore file (each entry with a statement and
# an expired_at, after which Trivy reports the finding again), which the code owners review.
if [[ -e .trivyignore ]]; then
  echo "::error file=.trivyignore::.trivyignore is not accepted: move its entries to" \
    "${IGNORE_FILE} (Trivy's YAML ignore file), each with a statement and an expired_at"
  exit 1
fi
if [[ -f "${IGNORE_FILE}" ]]; then
  echo "file=${IGNORE_FILE}" >> "${GITHUB_OUTPUT}"
  echo "Findings listed in ${IGNORE_FILE} are ignored (until their expired_at):"
  cat "${IGNORE_FILE}"
else
  echo "file=" >> "${GITHUB_OUTPUT}"
  echo "No ${IGNORE_FILE}: no finding is ignored"
fi
