"""A small GitHub Actions runner for the generated workflows: it plays one workflow run for one
event, job by job, as GitHub documents it, and runs every ``run:`` step's real shell.

What it does, and where GitHub says so (GitHub Docs, "Workflow syntax for GitHub Actions",
"Contexts reference", "Variables reference", "Expressions", "Reusing workflows"):

* Jobs start in ``needs`` order (:func:`tests.release.expressions.topological`). A job's
  ``if:`` and every ``${{ }}`` are evaluated by GitHub's own evaluator,
  ``@actions/expressions`` (:mod:`tests.release.expressions`, one process kept running); a
  job's ``if:`` reads ``github``, ``needs``, ``vars`` and ``inputs``, with the status
  functions over its ``needs`` results (a skipped or failed need skips a job whose ``if:``
  calls none).
* A job that calls a reusable workflow grants its jobs at most its own ``permissions:``;
  a nested job asking for more fails the run's start (:class:`StartupFailure`).
* A job with ``environment:`` reads that environment's variables over the repository's
  (``vars``). Its ``GITHUB_TOKEN`` (``github.token``) is issued for exactly its ``permissions:``
  by the GitHub stand-in, which refuses what the permissions do not allow.
* Each step: its ``if:`` (default ``success()``; the status functions see the conclusions of
  the steps that ran before it: ``success()`` "all previous steps have succeeded",
  ``failure()`` "any previous step of a job fails"), then its ``env:`` over the job's and the
  workflow's, each value's ``${{ }}`` substituted with the contexts ``github``, ``vars``,
  ``needs``, ``steps``, ``env``, ``inputs``, ``runner``, ``job``. A ``run:`` step with
  ``shell: bash`` runs as ``bash --noprofile --norc -eo pipefail {0}`` in the workspace, with
  the default variables (``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH``, ...), a fresh
  ``GITHUB_OUTPUT`` file, the job's ``GITHUB_ENV`` file (what earlier steps exported reaches the
  later ones) and ``GITHUB_STEP_SUMMARY``. A ``uses:`` step calls the test's model of that
  action (:data:`Action`), which says what the real action does.
* A job that calls a reusable workflow (``uses:`` a workflow file) plays that workflow with
  ``inputs`` from its ``with:`` (defaults from ``on.workflow_call.inputs``); a called job the
  test models (:data:`JobModel`, e.g. one that needs Docker) gives its steps' outputs, and its
  ``outputs:`` are evaluated over them. The caller's outputs are ``on.workflow_call.outputs``
  over the ``jobs`` context.
* A job's result is ``failure`` when a step failed (``continue-on-error`` unset), else
  ``success``; ``skipped`` when its ``if:`` is false.

Not modelled: matrices (a called job runs once), services, containers, concurrency (the test
runs one run at a time, in the order the queue would), ``GITHUB_PATH``, cancellation.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.release.expressions import Case, JobRun, needs_of, topological

TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.S)
STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


@dataclass
class ActionCall:
    """A ``uses:`` step as its action sees it."""

    job_id: str
    step: dict[str, Any]
    inputs: dict[str, str]
    """``with:``, expressions substituted."""
    permissions: dict[str, str]
    """The job's ``permissions:`` (``id-token: write`` is what lets an action ask for an OIDC
    token: ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` is set only then)."""
    env: dict[str, str]
    """The step's environment."""
    exports: dict[str, str] = field(default_factory=dict)
    """What the action exports for the later steps (``core.exportVariable``: ``GITHUB_ENV``)."""
    outputs: dict[str, str] = field(default_factory=dict)
    """The step's outputs (``core.setOutput``)."""


Action = Callable[[ActionCall], None]
"""A model of an action: raises :class:`StepFailed` where the real action fails."""
JobModel = Callable[[dict[str, Any], dict[str, Any]], dict[str, dict[str, str]]]
"""A model of a called workflow's job: (its ``github`` context, its ``vars``) -> its steps'
outputs by step id."""


class StepFailed(Exception):
    """A modelled action failed (the step's conclusion is ``failure``)."""


class StartupFailure(Exception):
    """GitHub refuses to start the run: the workflow is invalid as called."""


LEVELS = {"none": 0, "read": 1, "write": 2}


def _check_nested_permissions(
    uses: str, granted: Mapping[str, str], jobs: Mapping[str, Any]
) -> None:
    """A called workflow's jobs get at most the calling job's permissions ("Reusing workflows":
    the ``GITHUB_TOKEN`` permissions passed from the caller "can be only downgraded"); GitHub
    refuses to start a run where one of them asks for more ("The nested job ... is requesting
    ..., but is only allowed ..."), whether or not that job would run."""
    for job_id, job in jobs.items():
        for scope, level in job.get("permissions", {}).items():
            allowed = granted.get(scope, "none")
            if LEVELS[level] > LEVELS[allowed]:
                raise StartupFailure(
                    f"{uses}: the nested job '{job_id}' is requesting '{scope}: {level}', "
                    f"but is only allowed '{scope}: {allowed}'"
                )


@dataclass
class StepRun:
    name: str
    conclusion: str
    """``success``, ``failure`` or ``skipped``."""
    log: str = ""


@dataclass
class Outcome:
    """What a run did: each job's result and outputs, and its steps."""

    jobs: dict[str, JobRun] = field(default_factory=dict)
    steps: dict[str, list[StepRun]] = field(default_factory=dict)
    called: dict[str, Outcome] = field(default_factory=dict)
    """The run of the reusable workflow each calling job played."""

    def ran(self) -> list[str]:
        return [name for name, job in self.jobs.items() if job.result != "skipped"]

    def log(self, job: str) -> str:
        return "\n".join(f"## {s.name} [{s.conclusion}]\n{s.log}" for s in self.steps.get(job, []))


def _parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks (GitHub Docs, "Workflow commands":
    "Multiline strings"), as ``GITHUB_OUTPUT`` and ``GITHUB_ENV`` hold them."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            while lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            i += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass
class Runner:
    """Plays workflow runs of one repository checked out at ``workspace``."""

    evaluate: Callable[[list[Case]], list[dict[str, Any]]]
    """GitHub's evaluator (:class:`tests.release.expressions.Evaluator`)."""
    workspace: Path
    repository: str
    machine_env: dict[str, str]
    """The runner machine's environment (PATH, and where its tools reach the stand-ins)."""
    variables: dict[str | None, dict[str, str]]
    """Configuration variables: the repository's (key ``None``) and each environment's."""
    actions: dict[str, Action]
    """Action models by ``owner/name`` (the part of ``uses:`` before ``@``)."""
    issue_token: Callable[[Mapping[str, str]], str]
    """A new ``GITHUB_TOKEN`` for a job's ``permissions:``."""
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Reusable workflows by the ``uses:`` that calls them."""
    job_models: dict[tuple[str, str], JobModel] = field(default_factory=dict)
    """(called workflow's ``uses:``, job id) -> the job's model."""
    temp: Path | None = None
    run_id: int = 1000

    # Expressions ---------------------------------------------------------------------------
    def _values(
        self,
        templates: Mapping[str, Any],
        context: dict[str, Any],
        condition: str | None = None,
        status: dict[str, Any] | None = None,
    ) -> tuple[bool, dict[str, str]]:
        """``condition`` (an ``if:``, with ``status``) and each template with its ``${{ }}``
        substituted, in one call of the evaluator."""
        cases: list[Case] = []
        if condition is not None:
            stripped = condition.strip()
            match = TEMPLATE.fullmatch(stripped)
            cases.append(Case(match.group(1) if match else stripped, context, status))
        pieces: dict[str, list[str | int]] = {}
        for key, raw in templates.items():
            value = str(raw).lower() if isinstance(raw, bool) else str(raw)
            parts: list[str | int] = []
            last = 0
            for match in TEMPLATE.finditer(value):
                parts.append(value[last : match.start()])
                parts.append(len(cases))
                cases.append(Case(match.group(1).strip(), context))
                last = match.end()
            parts.append(value[last:])
            pieces[key] = parts
        results = self.evaluate(cases) if cases else []
        truthy = bool(results[0]["truthy"]) if condition is not None else True
        values = {
            key: "".join(p if isinstance(p, str) else str(results[p]["value"]) for p in parts)
            for key, parts in pieces.items()
        }
        return truthy, values

    # Runs ----------------------------------------------------------------------------------
    def run(
        self,
        workflow: dict[str, Any],
        event_name: str,
        event: dict[str, Any],
        github: dict[str, Any] | None = None,
    ) -> Outcome:
        """One run of ``workflow`` for ``event_name`` with payload ``event``."""
        self.run_id += 1
        context = {
            "event_name": event_name,
            "event": event,
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
            "run_id": str(self.run_id),
            "run_attempt": "1",
            "workflow": workflow.get("name", ""),
            **(github or {}),
        }
        return self._play(workflow, context, {})

    def _play(
        self, workflow: dict[str, Any], github: dict[str, Any], inputs: dict[str, Any]
    ) -> Outcome:
        outcome = Outcome()
        jobs: dict[str, Any] = workflow["jobs"]
        for job_id in topological(jobs):
            job = jobs[job_id]
            context = self._starts(job, outcome, github, inputs)
            if context is None:
                outcome.jobs[job_id] = JobRun("skipped")
                continue
            if "uses" in job:
                outcome.jobs[job_id], outcome.called[job_id] = self._call(job, context)
                continue
            token = self.issue_token(job.get("permissions", {}))
            job_github = {**github, "job": job_id, "token": token}
            steps_run, run = self._steps(workflow, job_id, job, {**context, "github": job_github})
            outcome.steps[job_id] = steps_run
            outcome.jobs[job_id] = run
        return outcome

    def _starts(
        self,
        job: dict[str, Any],
        outcome: Outcome,
        github: dict[str, Any],
        inputs: dict[str, Any],
    ) -> dict[str, Any] | None:
        """The job's context (``github``, ``needs``, ``vars``, ``inputs``) when its ``if:``
        holds over the results of the jobs it needs; None when it is skipped."""
        environment = job.get("environment")
        env_name = environment.get("name") if isinstance(environment, dict) else environment
        variables = {**self.variables.get(None, {}), **self.variables.get(env_name, {})}
        needs = {
            n: {"result": outcome.jobs[n].result, "outputs": outcome.jobs[n].outputs}
            for n in needs_of(job)
        }
        context = {"github": github, "needs": needs, "vars": variables, "inputs": inputs}
        status = {"needs": {n: v["result"] for n, v in needs.items()}, "cancelled": False}
        go, _ = self._values({}, context, str(job.get("if", "success()")), status)
        return context if go else None

    def _call(self, job: dict[str, Any], context: dict[str, Any]) -> tuple[JobRun, Outcome]:
        """A job that calls a reusable workflow: that workflow, played with its inputs."""
        uses = job["uses"]
        called = self.workflows[uses]
        declared = called["on"]["workflow_call"].get("inputs", {})
        _, given = self._values(job.get("with", {}), context)
        inputs: dict[str, Any] = {
            name: spec["default"] for name, spec in declared.items() if "default" in spec
        }
        for name, value in given.items():
            kind = declared[name]["type"]
            inputs[name] = value == "true" if kind == "boolean" else value
        missing = [n for n, s in declared.items() if s.get("required") and n not in inputs]
        if missing:
            raise StartupFailure(f"{uses}: required inputs {missing} not given")
        _check_nested_permissions(uses, job.get("permissions", {}), called["jobs"])
        inner = Outcome()
        for job_id in topological(called["jobs"]):
            called_job = called["jobs"][job_id]
            job_context = self._starts(called_job, inner, context["github"], inputs)
            if job_context is None:
                inner.jobs[job_id] = JobRun("skipped")
                continue
            model = self.job_models.get((uses, job_id))
            assert model is not None, f"{uses}: job {job_id} runs here and has no model"
            steps = model(context["github"], job_context["vars"])
            steps_context = {k: {"outputs": v, "outcome": "success"} for k, v in steps.items()}
            _, outputs = self._values(
                called_job.get("outputs", {}),
                {**job_context, "steps": steps_context, "matrix": {}},
            )
            inner.jobs[job_id] = JobRun("success", outputs)
        jobs_context = {
            n: {"result": r.result, "outputs": r.outputs} for n, r in inner.jobs.items()
        }
        declared_outputs = called["on"]["workflow_call"].get("outputs", {})
        _, outputs = self._values(
            {name: spec["value"] for name, spec in declared_outputs.items()},
            {"jobs": jobs_context, "inputs": inputs, "github": context["github"]},
        )
        failed = any(r.result == "failure" for r in inner.jobs.values())
        return JobRun("failure" if failed else "success", outputs), inner

    def _steps(
        self,
        workflow: dict[str, Any],
        job_id: str,
        job: dict[str, Any],
        job_context: dict[str, Any],
    ) -> tuple[list[StepRun], JobRun]:
        github, needs = job_context["github"], job_context["needs"]
        variables, inputs = job_context["vars"], job_context["inputs"]
        assert self.temp is not None
        temp = self.temp / f"run-{self.run_id}-{job_id}"
        temp.mkdir(parents=True)
        event_path = temp / "event.json"
        event_path.write_text(json.dumps(github["event"]))
        env_file = temp / "env"
        env_file.touch()
        summary = temp / "summary"
        summary.touch()
        defaults = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_OWNER": github["repository_owner"],
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_JOB": job_id,
            "GITHUB_RUN_ID": github["run_id"],
            "GITHUB_RUN_ATTEMPT": github["run_attempt"],
            "GITHUB_SERVER_URL": github["server_url"],
            "GITHUB_API_URL": github["api_url"],
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ENV": str(env_file),
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(temp),
        }
        base_env = {**workflow.get("env", {}), **job.get("env", {})}
        runs: list[StepRun] = []
        steps: dict[str, dict[str, Any]] = {}
        concluded: dict[str, str] = {}
        failed = False
        for index, step in enumerate(job["steps"]):
            name = str(step.get("name") or step.get("uses") or step.get("run", "")[:40])
            exported = _parse_file_commands(env_file.read_text())
            context = {
                "github": github,
                "needs": needs,
                "vars": variables,
                "inputs": inputs,
                "steps": steps,
                "env": {**base_env, **exported},
                "runner": {"os": "Linux", "temp": str(temp)},
                "job": {"status": "failure" if failed else "success"},
            }
            status = {"needs": concluded, "cancelled": False}
            templates = {f"env:{k}": v for k, v in {**base_env, **step.get("env", {})}.items()}
            templates |= {f"with:{k}": v for k, v in step.get("with", {}).items()}
            go, values = self._values(templates, context, str(step.get("if", "success()")), status)
            if not go:
                runs.append(StepRun(name, "skipped"))
                if "id" in step:
                    steps[step["id"]] = {
                        "outputs": {},
                        "outcome": "skipped",
                        "conclusion": "skipped",
                    }
                continue
            step_env = {k[4:]: v for k, v in values.items() if k.startswith("env:")}
            env = {**self.machine_env, **defaults, **exported, **step_env}
            outputs: dict[str, str] = {}
            if "run" in step:
                assert step.get("shell", "bash") == "bash", step
                script = temp / f"step-{index}.sh"
                script.write_text(step["run"])
                output_file = temp / f"output-{index}"
                output_file.write_text("")
                env["GITHUB_OUTPUT"] = str(output_file)
                done = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                    cwd=self.workspace,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=False,
                )
                log = done.stdout + done.stderr
                ok = done.returncode == 0
                outputs = _parse_file_commands(output_file.read_text())
            else:
                action = str(step["uses"]).split("@", 1)[0]
                call = ActionCall(
                    job_id,
                    step,
                    {k[5:]: v for k, v in values.items() if k.startswith("with:")},
                    dict(job.get("permissions", {})),
                    env,
                )
                try:
                    self.actions[action](call)
                    ok, log = True, ""
                except StepFailed as error:
                    ok, log = False, str(error)
                with env_file.open("a") as exports:
                    for key, value in call.exports.items():
                        exports.write(f"{key}={value}\n")
                outputs = call.outputs
            conclusion = "success" if ok or step.get("continue-on-error") else "failure"
            failed = failed or conclusion == "failure"
            concluded[str(index)] = conclusion
            runs.append(StepRun(name, conclusion, log))
            if "id" in step:
                steps[step["id"]] = {
                    "outputs": outputs,
                    "outcome": "success" if ok else "failure",
                    "conclusion": conclusion,
                }
        _, job_outputs = self._values(
            job.get("outputs", {}),
            {"steps": steps, "needs": needs, "vars": variables, "github": github, "inputs": inputs},
        )
        return runs, JobRun("failure" if failed else "success", job_outputs)
