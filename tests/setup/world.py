"""One empty AWS account (moto, in-process) with a Route 53 zone, a GitHub stand-in with one
repository, the recording Pulumi stand-in, and the programs standing for what ``bootstrap/`` and
the Slipway stacks create; wired into :class:`slipway.setup.cli.Dependencies`."""

from __future__ import annotations

import hashlib
import io
import json
import runpy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import botocore.session
import yaml
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters
from moto.codebuild.models import codebuild_backends
from moto.ecs.models import ecs_backends

from slipway.setup import placeholder
from slipway.setup.aws import AwsAccount
from slipway.setup.cli import Dependencies
from slipway.setup.engine import StackRef
from tests.setup.github_standin import USER_TOKEN, GitHubStandIn
from tests.setup.pulumi_standin import RecordingEngine

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "acme/shop"
INFRA_REPOSITORY = "acme/shop-infra"
"""The infrastructure checkout's repository: found out from its ``origin`` remote
(:func:`checkout`)."""
DOMAIN = "shop.acme.io"
ZONE = "acme.io"
REGION = "eu-west-1"
ANSWERS = {
    "repository": REPOSITORY,
    "domain": DOMAIN,
    "alertEmail": "ops@acme.io",
    "reviewers": ["alice", "bob"],
    "appSecrets": {"DATABASE_URL": "postgres://shop:pw@db/shop", "SESSION_SECRET": "s3cr3t"},
}
BOOTSTRAP = runpy.run_path(str(ROOT / "bootstrap" / "__main__.py"), run_name="bootstrap_policies")
"""bootstrap/'s own policy functions (run without its ``__main__`` block)."""


@dataclass
class World:
    session: Any
    github: GitHubStandIn
    engine: RecordingEngine
    out: io.StringIO = field(default_factory=io.StringIO)
    denied: set[str] = field(default_factory=set)
    """AWS operations the caller is not allowed (answered AccessDenied)."""
    failing_secret_prefix: set[str] = field(default_factory=set)
    """Secrets Manager ``PutSecretValue`` fails once for secret names with these prefixes."""
    fail_next_build: bool = False
    """The next CodeBuild build started fails in its BUILD phase (as build.sh exiting 1 would)."""
    failing_redeploy: set[str] = field(default_factory=set)
    """ECS ``UpdateService`` of these clusters fails once (a throttled call)."""
    builds: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Build ID -> StartBuild's parameters and what became of it (``failed``, ``pushed``)."""

    def install(self) -> None:
        """What the user picks on each app's installation page ("Only select repositories")."""
        for app in self.github.apps.values():
            kind = app.manifest["name"].rsplit("-", 1)[-1]
            app.installed_on.add(REPOSITORY)
            if kind in ("infra", "read"):
                app.installed_on.add(INFRA_REPOSITORY)

    def client(self, service: str) -> Any:
        return self.session.create_client(service, region_name=REGION)

    def dependencies(
        self, *, stdin: TextIO | None = None, interactive: bool = False, out: TextIO | None = None
    ) -> Dependencies:
        self.out = io.StringIO() if out is None else out  # type: ignore[assignment]
        return Dependencies(
            aws=lambda region: AwsAccount(region or REGION, session=self.session),
            engine=self.engine.with_credentials,
            transport=self.github,
            token=lambda: USER_TOKEN,
            manifest_flow=lambda _out: self.github.confirm_manifest,
            stdin=stdin or io.StringIO(),
            out=self.out,
            interactive=lambda: interactive,
            # While the command waits for an installation, the user installs the app (on the
            # application repository; the infra apps also on the infrastructure repository).
            sleep=lambda _seconds: self.install(),
        )


def checkout(directory: Path, origin: str = f"https://github.com/{INFRA_REPOSITORY}.git") -> None:
    """Make ``directory`` a git checkout whose ``origin`` is ``origin``, as a clone is."""
    if not (directory / ".git").exists():
        subprocess.run(["git", "init", "-q", str(directory)], check=True)
        subprocess.run(["git", "-C", str(directory), "remote", "add", "origin", origin], check=True)


def bootstrap_program(world: World) -> Callable[[StackRef, dict[str, Any]], dict[str, Any]]:
    """What bootstrap/__main__.py creates, made in moto with its own policy functions."""

    def program(ref: StackRef, config: dict[str, Any]) -> dict[str, Any]:
        sts, kms, s3 = world.client("sts"), world.client("kms"), world.client("s3")
        identity = sts.get_caller_identity()
        account, region = identity["Account"], config["aws:region"]
        admins = [identity["Arn"]]
        # As Pulumi does, an up creates what the stack's own state lacks and leaves what it
        # holds: a stack whose state is empty (a stale or missing local copy) fails on the
        # bucket and keys that exist already, as the real CLI would.
        stack = world.engine.backends[ref.backend_url][(ref.project, ref.stack)]
        held = set((stack.deployment or {}).get("resources") or ())
        if "stateBucketName" in held:
            kept: dict[str, Any] = dict(stack.outputs)
            wanted = config.get("slipway-bootstrap:placeholderImage", "true") == "true"
            if wanted and "placeholderRepositoryUrl" not in held:
                kept |= placeholder_parts(world, account, region, admins)
            return kept
        shared = kms.create_key(Policy=BOOTSTRAP["key_policy"](account, "aws", admins))
        kms.create_alias(
            AliasName=BOOTSTRAP["KEY_ALIAS"], TargetKeyId=shared["KeyMetadata"]["KeyId"]
        )
        for stack in config["slipway-bootstrap:stacks"]:
            app, env = stack.split("/")
            key = kms.create_key(
                Policy=BOOTSTRAP["stack_key_policy"](account, "aws", admins, app, env)
            )
            kms.create_alias(
                AliasName=BOOTSTRAP["STACK_KEY_ALIAS"].format(app=app, environment=env),
                TargetKeyId=key["KeyMetadata"]["KeyId"],
            )
        bucket = f"slipway-pulumi-state-{account}-{region}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=BOOTSTRAP["bucket_policy"](f"arn:aws:s3:::{bucket}", admins, ("slipway",)),
        )
        # bootstrap/__main__.py's outputs the set-up command's results must agree with.
        apps = sorted({stack.split("/")[0] for stack in config["slipway-bootstrap:stacks"]})
        outputs: dict[str, Any] = {
            "stateBucketName": bucket,
            "stackLoginUrls": {
                app: f"s3://{bucket}/{app}?region={region}&awssdk=v2" for app in apps
            },
        }
        if config.get("slipway-bootstrap:placeholderImage", "true") == "true":
            outputs |= placeholder_parts(world, account, region, admins)
        return outputs

    return program


def placeholder_parts(world: World, account: str, region: str, admins: list[str]) -> dict[str, Any]:
    """bootstrap/'s placeholder repository (with its policy), build role and projects; its
    outputs as bootstrap/__main__.py's ``placeholder_image`` names them."""
    ecr, iam = world.client("ecr"), world.client("iam")
    repository = ecr.create_repository(
        repositoryName=placeholder.REPOSITORY,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS"},
    )["repository"]
    role = iam.create_role(
        RoleName="slipway-placeholder-build",
        AssumeRolePolicyDocument=BOOTSTRAP["placeholder_build_trust_policy"](
            account, "aws", region
        ),
    )["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="build",
        PolicyDocument=BOOTSTRAP["placeholder_build_policy"](
            repository["repositoryArn"],
            f"arn:aws:logs:{region}:{account}:log-group:/slipway/placeholder-build",
        ),
    )
    ecr.set_repository_policy(
        repositoryName=placeholder.REPOSITORY,
        policyText=BOOTSTRAP["placeholder_repository_policy"](account, role["Arn"], admins),
    )
    # moto's CreateProject wants a source location even for NO_SOURCE, which botocore's model
    # does not require (``ProjectSource``: only ``type``; the location is the source code's):
    # the request is checked against the model, then given to moto's backend as moto would.
    model = world.session.get_service_model("codebuild").operation_model("CreateProject")
    backend = codebuild_backends[account][region]
    for key, architecture in placeholder.ARCHITECTURES.items():
        request: dict[str, Any] = {
            "name": architecture.project,
            "source": {"type": "NO_SOURCE", "buildspec": placeholder.buildspec(key)},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": architecture.environment_type,
                "image": architecture.image,
                "computeType": "BUILD_GENERAL1_SMALL",
                "privilegedMode": True,
                "environmentVariables": [
                    {"name": "REPOSITORY_URI", "value": repository["repositoryUri"]}
                ],
            },
            "serviceRole": role["Arn"],
        }
        validate_parameters(request, model.input_shape)
        backend.create_project(
            request["name"], None, request["source"], request["artifacts"],
            request["environment"], request["serviceRole"], None, None, None, None, None,
            None, None,
        )  # fmt: skip
    return {
        "placeholderRepositoryUrl": repository["repositoryUri"],
        "placeholderRepositoryName": repository["repositoryName"],
        "placeholderBuildProjects": {
            key: architecture.project for key, architecture in placeholder.ARCHITECTURES.items()
        },
    }


def image_manifest(tag: str, platform: str) -> str:
    """A single-platform image manifest as ``docker push`` sends it (Docker's image manifest
    v2, schema 2: a config blob and one layer, each by digest and size)."""
    config = json.dumps({"architecture": platform, "os": "linux", "config": {"User": "65534"}})
    layer = f"layer of {tag}"
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config),
                "digest": "sha256:" + hashlib.sha256(config.encode()).hexdigest(),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": "sha256:" + hashlib.sha256(layer.encode()).hexdigest(),
                }
            ],
        }
    )


def play_the_builds(world: World, session: Any) -> None:
    """What moto's CodeBuild leaves out: moto completes every build on ``BatchGetBuilds`` and
    runs nothing. Here a build that completes does what build.sh does, pushing the buildspec's
    ``IMAGE_TAG`` to the repository in ``REPOSITORY_URI`` (``PutImage``, as ``docker push``
    ends); a build armed to fail reports what CodeBuild reports when a command exits non-zero
    (``buildStatus`` FAILED, its BUILD phase FAILED with a ``COMMAND_EXECUTION_ERROR``
    context: botocore's codebuild model, ``BuildPhase``/``PhaseContext``)."""
    started: list[dict[str, Any]] = []

    def before_start(params: dict[str, Any], **_: Any) -> None:
        started.append(dict(params))

    def after_start(parsed: dict[str, Any], **_: Any) -> None:
        params = started.pop()
        failed, world.fail_next_build = world.fail_next_build, False
        world.builds[parsed["build"]["id"]] = {**params, "failed": failed, "pushed": False}

    def after_get(parsed: dict[str, Any], **_: Any) -> None:
        for build in parsed.get("builds", []):
            record = world.builds.get(build["id"])
            if record is None or build["buildStatus"] != "SUCCEEDED":
                continue
            if record["failed"]:
                build["buildStatus"] = "FAILED"
                for phase in build["phases"]:
                    if phase["phaseType"] == "BUILD":
                        phase["phaseStatus"] = "FAILED"
                        phase["contexts"] = [
                            {
                                "statusCode": "COMMAND_EXECUTION_ERROR",
                                "message": "Error while executing command: bash "
                                '"$CODEBUILD_SRC_DIR/slipway-placeholder"/build.sh. '
                                "Reason: exit status 1",
                            }
                        ]
                continue
            if not record["pushed"]:
                spec = yaml.safe_load(record["buildspecOverride"])
                tag = spec["env"]["variables"]["IMAGE_TAG"]
                platform = record["projectName"].rsplit("-", 1)[-1]
                world.client("ecr").put_image(
                    repositoryName=placeholder.REPOSITORY,
                    imageManifest=image_manifest(tag, platform),
                    imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
                    imageTag=tag,
                )
                record["pushed"] = True

    session.register("before-parameter-build.codebuild.StartBuild", before_start)
    session.register("after-call.codebuild.StartBuild", after_start)
    session.register("after-call.codebuild.BatchGetBuilds", after_get)


def play_ecs(world: World, session: Any) -> None:
    """What moto's ECS leaves out: it starts no task. A forced new deployment starts the
    service's task (``runningCount`` 1, as MOTO_ECS_SERVICE_RUNNING would say) when the
    stack's secrets have values, as ECS does when it can read them at launch."""
    requested: list[dict[str, Any]] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        if params.get("cluster") in world.failing_redeploy:
            world.failing_redeploy.discard(params["cluster"])
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "UpdateService",
            )
        requested.append(dict(params))

    def after(parsed: dict[str, Any], **_: Any) -> None:
        params = requested.pop()
        if not params.get("forceNewDeployment"):
            return
        app, env = params["cluster"].rsplit("-", 1)
        secrets = world.client("secretsmanager")
        names = [f"{app}/{env}/{name}" for name in ANSWERS["appSecrets"]]
        if all(
            "AWSCURRENT" in str(secrets.describe_secret(SecretId=n).get("VersionIdsToStages"))
            for n in names
        ):
            account = world.client("sts").get_caller_identity()["Account"]
            backend = ecs_backends[account][REGION]
            backend.services[f"{params['cluster']}:{params['service']}"].running_count = 1

    session.register("before-parameter-build.ecs.UpdateService", before)
    session.register("after-call.ecs.UpdateService", after)


def slipway_program(world: World) -> Callable[[StackRef, dict[str, Any]], dict[str, Any]]:
    """What a Slipway stack's first ``up`` leaves that the set-up command reads or writes: its
    application secrets created empty, and for the owner stack (prod) the ``npm`` environment
    and the workflows' pull request on GitHub."""

    def program(ref: StackRef, config: dict[str, Any]) -> dict[str, Any]:
        secrets = world.client("secretsmanager")
        app = config["slipway:githubRepository"].split("/")[1]
        for name in config.get("slipway:appSecrets", []):
            secret = f"{app}/{ref.stack}/{name}"
            try:
                secrets.create_secret(Name=secret)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceExistsException":
                    raise
        repository = config["slipway:githubRepository"]
        infra = config.get("slipway:githubInfraRepository")
        if infra:
            # infra/domains/github.py: the stack's infra-<env>, infra-preview-<env> and
            # infra-drift-<env> environments of the infrastructure repository.
            world.github.environments.setdefault(infra, set()).update(
                f"{prefix}{ref.stack}" for prefix in ("infra-", "infra-preview-", "infra-drift-")
            )
        if config.get("slipway:ownsRepositoryResources") == "true":
            world.github.environments.setdefault(repository, set()).add("npm")
            world.github.pulls[(repository, "slipway/workflows")] = (
                f"https://github.com/{repository}/pull/1"
            )
        # The service, whose first tasks could not start while its secrets were empty (moto
        # reports runningCount 0: MOTO_ECS_SERVICE_RUNNING is not set).
        ecs = world.client("ecs")
        cluster = f"{app}-{ref.stack}"
        if not ecs.describe_clusters(clusters=[cluster])["clusters"]:
            ecs.create_cluster(clusterName=cluster)
            family = ecs.register_task_definition(
                family=cluster,
                containerDefinitions=[
                    {"name": "app", "image": config["slipway:bootstrapImage"], "memory": 512}
                ],
            )["taskDefinition"]["taskDefinitionArn"]
            ecs.create_service(
                cluster=cluster, serviceName=cluster, taskDefinition=family, desiredCount=1
            )
        return {
            "environmentUrl": f"https://{config['slipway:domainName']}",
            "clusterName": cluster,
            "serviceName": cluster,
        }

    return program


def make_world() -> World:
    """Call inside ``moto.mock_aws()``."""
    session = botocore.session.get_session()
    github = GitHubStandIn()
    github.add_repository(REPOSITORY)
    github.add_repository(INFRA_REPOSITORY)
    github.users |= {"alice", "bob"}
    world = World(session, github, RecordingEngine(programs={}))
    world.engine.programs = {
        "slipway-bootstrap": bootstrap_program(world),
        "slipway": slipway_program(world),
    }
    world.client("route53").create_hosted_zone(Name=f"{ZONE}.", CallerReference="zone")

    def fail_put(params: dict[str, Any], **_: Any) -> None:
        for prefix in list(world.failing_secret_prefix):
            if str(params.get("SecretId", "")).startswith(prefix):
                world.failing_secret_prefix.discard(prefix)
                raise ClientError(
                    {"Error": {"Code": "InternalServiceError", "Message": "stand-in failure"}},
                    "PutSecretValue",
                )

    session.register("before-parameter-build.secrets-manager.PutSecretValue", fail_put)

    def deny(event_name: str, **_: Any) -> None:
        """What IAM answers a caller without the permission (AccessDenied)."""
        operation = event_name.rsplit(".", 1)[-1]
        if operation in world.denied:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": f"not authorized to {operation}"}},
                operation,
            )

    session.register("before-parameter-build", deny)
    play_the_builds(world, session)
    play_ecs(world, session)
    return world


def answers_file(tmp: Path, **changes: Any) -> Path:
    path = tmp / "answers.yaml"
    path.write_text(json.dumps({**ANSWERS, **changes}))
    return path
