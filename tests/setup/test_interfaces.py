"""The set-up command's interfaces on their own: GitHub's App manifest flow through a real local
HTTP server, the Automation API calls bound against the installed Pulumi SDK's own signatures,
and the progress of a long wait."""

from __future__ import annotations

import html
import inspect
import io
import json
import re
import threading
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import CommandError

from slipway.setup import engine, github
from slipway.setup.engine import AutomationEngine, StackRef
from slipway.setup.steps import SetupError, wait_for


def test_the_manifest_flow_posts_the_manifest_and_takes_the_code_of_its_own_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said: list[str] = []
    seen: dict[str, Any] = {}

    def browser(url: str) -> bool:
        """The user's browser: loads the page, and GitHub redirects back (first with a forged
        state, which must be ignored, then with the real one)."""

        def act() -> None:
            page = urllib.request.urlopen(url).read().decode()
            action = re.search(r'action="([^"]+)"', page)
            value = re.search(r'name="manifest" value="([^"]+)"', page)
            assert action is not None
            assert value is not None
            seen["action"] = action.group(1)
            seen["manifest"] = json.loads(html.unescape(value.group(1)))
            state = seen["action"].split("state=")[1]
            callback = seen["manifest"]["redirect_url"]
            urllib.request.urlopen(f"{callback}?code=forged&state=other").read()
            urllib.request.urlopen(f"{callback}?code=abc123&state={state}").read()

        threading.Thread(target=act, daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    code = github.BrowserManifestFlow(said.append, timeout=30)("acme", True, "acme/shop")
    assert code == "abc123"
    assert seen["action"].startswith("https://github.com/organizations/acme/settings/apps/new?")
    manifest = seen["manifest"]
    assert manifest["redirect_url"].startswith("http://127.0.0.1:")
    assert manifest["public"] is False
    assert manifest["default_permissions"] == {
        "contents": "write",
        "pull_requests": "write",
        "workflows": "write",
        "metadata": "read",
    }
    assert "hook_attributes" not in manifest
    assert said
    assert said[0].startswith("Open http://127.0.0.1:")


class BoundStack:
    """Every call is bound against the real ``pulumi.automation.Stack`` method's signature (a
    call the SDK would refuse fails here); answers are built from the SDK's own result types."""

    calls: list[tuple[str, inspect.BoundArguments]] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(auto.Stack, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, inspect.signature(real).bind(self, *args, **kwargs)))
            if name == "get_all_config":
                return {
                    "aws:region": auto.ConfigValue("eu-west-1"),
                    "slipway:reviewers": auto.ConfigValue('["alice", "bob"]'),
                }
            if name in {"outputs"}:
                return {"environmentUrl": auto.OutputValue("https://x", False)}
            if name == "up":
                summary = auto.UpdateSummary(
                    kind="update",
                    start_time=datetime.now(UTC),
                    message="",
                    environment={},
                    config={},
                    result="succeeded",
                )
                return auto.UpResult("", "", summary, {"a": auto.OutputValue(1, False)})
            if name == "export_stack":
                return auto.Deployment(version=3, deployment={"resources": []})
            if name == "set_config" and args[0] == "slipway:fail":
                raise CommandError(auto.CommandResult("", "error: no such key", 255))
            return None

        return call


def test_the_automation_engine_calls_the_sdk_as_its_signatures_say(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    made: list[inspect.BoundArguments] = []

    def create_or_select_stack(*args: Any, **kwargs: Any) -> BoundStack:
        made.append(inspect.signature(real).bind(*args, **kwargs))
        return BoundStack()

    real = auto.create_or_select_stack
    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    BoundStack.calls.clear()
    ref = StackRef(tmp_path, "slipway", "prod", "s3://b/shop?region=eu-west-1", "awskms://k")
    pulumi = AutomationEngine({"GITHUB_TOKEN": "gho_user"})
    pulumi.set_config(ref, "slipway:domainName", "shop.acme.io", secret=False)
    pulumi.set_config(ref, "slipway:reviewers", ["alice", "bob"], secret=False)
    assert pulumi.config(ref) == {"aws:region": "eu-west-1", "slipway:reviewers": ["alice", "bob"]}
    reviewers = BoundStack.calls[1][1].arguments
    assert reviewers["value"].value == '["alice", "bob"]'
    assert "path" not in reviewers
    assert pulumi.up(ref, print) == {"a": 1}
    assert pulumi.outputs(ref) == {"environmentUrl": "https://x"}
    exported = pulumi.export_stack(ref)
    pulumi.import_stack(ref, exported)
    options = made[0].arguments["opts"]
    assert options.env_vars == {"GITHUB_TOKEN": "gho_user", "PULUMI_BACKEND_URL": ref.backend_url}
    assert options.secrets_provider == "awskms://k"
    assert [name for name, _ in BoundStack.calls] == [
        "set_config",
        "set_config",
        "get_all_config",
        "preview",
        "up",
        "outputs",
        "export_stack",
        "import_stack",
    ]
    # A failing CLI call is a SetupError naming the operation, not a traceback.
    with pytest.raises(
        SetupError, match=r"pulumi set config failed: code: 255 .*stderr: error: no such key"
    ):
        pulumi.set_config(ref, "slipway:fail", "x", secret=False)
    assert engine.Engine is not None


def test_a_long_wait_says_what_it_waits_for_and_gives_up_naming_it() -> None:
    out = io.StringIO()
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(SetupError, match="gave up waiting for the app after 30 s"):
        wait_for(
            "the app",
            lambda: False,
            out,
            timeout=30,
            interval=10,
            sleep=sleep,
            clock=lambda: now[0],
        )
    lines = out.getvalue().splitlines(keepends=True)
    assert lines[0] == "    waiting for the app\n"
    assert "    still waiting for the app (20 s)\n" in lines


def test_a_passphrase_stack_gets_its_passphrase_file_in_the_cli_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    made: list[inspect.BoundArguments] = []
    real = auto.create_or_select_stack

    def create_or_select_stack(*args: Any, **kwargs: Any) -> BoundStack:
        made.append(inspect.signature(real).bind(*args, **kwargs))
        return BoundStack()

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    secret = tmp_path / "bootstrap.passphrase"
    ref = StackRef(tmp_path, "slipway-bootstrap", "bootstrap", "file:///x", "passphrase", secret)
    AutomationEngine().ensure_stack(ref)
    options = made[0].arguments["opts"]
    assert options.env_vars == {
        "PULUMI_BACKEND_URL": "file:///x",
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(secret),
    }
    assert options.secrets_provider == "passphrase"


def test_help_lists_every_flag_with_its_default_or_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from slipway.setup.cli import main, parser

    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for action in parser()._actions:
        if action.dest == "help":
            continue
        assert action.option_strings[0] in text
        assert action.help is not None
        assert "default" in action.help or "e.g." in action.help, action.option_strings
    assert "examples:" in text
    assert main(["--no-such-flag"]) == 2
