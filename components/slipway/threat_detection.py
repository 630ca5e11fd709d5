"""ThreatDetection: Amazon GuardDuty for the account, with Runtime Monitoring of ECS on Fargate.

One detector per account and region, so one stack of the account creates it, or adopts the one
the account already has (``adopt_detector_id``), like the GitHub OIDC provider.
Runtime Monitoring with automated agent management for Fargate makes GuardDuty add its security
agent as a sidecar to the account's Fargate tasks; each task's execution role must be able to
pull it (:attr:`~slipway.fargate_service.FargateServiceArgs.guardduty_runtime_monitoring`).
Sources: "Runtime Monitoring" and "Managing automated security agent for AWS Fargate (Amazon ECS
only)" in the Amazon GuardDuty User Guide
(https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring.html), and the GuardDuty
API's detector features (``RUNTIME_MONITORING`` with ``ECS_FARGATE_AGENT_MANAGEMENT``,
https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DetectorFeatureConfiguration.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid

PUBLISHING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
DETECTOR_ID = re.compile(r"^[a-z0-9]{32}$")
"""A GuardDuty detector ID: 32 lower-case letters and digits (GuardDuty API Reference,
``GetDetector``; the ID is also Terraform's and Pulumi's import ID for ``aws_guardduty_detector``,
terraform-provider-aws ``internal/service/guardduty/detector.go``)."""


def detector_id_problems(detector_id: object, setting: str) -> list[str]:
    """The one rule for a GuardDuty detector ID (:data:`DETECTOR_ID`)."""
    if isinstance(detector_id, str) and DETECTOR_ID.match(detector_id):
        return []
    return [
        invalid(setting, detector_id, "a GuardDuty detector ID: 32 lower-case letters and digits")
    ]


"""How often GuardDuty publishes updated findings (``FindingPublishingFrequency``)."""


@dataclass(frozen=True)
class ThreatDetectionArgs:
    """Arguments of :class:`ThreatDetection`."""

    fargate_runtime_monitoring: bool = True
    """Runtime Monitoring with GuardDuty managing its agent on ECS Fargate tasks. Default: on."""
    finding_publishing_frequency: str = "FIFTEEN_MINUTES"
    """One of :data:`PUBLISHING_FREQUENCIES`. Default: the most frequent."""
    protect: bool = False
    """Protect the detector and retain it if it leaves the program (its findings history)."""
    adopt_detector_id: str | None = None
    """The ID of the detector the account already has in this region (GuardDuty allows one):
    the stack imports it on its next ``up`` and owns it from then on, instead of failing to
    create a second. Its finding frequency and tags are left as they are, so the import matches
    what exists; it is always protected and retained. Default: create the detector."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the detector."""

    def __post_init__(self) -> None:
        if self.adopt_detector_id is not None:
            problems = detector_id_problems(
                self.adopt_detector_id, "ThreatDetectionArgs.adopt_detector_id"
            )
            if problems:
                raise ConfigError(problems)
        if self.finding_publishing_frequency not in PUBLISHING_FREQUENCIES:
            raise ConfigError(
                invalid(
                    "ThreatDetectionArgs.finding_publishing_frequency",
                    self.finding_publishing_frequency,
                    " or ".join(PUBLISHING_FREQUENCIES),
                )
            )


class ThreatDetection(pulumi.ComponentResource):
    """A GuardDuty detector and, optionally, Runtime Monitoring of Fargate tasks.

    Outputs:
        detector_id: The detector's ID.
    """

    TOKEN = "slipway:index:ThreatDetection"

    detector_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ThreatDetectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TOKEN, name, None, opts)
        adopt = args.adopt_detector_id is not None
        keep = adopt or args.protect
        detector = aws.guardduty.Detector(
            f"{name}-detector",
            enable=True,
            finding_publishing_frequency=args.finding_publishing_frequency,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=keep,
                retain_on_delete=keep,
                # Adopting keeps the option for good: Pulumi imports a resource not yet in the
                # stack's state and treats it like any other once it is (pulumi/pulumi,
                # developer-docs/architecture/import.md, "import resource option").
                import_=args.adopt_detector_id,
                ignore_changes=["findingPublishingFrequency", "tags"] if adopt else None,
            ),
        )
        if args.fargate_runtime_monitoring:
            aws.guardduty.DetectorFeature(
                f"{name}-runtime-monitoring",
                detector_id=detector.id,
                name="RUNTIME_MONITORING",
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                        name="ECS_FARGATE_AGENT_MANAGEMENT", status="ENABLED"
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.detector_id = detector.id
        self.register_outputs({"detector_id": self.detector_id})
