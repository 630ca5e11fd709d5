"""The generated Dockerfile's base image lives in one file that Slipway's own Dependabot bumps.

Dependabot's ``docker`` ecosystem updates ``FROM`` lines of the Dockerfiles in a directory: the
tag, and the digest too when the line carries one ("Dependabot options reference",
``package-ecosystem: docker``). The application repository's own Dependabot leaves the generated
Dockerfile alone (``exclude-paths``: a bump there would be reverted by the next render), so the
bump happens here, in ``components/slipway/workflows/images/Dockerfile``, and reaches every
application with the next render.
"""

from __future__ import annotations

import re
from importlib.resources import files

from slipway.workflows import WorkflowSpec
from slipway.workflows.infra_pipeline import infra_dependabot_config
from slipway.workflows.pins import BASE_IMAGE_FILE, base_image
from slipway.workflows.render import render_workflow_files
from tooling.offline import ROOT


def test_the_rendered_dockerfile_takes_its_base_image_from_the_pin_file() -> None:
    pinned = files("slipway.workflows").joinpath(BASE_IMAGE_FILE).read_text(encoding="utf-8")
    (image,) = re.findall(r"^FROM (\S+)$", pinned, re.M)
    assert base_image() == image
    dockerfile = render_workflow_files(WorkflowSpec(repository="acme/storefront"))["Dockerfile"]
    assert re.findall(r"^FROM (\S+) AS (base|runtime)$", dockerfile, re.M) == [
        (image, "base"),
        (image, "runtime"),
    ]
    # Pinned by digest only with a real one: the template says which it is.
    if "@sha256:" in image:
        assert re.fullmatch(r"[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}", image)
        assert "pinned by tag and digest" in dockerfile
    else:
        assert "pinned by tag only" in dockerfile


def test_slipways_dependabot_bumps_the_pin_file() -> None:
    directory = "/" + str((ROOT / "components/slipway/workflows/images").relative_to(ROOT))
    assert (ROOT / directory.lstrip("/") / "Dockerfile").is_file()
    docker = [u for u in infra_dependabot_config()["updates"] if u["package-ecosystem"] == "docker"]
    assert [u["directory"] for u in docker] == [directory]
    assert docker[0]["cooldown"]["default-days"] >= 7
