"""What ``setup`` does, in order: the pre-flight checks (nothing is created before they pass)
and the steps (:mod:`slipway.setup.steps`) built from the answers and what the APIs tell."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from slipway.contract import InfraSecret
from slipway.setup import placeholder
from slipway.setup.answers import Answers
from slipway.setup.aws import (
    SHARED_KEY_ALIAS,
    STACK_KEY_ALIAS,
    STATE_BUCKET,
    AwsAccount,
    Build,
)
from slipway.setup.engine import ConfigInput, Engine, StackRef
from slipway.setup.github import APP_KINDS, GitHub, ManifestFlow, app_jwt
from slipway.setup.steps import SetupError, Step, wait_for
from slipway.workflows.infra_pipeline import InfraPipelineSpec

ENVIRONMENTS = ("prod", "dev", "staging")
"""The order of the first ``up``s: prod owns the account's OIDC provider, which dev's and
staging's roles name (docs/deployment-guide.md, "Bring the stacks up: prod first")."""
PROJECT = "slipway"
BOOTSTRAP_PROJECT = "slipway-bootstrap"
BOOTSTRAP_STACK = "bootstrap"
RELEASE_ENVIRONMENT = "npm"
"""The release environment the prod stack creates (``WorkflowSpec.npm_environment``)."""
RELEASE_KEY_SECRET = "RELEASE_APP_PRIVATE_KEY"
INFRA_PIPELINE = InfraPipelineSpec()
"""The infra pipeline's environments: ``infra-<env>``, ``infra-preview-<env>``,
``infra-drift-<env>``."""
WORKFLOWS_BRANCH = "slipway/workflows"
"""``slipway.workflow_set.DEFAULT_BRANCH``: the prod stack's pull request of the workflows."""


@dataclass(frozen=True)
class Facts:
    """What the pre-flight found out, so nobody is asked for it."""

    account: str
    partition: str
    region: str
    hosted_zone_id: str
    organization: bool
    subject_format: str
    infra_repository: str
    """This checkout's GitHub repository, whose pipeline the infra apps serve."""


@dataclass
class Context:
    answers: Answers
    aws: AwsAccount
    engine: Engine
    github: GitHub
    manifest_flow: ManifestFlow
    out: TextIO
    project_dir: Path
    bootstrap_backend: str
    bootstrap_passphrase: Path
    """The passphrase of bootstrap's local stack (it holds no secrets; the file exists so that a
    re-run after a failure before the move opens the same stack). Made on first use, mode 0600."""
    """Where bootstrap's state starts (a local ``file://`` backend), before it moves into the
    bucket."""
    install_timeout: float = 900
    build_timeout: float = 5400
    """How long the placeholder builds may take: CodeBuild's own limits on the projects are 60
    minutes queued and 20 building (bootstrap/__main__.py), so a build ends before this."""
    serve_timeout: float = 900
    """How long a service may take to start its first task once its secrets have values."""
    sleep: Callable[[float], None] | None = None
    urls: dict[str, str] = field(default_factory=dict)


def subject_format(customization: dict[str, Any], repository: str) -> str:
    """``githubOidcSubjectFormat`` from ``GET /repos/{owner}/{repo}/actions/oidc/customization/sub``
    (fields ``use_default``, ``include_claim_keys``, ``use_immutable_subject``,
    ``sub_claim_prefix``; GitHub's OpenAPI description, schema ``oidc-custom-sub-repo``).
    ``sub_claim_prefix`` is what GitHub issues now; an immutable one carries ``@<id>`` after the
    owner and repository (github_oidc.py's sources). Without it, ``use_immutable_subject``. A
    customised template (``use_default`` false) matches neither of Slipway's formats."""
    if customization.get("use_default") is False:
        keys = customization.get("include_claim_keys")
        raise SetupError(
            f"{repository} customises its OIDC subject (include_claim_keys={keys!r}); Slipway's "
            "trust policies expect GitHub's default subject. Reset it with `gh api -X PUT "
            f"repos/{repository}/actions/oidc/customization/sub -F use_default=true`, then run "
            "setup again"
        )
    prefix = customization.get("sub_claim_prefix")
    if isinstance(prefix, str) and prefix:
        return "immutable" if "@" in prefix else "name"
    return "immutable" if customization.get("use_immutable_subject") else "name"


_ORIGIN = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<repository>[A-Za-z0-9-]+/[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


def origin_repository(project_dir: Path) -> str | None:
    """``owner/name`` of the checkout's ``origin`` remote on github.com, or None."""
    try:
        found = subprocess.run(
            ["git", "-C", str(project_dir), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    match = _ORIGIN.match(found.stdout.strip())
    return match["repository"] if match else None


def preflight(ctx: Context) -> Facts:
    """Every look-up the steps need, and every reason the run cannot succeed, before anything
    is created: all problems are reported at once."""
    a = ctx.answers
    problems: list[str] = []
    identity = ctx.aws.identity()
    missing = ctx.aws.missing_services()
    if missing:
        problems.append(
            f"region {ctx.aws.region} does not offer {', '.join(missing)} (botocore's endpoint "
            "data); choose another with --region"
        )
    if not a.bootstrap_image and ctx.aws.missing_services(("codebuild",)):
        problems.append(
            f"region {ctx.aws.region} does not offer codebuild (botocore's endpoint data), "
            "which builds the placeholder image a new environment serves; pass "
            "--bootstrap-image (an image pinned by digest) or choose another region"
        )
    zone = ctx.aws.hosted_zone(a.domain)
    if zone is None:
        problems.append(
            f"domain: no public Route 53 hosted zone for {a.domain} or a parent of it in account "
            f"{identity.account}; create one (and delegate it) or choose a domain under one"
        )
    repo = ctx.github.repository(a.owner, a.name)
    organization = False
    customization: dict[str, Any] = {}
    if repo is None:
        problems.append(
            f"repository: {a.repository} does not exist or your GitHub login cannot see it "
            "(`gh auth status`)"
        )
    else:
        organization = repo["owner"]["type"] == "Organization"
        if not repo.get("permissions", {}).get("admin"):
            problems.append(
                f"repository: your GitHub login lacks admin permission on {a.repository} "
                "(needed for environments, rulesets and secrets); ask an owner"
            )
        else:
            customization = ctx.github.oidc_subject(a.owner, a.name)
    infra = a.infra_repository or origin_repository(ctx.project_dir) or ""
    if not infra:
        problems.append(
            f"infraRepository: {ctx.project_dir} has no GitHub origin remote; pass "
            "--infra-repository owner/name (this infrastructure repository)"
        )
    elif infra.split("/")[0].lower() != a.owner.lower():
        problems.append(
            f"infraRepository: got {infra!r}; a repository of {a.owner}, the application "
            "repository's owner (the stacks write its environments with the same provider)"
        )
    else:
        infra_repo = ctx.github.repository(*infra.split("/"))
        if infra_repo is None:
            problems.append(
                f"infraRepository: {infra} does not exist or your GitHub login cannot see it"
            )
        elif not infra_repo.get("permissions", {}).get("admin"):
            problems.append(
                f"infraRepository: your GitHub login lacks admin permission on {infra} "
                "(needed for its environments' secrets); ask an owner"
            )
    problems += [
        f"reviewers: {login} is not a GitHub user"
        for login in a.reviewers
        if not ctx.github.user_exists(login)
    ]
    fmt = "immutable"
    if customization:
        try:
            fmt = subject_format(customization, a.repository)
        except SetupError as error:
            problems.append(str(error))
    if problems:
        raise SetupError("cannot set up (nothing was created):\n  " + "\n  ".join(problems))
    assert zone is not None
    return Facts(
        identity.account, identity.partition, ctx.aws.region, zone, organization, fmt, infra
    )


def build(ctx: Context, facts: Facts) -> list[Step]:
    a = ctx.answers
    bucket = STATE_BUCKET.format(account=facts.account, region=facts.region)
    region_query = f"?region={facts.region}"
    bootstrap_dir = ctx.project_dir / "bootstrap"
    local_bootstrap = StackRef(
        bootstrap_dir,
        BOOTSTRAP_PROJECT,
        BOOTSTRAP_STACK,
        ctx.bootstrap_backend,
        "passphrase",
        ctx.bootstrap_passphrase,
    )
    bucket_bootstrap = StackRef(
        bootstrap_dir,
        BOOTSTRAP_PROJECT,
        BOOTSTRAP_STACK,
        f"s3://{bucket}{region_query}&awssdk=v2",
        f"awskms://{SHARED_KEY_ALIAS}{region_query}",
    )
    stack_aliases = [STACK_KEY_ALIAS.format(app=a.app, environment=e) for e in ENVIRONMENTS]
    app_secret = {kind: f"slipway/{a.app}/{kind}-app" for kind in APP_KINDS}
    release_secret = app_secret["release"]
    infra_owner, infra_name = facts.infra_repository.split("/")

    # Where the stacks live: bootstrap's ``stackLoginUrls.<app>`` (bootstrap/__main__.py).
    stacks_backend = f"s3://{bucket}/{a.app}{region_query}&awssdk=v2"
    # The infrastructure repository's variables the infra pipeline reads (``allowed-account-ids``
    # and ``pulumi login``; slipway.workflows.infra_pipeline). The rest of what it reads are
    # environment variables, which each stack writes into its infra environments.
    pipeline_variables = {
        INFRA_PIPELINE.account_id_variable: facts.account,
        INFRA_PIPELINE.backend_url_variable: stacks_backend,
    }

    def stack_ref(env: str) -> StackRef:
        return StackRef(
            ctx.project_dir,
            PROJECT,
            env,
            stacks_backend,
            f"awskms://{STACK_KEY_ALIAS.format(app=a.app, environment=env)}{region_query}",
        )

    def backend_ready() -> bool:
        """Everything bootstrap/ makes that the steps use (a bootstrap from before the
        placeholder image lacks its repository, and is brought up again)."""
        return (
            ctx.aws.bucket_exists(bucket)
            and ctx.aws.alias_exists(SHARED_KEY_ALIAS)
            and all(ctx.aws.alias_exists(alias) for alias in stack_aliases)
            and (
                bool(a.bootstrap_image)
                or ctx.aws.repository_uri(placeholder.REPOSITORY) is not None
            )
        )

    def architecture_of(env: str) -> str:
        """The stack's ``slipway:cpuArchitecture`` (its default before the stack exists)."""
        ref = stack_ref(env)
        if not ctx.engine.stack_exists(ref):
            return placeholder.DEFAULT_ARCHITECTURE
        value = ctx.engine.config(ref).get("slipway:cpuArchitecture")
        if value is None:
            return placeholder.DEFAULT_ARCHITECTURE
        if value not in placeholder.ARCHITECTURES:
            raise SetupError(
                f"slipway:cpuArchitecture of the stack {env}: got {value!r}; "
                + " or ".join(placeholder.ARCHITECTURES)
            )
        return str(value)

    def placeholder_tags() -> dict[str, str]:
        """The placeholder image's tag for each architecture the stacks use."""
        return {
            key: placeholder.image_tag(key)
            for key in sorted({architecture_of(env) for env in ENVIRONMENTS})
        }

    def placeholder_image(architecture: str) -> str | None:
        """``<repository URI>@<digest>`` of the placeholder for ``architecture``, as ECR
        describes it (the digest is read, never typed), or None when it is not built yet."""
        uri = ctx.aws.repository_uri(placeholder.REPOSITORY)
        digest = ctx.aws.image_digest(placeholder.REPOSITORY, placeholder.image_tag(architecture))
        return f"{uri}@{digest}" if uri is not None and digest is not None else None

    def unbuilt_placeholders() -> dict[str, str]:
        """The architectures (and their tags) whose placeholder ECR does not hold yet."""
        return {
            key: tag
            for key, tag in placeholder_tags().items()
            if ctx.aws.image_digest(placeholder.REPOSITORY, tag) is None
        }

    def placeholder_built() -> bool:
        return not unbuilt_placeholders()

    def build_placeholder() -> None:
        if ctx.aws.repository_uri(placeholder.REPOSITORY) is None:
            raise SetupError(
                f"the ECR repository {placeholder.REPOSITORY} does not exist: bootstrap/ makes "
                "it (step state-backend); run setup again"
            )
        missing = unbuilt_placeholders()
        started = {
            ctx.aws.start_build(
                placeholder.ARCHITECTURES[key].project, placeholder.buildspec(key)
            ): tag
            for key, tag in missing.items()
        }
        for build_id in started:
            ctx.out.write(f"    started the CodeBuild build {build_id}\n")
        ended: dict[str, Build] = {}

        def finished() -> bool:
            pending = [i for i in started if i not in ended]
            for build in ctx.aws.builds(pending):
                if build.status != "IN_PROGRESS":
                    ended[build.id] = build
                else:
                    ctx.out.write(f"    {build.id}: {build.phase}\n")
            return len(ended) == len(started)

        kwargs: dict[str, Any] = {"sleep": ctx.sleep} if ctx.sleep else {}
        wait_for(
            f"the placeholder image's build ({', '.join(started.values())})",
            finished,
            ctx.out,
            timeout=ctx.build_timeout,
            interval=15,
            **kwargs,
        )
        for build in ended.values():
            if build.status != "SUCCEEDED":
                reason = f": {build.reason}" if build.reason else ""
                raise SetupError(
                    f"the placeholder image's build {build.id} ended {build.status}{reason}; "
                    f"its logs: {build.logs or '(none)'}. Run setup again: it starts a new build"
                )
        for build_id, tag in started.items():
            if ctx.aws.image_digest(placeholder.REPOSITORY, tag) is None:
                raise SetupError(
                    f"the build {build_id} succeeded but {placeholder.REPOSITORY} has no tag "
                    f"{tag}; run setup again"
                )

    def bootstrap_up() -> None:
        # Once bootstrap's state is in the bucket (step bootstrap-state), the bucket's copy is
        # the one to bring up: the local copy is stale from then on, and on another machine
        # there is none (an up of a fresh local stack would try to create the bucket again).
        target = (
            bucket_bootstrap
            if ctx.aws.bucket_exists(bucket) and bootstrap_moved()
            else local_bootstrap
        )
        if target is local_bootstrap and not ctx.bootstrap_passphrase.exists():
            ctx.bootstrap_passphrase.parent.mkdir(parents=True, exist_ok=True)
            ctx.bootstrap_passphrase.touch(mode=0o600)
            ctx.bootstrap_passphrase.write_text(secrets.token_urlsafe(32))
        ctx.engine.ensure_stack(target)
        ctx.engine.set_config(target, "aws:region", facts.region, secret=False)
        ctx.engine.set_config(
            target,
            f"{BOOTSTRAP_PROJECT}:stacks",
            [f"{a.app}/{e}" for e in ENVIRONMENTS],
            secret=False,
        )
        ctx.engine.set_config(
            target,
            f"{BOOTSTRAP_PROJECT}:placeholderImage",
            # With the user's own image no placeholder is built, but a repository an earlier
            # run made stays: bootstrap protects it, so turning it off would fail the up.
            "false"
            if a.bootstrap_image and ctx.aws.repository_uri(placeholder.REPOSITORY) is None
            else "true",
            secret=False,
        )
        ctx.engine.up(target, _progress(ctx.out))

    def bootstrap_moved() -> bool:
        """The bucket holds bootstrap's stack with its resources: a stack created there by a
        run that failed before ``import_stack`` is empty, and the move is done again."""
        if not ctx.engine.stack_exists(bucket_bootstrap):
            return False
        deployment = ctx.engine.export_stack(bucket_bootstrap).get("deployment") or {}
        return bool(deployment.get("resources"))

    def move_bootstrap_state() -> None:
        if not ctx.bootstrap_passphrase.exists():
            raise SetupError(
                f"bootstrap's local stack in {ctx.bootstrap_backend} cannot be opened: its "
                f"passphrase file {ctx.bootstrap_passphrase} is missing"
            )
        deployment = ctx.engine.export_stack(local_bootstrap)
        ctx.engine.ensure_stack(bucket_bootstrap)
        ctx.engine.import_stack(bucket_bootstrap, deployment)

    def variables_set() -> bool:
        return all(
            ctx.github.repository_variable(infra_owner, infra_name, name) == value
            for name, value in pipeline_variables.items()
        )

    def set_variables() -> None:
        for name, value in pipeline_variables.items():
            ctx.github.set_repository_variable(infra_owner, infra_name, name, value)

    def app_of(kind: str) -> dict[str, str]:
        return dict(json.loads(ctx.aws.read_secret(app_secret[kind])))

    def installed_on(kind: str) -> tuple[str, ...]:
        """The release app serves the application repository; the infra apps serve the infra
        pipeline, which writes both repositories."""
        if kind == "release":
            return (a.repository,)
        return (a.repository, facts.infra_repository)

    def created(kind: str) -> Callable[[], bool]:
        return lambda: ctx.aws.secret_has_value(app_secret[kind])

    def create_app(kind: str) -> Callable[[], None]:
        def apply() -> None:
            code = ctx.manifest_flow(a.owner, facts.organization, a.repository, kind)
            app = ctx.github.convert_manifest(code)
            value = {k: str(app[k]) for k in ("id", "slug", "client_id", "pem", "html_url")}
            ctx.aws.put_secret(app_secret[kind], json.dumps(value), create=True)

        return apply

    def installed(kind: str) -> Callable[[], bool]:
        def check() -> bool:
            if not ctx.aws.secret_has_value(app_secret[kind]):
                return False
            app = app_of(kind)
            jwt = app_jwt(app["id"], app["pem"])
            return all(
                ctx.github.repository_installation(
                    repository.split("/")[0], repository.split("/")[1], jwt
                )
                is not None
                for repository in installed_on(kind)
            )

        return check

    def install(kind: str) -> Callable[[], None]:
        def apply() -> None:
            slug = app_of(kind)["slug"]
            where = " and ".join(installed_on(kind))
            ctx.out.write(
                f'    Install the {kind} app on {where} only (one page: "Only select '
                f'repositories"): https://github.com/apps/{slug}/installations/new\n'
            )
            kwargs: dict[str, Any] = {"sleep": ctx.sleep} if ctx.sleep else {}
            wait_for(
                f"the {kind} app's installation on {where}",
                installed(kind),
                ctx.out,
                timeout=ctx.install_timeout,
                **kwargs,
            )

        return apply

    def infra_environments(env: str) -> dict[str, str]:
        """Each infra pipeline environment of ``env`` -> the app whose credential it holds: the
        write app only where the pipeline's ``up`` runs (default branch only)."""
        return {
            INFRA_PIPELINE.environment(env): "infra",
            INFRA_PIPELINE.preview_environment(env): "infra-read",
            INFRA_PIPELINE.drift_environment(env): "infra-read",
        }

    def present(env: str) -> dict[str, str]:
        """The environments the stack made: its preview environment is left out where GitHub
        would not enforce its reviewers (infra/domains/github.py, ``preview_environments``)."""
        made = {
            name: kind
            for name, kind in infra_environments(env).items()
            if ctx.github.environment_exists(infra_owner, infra_name, name)
        }
        for required in (INFRA_PIPELINE.environment(env), INFRA_PIPELINE.drift_environment(env)):
            if required not in made:
                raise SetupError(
                    f"{facts.infra_repository} has no environment {required}: the stack {env} "
                    "makes it with slipway:githubInfraRepository; run setup again"
                )
        return made

    def credentials_stored(env: str) -> Callable[[], bool]:
        def check() -> bool:
            if not ctx.engine.stack_exists(stack_ref(env)):
                return False
            if not all(
                ctx.github.environment_exists(infra_owner, infra_name, name)
                for name in (INFRA_PIPELINE.environment(env), INFRA_PIPELINE.drift_environment(env))
            ):
                return False
            return all(
                ctx.github.environment_secret_exists(infra_owner, infra_name, name, secret.value)
                for name in present(env)
                for secret in InfraSecret
            )

        return check

    def store_credentials(env: str) -> Callable[[], None]:
        def apply() -> None:
            for name, kind in present(env).items():
                app = app_of(kind)
                values = {
                    InfraSecret.INFRA_APP_CLIENT_ID: app["client_id"],
                    InfraSecret.INFRA_APP_PRIVATE_KEY: app["pem"],
                }
                for secret, value in values.items():
                    ctx.github.put_environment_secret(
                        infra_owner, infra_name, name, secret.value, value
                    )

        return apply

    def wanted_config(env: str) -> dict[str, tuple[ConfigInput | None, bool]]:
        """Every setting the command gives the stack; None: not known yet (the placeholder
        image before its build)."""
        config: dict[str, tuple[ConfigInput | None, bool]] = {
            "aws:region": (facts.region, False),
            "aws:allowedAccountIds": ([facts.account], False),
            "github:owner": (a.owner, False),
            "slipway:profile": (env, False),
            "slipway:githubRepository": (a.repository, False),
            "slipway:githubInfraRepository": (facts.infra_repository, False),
            "slipway:githubOwnerType": ("organization" if facts.organization else "user", False),
            "slipway:githubOidcSubjectFormat": (facts.subject_format, False),
            "slipway:domainName": (a.domain_of(env), False),
            "slipway:hostedZoneId": (facts.hosted_zone_id, False),
            "slipway:alertEmails": ([a.alert_email], False),
        }
        # The infra pipeline's roles read the state and decrypt it (infra/domains/github.py,
        # ``state_*``): the bucket, the stack's own key and the bucket's (shared) key.
        config |= {
            "slipway:stateBucketArn": (f"arn:{facts.partition}:s3:::{bucket}", False),
            "slipway:stateKeyArn": (
                ctx.aws.key_arn(STACK_KEY_ALIAS.format(app=a.app, environment=env)),
                False,
            ),
            "slipway:stateBucketKeyArn": (ctx.aws.key_arn(SHARED_KEY_ALIAS), False),
        }
        config["slipway:bootstrapImage"] = (
            a.bootstrap_image or placeholder_image(architecture_of(env)),
            False,
        )
        if a.app_secrets:
            config["slipway:appSecrets"] = (sorted(a.app_secrets), False)
        if env == "prod":
            app = app_of("release")
            config |= {
                "slipway:ownsAccountResources": ("true", False),
                "slipway:ownsRepositoryResources": ("true", False),
                "slipway:reviewers": (list(a.reviewers), False),
                "slipway:releaseAppId": (app["id"], False),
                "slipway:releaseAppClientId": (app["client_id"], False),
            }
        return config

    def configured(env: str) -> Callable[[], bool]:
        def check() -> bool:
            ref = stack_ref(env)
            if not ctx.engine.stack_exists(ref):
                return False
            if env == "prod" and not ctx.aws.secret_has_value(release_secret):
                return False
            # A stack made before bootstrap's keys (by hand, or its file's architecture set
            # first) is still to configure: its settings name the keys' ARNs.
            if not backend_ready():
                return False
            have = ctx.engine.config(ref)
            wanted = wanted_config(env)
            return all(v is not None and have.get(k) == v for k, (v, _) in wanted.items())

        return check

    def configure(env: str) -> Callable[[], None]:
        def apply() -> None:
            ref = stack_ref(env)
            ctx.engine.ensure_stack(ref)
            for key, (value, secret) in wanted_config(env).items():
                if value is None:
                    # The stack's file asks for an architecture not built yet (read once the
                    # stack exists): the next run's placeholder-image step builds it.
                    raise SetupError(
                        f"no placeholder image for the stack {env}'s architecture "
                        f"({architecture_of(env)}) in {placeholder.REPOSITORY} yet; run setup "
                        "again: step placeholder-image builds it"
                    )
                ctx.engine.set_config(ref, key, value, secret=secret)

        return apply

    def is_up(env: str) -> Callable[[], bool]:
        def check() -> bool:
            ref = stack_ref(env)
            return ctx.engine.stack_exists(ref) and "environmentUrl" in ctx.engine.outputs(ref)

        return check

    def up(env: str) -> Callable[[], None]:
        def apply() -> None:
            ctx.engine.up(stack_ref(env), _progress(ctx.out))

        return apply

    def secret_names(env: str) -> list[str]:
        return [f"{a.app}/{env}/{name}" for name in sorted(a.app_secrets)]

    def secrets_filled(env: str) -> Callable[[], bool]:
        return lambda: all(ctx.aws.secret_has_value(n) for n in secret_names(env))

    def fill_secrets(env: str) -> Callable[[], None]:
        def apply() -> None:
            for name, key in zip(secret_names(env), sorted(a.app_secrets), strict=True):
                ctx.aws.put_secret(name, a.app_secrets[key], create=False)

        return apply

    def serving(env: str) -> Callable[[], bool]:
        def check() -> bool:
            ref = stack_ref(env)
            if not ctx.engine.stack_exists(ref):
                return False
            outputs = ctx.engine.outputs(ref)
            if "clusterName" not in outputs or "serviceName" not in outputs:
                return False
            return ctx.aws.service_running(str(outputs["clusterName"]), str(outputs["serviceName"]))

        return check

    def serve(env: str) -> Callable[[], None]:
        def apply() -> None:
            outputs = ctx.engine.outputs(stack_ref(env))
            cluster, service = str(outputs["clusterName"]), str(outputs["serviceName"])
            ctx.aws.redeploy(cluster, service)
            kwargs: dict[str, Any] = {"sleep": ctx.sleep} if ctx.sleep else {}
            wait_for(
                f"the first task of {service} (the image in bootstrapImage)",
                lambda: ctx.aws.service_running(cluster, service),
                ctx.out,
                timeout=ctx.serve_timeout,
                interval=15,
                **kwargs,
            )

        return apply

    steps = [
        Step(
            "state-backend",
            f"bootstrap the state bucket {bucket} and the secrets keys "
            f"({SHARED_KEY_ALIAS}, {', '.join(stack_aliases)})",
            backend_ready,
            bootstrap_up,
        ),
        Step(
            "bootstrap-state",
            f"move bootstrap's own state into s3://{bucket}",
            bootstrap_moved,
            move_bootstrap_state,
        ),
    ]
    if not a.bootstrap_image:
        steps.append(
            Step(
                "placeholder-image",
                "build the placeholder image a new environment serves before CI's first "
                "deploy, for the stacks' CPU architectures, in CodeBuild (tag "
                f"placeholder-{placeholder.source_hash()[:12]}-<platform>) and push it to ECR "
                f"{placeholder.REPOSITORY}",
                placeholder_built,
                build_placeholder,
            )
        )
    steps += [
        Step(
            "infra-variables",
            f"set {facts.infra_repository}'s variables "
            + ", ".join(f"{k}={v}" for k, v in pipeline_variables.items()),
            variables_set,
            set_variables,
        ),
    ]
    what = {
        "release": "the release GitHub App",
        "infra": "the infra GitHub App (the infra pipeline's pulumi up)",
        "infra-read": "the read-only infra GitHub App (the infra pipeline's previews)",
    }
    for kind in APP_KINDS:
        steps += [
            Step(
                f"{kind}-app",
                f"create {what[kind]} (one confirmation in the browser); keep its ID and key "
                f"in Secrets Manager as {app_secret[kind]}",
                created(kind),
                create_app(kind),
            ),
            Step(
                f"{kind}-app-installed",
                f"install the {kind} app on {' and '.join(installed_on(kind))} (one page)",
                installed(kind),
                install(kind),
            ),
        ]
    steps += [
        Step(
            f"stack-{env}",
            f"create the stack {env} in s3://{bucket}/{a.app} and set its configuration",
            configured(env),
            configure(env),
        )
        for env in ENVIRONMENTS
    ]
    for env in ENVIRONMENTS:
        steps.append(
            Step(f"up-{env}", f"pulumi up {env} (https://{a.domain_of(env)})", is_up(env), up(env))
        )
        steps.append(
            Step(
                f"infra-credentials-{env}",
                f"store the infra apps' client IDs and keys as the secrets "
                f"{', '.join(s.value for s in InfraSecret)} of {facts.infra_repository}'s "
                f"{', '.join(infra_environments(env))} environments",
                credentials_stored(env),
                store_credentials(env),
            )
        )
        if a.app_secrets:
            steps.append(
                Step(
                    f"app-secrets-{env}",
                    f"fill {len(a.app_secrets)} application secret(s) of {env} in Secrets Manager",
                    secrets_filled(env),
                    fill_secrets(env),
                )
            )
            # ECS reads a task's secrets when it launches it: the first `up`'s tasks, started
            # before the secrets had values, failed, and the deployment circuit breaker may have
            # stopped launching more (docs/deployment-guide.md, "The first `pulumi up`").
            steps.append(
                Step(
                    f"serve-{env}",
                    f"start {env}'s service again now that its secrets have values, and wait "
                    "for its first task",
                    serving(env),
                    serve(env),
                )
            )
    steps.append(
        Step(
            "release-key",
            f"store the release app's key as the secret {RELEASE_KEY_SECRET} of "
            f"the {RELEASE_ENVIRONMENT} environment",
            lambda: ctx.github.environment_secret_exists(
                a.owner, a.name, RELEASE_ENVIRONMENT, RELEASE_KEY_SECRET
            ),
            lambda: ctx.github.put_environment_secret(
                a.owner, a.name, RELEASE_ENVIRONMENT, RELEASE_KEY_SECRET, app_of("release")["pem"]
            ),
        )
    )
    return steps


def summary(ctx: Context, facts: Facts) -> list[str]:
    """What exists now, with URLs (what can be read without failing)."""
    a = ctx.answers
    lines = [f"https://{a.domain_of(env)}  ({env})" for env in ENVIRONMENTS]
    pull = ctx.github.pull_request(a.owner, a.name, WORKFLOWS_BRANCH)
    if pull is not None:
        lines.append(f"{pull['html_url']}  (merge it: the workflows; step 4)")
    lines.append(f"https://github.com/{a.repository}/deployments  (approve the first prod deploy)")
    return lines


def _progress(out: TextIO) -> Callable[[str], None]:
    def write(line: str) -> None:
        out.write(f"    | {line.rstrip()}\n")
        out.flush()

    return write
