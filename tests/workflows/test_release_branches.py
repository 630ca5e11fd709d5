"""Hotfixes from release branches: the same automated chain as the default branch, without moving
``latest`` (npm dist-tag, GitHub Release, image tags) back to an older line.

The shell steps are taken from the rendered ``release.yml`` and run under bash in a scratch git
repository (its tags are the release history) with a fake ``gh``; ``if:`` conditions and
concurrency groups are evaluated the way GitHub does for the subset of expressions they use.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from slipway.workflows import ReleaseTokenMode, load_yaml, render_workflow_files
from slipway.workflows.release import (
    DECIDE_STEP,
    PUBLISH_SCRIPT,
    RELEASE_BRANCH_PATTERNS,
)
from tests.workflows.conftest import SPECS, tool, tool_env

RELEASE = ".github/workflows/release.yml"
DOCKER = ".github/workflows/docker.yml"
DEPLOY = ".github/workflows/deploy.yml"
REPOSITORY = "acme/storefront"
NOT_RELEASE_BRANCHES = (
    "main",
    "release/notes",
    "release/1.4.x/extra",
    "release/v1.4.2",
    "changeset-release/release/1.4.x",
    "changeset-release/main",
    "feature/release/1.4.x",
    "hotfix/1.4.3",
)
"""Branch names no release-branch filter may match (the version pull request's own branch
``changeset-release/<branch>`` above all: a push to it must not publish)."""


# --------------------------------------------------------------------------------------------
# Helpers: rendered workflows, GitHub's pattern and expression semantics, script runner
# --------------------------------------------------------------------------------------------


def _workflow(name: str, path: str) -> Any:
    return load_yaml(render_workflow_files(SPECS[name])[path])


def _release_step(name: str, job: str, *, id_: str | None = None, title: str | None = None) -> Any:
    steps = _workflow(name, RELEASE)["jobs"][job]["steps"]
    return next(s for s in steps if (id_ and s.get("id") == id_) or s["name"] == title)


BRANCH_STEP = "Create or advance the release-line branches"
LATEST_STEP = "Keep the newest GitHub Release marked latest"


def _filter_regex(pattern: str) -> re.Pattern[str]:
    """GitHub Actions branch filter syntax (``*`` never matches ``/``, ``**`` does)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        elif pattern[i] in "?+!":
            raise AssertionError(f"{pattern}: the helper does not model {pattern[i]!r}")
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def filter_matches(patterns: tuple[str, ...] | list[str], branch: str) -> bool:
    """Whether ``branch`` matches one of ``patterns`` as an ``on.*.branches`` filter."""
    return any(_filter_regex(p).fullmatch(branch) for p in patterns)


def policy_matches(patterns: tuple[str, ...], branch: str) -> bool:
    """Ruby ``File.fnmatch`` with ``FNM_PATHNAME`` (environment policies, rulesets): ``*`` and
    ``?`` never match ``/``, ``[...]`` is a character class; no ``**`` in the patterns this
    helper accepts."""
    for pattern in patterns:
        assert "**" not in pattern, pattern
        regex, i = "", 0
        while i < len(pattern):
            if pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1], end + 1
                continue
            c = pattern[i]
            regex += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
            i += 1
        if re.fullmatch(regex, branch):
            return True
    return False


_EXPRESSION_TOKENS = re.compile(
    r"\s+|\(|\)|&&|\|\||==|!=|'[^']*'|[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+"
)


def evaluate(condition: str, context: dict[str, str]) -> bool:
    """Evaluate an ``if:`` built from context lookups, string literals, ``==``/``!=``,
    ``&&``/``||`` and parentheses; an unset output is ``''``, as on GitHub."""
    pieces: list[str] = []
    position = 0
    for match in _EXPRESSION_TOKENS.finditer(condition):
        assert match.start() == position, f"unsupported expression: {condition[position:]}"
        token = match.group()
        position = match.end()
        if token.strip() == "":
            continue
        if token == "&&":
            pieces.append(" and ")
        elif token == "||":
            pieces.append(" or ")
        elif token in ("==", "!=", "(", ")") or token.startswith("'"):
            pieces.append(token)
        else:
            pieces.append(repr(context.get(token, "")))
    assert position == len(condition), f"unsupported expression: {condition[position:]}"
    return bool(eval("".join(pieces), {"__builtins__": {}}, {}))  # noqa: S307 - tokens checked


def substitute(text: str, context: dict[str, str]) -> str:
    """Replace each ``${{ name }}`` lookup in ``text`` with its value from ``context``."""

    def value(match: re.Match[str]) -> str:
        return context[match.group(1)]

    return re.sub(r"\$\{\{\s*([a-z][a-z0-9_.-]*)\s*\}\}", value, text)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            tool("git"),
            *("-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"),
            *("-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"),
            *args,
        ],
        env=tool_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def make_repo(root: Path, files: dict[str, Any], tags: list[str]) -> Path:
    """A git repository holding ``files`` (JSON-dumped when not str) at one commit, tagged."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else json.dumps(content))
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "release")
    for tag in tags:
        git(root, "tag", tag)
    return root


def fake_gh(bin_dir: Path, log: Path, body: str) -> None:
    """A ``gh`` that appends its arguments (one per line, then ``--``) to ``log``, then runs
    ``body`` (bash, arguments in ``$@``)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" -- >> "{log}"\n{body}\n')
    gh.chmod(0o755)


def run_step(
    step: dict[str, Any], cwd: Path, env: dict[str, str], bin_dir: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run a step's ``run:`` under bash with ``env`` and ``$GITHUB_OUTPUT``; its outputs."""
    output = cwd.parent / f"{cwd.name}-output"
    output.write_text("")
    full = tool_env()
    full.update(env)
    full["PATH"] = f"{bin_dir}:{full['PATH']}"
    full["GITHUB_OUTPUT"] = str(output)
    full.setdefault("GITHUB_REPOSITORY", REPOSITORY)
    done = subprocess.run(
        [tool("bash"), "-c", step["run"]],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, outputs


def gh_calls(log: Path) -> list[list[str]]:
    """The argument lists ``fake_gh`` recorded."""
    if not log.exists():
        return []
    calls: list[list[str]] = []
    current: list[str] = []
    for line in log.read_text().splitlines():
        if line == "--":
            calls.append(current)
            current = []
        else:
            current.append(line)
    return calls


# --------------------------------------------------------------------------------------------
# Triggers: main and exactly the release-line branches release.yml creates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_release_runs_on_the_default_branch_and_the_release_branches(name: str) -> None:
    spec = SPECS[name]
    branches = _workflow(name, RELEASE)["on"]["push"]["branches"]
    assert branches == [spec.default_branch, *RELEASE_BRANCH_PATTERNS]
    assert filter_matches(branches, spec.default_branch)
    for other in NOT_RELEASE_BRANCHES[1:]:
        assert not filter_matches(branches, other), other
    # Pull requests into a release line (the hotfix and its version pull request) get the same
    # image checks as pull requests into main, so a ruleset can require them there too.
    docker = _workflow(name, DOCKER)
    assert docker["on"]["pull_request"]["branches"] == branches
    assert "branches" not in docker["on"]["workflow_call"]


def _published(*packages: tuple[str, str]) -> str:
    return json.dumps([{"name": n, "version": v} for n, v in packages])


def make_history(root: Path, files: dict[str, Any], tags: list[str]) -> dict[str, str]:
    """A repository with one commit per tag, in order (each tag on its own commit); the commit
    of each tag."""
    make_repo(root, files, [])
    commits: dict[str, str] = {}
    for tag in tags:
        git(root, "commit", "-q", "--allow-empty", "-m", tag)
        git(root, "tag", tag)
        commits[tag] = git(root, "rev-parse", "HEAD").strip()
    return commits


def _ref_gh(refs: dict[str, str], patch: str = "exit 1") -> str:
    """A fake ``gh`` body: ``git/ref/heads/<branch>`` answers from ``refs`` (404 otherwise),
    a POST succeeds, a PATCH runs ``patch``."""
    cases = "".join(
        f'  "api repos/acme/storefront/git/ref/heads/{branch} --jq .object.sha") echo {sha};;\n'
        for branch, sha in refs.items()
    )
    return (
        'case "$*" in\n'
        + cases
        + "  \"api repos/acme/storefront/git/ref/heads/\"*) echo 'HTTP 404' >&2; exit 1;;\n"
        + '  "api --method POST "*) ;;\n'
        + f'  "api --method PATCH "*) {patch};;\n'
        + "  *) exit 2;;\n"
        + "esac"
    )


def _branches_step(
    tmp_path: Path, repo: Path, published: str, gh_body: str
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    step = _release_step("default", "housekeeping", title=BRANCH_STEP)
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, gh_body)
    env = {"PUBLISHED_PACKAGES": published, "GH_TOKEN": "t"}
    done, _ = run_step(step, repo, env, tmp_path / "bin")
    return done, gh_calls(log)


def _created(calls: list[list[str]]) -> list[str]:
    return [
        arg.removeprefix("ref=refs/heads/") + "@" + call[-1].removeprefix("sha=")
        for call in calls
        if call[:3] == ["api", "--method", "POST"]
        for arg in call
        if arg.startswith("ref=refs/heads/")
    ]


def test_a_line_is_cut_at_its_highest_release_when_the_default_branch_leaves_it(
    tmp_path: Path,
) -> None:
    """1.5.0 leaves the 1.4 line: ``release/1.4.x`` is created at v1.4.2, the highest 1.4
    release, so a 1.4 hotfix starts from all of 1.4 and its version (1.4.3) is free. A release
    within the line the default branch is on cuts nothing; a pre-release opens no line."""
    commits = make_history(
        tmp_path / "repo", {"README.md": "x\n"}, ["v1.4.0", "v1.4.2", "v1.5.0", "v1.5.1"]
    )
    done, calls = _branches_step(
        tmp_path,
        tmp_path / "repo",
        _published(("storefront", "1.5.0"), ("storefront", "1.6.0-rc.1")),
        _ref_gh({}),
    )
    assert done.returncode == 0, done.stderr
    assert _created(calls) == [f"release/1.4.x@{commits['v1.4.2']}"]
    assert "storefront@1.6.0-rc.1 is a pre-release" in done.stdout
    # 1.5.1 stays in the 1.5 line: the 1.4 line exists at its highest release; nothing moves.
    done, calls = _branches_step(
        tmp_path / "again",
        tmp_path / "repo",
        _published(("storefront", "1.5.1")),
        _ref_gh({"release/1.4.x": commits["v1.4.2"]}),
    )
    assert done.returncode == 0, done.stderr
    assert "release/1.4.x is at v1.4.2 already" in done.stdout
    assert not [c for c in calls if c[1:3] in (["--method", "POST"], ["--method", "PATCH"])]
    branches = _workflow("default", RELEASE)["on"]["push"]["branches"]
    for branch in ("release/1.4.x", "release/@acme/ui@2.0.x", "release/shop@3.0.x"):
        assert filter_matches(branches, branch), branch
        # The same patterns, as environment policies and ruleset conditions read them.
        assert policy_matches(RELEASE_BRANCH_PATTERNS, branch), branch
    for other in NOT_RELEASE_BRANCHES:
        assert not filter_matches(RELEASE_BRANCH_PATTERNS, other), other
        assert not policy_matches(RELEASE_BRANCH_PATTERNS, other), other


def test_a_workspace_cuts_one_line_per_package(tmp_path: Path) -> None:
    files = {
        "package.json": {"name": "root", "private": True},
        "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    }
    commits = make_history(
        tmp_path / "repo", files, ["@acme/ui@2.0.3", "shop@2.9.0", "@acme/ui@2.1.0", "v9.0.0"]
    )
    done, calls = _branches_step(
        tmp_path,
        tmp_path / "repo",
        _published(("@acme/ui", "2.1.0"), ("shop", "3.0.0")),
        _ref_gh({}),
    )
    assert done.returncode == 0, done.stderr
    assert _created(calls) == [
        f"release/@acme/ui@2.0.x@{commits['@acme/ui@2.0.3']}",
        f"release/shop@2.9.x@{commits['shop@2.9.0']}",
    ]


@pytest.mark.parametrize(
    ("line_at", "patch", "code", "message", "patched"),
    [
        # Behind its highest release (an ancestor of v1.4.2) and the ruleset refuses the
        # fast-forward: not divergence; the step fails loudly and says what to do.
        (
            "v1.4.0",
            "echo 'HTTP 422: Repository rule violations found' >&2; exit 1",
            1,
            "::error::release/1.4.x is behind v1.4.2, and GitHub refused to fast-forward it: "
            "HTTP 422: Repository rule violations found",
            True,
        ),
        # The same fast-forward, allowed.
        ("v1.4.0", ":", 0, "Advanced release/1.4.x to v1.4.2", True),
        # Hotfix commits the tag lacks: divergence, never forced, never an error.
        ("hotfix", "exit 1", 0, "::warning::release/1.4.x", False),
        # Past its highest release already (a hotfix merged, not released yet): left alone.
        ("after", "exit 1", 0, "release/1.4.x holds v1.4.2 and hotfixes after it", False),
    ],
)
def test_a_refused_fast_forward_is_told_apart_from_divergence(
    tmp_path: Path, line_at: str, patch: str, code: int, message: str, patched: bool
) -> None:
    repo = tmp_path / "repo"
    commits = make_history(repo, {"README.md": "x\n"}, ["v1.4.0", "v1.4.2", "v1.5.0"])
    git(repo, "checkout", "-q", "-b", "line", "v1.4.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "hotfix off 1.4.0")
    commits["hotfix"] = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "later", "v1.4.2")
    git(repo, "commit", "-q", "--allow-empty", "-m", "hotfix after 1.4.2")
    commits["after"] = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    done, calls = _branches_step(
        tmp_path,
        repo,
        _published(("storefront", "1.5.0")),
        _ref_gh({"release/1.4.x": commits[line_at]}, patch),
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stdout
    patches = [c for c in calls if c[:3] == ["api", "--method", "PATCH"]]
    # A fast-forward only: force=false, to the tag's commit.
    expected = [
        [
            *("api", "--method", "PATCH", "repos/acme/storefront/git/refs/heads/release/1.4.x"),
            *("-f", f"sha={commits['v1.4.2']}", "-F", "force=false"),
        ]
    ]
    assert patches == (expected if patched else [])


# --------------------------------------------------------------------------------------------
# Step conditions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_only_the_default_branch_creates_release_branches(name: str) -> None:
    condition = _release_step(name, "housekeeping", title=BRANCH_STEP)["if"]
    assert evaluate(condition, {"github.ref": "refs/heads/main"})
    for ref in ("release/1.4.x", "release/@acme/storefront@1.4.x"):
        assert not evaluate(condition, {"github.ref": f"refs/heads/{ref}"})


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_latest_github_release_is_restored_only_after_an_older_line_published(
    name: str,
) -> None:
    step = _release_step(name, "housekeeping", title=LATEST_STEP)
    dist_tag = "needs.mode.outputs.dist-tag"
    latest = "needs.mode.outputs.latest-release-id"
    assert evaluate(step["if"], {dist_tag: "release-1.4", latest: "42"})
    assert not evaluate(step["if"], {dist_tag: "", latest: ""})
    assert not evaluate(step["if"], {dist_tag: "release-1.4", latest: ""})
    assert step["env"]["LATEST_RELEASE_ID"] == "${{ " + latest + " }}"
    # The step runs only when the job's steps before it succeeded: after a real publish.
    assert "always()" not in step["if"]


def test_restoring_the_latest_release_patches_make_latest(tmp_path: Path) -> None:
    step = _release_step("default", "housekeeping", title=LATEST_STEP)
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, "echo v1.6.0")
    work = tmp_path / "work"
    work.mkdir()
    done, _ = run_step(step, work, {"LATEST_RELEASE_ID": "42", "GH_TOKEN": "t"}, tmp_path / "bin")
    assert done.returncode == 0, done.stderr
    assert gh_calls(log) == [
        [
            "api",
            "--method",
            "PATCH",
            "repos/acme/storefront/releases/42",
            "-f",
            "make_latest=true",
            "--jq",
            ".tag_name",
        ]
    ]
    assert "v1.6.0 stays the latest GitHub Release" in done.stdout


@pytest.mark.parametrize("name", sorted(SPECS))
def test_publish_runs_the_delivered_script_on_the_tested_tarballs(name: str) -> None:
    step = _release_step(name, "publish", id_="publish")
    assert step["with"]["script"] == PUBLISH_SCRIPT
    assert step["env"]["NPM_DIST_TAG"] == "${{ needs.mode.outputs.dist-tag }}"
    download = _release_step(name, "publish", title="Download the tested tarballs")
    assert download["with"]["artifact-ids"] == "${{ needs.pack.outputs.pack-dir-artifact-id }}"
    assert download["with"]["path"] == step["env"]["PACK_DIR"]
    pack = _release_step(name, "pack", id_="pack")
    assert pack["with"] == {
        "publish-plan-artifact-id": "${{ needs.mode.outputs.publish-plan-artifact-id }}"
    }


# --------------------------------------------------------------------------------------------
# Decisions before publishing: what is released, its dist-tag and the image's floating tags
# --------------------------------------------------------------------------------------------


SINGLE = {"package.json": {"name": "@acme/storefront", "version": "1.4.3"}}
WORKSPACE_FILE = {"pnpm-workspace.yaml": "packages:\n  - packages/*\n  - apps/*\n"}
MONOREPO = {
    "package.json": {"name": "root", "private": True},
    **WORKSPACE_FILE,
    "packages/ui/package.json": {"name": "@acme/ui", "version": "2.0.1"},
    "packages/api/package.json": {"name": "@acme/api", "version": "5.0.0"},
    "fixtures/broken/package.json": "{ not json",
}


def _decide(
    tmp_path: Path,
    files: dict[str, Any],
    tags: list[str],
    ref: str,
    *,
    mode: str = "publish",
    image_package: str = "",
    plan: list[tuple[str, str]] | None = None,
    created: str = "false",
    gh_body: str = '[[ "$*" == "api repos/acme/storefront/releases/latest --jq .id" ]] && echo 77',
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[list[str]]]:
    step = _release_step("default", "mode", id_=DECIDE_STEP)
    repo = make_repo(tmp_path / "repo", files, tags)
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, gh_body)
    # Where select-mode writes its publish plan: the packages Changesets manages, each at the
    # version of its manifest (tests/release runs the real CLI for what lands in the plan).
    runner_temp = tmp_path / "runner-temp"
    plan_file = runner_temp / "changeset-publish-plan-1765000000000" / "publish-plan.json"
    plan_file.parent.mkdir(parents=True)
    if plan is None:
        plan = [
            (manifest["name"], manifest["version"])
            for path, manifest in files.items()
            if path.endswith("package.json") and isinstance(manifest, dict)
            if "version" in manifest
        ]
    entries = [{"kind": "publish", "name": n, "version": v, "tag": "latest"} for n, v in plan]
    plan_file.write_text(json.dumps({"version": 1, "plan": [entries]}))
    env = {
        "MODE": mode,
        "IMAGE_PACKAGE": image_package,
        "DEFAULT_BRANCH": "main",
        "GITHUB_REF_NAME": ref,
        "GH_TOKEN": "t",
        "CREATED": created,
        "RUNNER_TEMP": str(runner_temp),
    }
    done, outputs = run_step(step, repo, env, tmp_path / "bin")
    return done, outputs, gh_calls(log)


@pytest.mark.parametrize(
    ("files", "tags", "ref", "expected_tag"),
    [
        # A 1.4.3 hotfix while 1.6.0 is released: latest stays on 1.6.0.
        (SINGLE, ["v1.4.2", "v1.6.0"], "release/1.4.x", "release-1.4"),
        # The same files on the default branch: Changesets' own choice, untouched.
        (SINGLE, ["v1.4.2", "v1.6.0"], "main", ""),
        # A hotfix of the newest line is the highest version: it takes latest, or `^1.6.0`
        # would keep resolving to the unpatched 1.6.0 (npm prefers the latest dist-tag).
        (
            {"package.json": {"name": "@acme/storefront", "version": "1.6.1"}},
            ["v1.4.2", "v1.6.0"],
            "release/1.6.x",
            "",
        ),
        # Version numbers compare as numbers: 1.10.0 is newer than 1.9.0.
        (
            {"package.json": {"name": "@acme/storefront", "version": "1.10.1"}},
            ["v1.9.0", "v1.10.0"],
            "release/1.10.x",
            "",
        ),
        # Monorepo: the ui hotfix 2.0.1 is older than ui 2.1.0; api 5.0.0 is released already.
        (
            MONOREPO,
            ["@acme/ui@2.0.0", "@acme/ui@2.1.0", "@acme/api@4.0.0", "@acme/api@5.0.0"],
            "release/@acme/ui@2.0.x",
            "release-2.0",
        ),
        # Monorepo, newest line of every package being published: latest.
        (MONOREPO, ["@acme/ui@2.0.0", "@acme/api@5.0.0"], "release/@acme/ui@2.0.x", ""),
    ],
)
def test_npm_dist_tag(
    tmp_path: Path, files: dict[str, Any], tags: list[str], ref: str, expected_tag: str
) -> None:
    image_package = "@acme/ui" if files is MONOREPO else ""
    done, outputs, calls = _decide(tmp_path, files, tags, ref, image_package=image_package)
    assert done.returncode == 0, done.stderr
    assert outputs["dist-tag"] == expected_tag
    if expected_tag:
        assert outputs["latest-release-id"] == "77"
        # npm refuses a dist-tag that parses as a semver range (`1.4`, `v1.4`).
        assert re.fullmatch(r"release-\d+\.\d+", expected_tag)
        assert f"npm dist-tag {expected_tag}" in done.stdout
    else:
        assert "latest-release-id" not in outputs
        assert calls == []


def test_npm_dist_tag_without_a_latest_release(tmp_path: Path) -> None:
    done, outputs, _ = _decide(
        tmp_path,
        SINGLE,
        ["v1.4.2", "v1.6.0"],
        "release/1.4.x",
        gh_body="echo 'HTTP 404: Not Found' >&2; exit 1",
    )
    assert done.returncode == 0, done.stderr
    assert outputs["dist-tag"] == "release-1.4"
    assert "latest-release-id" not in outputs


def test_a_release_branch_push_that_releases_nothing_fails_loudly(tmp_path: Path) -> None:
    done, outputs, _ = _decide(tmp_path, SINGLE, [], "release/1.4.x", mode="none")
    assert done.returncode == 1
    assert "releases nothing" in done.stdout
    assert "needs a changeset" in done.stdout
    assert outputs == {}
    # On the default branch a push without changesets is ordinary.
    done, outputs, _ = _decide(tmp_path / "main", SINGLE, ["v1.4.3"], "main", mode="none")
    assert done.returncode == 0, done.stderr
    assert outputs == {}


@pytest.mark.parametrize(
    ("tags", "created", "how"),
    [
        # The push that creates release/1.4.x at v1.4.3 (the app's token starts workflows).
        (["v1.4.3"], "true", "was created or moved to v1.4.3"),
        # A line created on a commit no tag names (by hand, say), still only a creation.
        ([], "true", "was created or moved to a released commit"),
        # A push that moves a line to a released commit (a fast-forward to v1.4.3).
        (["v1.4.3"], "false", "was created or moved to v1.4.3"),
        # A workspace package's tag names the commit.
        (["@acme/ui@2.0.1"], "false", "was created or moved to @acme/ui@2.0.1"),
    ],
)
def test_a_push_that_only_creates_or_moves_a_line_is_a_green_no_op(
    tmp_path: Path, tags: list[str], created: str, how: str
) -> None:
    """Defect 2: from the first real release on, the line the release creates started a
    Release run that failed in ``mode`` and reported a false failure."""
    done, outputs, calls = _decide(
        tmp_path, MONOREPO, tags, "release/1.4.x", mode="none", created=created
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"release/1.4.x {how}: nothing new to release." in done.stdout
    assert "::error::" not in done.stdout
    assert outputs == {}
    assert calls == []
    # The step gets the push event's `created` flag.
    step = _release_step("default", "mode", id_=DECIDE_STEP)
    assert step["env"]["CREATED"] == "${{ github.event.created }}"


def test_a_single_package_images_its_root_package_not_another_manifest(tmp_path: Path) -> None:
    """Defect 1: the first untagged semver manifest in ``git ls-files`` order (``docs/`` sorts
    before ``package.json``) named the image. The plan holds only what Changesets manages, and
    an unset ``IMAGE_PACKAGE`` is the root package of a single-package repository."""
    files = {
        **SINGLE,
        "docs/package.json": {"name": "storefront-docs", "version": "0.3.0"},
        "examples/basic/package.json": {"name": "basic-example", "version": "9.9.9"},
    }
    done, outputs, _ = _decide(
        tmp_path, files, ["v1.4.2"], "main", plan=[("@acme/storefront", "1.4.3")]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["version"] == "1.4.3"
    assert "Image @acme/storefront@1.4.3" in done.stdout


@pytest.mark.parametrize("mode", ["publish", "version", "none"])
def test_a_workspace_must_name_its_image_package(tmp_path: Path, mode: str) -> None:
    done, outputs, _ = _decide(tmp_path, MONOREPO, [], "main", mode=mode)
    assert done.returncode == 1
    assert "slipway:imagePackage is unset" in done.stdout
    assert "version" not in outputs


def test_version_mode_decides_nothing(tmp_path: Path) -> None:
    done, outputs, calls = _decide(tmp_path, SINGLE, [], "main", mode="version")
    assert done.returncode == 0, done.stderr
    assert outputs == {}
    assert calls == []


@pytest.mark.parametrize(
    ("package", "version", "tags", "latest", "minor"),
    [
        ("storefront", "1.6.0", ["v1.4.2", "v1.5.0"], "true", "true"),
        # The 1.4.3 hotfix: 1.4 moves to it, latest stays on 1.6.0.
        ("storefront", "1.4.3", ["v1.4.2", "v1.6.0"], "false", "true"),
        # A 1.4.3 after 1.4.5 (a skipped number) moves nothing backwards.
        ("storefront", "1.4.3", ["v1.4.5", "v1.6.0"], "false", "false"),
        # A hotfix of the newest line moves both.
        ("storefront", "1.6.1", ["v1.4.2", "v1.6.0"], "true", "true"),
        ("storefront", "1.10.0", ["v1.9.0"], "true", "true"),
        # Pre-releases never float.
        ("storefront", "1.7.0-rc.1", ["v1.6.0"], "false", "false"),
    ],
)
def test_image_floating_tags(
    tmp_path: Path, package: str, version: str, tags: list[str], latest: str, minor: str
) -> None:
    files = {"package.json": {"name": package, "version": version}}
    done, outputs, _ = _decide(tmp_path, files, tags, "main")
    assert done.returncode == 0, done.stderr
    assert outputs == {
        "dist-tag": "",
        "version": version,
        "tag-latest": latest,
        "tag-minor": minor,
    }


def test_monorepo_floating_tags_count_only_the_image_package(tmp_path: Path) -> None:
    files = {
        "package.json": {"name": "root", "private": True},
        **WORKSPACE_FILE,
        "apps/web/package.json": {"name": "@acme/storefront", "version": "1.6.1"},
        "packages/ui/package.json": {"name": "@acme/ui", "version": "9.0.0"},
    }
    tags = ["@acme/storefront@1.6.0", "@acme/ui@9.0.0", "v9.9.9"]
    done, outputs, _ = _decide(tmp_path, files, tags, "main", image_package="@acme/storefront")
    assert done.returncode == 0, done.stderr
    assert (outputs["version"], outputs["tag-latest"], outputs["tag-minor"]) == (
        "1.6.1",
        "true",
        "true",
    )


def test_the_image_follows_the_image_package_only(tmp_path: Path) -> None:
    step = _release_step("default", "mode", id_=DECIDE_STEP)
    assert step["env"]["IMAGE_PACKAGE"] == "@acme/storefront"
    files = {
        "package.json": {"name": "root", "private": True},
        **WORKSPACE_FILE,
        "packages/ui/package.json": {"name": "@acme/ui", "version": "3.0.0"},
        "apps/web/package.json": {"name": "@acme/storefront", "version": "1.4.3"},
    }
    done, outputs, _ = _decide(tmp_path, files, [], "main", image_package="@acme/storefront")
    assert done.returncode == 0, done.stderr
    assert outputs["version"] == "1.4.3"
    # A release that does not include the image package builds no image and deploys nothing.
    done, outputs, _ = _decide(
        tmp_path / "ui-only",
        files,
        ["@acme/storefront@1.4.3"],
        "main",
        image_package="@acme/storefront",
    )
    assert done.returncode == 0, done.stderr
    assert "version" not in outputs
    assert "not part of this release" in done.stdout


def metadata_tags(metadata: dict[str, str], inputs: dict[str, str], sha: str) -> set[str]:
    """The GHCR tags docker/metadata-action derives from the rendered ``flavor``/``tags`` for a
    ``workflow_call`` run (no git tag ref): ``type=semver`` with ``value`` renders its pattern,
    pre-releases render the full version only, ``enable=false`` drops an entry, and
    ``flavor latest=true`` adds ``latest`` (``auto`` would add it for any stable version)."""
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    flavor = dict(
        line.split("=", 1) for line in substitute(metadata["flavor"], context).splitlines()
    )
    assert flavor["latest"] in ("true", "false"), flavor  # never metadata-action's `auto`
    result: set[str] = set()
    for line in substitute(metadata["tags"], context).splitlines():
        attrs: dict[str, str] = {}
        for part in line.split(","):
            key, _, value = part.partition("=")
            attrs[key] = value
        if attrs.get("enable", "true") == "false":
            continue
        if attrs["type"] == "sha":
            result.add(f"sha-{sha[:7]}")
            continue
        assert attrs["type"] == "semver", line
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(-.+)?", attrs["value"])
        assert match, attrs["value"]
        major, minor, patch, pre = match.groups()
        if pre:
            result.add(attrs["value"])
        else:
            rendered = attrs["pattern"].replace("{{version}}", attrs["value"])
            rendered = rendered.replace("{{major}}", major).replace("{{minor}}", minor)
            result.add(rendered.replace("{{patch}}", patch))
    if flavor["latest"] == "true":
        result.add("latest")
    return result


@pytest.mark.parametrize("name", sorted(SPECS))
def test_docker_tags_follow_the_release_decision(name: str) -> None:
    docker = _workflow(name, DOCKER)
    inputs = docker["on"]["workflow_call"]["inputs"]
    for key in ("tag-latest", "tag-minor"):
        assert (inputs[key]["type"], inputs[key]["default"]) == ("boolean", False)
    release = _workflow(name, RELEASE)
    for job_id, stage in (("image", "verify"), ("image-publish", "publish")):
        assert release["jobs"][job_id]["with"] == {
            "stage": stage,
            "version": "${{ needs.mode.outputs.version }}",
            "tag-latest": "${{ needs.mode.outputs.tag-latest == 'true' }}",
            "tag-minor": "${{ needs.mode.outputs.tag-minor == 'true' }}",
        }
    job_outputs = release["jobs"]["mode"]["outputs"]
    assert job_outputs["tag-latest"] == f"${{{{ steps.{DECIDE_STEP}.outputs.tag-latest }}}}"
    assert job_outputs["tag-minor"] == f"${{{{ steps.{DECIDE_STEP}.outputs.tag-minor }}}}"
    sha = "0123456789abcdef"
    for job_id in ("build", "merge"):
        step = next(s for s in docker["jobs"][job_id]["steps"] if s.get("id") == "meta")
        meta = step["with"]

        def tags(version: str, latest: bool, minor: bool, meta: dict[str, str] = meta) -> set[str]:
            values = {"version": version, "tag-latest": str(latest).lower()}
            values["tag-minor"] = str(minor).lower()
            return metadata_tags(meta, values, sha)

        assert tags("1.6.0", True, True) == {"1.6.0", "1.6", "latest", "sha-0123456"}
        # The 1.4.3 hotfix while 1.6.0 is out: latest stays put, 1.4 moves to the hotfix.
        assert tags("1.4.3", False, True) == {"1.4.3", "1.4", "sha-0123456"}
        assert tags("1.4.3", False, False) == {"1.4.3", "sha-0123456"}
        assert tags("1.7.0-rc.1", False, False) == {"1.7.0-rc.1", "sha-0123456"}


# --------------------------------------------------------------------------------------------
# Concurrency: per branch for the chain
# --------------------------------------------------------------------------------------------


def _group(workflow: dict[str, Any], ref: str, inputs: dict[str, str] | None = None) -> str:
    context = {"github.ref": f"refs/heads/{ref}", "github.event_name": "push"}
    for key, value in (inputs or {}).items():
        context[f"inputs.{key}"] = value
    group = workflow["concurrency"]["group"]
    # `a || b` inside one lookup: the first non-empty value, as GitHub evaluates it.
    group = re.sub(
        r"\$\{\{ ([a-z.-]+) \|\| ([a-z._-]+) \}\}",
        lambda m: context.get(m.group(1)) or context.get(m.group(2), ""),
        group,
    )
    return re.sub(r"\$\{\{ ([a-z._-]+) \}\}", lambda m: context.get(m.group(1), ""), group)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_release_branch_run_never_shares_a_workflow_group_with_main(name: str) -> None:
    for path in (RELEASE, DOCKER):
        workflow = _workflow(name, path)
        main = _group(workflow, "main")
        hotfix = _group(workflow, "release/1.4.x")
        other = _group(workflow, "release/1.5.x")
        assert len({main, hotfix, other}) == 3, path
        cancel = workflow["concurrency"]["cancel-in-progress"]
        if isinstance(cancel, str):  # docker.yml cancels only superseded pull request runs
            expression = cancel.removeprefix("${{ ").removesuffix(" }}")
            cancel = evaluate(expression, {"github.event_name": "push"})
        assert cancel is False, path
    # Deploys into one environment share one service: they run one at a time whichever branch
    # they come from, and a pending deploy waits its turn instead of being cancelled. deploy.yml
    # has no workflow-level group at all (components/slipway/workflows/deploy.py).
    deploy = _workflow(name, DEPLOY)
    assert "concurrency" not in deploy
    for environment in SPECS[name].environments:
        job = deploy["jobs"][f"deploy-{environment}"]
        assert job["concurrency"] == {
            "group": f"deploy-{environment}",
            "cancel-in-progress": False,
            "queue": "max",
        }


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_two_image_stages_of_a_release_never_wait_for_each_other(name: str) -> None:
    """release.yml calls docker.yml twice in one run, and the cache-warming push run of the same
    commit runs beside them: three distinct groups, so no call is queued behind (or cancelled
    as a pending run by) another."""
    docker = _workflow(name, DOCKER)
    verify = _group(docker, "main", {"version": "1.4.3", "stage": "verify"})
    publish = _group(docker, "main", {"version": "1.4.3", "stage": "publish"})
    warm = _group(docker, "main")
    assert len({verify, publish, warm}) == 3


@pytest.mark.parametrize("name", sorted(SPECS))
def test_only_an_older_line_release_is_deployed_as_a_hotfix(name: str) -> None:
    # A hotfix may downgrade only within its line; never with allow-downgrade, which would take
    # every environment back across lines (test_deploy_scripts.py, the hotfix tests).
    (step,) = _workflow(name, RELEASE)["jobs"]["deploy"]["steps"]
    hotfix = step["env"]["HOTFIX"].removeprefix("${{ ").removesuffix(" }}")
    assert evaluate(hotfix, {"needs.mode.outputs.dist-tag": "release-1.4"})
    assert not evaluate(hotfix, {"needs.mode.outputs.dist-tag": ""})
    assert "allow-downgrade" not in step["run"]
    inputs = _workflow(name, DEPLOY)["on"]["workflow_dispatch"]["inputs"]
    assert inputs["hotfix"]["type"] == inputs["allow-downgrade"]["type"] == "boolean"


# --------------------------------------------------------------------------------------------
# release-line.yml: a line on demand, at its highest release
# --------------------------------------------------------------------------------------------

RELEASE_LINE = ".github/workflows/release-line.yml"


def _line_step(name: str = "default") -> Any:
    return _workflow(name, RELEASE_LINE)["jobs"]["cut"]["steps"][-1]


@pytest.mark.parametrize(
    ("files", "tags", "line", "branch", "at"),
    [
        # The line the default branch is on (1.6.2 released, 1.7.0 only as a pre-release).
        (SINGLE, ["v1.6.0", "v1.6.2", "v1.7.0-rc.1", "v1.60.0"], "1.6", "release/1.6.x", "v1.6.2"),
        # The package's own name may be given too.
        (SINGLE, ["v1.6.0"], "@acme/storefront@1.6", "release/1.6.x", "v1.6.0"),
        (
            MONOREPO,
            ["@acme/ui@2.0.0", "@acme/ui@2.0.4", "@acme/api@2.0.9"],
            "@acme/ui@2.0",
            "release/@acme/ui@2.0.x",
            "@acme/ui@2.0.4",
        ),
    ],
)
def test_a_line_is_cut_on_demand_at_its_highest_release(
    tmp_path: Path, files: dict[str, Any], tags: list[str], line: str, branch: str, at: str
) -> None:
    commits = make_history(tmp_path / "repo", files, tags)
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, _ref_gh({}))
    env = {"RELEASE_LINE": line, "GH_TOKEN": "t"}
    done, _ = run_step(_line_step(), tmp_path / "repo", env, tmp_path / "bin")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _created(gh_calls(log)) == [f"{branch}@{commits[at]}"]
    assert filter_matches(RELEASE_BRANCH_PATTERNS, branch)


@pytest.mark.parametrize(
    ("files", "line", "message"),
    [
        (SINGLE, "1.6.x", "is not <major>.<minor> (1.4) or <package>@<major>.<minor>"),
        (SINGLE, "1.6; rm -rf /", "is not <major>.<minor>"),
        (SINGLE, "other@1.6", "this repository's package is @acme/storefront, not other"),
        (SINGLE, "1.5", "@acme/storefront has no release of the 1.5 line (no tag v1.5.<patch>)"),
        (MONOREPO, "2.0", "this repository is a workspace: name the package, <package>@2.0"),
    ],
)
def test_a_line_on_demand_is_refused_with_the_reason(
    tmp_path: Path, files: dict[str, Any], line: str, message: str
) -> None:
    make_history(tmp_path / "repo", files, ["v1.6.0", "@acme/ui@2.0.0"])
    log = tmp_path / "gh.log"
    fake_gh(tmp_path / "bin", log, _ref_gh({}))
    done, _ = run_step(
        _line_step(), tmp_path / "repo", {"RELEASE_LINE": line, "GH_TOKEN": "t"}, tmp_path / "bin"
    )
    assert done.returncode == 1
    assert message in done.stdout
    assert gh_calls(log) == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_line_workflow_acts_as_the_release_identity(name: str) -> None:
    workflow = _workflow(name, RELEASE_LINE)
    assert workflow["on"] == {
        "workflow_dispatch": {
            "inputs": {
                "line": {
                    "description": workflow["on"]["workflow_dispatch"]["inputs"]["line"][
                        "description"
                    ],
                    "required": True,
                    "type": "string",
                }
            }
        }
    }
    job = workflow["jobs"]["cut"]
    step = _line_step(name)
    # The input reaches the script through env, never inside the shell text.
    assert step["env"]["RELEASE_LINE"] == "${{ inputs.line }}"
    assert "${{" not in step["run"]
    if SPECS[name].release_token is ReleaseTokenMode.APP:
        assert job["environment"] == {"name": "npm", "deployment": False}
        assert job["permissions"] == {"contents": "read"}
        assert step["env"]["GH_TOKEN"] == "${{ steps.app-token.outputs.token }}"
    else:
        assert "environment" not in job
        assert job["permissions"] == {"contents": "write"}
        assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
