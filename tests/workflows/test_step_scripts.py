"""The shell of the generated ``run:`` steps lives in ``.sh`` files, shellchecked as files.

``components/slipway/workflows/steps/<name>.sh`` (libraries in ``steps/lib/``) are loaded by
:func:`slipway.workflows.scripts.step_script`; the rendered text is proven unchanged by the
snapshots (test_snapshots.py), the registrations record and the committed ``infra.yml``.
"""

from __future__ import annotations

import ast
import http.server
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slipway.workflows import WorkflowSpec, load_yaml, render_workflow_files, scripts
from slipway.workflows.paths import DEPLOY_PATH, DOCKER_PATH
from slipway.workflows.scripts import LIBRARY_DIRECTIVE, SHEBANG, step_library, step_script
from slipway.workflows.yamlio import header
from tests.local_servers import http_server
from tests.workflows.conftest import SPECS, tool, tool_env, write_files

ROOT = Path(__file__).resolve().parents[2]
STEPS = ROOT / "components" / "slipway" / "workflows" / "steps"
STEP_FILES = sorted(STEPS.glob("*.sh"))
LIBRARIES = sorted((STEPS / "lib").glob("*.sh"))
LOADERS = [
    ROOT / "components" / "slipway" / "workflows" / "scripts.py",
    ROOT / "components" / "slipway" / "workflows" / "infra_pipeline.py",
    ROOT / "components" / "slipway" / "workflows" / "preview.py",
]
SHELL_FREE = [ROOT / "components" / "slipway" / "workflows", ROOT / "infra", ROOT / "tooling"]
"""Where no Python module may hold a shell script in a string."""


def _shellcheck(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("shellcheck"), *map(str, args)],
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_there_are_step_files_and_libraries() -> None:
    assert len(STEP_FILES) >= 30
    assert len(LIBRARIES) >= 4


def test_every_step_file_and_library_passes_shellcheck() -> None:
    # steps/.shellcheckrc makes ShellCheck follow each include into lib/; a library it could
    # not follow would be reported (SC1091), so the check sees each step as it is rendered.
    result = _shellcheck("--severity=style", *STEP_FILES, *LIBRARIES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_shellcheck_follows_the_includes_into_the_libraries() -> None:
    # Without the rc file's source-path, the includes are not followed: proof that the check
    # above covers each step together with its libraries.
    included = [p for p in STEP_FILES if "/lib/" in p.read_text(encoding="utf-8")]
    assert included
    result = _shellcheck("--norc", "--severity=style", *included)
    assert result.returncode != 0
    assert set(re.findall(r"SC\d+", result.stdout)) == {"SC1091"}, result.stdout


@pytest.mark.parametrize("path", STEP_FILES, ids=lambda p: p.name)
def test_a_step_file_starts_with_the_bash_shebang(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith(SHEBANG + "set -euo pipefail\n")


@pytest.mark.parametrize("path", LIBRARIES, ids=lambda p: p.name)
def test_a_library_declares_its_shell_and_is_included(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith(LIBRARY_DIRECTIVE)
    line = f'source "$(dirname "${{BASH_SOURCE[0]}}")/lib/{path.name}"\n'
    assert any(line in step.read_text(encoding="utf-8") for step in STEP_FILES), path.name


@pytest.mark.parametrize("path", STEP_FILES, ids=lambda p: p.name)
def test_every_step_file_is_loaded(path: Path) -> None:
    loaders = "".join(p.read_text(encoding="utf-8") for p in LOADERS)
    inlined = f'step_script("{path.stem}"' in loaders
    delivered = f'delivered_step("{path.stem}")' in loaders
    assert inlined != delivered  # exactly one way


def test_includes_are_replaced_by_the_library_text() -> None:
    libraries = "".join(step_library(name) for name in ("version-lt", "digest-check"))
    inlined = step_script("image-release")
    assert inlined.startswith("set -euo pipefail\n" + step_library("digest-check"))
    for text in (inlined, scripts.RELEASE_DECISIONS):
        assert "BASH_SOURCE" not in text
        assert "#!" not in text
        assert "shellcheck shell=" not in text
    assert all(part in inlined for part in libraries.split("\n"))


def test_delivered_steps_keep_their_includes_and_bring_their_libraries(tmp_path: Path) -> None:
    # The deploy job runs its steps from the checkout: each file as it is in steps/, with the
    # generated header, and each library it includes beside it in lib/, followed by
    # ShellCheck there as here (the delivered .shellcheckrc).
    files = render_workflow_files(WorkflowSpec(repository="acme/storefront"))
    delivered = {p: t for p, t in files.items() if p.startswith(scripts.DELIVERED_DIR + "/")}
    steps = {f"{scripts.DELIVERED_DIR}/{step.name}.sh" for step in scripts.DELIVERED_STEPS}
    libraries = {
        f"{scripts.DELIVERED_DIR}/lib/{library}.sh"
        for step in scripts.DELIVERED_STEPS
        for library in step.libraries()
    }
    assert set(delivered) == steps | libraries | {f"{scripts.DELIVERED_DIR}/.shellcheckrc"}
    assert libraries == {
        f"{scripts.DELIVERED_DIR}/lib/{name}.sh"
        for name in ("report-stage", "follow-deployment", "digest-check", "version-lt")
    }
    for step in scripts.DELIVERED_STEPS:
        text = delivered[step.path]
        first, _, rest = step.source.partition("\n")
        assert text == f"{first}\n{header()}{rest}"
    write_files(tmp_path, delivered)
    result = _shellcheck("--severity=style", *(tmp_path / p for p in sorted(steps | libraries)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_delivered_step_is_refused_a_placeholder() -> None:
    # Delivered files are not rendered per spec: a placeholder would reach the runner as is.
    with pytest.raises(ValueError, match=r"steps/infra-plan\.sh is delivered as a file"):
        scripts.delivered_step("infra-plan")


@pytest.mark.parametrize(
    "line",
    [
        'source "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh" # why\n',
        '. "$(dirname "${BASH_SOURCE[0]}")/lib/digest-check.sh"\n',
        'source "${BASH_SOURCE[0]%/*}/lib/digest-check.sh"\n',
    ],
)
def test_an_include_is_one_exact_line(monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    def read(relative: str, first_line: str) -> str:
        return "set -euo pipefail\n" + line + "echo\n"

    monkeypatch.setattr(scripts, "_read", read)
    with pytest.raises(ValueError, match="an include must be"):
        step_script("anything")


def test_placeholders_take_plain_words() -> None:
    plan = step_script("infra-plan", PLAN_DIR="out/plan")
    assert "mkdir -p out/plan\n" in plan
    assert "@" not in plan
    with pytest.raises(
        ValueError, match=r"placeholders \['PLAN_DIR'\]; values were given for \[\]"
    ):
        step_script("infra-plan")
    with pytest.raises(ValueError, match=r"values were given for \['OTHER', 'PLAN_DIR'\]"):
        step_script("infra-plan", PLAN_DIR="out", OTHER="x")
    with pytest.raises(ValueError, match="values were given for"):
        step_script("setup-pnpm", PLAN_DIR="out")
    for unsafe in ("out dir", "$(id)", "out;rm", "", "'out'"):
        with pytest.raises(ValueError, match="not one plain shell word"):
            step_script("infra-plan", PLAN_DIR=unsafe)


def test_a_step_file_runs_as_a_file_with_its_libraries(tmp_path: Path) -> None:
    # The include line works at run time too: the digest check comes from lib/digest-check.sh.
    result = subprocess.run(
        ["bash", str(STEPS / "verify-attestation.sh")],
        cwd=tmp_path,
        env={**tool_env(), "IMAGE_DIGEST": "latest"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "::error::image digest 'latest' is not sha256:<64 hex digits>" in result.stdout


def _shell_strings(path: Path, root: Path = ROOT) -> list[str]:
    """Where a module holds a string that is shell: one starting with ``set -`` (a script, or
    the head of one built by concatenation or an f-string), or a multi-line one starting with a
    shebang."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lstrip()
            multi_line = "\n" in text.rstrip("\n")
            if text.startswith("set -") or (text.startswith("#!") and multi_line):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {text[:40]!r}")
    return found


def test_no_python_module_holds_shell() -> None:
    modules = sorted(p for root in SHELL_FREE for p in root.rglob("*.py"))
    assert len(modules) > 20
    found = [hit for module in modules for hit in _shell_strings(module)]
    assert found == [], "shell belongs in components/slipway/workflows/steps/*.sh:\n" + "\n".join(
        found
    )


def test_the_shell_detector_sees_concatenation_and_f_strings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'A = "set -euo pipefail\\n" + B\n'
        'C = f"""set -euo pipefail\n{D}\n"""\n'
        'E = """#!/usr/bin/env bash\necho\n"""\n'
        'F = "#!/usr/bin/env bash\\n"\n'
        'G = "make test"\n',
        encoding="utf-8",
    )
    hits = _shell_strings(module, tmp_path)
    # A, C and E; not F (one line) nor G.
    assert sorted(int(hit.split(":")[1]) for hit in hits) == [1, 2, 5], hits


# ------------------------------------------------------------------------------------------
# The digest check and the health check, run as rendered, on inputs that differ by one
# ------------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _rendered_step(spec: WorkflowSpec, path: str, job: str, step_id: str) -> dict[str, Any]:
    """The step ``step_id`` of ``job`` in ``spec``'s rendered ``path``, its ``env`` as the runner
    builds it: the workflow's ``env``, then the job's, then the step's (GitHub Docs, "Store
    information in variables": the most specific wins). deploy.yml keeps the health check's
    constants and the signer identity at workflow level."""
    workflow = load_yaml(render_workflow_files(spec)[path])
    (step,) = [s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id]
    layers = (workflow.get("env", {}), workflow["jobs"][job].get("env", {}), step.get("env", {}))
    return {**step, "env": {k: v for layer in layers for k, v in layer.items()}}


def _run_rendered(
    spec: WorkflowSpec,
    root: Path,
    step: dict[str, Any],
    context: dict[str, str],
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``step``'s ``run:`` as the runner does (``bash --noprofile --norc -eo pipefail``,
    actions/runner docs/adrs/0277-run-action-shell-options.md) in a checkout of ``spec``'s
    rendered files. Each ``${{ expr }}`` of its env takes ``context[expr]`` (else ``unused``);
    gh, aws, docker and curl are stubs that record their call and fail, so nothing leaves
    the machine. Returns the result and the stubs' calls in order."""
    checkout = root / "checkout"
    if not checkout.exists():
        write_files(checkout, render_workflow_files(spec))
    stubs = root / "bin"
    stubs.mkdir(exist_ok=True)
    calls = root / "calls"
    calls.write_text("")
    for name in ("gh", "aws", "docker", "curl"):
        stub = stubs / name
        stub.write_text(f'#!/usr/bin/env bash\necho {name} >> "{calls}"\nexit 97\n')
        stub.chmod(0o755)
    env = tool_env()
    env["PATH"] = f"{stubs}:{env['PATH']}"
    env["RUNNER_TEMP"] = str(root)
    env["GITHUB_REPOSITORY"] = spec.repository
    for name, value in step.get("env", {}).items():
        env[name] = _EXPRESSION.sub(lambda m: context.get(m.group(1), "unused"), str(value))
    env.update(extra_env or {})
    script = root / f"{step['id']}.step.sh"
    script.write_text(step["run"])
    result = subprocess.run(
        [tool("bash"), "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, calls.read_text().split()


DIGESTS = {
    "64 hex digits": ("sha256:" + "0123456789abcdef" * 4, True),
    "63": ("sha256:" + ("0123456789abcdef" * 4)[:63], False),
    "65": ("sha256:" + "0123456789abcdef" * 4 + "0", False),
    "upper case": ("sha256:" + "0123456789ABCDEF" * 4, False),
    "another algorithm": ("sha512:" + "0123456789abcdef" * 4, False),
}


@pytest.mark.parametrize("case", sorted(DIGESTS))
@pytest.mark.parametrize("step_id", ["attestation", "release", "image"])
def test_the_deploy_refuses_a_digest_one_digit_off(tmp_path: Path, step_id: str, case: str) -> None:
    """Each deploy step that takes the digest refuses it before anything else runs unless it is
    exactly ``sha256:`` and 64 lower-case hex digits (docker's and ECR's digest form)."""
    digest, accepted = DIGESTS[case]
    spec = SPECS["default"]
    step = _rendered_step(spec, DEPLOY_PATH, "deploy-dev", step_id)
    result, calls = _run_rendered(spec, tmp_path, step, {"inputs.image-digest": digest})
    refused = f"::error::image digest '{digest}' is not sha256:<64 hex digits>"
    if accepted:
        assert refused not in result.stdout
        assert result.stdout or calls, "the step did nothing after the check"
    else:
        assert (result.returncode, calls) == (1, []), result.stdout + result.stderr
        assert refused in result.stdout


@pytest.mark.parametrize("case", sorted(DIGESTS))
def test_the_manifest_merge_refuses_a_digest_one_digit_off(tmp_path: Path, case: str) -> None:
    """docker.yml's merge reads each platform's digest from a file: one digit off, it stops
    before docker builds the manifest list from it."""
    digest, accepted = DIGESTS[case]
    spec = SPECS["default"]
    (tmp_path / "digests").mkdir()
    (tmp_path / "digests" / "linux-amd64").write_text("sha256:" + "f" * 64)
    (tmp_path / "digests" / "linux-arm64").write_text(digest)
    step = _rendered_step(spec, DOCKER_PATH, "merge", "merge")
    metadata = json.dumps({"tags": ["ghcr.io/acme/storefront:1.2.3"]})
    result, calls = _run_rendered(spec, tmp_path, step, {"steps.meta.outputs.json": metadata})
    if accepted:
        assert "invalid digest" not in result.stdout
        assert calls[:1] == ["docker"], result.stdout + result.stderr
    else:
        assert (result.returncode, calls) == (1, []), result.stdout + result.stderr
        assert "::error::invalid digest in " in result.stdout


HEALTH_VERSION = "1.4.2"
"""The version the deploy expects; the endpoint reports it once healthy."""


class _Health(http.server.BaseHTTPRequestHandler):
    """A health endpoint that answers 500 (or, with ``stale``, 200 from the previous version)
    until its ``healthy_from``-th GET, then 200 with ``{"version": HEALTH_VERSION}``."""

    healthy_from = 1
    stale = False
    gets = 0

    def do_GET(self) -> None:
        type(self).gets += 1
        healthy = type(self).gets >= type(self).healthy_from
        if healthy or type(self).stale:
            self.send_response(200)
            self.end_headers()
            version = HEALTH_VERSION if healthy else "1.4.1"
            self.wfile.write(json.dumps({"status": "ok", "version": version}).encode())
        else:
            self.send_response(500)
            self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def health() -> Iterator[tuple[str, type[_Health]]]:
    handler = type("Health", (_Health,), {})
    with http_server(handler) as port:
        yield f"http://127.0.0.1:{port}", handler


@pytest.mark.parametrize("stale", [False, True], ids=["500", "old version"])
@pytest.mark.parametrize(
    ("retries", "healthy_from", "passes"),
    [(3, 3, True), (3, 4, False), (1, 1, True), (1, 2, False)],
)
def test_the_health_check_makes_exactly_the_configured_attempts(
    tmp_path: Path,
    health: tuple[str, type[_Health]],
    retries: int,
    healthy_from: int,
    passes: bool,
    stale: bool,
) -> None:
    """The spec's ``health_check_retries`` is how many times the rendered step asks: an endpoint
    healthy from the n-th request passes with n attempts and fails with n - 1 (a second
    apart, the shortest interval the spec takes). Before that it answers 500, or 200 from the
    previous version, which is no healthy answer of this deploy either."""
    url, handler = health
    handler.healthy_from = healthy_from
    handler.stale = stale
    spec = WorkflowSpec(
        repository="acme/storefront",
        environments=("prod",),
        health_check_retries=retries,
        health_check_interval_seconds=1,
    )
    step = _rendered_step(spec, DEPLOY_PATH, "deploy-prod", "health")
    # The stub curl is left out: the check asks the local endpoint for real.
    context = {
        "vars.ENVIRONMENT_URL": url,
        "vars.HEALTH_CHECK_PATH": "/health",
        "steps.release.outputs.version": HEALTH_VERSION,
    }
    result, _ = _run_rendered(spec, tmp_path, step, context, {"PATH": tool_env()["PATH"]})
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    assert handler.gets == min(retries, healthy_from)
    if passes:  # the version-checked pass, not the warning for an endpoint without a version
        assert f"is healthy and runs {HEALTH_VERSION}" in result.stdout, result.stdout
        assert "::warning::" not in result.stdout
    else:
        assert f"(expected version {HEALTH_VERSION})" in result.stdout, result.stdout
