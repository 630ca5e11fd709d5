"""``ImageChannel``: the drift-free contract between Pulumi and CI over a task's image.

Pulumi owns the task definition's *shape* (CPU, memory, roles, volumes, environment, secrets,
health check, everything except the application container's image). CI owns the running
*image*. Both meet in two SSM String parameters under one path prefix ``P``:

``P/deployed`` (written only by CI, after a healthy deploy)
    JSON ``{"image": "<repository>@sha256:<64 hex>",
    "taskDefinitionArn":
    "arn:<partition>:ecs:<region>:<account>:task-definition/<family>:<revision>",
    "shape": "<64 hex>"}``. Pulumi creates the parameter once (``ignore_changes=["value"]``)
    with ``{"image": <bootstrap image>, "taskDefinitionArn": "", "shape": ""}``, so CI can
    always ``aws ssm put-parameter --overwrite --type String``; it is protected and retained
    when ``protect`` is on. Its name is the ``IMAGE_CHANNEL_PARAMETER`` GitHub variable. CI also
    records ``"version"`` (the release version, for its downgrade check); :func:`parse_deployed`
    reads only the three keys above and ignores any other.

``P/registered`` (written only by Pulumi)
    JSON ``{"shape": "<64 hex>", "image": "<image of Pulumi's task definition>",
    "containerPort": <port>}``. ``containerPort`` (the target groups' port, when the channel is
    given one) lets the next run see a port change before it registers anything
    (:func:`read_live`); records written before it existed lack it.

The shape is :func:`shape_of` the task definition's inputs with the application container's
image replaced by a placeholder. Pulumi tags its task definition ``slipway:shape=<hash>``. CI
renders its new revision from the family's latest revision
(``aws ecs describe-task-definition --task-definition <family> --include TAGS``), changes only
the container's image, registers it *with the same tags* and, once healthy, writes
``P/deployed`` with the ARN it registered and the ``slipway:shape`` tag value it copied.

At the start of ``pulumi up`` both values are read live with one
``aws.ssm.get_parameters_by_path`` invoke and two pure functions decide:

* :func:`task_image`: the image of Pulumi's task definition. The registered image while the
  shape is unchanged (so a CI deploy never makes Pulumi register a new revision); after a
  shape change, the image CI runs (so ``pulumi up`` never rolls CI back); the bootstrap image
  before CI has ever deployed.
* :func:`service_task_definition`: the service's task definition. CI's revision while CI
  deployed the current shape (no new deployment when only CI changed the image); Pulumi's
  revision otherwise (a shape change rolls out, carrying CI's image).

A parameter holding malformed JSON is treated as absent, with a warning naming it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid
from slipway.iam import allow, policy_document, role_name_of
from slipway.jsonout import json_output

DEPLOYED = "deployed"
"""Leaf name of the parameter CI writes."""
REGISTERED = "registered"
"""Leaf name of the parameter Pulumi writes."""
SHAPE_TAG = "slipway:shape"
"""Tag on the task definition holding its shape hash; CI copies it to its revisions."""
IMAGE_PLACEHOLDER = "<image>"
"""What the application container's image becomes before the shape is hashed."""

PARAMETER_PATH = re.compile(r"^(?:/[A-Za-z0-9_.-]+)+$")
SHAPE = re.compile(r"^[0-9a-f]{64}$")
TASK_DEFINITION_ARN = re.compile(
    r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}):\d+$"
)
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
IMAGE_REFERENCE = re.compile(
    rf"^(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
    r"(?P<tag>:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?P<digest>@sha256:[0-9a-f]{64})?$"
)
"""A container image reference (``registry/path:tag``, ``registry/path@sha256:…``)."""


def is_image_reference(value: str) -> bool:
    """True for an image reference that names a tag or a digest (never an implicit latest)."""
    match = IMAGE_REFERENCE.match(value)
    return bool(match and (match.group("tag") or match.group("digest"))) and len(value) <= 1024


IMAGE_REFERENCE_ALLOWED = (
    "an image reference with a tag or an @sha256 digest, e.g. <repository-url>:bootstrap"
)
"""What :func:`image_reference_problems` allows."""


def image_reference_problems(value: object, setting: str) -> list[str]:
    """The one rule for an image a service starts from: a reference with a tag or a digest."""
    if isinstance(value, str) and is_image_reference(value):
        return []
    return [invalid(setting, value, IMAGE_REFERENCE_ALLOWED)]


def image_repository_problems(value: object, setting: str, registry: str = "ghcr.io") -> list[str]:
    """The one rule for an image repository on ``registry`` that a tag is appended to
    (``ghcr.io/acme-corp/storefront``, run as ``…:bootstrap`` until CI deploys): an owner and a
    name, and with a tag an image reference (:func:`is_image_reference`)."""
    if (
        isinstance(value, str)
        and value.startswith(f"{registry}/")
        and value.count("/") >= 2
        and is_image_reference(f"{value}:bootstrap")
    ):
        return []
    return [
        invalid(
            setting,
            value,
            f"an image repository on {registry} without tag, <owner>/<name> in lower case "
            f"(path parts of letters and digits joined by '.', '_', '__' or '-'), such as "
            f"{registry}/acme-corp/storefront",
        )
    ]


def is_parameter_prefix(prefix: str) -> bool:
    """True when ``prefix`` can hold the channel's parameters."""
    return (
        bool(PARAMETER_PATH.match(prefix))
        and not prefix.lower().startswith(("/aws", "/ssm"))
        and prefix.count("/") <= 14
        and len(prefix) + len("/" + REGISTERED) <= 1011
    )


PARAMETER_PREFIX_ALLOWED = (
    "an SSM path such as /slipway/storefront/prod/image-channel: '/'-separated segments of "
    "letters, digits, '_', '.', '-', not under /aws or /ssm, at most 14 levels and 1000 "
    "characters"
)


# --------------------------------------------------------------------------------------------
# The records and the decisions (pure, no Pulumi)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedRecord:
    """What CI wrote into ``P/deployed`` after its last healthy deploy."""

    image: str
    task_definition_arn: str
    """Empty in the record Pulumi creates, before CI has deployed."""
    shape: str
    """Empty in the record Pulumi creates, before CI has deployed."""


@dataclass(frozen=True)
class RegisteredRecord:
    """What Pulumi wrote into ``P/registered`` on its last run."""

    shape: str
    image: str
    container_port: int | None = None
    """The port Pulumi's last run registered the target groups with (None in older records)."""


def parse_deployed(text: str) -> DeployedRecord:
    """Parse ``P/deployed``; raises ValueError saying what is wrong."""
    data = _object(text, ("image", "taskDefinitionArn", "shape"))
    if not is_image_reference(data["image"]):
        raise ValueError(f"image {data['image']!r} is not an image reference")
    arn = data["taskDefinitionArn"]
    if arn and not TASK_DEFINITION_ARN.match(arn):
        raise ValueError(f"taskDefinitionArn {arn!r} is not a task definition revision's ARN")
    if data["shape"] and not SHAPE.match(data["shape"]):
        raise ValueError(f"shape {data['shape']!r} is not a sha256 hex digest")
    return DeployedRecord(data["image"], arn, data["shape"])


def parse_registered(text: str) -> RegisteredRecord:
    """Parse ``P/registered``; raises ValueError saying what is wrong."""
    data = _object(text, ("shape", "image"))
    if not SHAPE.match(data["shape"]):
        raise ValueError(f"shape {data['shape']!r} is not a sha256 hex digest")
    if not is_image_reference(data["image"]):
        raise ValueError(f"image {data['image']!r} is not an image reference")
    port = json.loads(text).get("containerPort")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise ValueError(f"containerPort {port!r} is not a whole number")
    return RegisteredRecord(data["shape"], data["image"], port)


def _object(text: str, keys: Sequence[str]) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    missing = [k for k in keys if not isinstance(data.get(k), str)]
    if missing:
        raise ValueError("no string " + ", ".join(missing))
    return {k: data[k] for k in keys}


@dataclass(frozen=True)
class ChannelState:
    """Both records as read live; a record is None when absent or malformed."""

    deployed: DeployedRecord | None = None
    registered: RegisteredRecord | None = None
    problems: tuple[str, ...] = ()
    """One message per malformed parameter, naming it."""


def read_channel(prefix: str, names: Sequence[str], values: Sequence[str]) -> ChannelState:
    """Turn a ``get_parameters_by_path`` answer into the channel's state."""
    live = dict(zip(names, values, strict=True))
    problems: list[str] = []
    deployed: DeployedRecord | None = None
    registered: RegisteredRecord | None = None
    deployed_name = f"{prefix}/{DEPLOYED}"
    registered_name = f"{prefix}/{REGISTERED}"
    if deployed_name in live:
        try:
            deployed = parse_deployed(live[deployed_name])
        except ValueError as error:
            problems.append(_malformed(deployed_name, error, "the bootstrap image"))
    if registered_name in live:
        try:
            registered = parse_registered(live[registered_name])
        except ValueError as error:
            problems.append(_malformed(registered_name, error, "the deployed image"))
    return ChannelState(deployed, registered, tuple(problems))


def read_live(prefix: str, opts: pulumi.InvokeOptions | None = None) -> ChannelState:
    """Both records as they are now, read synchronously: for checks that must run before
    anything is registered (the component reads them again, as an output, to decide the image).
    A malformed record is absent here; the component warns about it."""
    live = aws.ssm.get_parameters_by_path(path=prefix, with_decryption=False, opts=opts)
    return read_channel(prefix, live.names or [], live.values or [])


def _malformed(name: str, error: ValueError, fallback: str) -> str:
    return (
        f"image channel parameter {name} is malformed ({error}); it is ignored and the task "
        f"definition falls back to {fallback}. Rewrite it with valid JSON (docs: "
        f"components/slipway/image_channel.py)."
    )


def task_image(
    shape: str,
    deployed: DeployedRecord | None,
    registered: RegisteredRecord | None,
    bootstrap: str,
) -> str:
    """The image Pulumi's task definition uses.

    Unchanged shape: the registered image, so a CI deploy alone never changes Pulumi's task
    definition. Otherwise (first run, shape change): the image CI runs, else ``bootstrap``.
    """
    if registered is not None and registered.shape == shape:
        return registered.image
    if deployed is not None and deployed.image:
        return deployed.image
    return bootstrap


def service_task_definition(
    shape: str, deployed: DeployedRecord | None, pulumi_task_definition_arn: str
) -> str:
    """The task definition the service runs.

    CI's revision when CI deployed the current shape of the same family (only the image
    differs: no new deployment); Pulumi's revision otherwise.
    """
    if deployed is None or deployed.shape != shape or not deployed.task_definition_arn:
        return pulumi_task_definition_arn
    ours = TASK_DEFINITION_ARN.match(pulumi_task_definition_arn)
    theirs = TASK_DEFINITION_ARN.match(deployed.task_definition_arn)
    if ours is None or theirs is None or ours.group(1) != theirs.group(1):
        return pulumi_task_definition_arn
    return deployed.task_definition_arn


def ci_has_deployed(deployed: DeployedRecord | None) -> bool:
    """Whether CI has deployed through the channel: its record names a task definition
    revision. The record Pulumi creates (bootstrap image, empty ``taskDefinitionArn``) does
    not, and neither does an absent or malformed one. Until then, the image CI builds may not
    exist and the application's secrets may still be empty, so a service must not wait for its
    tasks to become healthy (docs/deployment-guide.md, "The first `pulumi up`")."""
    return deployed is not None and bool(deployed.task_definition_arn)


def shape_of(task_definition: Mapping[str, Any], container_name: str) -> str:
    """sha256 of the canonical JSON of a task definition's inputs, ignoring the image of
    ``container_name``. ``task_definition`` holds plain values (RegisterTaskDefinition's keys,
    ``containerDefinitions`` as a list)."""
    shaped = deepcopy(dict(task_definition))
    shaped.pop("tags", None)
    for container in shaped.get("containerDefinitions", []):
        if container.get("name") == container_name:
            container["image"] = IMAGE_PLACEHOLDER
    canonical = json.dumps(shaped, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The component
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageChannelArgs:
    """Arguments of :class:`ImageChannel`."""

    parameter_prefix: str
    """SSM path holding ``deployed`` and ``registered``, e.g.
    ``/slipway/storefront/prod/image-channel``. One per service."""
    bootstrap_image: pulumi.Input[str]
    """Image (with a tag or digest) of the first task definition, before CI has deployed."""
    shape: pulumi.Input[str]
    """:func:`shape_of` the task definition Pulumi registers."""
    protect: bool = False
    """Protect and retain ``P/deployed`` (what production runs). On in prod."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for both parameters."""
    container_port: int | None = None
    """The target groups' port, recorded in ``P/registered`` (``containerPort``) so the next
    run can refuse a change it cannot make in place. Default: not recorded."""

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not is_parameter_prefix(self.parameter_prefix):
            problems.append(
                invalid(
                    "ImageChannelArgs.parameter_prefix",
                    self.parameter_prefix,
                    PARAMETER_PREFIX_ALLOWED,
                )
            )
        if isinstance(self.bootstrap_image, str):
            problems += image_reference_problems(
                self.bootstrap_image, "ImageChannelArgs.bootstrap_image"
            )
        if isinstance(self.shape, str) and not SHAPE.match(self.shape):
            problems.append(
                invalid("ImageChannelArgs.shape", self.shape, "a sha256 hex digest (shape_of)")
            )
        if problems:
            raise ConfigError(problems)


class ImageChannel(pulumi.ComponentResource):
    """The two SSM parameters of the image contract, read live at the start of each run.

    Outputs:
        parameter_prefix: The SSM path of both parameters.
        deployed_parameter_name: ``<prefix>/deployed``, what CI writes after a healthy deploy
            (the ``IMAGE_CHANNEL_PARAMETER`` GitHub variable).
        deployed_parameter_arn: ARN of ``<prefix>/deployed``, for the deploy role's policy.
        registered_parameter_name: ``<prefix>/registered``, what Pulumi writes.
        parameter_arns: ARNs of both parameters (deployed first).
        image: The image Pulumi's task definition must use (:func:`task_image`).
        ci_deployed: Whether CI has deployed through the channel (:func:`ci_has_deployed`),
            as read at the start of this run.
    """

    TOKEN = "slipway:index:ImageChannel"

    parameter_prefix: pulumi.Output[str]
    deployed_parameter_name: pulumi.Output[str]
    deployed_parameter_arn: pulumi.Output[str]
    registered_parameter_name: pulumi.Output[str]
    parameter_arns: pulumi.Output[list[str]]
    image: pulumi.Output[str]
    ci_deployed: pulumi.Output[bool]

    def __init__(
        self, name: str, args: ImageChannelArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        self._name_prefix = name
        prefix = args.parameter_prefix
        live = aws.ssm.get_parameters_by_path_output(
            path=prefix, with_decryption=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # The provider always marks ``values`` sensitive. These are String parameters holding
        # image references and ARNs, read without decryption: unsecret them, so that the plan
        # shows which image and revision Pulumi would use instead of "[secret]".
        live = pulumi.Output.unsecret(live)
        self._state: pulumi.Output[ChannelState] = live.apply(
            lambda result: self._read(prefix, result.names or [], result.values or [])
        )
        self._shape = pulumi.Output.from_input(args.shape)
        self.image = pulumi.Output.all(self._shape, self._state, args.bootstrap_image).apply(
            lambda v: task_image(v[0], v[1].deployed, v[1].registered, v[2])
        )
        self.ci_deployed = self._state.apply(lambda state: ci_has_deployed(state.deployed))

        deployed = aws.ssm.Parameter(
            f"{name}-deployed",
            name=f"{prefix}/{DEPLOYED}",
            description="Image channel: the image CI deployed last, written by CI only "
            "(JSON image, taskDefinitionArn, shape).",
            type="String",
            tier="Standard",
            value=json_output(
                {"image": args.bootstrap_image, "taskDefinitionArn": "", "shape": ""}
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                retain_on_delete=args.protect,
                ignore_changes=["value"],
            ),
        )
        # Pulumi's own record, rewritten on every run from Pulumi's state: nothing to protect.
        registered = aws.ssm.Parameter(
            f"{name}-registered",
            name=f"{prefix}/{REGISTERED}",
            description="Image channel: shape and image of Pulumi's task definition, written "
            "by Pulumi only (JSON shape, image).",
            type="String",
            tier="Standard",
            value=json_output(
                {"shape": self._shape, "image": self.image}
                | ({} if args.container_port is None else {"containerPort": args.container_port})
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.deployed_parameter_arn = deployed.arn
        self.parameter_prefix = pulumi.Output.from_input(prefix)
        self.deployed_parameter_name = deployed.name
        self.registered_parameter_name = registered.name
        self.parameter_arns = pulumi.Output.all(deployed.arn, registered.arn)
        self.register_outputs(
            {
                "parameter_prefix": self.parameter_prefix,
                "deployed_parameter_name": self.deployed_parameter_name,
                "deployed_parameter_arn": self.deployed_parameter_arn,
                "registered_parameter_name": self.registered_parameter_name,
                "parameter_arns": self.parameter_arns,
                "image": self.image,
                "ci_deployed": self.ci_deployed,
            }
        )

    def _read(self, prefix: str, names: Sequence[str], values: Sequence[str]) -> ChannelState:
        state = read_channel(prefix, names, values)
        for problem in state.problems:
            pulumi.log.warn(problem, resource=self)
        return state

    def service_task_definition(
        self, pulumi_task_definition_arn: pulumi.Input[str]
    ) -> pulumi.Output[str]:
        """The task definition the service should run (:func:`service_task_definition`)."""
        return pulumi.Output.all(self._shape, self._state, pulumi_task_definition_arn).apply(
            lambda v: service_task_definition(v[0], v[1].deployed, v[2])
        )

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Let ``role`` (CI's deploy role) read and overwrite ``P/deployed``, nothing else."""
        return aws.iam.RolePolicy(
            f"{self._name_prefix}-write-{role_name_of(role)}",
            role=role.name,
            policy=policy_document(
                [
                    allow(
                        "WriteDeployedImage",
                        ["ssm:GetParameter", "ssm:PutParameter"],
                        [self.deployed_parameter_arn],
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
