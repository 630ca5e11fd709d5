"""Checks across every stack file: one repository owner, distinct environments, and a deploy
workflow that walks only through environments some stack writes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infra.domains.workflows import RepositoryPreviews
from infra.previews import project_previews, read_stack_file
from infra.settings import StackSettings
from infra.stack import generated_files
from slipway.errors import ConfigError
from slipway.workflows import WorkflowSpec
from slipway.workflows.paths import PREVIEW_PATH
from slipway.workflows.preview_workflow import render_preview_files
from tests.stack_files import (
    copy_stack,
    new_stack_name,
    project_copy,
    read_config,
    repository_owner,
    set_config,
)
from tooling.cross_stack import StackPlacement, cross_stack_problems, cross_stack_report
from tooling.offline import (
    ROOT,
    STACKS,
    Recording,
    discover_stacks,
    load_stack_config,
    run_stack,
    stack_settings,
)

PREVIEW_SPEC = WorkflowSpec(repository="acme-corp/storefront", previews=True)


def _settings(root: Path) -> dict[str, StackSettings]:
    return {name: stack_settings(name, root) for name in discover_stacks(root)}


def _in_account(text: str, account: str) -> str:
    """A stack file's text with ``aws:allowedAccountIds`` naming ``account`` (replacing the
    shipped files' own: a key set twice is refused)."""
    line = re.compile(r"^  aws:allowedAccountIds: .*$", re.MULTILINE)
    if not line.search(text):
        return text.replace("config:\n", f"config:\n  aws:allowedAccountIds: ['{account}']\n", 1)
    return line.sub(f"  aws:allowedAccountIds: ['{account}']", text, count=1)


def _project(tmp_path: Path) -> Path:
    return project_copy(tmp_path)


def test_the_project_stacks_agree() -> None:
    assert cross_stack_problems({s: stack_settings(s) for s in STACKS}) == []


def test_a_workflow_environment_without_a_stack_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    owner = repository_owner(root)
    name = new_stack_name(root)
    chain = list(stack_settings(owner, root).workflows.workflow_environments)
    set_config(
        root / f"Pulumi.{owner}.yaml", {"workflowEnvironments": [chain[0], name, *chain[1:]]}
    )
    known = sorted(stack_settings(s, root).identity.env for s in discover_stacks(root))
    problems = cross_stack_problems(_settings(root))
    assert problems == [
        f"slipway:workflowEnvironments (Pulumi.{owner}.yaml): got ['{name}'], which no stack "
        f"deploys to; one of {known} (each environment needs a stack that writes its "
        "variables)"
    ]
    # Adding the stack makes it valid.
    copy_stack(root, name, next(s for s in discover_stacks(root) if s != owner))
    assert cross_stack_problems(_settings(root)) == []


def test_a_stack_the_deploy_chain_leaves_out_is_flagged(tmp_path: Path) -> None:
    """A stack whose environment the owner's workflowEnvironments does not list never gets a
    release through deploy.yml: a warning naming both files (not a problem: removing an
    environment starts there, docs/runbooks/environments.md)."""
    root = _project(tmp_path)
    owner = repository_owner(root)
    chain = list(stack_settings(owner, root).workflows.workflow_environments)
    # Not the first environment: that one builds the image (its own check, below).
    left_out = next(
        s
        for s in discover_stacks(root)
        if s != owner and stack_settings(s, root).identity.env != chain[0]
    )
    environment = stack_settings(left_out, root).identity.env
    rest = [e for e in chain if e != environment]
    set_config(root / f"Pulumi.{owner}.yaml", {"workflowEnvironments": rest})
    report = cross_stack_report(_settings(root), _placements(root))
    assert report.problems == []
    assert report.warnings == [
        f"slipway:workflowEnvironments (Pulumi.{owner}.yaml): got {rest}, without "
        f"'{environment}', which Pulumi.{left_out}.yaml deploys to, so deploy.yml never "
        "deploys a release there; add it in promotion order (docs/runbooks/environments.md), "
        "unless that stack is being removed"
    ]


def test_two_repository_owners_and_a_shared_environment_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    text = (root / "Pulumi.prod.yaml").read_text()
    (root / "Pulumi.prod2.yaml").write_text(
        text.replace("slipway:vpcCidr: 10.40.0.0/16", "slipway:vpcCidr: 10.45.0.0/16")
    )
    problems = cross_stack_problems(_settings(root))
    assert any(
        p.startswith("slipway:ownsRepositoryResources: 2 stacks own acme-corp/storefront")
        and "Pulumi.prod.yaml, Pulumi.prod2.yaml" in p
        for p in problems
    ), problems
    assert all("slipway:" in p for p in problems)


def _placements(root: Path) -> dict[str, StackPlacement]:
    return {
        name: StackPlacement.from_config(load_stack_config(name, root)[0])
        for name in discover_stacks(root)
    }


def test_the_project_has_no_overlap_and_one_account_owner() -> None:
    report = cross_stack_report({s: stack_settings(s) for s in STACKS}, _placements(ROOT))
    assert report.problems == []
    assert report.warnings == []


def test_overlapping_vpcs_in_one_region_warn(tmp_path: Path) -> None:
    root = _project(tmp_path)
    name = new_stack_name(root)
    template = next(s for s in discover_stacks(root) if repository_owner(root) != s)
    # The new stack keeps the template's range: same region, same account.
    shutil.copy(root / f"Pulumi.{template}.yaml", root / f"Pulumi.{name}.yaml")
    cidr = stack_settings(template, root).network.vpc_cidr
    first, second = sorted([name, template], key=discover_stacks(root).index)

    def overlaps() -> list[str]:
        # (The owner's deploy chain does not list the copy, nor its host: problems of their own.)
        warnings = cross_stack_report(_settings(root), _placements(root)).warnings
        return [w for w in warnings if w.startswith("slipway:vpcCidr")]

    assert overlaps() == [
        f"slipway:vpcCidr: Pulumi.{first}.yaml ({cidr}) and Pulumi.{second}.yaml ({cidr}) "
        "overlap in eu-west-1; they can never be peered or joined through a transit gateway"
    ]
    # A stack that names no account may be in any: the warning says so.
    set_config(root / f"Pulumi.{name}.yaml", {"aws:allowedAccountIds": None})
    assert overlaps() == [
        f"slipway:vpcCidr: Pulumi.{first}.yaml ({cidr}) and Pulumi.{second}.yaml ({cidr}) "
        "overlap in eu-west-1 (account not known: aws:allowedAccountIds); they can never be "
        "peered or joined through a transit gateway"
    ]
    # In different accounts they may overlap.
    for stack, account in ((name, "111111111111"), (template, "222222222222")):
        set_config(root / f"Pulumi.{stack}.yaml", {"aws:allowedAccountIds": [account]})
    assert overlaps() == []


def test_two_account_owners_in_one_known_account_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for name in ("dev", "prod"):
        path = root / f"Pulumi.{name}.yaml"
        text = _in_account(path.read_text(), "111122223333")
        if name == "dev":
            text += "  slipway:ownsAccountResources: true\n"
        path.write_text(text)
    report = cross_stack_report(_settings(root), _placements(root))
    assert report.problems == [
        "slipway:githubOidcProvider: Pulumi.dev.yaml, Pulumi.prod.yaml all own the "
        "oidc-provider of account 111122223333 (through githubOidcProvider or "
        "ownsAccountResources); exactly one stack may: IAM allows one GitHub OIDC provider per "
        "account: one stack creates or adopts it, the others reference it",
        "slipway:ownsAuditTrail: Pulumi.dev.yaml, Pulumi.prod.yaml all own the audit-trail of "
        "account 111122223333 (through ownsAuditTrail or ownsAccountResources); exactly one "
        "stack may: one stack records the account",
        "slipway:ownsRegistryReplication: Pulumi.dev.yaml, Pulumi.prod.yaml all own the "
        "registry-replication of account 111122223333 in eu-west-1 (through "
        "ownsRegistryReplication or ownsAccountResources); exactly one stack may: ECR keeps one "
        "replication configuration per registry and each up replaces it whole",
        "slipway:ownsAccountSettings: Pulumi.dev.yaml, Pulumi.prod.yaml all own the "
        "account-settings of account 111122223333 (through ownsAccountSettings or "
        "ownsAccountResources); exactly one stack may: account settings (ECS defaults, Backup "
        "region settings, registry scanning...) are one per account: two stacks would "
        "overwrite each other's",
    ]


@pytest.mark.parametrize(
    ("dev_settings", "setting"),
    [
        ("  slipway:githubOidcProvider: adopt\n", "githubOidcProvider"),
        ("  slipway:ownsAuditTrail: true\n", "ownsAuditTrail"),
        ("  slipway:guardDuty: true\n", "guardDuty"),
        ("  slipway:ownsAccountSettings: true\n", "ownsAccountSettings"),
    ],
)
def test_each_account_resource_has_one_owner(
    tmp_path: Path, dev_settings: str, setting: str
) -> None:
    """One flag per thing: a second owner of any one of them is refused, naming its key; dev
    adopting the provider while prod creates it is two owners too."""
    root = _project(tmp_path)
    extra = {"prod": "  slipway:guardDuty: true\n", "dev": dev_settings}
    for name in ("dev", "prod"):
        path = root / f"Pulumi.{name}.yaml"
        text = _in_account(path.read_text(), "111122223333")
        path.write_text(text + extra[name])
    problems = cross_stack_report(_settings(root), _placements(root)).problems
    assert [p.split(":")[1] for p in problems] == [setting]
    assert "Pulumi.dev.yaml, Pulumi.prod.yaml" in problems[0]


def test_owners_split_across_stacks_of_one_account_are_accepted(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for name in ("dev", "staging", "prod"):
        path = root / f"Pulumi.{name}.yaml"
        text = _in_account(path.read_text(), "111122223333")
        if name == "dev":
            text += "  slipway:ownsAuditTrail: true\n  slipway:guardDuty: true\n"
        if name == "prod":
            text += "  slipway:ownsAuditTrail: false\n"
        path.write_text(text)
    assert cross_stack_report(_settings(root), _placements(root)).problems == []


@pytest.mark.usefixtures("cached_plan")
def test_the_plan_stops_on_a_cross_stack_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tooling import cross_stack, plan

    report = cross_stack.CrossStackReport(
        problems=["slipway:ownsRepositoryResources: 0 stacks own acme-corp/storefront (none)"],
        warnings=["slipway:vpcCidr: overlap"],
    )
    monkeypatch.setattr(plan, "project_report", lambda root=ROOT: report)
    assert plan.main([]) == 2
    err = capsys.readouterr().err
    assert "cross-stack problem: slipway:ownsRepositoryResources" in err
    assert "cross-stack warning: slipway:vpcCidr: overlap" in err
    # One stack planned alone is still checked against every stack file.
    assert plan.main(["--stack", STACKS[0]]) == 2
    err = capsys.readouterr().err
    assert "cross-stack problem: slipway:ownsRepositoryResources" in err


def test_a_deploy_timeout_too_short_for_a_stacks_strategy_is_refused(tmp_path: Path) -> None:
    """deploy.yml is rendered once, by the repository's owner stack, for every environment: its
    deploy jobs must wait for the slowest stack's deployment (prod's canary completes after 25
    minutes, plus the tasks' start) and then for a rollback as long."""
    root = _project(tmp_path)
    prod = root / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text() + "  slipway:deployTimeoutMinutes: 40\n")
    problems = cross_stack_problems(_settings(root))
    assert problems == [
        "slipway:deployTimeoutMinutes (Pulumi.prod.yaml): got 40; at least 75, which waits 30 "
        "minutes for a deployment and as long for its rollback (it waits 12): Pulumi.prod.yaml "
        "deploys canary: 10 % for 10 min, then 100 %; bake 15 min; full traffic after 10 min, "
        "complete after 25 min, after its tasks start (5 min)"
    ]


def test_the_owner_derives_its_deploy_timeout_from_its_strategy() -> None:
    """Unset, deployTimeoutMinutes is 30, or what the owner's own strategy needs: prod's canary
    gets 75 minutes, and each deploy step waits for it."""
    from infra.stack import generated_files

    settings = stack_settings("prod")
    deploy = generated_files(settings)[".github/workflows/deploy.yml"]
    assert "timeout-minutes: 75" in deploy
    assert cross_stack_problems({s: stack_settings(s) for s in STACKS}) == []


@pytest.mark.parametrize(
    ("environment", "account", "refused"),
    [("dev-eu", "111122223333", True), ("dev-eu", "444455556666", False), ("deve", None, False)],
)
def test_a_prefix_that_covers_another_stacks_names_is_refused(
    tmp_path: Path, environment: str, account: str | None, refused: bool
) -> None:
    """The boundary knows a stack's own roles by ``<app>-<env>-*``: in one account (or an
    account not known), ``storefront-dev-`` would cover ``storefront-dev-eu-``'s roles."""
    root = _project(tmp_path)
    for name in ("dev", "prod"):
        path = root / f"Pulumi.{name}.yaml"
        mine = "111122223333" if name == "dev" else account
        changes: dict[str, object] = {"aws:allowedAccountIds": None if mine is None else [mine]}
        certificate = read_config(path).get("slipway:certificateArn")
        if mine is not None and certificate:
            # A listener uses only its own account's certificates (refused otherwise).
            parts = certificate.split(":")
            changes["certificateArn"] = ":".join([*parts[:4], mine, *parts[5:]])
        if name == "prod":
            changes["environment"] = environment
        set_config(path, changes)
    problems = [
        p
        for p in cross_stack_report(_settings(root), _placements(root)).problems
        if p.startswith("slipway:environment")
    ]
    if refused:
        assert problems == [
            "slipway:environment: Pulumi.dev.yaml (storefront-dev-*) and Pulumi.prod.yaml "
            f"(storefront-{environment}-*) may share an account and the first prefix covers the "
            "second's roles and policies; choose environment or appName so that no stack's "
            "'<app>-<env>-' starts another's (or set aws:allowedAccountIds to different "
            "accounts)"
        ]
    else:
        assert problems == []


def test_an_image_build_environment_that_refuses_release_tags_is_refused(tmp_path: Path) -> None:
    # dev builds the image (the first workflow environment); the documented rebuild runs
    # docker.yml from the release tag there, and tag policies gate deployment: false jobs too.
    root = _project(tmp_path)
    dev = root / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  slipway:deployTagPatterns:\n    - nightly-*\n")
    problems = cross_stack_problems(_settings(root))
    assert problems == [
        "slipway:deployTagPatterns (Pulumi.dev.yaml): got ['nightly-*'], which refuses the "
        "release tags ['v1.4.2', 'storefront@1.4.2', '@acme/storefront@1.4.2']; dev builds the "
        "image, and a rebuild runs docker.yml from the release tag there "
        "(docs/release-process.md): add ['v[0-9]*', '*@[0-9]*', '@*/*@[0-9]*']"
    ]
    # `v*` admits only single-package tags; staging is no build environment, so `v*` is fine there.
    dev.write_text(dev.read_text().replace("- nightly-*", "- v*"))
    assert [p[:40] for p in cross_stack_problems(_settings(root))] == [
        "slipway:deployTagPatterns (Pulumi.dev.ya"
    ]


def test_two_stacks_with_one_domain_name_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    staging = root / "Pulumi.staging.yaml"
    staging.write_text(
        staging.read_text().replace(
            "domainName: staging.storefront.acme-corp.example",
            "domainName: storefront.acme-corp.example",
        )
    )
    assert cross_stack_problems(_settings(root)) == [
        "slipway:domainName: Pulumi.staging.yaml, Pulumi.prod.yaml all serve "
        "'storefront.acme-corp.example'; give each stack its own name (and a certificate that "
        "covers it)"
    ]


def test_owners_in_files_that_name_no_account_may_share_one(tmp_path: Path) -> None:
    """Without ``aws:allowedAccountIds`` a stack may be in any account: two owners of an
    account-wide resource among such stacks are refused, until the files say otherwise."""
    root = _project(tmp_path)
    for name in ("dev", "prod"):
        path = root / f"Pulumi.{name}.yaml"
        text = re.sub(r"(?m)^  aws:allowedAccountIds: .*\n", "", path.read_text())
        path.write_text(text + ("  slipway:ownsAuditTrail: true\n" if name == "dev" else ""))
    problems = cross_stack_report(_settings(root), _placements(root)).problems
    assert problems == [
        "slipway:ownsAuditTrail: Pulumi.dev.yaml, Pulumi.prod.yaml all own the audit-trail of one "
        "account as far as the files say (Pulumi.dev.yaml, Pulumi.prod.yaml: no "
        "aws:allowedAccountIds, so any account) (through ownsAuditTrail or ownsAccountResources); "
        "exactly one stack may: one stack records the account"
    ]
    # One file naming its account is not enough: the other may still be in it.
    dev = root / "Pulumi.dev.yaml"
    dev.write_text(_in_account(dev.read_text(), "111122223333"))
    problems = cross_stack_report(_settings(root), _placements(root)).problems
    assert len(problems) == 1
    assert "(Pulumi.prod.yaml: no aws:allowedAccountIds, so any account)" in problems[0]
    # Both naming different accounts: one owner each.
    prod = root / "Pulumi.prod.yaml"
    text = prod.read_text().replace(":111122223333:certificate", ":444455556666:certificate")
    prod.write_text(_in_account(text, "444455556666"))
    assert cross_stack_report(_settings(root), _placements(root)).problems == []


def test_every_shipped_stack_file_names_its_account() -> None:
    for name in STACKS:
        assert StackPlacement.from_config(load_stack_config(name)[0]).account, name


PREVIEWS = (
    "  slipway:previews: true\n"
    "  slipway:hostedZoneId: Z0123456789ABCDEFGHIJ\n"
    "  slipway:domainName: {env}.acme-corp.example\n"
)


def _previews_on(root: Path, name: str = "dev", extra: str = "") -> None:
    """Turn previews on in ``Pulumi.<name>.yaml`` (the one setting, with its zone and domain)."""
    path = root / f"Pulumi.{name}.yaml"
    lines = path.read_text().splitlines(keepends=True)
    kept = [
        x for x in lines if not x.startswith(("  slipway:certificateArn", "  slipway:domainName"))
    ]
    path.write_text("".join(kept) + PREVIEWS.format(env=name) + extra)


def test_two_preview_owners_in_one_account_and_region_are_refused(tmp_path: Path) -> None:
    """The preview base is one per account and region (docs/previews.md), and previews one
    stack per repository (each would write the repository's one ``preview`` environment): a
    second owner is refused naming the key, in another account too."""
    root = _project(tmp_path)
    for name in ("dev", "staging"):
        path = root / f"Pulumi.{name}.yaml"
        path.write_text(_in_account(path.read_text(), "111122223333"))
        _previews_on(root, name)
    one_repository = (
        "slipway:previews: Pulumi.dev.yaml, Pulumi.staging.yaml all set previews for "
        "acme-corp/storefront; exactly one stack per repository may (typically dev): each "
        "would write the repository's one preview environment"
    )
    assert cross_stack_report(_settings(root), _placements(root)).problems == [
        one_repository,
        "slipway:previews: Pulumi.dev.yaml, Pulumi.staging.yaml all own the preview base of "
        "account 111122223333 in eu-west-1; exactly one stack per account and region may "
        "(typically dev): set previews on one of them only",
    ]
    staging = root / "Pulumi.staging.yaml"
    staging.write_text(staging.read_text().replace("111122223333", "444455556666"))
    assert cross_stack_report(_settings(root), _placements(root)).problems == [one_repository]
    # The owner's `pulumi up` applies the same rule to the stack files, before registering.
    with pytest.raises(ConfigError) as caught:
        run_stack("prod", root=root)
    assert caught.value.problems == [one_repository]
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def _delivered(recording: Recording) -> dict[str, str]:
    """The files the recorded stack's WorkflowSet delivers (path to content)."""
    return {
        r.inputs["file"]: r.inputs["content"]
        for r in recording.of_type("github:index/repositoryFile:RepositoryFile")
        if r.parent_type == "slipway:index:WorkflowSet"
    }


def test_the_owner_delivers_preview_yml_exactly_when_a_stack_file_turns_previews_on(
    tmp_path: Path,
) -> None:
    """One setting: ``previews`` in dev's stack file. The repository's owner (prod) reads it
    (and dev's ``previewLabel``) from the file when its program runs, and delivers preview.yml
    and its scripts with the generated workflows; without it, none of them. dev renders
    nothing either way, and ``make plan``'s checks agree."""
    root = _project(tmp_path)
    off = _delivered(run_stack("prod", root=root))
    assert off
    assert PREVIEW_PATH not in off
    _previews_on(root, extra="  slipway:previewLabel: needs preview\n")
    on = _delivered(run_stack("prod", root=root))
    added = set(on) - set(off)
    assert PREVIEW_PATH in added
    assert added <= set(render_preview_files(PREVIEW_SPEC))
    assert "contains(github.event.pull_request.labels.*.name, 'needs preview')" in on[PREVIEW_PATH]
    settings = _settings(root)
    assert cross_stack_problems(settings) == []
    repository = settings["prod"].identity.github_repository
    assert project_previews(settings, repository) == RepositoryPreviews("dev", "needs preview")
    assert on == generated_files(settings["prod"], project_previews(settings, repository))
    assert generated_files(settings["dev"], project_previews(settings, repository)) == {}


def test_a_previews_setting_in_another_stack_file_is_checked_by_the_owner(tmp_path: Path) -> None:
    """The owner reads only dev's plain ``previews`` and ``previewLabel``, with their own
    rules: a value dev's own run would refuse stops the owner's too, naming the file."""
    root = _project(tmp_path)
    _previews_on(root, extra="  slipway:previewLabel: it's\n")
    with pytest.raises(ConfigError) as caught:
        run_stack("prod", root=root)
    assert caught.value.problems[0].startswith(
        'slipway:previewLabel (Pulumi.dev.yaml): got "it\'s"; a label of 1-50 letters'
    )
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_the_owner_reads_only_plain_settings_of_its_own_repository(tmp_path: Path) -> None:
    """What the owner reads of another stack file (infra/previews.py): a file of another
    repository is not checked at all, and a ``secure:`` value is never read (it would be a
    placeholder offline, and is not decrypted for real either)."""
    root = _project(tmp_path)
    staging = root / "Pulumi.staging.yaml"
    other = staging.read_text().replace(
        "slipway:githubRepository: acme-corp/storefront\n",
        "slipway:githubRepository: acme-corp/other\n",
    )
    staging.write_text(other + "  slipway:previews: true\n  slipway:previewLabel: it's\n")
    assert read_stack_file("staging", root, "acme-corp/storefront") is None
    with pytest.raises(ConfigError, match=r"slipway:previewLabel \(Pulumi.staging.yaml\)"):
        read_stack_file("staging", root)
    dev = root / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  slipway:previews:\n    secure: AAABAKw2dGVzdA==\n")
    source = read_stack_file("dev", root, "acme-corp/storefront")
    assert source is not None
    assert source.previews is False
