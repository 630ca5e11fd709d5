"""RepositoryGuardrails: the branch rulesets, workflow permissions and CODEOWNERS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from slipway.errors import ConfigError
from slipway.repository_guardrails import (
    DEFAULT_STATUS_CHECKS,
    GITHUB_ACTIONS_APP_ID,
    RepositoryGuardrails,
    RepositoryGuardrailsArgs,
)
from slipway.workflows.docker import VERSION_MERGE, docker_workflow
from slipway.workflows.release import RELEASE_BRANCH_PATTERNS, RELEASE_TAG_PATTERNS
from slipway.workflows.spec import WorkflowSpec
from tooling.offline import Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
APP_ID = 1234567
"""A release GitHub App's numeric App ID."""
APP_BYPASS = [{"actorType": "Integration", "actorId": APP_ID, "bypassMode": "always"}]
FILE = "github:index/repositoryFile:RepositoryFile"
PERMISSIONS = "github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions"


def guardrails(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = RepositoryGuardrailsArgs(**{"repository": "acme-corp/storefront", **overrides})
        component = RepositoryGuardrails("repo", args)
        return {
            "ruleset": component.ruleset_id,
            "release_ruleset": component.release_branches_ruleset_id,
            "creation_ruleset": component.release_creation_ruleset_id,
            "tags_ruleset": component.release_tags_ruleset_id,
            "checks": component.required_status_checks,
            "codeowners": component.codeowners_path,
        }

    return run(program)


def test_ruleset_protects_the_default_branch(run_component: Runner) -> None:
    recording = guardrails(run_component)
    ruleset = recording.one(RULESET, "repo-ruleset")
    assert ruleset.name == "repo-ruleset"
    assert ruleset.inputs["repository"] == "storefront"
    assert ruleset.inputs["name"] == "slipway-default-branch"
    assert ruleset.inputs["target"] == "branch"
    assert ruleset.inputs["enforcement"] == "active"
    assert ruleset.inputs["conditions"] == {
        "refName": {"includes": ["~DEFAULT_BRANCH"], "excludes": []}
    }
    assert "bypassActors" not in ruleset.inputs
    rules = ruleset.inputs["rules"]
    assert rules["pullRequest"] == {
        "requiredApprovingReviewCount": 1,
        "dismissStaleReviewsOnPush": True,
        "requireLastPushApproval": True,
        "requireCodeOwnerReview": False,
    }
    assert rules["nonFastForward"] is True
    assert rules["deletion"] is True
    assert rules["requiredStatusChecks"] == {
        "requiredChecks": [
            {"context": "Check the image (linux/amd64)", "integrationId": GITHUB_ACTIONS_APP_ID},
            {"context": "Check the image (linux/arm64)", "integrationId": GITHUB_ACTIONS_APP_ID},
            {"context": "Lint the Dockerfile", "integrationId": GITHUB_ACTIONS_APP_ID},
        ],
        "strictRequiredStatusChecksPolicy": True,
    }
    assert recording.outputs["checks"] == list(DEFAULT_STATUS_CHECKS)
    assert recording.outputs["codeowners"] is None


def test_default_checks_are_the_names_docker_yml_reports_on_pull_requests() -> None:
    workflow = docker_workflow(WorkflowSpec(repository="acme-corp/storefront"))
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["check"]
    names = [
        job["name"].replace("${{ matrix.platform }}", entry["platform"])
        for entry in job["strategy"]["matrix"]["include"]
    ]
    assert (*names, workflow["jobs"]["lint"]["name"]) == DEFAULT_STATUS_CHECKS
    # Both run on pull requests: neither is skipped there. `check` skips only a push (the merge
    # of a version pull request; tests/release/test_version_merge.py evaluates it).
    assert workflow["jobs"]["lint"]["if"] == "!(inputs.version != '')"
    assert workflow["jobs"]["check"]["if"] == (f"!(inputs.version != '') && !({VERSION_MERGE})")
    assert VERSION_MERGE.startswith("github.event_name == 'push' && (")


def test_rules_follow_the_arguments(run_component: Runner) -> None:
    recording = guardrails(
        run_component,
        required_approvals=2,
        require_last_push_approval=False,
        required_status_checks=("lint", "Test the image (linux/amd64)"),
        status_check_integration_id=None,
        require_up_to_date_branch=False,
    )
    rules = recording.one(RULESET, "repo-ruleset").inputs["rules"]
    assert rules["pullRequest"]["requiredApprovingReviewCount"] == 2
    assert rules["pullRequest"]["requireLastPushApproval"] is False
    assert rules["pullRequest"]["dismissStaleReviewsOnPush"] is True
    assert rules["requiredStatusChecks"] == {
        "requiredChecks": [{"context": "lint"}, {"context": "Test the image (linux/amd64)"}],
        "strictRequiredStatusChecksPolicy": False,
    }


def test_no_status_checks_means_no_status_check_rule(run_component: Runner) -> None:
    recording = guardrails(run_component, required_status_checks=())
    for name in ("repo-ruleset", "repo-release-branches"):
        rules = recording.one(RULESET, name).inputs["rules"]
        assert "requiredStatusChecks" not in rules, name
        assert rules["nonFastForward"] is True, name


def test_release_branches_get_the_default_branch_rules(run_component: Runner) -> None:
    recording = guardrails(run_component)
    default = recording.one(RULESET, "repo-ruleset")
    release = recording.one(RULESET, "repo-release-branches")
    assert release.parent_type == RepositoryGuardrails.TOKEN
    assert release.inputs["name"] == "slipway-release-branches"
    assert release.inputs["repository"] == "storefront"
    assert release.inputs["target"] == "branch"
    assert release.inputs["enforcement"] == "active"
    assert release.inputs["conditions"] == {
        "refName": {
            "includes": [
                "refs/heads/release/[0-9]*.x",
                "refs/heads/release/*@[0-9]*.x",
                "refs/heads/release/@*/*@[0-9]*.x",
            ],
            "excludes": [],
        }
    }
    # The same patterns release.yml and docker.yml run on, whatever they become.
    includes = release.inputs["conditions"]["refName"]["includes"]
    assert includes == [f"refs/heads/{p}" for p in RELEASE_BRANCH_PATTERNS]
    # Same bypass list as the default branch: none.
    assert "bypassActors" not in release.inputs
    assert "bypassActors" not in default.inputs
    rules = release.inputs["rules"]
    assert rules["pullRequest"] == default.inputs["rules"]["pullRequest"]
    assert rules["requiredStatusChecks"] == {
        **default.inputs["rules"]["requiredStatusChecks"],
        "doNotEnforceOnCreate": True,
    }
    assert rules["nonFastForward"] is True
    assert rules["deletion"] is True
    # release.yml creates these branches with GITHUB_TOKEN: nothing may refuse a creation.
    assert "creation" not in rules
    assert "doNotEnforceOnCreate" not in default.inputs["rules"]["requiredStatusChecks"]
    # The output is this ruleset's ID, not the default-branch one's.
    assert recording.outputs["release_ruleset"]
    assert recording.outputs["release_ruleset"] != recording.outputs["ruleset"]


def test_release_branch_rules_follow_the_arguments(run_component: Runner) -> None:
    recording = guardrails(
        run_component,
        required_approvals=3,
        require_last_push_approval=False,
        codeowners=("@octocat",),
        require_code_owner_review=True,
        required_status_checks=("lint",),
        status_check_integration_id=None,
        require_up_to_date_branch=False,
    )
    rules = recording.one(RULESET, "repo-release-branches").inputs["rules"]
    assert rules["pullRequest"] == {
        "requiredApprovingReviewCount": 3,
        "dismissStaleReviewsOnPush": True,
        "requireLastPushApproval": False,
        "requireCodeOwnerReview": True,
    }
    assert rules["requiredStatusChecks"] == {
        "requiredChecks": [{"context": "lint"}],
        "strictRequiredStatusChecksPolicy": False,
        "doNotEnforceOnCreate": True,
    }


def test_release_branches_can_be_left_alone(run_component: Runner) -> None:
    recording = guardrails(run_component, protect_release_branches=False)
    assert [r.name for r in recording.of_type(RULESET)] == ["repo-ruleset"]
    assert recording.outputs["release_ruleset"] is None
    assert recording.outputs["tags_ruleset"] is None
    # The default-branch ruleset may then take the name.
    renamed = guardrails(
        run_component, protect_release_branches=False, ruleset_name="slipway-release-branches"
    )
    assert renamed.one(RULESET).inputs["name"] == "slipway-release-branches"


def test_workflow_token_is_read_only_and_pull_requests_off_by_default(
    run_component: Runner,
) -> None:
    permissions = guardrails(run_component).one(PERMISSIONS)
    assert permissions.inputs == {
        "repository": "storefront",
        "defaultWorkflowPermissions": "read",
        "canApprovePullRequestReviews": False,
    }


def test_actions_may_create_pull_requests_when_asked(run_component: Runner) -> None:
    permissions = guardrails(run_component, actions_can_create_pull_requests=True).one(PERMISSIONS)
    assert permissions.inputs["canApprovePullRequestReviews"] is True
    assert permissions.inputs["defaultWorkflowPermissions"] == "read"


def test_no_codeowners_file_unless_owners_are_given(run_component: Runner) -> None:
    assert guardrails(run_component).of_type(FILE) == []


def test_codeowners_on_the_default_branch_is_committed_before_the_ruleset(
    run_component: Runner,
) -> None:
    recording = guardrails(
        run_component,
        codeowners=("@acme-corp/platform", "@octocat"),
        require_code_owner_review=True,
    )
    file = recording.one(FILE)
    assert file.inputs["file"] == ".github/CODEOWNERS"
    assert file.inputs["repository"] == "storefront"
    assert file.inputs["overwriteOnCreate"] is False
    assert "branch" not in file.inputs
    lines = file.inputs["content"].splitlines()
    assert "/.github/workflows/ @acme-corp/platform @octocat" in lines
    assert "/.github/CODEOWNERS @acme-corp/platform @octocat" in lines
    ruleset = recording.one(RULESET, "repo-ruleset")
    assert file.urn in ruleset.dependencies
    assert ruleset.inputs["rules"]["pullRequest"]["requireCodeOwnerReview"] is True
    assert recording.outputs["codeowners"] == ".github/CODEOWNERS"


def test_codeowners_on_another_branch_does_not_hold_the_ruleset(run_component: Runner) -> None:
    recording = guardrails(
        run_component, codeowners=("@octocat",), codeowners_branch="slipway/workflows"
    )
    file = recording.one(FILE)
    assert file.inputs["branch"] == "slipway/workflows"
    assert file.urn not in recording.one(RULESET, "repo-ruleset").dependencies


def test_every_child_is_parented_to_the_component(run_component: Runner) -> None:
    recording = guardrails(run_component, codeowners=("@octocat",), release_app_id=APP_ID)
    assert len(recording.resources) == 7
    for resource in recording.resources:
        if resource.type == RepositoryGuardrails.TOKEN:
            assert resource.parent_type == "pulumi:pulumi:Stack"
        else:
            assert resource.parent_type == RepositoryGuardrails.TOKEN, resource.name
            assert resource.name.startswith("repo-"), resource.name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repository": "storefront"}, "RepositoryGuardrailsArgs.repository: got 'storefront'"),
        ({"required_approvals": 0}, "RepositoryGuardrailsArgs.required_approvals: got 0"),
        ({"required_approvals": 11}, "RepositoryGuardrailsArgs.required_approvals: got 11"),
        ({"required_status_checks": ("lint", "lint")}, "required_status_checks"),
        ({"required_status_checks": (" lint",)}, "required_status_checks"),
        ({"status_check_integration_id": 0}, "status_check_integration_id: got 0"),
        ({"codeowners": ("octocat",)}, "RepositoryGuardrailsArgs.codeowners: got ['octocat']"),
        ({"require_code_owner_review": True}, "only with codeowners or external_codeowners"),
        (
            {"codeowners": ("@o",), "external_codeowners": True},
            "RepositoryGuardrailsArgs.external_codeowners",
        ),
        ({"codeowners_branch": "slipway/workflows"}, "codeowners_branch"),
        ({"codeowners": ("@o",), "codeowners_branch": "a..b"}, "codeowners_branch"),
        ({"ruleset_name": "x" * 101}, "RepositoryGuardrailsArgs.ruleset_name"),
        (
            {"ruleset_name": "slipway-release-branches"},
            "RepositoryGuardrailsArgs.ruleset_name: got 'slipway-release-branches'",
        ),
        (
            {"ruleset_name": "slipway-release-tags"},
            "RepositoryGuardrailsArgs.ruleset_name: got 'slipway-release-tags'; a name other than",
        ),
        ({"release_app_id": 0}, "RepositoryGuardrailsArgs.release_app_id: got 0; the GitHub App"),
        ({"release_app_id": "Iv23liAbc"}, "RepositoryGuardrailsArgs.release_app_id: got 'Iv23"),
        ({"release_app_id": True}, "RepositoryGuardrailsArgs.release_app_id: got True"),
        (
            {"release_app_id": APP_ID, "actions_can_create_pull_requests": True},
            "RepositoryGuardrailsArgs.actions_can_create_pull_requests: got True; False with "
            "release_app_id",
        ),
        (
            {"release_app_id": APP_ID, "protect_release_branches": False},
            "RepositoryGuardrailsArgs.release_app_id: got 1234567; None when "
            "protect_release_branches is off",
        ),
    ],
)
def test_bad_arguments_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        guardrails(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_only_the_release_app_creates_release_branches(run_component: Runner) -> None:
    recording = guardrails(run_component, release_app_id=APP_ID)
    creation = recording.one(RULESET, "repo-release-branch-creation")
    assert creation.parent_type == RepositoryGuardrails.TOKEN
    assert creation.inputs["name"] == "slipway-release-branch-creation"
    assert creation.inputs["target"] == "branch"
    assert creation.inputs["enforcement"] == "active"
    assert creation.inputs["conditions"]["refName"]["includes"] == [
        f"refs/heads/{p}" for p in RELEASE_BRANCH_PATTERNS
    ]
    assert creation.inputs["rules"] == {"creation": True}
    assert creation.inputs["bypassActors"] == APP_BYPASS
    # The app bypasses creation only: the release branches' own rules still bind it.
    release = recording.one(RULESET, "repo-release-branches")
    assert "bypassActors" not in release.inputs
    assert "creation" not in release.inputs["rules"]
    assert "bypassActors" not in recording.one(RULESET, "repo-ruleset").inputs
    assert recording.outputs["creation_ruleset"]
    assert not any("no release app" in w for w in recording.warnings)


def test_only_the_release_app_creates_moves_or_deletes_release_tags(run_component: Runner) -> None:
    recording = guardrails(run_component, release_app_id=APP_ID)
    tags = recording.one(RULESET, "repo-release-tags")
    assert tags.inputs["name"] == "slipway-release-tags"
    assert tags.inputs["target"] == "tag"
    assert tags.inputs["enforcement"] == "active"
    assert tags.inputs["conditions"] == {
        "refName": {"includes": [f"refs/tags/{p}" for p in RELEASE_TAG_PATTERNS], "excludes": []}
    }
    assert tags.inputs["rules"] == {"creation": True, "update": True, "deletion": True}
    assert tags.inputs["bypassActors"] == APP_BYPASS
    assert recording.outputs["tags_ruleset"]


def test_without_an_app_release_tags_cannot_move_and_the_plan_warns(
    run_component: Runner,
) -> None:
    """GITHUB_TOKEN cannot be a bypass actor: creation stays open (the workflow needs it),
    moving and deleting release tags is refused for everyone."""
    recording = guardrails(run_component, actions_can_create_pull_requests=True)
    assert "repo-release-branch-creation" not in [r.name for r in recording.of_type(RULESET)]
    tags = recording.one(RULESET, "repo-release-tags")
    assert tags.inputs["rules"] == {"update": True, "deletion": True}
    assert "bypassActors" not in tags.inputs
    assert recording.outputs["creation_ruleset"] is None
    warnings = "\n".join(recording.warnings)
    assert "anyone with write access to acme-corp/storefront can create a release branch" in (
        warnings
    )
    assert "GitHub Actions may create and approve pull requests" in warnings


def test_no_warning_about_pull_requests_while_actions_may_not_create_them(
    run_component: Runner,
) -> None:
    recording = guardrails(run_component, release_app_id=APP_ID)
    assert recording.one(PERMISSIONS).inputs["canApprovePullRequestReviews"] is False
    assert recording.warnings == []
