"""The deploy accepts only attestations that ``docker.yml`` made on the default branch, a
release line or a release tag, on a GitHub-hosted runner.

How ``gh attestation verify`` matches (cli/cli, read at v2.60.0,
``pkg/cmd/attestation/verify/policy.go`` and ``verify.go``): ``--signer-workflow W`` becomes
the regex ``^https://<host>/W``, which accepts ``W@<any ref>``; ``--cert-identity-regex R`` is
used as it is; the four identity flags are mutually exclusive; ``--deny-self-hosted-runners``
requires the certificate's runner-environment extension to be ``github-hosted``. sigstore-go
(``pkg/verify/certificate_identity.go``, ``NewSANMatcher``) compiles the regex with Go's
``regexp`` and matches with ``MatchString``: unanchored, so ``re.search`` here. The
certificate's subject alternative name of a GitHub Actions signature is
``https://github.com/<job_workflow_ref>``: the workflow that ran the signing job, at the ref it
ran from (for ``docker.yml`` called by ``release.yml``, the release run's ref).
"""

from __future__ import annotations

import re

import pytest

from slipway.workflows import WorkflowSpec
from slipway.workflows.deploy import signer_identity_regex
from slipway.workflows.render import render_workflow_files
from slipway.workflows.scripts import step_script
from slipway.workflows.yamlio import load_yaml

SPEC = WorkflowSpec(repository="acme/storefront")
SIGNER = "https://github.com/acme/storefront/.github/workflows/docker.yml"

ACCEPTED = (
    "refs/heads/main",
    "refs/heads/release/1.4.x",
    "refs/heads/release/storefront@1.4.x",
    "refs/heads/release/@acme/storefront@1.4.x",
    "refs/tags/v1.4.2",
    "refs/tags/v2.0.0-rc.1",
    "refs/tags/storefront@1.4.2",
    "refs/tags/@acme/storefront@1.4.2",
)
REFUSED = (
    "refs/pull/12/merge",
    "refs/pull/12/head",
    "refs/heads/feature",
    "refs/heads/main-copy",
    "refs/heads/mainline",
    "refs/heads/x/main",
    "refs/heads/release/next",
    "refs/heads/release/1.4.x/evil",
    "refs/heads/release/1.4.xy",
    "refs/tags/nightly",
    "refs/tags/v",
    "refs/tags/x/v1.4.2",
)


def _go_match(regex: str, san: str) -> bool:
    """Go's ``regexp.MatchString`` for the RE2 subset the regex uses (unanchored search)."""
    for construct in ("(?=", "(?!", "(?<", "(?P", "\\1", "\\d", "\\w"):
        assert construct not in regex, construct  # not RE2, or not alike in both engines
    return re.search(regex, san) is not None


@pytest.mark.parametrize("ref", ACCEPTED)
def test_attestations_from_main_release_lines_and_release_tags_verify(ref: str) -> None:
    assert _go_match(signer_identity_regex(SPEC), f"{SIGNER}@{ref}")


@pytest.mark.parametrize("ref", REFUSED)
def test_attestations_from_pull_requests_and_other_branches_are_refused(ref: str) -> None:
    san = f"{SIGNER}@{ref}"
    assert not _go_match(signer_identity_regex(SPEC), san)
    # What --signer-workflow accepted (policy.go: "^https://" + host/owner/repo/path): the defect.
    assert _go_match("^https://github.com/acme/storefront/.github/workflows/docker.yml", san)


@pytest.mark.parametrize(
    "san",
    [
        "https://github.com/acme/storefront/.github/workflows/deploy.yml@refs/heads/main",
        "https://github.com/acme/storefront/.github/workflows/docker.yml.bak@refs/heads/main",
        "https://github.com/acme/storefront-fork/.github/workflows/docker.yml@refs/heads/main",
        "https://github.com/evil/storefront/.github/workflows/docker.yml@refs/heads/main",
        "https://github.com.evil.example/acme/storefront/.github/workflows/docker.yml@refs/heads/main",
        "https://github.com/acme/storefront/.github/workflows/docker.yml@refs/heads/main/x",
        "https://gitlab.com/acme/storefront/.github/workflows/docker.yml@refs/heads/main",
    ],
)
def test_other_workflows_repositories_and_hosts_are_refused(san: str) -> None:
    assert not _go_match(signer_identity_regex(SPEC), san)


def test_owner_and_name_match_in_any_case_refs_exactly() -> None:
    regex = signer_identity_regex(SPEC)
    assert _go_match(
        regex, SIGNER.replace("acme/storefront", "Acme/StoreFront") + "@refs/tags/v1.0.0"
    )
    assert not _go_match(regex, f"{SIGNER}@refs/heads/MAIN")


def test_a_custom_default_branch_is_the_one_bound() -> None:
    regex = signer_identity_regex(
        WorkflowSpec(repository="acme/storefront", default_branch="trunk")
    )
    assert _go_match(regex, f"{SIGNER}@refs/heads/trunk")
    assert not _go_match(regex, f"{SIGNER}@refs/heads/main")


def test_the_deploy_verifies_with_the_bound_identity_on_hosted_runners() -> None:
    deploy = load_yaml(render_workflow_files(SPEC)[".github/workflows/deploy.yml"])
    assert deploy["env"]["SIGNER_IDENTITY_REGEX"] == signer_identity_regex(SPEC)
    script = step_script("verify-attestation")
    command = re.search(r"gh attestation verify .*?;", script, re.S)
    assert command
    flags = set(re.findall(r"--[a-z-]+", command.group(0)))
    # verify.go: --cert-identity-regex and --signer-workflow are mutually exclusive, and the
    # latter accepts any ref.
    assert flags == {
        "--bundle-from-oci",
        "--repo",
        "--cert-identity-regex",
        "--deny-self-hosted-runners",
    }
    assert '--cert-identity-regex "${SIGNER_IDENTITY_REGEX}"' in command.group(0)
