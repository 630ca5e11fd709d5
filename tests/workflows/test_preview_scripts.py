"""The per-pull-request preview scripts (``steps/preview-*.sh``) run against a moto server.

The real files run under bash with the real AWS CLI (:mod:`tests.workflows.aws_cli`) pointed
at a moto server on 127.0.0.1, on the preview base of :mod:`tests.workflows.preview_world`.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows import aws_cli
from tests.workflows.preview_world import (
    APP,
    DOMAIN,
    HOUR,
    STEPS,
    T0,
    Base,
    Ecs,
    Plan,
    make_base,
    moto_server,
)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def aws_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with aws_cli.started(tmp_path_factory.mktemp("aws-cli")) as bin_dir:
        yield bin_dir


@pytest.fixture
def base(moto_endpoint: str, aws_bin: Path, tmp_path: Path) -> Base:
    return make_base(moto_endpoint, aws_bin, tmp_path)


def _open(base: Base, pr: int, now: int, **extra: str) -> str:
    return base.ok("preview-deploy", PREVIEW_PR=str(pr), PREVIEW_NOW=str(now), **extra)


def test_three_previews_push_close_fail_expire_and_sweep(base: Base) -> None:
    others = base.others()
    for pr in (7, 12, 30):
        out = _open(base, pr, T0)
        assert f"https://pr-{pr}.pr.{DOMAIN}" in out
    dev = (1, "web-dev")
    assert base.routing() == {
        f"dev.{DOMAIN}": dev,
        f"pr-7.pr.{DOMAIN}": (2, "pr-7-web"),
        f"pr-12.pr.{DOMAIN}": (3, "pr-12-web"),
        f"pr-30.pr.{DOMAIN}": (4, "pr-30-web"),
    }
    tagged = base.tagged()
    assert tagged["svc"] == {"pr-7-web", "pr-12-web", "pr-30-web"}
    assert tagged["logs"] == {f"/slipway/previews/pr-{n}-web" for n in (7, 12, 30)}
    ecs = base.client("ecs")
    service = ecs.describe_services(cluster=base.cluster, services=["pr-12-web"])["services"][0]
    assert service["desiredCount"] == 1
    assert service["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]
    definition = ecs.describe_task_definition(taskDefinition="pr-12-web")["taskDefinition"]
    assert definition["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    retention = base.client("logs").describe_log_groups(
        logGroupNamePrefix="/slipway/previews/pr-12-web"
    )["logGroups"][0]["retentionInDays"]
    assert retention == 3

    # A push to 12, an hour later: same route and priority, a new revision, a renewed expiry.
    _open(base, 12, T0 + HOUR)
    assert base.routing()[f"pr-12.pr.{DOMAIN}"] == (3, "pr-12-web")
    service = ecs.describe_services(cluster=base.cluster, services=["pr-12-web"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/pr-12-web:2")
    tags = ecs.list_tags_for_resource(resourceArn=service["serviceArn"])["tags"]
    assert {"key": "slipway:expires", "value": str(T0 + HOUR + 72 * HOUR)} in tags
    assert {"key": "slipway:environment", "value": "preview"} in tags
    assert {"key": "slipway:app", "value": APP} in tags

    # 7 closes: everything of it goes; its priority is the first free one for the next preview.
    base.ok("preview-teardown", PREVIEW_PR="7")
    assert f"pr-7.pr.{DOMAIN}" not in base.routing()
    left = base.tagged()
    assert all("pr-7-web" not in " ".join(names) for names in left.values()), left
    # Run again: already gone is fine.
    base.ok("preview-teardown", PREVIEW_PR="7")
    _open(base, 41, T0, PREVIEW_TTL_HOURS="1")  # will expire
    _open(base, 55, T0)  # will lose its record
    assert base.routing() == {
        f"dev.{DOMAIN}": dev,
        f"pr-41.pr.{DOMAIN}": (2, "pr-41-web"),
        f"pr-12.pr.{DOMAIN}": (3, "pr-12-web"),
        f"pr-30.pr.{DOMAIN}": (4, "pr-30-web"),
        f"pr-55.pr.{DOMAIN}": (5, "pr-55-web"),
    }

    # 30 closes, and its teardown fails half-way: the service is gone, the record stays (no
    # longer forwarding) with the target group.
    failed = base.run(
        "preview-teardown", PREVIEW_PR="30", PREVIEW_TEST_FAIL="elbv2 delete-target-group"
    )
    assert failed.returncode != 0
    assert "injected by the test" in failed.stderr
    assert base.routing()[f"pr-30.pr.{DOMAIN}"] == (4, "404")
    assert "pr-30-web" in base.tagged()["tg"]
    assert "pr-30-web" not in base.tagged()["svc"]

    # 55's record is deleted behind the previews' back.
    elb = base.client("elbv2")
    rule = next(
        r["RuleArn"]
        for r in elb.describe_rules(ListenerArn=base.listener)["Rules"]
        if r["Priority"] == "5"
    )
    elb.delete_rule(RuleArn=rule)
    assert "pr-55-web" in base.tagged()["svc"]
    assert base.others() == others

    # The sweep two hours on: 30 is closed (layer 1 finishes its teardown), 41 expired (layer 1),
    # 55 has no record (layer 2, the tag sweep); 12 stays.
    out = base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 2 * HOUR), PREVIEW_OPEN_PRS="12 41 55")
    assert "pull request 30: pull request closed" in out
    assert "pull request 41: expired" in out
    assert "Tag sweep: pull request 55" in out
    assert base.routing() == {f"dev.{DOMAIN}": dev, f"pr-12.pr.{DOMAIN}": (3, "pr-12-web")}
    tagged = base.tagged()
    assert tagged["svc"] == {"pr-12-web"}
    assert tagged["tg"] == {"pr-12-web"}
    assert tagged["logs"] == {"/slipway/previews/pr-12-web"}
    assert {td.split(":")[0] for td in tagged["td"]} == {"pr-12-web"}
    assert base.others() == others

    # 12 closes without its teardown ever running: the next sweep removes it.
    base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 3 * HOUR), PREVIEW_OPEN_PRS="")
    assert base.routing() == {f"dev.{DOMAIN}": dev}
    assert base.tagged() == {k: set() for k in ("rule", "tg", "svc", "td", "logs")}
    assert base.others() == others


def test_the_tag_sweep_leaves_a_recent_recordless_preview_for_the_next_sweep(base: Base) -> None:
    _open(base, 9, T0)
    elb = base.client("elbv2")
    rule = next(
        r["RuleArn"]
        for r in elb.describe_rules(ListenerArn=base.listener)["Rules"]
        if r["Priority"] == "2"
    )
    elb.delete_rule(RuleArn=rule)
    out = base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 60), PREVIEW_OPEN_PRS="9")
    assert "Leaving pull request 9's resources" in out
    assert base.tagged()["svc"] == {"pr-9-web"}
    base.ok("preview-sweep", PREVIEW_NOW=str(T0 + 901), PREVIEW_OPEN_PRS="9")
    assert base.tagged()["svc"] == set()


def test_the_cap_refuses_a_preview_beyond_the_rules_quota_with_its_reason(base: Base) -> None:
    # Rules quota 4 per load balancer; the base uses two rules, on two listeners (dev, and a
    # redirect on port 80): two previews fit.
    elb = base.client("elbv2")
    lb = elb.describe_listeners(ListenerArns=[base.listener])["Listeners"][0]["LoadBalancerArn"]
    http = elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    elb.create_rule(
        ListenerArn=http,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/.well-known/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": base.base_group}],
    )
    quota = {"PREVIEW_RULES_QUOTA": "4"}
    _open(base, 1, T0, **quota)
    _open(base, 2, T0, **quota)
    refused = base.run("preview-deploy", PREVIEW_PR="3", PREVIEW_NOW=str(T0), **quota)
    assert refused.returncode == 1
    assert "No preview for pull request 3: 2 previews are open and the cap is 2" in refused.stderr
    assert "100 target groups per load balancer, not adjustable" in refused.stderr
    assert "base uses (1 target groups, 2 rules)" in refused.stderr
    assert "load-balancer-limits.html" in refused.stderr
    assert f"pr-3.pr.{DOMAIN}" not in base.routing()
    assert "pr-3-web" not in base.tagged()["tg"]
    # An open preview is still updated at the cap.
    _open(base, 2, T0 + 60, **quota)
    base.ok("preview-teardown", PREVIEW_PR="1")
    _open(base, 3, T0, **quota)
    assert base.routing()[f"pr-3.pr.{DOMAIN}"] == (2, "pr-3-web")


def test_a_priority_taken_between_read_and_create_is_allocated_again(
    base: Base, tmp_path: Path
) -> None:
    race = tmp_path / "race"
    race.write_text(f"other.pr.{DOMAIN}")
    out = _open(base, 8, T0, PREVIEW_TEST_RACE=str(race))
    assert "priority 2 taken meanwhile" in out
    assert base.routing() == {
        f"dev.{DOMAIN}": (1, "web-dev"),
        f"other.pr.{DOMAIN}": (2, "503"),
        f"pr-8.pr.{DOMAIN}": (3, "pr-8-web"),
    }


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PREVIEW_PR", "0", "PREVIEW_PR='0' must be a pull request number"),
        ("PREVIEW_IMAGE", "web:latest", "must be an image by digest"),
        ("PREVIEW_APP", "Web_App", "PREVIEW_APP='Web_App'"),
        ("PREVIEW_LOG_RETENTION_DAYS", "10", "must be one of 1, 3, 5, 7, 14"),
    ],
)
def test_a_wrong_setting_fails_before_anything_is_created(
    base: Base, name: str, value: str, says: str
) -> None:
    env = {"PREVIEW_PR": "5", name: value}
    done = base.run("preview-deploy", **env)
    assert done.returncode == 1
    assert says in done.stderr
    assert base.routing() == {f"dev.{DOMAIN}": (1, "web-dev")}


def _first_free(used: list[str]) -> str:
    return subprocess.run(
        [
            "bash",
            "-c",
            f'source "{STEPS}/lib/preview.sh"; preview_first_free_priority',
        ],
        input="".join(f"{u}\n" for u in used),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=60), max_size=40),
    st.lists(st.integers(min_value=1, max_value=6), max_size=12),
)
def test_allocated_priorities_never_collide(base_priorities: list[int], opens: list[int]) -> None:
    """Any base rules, then previews opened and closed in any order (each step: open one more,
    or close the k-th open one): every allocation is the smallest free priority, and no two
    rules ever share one."""
    used = dict.fromkeys(base_priorities, "base")
    previews: list[int] = []
    for step in opens:
        if step <= 2 or not previews:
            priority = int(_first_free([*map(str, used), "default"]))
            assert 1 <= priority <= 50_000
            assert priority not in used
            assert all(p in used for p in range(1, priority))
            used[priority] = "preview"
            previews.append(priority)
        else:
            del used[previews.pop(step % len(previews))]


def test_no_free_priority_prints_nothing() -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'source "{STEPS}/lib/preview.sh"; PREVIEW_MAX_PRIORITY=3; '
            "printf '1\\n2\\n3\\n' | preview_first_free_priority",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == ""


# Waiting for the preview to answer (preview-wait.sh) -------------------------------------------

FAST = {"PREVIEW_POLL_SECONDS": "0.1", "PREVIEW_WAIT_SECONDS": "20"}


def _revision(base: Base, pr: int) -> str:
    service = base.client("ecs").describe_services(
        cluster=base.cluster, services=[f"pr-{pr}-{APP}"]
    )["services"][0]
    revision: str = service["taskDefinition"]
    return revision


def _wait(base: Base, pr: int, tmp_path: Path, **extra: str) -> tuple[int, str, float, str]:
    """preview-wait.sh for pull request ``pr``'s current revision: (exit status, its output,
    seconds taken, its GITHUB_OUTPUT)."""
    output = tmp_path / f"output-{pr}"
    output.write_text("")
    started = time.monotonic()
    done = base.run(
        "preview-wait",
        PREVIEW_PR=str(pr),
        PREVIEW_TASK_DEFINITION=_revision(base, pr),
        GITHUB_OUTPUT=str(output),
        **{**FAST, **extra},
    )
    return (
        done.returncode,
        done.stdout + done.stderr,
        time.monotonic() - started,
        output.read_text(),
    )


def test_the_wait_says_ready_only_once_a_task_of_the_new_revision_is_healthy(
    base: Base, tmp_path: Path
) -> None:
    with Ecs(base, Plan(healthy_after=0.6, healthy_once_reported=True)) as ecs:
        _open(base, 7, T0)
        status, out, took, _ = _wait(base, 7, tmp_path)
        assert status == 0, (out, ecs.errors)
        revision = _revision(base, 7)
        assert ecs.log == [("started", "pr-7-web", revision), ("healthy", "pr-7-web", revision)]
        assert took >= 0.5
        # What it saw before: the task's target in its initial health checks.
        assert "target initial (Elb.InitialHealthChecking" in out
        assert out.index("target initial") < out.index("answers: task")
        first = ecs.tasks[0]
        assert f"answers: task {first.arn.rsplit('/', 1)[1]} ({first.ip}) is healthy" in out

        # A push: the old revision's task stays healthy until the new one is; the wait is for
        # the new revision's task, not the old one.
        _open(base, 7, T0 + HOUR)
        assert _revision(base, 7).endswith(":2")
        status, out, _, _ = _wait(base, 7, tmp_path)
        assert status == 0, out
        second = ecs.tasks[1]
        assert second.revision.endswith(":2")
        assert f"answers: task {second.arn.rsplit('/', 1)[1]} ({second.ip}) is healthy" in out
        assert ecs.log[-2:] == [
            ("healthy", "pr-7-web", second.revision),
            ("stopped", "pr-7-web", first.revision),
        ]


def test_a_stopped_task_fails_the_wait_at_once_with_its_reason(base: Base, tmp_path: Path) -> None:
    reason = "CannotPullContainerError: pull image manifest has been retried 7 time(s)"
    with Ecs(base, Plan(healthy_after=None, stop_after=0.3, reason=reason)):
        _open(base, 8, T0)
        status, out, took, output = _wait(base, 8, tmp_path, PREVIEW_WAIT_SECONDS="120")
    assert status == 1
    assert took < 15, took  # not the 120 s timeout
    assert f"stopped: {reason}" in out
    assert out.count("::error::") == 1
    (line,) = output.splitlines()
    assert line.startswith("reason=task ")
    assert reason in line
    # The preview stays for the next push, the teardown or the sweep.
    assert base.routing()[f"pr-8.pr.{DOMAIN}"] == (2, "pr-8-web")


def test_the_wait_gives_up_at_its_timeout_with_what_it_saw(base: Base, tmp_path: Path) -> None:
    unhealthy = (
        "unhealthy",
        "Target.ResponseCodeMismatch",
        "Health checks failed with these codes: [502]",
    )
    with Ecs(base, Plan(healthy_after=None, health=unhealthy)):
        _open(base, 9, T0)
        status, _, took, output = _wait(base, 9, tmp_path, PREVIEW_WAIT_SECONDS="1")
    assert status == 1
    assert 1 <= took < 15, took
    assert "reason=not healthy after 1s: task " in output
    assert "target unhealthy (Target.ResponseCodeMismatch: Health checks failed with" in output
    assert "the service's last event: " in output


def test_without_a_task_the_wait_times_out_saying_so_and_a_cancel_ends_it_at_once(
    base: Base, tmp_path: Path
) -> None:
    _open(base, 10, T0)  # no ECS stand-in: no task ever starts
    status, _, _, output = _wait(base, 10, tmp_path, PREVIEW_WAIT_SECONDS="1")
    assert status == 1
    assert output.startswith("reason=not healthy after 1s: no task started yet")

    # The runner cancels a step with SIGINT: the wait ends within its grace period, also
    # mid-sleep (the sleep runs in the background, lib/follow-deployment.sh's interruptible).
    with subprocess.Popen(
        ["bash", str(STEPS / "preview-wait.sh")],
        env=base.env(
            PREVIEW_PR="10",
            PREVIEW_TASK_DEFINITION=_revision(base, 10),
            PREVIEW_POLL_SECONDS="60",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as waiting:
        assert waiting.stdout is not None
        assert "Waiting up to 300s" in waiting.stdout.readline()
        assert "no task started yet" in waiting.stdout.readline()  # now in the sleep
        time.sleep(0.3)
        sent = time.monotonic()
        waiting.send_signal(signal.SIGINT)
        assert waiting.wait(timeout=10) == 130
        assert time.monotonic() - sent < 3
        # Nothing left running holds its output open (stop_waiting ended the sleep).
        assert waiting.stdout.read() == ""


def test_a_wrong_wait_setting_fails_naming_it(base: Base) -> None:
    for name, value, says in [
        (
            "PREVIEW_TASK_DEFINITION",
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-dev:1",
            "must be the ARN of a revision of task definition pr-5-web",
        ),
        ("PREVIEW_WAIT_SECONDS", "0", "PREVIEW_WAIT_SECONDS='0'"),
        ("PREVIEW_POLL_SECONDS", "0", "PREVIEW_POLL_SECONDS='0'"),
    ]:
        env = {
            "PREVIEW_PR": "5",
            "PREVIEW_TASK_DEFINITION": (
                "arn:aws:ecs:eu-west-1:123456789012:task-definition/pr-5-web:1"
            ),
            name: value,
        }
        done = base.run("preview-wait", **env)
        assert done.returncode == 1
        assert says in done.stderr, name
