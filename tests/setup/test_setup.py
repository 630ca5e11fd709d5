"""The set-up command (issue 24), run through its entry point against moto (AWS), the recording
Pulumi stand-in and a GitHub stand-in validated against GitHub's OpenAPI description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from slipway.contract import INFRA_APP_PERMISSIONS, INFRA_READ_APP_PERMISSIONS
from slipway.github_oidc import S3_BUCKET_ARN
from slipway.image_channel import image_reference_problems
from slipway.patterns import KMS_KEY_ARN
from slipway.setup import placeholder
from slipway.setup.cli import main
from slipway.setup.engine import StackRef
from slipway.setup.github import APP_KINDS
from slipway.setup.plan import ENVIRONMENTS, origin_repository
from tests.setup.github_standin import USER_TOKEN
from tests.setup.world import (
    ANSWERS,
    DOMAIN,
    INFRA_REPOSITORY,
    REGION,
    REPOSITORY,
    World,
    answers_file,
    checkout,
    make_world,
)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield make_world()


def run(world: World, tmp_path: Path, *extra: str, **changes: object) -> tuple[int, str]:
    checkout(tmp_path)
    argv = [
        "--answers",
        str(answers_file(tmp_path, **changes)),
        "--project-dir",
        str(tmp_path),
        "--bootstrap-state",
        f"file://{tmp_path}/bootstrap-state",
        *extra,
    ]
    code = main(argv, world.dependencies())
    return code, world.out.getvalue()


ACCOUNT = "123456789012"
"""moto's default account."""
BUCKET = f"slipway-pulumi-state-{ACCOUNT}-{REGION}"
STACKS = f"s3://{BUCKET}/shop?region={REGION}&awssdk=v2"
STEPS = [
    "state-backend",
    "bootstrap-state",
    "placeholder-image",
    "infra-variables",
    *(s for kind in APP_KINDS for s in (f"{kind}-app", f"{kind}-app-installed")),
    *(f"stack-{env}" for env in ENVIRONMENTS),
    *(
        s
        for env in ENVIRONMENTS
        for s in (f"up-{env}", f"infra-credentials-{env}", f"app-secrets-{env}", f"serve-{env}")
    ),
    "release-key",
]


def created_anything(world: World) -> bool:
    return (
        bool(world.engine.calls)
        or bool(world.github.apps)
        or bool(world.client("s3").list_buckets()["Buckets"])
    )


def assert_complete(world: World) -> None:
    """Everything the four steps promise exists."""
    kms, s3, secrets = world.client("kms"), world.client("s3"), world.client("secretsmanager")
    s3.head_bucket(Bucket=BUCKET)
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert {"alias/slipway-pulumi-secrets"} | {
        f"alias/slipway/shop/{e}" for e in ENVIRONMENTS
    } <= aliases
    bootstrap = world.engine.backends[f"s3://{BUCKET}?region={REGION}&awssdk=v2"][
        ("slipway-bootstrap", "bootstrap")
    ]
    assert bootstrap.deployment is not None
    assert {"stackLoginUrls", "stateBucketName"} <= set(bootstrap.deployment["resources"])
    # The infra pipeline's repository variables: the account, and where the stacks are
    # (bootstrap's ``stackLoginUrls.<app>``, as its local stack's outputs say).
    local = next(
        stack
        for url, stacks in world.engine.backends.items()
        if url.startswith("file://")
        for key, stack in stacks.items()
        if key == ("slipway-bootstrap", "bootstrap")
    )
    variables = world.github.variables
    assert variables[(INFRA_REPOSITORY, "AWS_ACCOUNT_ID")] == ACCOUNT
    assert (
        variables[(INFRA_REPOSITORY, "PULUMI_BACKEND_URL")]
        == (local.outputs["stackLoginUrls"]["shop"])
    )
    assert not {repo for repo, _ in variables} - {INFRA_REPOSITORY}
    assert local.outputs["stackLoginUrls"]["shop"] == STACKS
    assert bootstrap.secrets_provider == f"awskms://alias/slipway-pulumi-secrets?region={REGION}"
    zone = world.client("route53").list_hosted_zones()["HostedZones"][0]["Id"].split("/")[-1]
    app = json.loads(secrets.get_secret_value(SecretId="slipway/shop/release-app")["SecretString"])
    for env in ENVIRONMENTS:
        stack = world.engine.backends[STACKS][("slipway", env)]
        assert stack.secrets_provider == f"awskms://alias/slipway/shop/{env}?region={REGION}"
        assert stack.outputs["environmentUrl"].startswith("https://")
        config = stack.config
        assert config["slipway:hostedZoneId"] == zone
        assert config["slipway:githubOidcSubjectFormat"] == "immutable"
        assert config["aws:allowedAccountIds"] == [ACCOUNT]
        assert config["slipway:domainName"] == (DOMAIN if env == "prod" else f"{env}.{DOMAIN}")
        # What the infra pipeline's roles need to read and decrypt the state: the key ARNs
        # (the roles' policies name keys, not aliases), the formats the stack accepts.
        key = kms.describe_key(KeyId=f"alias/slipway/shop/{env}")["KeyMetadata"]["Arn"]
        shared = kms.describe_key(KeyId="alias/slipway-pulumi-secrets")["KeyMetadata"]["Arn"]
        assert config["slipway:stateKeyArn"] == key != shared
        assert config["slipway:stateBucketKeyArn"] == shared
        assert config["slipway:stateBucketArn"] == f"arn:aws:s3:::{BUCKET}"
        assert KMS_KEY_ARN.match(key)
        assert S3_BUCKET_ARN.match(config["slipway:stateBucketArn"])
        for name, value in ANSWERS["appSecrets"].items():  # type: ignore[attr-defined]
            got = secrets.get_secret_value(SecretId=f"shop/{env}/{name}")["SecretString"]
            assert got == value
    # The image every stack starts from: the placeholder, by the digest ECR gives its tag.
    ecr = world.client("ecr")
    uri = ecr.describe_repositories(repositoryNames=["slipway/placeholder"])["repositories"][0][
        "repositoryUri"
    ]
    tag = placeholder.image_tag("X86_64")
    (image,) = ecr.describe_images(
        repositoryName="slipway/placeholder", imageIds=[{"imageTag": tag}]
    )["imageDetails"]
    for env in ENVIRONMENTS:
        config = world.engine.backends[STACKS][("slipway", env)].config
        assert config["slipway:bootstrapImage"] == f"{uri}@{image['imageDigest']}"
        assert not image_reference_problems(config["slipway:bootstrapImage"], "x")
    # Every service runs its first task (the placeholder), started again once its secrets had
    # values.
    ecs = world.client("ecs")
    for env in ENVIRONMENTS:
        (service,) = ecs.describe_services(cluster=f"shop-{env}", services=[f"shop-{env}"])[
            "services"
        ]
        assert service["runningCount"] == 1, env
    prod = world.engine.backends[STACKS][("slipway", "prod")].config
    assert prod["slipway:releaseAppId"] == app["id"]
    assert prod["slipway:releaseAppClientId"] == app["client_id"]
    assert prod["slipway:reviewers"] == ["alice", "bob"]
    assert world.github.secrets[(REPOSITORY, "npm", "RELEASE_APP_PRIVATE_KEY")] == app["pem"]
    # The infra pipeline's credential: the infra apps' client IDs and keys, in the infrastructure
    # repository's environments only; the write app's only where `pulumi up` runs.
    apps = {
        kind: json.loads(
            secrets.get_secret_value(SecretId=f"slipway/shop/{kind}-app")["SecretString"]
        )
        for kind in ("infra", "infra-read")
    }
    for env in ENVIRONMENTS:
        for environment, kind in (
            (f"infra-{env}", "infra"),
            (f"infra-preview-{env}", "infra-read"),
            (f"infra-drift-{env}", "infra-read"),
        ):
            stored = world.github.secrets
            assert (
                stored[(INFRA_REPOSITORY, environment, "INFRA_APP_PRIVATE_KEY")]
                == (apps[kind]["pem"])
            )
            assert (
                stored[(INFRA_REPOSITORY, environment, "INFRA_APP_CLIENT_ID")]
                == (apps[kind]["client_id"])
            )
        config = world.engine.backends[STACKS][("slipway", env)].config
        assert config["slipway:githubInfraRepository"] == INFRA_REPOSITORY
    assert not {k for (_, _, k) in world.github.secrets if "INFRA" in k} - {
        "INFRA_APP_PRIVATE_KEY",
        "INFRA_APP_CLIENT_ID",
    }
    by_name = {app.manifest["name"]: app for app in world.github.apps.values()}
    infra, read = by_name["acme-shop-infra"], by_name["acme-shop-infra-read"]
    assert infra.manifest["default_permissions"] == INFRA_APP_PERMISSIONS
    assert read.manifest["default_permissions"] == INFRA_READ_APP_PERMISSIONS
    assert {infra.client_id, read.client_id} == {a["client_id"] for a in apps.values()}
    assert_no_github_credential_in_stacks(world)
    ups = [c for c in world.engine.calls if c[0] == "up" and c[1] == "slipway"]
    assert [stack for _, _, stack in ups][-3:] == list(ENVIRONMENTS) or len(ups) >= 3


def assert_no_github_credential_in_stacks(world: World) -> None:
    """No stack's configuration or state (its deployment and outputs) holds a GitHub
    credential: no ``github:token`` or ``github:appAuth``, no user token, no app key."""
    keys = [app.pem for app in world.github.apps.values()] + [USER_TOKEN]
    for ref, stack in world.engine.backends[STACKS].items():
        assert not any(k in ("github:token", "github:appAuth") for k in stack.config), ref
        stored = json.dumps([stack.config, stack.deployment, stack.outputs])
        for key in keys:
            assert key not in stored, ref


def test_answers_file_runs_to_the_end_and_a_second_run_skips_everything(
    world: World, tmp_path: Path
) -> None:
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert_complete(world)
    ups = [stack for op, project, stack in world.engine.calls if op == "up"]
    assert ups == ["bootstrap", "prod", "dev", "staging"]
    assert "https://github.com/acme/shop/pull/1" in out
    assert f"https://{DOMAIN}  (prod)" in out
    # The user's GitHub token reaches the provider through the CLI's environment only.
    assert world.engine.credentials == USER_TOKEN
    # bootstrap's local stack opens with a passphrase file the command made, never a prompt.
    passphrase = tmp_path / "bootstrap-state.passphrase"
    assert passphrase.stat().st_mode & 0o777 == 0o600
    assert len(passphrase.read_text()) >= 32
    for stack in world.engine.backends[STACKS].values():
        assert USER_TOKEN not in json.dumps(stack.config)
    assert "postgres://" not in out
    assert "BEGIN RSA" not in out

    calls = len(world.engine.calls)
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert f"Skipped (already done): {', '.join(STEPS)}" in out
    assert [c for c in world.engine.calls[calls:] if c[0] != "export_stack"] == []


def test_dry_run_shows_the_plan_and_creates_nothing(world: World, tmp_path: Path) -> None:
    code, out = run(world, tmp_path, "--dry-run")
    assert code == 0, out
    for step in STEPS:
        assert f"  do    {step}: " in out
    assert "Dry run: nothing was changed." in out
    assert not created_anything(world)


def test_without_a_terminal_a_missing_answer_fails_naming_flag_and_key(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(json.dumps({k: v for k, v in ANSWERS.items() if k != "domain"}))
    code = main(["--answers", str(path)], world.dependencies())
    out = world.out.getvalue()
    assert code == 2
    assert "missing answer 'domain'" in out
    assert "--domain" in out
    assert not created_anything(world)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad-domain", "domain: got 'Shop_Acme'"),
        ("domain-without-zone", "no public Route 53 hosted zone for shop.other.io"),
        ("unknown-repository", "acme/nope does not exist"),
        ("missing-permissions", "lacks admin permission on acme/shop"),
        ("unknown-reviewer", "reviewers: mallory is not a GitHub user"),
        ("region-without-a-feature", "region eu-isoe-west-1 does not offer backup"),
        ("custom-oidc-subject", "customises its OIDC subject"),
        (
            "aws-missing-permissions",
            "AWS refused route53 ListHostedZonesByName (AccessDenied: not authorized to "
            "ListHostedZonesByName); use credentials allowed to administer the account",
        ),
        ("image-without-digest", "bootstrapImage: got 'nginx:latest'; an image pinned by digest"),
        ("checkout-without-origin", "has no GitHub origin remote; pass --infra-repository"),
        ("infra-repository-elsewhere", "infraRepository: got 'other/shop-infra'; a repository of"),
        ("infra-repository-unknown", "infraRepository: acme/nope does not exist"),
        ("infra-repository-not-admin", "lacks admin permission on acme/shop-infra"),
    ],
)
def test_bad_answers_fail_before_anything_is_created(
    world: World, tmp_path: Path, case: str, expected: str
) -> None:
    extra: list[str] = []
    changes: dict[str, object] = {}
    if case == "bad-domain":
        changes["domain"] = "Shop_Acme"
    elif case == "domain-without-zone":
        changes["domain"] = "shop.other.io"
    elif case == "unknown-repository":
        changes["repository"] = "acme/nope"
    elif case == "missing-permissions":
        world.github.repositories[REPOSITORY]["admin"] = False
    elif case == "unknown-reviewer":
        changes["reviewers"] = ["alice", "mallory"]
    elif case == "region-without-a-feature":
        extra = ["--region", "eu-isoe-west-1"]
    elif case == "aws-missing-permissions":
        world.denied.add("ListHostedZonesByName")
    elif case == "image-without-digest":
        changes["bootstrapImage"] = "nginx:latest"
    elif case == "checkout-without-origin":
        checkout(tmp_path, origin="https://gitlab.example/acme/shop-infra.git")
    elif case == "infra-repository-elsewhere":
        changes["infraRepository"] = "other/shop-infra"
    elif case == "infra-repository-unknown":
        changes["infraRepository"] = "acme/nope"
    elif case == "infra-repository-not-admin":
        world.github.repositories[INFRA_REPOSITORY]["admin"] = False
    elif case == "custom-oidc-subject":
        world.github.oidc[REPOSITORY] = {"use_default": False, "include_claim_keys": ["repo"]}
    code, out = run(world, tmp_path, *extra, **changes)
    assert code == 2, out
    assert expected in out
    assert not created_anything(world)


def test_a_repository_on_name_only_subjects_gets_the_name_format(
    world: World, tmp_path: Path
) -> None:
    world.github.add_repository(REPOSITORY, immutable=False)
    code, out = run(world, tmp_path)
    assert code == 0, out
    for env in ENVIRONMENTS:
        config = world.engine.backends[STACKS][("slipway", env)].config
        assert config["slipway:githubOidcSubjectFormat"] == "name"


@pytest.mark.parametrize(
    "origin",
    [
        "https://github.com/acme/shop-infra.git",
        "https://github.com/acme/shop-infra",
        "git@github.com:acme/shop-infra.git",
        "ssh://git@github.com/acme/shop-infra.git",
    ],
)
def test_the_infra_repository_is_found_from_the_checkouts_origin(
    tmp_path: Path, origin: str
) -> None:
    checkout(tmp_path, origin=origin)
    assert origin_repository(tmp_path) == INFRA_REPOSITORY
    assert origin_repository(tmp_path / "nowhere") is None


def arm(world: World, step: str) -> None:
    """Make ``step`` fail once, where it really could: the CLI, GitHub, Secrets Manager."""
    env = step.rsplit("-", 1)[-1]
    if step == "state-backend":
        world.engine.fail_once.add(("up", "bootstrap"))
    elif step == "bootstrap-state":
        world.engine.fail_once.add(("import_stack", "bootstrap"))
    elif step == "placeholder-image":  # the build fails (build.sh exits 1)
        world.fail_next_build = True
    elif step == "infra-variables":  # after AWS_ACCOUNT_ID was created: half-made
        world.github.fail_once.add(
            ("GET", f"/repos/{INFRA_REPOSITORY}/actions/variables/PULUMI_BACKEND_URL")
        )
    elif step == "release-app":
        world.github.fail_once.add(("POST", "/app-manifests/{code}/conversions"))
    elif step.endswith("-app"):  # the release app's code is code1000, then the infra apps'
        world.github.fail_once.add(
            ("POST", f"/app-manifests/code{1000 + APP_KINDS.index(step[:-4])}/conversions")
        )
    elif step.endswith("-app-installed"):
        world.github.fail_installation_once.add(f"acme-shop-{step.removesuffix('-app-installed')}")
    elif step.startswith("infra-credentials-"):  # after the client ID was stored: half-made
        world.github.fail_once.add(
            (
                "PUT",
                f"/repos/{INFRA_REPOSITORY}/environments/infra-{env}/secrets/INFRA_APP_PRIVATE_KEY",
            )
        )
    elif step.startswith("stack-"):
        world.engine.fail_once.add(("set_config", env))  # after the stack exists: half-made
    elif step.startswith("up-"):
        world.engine.fail_once.add(("up", env))
    elif step.startswith("serve-"):
        world.failing_redeploy.add(f"shop-{env}")
    elif step.startswith("app-secrets-"):
        world.failing_secret_prefix.add(f"shop/{env}/SESSION_SECRET")  # after DATABASE_URL
    elif step == "release-key":
        world.github.fail_once.add(
            ("PUT", f"/repos/{REPOSITORY}/environments/npm/secrets/RELEASE_APP_PRIVATE_KEY")
        )
    else:
        raise AssertionError(step)


@pytest.mark.parametrize("step", STEPS)
def test_a_failure_at_any_step_is_finished_by_a_second_run(
    world: World, tmp_path: Path, step: str
) -> None:
    arm(world, step)
    code, out = run(world, tmp_path)
    assert code == 1, out
    assert f"error: step {step} failed" in out
    assert "run the same command again; it continues from this step:\n  setup --answers " in out

    code, out = run(world, tmp_path)
    assert code == 0, out
    before = STEPS[: STEPS.index(step)]
    if before:
        assert f"Skipped (already done): {', '.join(before)}" in out
    assert_complete(world)


def test_a_pinned_bootstrap_image_goes_to_every_stack(world: World, tmp_path: Path) -> None:
    image = "registry.example/placeholder@sha256:" + "a" * 64
    code, out = run(world, tmp_path, bootstrapImage=image)
    assert code == 0, out
    for env in ENVIRONMENTS:
        config = world.engine.backends[STACKS][("slipway", env)].config
        assert config["slipway:bootstrapImage"] == image
    # The user's image wins: no placeholder is built, and bootstrap makes none of its parts.
    assert "placeholder-image" not in out
    assert world.client("codebuild").list_builds()["ids"] == []
    assert world.client("ecr").describe_repositories()["repositories"] == []


def test_a_region_without_codebuild_needs_a_bootstrap_image(world: World, tmp_path: Path) -> None:
    """botocore's endpoint data (1.44.5) lists no CodeBuild in ca-west-1 (ECS is there)."""
    code, out = run(world, tmp_path, "--region", "ca-west-1", "--dry-run")
    assert code == 2, out
    assert "region ca-west-1 does not offer codebuild (botocore's endpoint data)" in out
    assert "pass --bootstrap-image" in out
    assert not created_anything(world)


def test_the_placeholder_is_built_once_per_architecture_and_its_digest_read_from_ecr(
    world: World, tmp_path: Path
) -> None:
    """A stack whose file asks for ARM64 gets the arm64 build's digest; the others the amd64
    one. The build gets this package's buildspec, whatever the project holds."""
    dev = StackRef(tmp_path, "slipway", "dev", STACKS, "awskms://alias/slipway/shop/dev")
    world.engine.ensure_stack(dev)
    world.engine.set_config(dev, "slipway:cpuArchitecture", "ARM64", secret=False)
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert "started the CodeBuild build slipway-placeholder-" in out
    assert "waiting for the placeholder image's build" in out
    started = {b["projectName"]: b for b in world.builds.values()}
    assert set(started) == {"slipway-placeholder-amd64", "slipway-placeholder-arm64"}
    for key, architecture in placeholder.ARCHITECTURES.items():
        assert started[architecture.project]["buildspecOverride"] == placeholder.buildspec(key)
    ecr = world.client("ecr")
    digests = {
        key: ecr.describe_images(
            repositoryName="slipway/placeholder",
            imageIds=[{"imageTag": placeholder.image_tag(key)}],
        )["imageDetails"][0]["imageDigest"]
        for key in placeholder.ARCHITECTURES
    }
    assert digests["ARM64"] != digests["X86_64"]
    for env in ENVIRONMENTS:
        image = world.engine.backends[STACKS][("slipway", env)].config["slipway:bootstrapImage"]
        assert image.endswith("@" + digests["ARM64" if env == "dev" else "X86_64"]), env
    # A second run builds nothing.
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert len(world.builds) == 2


def test_a_failed_build_names_its_logs_and_a_re_run_starts_a_new_one(
    world: World, tmp_path: Path
) -> None:
    world.fail_next_build = True
    code, out = run(world, tmp_path)
    assert code == 1, out
    (failed,) = world.builds
    assert (
        f"error: step placeholder-image failed: the placeholder image's build {failed} ended "
        "FAILED: BUILD: Error while executing command:"
    ) in out
    assert "its logs: https://console.aws.amazon.com/cloudwatch/home?region=" in out
    assert "Run setup again: it starts a new build" in out
    # Nothing after the step ran: no stack was created.
    assert STACKS not in world.engine.backends
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert len(world.builds) == 2
    assert "Skipped (already done): state-backend, bootstrap-state\n" in out
    assert_complete(world)


def test_an_unknown_architecture_in_a_stack_is_refused_naming_the_setting(
    world: World, tmp_path: Path
) -> None:
    dev = StackRef(tmp_path, "slipway", "dev", STACKS, "awskms://alias/slipway/shop/dev")
    world.engine.ensure_stack(dev)
    world.engine.set_config(dev, "slipway:cpuArchitecture", "MIPS", secret=False)
    code, out = run(world, tmp_path)
    assert code == 1, out
    assert "slipway:cpuArchitecture of the stack dev: got 'MIPS'; X86_64 or ARM64" in out


def test_stale_pipeline_variables_are_corrected_and_others_left_alone(
    world: World, tmp_path: Path
) -> None:
    """A repository that already has the variables (set by hand from an older guide, or for
    another account) gets the values the stacks need; its other variables are not touched."""
    world.github.variables |= {
        (INFRA_REPOSITORY, "PULUMI_BACKEND_URL"): "s3://old-bucket/shop?region=us-east-1",
        (INFRA_REPOSITORY, "AWS_ACCOUNT_ID"): ACCOUNT,
        (INFRA_REPOSITORY, "UNRELATED"): "kept",
    }
    code, out = run(world, tmp_path, "--dry-run")
    assert code == 0, out
    assert f"  do    infra-variables: set {INFRA_REPOSITORY}'s variables AWS_ACCOUNT_ID=" in out
    code, out = run(world, tmp_path)
    assert code == 0, out
    assert world.github.variables[(INFRA_REPOSITORY, "PULUMI_BACKEND_URL")] == STACKS
    assert world.github.variables[(INFRA_REPOSITORY, "UNRELATED")] == "kept"
    assert ("PATCH", f"/repos/{INFRA_REPOSITORY}/actions/variables/PULUMI_BACKEND_URL") in (
        world.github.requests
    )
    assert ("POST", f"/repos/{INFRA_REPOSITORY}/actions/variables") not in world.github.requests
    assert_complete(world)


def test_once_moved_bootstrap_is_brought_up_in_the_bucket_not_from_the_local_copy(
    world: World, tmp_path: Path
) -> None:
    """A run that needs bootstrap again (here: a bootstrap made with ``--bootstrap-image``, so
    without the placeholder's repository) brings up the bucket's copy, the one every later
    machine opens; the local copy is stale once moved, and absent on another machine."""
    image = "registry.example/placeholder@sha256:" + "a" * 64
    code, out = run(world, tmp_path, bootstrapImage=image)
    assert code == 0, out
    bucket_url = f"s3://{BUCKET}?region={REGION}&awssdk=v2"
    local_url = f"file://{tmp_path}/bootstrap-state"
    key = ("slipway-bootstrap", "bootstrap")
    assert world.engine.backends[local_url][key].config["slipway-bootstrap:placeholderImage"] == (
        "false"
    )
    calls = len(world.engine.calls)

    code, out = run(world, tmp_path)
    assert code == 0, out
    ups = [(op, stack) for op, _, stack in world.engine.calls[calls:] if op == "up"]
    assert ups[0] == ("up", "bootstrap"), ups
    assert (
        world.engine.backends[bucket_url][key].config["slipway-bootstrap:placeholderImage"]
        == "true"
    )
    # The local copy was left alone.
    assert world.engine.backends[local_url][key].config["slipway-bootstrap:placeholderImage"] == (
        "false"
    )
    assert world.client("ecr").describe_repositories()["repositories"]


def test_a_bootstrap_image_given_later_keeps_the_placeholders_repository(
    world: World, tmp_path: Path
) -> None:
    """bootstrap/ protects the placeholder's repository: a later run with the user's own
    image must not ask bootstrap to remove it (that up would fail), only stop building."""
    code, out = run(world, tmp_path)
    assert code == 0, out
    # Something bootstrap makes goes missing (here: a stack's key alias), so it runs again.
    world.client("kms").delete_alias(AliasName="alias/slipway/shop/dev")
    image = "registry.example/placeholder@sha256:" + "b" * 64
    code, out = run(world, tmp_path, bootstrapImage=image)
    bucket_url = f"s3://{BUCKET}?region={REGION}&awssdk=v2"
    config = world.engine.backends[bucket_url][("slipway-bootstrap", "bootstrap")].config
    assert config["slipway-bootstrap:placeholderImage"] == "true"
    assert "placeholder-image" not in out
