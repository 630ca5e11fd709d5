"""Shapes of AWS and GitHub identifiers, defined once so that every component and the stack
settings validate them alike."""

from __future__ import annotations

import re

REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
"""An AWS region name: ``eu-west-1``, ``us-gov-west-1``, ``ap-southeast-2``."""
ACCOUNT_ID = re.compile(r"^\d{12}$")
"""An AWS account ID."""
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:mrk-)?[0-9a-f-]{32,36}$")
"""The ARN of a KMS key (single- or multi-Region)."""
KMS_KEY_OR_ALIAS_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key/(?:mrk-)?[0-9a-f-]{32,36}|alias/[A-Za-z0-9/_-]+)$"
)
"""The ARN of a KMS key or of one of its aliases."""
ACM_CERTIFICATE_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$"
)
"""The ARN of an ACM certificate."""
REPOSITORY_SLUG = re.compile(
    r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})/"
    r"(?P<name>(?!\.{1,2}$)[A-Za-z0-9._-]{1,100})$"
)
"""``owner/name`` as GitHub allows them: owner without leading, trailing or double hyphens."""
TEAM_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$")
"""A GitHub team slug."""
CODE_OWNER = re.compile(
    r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:/[a-z0-9][a-z0-9_-]{0,99})?$"
)
"""A CODEOWNERS owner: ``@user`` or ``@org/team-slug``."""
