#!/usr/bin/env bash
# Print a short-lived PyPI API token for this job, by PyPI's trusted publishing exchange
# (docs.pypi.org, "Publishing with a Trusted Publisher"; the same exchange as
# pypa/gh-action-pypi-publish's oidc-exchange.py): ask PyPI which audience it expects, get a
# GitHub OIDC token for it (the job needs `id-token: write`), and trade it at mint-token.
# The token is masked in the log and valid for 15 minutes. Usage: pypi_token.sh [index-host]
set -euo pipefail

host="${1:-pypi.org}"
: "${ACTIONS_ID_TOKEN_REQUEST_URL:?no OIDC token available: the job needs id-token: write}"
: "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?no OIDC token available: the job needs id-token: write}"

audience="$(curl --fail --silent --show-error "https://$host/_/oidc/audience" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["audience"])')"
oidc="$(curl --fail --silent --show-error --get \
  --header "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
  --data-urlencode "audience=$audience" "$ACTIONS_ID_TOKEN_REQUEST_URL" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["value"])')"
token="$(python3 -c 'import json, sys; print(json.dumps({"token": sys.argv[1]}))' "$oidc" \
  | curl --fail-with-body --silent --show-error --request POST \
      --header "Content-Type: application/json" --data @- "https://$host/_/oidc/mint-token" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
echo "::add-mask::$token" >&2
printf '%s\n' "$token"
