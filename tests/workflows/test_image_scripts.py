"""The image steps of the rendered ``docker.yml``, run under bash with stand-ins for ``docker``
and ``aws``: the smoke test against a real HTTP server on 127.0.0.1 (with the real curl), the
dispatched-version guard, and the idempotent manifest merge of a re-run."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from slipway.errors import ConfigError
from slipway.workflows import GhcrRetention, WorkflowSpec, load_yaml, render_workflow_files
from tests.workflows.conftest import SPECS
from tests.workflows.test_release_branches import run_step

DOCKER = ".github/workflows/docker.yml"


def _step(job: str, title: str) -> Any:
    docker = load_yaml(render_workflow_files(SPECS["default"])[DOCKER])
    return next(s for s in docker["jobs"][job]["steps"] if s["name"] == title)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FAKE_DOCKER_SMOKE = """#!/bin/bash
# docker, as the smoke test uses it: the "container" is a python http.server on 127.0.0.1.
state="${FAKE_STATE}"
case "$1" in
  image) echo "${FAKE_LABEL}";;
  run)
    if [[ "${FAKE_BEHAVIOUR}" == "crash" ]]; then
      sleep 0 & echo $! > "${state}/pid"; wait
    else
      mkdir -p "${state}/www"; echo ok > "${state}/www/health"
      python3 -m http.server "${FAKE_PORT}" --bind 127.0.0.1 --directory "${state}/www" \\
        >/dev/null 2>&1 &
      echo $! > "${state}/pid"
    fi
    echo container-id;;
  port) echo "127.0.0.1:${FAKE_PORT}";;
  inspect)
    if kill -0 "$(cat "${state}/pid")" 2>/dev/null; then echo true; else echo false; fi;;
  logs) echo "application log";;
  rm) kill "$(cat "${state}/pid")" 2>/dev/null; echo "rm $*" >> "${state}/log";;
  *) exit 2;;
esac
"""


def _smoke(tmp_path: Path, *, label: str, behaviour: str, expected: str) -> Any:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_DOCKER_SMOKE)
    fake.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    step = _step("build", "Smoke test: the image starts and answers its health path")
    env = {
        "IMAGE": "slipway-candidate:linux-amd64",
        "CONTAINER_PORT": step["env"]["CONTAINER_PORT"],
        "HEALTH_CHECK_PATH": step["env"]["HEALTH_CHECK_PATH"],
        "EXPECTED_VERSION": expected,
        "FAKE_STATE": str(state),
        "FAKE_PORT": str(_free_port()),
        "FAKE_LABEL": label,
        "FAKE_BEHAVIOUR": behaviour,
    }
    work = tmp_path / "work"
    work.mkdir()
    done, _ = run_step(step, work, env, bin_dir)
    return done, state


def test_smoke_test_passes_when_the_image_answers_its_health_path(tmp_path: Path) -> None:
    done, state = _smoke(tmp_path, label="1.4.3", behaviour="serve", expected="1.4.3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Healthy after" in done.stdout
    assert "rm --force" in (state / "log").read_text()  # the container is always removed


def test_smoke_test_fails_when_the_container_exits(tmp_path: Path) -> None:
    done, state = _smoke(tmp_path, label="1.4.3", behaviour="crash", expected="1.4.3")
    assert done.returncode == 1
    assert "exited before it answered /health" in done.stdout
    assert "application log" in done.stdout
    assert "rm --force" in (state / "log").read_text()


def test_smoke_test_refuses_an_image_whose_version_label_differs(tmp_path: Path) -> None:
    done, _ = _smoke(tmp_path, label="1.4.2", behaviour="serve", expected="1.4.3")
    assert done.returncode == 1
    assert "version label is '1.4.2', expected '1.4.3'" in done.stdout


def test_pull_request_smoke_tests_need_no_version(tmp_path: Path) -> None:
    done, _ = _smoke(tmp_path, label="", behaviour="serve", expected="")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("event", "ref_type", "ref", "version", "ok"),
    [
        ("push", "branch", "main", "1.4.3", True),  # a call from release.yml passes through
        ("workflow_dispatch", "tag", "v1.4.3", "1.4.3", True),
        ("workflow_dispatch", "tag", "@acme/storefront@1.4.3", "1.4.3", True),
        ("workflow_dispatch", "branch", "main", "1.4.3", False),
        ("workflow_dispatch", "tag", "v1.4.2", "1.4.3", False),
        ("workflow_dispatch", "tag", "v1.4.3", "latest", False),
    ],
)
def test_a_dispatched_rebuild_runs_from_the_versions_tag(
    tmp_path: Path, event: str, ref_type: str, ref: str, version: str, ok: bool
) -> None:
    step = _step("build", "Check the requested version")
    env = {
        "VERSION": version,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REF_TYPE": ref_type,
        "GITHUB_REF_NAME": ref,
    }
    done, _ = run_step(step, tmp_path, env, tmp_path / "bin")
    assert (done.returncode == 0) is ok, done.stdout + done.stderr


PLATFORM_IMAGES = {
    "sha256:" + "a" * 64: "sha256:" + "1" * 64,
    "sha256:" + "b" * 64: "sha256:" + "2" * 64,
}
"""Each verified per-platform index digest and the platform image it holds."""

FAKE_DOCKER_MERGE = """#!/bin/bash
# docker buildx imagetools, as the merge uses it; the registry is a directory of files.
reg="${FAKE_REGISTRY}"
echo "$*" >> "${reg}/calls"
shift 2  # buildx imagetools
sub="$1"; shift
key() { printf '%s' "$1" | tr '/:@' '___'; }
if [[ "${sub}" == "create" ]]; then
  tags=(); sources=()
  while (( $# )); do
    if [[ "$1" == "--tag" ]]; then tags+=("$2"); shift 2; else sources+=("$1"); shift; fi
  done
  children=$(for s in "${sources[@]}"; do jq -r --arg d "${s##*@}" '.[$d]' \\
    <<<"${FAKE_CHILDREN}"; done | jq -R . | jq -sc '.')
  digest="sha256:$(printf '%s' "${children}" | sha256sum | cut -c1-64)"
  for t in "${tags[@]}"; do
    printf '%s %s\\n' "${digest}" "${children}" > "${reg}/$(key "${t}")"
  done
  exit 0
fi
if [[ "$1" == "--raw" ]]; then
  ref="$2"
  for f in "${reg}"/*; do
    read -r digest children < "${f}" 2>/dev/null || continue
    if [[ "${ref##*@}" == "${digest}" ]]; then
      jq -c '{manifests: ([.[] | {digest: ., platform: {os: "linux"}}]
        + [{digest: "sha256:attestation", platform: {os: "unknown"}}])}' <<<"${children}"
      exit 0
    fi
  done
  jq -r --arg d "${ref##*@}" '.[$d]' <<<"${FAKE_CHILDREN}" |
    jq -Rc '{mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{digest: ., platform: {os: "linux"}}]}'
  exit 0
fi
read -r digest _ < "${reg}/$(key "$1")"
echo "{\\"digest\\": \\"${digest}\\"}"
"""

FAKE_AWS = """#!/bin/bash
# aws ecr describe-images --image-ids imageTag=X --query ... : the ECR tag's digest, or an error.
tag=""
for arg in "$@"; do
  if [[ "${arg}" == imageTag=* ]]; then tag="${arg#imageTag=}"; fi
done
file="${FAKE_REGISTRY}/$(printf '%s' "${ECR_REPOSITORY_URL}:${tag}" | tr '/:@' '___')"
if [[ -f "${file}" ]]; then cut -d' ' -f1 "${file}"; exit 0; fi
echo "An error occurred (ImageNotFoundException)" >&2
exit 254
"""


def _merge(tmp_path: Path, registry: Path, children: dict[str, str]) -> Any:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in (("docker", FAKE_DOCKER_MERGE), ("aws", FAKE_AWS)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    work = tmp_path / "work"
    (work / "digests").mkdir(parents=True, exist_ok=True)
    for pair, digest in zip(("linux-amd64", "linux-arm64"), sorted(PLATFORM_IMAGES), strict=True):
        (work / "digests" / pair).write_text(digest)
    step = _step("merge", "Merge and tag the manifest lists")
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/storefront/dev"
    env = {
        "METADATA_JSON": json.dumps({"tags": ["ghcr.io/acme/storefront:1.4.3"]}),
        "GHCR_IMAGE": "ghcr.io/acme/storefront",
        "ECR_REPOSITORY_URL": ecr,
        "VERSION": "1.4.3",
        "RUNNER_TEMP": str(work),
        "FAKE_REGISTRY": str(registry),
        "FAKE_CHILDREN": json.dumps(children),
    }
    return run_step(step, work, env, bin_dir)


def test_a_re_run_of_the_merge_keeps_the_existing_ecr_version_tag(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    done, outputs = _merge(tmp_path / "first", registry, PLATFORM_IMAGES)
    assert done.returncode == 0, done.stdout + done.stderr
    creates = [c for c in (registry / "calls").read_text().splitlines() if " create " in c]
    assert len(creates) == 2  # GHCR, then ECR
    # The ECR list is made from the verified GHCR images: the untagged ECR copies may have
    # expired (ECR lifecycle, 7 days by default) when a failed publish is re-run weeks later.
    ecr_sources = creates[1].split("storefront/dev:1.4.3", 1)[1].split()
    assert ecr_sources == [f"ghcr.io/acme/storefront@{d}" for d in sorted(PLATFORM_IMAGES)]
    # "Re-run failed jobs" after the attestation failed: the ECR tag exists with the same
    # platform images; it is kept, not pushed again (ECR refuses an existing immutable tag).
    (registry / "calls").write_text("")
    again, outputs_again = _merge(tmp_path / "second", registry, PLATFORM_IMAGES)
    assert again.returncode == 0, again.stdout + again.stderr
    creates = [c for c in (registry / "calls").read_text().splitlines() if " create " in c]
    assert len(creates) == 1
    assert "ghcr.io" in creates[0]
    assert "exists already with these images; kept" in again.stdout
    assert outputs_again["ecr-digest"] == outputs["ecr-digest"]


def test_an_existing_ecr_version_with_other_images_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    done, _ = _merge(tmp_path / "first", registry, PLATFORM_IMAGES)
    assert done.returncode == 0, done.stdout + done.stderr
    rebuilt = dict.fromkeys(PLATFORM_IMAGES, "sha256:" + "9" * 64)
    again, outputs = _merge(tmp_path / "second", registry, rebuilt)
    assert again.returncode == 1
    assert "exists with other images" in again.stdout
    assert "never re-pointed" in again.stdout
    assert "ecr-digest" not in outputs


def test_what_a_re_run_tags_outlives_githubs_re_run_window() -> None:
    """A failed publish can be re-run for 30 days ("Re-running workflows and jobs"); its
    image-publish then needs the run's digest artifacts and the untagged GHCR images the verify
    stage pushed. Both must last that long."""
    upload = _step("build", "Upload the digest")
    assert upload["with"]["retention-days"] >= 30
    problems: list[str] = []
    try:
        WorkflowSpec(repository="acme/storefront", ghcr_retention=GhcrRetention(older_than_days=29))
    except ConfigError as error:
        problems = error.problems
    assert len(problems) == 1
    assert "ghcr_retention.older_than_days: got 29; an integer from 30 to 3650" in problems[0]
    WorkflowSpec(repository="acme/storefront", ghcr_retention=GhcrRetention(older_than_days=30))
