"""State and secrets per stack, decided by Principal Mapper (tests/iam_eval.py) against the
policies as they are registered: bootstrap/'s bucket policy and key policies (run offline with
every stack discovered from the stack files in ``stacks``), and each stack's roles, role
policies and permissions boundary (the stack run offline with its own key).

For every ordered pair of stacks (own, other), the apply, deploy and preview roles of ``own``
and the job a pull request can run without a reviewer try the other stack's state objects
(every form pulumi's diy backend writes: bootstrap ``stack_paths``), its secrets key and the
shared bucket and key; each attempt must be denied. Positive controls: the same roles read and
write their own state and decrypt their own secrets; an administrator reads every stack's.

Request context: S3 puts no resource tag into an object request's context, so the object
attempts carry none. KMS does (``aws:ResourceTag`` of the key), so the key attempts carry the
key's tags, and a second pass evaluates the key policy with no boundary at all. The
principal's own tags are in every context (``aws:PrincipalTag/...``), as AWS puts them.

``ReadOnlyAccess`` (the preview role's managed policy) cannot be read offline; it is stood in
for by ``Get*``/``List*``/``Describe*`` on everything, which grants at least the S3 reads it
grants, so a denial holds for the real policy too.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from functools import cache
from typing import Any

import pytest

from tests.conftest import recorded
from tests.iam_checks import trust_allows
from tests.iam_eval import ADMINISTRATOR_ACCESS, Principal
from tests.test_bootstrap import run_bootstrap
from tests.test_stacks import OIDC_PROVIDER, github_token
from tooling.offline import ACCOUNT_ID, STACKS, GithubRepository, Recording, run_stack

REGION = "eu-west-1"
PROJECT = "slipway"
BUCKET = f"slipway-pulumi-state-{ACCOUNT_ID}-{REGION}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ADMIN = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
READ_ONLY_STAND_IN = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["*:Get*", "*:List*", "*:Describe*"], "Resource": "*"}
    ],
}
PAIRS = list(itertools.permutations(STACKS, 2))


def key_arn(env: str) -> str:
    """A stand-in ARN for the stack's own key (the key policies say ``Resource: *``)."""
    return (
        f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/mrk-{hashlib.sha256(env.encode()).hexdigest()[:32]}"
    )


SHARED_KEY = key_arn("shared")


@cache
def stack(env: str) -> Recording:
    return recorded(
        env,
        overrides={
            "stateBucketArn": BUCKET_ARN,
            "stateKeyArn": key_arn(env),
            "stateBucketKeyArn": SHARED_KEY,
        },
    )


def tags(env: str) -> dict[str, str]:
    return dict(stack(env).one(ROLE, "github-oidc-apply").inputs["tags"])


def app(env: str) -> str:
    return tags(env)["slipway:app"]


@cache
def bootstrap() -> Recording:
    listed = ", ".join(f'"{app(env)}/{env}"' for env in STACKS)
    return run_bootstrap(
        {
            "slipway-bootstrap:stacks": f"[{listed}]",
            "slipway-bootstrap:adminPrincipalArns": f'["{ADMIN}"]',
        }
    )


def bucket_policy() -> dict[str, Any]:
    policy: dict[str, Any] = (
        bootstrap().one("aws:s3/bucketPolicy:BucketPolicy").json_input("policy")
    )
    return policy


def key_policy(env: str | None) -> dict[str, Any]:
    name = "state-key" if env is None else f"secrets-key-{app(env)}-{env}"
    policy: dict[str, Any] = bootstrap().one("aws:kms/key:Key", name).json_input("policy")
    return policy


def _policies(env: str, role: str, managed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policies = {"managed": managed}
    for policy in stack(env).of_type(ROLE_POLICY):
        if policy.name.startswith(f"github-oidc-{role}-"):
            policies[policy.name] = policy.json_input("policy")
    return policies


def principal(env: str, role: str) -> Principal:
    """A CI role of ``env`` as registered: its policies, the stack's boundary, its tags."""
    rec = stack(env)
    registered = rec.one(ROLE, f"github-oidc-{role}")
    managed = {"apply": ADMINISTRATOR_ACCESS, "preview": READ_ONLY_STAND_IN}.get(role, {
        "Version": "2012-10-17", "Statement": []
    })  # fmt: skip
    return Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/github-oidc-{role}-{env}",
        policies=_policies(env, role, managed),
        boundary_arn=registered.inputs["permissionsBoundary"],
        boundary=rec.one("aws:iam/policy:Policy", "boundary-policy").json_input("policy"),
        tags=dict(registered.inputs["tags"]),
    )


def pull_request_contexts() -> list[tuple[str, str]]:
    """(repository, context) of every OIDC token a pull request's job can get without a
    reviewer: the bare ``pull_request`` subject of either repository, and every environment
    any stack created that has no reviewers and no branch limit (a pull request may edit its
    workflow to name any environment; a branch limit refuses its ``refs/pull/…`` ref)."""
    owner = "acme-corp"
    contexts = {(f"{owner}/{repo}", "pull_request") for repo in ("storefront", "storefront-infra")}
    for env in STACKS:
        for environment in stack(env).of_type(
            "github:index/repositoryEnvironment:RepositoryEnvironment"
        ):
            inputs = environment.inputs
            if not inputs.get("reviewers") and inputs.get("deploymentBranchPolicy") is None:
                contexts.add(
                    (f"{owner}/{inputs['repository']}", f"environment:{inputs['environment']}")
                )
    return sorted(contexts)


def pull_request_roles(env: str) -> list[str]:
    """The CI roles of ``env`` whose trust policy (tests/iam_checks.trust_allows) accepts a
    token of :func:`pull_request_contexts`."""
    rec = stack(env)
    return [
        role
        for role in ("preview", "apply", "deploy")
        if any(
            trust_allows(
                rec.one(ROLE, f"github-oidc-{role}").inputs["assumeRolePolicy"],
                github_token(repository, context, immutable=True),
                OIDC_PROVIDER,
            )
            for repository, context in pull_request_contexts()
        )
    ]


def state_objects(app_name: str, env: str) -> list[str]:
    """Every object pulumi's diy backend reads or writes for one stack (bootstrap
    ``stack_paths`` cites the source)."""
    root = f"{BUCKET_ARN}/{app_name}/.pulumi"
    stacks = f"{root}/stacks/{PROJECT}/{env}"
    return [
        f"{stacks}.json",
        f"{stacks}.json.bak",
        f"{stacks}.json.gz",
        f"{stacks}.json.gz.bak",
        f"{stacks}.json.zst",
        f"{stacks}.pulumi-tags",
        f"{root}/history/{PROJECT}/{env}/{env}-1765000000000000000.history.json",
        f"{root}/history/{PROJECT}/{env}/{env}-1765000000000000000.checkpoint.json",
        f"{root}/backups/{PROJECT}/{env}/{env}.1765000000000000000.json",
        f"{root}/locks/organization/{PROJECT}/{env}/0b6f2f5c-7d1e-4c2a-9d7e-3c1f0e2b8a11.json",
    ]


OBJECT_ATTEMPTS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
)
KEY_ATTEMPTS = (
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
)
BUCKET_ATTEMPTS = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteBucket",
)


def _key_context(env: str) -> dict[str, str]:
    return {f"aws:ResourceTag/slipway:{k}": v for k, v in (("app", app(env)), ("environment", env))}


def attackers(own: str) -> dict[str, Principal]:
    roles = {role: principal(own, role) for role in ("apply", "deploy", "preview")}
    for role in pull_request_roles(own):
        roles[f"pull-request-job({role})"] = roles[role]
    return roles


# The catalogue: every ordered pair of stacks -------------------------------------------------


@pytest.mark.parametrize(("own", "other"), PAIRS)
def test_no_role_of_a_stack_reaches_another_stacks_state(own: str, other: str) -> None:
    allowed = [
        (name, action, obj)
        for name, role in attackers(own).items()
        for obj in state_objects(app(other), other)
        for action in OBJECT_ATTEMPTS
        if role.allows(action, obj, resource_policy=bucket_policy())
    ]
    assert allowed == []


@pytest.mark.parametrize(("own", "other"), PAIRS)
def test_no_role_of_a_stack_uses_another_stacks_secrets_key(own: str, other: str) -> None:
    resource = key_arn(other)
    allowed = [
        (name, action)
        for name, role in attackers(own).items()
        for action in KEY_ATTEMPTS
        if role.allows(action, resource, _key_context(other), resource_policy=key_policy(other))
    ]
    assert allowed == []
    # The key policy alone, with no boundary and no resource tag in the context: a role with
    # AdministratorAccess and this stack's tags.
    bare = Principal(arn=f"arn:aws:iam::{ACCOUNT_ID}:role/x", tags=tags(own))
    assert [
        a for a in KEY_ATTEMPTS if bare.allows(a, resource, resource_policy=key_policy(other))
    ] == []


@pytest.mark.parametrize("own", STACKS)
def test_no_stack_changes_the_shared_bucket_or_key(own: str) -> None:
    for name, role in attackers(own).items():
        for action in BUCKET_ATTEMPTS:
            assert not role.allows(action, BUCKET_ARN, resource_policy=bucket_policy()), (
                name,
                action,
            )
        for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"):
            assert not role.allows(action, SHARED_KEY, resource_policy=key_policy(None)), (
                name,
                action,
            )


@pytest.mark.parametrize("own", STACKS)
def test_no_stack_rewrites_the_store_meta(own: str) -> None:
    """``meta.yaml`` is shared by the app's stacks: they read it, only administrators write it
    (a stack that rewrote its version would stop every other stack's pulumi)."""
    meta = f"{BUCKET_ARN}/{app(own)}/.pulumi/meta.yaml"
    for name, role in attackers(own).items():
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
            assert not role.allows(action, meta, resource_policy=bucket_policy()), (name, action)
    assert Principal(arn=ADMIN).allows("s3:PutObject", meta, resource_policy=bucket_policy())


@pytest.mark.parametrize(("own", "other"), PAIRS)
def test_a_stack_cannot_wear_another_stacks_tags(own: str, other: str) -> None:
    """The bucket and key policies trust ``slipway:environment``/``slipway:app`` on the
    principal: the stack's boundary denies setting them to another stack's value on its
    roles, creating a role with them, and removing them."""
    apply = principal(own, "apply")
    own_role = f"arn:aws:iam::{ACCOUNT_ID}:role/github-oidc-apply-{own}"
    request = {"aws:RequestTag/slipway:environment": other, "aws:TagKeys": ["slipway:environment"]}
    assert not apply.allows("iam:TagRole", own_role, request)
    assert not apply.allows("iam:CreateRole", f"arn:aws:iam::{ACCOUNT_ID}:role/new", request)
    assert not apply.allows("iam:TagUser", f"arn:aws:iam::{ACCOUNT_ID}:user/new", request)
    removal = {"aws:TagKeys": ["slipway:environment"]}
    assert not apply.allows("iam:UntagRole", own_role, removal)
    # Session tags override the role's own tags in aws:PrincipalTag (IAM User Guide, "Passing
    # session tags in AWS STS"): passing another stack's value is sts:TagSession with it as a
    # request tag, which the boundary denies like any other tagging.
    assert not apply.allows("sts:TagSession", own_role, request)
    own_value = {**request, "aws:RequestTag/slipway:environment": own}
    assert apply.allows("sts:TagSession", own_role, own_value)


@pytest.mark.parametrize(("own", "other"), PAIRS)
def test_an_untagged_role_a_stack_could_make_reaches_no_state(own: str, other: str) -> None:
    """A role the apply role creates carries its boundary; were it left untagged, the bucket
    and key policies refuse it everything (only administrators are untagged readers)."""
    apply = principal(own, "apply")
    rogue = Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/rogue",
        boundary_arn=apply.boundary_arn,
        boundary=apply.boundary,
    )
    for env in (own, other):
        for obj in state_objects(app(env), env):
            assert not rogue.allows("s3:GetObject", obj, resource_policy=bucket_policy()), obj
        assert not rogue.allows("kms:Decrypt", key_arn(env), resource_policy=key_policy(env))


def without_variables(policy: dict[str, Any]) -> dict[str, Any]:
    """``policy`` without the statements that use policy variables: AWS may treat a statement
    whose variable it cannot resolve as invalid (IAM User Guide, "IAM policy elements:
    Variables and tags"), where Principal Mapper keeps the variable as literal text."""
    kept = [s for s in policy["Statement"] if "${" not in json.dumps(s)]
    return {**policy, "Statement": kept}


@pytest.mark.parametrize("own", STACKS)
def test_a_role_with_half_the_tags_reaches_no_state(own: str) -> None:
    """A role the stack tags with its environment but no app (the boundary refuses only
    another app's value) has no ``${aws:PrincipalTag/slipway:app}``: it is refused by
    statements that need no variable."""
    apply = principal(own, "apply")
    half = Principal(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/half",
        boundary_arn=apply.boundary_arn,
        boundary=apply.boundary,
        tags={"slipway:environment": own},
    )
    policy = without_variables(bucket_policy())
    for env in STACKS:
        for obj in state_objects(app(env), env):
            assert not half.allows("s3:GetObject", obj, resource_policy=policy), obj


def test_without_the_bucket_policy_the_apply_role_reads_other_stacks_state() -> None:
    """The evaluator's baseline: the attempts above are denied by the bucket policy, not by
    anything else (S3 objects carry no tag the boundary could test)."""
    own, other = PAIRS[0]
    role = principal(own, "apply")
    assert role.allows("s3:GetObject", state_objects(app(other), other)[0])
    assert role.allows("s3:PutObject", state_objects(app(other), other)[0])


def test_prod_is_previewed_by_no_pull_request_without_a_reviewer() -> None:
    for env in STACKS:
        if stack(env).one(ROLE, "github-oidc-apply").inputs["tags"]["slipway:profile"] == "prod":
            assert pull_request_roles(env) == [], env
        else:
            assert pull_request_roles(env) == ["preview"], env


# Positive controls ---------------------------------------------------------------------------


@pytest.mark.parametrize("own", STACKS)
def test_each_role_still_does_its_own_work(own: str) -> None:
    apply, preview = principal(own, "apply"), principal(own, "preview")
    policy = bucket_policy()
    meta = f"{BUCKET_ARN}/{app(own)}/.pulumi/meta.yaml"
    for obj in state_objects(app(own), own):
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert apply.allows(action, obj, resource_policy=policy), (action, obj)
        assert preview.allows("s3:GetObject", obj, resource_policy=policy), obj
        assert not preview.allows("s3:PutObject", obj, resource_policy=policy), obj
    for role in (apply, preview):
        assert role.allows("s3:GetObject", meta, resource_policy=policy)
        assert role.allows("s3:ListBucket", BUCKET_ARN, {"s3:prefix": f"{app(own)}/.pulumi/"},
                           resource_policy=policy)  # fmt: skip
        assert role.allows("kms:Decrypt", key_arn(own), _key_context(own),
                           resource_policy=key_policy(own))  # fmt: skip
        via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
        assert role.allows("kms:Decrypt", SHARED_KEY, via_s3, resource_policy=key_policy(None))
    for action in ("kms:Encrypt", "kms:GenerateDataKey"):
        assert apply.allows(
            action, key_arn(own), _key_context(own), resource_policy=key_policy(own)
        )


def test_an_administrator_reads_every_stacks_state_and_changes_the_bucket() -> None:
    admin = Principal(arn=ADMIN)
    for env in STACKS:
        assert admin.allows(
            "s3:GetObject", state_objects(app(env), env)[0], resource_policy=bucket_policy()
        )
        assert admin.allows("kms:Decrypt", key_arn(env), resource_policy=key_policy(env))
    assert admin.allows("s3:PutBucketPolicy", BUCKET_ARN, resource_policy=bucket_policy())


def test_where_github_would_not_enforce_reviewers_no_pull_request_gets_prods_role() -> None:
    """A private infrastructure repository below Enterprise has no enforced reviewers: prod's
    preview role then trusts only its drift environment (default branch only), pull requests
    preview prod with the offline plan, and the plan says so."""
    private = {
        "acme-corp/storefront-infra": GithubRepository(
            "acme-corp/storefront-infra", visibility="private"
        )
    }
    rec = run_stack("prod", overrides={"githubPlan": "team"}, github_repositories=private)
    trust = rec.one(ROLE, "github-oidc-preview").json_input("assumeRolePolicy")
    subjects = [v for s in trust["Statement"] for v in s["Condition"]["StringEquals"].values()]
    assert [s.rsplit(":", 1)[-1] for s in subjects if s.startswith("repo:")] == ["infra-drift-prod"]
    environments = {
        e.inputs["environment"]
        for e in rec.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
    }
    assert "infra-preview-prod" not in environments
    assert "infra-drift-prod" in environments
    assert any("the offline plan (make plan) is its preview" in w for w in rec.warnings)
