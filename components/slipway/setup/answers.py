"""The answers no API can give, from flags, an answers file (YAML) or prompts.

Only four are asked: the application's repository, its domain, the alert address and the prod
reviewers; the application's own secrets can come from the answers file (``appSecrets``). Every
other value is found out: the AWS account and region from the credentials, the hosted zone from
Route 53, the OIDC subject format from GitHub, the release app's ID and key from GitHub's App
manifest flow. When standard input is not a terminal nothing is prompted: a missing answer fails
naming its flag and its key in the answers file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from slipway.patterns import REPOSITORY_SLUG
from slipway.setup.steps import SetupError

DOMAIN = re.compile(
    r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])$"
)
"""A DNS name of at least two labels, lower case (RFC 1123 host names)."""
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
SECRET_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
PINNED_IMAGE = re.compile(r"^[a-z0-9][a-z0-9./_-]*(?::[\w.-]+)?@sha256:[0-9a-f]{64}$")
"""An image reference pinned by digest (a tag alone can move)."""


@dataclass(frozen=True)
class Question:
    """One answer: its key in the answers file, its flag, and what the prompt says."""

    key: str
    flag: str
    prompt: str
    example: str


QUESTIONS = (
    Question("repository", "--repository", "Application repository (owner/name)", "acme/shop"),
    Question("domain", "--domain", "Domain prod serves (staging., dev. below it)", "shop.acme.io"),
    Question("alertEmail", "--alert-email", "E-mail address for alerts", "ops@acme.io"),
    Question(
        "reviewers",
        "--reviewers",
        "GitHub users approving prod deploys, comma-separated",
        "alice,bob",
    ),
)


@dataclass(frozen=True)
class Answers:
    repository: str
    domain: str
    alert_email: str
    reviewers: tuple[str, ...]
    bootstrap_image: str | None = None
    """Optional (``bootstrapImage``, ``--bootstrap-image``): an image pinned by digest that
    answers the health path, which every new environment runs until CI's first deploy, so the
    first ``up`` serves something without Docker (docs/deployment-guide.md, step 8)."""
    infra_repository: str | None = None
    """Optional (``infraRepository``, ``--infra-repository``; never asked): this infrastructure
    checkout's GitHub repository, ``owner/name``. By default it is found out from the checkout's
    ``origin`` remote (:func:`slipway.setup.plan.origin_repository`)."""
    app_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The application's own secrets (``appSecrets`` in the answers file): name -> value, the
    same in every environment; written into Secrets Manager, never printed."""

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]

    @property
    def app(self) -> str:
        """The application's name in AWS (``<app>/<environment>``): the repository's name."""
        return re.sub(r"[^a-z0-9-]", "-", self.name.lower()).strip("-")

    def domain_of(self, environment: str) -> str:
        return self.domain if environment == "prod" else f"{environment}.{self.domain}"


def answers_problems(raw: Mapping[str, Any]) -> list[str]:
    """Every problem of ``raw`` (answers-file keys), each naming the key, the value and what is
    allowed."""
    problems = []
    repository = raw.get("repository")
    if not (isinstance(repository, str) and REPOSITORY_SLUG.match(repository)):
        problems.append(f"repository: got {repository!r}; owner/name, e.g. acme/shop")
    domain = raw.get("domain")
    if not (isinstance(domain, str) and DOMAIN.match(domain)):
        problems.append(
            f"domain: got {domain!r}; a lower-case DNS name of two or more labels, e.g. "
            "shop.acme.io"
        )
    email = raw.get("alertEmail")
    if not (isinstance(email, str) and EMAIL.match(email)):
        problems.append(f"alertEmail: got {email!r}; an e-mail address, e.g. ops@acme.io")
    reviewers = raw.get("reviewers")
    if not (
        isinstance(reviewers, list)
        and 1 <= len(reviewers) <= 6
        and all(isinstance(r, str) and GITHUB_LOGIN.match(r) for r in reviewers)
    ):
        problems.append(
            f"reviewers: got {reviewers!r}; one to six GitHub logins (GitHub allows six "
            "reviewers per environment), e.g. [alice, bob]"
        )
    secrets = raw.get("appSecrets", {})
    if not (
        isinstance(secrets, dict)
        and all(isinstance(k, str) and SECRET_NAME.match(k) for k in secrets)
        and all(isinstance(v, str) and v for v in secrets.values())
    ):
        names = list(secrets) if isinstance(secrets, dict) else type(secrets).__name__
        problems.append(
            f"appSecrets: got names {names!r}; a mapping of UPPER_SNAKE names to non-empty strings"
        )
    image = raw.get("bootstrapImage")
    if image is not None and not (isinstance(image, str) and PINNED_IMAGE.match(image)):
        problems.append(
            f"bootstrapImage: got {image!r}; an image pinned by digest, "
            "e.g. registry.example/placeholder@sha256:<64 hex digits>"
        )
    infra = raw.get("infraRepository")
    if infra is not None and not (isinstance(infra, str) and REPOSITORY_SLUG.match(infra)):
        problems.append(f"infraRepository: got {infra!r}; owner/name, e.g. acme/shop-infra")
    known = {q.key for q in QUESTIONS} | {"appSecrets", "bootstrapImage", "infraRepository"}
    problems += [
        f"{key}: unknown answer; known: {', '.join(sorted(known))}"
        for key in raw
        if key not in known
    ]
    return problems


def _typed(key: str, value: str) -> Any:
    """A typed or flag answer as the answers file has it (reviewers: a list)."""
    if key == "reviewers":
        return [r.strip() for r in value.split(",") if r.strip()]
    return value


def load_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise SetupError(f"--answers {path}: cannot read it: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SetupError(f"--answers {path}: got a {type(data).__name__}; a YAML mapping")
    return data


def collect(
    flags: Mapping[str, Any],
    file: Mapping[str, Any],
    *,
    interactive: bool,
    ask: Callable[[str], str],
) -> Answers:
    """Flags win over the file; what neither gives is prompted on a terminal, or fails naming the
    flag and the key. Every answer is validated before anything is created."""
    raw: dict[str, Any] = dict(file)
    raw.update({k: v for k, v in flags.items() if v is not None})
    for question in QUESTIONS:
        if raw.get(question.key) not in (None, "", []):
            continue
        if not interactive:
            raise SetupError(
                f"missing answer {question.key!r}: standard input is not a terminal, so nothing "
                f"is asked; pass {question.flag} (e.g. {question.flag} {question.example}) or "
                f"put '{question.key}: ...' in the --answers file"
            )
        prompt = f"{question.prompt} [e.g. {question.example}]: "
        while True:
            value = ask(prompt).strip()
            if not value:
                continue
            raw[question.key] = _typed(question.key, value)
            wrong = [p for p in answers_problems(raw) if p.startswith(f"{question.key}:")]
            if not wrong:
                break
            # On a terminal a wrong answer is asked again, saying what is allowed.
            prompt = f"{wrong[0]}\n{question.prompt}: "
    if isinstance(raw.get("reviewers"), str):
        raw["reviewers"] = _typed("reviewers", raw["reviewers"])
    problems = answers_problems(raw)
    if problems:
        raise SetupError("bad answers:\n  " + "\n  ".join(problems))
    return Answers(
        repository=raw["repository"],
        domain=raw["domain"],
        alert_email=raw["alertEmail"],
        reviewers=tuple(raw["reviewers"]),
        bootstrap_image=raw.get("bootstrapImage"),
        infra_repository=raw.get("infraRepository"),
        app_secrets=dict(raw.get("appSecrets", {})),
    )
