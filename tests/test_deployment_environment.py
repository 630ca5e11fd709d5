"""DeploymentEnvironment: protection rules, creation order, variables and secrets."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from slipway.contract import EnvironmentSecret, EnvironmentVariable
from slipway.deployment_environment import (
    DeploymentEnvironment,
    DeploymentEnvironmentArgs,
    pattern_problem,
)
from slipway.errors import ConfigError
from slipway.github_plan import GithubPlan, RepositoryPlan, Visibility
from tooling.offline import Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"


def github_id(name: str) -> int:
    """The ID the offline GitHub mock answers for a login or team slug."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)


def environment(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = DeploymentEnvironmentArgs(
            **{"repository": "acme-corp/storefront", "environment": "prod", **overrides}
        )
        component = DeploymentEnvironment("prod-env", args)
        return {
            "environment": component.environment,
            "repository": component.repository_name,
            "variables": component.variable_names,
            "secrets": component.secret_names,
        }

    return run(program)


def test_environment_defaults_protect_the_deployment(run_component: Runner) -> None:
    recording = environment(run_component)
    env = recording.one(ENVIRONMENT)
    assert env.name == "prod-env-environment"
    assert env.inputs["repository"] == "storefront"
    assert env.inputs["environment"] == "prod"
    assert env.inputs["preventSelfReview"] is True
    assert env.inputs["canAdminsBypass"] is False
    assert env.inputs["waitTimer"] == 0
    assert env.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    assert "reviewers" not in env.inputs
    policies = recording.of_type(POLICY)
    assert [p.inputs["branchPattern"] for p in policies] == [
        "main",
        "release/[0-9]*.x",
        "release/*@[0-9]*.x",
        "release/@*/*@[0-9]*.x",
    ]
    assert all("tagPattern" not in p.inputs for p in policies)
    assert recording.outputs["environment"] == "prod"
    assert recording.outputs["repository"] == "storefront"


def test_reviewers_are_resolved_to_ids(run_component: Runner) -> None:
    recording = environment(
        run_component,
        reviewers=("octocat", "hubot"),
        reviewer_teams=("platform",),
        require_reviewers=True,
        wait_timer_minutes=30,
        prevent_self_review=True,
        can_admins_bypass=False,
    )
    env = recording.one(ENVIRONMENT)
    assert env.inputs["reviewers"] == [
        {"users": [github_id("octocat"), github_id("hubot")], "teams": [github_id("platform")]}
    ]
    assert env.inputs["waitTimer"] == 30
    assert env.inputs["preventSelfReview"] is True
    assert env.inputs["canAdminsBypass"] is False


def test_self_review_and_admin_bypass_follow_the_arguments(run_component: Runner) -> None:
    env = environment(
        run_component, reviewers=("octocat",), prevent_self_review=False, can_admins_bypass=True
    ).one(ENVIRONMENT)
    assert env.inputs["preventSelfReview"] is False
    assert env.inputs["canAdminsBypass"] is True
    assert env.inputs["reviewers"] == [{"users": [github_id("octocat")], "teams": []}]


def test_branch_and_tag_policies_are_created_after_the_environment(run_component: Runner) -> None:
    recording = environment(
        run_component,
        deploy_branch_patterns=("main", "release/*"),
        deploy_tag_patterns=("v*",),
    )
    env = recording.one(ENVIRONMENT)
    assert env.inputs["deploymentBranchPolicy"]["customBranchPolicies"] is True
    policies = recording.of_type(POLICY)
    assert [(p.inputs.get("branchPattern"), p.inputs.get("tagPattern")) for p in policies] == [
        ("main", None),
        ("release/*", None),
        (None, "v*"),
    ]
    order = [r.urn for r in recording.resources]
    for policy in policies:
        assert env.urn in policy.dependencies, policy.name
        assert order.index(env.urn) < order.index(policy.urn)
        assert policy.inputs["environment"] == "prod"
        assert policy.inputs["repository"] == "storefront"
        assert policy.parent_name == "prod-env"


def test_protected_branches_only_creates_no_custom_policy(run_component: Runner) -> None:
    recording = environment(run_component, protected_branches_only=True)
    assert recording.one(ENVIRONMENT).inputs["deploymentBranchPolicy"] == {
        "protectedBranches": True,
        "customBranchPolicies": False,
    }
    assert recording.of_type(POLICY) == []


def test_no_patterns_lets_every_branch_deploy(run_component: Runner) -> None:
    recording = environment(run_component, deploy_branch_patterns=())
    assert "deploymentBranchPolicy" not in recording.one(ENVIRONMENT).inputs
    assert recording.of_type(POLICY) == []


def test_variables_use_the_contract_names(run_component: Runner) -> None:
    values = {
        EnvironmentVariable.AWS_REGION: "eu-west-1",
        EnvironmentVariable.AWS_DEPLOY_ROLE_ARN: pulumi.Output.from_input(
            "arn:aws:iam::111122223333:role/deploy"
        ),
        EnvironmentVariable.ECS_SERVICE: "shop-prod-web",
    }
    recording = environment(run_component, variables=values)
    env = recording.one(ENVIRONMENT)
    written = {v.inputs["variableName"]: v for v in recording.of_type(VARIABLE)}
    assert set(written) == {"AWS_REGION", "AWS_DEPLOY_ROLE_ARN", "ECS_SERVICE"}
    assert written["AWS_REGION"].inputs["value"] == "eu-west-1"
    assert written["AWS_DEPLOY_ROLE_ARN"].inputs["value"] == "arn:aws:iam::111122223333:role/deploy"
    for variable in written.values():
        assert variable.inputs["environment"] == "prod"
        assert variable.inputs["repository"] == "storefront"
        assert env.urn in variable.dependencies
        assert variable.secret_inputs == frozenset()
    assert recording.outputs["variables"] == sorted(written)


def test_every_environment_secret_is_a_secret_input(run_component: Runner) -> None:
    recording = environment(
        run_component,
        secrets={EnvironmentSecret.SLACK_WEBHOOK_URL: pulumi.Output.secret(WEBHOOK)},
        variables={EnvironmentVariable.AWS_REGION: "eu-west-1"},
    )
    (secret,) = recording.of_type(SECRET)
    assert secret.inputs["secretName"] == "SLACK_WEBHOOK_URL"
    assert secret.inputs["value"] == WEBHOOK
    assert "value" in secret.secret_inputs
    assert "plaintextValue" not in secret.inputs
    assert recording.one(ENVIRONMENT).urn in secret.dependencies
    for resource in recording.resources:
        for name, value in resource.inputs.items():
            if WEBHOOK in str(value):
                assert name in resource.secret_inputs, (resource.name, name)
    assert recording.outputs["secrets"] == ["SLACK_WEBHOOK_URL"]


def test_a_plain_string_secret_is_still_sent_as_a_secret(run_component: Runner) -> None:
    recording = environment(run_component, secrets={EnvironmentSecret.SLACK_WEBHOOK_URL: WEBHOOK})
    (secret,) = recording.of_type(SECRET)
    assert "value" in secret.secret_inputs


def test_every_child_is_parented_to_the_component(run_component: Runner) -> None:
    recording = environment(
        run_component,
        reviewers=("octocat",),
        deploy_tag_patterns=("v*",),
        variables={EnvironmentVariable.AWS_REGION: "eu-west-1"},
        secrets={EnvironmentSecret.SLACK_WEBHOOK_URL: WEBHOOK},
    )
    for resource in recording.resources:
        if resource.type == DeploymentEnvironment.TOKEN:
            assert resource.parent_type == "pulumi:pulumi:Stack"
        else:
            assert resource.parent_type == DeploymentEnvironment.TOKEN, resource.name
            assert resource.name.startswith("prod-env-"), resource.name


@pytest.mark.parametrize(
    "pattern", ["main", "release/*", "v*", "v[0-9]*", "feature/**", "hotfix-?", "v*.*.*"]
)
def test_valid_globs_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize(
    "pattern", ["", " main", "ma in", "a..b", "/main", "main/", "v[0-9", "v]", "a:b", "a~1"]
)
def test_invalid_globs_are_refused(pattern: str) -> None:
    assert pattern_problem(pattern) is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"reviewers": tuple(f"user{i}" for i in range(7))},
            "DeploymentEnvironmentArgs.reviewers: got ['user0'",
        ),
        (
            {"reviewers": ("a", "b", "c", "d"), "reviewer_teams": ("t1", "t2", "t3")},
            "at most 6 users and teams together",
        ),
        ({"wait_timer_minutes": 50000}, "DeploymentEnvironmentArgs.wait_timer_minutes: got 50000"),
        ({"wait_timer_minutes": -1}, "DeploymentEnvironmentArgs.wait_timer_minutes: got -1"),
        ({"repository": "storefront"}, "DeploymentEnvironmentArgs.repository: got 'storefront'"),
        ({"repository": "acme corp/storefront"}, "DeploymentEnvironmentArgs.repository"),
        ({"environment": "prod/eu"}, "DeploymentEnvironmentArgs.environment: got 'prod/eu'"),
        ({"require_reviewers": True}, "DeploymentEnvironmentArgs.reviewers: got []"),
        ({"reviewers": ("bad login",)}, "DeploymentEnvironmentArgs.reviewers"),
        ({"reviewer_teams": ("Platform Team",)}, "DeploymentEnvironmentArgs.reviewer_teams"),
        ({"reviewers": ("octocat", "octocat")}, "distinct GitHub logins"),
        (
            {"deploy_branch_patterns": ("release/[0-9",)},
            "DeploymentEnvironmentArgs.deploy_branch_patterns: got 'release/[0-9'",
        ),
        ({"deploy_branch_patterns": ("",)}, "DeploymentEnvironmentArgs.deploy_branch_patterns"),
        ({"deploy_tag_patterns": ("v 1",)}, "DeploymentEnvironmentArgs.deploy_tag_patterns"),
        ({"deploy_tag_patterns": ("../v1",)}, "DeploymentEnvironmentArgs.deploy_tag_patterns"),
        (
            {"protected_branches_only": True, "deploy_tag_patterns": ("v*",)},
            "DeploymentEnvironmentArgs.protected_branches_only",
        ),
        ({"variables": {"AWS_SECRET_ACCESS_KEY": "x"}}, "DeploymentEnvironmentArgs.variables"),
        ({"variables": {EnvironmentVariable.ECS_CLUSTER: ""}}, "non-empty values"),
        ({"secrets": {"NPM_TOKEN": "x"}}, "DeploymentEnvironmentArgs.secrets: got ['NPM_TOKEN']"),
        (
            {
                "reviewers": ("octocat",),
                "repository_plan": RepositoryPlan(Visibility.PRIVATE, GithubPlan.TEAM),
            },
            "DeploymentEnvironmentArgs.reviewers: got ['octocat']; none on a private repository "
            "on the team plan: GitHub enforces required reviewers and wait timers there only on "
            "GitHub Enterprise",
        ),
        (
            {
                "wait_timer_minutes": 5,
                "repository_plan": RepositoryPlan(Visibility.INTERNAL, GithubPlan.TEAM),
            },
            "DeploymentEnvironmentArgs.wait_timer_minutes: got 5; none on an internal repository",
        ),
        (
            {"repository_plan": RepositoryPlan(Visibility.PRIVATE, GithubPlan.FREE)},
            "DeploymentEnvironmentArgs.repository_plan: got 'a private repository on the free "
            "plan'; a public repository, or a plan with environments",
        ),
    ],
)
def test_bad_settings_fail_before_anything_is_registered(
    run_component: Runner, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        environment(run_component, **overrides)
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]


def test_several_problems_are_reported_together(run_component: Runner) -> None:
    with pytest.raises(ConfigError) as caught:
        environment(run_component, wait_timer_minutes=50000, repository="x", require_reviewers=True)
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize(
    "plan",
    [
        RepositoryPlan(Visibility.PUBLIC, GithubPlan.FREE),
        RepositoryPlan(Visibility.PRIVATE, GithubPlan.ENTERPRISE),
    ],
)
def test_reviewers_and_wait_timer_where_github_enforces_them(
    run_component: Runner, plan: RepositoryPlan
) -> None:
    recording = environment(
        run_component, reviewers=("octocat",), wait_timer_minutes=5, repository_plan=plan
    )
    env = recording.one(ENVIRONMENT)
    assert env.inputs["reviewers"][0]["users"] == [github_id("octocat")]
    assert env.inputs["waitTimer"] == 5


def test_a_private_team_repository_gets_an_environment_without_a_gate(
    run_component: Runner,
) -> None:
    plan = RepositoryPlan(Visibility.PRIVATE, GithubPlan.TEAM)
    env = environment(run_component, repository_plan=plan).one(ENVIRONMENT)
    assert not env.inputs.get("reviewers")
    assert env.inputs["waitTimer"] == 0


@pytest.mark.parametrize(
    ("visibility", "plan", "environments", "protection", "attestations", "code_scanning"),
    [
        (Visibility.PUBLIC, GithubPlan.FREE, True, True, True, True),
        (Visibility.PRIVATE, GithubPlan.FREE, False, False, False, False),
        (Visibility.PRIVATE, GithubPlan.PRO, True, False, False, False),
        (Visibility.PRIVATE, GithubPlan.TEAM, True, False, False, True),
        (Visibility.PRIVATE, GithubPlan.ENTERPRISE, True, True, True, True),
        (Visibility.INTERNAL, GithubPlan.ENTERPRISE, True, True, True, True),
    ],
)
def test_what_each_plan_offers(
    visibility: Visibility,
    plan: GithubPlan,
    environments: bool,
    protection: bool,
    attestations: bool,
    code_scanning: bool,
) -> None:
    """GitHub's availability notes (components.github_plan cites them), as a table."""
    offered = RepositoryPlan(visibility, plan)
    assert offered.environments is environments
    assert offered.protection_rules is protection
    assert offered.attestations is attestations
    assert offered.code_scanning_purchasable is code_scanning


def test_plan_values_must_be_members() -> None:
    with pytest.raises(ConfigError) as caught:
        RepositoryPlan("private", "team")  # type: ignore[arg-type]
    assert caught.value.problems == [
        "RepositoryPlan.visibility: got 'private'; a Visibility member: Visibility.PUBLIC, "
        "Visibility.PRIVATE, Visibility.INTERNAL",
        "RepositoryPlan.plan: got 'team'; a GithubPlan member: GithubPlan.FREE, GithubPlan.PRO, "
        "GithubPlan.TEAM, GithubPlan.ENTERPRISE",
    ]
