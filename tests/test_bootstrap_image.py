"""BootstrapImage: built from a local context, pushed to ECR with a short-lived token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slipway import ConfigError
from slipway.bootstrap_image import BootstrapImage, BootstrapImageArgs, context_digest
from tooling.offline import ACCOUNT_ID, Recording

Runner = Callable[[Callable[[], dict[str, Any]]], Recording]
REPO = f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/storefront/dev"


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app.js").write_text("console.log('hi')\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "big.js").write_text("ignored\n")
    return tmp_path


def build(run: Runner, **overrides: Any) -> Recording:
    def program() -> dict[str, Any]:
        args = BootstrapImageArgs(
            **{"repository_url": REPO, "registry_id": ACCOUNT_ID, **overrides}
        )
        image = BootstrapImage("bootstrap", args)
        return {"image": image.image, "tag": image.tag}

    return run(program)


def test_builds_without_preview_and_pushes_with_the_ecr_token(
    run_component: Runner, context: Path
) -> None:
    recording = build(run_component, context=str(context), platform="linux/arm64", target="runtime")
    image = recording.one("docker:index/image:Image")
    tag = f"bootstrap-{context_digest(context)[:12]}"
    assert image.inputs["imageName"] == f"{REPO}:{tag}"
    assert image.inputs["buildOnPreview"] is False
    assert image.inputs["build"] == {
        "context": str(context),
        "dockerfile": str(context / "Dockerfile"),
        "platform": "linux/arm64",
        "target": "runtime",
    }
    registry = image.inputs["registry"]
    assert registry["server"] == REPO
    assert registry["username"] == "AWS"
    assert "registry" in image.secret_inputs  # the token's password travels as a secret
    assert image.parent_type == "slipway:index:BootstrapImage"
    assert recording.outputs["image"].startswith(f"{REPO}@sha256:")


def test_tag_follows_the_context_content_not_dependency_folders(context: Path) -> None:
    before = context_digest(context)
    (context / "node_modules" / "big.js").write_text("changed\n")
    assert context_digest(context) == before
    (context / "app.js").write_text("console.log('changed')\n")
    assert context_digest(context) != before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"context": "/nonexistent/app"}, "BootstrapImageArgs.context: got '/nonexistent/app'"),
        ({"dockerfile": "Missing.Dockerfile"}, "BootstrapImageArgs.dockerfile"),
        ({"platform": "linux/s390x"}, "BootstrapImageArgs.platform: got 'linux/s390x'"),
    ],
)
def test_bad_arguments_fail_before_anything_registers(
    run_component: Runner, context: Path, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(run_component, **{"context": str(context), **overrides})
    assert message in str(caught.value)
    assert caught.value.recording.resources == []  # type: ignore[attr-defined]
