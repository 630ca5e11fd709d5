#!/usr/bin/env bash
set -euo pipefail
# Remove pull request PREVIEW_PR's preview (docs/previews.md): idempotent, each delete tolerant
# of "already gone", the record (listener rule) last, so a teardown that fails half-way is
# finished by running it again or by preview-sweep.sh.
# env: PREVIEW_APP, PREVIEW_PR, PREVIEW_DOMAIN, PREVIEW_LISTENER_ARN, PREVIEW_CLUSTER.
source "$(dirname "${BASH_SOURCE[0]}")/lib/preview.sh"
preview_check_common
preview_check_pr "${PREVIEW_PR:-}"
preview_teardown "${PREVIEW_PR}"
