"""What the set-up command asks of AWS, through botocore (the library's own dependency).

Only look-ups, the application's secret values and the placeholder image's builds: the state
bucket and keys, the placeholder repository and its build projects are created by the
``bootstrap/`` program (run through :mod:`slipway.setup.engine`), the stacks' resources by
``pulumi up``. Tested against moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from slipway.setup.steps import SetupError

SERVICES = (
    "acm",
    "backup",
    "cloudtrail",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "kms",
    "logs",
    "secretsmanager",
    "sns",
    "ssm",
)
"""Regional services every stack uses (botocore client names): the region must offer each,
per botocore's endpoint data (``botocore/data/endpoints.json``, the regions of every service).
GuardDuty is opt-in (``guardDuty``) and not required. In botocore 1.44.5, eu-isoe-west-1 lacks
``backup``."""
STATE_BUCKET = "slipway-pulumi-state-{account}-{region}"
"""bootstrap/__main__.py's default bucket name."""
SHARED_KEY_ALIAS = "alias/slipway-pulumi-secrets"
STACK_KEY_ALIAS = "alias/slipway/{app}/{environment}"
"""bootstrap/__main__.py's ``KEY_ALIAS`` and ``STACK_KEY_ALIAS``."""


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    partition: str


class AwsAccount:
    """The account and region of the credentials in use."""

    def __init__(self, region: str | None = None, session: Any = None) -> None:
        self._session = session or botocore.session.get_session()
        found = region or self._session.get_config_variable("region")
        if not found:
            raise SetupError(
                "no AWS region: set AWS_REGION (or region in your AWS profile), or pass --region"
            )
        self.region: str = found
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = _Refusals(
                service, self._session.create_client(service, region_name=self.region)
            )
        return self._clients[service]

    def identity(self) -> Identity:
        try:
            answer = self.client("sts").get_caller_identity()
        except SetupError as error:
            raise SetupError(
                f"AWS credentials do not work ({error}); log in first, e.g. `aws sso login`"
            ) from error
        return Identity(answer["Account"], answer["Arn"], answer["Arn"].split(":")[1])

    def missing_services(self, services: tuple[str, ...] = SERVICES) -> list[str]:
        """Services of ``services`` that botocore's endpoint data lacks in the region."""
        partition = self._session.get_partition_for_region(self.region)
        return [
            service
            for service in services
            if self.region
            not in self._session.get_available_regions(service, partition_name=partition)
        ]

    def hosted_zone(self, domain: str) -> str | None:
        """The public hosted zone whose name is ``domain`` or its closest parent (Route 53
        ``ListHostedZonesByName``), or None."""
        route53 = self.client("route53")
        labels = domain.split(".")
        for i in range(len(labels) - 1):
            name = ".".join(labels[i:]) + "."
            zones = route53.list_hosted_zones_by_name(DNSName=name, MaxItems="1")["HostedZones"]
            for zone in zones:
                if zone["Name"] == name and not zone.get("Config", {}).get("PrivateZone"):
                    return str(zone["Id"]).removeprefix("/hostedzone/")
        return None

    def bucket_exists(self, name: str) -> bool:
        try:
            self.client("s3").head_bucket(Bucket=name)
        except ClientError as error:
            if error.response["Error"]["Code"] in {"404", "NoSuchBucket", "NotFound"}:
                return False
            raise SetupError(f"cannot read the S3 bucket {name}: {error}") from error
        return True

    def alias_exists(self, alias: str) -> bool:
        try:
            self.client("kms").describe_key(KeyId=alias)
        except ClientError as error:
            if error.response["Error"]["Code"] == "NotFoundException":
                return False
            raise SetupError(f"cannot read the KMS alias {alias}: {error}") from error
        return True

    def key_arn(self, alias: str) -> str:
        """The ARN of the KMS key behind ``alias`` (``DescribeKey`` takes an alias name as
        ``KeyId`` and answers the key's ``KeyMetadata.Arn``: botocore's kms model). IAM policies
        name the key, not its alias, which is why the stacks' settings take this ARN."""
        try:
            described = self.client("kms").describe_key(KeyId=alias)
        except ClientError as error:
            raise SetupError(f"cannot read the KMS alias {alias}: {error}") from error
        return str(described["KeyMetadata"]["Arn"])

    def secret_has_value(self, name: str) -> bool:
        """The Secrets Manager secret exists and has a current value."""
        try:
            described = self.client("secretsmanager").describe_secret(SecretId=name)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise SetupError(f"cannot read the secret {name}: {error}") from error
        stages = described.get("VersionIdsToStages", {})
        return any("AWSCURRENT" in s for s in stages.values())

    def read_secret(self, name: str) -> str:
        value = self.client("secretsmanager").get_secret_value(SecretId=name)
        return str(value["SecretString"])

    def put_secret(self, name: str, value: str, *, create: bool) -> None:
        """Give ``name`` a value; with ``create``, create the secret first if it is missing
        (the stacks create their own secrets empty; the release app's is the command's own)."""
        secrets = self.client("secretsmanager")
        try:
            secrets.put_secret_value(SecretId=name, SecretString=value)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException" or not create:
                raise SetupError(f"cannot write the secret {name}: {error}") from error
            secrets.create_secret(Name=name, SecretString=value)

    def repository_uri(self, name: str) -> str | None:
        """The ECR repository's URI (``DescribeRepositories``' ``repositoryUri``), or None when
        it does not exist."""
        try:
            found = self.client("ecr").describe_repositories(repositoryNames=[name])
        except ClientError as error:
            if error.response["Error"]["Code"] == "RepositoryNotFoundException":
                return None
            raise SetupError(f"cannot read the ECR repository {name}: {error}") from error
        return str(found["repositories"][0]["repositoryUri"])

    def image_digest(self, repository: str, tag: str) -> str | None:
        """The digest of ``repository:tag`` (``DescribeImages``' ``imageDigest``), or None when
        the repository or the tag does not exist."""
        try:
            found = self.client("ecr").describe_images(
                repositoryName=repository, imageIds=[{"imageTag": tag}]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in {
                "ImageNotFoundException",
                "RepositoryNotFoundException",
            }:
                return None
            raise SetupError(f"cannot read the image {repository}:{tag}: {error}") from error
        details = found.get("imageDetails") or []
        return str(details[0]["imageDigest"]) if details else None

    def service_running(self, cluster: str, service: str) -> bool:
        """The ECS service runs at least one task (``DescribeServices``' ``runningCount``)."""
        found = self.client("ecs").describe_services(cluster=cluster, services=[service])
        return any(s.get("runningCount", 0) > 0 for s in found.get("services", []))

    def redeploy(self, cluster: str, service: str) -> None:
        """A new deployment of the service's current task definition (``UpdateService`` with
        ``forceNewDeployment``): ECS launches tasks again, reading the secrets anew."""
        self.client("ecs").update_service(cluster=cluster, service=service, forceNewDeployment=True)

    def start_build(self, project: str, buildspec: str) -> str:
        """Start a build of the CodeBuild ``project`` with ``buildspec`` (``StartBuild``'s
        ``buildspecOverride``: the sources of this package, whatever the project was created
        with); the build's ID."""
        started = self.client("codebuild").start_build(
            projectName=project, buildspecOverride=buildspec
        )
        return str(started["build"]["id"])

    def builds(self, ids: list[str]) -> list[Build]:
        """The builds' state (``BatchGetBuilds``)."""
        found = self.client("codebuild").batch_get_builds(ids=ids)
        return [_build(b) for b in found["builds"]]


@dataclass(frozen=True)
class Build:
    """One CodeBuild build, as ``BatchGetBuilds`` describes it."""

    id: str
    status: str
    """``buildStatus``: ``IN_PROGRESS``, ``SUCCEEDED``, ``FAILED``, ``FAULT``, ``TIMED_OUT`` or
    ``STOPPED`` (botocore's codebuild model, ``StatusType``)."""
    phase: str
    """``currentPhase``."""
    logs: str
    """``logs.deepLink``: the build's log in the CloudWatch console."""
    reason: str
    """What the failed phase said (``phases[].contexts[].message``), or ""."""


def _build(found: dict[str, Any]) -> Build:
    failed = [
        f"{phase['phaseType']}: {context.get('message', '')}".strip()
        for phase in found.get("phases", [])
        if phase.get("phaseStatus") not in (None, "SUCCEEDED")
        for context in phase.get("contexts", [{}])
    ]
    return Build(
        id=str(found["id"]),
        status=str(found["buildStatus"]),
        phase=str(found.get("currentPhase", "")),
        logs=str(found.get("logs", {}).get("deepLink", "")),
        reason="; ".join(failed),
    )


class _Refusals:
    """A botocore client whose refusals the command reports in one line (which call, AWS's
    error code and message), never as a traceback; the look-ups above catch the codes they
    expect first."""

    def __init__(self, service: str, client: Any) -> None:
        self._service = service
        self._client = client

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(**kwargs: Any) -> Any:
            try:
                return method(**kwargs)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in _EXPECTED:
                    raise
                message = error.response.get("Error", {}).get("Message", "")
                hint = (
                    "; use credentials allowed to administer the account"
                    if "AccessDenied" in code or "Unauthorized" in code
                    else ""
                )
                raise SetupError(
                    f"AWS refused {self._service} {error.operation_name} ({code}: {message}){hint}"
                ) from error
            except BotoCoreError as error:
                raise SetupError(f"AWS {self._service} {name}: {error}") from error

        return call


_EXPECTED = {
    "404",
    "NoSuchBucket",
    "NotFound",
    "NotFoundException",
    "ResourceNotFoundException",
    "ResourceExistsException",
    "RepositoryNotFoundException",
    "ImageNotFoundException",
}
"""Error codes the look-ups answer themselves (something does not exist yet)."""
