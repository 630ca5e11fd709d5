"""One empty AWS account (moto, in-process) with a Route 53 zone, a GitHub stand-in with one
repository, the recording Pulumi stand-in, and the programs standing for what ``bootstrap/`` and
the Slipway stacks create; wired into :class:`slipway.setup.cli.Dependencies`."""

from __future__ import annotations

import io
import json
import runpy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import botocore.session
from botocore.exceptions import ClientError

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
        return {
            "stateBucketName": bucket,
            "stackLoginUrls": {
                app: f"s3://{bucket}/{app}?region={region}&awssdk=v2" for app in apps
            },
        }

    return program


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
        return {"environmentUrl": f"https://{config['slipway:domainName']}"}

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
    return world


def answers_file(tmp: Path, **changes: Any) -> Path:
    path = tmp / "answers.yaml"
    path.write_text(json.dumps({**ANSWERS, **changes}))
    return path
