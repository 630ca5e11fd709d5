#!/usr/bin/env bash
# Make the GitHub Release of tag $1 with its CHANGELOG.md section as notes and dist/* attached.
set -euo pipefail

tag="${1:?usage: github_release.sh vX.Y.Z}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
python3 "$root/tooling/release/notes.py" "${tag#v}" < "$root/CHANGELOG.md" > release-notes.md
gh release create "$tag" dist/* --verify-tag --title "Slipway $tag" --notes-file release-notes.md
