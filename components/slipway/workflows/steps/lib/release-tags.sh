# shellcheck shell=bash
# The git tag prefix Changesets gives a package's releases, in the repository's root: `v` in a
# single-package repository, `<name>@` in a workspace (@changesets/git `tool.type === "root"`).
is_workspace() {
  [[ -f pnpm-workspace.yaml ]] || jq -e 'has("workspaces")' package.json >/dev/null
}
tag_prefix() {
  if is_workspace; then
    echo "$1@"
  else
    echo "v"
  fi
}
