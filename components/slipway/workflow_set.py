"""``WorkflowSet``: deliver the generated workflow files into the application repository.

The files come from :func:`slipway.workflows.render_workflow_files` and reach GitHub through
pulumi-github's ``RepositoryFile`` (one commit per file, through the contents API). By default
they are proposed as a pull request, so they go through the same review and branch protection as
any other change:

* a ``github.Branch`` (``slipway/workflows`` unless told otherwise) created from the default
  branch;
* one ``github.RepositoryFile`` per file on that branch, named by its path
  (:func:`file_resource_name`), committed one after the other;
* one ``github.RepositoryPullRequest`` from that branch into the default branch, opened after the
  last commit, whose title and body carry the content hash of the whole set.

``direct_commit=True`` is the explicit opt-in for repositories without branch protection: the
files are committed straight to the default branch, with a warning.

Traps of ``RepositoryFile`` and how this component handles them (from the
integrations/terraform-provider-github sources and issue tracker, which pulumi-github bridges):

* **Protected branches.** Commits to a branch that requires pull requests are refused ("Changes
  must be made through a pull request"). Hence the pull-request mode by default; direct mode
  warns.
* **409 Conflict on parallel writes.** Every commit through the contents API moves the branch
  head; two files written at once to one branch race and one fails with "is at <sha> but expected
  <sha>" (the pattern reported against octokit.js#63, PyGithub#1787). Pulumi would create all
  files in parallel, so each file ``depends_on`` the previous one: the commits are sequential.
* **No commit when nothing changed.** ``RepositoryFile`` writes only when one of its inputs
  differs from its state; the provider reads the file back on refresh, so a hand edit on the
  branch shows as drift and is put back. The rendering is deterministic (same spec, same bytes)
  and every other input is constant too: the commit messages carry no hash, date or stack name
  (a changed message alone would commit the same content again). The content hash lives in the
  pull request instead, where it changes nothing in the repository.
* **Author and verified commits.** ``commit_author`` and ``commit_email`` go together (the
  provider refuses one without the other). With a GitHub App token, leave both unset: GitHub then
  signs the commits as the app, which rulesets that require signed commits accept.
* **The ``workflow`` permission.** Writing ``.github/workflows/*`` needs the ``workflow`` scope
  (classic token) or the "Workflows: write" permission (fine-grained token, GitHub App), on top
  of contents and pull requests write; without it GitHub refuses with "refusing to allow ... to
  create or update workflow".
* **Merged pull requests and deleted branches.** After the pull request is merged, GitHub
  usually deletes its branch. The provider notices that on refresh only
  (terraform-provider-github#981, #1933, fixed by #1937), so the owner stack should run
  ``pulumi up --refresh`` (or set ``options: refresh: always``): the branch and the files are then
  recreated when the content changes again. A merged pull request stays in the state as closed
  and the provider would only edit its body, so the pull request is replaced whenever its body
  (which holds the content hash) changes, deleting the old one first (GitHub allows one open pull
  request per head branch; deleting an open one closes it, a merged one is left alone).
* **Overwriting files created by others.** ``overwrite_on_create`` is on, so a file that already
  exists is taken over; in pull-request mode that is a reviewed diff. ``paths`` limits the set
  (leave out the ``Dockerfile`` template when the application keeps its own); a workflow must
  come with the files it uses, or it would fail at its first run.
* **Removing the component never deletes the application's CI.** The files are retained on
  delete, so moving ownership to another stack, or dropping the component, leaves the workflows
  in place.

Ownership: the workflow files are a repository-level resource. Only ONE stack may own them (see
the design notes): two stacks delivering the same files fight on every ``up``. The component
cannot know which stack that is, so the stack decides (the ``ownsRepositoryResources`` setting)
and builds a ``WorkflowSet`` only where it is true. The component takes no environment-specific
input: every stack would render the same bytes from the same spec.

The GitHub provider must be configured for the repository's owner (``github:owner``, or an
explicit provider passed in ``opts``): ``Branch`` and ``RepositoryFile`` take only the
repository's name. The pull request names the owner explicitly, so a provider set up for another
owner fails there instead of opening a pull request elsewhere.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pulumi
import pulumi_github as github

from slipway.errors import ConfigError, invalid
from slipway.patterns import REPOSITORY_SLUG
from slipway.workflows import WorkflowSpec, render_workflow_files
from slipway.workflows.paths import RELEASE_LINE_PATH
from slipway.workflows.prerequisites import prerequisites
from slipway.workflows.render import files_used_by
from slipway.workflows.scripts import DELIVERED_DIR

DEFAULT_BRANCH = "slipway/workflows"
"""Branch the pull request mode commits to."""
DEFAULT_COMMIT_AUTHOR = "slipway[bot]"
DEFAULT_COMMIT_EMAIL = "slipway[bot]@users.noreply.github.com"

_BRANCH_CHARS = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_AUTHOR = re.compile(r"^[^\x00-\x1f\x7f<>]{1,100}$")


def is_valid_branch_name(name: str) -> bool:
    """Whether ``name`` is a branch name git accepts (``git check-ref-format --branch``),
    restricted to letters, digits, ``.``, ``_``, ``-`` and ``/``."""
    if not isinstance(name, str) or not _BRANCH_CHARS.match(name):
        return False
    if name.startswith(("-", "/")) or name.endswith(("/", ".")) or name == "HEAD":
        return False
    if ".." in name or "//" in name:
        return False
    return all(
        part and not part.startswith(".") and not part.endswith(".lock") for part in name.split("/")
    )


def manifest(files: Mapping[str, str]) -> str:
    """``sha256sum``-style lines (``<sha256>  <path>``), one per file, sorted by path."""
    return "".join(
        f"{hashlib.sha256(files[path].encode()).hexdigest()}  {path}\n" for path in sorted(files)
    )


def content_sha(files: Mapping[str, str]) -> str:
    """SHA-256 of :func:`manifest`: changes exactly when a path or a file's bytes change.

    A reviewer reproduces it in the repository with
    ``sha256sum $(printf '%s\\n' <paths> | LC_ALL=C sort) | sha256sum``.
    """
    return hashlib.sha256(manifest(files).encode()).hexdigest()


def file_resource_name(name: str, path: str) -> str:
    """The logical name of the ``RepositoryFile`` delivering ``path``: named by its path, so
    adding or removing one file never renames (and so replaces) the others."""
    return f"{name}-file-{path}"


FILES_SINCE_0_2 = (RELEASE_LINE_PATH,)
"""Files added after Slipway 0.2 outside ``.github/scripts/deploy/``: no legacy name (they would
shift the positions of the files 0.2 did deliver)."""


def _legacy_names(name: str, files: Mapping[str, str]) -> dict[str, str]:
    """Up to Slipway 0.2, files were named by their position (``<name>-file-<index>``) in the
    rendered set, which did not hold the deploy job's scripts yet (``.github/scripts/deploy/``):
    each file of that set gets its old name as an alias, so a stack delivered by 0.2 keeps its
    resources (no replacement, no commit) when it moves to the path names."""
    earlier = [
        path
        for path in files
        if not path.startswith(DELIVERED_DIR + "/") and path not in FILES_SINCE_0_2
    ]
    return {path: f"{name}-file-{index}" for index, path in enumerate(earlier)}


@dataclass(frozen=True)
class WorkflowSetArgs:
    """Arguments of :class:`WorkflowSet`. The default is a reviewed pull request."""

    repository: str
    """``owner/name`` of the application repository; must be the spec's repository. The GitHub
    provider must be configured for that owner."""
    spec: WorkflowSpec
    """What to render. The same spec renders the same bytes in every stack."""
    branch: str = DEFAULT_BRANCH
    """Branch the files are committed to before the pull request (a valid git branch name other
    than the default branch). Default: ``slipway/workflows``. Ignored with ``direct_commit``."""
    commit_author: str | None = DEFAULT_COMMIT_AUTHOR
    """Author and committer name of the commits. Default: ``slipway[bot]``. ``None`` together
    with ``commit_email=None`` lets GitHub sign the commits as the token's GitHub App."""
    commit_email: str | None = DEFAULT_COMMIT_EMAIL
    """Author and committer e-mail; set exactly when ``commit_author`` is set.
    Default: ``slipway[bot]@users.noreply.github.com``."""
    direct_commit: bool = False
    """Commit straight to the default branch, with no branch and no pull request. Default: off;
    branch protection usually rejects it."""
    paths: Sequence[str] | None = None
    """Which rendered files to deliver, by repository path. Default: all of them. A chosen
    workflow comes with every file it uses (:func:`slipway.workflows.render.files_used_by`:
    deploy.yml its scripts and docker.yml, release.yml its scripts and both workflows it calls);
    the Dockerfile template may be left out."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        name = "WorkflowSetArgs."
        slug = self.repository if isinstance(self.repository, str) else ""
        slug_ok = bool(REPOSITORY_SLUG.match(slug))
        if not slug_ok:
            problems.append(
                invalid(
                    name + "repository",
                    self.repository,
                    "an 'owner/name' slug (owner: letters, digits and single '-'; name: letters, "
                    "digits, '.', '_', '-')",
                )
            )
        spec_ok = isinstance(self.spec, WorkflowSpec)
        if not spec_ok:
            problems.append(invalid(name + "spec", self.spec, "a WorkflowSpec"))
        elif slug_ok and self.repository.lower() != self.spec.repository.lower():
            problems.append(
                invalid(
                    name + "repository",
                    self.repository,
                    f"the repository the spec renders for ({self.spec.repository!r})",
                )
            )
        if not self.direct_commit:
            if not is_valid_branch_name(self.branch):
                problems.append(
                    invalid(
                        name + "branch",
                        self.branch,
                        "a git branch name of letters, digits, '.', '_', '-' and '/', without "
                        "'..', '//', a leading '-' or '/', a trailing '/' or '.', a part starting "
                        "with '.' or ending with '.lock'",
                    )
                )
            elif spec_ok and self.branch == self.spec.default_branch:
                problems.append(
                    invalid(
                        name + "branch",
                        self.branch,
                        "a branch other than the default branch (the pull request's base); "
                        "use direct_commit=True to commit to the default branch",
                    )
                )
        direct: object = self.direct_commit  # checked at run time: settings may hold anything
        if not isinstance(direct, bool):
            problems.append(invalid(name + "direct_commit", self.direct_commit, "True or False"))
        if (self.commit_author is None) != (self.commit_email is None):
            problems.append(
                invalid(
                    name + "commit_email",
                    self.commit_email,
                    "set together with commit_author, or both None (the provider refuses one "
                    "without the other)",
                )
            )
        if self.commit_author is not None and not _AUTHOR.match(str(self.commit_author)):
            problems.append(
                invalid(name + "commit_author", self.commit_author, "1 to 100 printable characters")
            )
        if self.commit_email is not None and not _EMAIL.match(str(self.commit_email)):
            problems.append(invalid(name + "commit_email", self.commit_email, "an e-mail address"))
        if spec_ok:
            rendered = render_workflow_files(self.spec)
            chosen = sorted(rendered) if self.paths is None else list(self.paths)
            if isinstance(self.paths, str) or not chosen or set(chosen) - set(rendered):
                problems.append(
                    invalid(
                        name + "paths",
                        self.paths,
                        f"None or a non-empty list of rendered paths: {sorted(rendered)}",
                    )
                )
            elif len(set(chosen)) != len(chosen):
                problems.append(invalid(name + "paths", self.paths, "no duplicate paths"))
            elif self.paths is not None:  # the whole set holds whatever a workflow uses
                for workflow, needed in sorted(files_used_by(rendered).items()):
                    missing = sorted(needed - set(chosen)) if workflow in chosen else []
                    if missing:
                        problems.append(
                            invalid(
                                name + "paths",
                                self.paths,
                                f"every file a chosen workflow uses: {workflow} uses {missing}",
                            )
                        )
        if problems:
            raise ConfigError(problems)

    @cached_property
    def files(self) -> dict[str, str]:
        """The files to deliver: repository path to content, sorted by path."""
        rendered = render_workflow_files(self.spec)
        chosen = rendered if self.paths is None else self.paths
        return {path: rendered[path] for path in sorted(chosen)}

    @property
    def owner(self) -> str:
        """The repository's owner (organisation or user)."""
        return self.repository.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The repository's name, as pulumi-github's ``repository`` inputs take it."""
        return self.repository.split("/", 1)[1]


def _commit_message(path: str) -> str:
    # Constant per path: a changing message alone would make a new commit of the same content.
    return f"chore(ci): update {path} (generated by Slipway)"


def _pull_request_body(args: WorkflowSetArgs, sha: str) -> str:
    return (
        "This pull request was generated by Slipway (`slipway.workflows`) from the stack "
        "that owns this repository's workflow files. Review it like any other change: the "
        "workflows deploy to every environment.\n\n"
        "Do not edit these files on this branch or after merging: the next `pulumi up` puts the "
        "generated content back. Change the WorkflowSpec or the generator instead.\n\n"
        'Before merging, the repository needs (docs/release-process.md, "What the application '
        'repository must have"):\n\n'
        + "".join(f"- {line}\n" for line in prerequisites(args.spec))
        + "\n"
        f"Content SHA-256 of the whole set: `{sha}`\n\n"
        "Per file (reproduce with `sha256sum`; the set hash is the SHA-256 of these lines):\n\n"
        f"```\n{manifest(args.files)}```\n"
    )


class WorkflowSet(pulumi.ComponentResource):
    """The generated workflow files in the application repository, by pull request by default.

    Outputs:
        branch: Branch the files were committed to (the default branch with ``direct_commit``).
        pull_request_number: Number of the pull request; ``None`` with ``direct_commit``.
        file_paths: Repository paths of the delivered files, sorted.
        content_sha: SHA-256 over all delivered files (see :func:`content_sha`).
    """

    TOKEN = "slipway:index:WorkflowSet"

    branch: pulumi.Output[str]
    pull_request_number: pulumi.Output[int | None]
    file_paths: pulumi.Output[list[str]]
    content_sha: pulumi.Output[str]

    def __init__(
        self, name: str, args: WorkflowSetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        sha = content_sha(args.files)
        target: pulumi.Input[str]
        previous: list[pulumi.Resource] = []

        if args.direct_commit:
            pulumi.log.warn(
                f"WorkflowSet {name}: committing straight to {args.repository}@"
                f"{args.spec.default_branch}; branch protection usually rejects this (changes "
                "must be made through a pull request). Leave direct_commit off to open one.",
                resource=self,
            )
            target = args.spec.default_branch
        else:
            branch = github.Branch(
                f"{name}-branch",
                repository=args.name,
                branch=args.branch,
                source_branch=args.spec.default_branch,
                opts=pulumi.ResourceOptions(parent=self),
            )
            target = branch.branch
            previous = [branch]

        files: list[github.RepositoryFile] = []
        legacy = _legacy_names(name, args.files)
        for path, content in args.files.items():
            file = github.RepositoryFile(
                file_resource_name(name, path),
                repository=args.name,
                branch=target,
                file=path,
                content=content,
                commit_message=_commit_message(path),
                overwrite_on_create=True,
                commit_author=args.commit_author,
                commit_email=args.commit_email,
                # Each commit moves the branch head: one after the other, never in parallel.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=list(previous),
                    retain_on_delete=True,
                    aliases=[pulumi.Alias(name=legacy[path])] if path in legacy else None,
                ),
            )
            files.append(file)
            previous = [file]

        number: pulumi.Output[int | None]
        if args.direct_commit:
            number = pulumi.Output.from_input(None)
        else:
            pull_request = github.RepositoryPullRequest(
                f"{name}-pr",
                owner=args.owner,
                base_repository=args.name,
                base_ref=args.spec.default_branch,
                head_ref=target,
                title=f"Update the Slipway-generated workflows ({sha[:12]})",
                body=_pull_request_body(args, sha),
                maintainer_can_modify=False,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=list(files),
                    replace_on_changes=["body"],
                    delete_before_replace=True,
                ),
            )
            number = pull_request.number

        self.branch = pulumi.Output.from_input(target)
        self.pull_request_number = number
        self.file_paths = pulumi.Output.from_input(list(args.files))
        self.content_sha = pulumi.Output.from_input(sha)
        self.register_outputs(
            {
                "branch": self.branch,
                "pull_request_number": self.pull_request_number,
                "file_paths": self.file_paths,
                "content_sha": self.content_sha,
            }
        )
