"""json_output: the same string as ``Output.json_dumps``, with its secrecy, unknowns and
dependencies, from one ``Output.all`` instead of an Output per dict and list."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from slipway.jsonout import json_output
from tooling.offline import Recording

Program = Callable[[], Mapping[str, Any]]


def _document(arn: Any, name: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "A", "Resource": [arn, f"{name}-literal"], "Condition": {"K": {"V": [name]}}},
            ("tuple", arn, 3, None, True, 1.5),
            {"Nested": {"Deeper": [[arn], {"x": name}]}, "Empty": [], "Map": {}},
        ],
    }


def test_same_string_as_json_dumps(run_component: Callable[[Program], Recording]) -> None:
    def program() -> Mapping[str, Any]:
        bucket = aws.s3.Bucket("b")
        document = _document(bucket.arn, pulumi.Output.from_input("n"))
        return {"ours": json_output(document), "sdk": pulumi.Output.json_dumps(document)}

    outputs = run_component(program).outputs
    assert outputs["ours"] == outputs["sdk"]
    assert json.loads(outputs["ours"])["Statement"][1][2:] == [3, None, True, 1.5]


def test_plain_document_needs_no_outputs(run_component: Callable[[Program], Recording]) -> None:
    document = {"a": [1, {"b": "c"}], "d": None}
    outputs = run_component(lambda: {"doc": json_output(document)}).outputs
    assert outputs["doc"] == json.dumps(document)


def test_a_secret_inside_makes_the_document_secret(
    run_component: Callable[[Program], Recording],
) -> None:
    def program() -> Mapping[str, Any]:
        token = pulumi.Output.secret("s3cr3t")
        return {
            "secret": json_output({"username": "u", "password": token}),
            "plain": json_output({"username": pulumi.Output.from_input("u")}),
        }

    recording = run_component(program)
    assert recording.secret_outputs == {"secret"}
    assert json.loads(recording.outputs["secret"]) == {"username": "u", "password": "s3cr3t"}


def _unknown() -> pulumi.Output[Any]:
    """An Output whose value is not known yet, as a resource's new ARN is in a preview."""

    async def value() -> Any:
        return None

    async def known() -> bool:
        return False

    return pulumi.Output(set(), asyncio.ensure_future(value()), asyncio.ensure_future(known()))


def test_an_unknown_inside_makes_the_document_unknown(
    run_component: Callable[[Program], Recording],
) -> None:
    def program() -> Mapping[str, Any]:
        document = {"Resource": [{"x": _unknown()}], "Name": pulumi.Output.from_input("x")}
        known = {"Resource": [{"x": "arn"}], "Name": pulumi.Output.from_input("x")}
        return {
            "ours": json_output(document),
            "sdk": pulumi.Output.json_dumps(document),
            "known": json_output(known),
        }

    outputs = run_component(program).outputs
    assert outputs["sdk"] is pulumi.output.UNKNOWN
    assert outputs["ours"] is pulumi.output.UNKNOWN
    assert json.loads(outputs["known"]) == {"Resource": [{"x": "arn"}], "Name": "x"}


def test_the_consumer_depends_on_every_resource_inside(
    run_component: Callable[[Program], Recording],
) -> None:
    def program() -> Mapping[str, Any]:
        first, second = aws.s3.Bucket("first"), aws.s3.Bucket("second")
        aws.s3.BucketPolicy(
            "policy",
            bucket=first.id,
            policy=json_output({"Statement": [{"Resource": [first.arn, {"x": second.arn}]}]}),
        )
        return {}

    recording = run_component(program)
    (policy,) = [r for r in recording.resources if r.name == "policy"]
    urns = {r.urn for r in recording.resources if r.name in ("first", "second")}
    assert urns <= set(policy.dependencies)


@pytest.mark.parametrize("value", [[], {}, "s", 0, None])
def test_scalars_and_empty_containers(
    run_component: Callable[[Program], Recording], value: Any
) -> None:
    outputs = run_component(lambda: {"doc": json_output(value)}).outputs
    assert outputs["doc"] == json.dumps(value)
