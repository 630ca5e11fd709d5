# shellcheck shell=bash
# Stable versions (X.Y.Z) released under a git tag prefix (`v`, `<name>@`), one per line.
released_versions() {
  local tag candidate
  while IFS= read -r tag; do
    candidate="${tag#"$1"}"
    if [[ "${candidate}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
      echo "${candidate}"
    fi
  done < <(git tag --list "$1*")
}
