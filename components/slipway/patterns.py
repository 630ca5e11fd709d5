"""Shapes of AWS and GitHub identifiers, defined once so that every component and the stack
settings validate them alike."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import pulumi_aws

from slipway.errors import invalid

AWS_REGIONS: tuple[str, ...] = tuple(region.value for region in pulumi_aws.Region)
"""Every AWS region code, from the AWS provider's own ``pulumi_aws.Region`` enum: the provider
maintains the list, so a region AWS opens arrives with a provider upgrade and a made-up one
(``eu-west-9``) is refused."""


def is_region(value: object) -> bool:
    """True for an AWS region code the provider knows (:data:`AWS_REGIONS`)."""
    return isinstance(value, str) and value in AWS_REGIONS


def region_problems(value: object, setting: str) -> list[str]:
    """A problem unless ``value`` is an AWS region code (:func:`is_region`); ``setting`` is how
    the caller's user spells it (``aws:region``, ``slipway:backupCopyRegion``)."""
    if is_region(value):
        return []
    close = difflib.get_close_matches(str(value).lower(), AWS_REGIONS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    area = str(value).lower().split("-", 1)[0]
    same_area = [r for r in AWS_REGIONS if r.split("-", 1)[0] == area]
    known = (
        f"{area}- regions: {', '.join(same_area)}"
        if same_area and len(same_area) <= 12
        else "areas: " + ", ".join(sorted({r.split("-", 1)[0] + "-" for r in AWS_REGIONS}))
    )
    return [
        invalid(
            setting,
            value,
            f"{hint}a region code (not its display name) from pulumi_aws.Region ({known})",
        )
    ]


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
_LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_TEAM = r"[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?"
GITHUB_LOGIN = re.compile(rf"^{_LOGIN}$")
"""A GitHub user or organisation login: letters, digits and single inner hyphens, at most 39."""


def github_login_problems(value: object, setting: str) -> list[str]:
    """The one rule for a GitHub user or organisation login (:data:`GITHUB_LOGIN`)."""
    if isinstance(value, str) and GITHUB_LOGIN.match(value):
        return []
    return [
        invalid(
            setting, value, "a GitHub login: letters, digits and single inner hyphens, at most 39"
        )
    ]


REPOSITORY_SLUG = re.compile(
    rf"^(?P<owner>{_LOGIN})/(?P<name>(?!\.{{1,2}}$)[A-Za-z0-9._-]{{1,100}})$"
)
"""``owner/name`` as GitHub allows them: owner without leading, trailing or double hyphens."""


def repository_slug_problems(value: object, setting: str) -> list[str]:
    """The one rule for a GitHub repository named ``owner/name`` (:data:`REPOSITORY_SLUG`)."""
    if isinstance(value, str) and REPOSITORY_SLUG.match(value):
        return []
    return [
        invalid(
            setting,
            value,
            "a GitHub repository as owner/name (owner: letters, digits and single inner "
            "hyphens, at most 39; name: letters, digits, '.', '_', '-', at most 100)",
        )
    ]


TEAM_SLUG = re.compile(rf"^{_TEAM}$")
"""A GitHub team slug."""
CODE_OWNER = re.compile(rf"^@{_LOGIN}(?:/{_TEAM})?$")
"""A CODEOWNERS owner: ``@user`` or ``@org/team-slug``."""


def code_owner_problems(owners: Sequence[str], setting: str) -> list[str]:
    """The one rule for CODEOWNERS owners: distinct ``@user`` or ``@org/team``
    (:data:`CODE_OWNER`)."""
    bad = [o for o in owners if not CODE_OWNER.match(o)]
    if bad:
        return [
            invalid(setting, list(owners), f"distinct '@user' or '@org/team' owners; not {bad}")
        ]
    if len(set(owners)) != len(owners):
        return [invalid(setting, list(owners), "distinct '@user' or '@org/team' owners")]
    return []


GITHUB_APP_CLIENT_ID = re.compile(r"^Iv(?:1\.[0-9a-f]{16}|[0-9A-Za-z]{10,40})$")
"""A GitHub App's client ID (``Iv23li…``; older apps ``Iv1.<16 hex>``)."""

WORKFLOW_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
"""A stack or environment name as the generated workflows use it: in job names, artifact names
and ``matrix`` values, lower case, starting with a letter."""
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
"""A plain semantic version, ``1.4.2``."""
VERSION_TAG = re.compile(r"^v\d+\.\d+\.\d+$")
"""A release tag of a tool or action, ``v1.4.2``."""
BRANCH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
"""A branch name the generated workflows put in ``on.push.branches``."""
CRON = re.compile(r"^[0-9*/,-]+( [0-9*/,-]+){4}$")
"""A five-field cron schedule as GitHub Actions' ``on.schedule`` takes it."""
PLAIN_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")
"""A relative path or word that needs no quoting in YAML or shell: letters, digits, ``._/-``."""
SNS_TOPIC_ARN = re.compile(
    r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$"
)
"""The ARN of an SNS topic; ``region`` is its region."""
HEALTH_CHECK_PATH = re.compile(r"^/[A-Za-z0-9._~/-]{0,1023}$")
"""A health check path: '/' and unreserved URL characters, no query or fragment. It is carried
inside the container's health command (a quoted JavaScript string), the load balancer's health
check and the workflows' environment, so nothing that needs quoting or escaping."""
ECS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
"""ECS's rule for cluster names and task definition families."""

CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
"""ECS's rule for service and container names: up to 255 letters, digits, '_' and '-'."""
ECR_REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/[a-z0-9._/-]+$")
"""An ECR repository's ARN, in any partition."""
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


def subnet_ids_problems(value: object, setting: str, minimum: int, allowed: str) -> list[str]:
    """The one rule for a list of subnet IDs, when it is known before deployment (plain
    strings, not Outputs): at least ``minimum`` of them, each ``subnet-…``."""
    if not (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)):
        return []
    subnets = list(value)
    if len(subnets) >= minimum and all(SUBNET_ID.match(s) for s in subnets):
        return []
    return [invalid(setting, subnets, allowed)]


_REGEX_SPECIAL = frozenset(".+?*()[]|{}^$\\")


def regex_literal(text: str) -> str:
    """``text`` as a regular expression that matches only itself, in Python's ``re`` and Go's
    RE2 alike (only the special characters are escaped)."""
    return "".join("\\" + char if char in _REGEX_SPECIAL else char for char in text)


def ref_glob_regex(glob: str) -> str:
    """The regular expression (RE2 and Python alike, unanchored) of a GitHub ref glob as
    deployment branch/tag policies, rulesets and ``on.<event>.branches`` read it (Ruby's
    ``File.fnmatch`` with ``FNM_PATHNAME``): ``*`` and ``?`` never match ``/``, ``**/`` matches
    any number of directories, ``[..]`` is a character class, anything else is itself."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:[^/]*/)*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in glob[index:]:
            end = glob.index("]", index)
            out.append(glob[index : end + 1])
            index = end
        else:
            out.append(regex_literal(char))
        index += 1
    return "".join(out)


def glob_matches(glob: str, name: str) -> bool:
    """True when the ref glob ``glob`` (:func:`ref_glob_regex`) matches all of ``name``."""
    return re.fullmatch(ref_glob_regex(glob), name) is not None
