# shellcheck shell=bash
# True when release version $1 precedes $2: X.Y.Z numerically, a pre-release before its release,
# two pre-releases of one X.Y.Z by sort -V.
version_lt() {
  local a="$1" b="$2" core_a="${1%%-*}" core_b="${2%%-*}"
  if [[ "${core_a}" != "${core_b}" ]]; then
    [[ "$(printf '%s\n' "${core_a}" "${core_b}" | sort -V | head -n 1)" == "${core_a}" ]]
    return
  fi
  if [[ "${a}" == "${b}" || "${a}" == "${core_a}" ]]; then
    return 1
  fi
  if [[ "${b}" == "${core_b}" ]]; then
    return 0
  fi
  [[ "$(printf '%s\n' "${a}" "${b}" | sort -V | head -n 1)" == "${a}" ]]
}
