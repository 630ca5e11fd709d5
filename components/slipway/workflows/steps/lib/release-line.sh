# shellcheck shell=bash
# Put the release-line branch $1 at the release tag $2 (a tag of that line), through the API
# as the job's token: create it there when it does not exist; fast-forward it when it is an
# ancestor of the tag (never forced); leave it when it holds the tag already or has commits of
# its own (hotfixes). A refused fast-forward is not divergence (`git merge-base --is-ancestor`
# tells them apart): it fails loudly (return 1), naming the branch, the tag and GitHub's answer.
# Needs the tag's history in the checkout (fetch-depth 0).
cut_line() {
  local branch="$1" tag="$2" sha current out
  sha=$(git rev-list -n 1 "${tag}")
  if ! current=$(gh api "repos/${GITHUB_REPOSITORY}/git/ref/heads/${branch}" \
      --jq .object.sha 2>/dev/null); then
    gh api --method POST "repos/${GITHUB_REPOSITORY}/git/refs" \
      -f "ref=refs/heads/${branch}" -f "sha=${sha}" >/dev/null
    echo "Created ${branch} at ${tag} (${sha})"
    return 0
  fi
  if [[ "${current}" == "${sha}" ]]; then
    echo "${branch} is at ${tag} already"
  elif git merge-base --is-ancestor "${tag}" "${current}" 2>/dev/null; then
    echo "${branch} holds ${tag} and hotfixes after it: left where it is"
  elif ! git merge-base --is-ancestor "${current}" "${tag}" 2>/dev/null; then
    echo "::warning::${branch} (${current}) has commits ${tag} lacks: left where it is; a \
hotfix of its line starts from it"
  elif out=$(gh api --method PATCH "repos/${GITHUB_REPOSITORY}/git/refs/heads/${branch}" \
      -f "sha=${sha}" -F force=false 2>&1); then
    echo "Advanced ${branch} to ${tag} (${sha})"
  else
    # A fast-forward (the line is an ancestor of the tag) was refused: not divergence, but a
    # ruleset or a missing permission. The line is behind its highest release.
    echo "::error::${branch} is behind ${tag}, and GitHub refused to fast-forward it: ${out}." \
      "Open a pull request from ${tag} into ${branch}, or move the branch as an actor the" \
      "release-branch ruleset lets update it (docs/runbooks/hotfix.md)"
    return 1
  fi
}

# The branch of the line `<major>.<minor>` ($2) of package $1: `release/1.4.x` in a
# single-package repository, `release/<name>@1.4.x` in a workspace.
line_branch() {
  if is_workspace; then
    echo "release/$1@$2.x"
  else
    echo "release/$2.x"
  fi
}

# The highest stable release of line $2 (`<major>.<minor>`) under tag prefix $1, or nothing.
highest_of_line() {
  released_versions "$1" | awk -v line="$2." 'index($0, line) == 1' | sort -V | tail -n 1
}
