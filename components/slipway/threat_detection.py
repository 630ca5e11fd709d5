"""ThreatDetection: Amazon GuardDuty for the account, with Runtime Monitoring of ECS on Fargate.

One detector per account and region, so the stack that owns the account's resources creates it.
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

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from slipway.errors import ConfigError, invalid

PUBLISHING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
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
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the detector."""

    def __post_init__(self) -> None:
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
        detector = aws.guardduty.Detector(
            f"{name}-detector",
            enable=True,
            finding_publishing_frequency=args.finding_publishing_frequency,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
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
