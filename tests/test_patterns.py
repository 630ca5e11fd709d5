"""The identifier shapes every component and the settings share."""

from __future__ import annotations

import re

import pytest

from components import patterns

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MRK = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
ALIAS = "arn:aws:kms:eu-west-1:111122223333:alias/slipway-pulumi-secrets"


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (
            patterns.REGION,
            ["eu-west-1", "us-gov-west-1", "ap-southeast-2"],
            ["Frankfurt", "eu-west"],
        ),
        (patterns.ACCOUNT_ID, ["111122223333"], ["1111", "11112222333a"]),
        (patterns.KMS_KEY_ARN, [KEY, MRK], [ALIAS, "alias/x", KEY + "/x"]),
        (patterns.KMS_KEY_OR_ALIAS_ARN, [KEY, MRK, ALIAS], ["arn:aws:kms:eu-west-1:1:key/x"]),
        (
            patterns.ACM_CERTIFICATE_ARN,
            ["arn:aws:acm:eu-west-1:111122223333:certificate/6c1f0f5e-2b7a-4b57-9d0e-1a4c5e7f9b21"],
            ["arn:aws:iam::111122223333:server-certificate/x"],
        ),
        (
            patterns.REPOSITORY_SLUG,
            ["acme-corp/storefront", "a/b.c"],
            ["acme--corp/x", "a/..", "a"],
        ),
        (patterns.TEAM_SLUG, ["platform", "sre_team"], ["Platform", "-x", "x-"]),
    ],
)
def test_shapes(pattern: re.Pattern[str], good: list[str], bad: list[str]) -> None:
    assert all(pattern.match(value) for value in good), good
    assert not any(pattern.match(value) for value in bad), bad
