"""given_or_new_key_arn: the one place that decides between a caller's key and a new one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from slipway.encryption_key import EncryptionKeyArgs, given_or_new_key_arn
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
GIVEN = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"


class _Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("slipway:test:Parent", name, None, None)


def test_a_given_key_is_returned_and_no_key_is_made(run_component: Runner) -> None:
    asked: list[str] = []

    def new_key() -> EncryptionKeyArgs:
        asked.append("new")
        return EncryptionKeyArgs(description="unused")

    def program() -> dict[str, Any]:
        parent = _Parent("owner")
        return {"arn": given_or_new_key_arn(GIVEN, "owner-key", new_key, parent)}

    recording = run_component(program)
    assert recording.outputs["arn"] == GIVEN
    assert asked == []
    assert not recording.of_type("aws:kms/key:Key")


def test_without_a_given_key_a_new_key_is_made_under_the_parent(run_component: Runner) -> None:
    def program() -> dict[str, Any]:
        parent = _Parent("owner")
        new = EncryptionKeyArgs(description="Encrypts the owner's things", alias="owner/things")
        return {"arn": given_or_new_key_arn(None, "owner-key", lambda: new, parent)}

    recording = run_component(program)
    (key,) = recording.of_type("aws:kms/key:Key")
    assert key.inputs["description"] == "Encrypts the owner's things"
    assert key.inputs["enableKeyRotation"] is True
    (component,) = recording.of_type("slipway:index:EncryptionKey")
    assert component.name == "owner-key"
    assert component.parent_name == "owner"
    assert recording.outputs["arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/")
