"""The identifier shapes every component and the settings share."""

from __future__ import annotations

import re

import pulumi_aws
import pytest

from slipway import patterns

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MRK = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
ALIAS = "arn:aws:kms:eu-west-1:111122223333:alias/slipway-pulumi-secrets"


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
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


def test_regions_are_the_providers_own_list() -> None:
    assert set(patterns.AWS_REGIONS) == {region.value for region in pulumi_aws.Region}
    for good in ("eu-west-1", "us-gov-west-1", "ap-southeast-2", "eusc-de-east-1"):
        assert patterns.is_region(good), good
        assert patterns.region_problems(good, "x") == [], good
    for bad in ("Frankfurt", "eu-west", "eu-west-9", "Europe (Ireland)", None, 1):
        assert not patterns.is_region(bad), bad
        assert patterns.region_problems(bad, "aws:region")[0].startswith(f"aws:region: got {bad!r}")
    assert "did you mean eu-west-3?" in patterns.region_problems("eu-west-9", "x")[0]
