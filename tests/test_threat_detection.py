"""ThreatDetection: GuardDuty with Runtime Monitoring of Fargate, opt-in on the account stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest

from slipway.errors import ConfigError
from slipway.threat_detection import ThreatDetection, ThreatDetectionArgs
from tests.aws_models import service_model
from tests.conftest import recorded
from tooling.offline import STACKS, Recording, run_stack

Runner = Callable[..., Recording]
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


def program(**overrides: Any) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        ThreatDetection("gd", ThreatDetectionArgs(**overrides))
        return {}

    return run


def test_a_detector_with_fargate_runtime_monitoring(run_component: Runner) -> None:
    recording = run_component(program(protect=True))
    detector = recording.one(DETECTOR)
    assert detector.inputs["enable"] is True
    assert detector.protect
    assert detector.retain_on_delete
    feature = recording.one(FEATURE)
    assert (feature.inputs["name"], feature.inputs["status"]) == ("RUNTIME_MONITORING", "ENABLED")
    assert feature.inputs["additionalConfigurations"] == [
        {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"}
    ]
    # GuardDuty's own API model: the feature and its additional configuration by name.
    model = service_model("guardduty")
    request = model.operation_model("UpdateDetector").input_shape
    botocore.validate.validate_parameters(
        {
            "DetectorId": "12abc34d567e8fa901bc2d34eexample",
            "FindingPublishingFrequency": detector.inputs["findingPublishingFrequency"],
            "Features": [
                {
                    "Name": feature.inputs["name"],
                    "Status": feature.inputs["status"],
                    "AdditionalConfiguration": [
                        {"Name": c["name"], "Status": c["status"]}
                        for c in feature.inputs["additionalConfigurations"]
                    ],
                }
            ],
        },
        request,
    )
    features = model.shape_for("DetectorFeatureConfiguration").members["Name"].enum
    assert "RUNTIME_MONITORING" in features
    extras = model.shape_for("DetectorAdditionalConfiguration").members["Name"].enum
    assert "ECS_FARGATE_AGENT_MANAGEMENT" in extras


def test_runtime_monitoring_can_be_left_off(run_component: Runner) -> None:
    recording = run_component(program(fargate_runtime_monitoring=False))
    assert recording.of_type(DETECTOR)
    assert not recording.of_type(FEATURE)


def test_a_bad_frequency_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ThreatDetectionArgs\.finding_publishing_frequency"):
        ThreatDetectionArgs(finding_publishing_frequency="DAILY")


@pytest.mark.parametrize("stack", STACKS)
def test_opt_in_on_the_one_stack_that_owns_the_detector(stack: str) -> None:
    """``guardDuty`` is its own ownership flag: any one stack of the account may own the
    detector (tooling/cross_stack.py refuses a second owner in one account and region), and
    only that stack's boundary lets it change the detector (tests/test_stack_boundary.py)."""
    assert not recorded(stack).of_type(DETECTOR)
    assert run_stack(stack, overrides={"guardDuty": "true"}).one(DETECTOR)


ADOPTED = "12abc34d567e8fa901bc2d34e0123456"


def test_an_existing_detector_is_adopted_protected_and_left_as_it_is(run_component: Runner) -> None:
    """Like the OIDC provider's adopt path: imported by its ID (the import ID terraform-provider-
    aws documents for aws_guardduty_detector), never deleted, its frequency and tags kept so
    the import matches what exists."""
    recording = run_component(program(adopt_detector_id=ADOPTED))
    detector = recording.one(DETECTOR)
    assert detector.import_id == ADOPTED
    assert detector.protect
    assert detector.retain_on_delete
    assert sorted(detector.ignore_changes) == ["findingPublishingFrequency", "tags"]
    created = run_component(program()).one(DETECTOR)
    assert not created.import_id
    assert not created.ignore_changes
    assert not created.protect


def test_a_bad_detector_id_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ThreatDetectionArgs\.adopt_detector_id: got 'd-1'"):
        ThreatDetectionArgs(adopt_detector_id="d-1")


def test_the_stack_adopts_the_accounts_detector_by_setting() -> None:
    rec = run_stack("staging", overrides={"guardDuty": "true", "guardDutyDetectorId": ADOPTED})
    assert rec.one(DETECTOR).import_id == ADOPTED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"guardDutyDetectorId": ADOPTED}, "slipway:guardDutyDetectorId: got '12abc"),
        (
            {"guardDuty": "true", "guardDutyDetectorId": "nope"},
            "slipway:guardDutyDetectorId: got 'nope'",
        ),
    ],
)
def test_the_adopt_setting_is_checked(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_stack("dev", overrides=overrides)
