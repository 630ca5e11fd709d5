"""A GitHub stand-in for the set-up command's client: in-memory state, answers built from GitHub's
own examples in the pinned OpenAPI description, and every request and answer validated against
that description (:mod:`tests.setup.github_openapi`). It imitates only what the endpoints' docs
say: 404 for what does not exist, 201/204 for writes, sealed secrets opened with the key it gave.
"""

from __future__ import annotations

import base64
import copy
import http.server
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nacl.public import PrivateKey, SealedBox

from slipway.setup.github import Response, app_manifest
from tests.local_servers import http_server
from tests.setup import github_openapi

USER_TOKEN = "gho_standin_user_token"
ACTIONS_TOKEN_PREFIX = "ghs_standin_actions_"
"""Prefix of the tokens :meth:`GitHubStandIn.actions_token` issues (a job's ``GITHUB_TOKEN``)."""
ACTIONS_PERMISSIONS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("GET", "/repos/{owner}/{repo}/pulls"): (("pull-requests",), "read"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"): (("pull-requests",), "read"),
    ("GET", "/repos/{owner}/{repo}/deployments"): (("deployments",), "read"),
    ("POST", "/repos/{owner}/{repo}/deployments"): (("deployments",), "write"),
    ("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"): (
        ("deployments",),
        "write",
    ),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): (
        ("issues", "pull-requests"),
        "read",
    ),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): (
        ("issues", "pull-requests"),
        "write",
    ),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): (
        ("issues", "pull-requests"),
        "write",
    ),
}
"""What a job's ``GITHUB_TOKEN`` needs for each operation the preview steps call: one of the
scopes at that level (GitHub Docs, "Permissions required for GitHub Apps": Pull requests,
Deployments, and Issues or Pull requests for an issue's comments). The token holds exactly the
job's ``permissions:`` ("Controlling permissions for GITHUB_TOKEN")."""


def _pad(text: str) -> str:
    return text + "=" * (-len(text) % 4)


def example(name: str) -> Any:
    value = github_openapi.description()["components"]["examples"][name]["value"]
    return copy.deepcopy(value)


@dataclass
class App:
    id: int
    slug: str
    client_id: str
    pem: str
    owner: str
    manifest: dict[str, Any]
    installed_on: set[str] = field(default_factory=set)


@dataclass
class GitHubStandIn:
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``owner/name`` -> owner_type, owner_id, id, admin, created (for the OIDC subject)."""
    users: set[str] = field(default_factory=set)
    oidc: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, App] = field(default_factory=dict)
    apps: dict[int, App] = field(default_factory=dict)
    environments: dict[str, set[str]] = field(default_factory=dict)
    """``owner/name`` -> environments the stacks created."""
    secrets: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(repository, environment, name) -> the opened value."""
    pulls: dict[tuple[str, str], str] = field(default_factory=dict)
    """(repository, head branch) -> html_url."""
    variables: dict[tuple[str, str], str] = field(default_factory=dict)
    """(repository, name) -> a repository variable's value."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_once: set[tuple[str, str]] = field(default_factory=set)
    """(method, path template or path) answered once with 500 (a server error)."""
    fail_installation_once: set[str] = field(default_factory=set)
    """App names whose next ``GET /repos/{owner}/{repo}/installation`` is answered with 500."""
    pull_requests: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    """(repository, number) -> state ("open" or "closed"), head sha, head repository."""
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    """id -> the created deployment's fields, with its ``statuses`` (oldest first)."""
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    """id -> repository, issue number, body."""
    actions_tokens: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    """A job's ``GITHUB_TOKEN`` -> (its repository, its ``permissions:``)."""
    _keys: dict[tuple[str, str], PrivateKey] = field(default_factory=dict)

    def add_repository(
        self, repository: str, *, admin: bool = True, org: bool = True, immutable: bool = True
    ) -> None:
        self.repositories[repository] = {
            "admin": admin,
            "org": org,
            "id": 456789,
            "owner_id": 123456,
        }
        owner, name = repository.split("/")
        prefix = f"repo:{owner}@123456/{name}@456789" if immutable else f"repo:{repository}"
        self.oidc[repository] = {
            "use_default": True,
            "use_immutable_subject": immutable,
            "sub_claim_prefix": prefix,
        }

    # What the user does in the browser -----------------------------------------------------
    def confirm_manifest(
        self, owner: str, organization: bool, repository: str, kind: str = "release"
    ) -> str:
        """The user confirms the app on GitHub's page; GitHub redirects with a code."""
        manifest = app_manifest(kind, repository, "http://127.0.0.1:8765/callback")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        app_id = 1000 + len(self.apps)
        app = App(app_id, manifest["name"], f"Iv23standin{app_id}", pem, owner, manifest)
        code = f"code{app_id}"
        self.codes[code] = app
        self.apps[app_id] = app
        return code

    def install(self, repository: str) -> None:
        for app in self.apps.values():
            app.installed_on.add(repository)

    # The transport ---------------------------------------------------------------------------
    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Response:
        parts = urllib.parse.urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == github_openapi.HOST, url
        path = parts.path
        query = dict(urllib.parse.parse_qsl(parts.query))
        template, params = github_openapi._pattern(path)
        self.requests.append((method, path))
        failing = {(method, template), (method, path)} & self.fail_once
        if failing:
            self.fail_once -= failing
            status, answer = 500, None
        else:
            status, answer = self._answer(method, template, params, query, headers, body)
        if status < 500:
            github_openapi.validate(method, path, query, dict(headers), body, status, answer)
        data = b"" if answer is None else json.dumps(answer).encode()
        return Response(status, {"Content-Type": "application/json"}, data)

    def _user(self, headers: Mapping[str, str]) -> bool:
        return headers.get("Authorization") == f"Bearer {USER_TOKEN}"

    # The Actions side: a job's GITHUB_TOKEN, pull requests, deployments, comments ------------
    def actions_token(self, repository: str, permissions: Mapping[str, str]) -> str:
        """A new ``GITHUB_TOKEN`` for one job of ``repository`` holding ``permissions``."""
        token = f"{ACTIONS_TOKEN_PREFIX}{len(self.actions_tokens) + 1}"
        self.actions_tokens[token] = (repository, dict(permissions))
        return token

    def open_pull_request(self, repository: str, number: int, head_sha: str) -> None:
        self.pull_requests[(repository, number)] = {"state": "open", "sha": head_sha}

    def _actions_token(self, headers: Mapping[str, str]) -> str | None:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() in ("token", "bearer") and token.startswith(ACTIONS_TOKEN_PREFIX):
            return token
        return None

    def _actions_answer(
        self,
        token: str,
        method: str,
        template: str,
        params: dict[str, str],
        query: dict[str, str],
        body: bytes | None,
    ) -> tuple[int, Any]:
        """What GitHub answers a job's ``GITHUB_TOKEN`` on the operations the preview steps
        call: 401 for an unknown token, 404 outside its repository, 403 without the
        permission (:data:`ACTIONS_PERMISSIONS`), else the operation, with GitHub's examples
        as the answers' shape."""
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        if token not in self.actions_tokens:
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            }
        repository = f"{params.get('owner')}/{params.get('repo')}"
        owned, granted = self.actions_tokens[token]
        if repository != owned:
            return 404, not_found
        scopes, level = ACTIONS_PERMISSIONS[(method, template)]
        allowed = ("read", "write") if level == "read" else ("write",)
        if not any(granted.get(scope) in allowed for scope in scopes):
            return 403, {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest",
            }
        sent = json.loads(body) if body else {}
        if template == "/repos/{owner}/{repo}/pulls":
            state = query.get("state", "open")
            numbers = sorted(
                n
                for (r, n), pr in self.pull_requests.items()
                if r == repository and pr["state"] == state
            )
            items = []
            for number in numbers:
                item = example("pull-request-simple-items")[0]
                item |= {"number": number, "state": state, "requested_teams": []}
                items.append(item)
            return 200, items
        if template == "/repos/{owner}/{repo}/pulls/{pull_number}":
            pr = self.pull_requests.get((repository, int(params["pull_number"])))
            if pr is None:
                return 404, not_found
            answer = example("pull-request")
            answer |= {"number": int(params["pull_number"]), "state": pr["state"]}
            answer["head"]["sha"] = pr["sha"]
            # The example's requested team lacks ``type``, which the schema requires.
            answer["requested_teams"] = []
            return 200, answer
        if template == "/repos/{owner}/{repo}/deployments":
            if method == "POST":
                number = len(self.deployments) + 1
                deployment = {
                    "repository": repository,
                    "ref": sent["ref"],
                    "sha": sent["ref"],
                    "environment": sent.get("environment", "production"),
                    "transient_environment": sent.get("transient_environment", False),
                    "production_environment": sent.get("production_environment", False),
                    "description": sent.get("description"),
                    "statuses": [],
                }
                self.deployments[number] = deployment
                return 201, self._deployment(number)
            found = [
                number
                for number, d in sorted(self.deployments.items(), reverse=True)
                if d["repository"] == repository
                and d["environment"] == query.get("environment", d["environment"])
            ]
            return 200, [self._deployment(number) for number in found]
        if template == "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses":
            found_deployment = self.deployments.get(int(params["deployment_id"]))
            if found_deployment is None or found_deployment["repository"] != repository:
                return 404, not_found
            deployment = found_deployment
            # ``auto_inactive`` (default true) is not modelled: it marks inactive only "prior
            # non-transient, non-production environment deployments" (the operation's
            # description in the OpenAPI document); the previews' deployments are transient.
            assert deployment["transient_environment"], "auto_inactive is not modelled"
            deployment["statuses"].append(dict(sent))
            answer = example("deployment-status")
            answer |= {
                "id": len(deployment["statuses"]),
                "state": sent["state"],
                "description": sent.get("description", ""),
                "environment": deployment["environment"],
                "environment_url": sent.get("environment_url", ""),
                "log_url": sent.get("log_url", ""),
            }
            return 201, answer
        if template == "/repos/{owner}/{repo}/issues/{issue_number}/comments":
            issue = int(params["issue_number"])
            if (repository, issue) not in self.pull_requests:
                return 404, not_found
            if method == "POST":
                number = max(self.comments, default=9000) + 1
                self.comments[number] = {
                    "repository": repository,
                    "issue": issue,
                    "body": sent["body"],
                }
                return 201, self._comment(number)
            return 200, [
                self._comment(number)
                for number, c in sorted(self.comments.items())
                if c["repository"] == repository and c["issue"] == issue
            ]
        assert template == "/repos/{owner}/{repo}/issues/comments/{comment_id}", template
        comment = self.comments.get(int(params["comment_id"]))
        if comment is None or comment["repository"] != repository:
            return 404, not_found
        comment["body"] = sent["body"]
        return 200, self._comment(int(params["comment_id"]))

    def _deployment(self, number: int) -> dict[str, Any]:
        d = self.deployments[number]
        answer: dict[str, Any] = example("deployment-simple-example")
        answer |= {
            "id": number,
            "ref": d["ref"],
            "sha": d["sha"],
            "environment": d["environment"],
            "original_environment": d["environment"],
            "transient_environment": d["transient_environment"],
            "production_environment": d["production_environment"],
            "description": d["description"],
        }
        return answer

    def _comment(self, number: int) -> dict[str, Any]:
        answer: dict[str, Any] = example("issue-comment")
        answer |= {"id": number, "body": self.comments[number]["body"]}
        return answer

    def _app(self, headers: Mapping[str, str]) -> App | None:
        """The app whose JWT signs the request (RS256 checked with the app's key)."""
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        pieces = token.split(".")
        if len(pieces) != 3:
            return None
        claims = json.loads(base64.urlsafe_b64decode(_pad(pieces[1])))
        app = self.apps.get(int(claims["iss"]))
        if app is None or claims["exp"] - claims["iat"] > 600:
            return None
        key = serialization.load_pem_private_key(app.pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        key.public_key().verify(
            base64.urlsafe_b64decode(_pad(pieces[2])),
            f"{pieces[0]}.{pieces[1]}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        return app

    def _answer(
        self,
        method: str,
        template: str,
        params: dict[str, str],
        query: dict[str, str],
        headers: Mapping[str, str],
        body: bytes | None,
    ) -> tuple[int, Any]:
        not_found = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        repository = f"{params.get('owner')}/{params.get('repo')}"
        if template == "/app-manifests/{code}/conversions":
            app = self.codes.pop(params["code"], None)
            if app is None:
                return 404, not_found
            answer = example("integration-from-manifest")
            answer |= {
                "id": app.id,
                "slug": app.slug,
                "client_id": app.client_id,
                "pem": app.pem,
                "name": app.slug,
                "html_url": f"https://github.com/apps/{app.slug}",
            }
            answer["owner"]["login"] = app.owner
            return 201, answer
        if template == "/repos/{owner}/{repo}/installation":
            app = self._app(headers)
            if app is not None and app.slug in self.fail_installation_once:
                self.fail_installation_once.discard(app.slug)
                return 500, None
            if app is None or repository not in app.installed_on:
                return 404, not_found
            answer = example("installation")
            answer["app_id"], answer["app_slug"] = app.id, app.slug
            return 200, answer
        token = self._actions_token(headers)
        if token is not None:
            return self._actions_answer(token, method, template, params, query, body)
        if not self._user(headers):
            return 401, {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
            }
        if template == "/users/{username}":
            if params["username"] not in self.users:
                return 404, not_found
            answer = example("public-user-default-response")
            # The schema tells a public from a private user by ``user_view_type``.
            answer |= {"login": params["username"], "user_view_type": "public"}
            return 200, answer
        if repository not in self.repositories:
            return 404, not_found
        repo = self.repositories[repository]
        if template == "/repos/{owner}/{repo}":
            answer = example("full-repository-default-response")
            # GitHub's example is of a fork made from a template; this repository is neither.
            # The example lacks ``language``, which the schema requires (null when unknown).
            for key in ("parent", "source", "template_repository"):
                answer.pop(key)
            answer |= {
                "id": repo["id"],
                "name": params["repo"],
                "full_name": repository,
                "language": None,
                "fork": False,
            }
            answer["owner"] |= {
                "login": params["owner"],
                "id": repo["owner_id"],
                "type": "Organization" if repo["org"] else "User",
            }
            answer["permissions"] = {
                "admin": repo["admin"],
                "maintain": repo["admin"],
                "push": True,
                "triage": True,
                "pull": True,
            }
            return 200, answer
        if template == "/repos/{owner}/{repo}/actions/oidc/customization/sub":
            return 200, self.oidc[repository]
        if template == "/repos/{owner}/{repo}/pulls":
            branch = query.get("head", ":").split(":", 1)[1]
            url = self.pulls.get((repository, branch))
            if url is None:
                return 200, []
            item = example("pull-request-simple-items")[0]
            # The example's requested team lacks ``type``, which the schema requires.
            item |= {"html_url": url, "requested_teams": []}
            return 200, [item]
        if template == "/repos/{owner}/{repo}/actions/variables":
            assert method == "POST"
            assert body is not None
            sent = json.loads(body)
            # The client updates an existing variable with PATCH; it never creates one twice.
            assert (repository, sent["name"]) not in self.variables, sent["name"]
            self.variables[(repository, sent["name"])] = sent["value"]
            return 201, {}
        if template == "/repos/{owner}/{repo}/actions/variables/{name}":
            variable = (repository, params["name"])
            if variable not in self.variables:
                return 404, not_found
            if method == "PATCH":
                assert body is not None
                self.variables[variable] = json.loads(body)["value"]
                return 204, None
            assert method == "GET"
            answer = example("actions-variable")
            answer |= {"name": params["name"], "value": self.variables[variable]}
            return 200, answer
        env = params.get("environment_name", "")
        if env not in self.environments.get(repository, set()):
            return 404, not_found
        if template == "/repos/{owner}/{repo}/environments/{environment_name}":
            answer = example("environment")
            answer |= {
                "name": env,
                "url": f"{github_openapi.HOST}/repos/{repository}/environments/{env}",
            }
            return 200, answer
        if template.endswith("/secrets/public-key"):
            box_key = self._keys.setdefault((repository, env), PrivateKey.generate())
            answer = example("actions-public-key")
            answer |= {
                "key_id": f"key-{env}",
                "key": base64.b64encode(bytes(box_key.public_key)).decode(),
            }
            return 200, answer
        name = params["secret_name"]
        if method == "GET":
            if (repository, env, name) not in self.secrets:
                return 404, not_found
            answer = example("actions-secret")
            answer["name"] = name
            return 200, answer
        assert method == "PUT"
        assert body is not None
        sent = json.loads(body)
        assert sent["key_id"] == f"key-{env}"
        opened = (
            SealedBox(self._keys[(repository, env)])
            .decrypt(base64.b64decode(sent["encrypted_value"]))
            .decode()
        )
        created = (repository, env, name) not in self.secrets
        self.secrets[(repository, env, name)] = opened
        return (201, {}) if created else (204, None)  # 201: an empty object


GH_HOST = "github.localhost"
"""The host the real ``gh`` is pointed at to reach :func:`serve_over_http`: GitHub CLI's
development host, whose REST API it calls over plain HTTP at ``http://api.github.localhost/``
with the ``GH_TOKEN`` it sends to github.com (cli/go-gh ``pkg/api/rest_client.go``
``restPrefix`` and ``pkg/auth/auth.go`` ``tokenForHost``: not an enterprise host)."""


def _read_body(handler: http.server.BaseHTTPRequestHandler) -> bytes | None:
    """The request's body: ``Content-Length`` bytes, or the chunks of a chunked body (gh
    streams ``--input -`` that way)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        data = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                handler.rfile.readline()
                return data or None
            data += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else None


@contextmanager
def serve_over_http(standin: GitHubStandIn) -> Iterator[dict[str, str]]:
    """``standin`` as an HTTP proxy on 127.0.0.1 for ``http://api.github.localhost/`` (every
    request and answer validated as :meth:`GitHubStandIn.__call__` does); yields the
    environment that points the real ``gh`` at it (``GH_HOST`` and ``HTTP_PROXY``: Go's
    ``http.ProxyFromEnvironment`` proxies every host but ``localhost`` and loopback IPs)."""
    failures: list[BaseException] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            try:
                assert parts.netloc == f"api.{GH_HOST}", self.path
                url = github_openapi.HOST + urllib.parse.urlunsplit(
                    ("", "", parts.path, parts.query, "")
                )
                headers = dict(self.headers.items())
                if "Content-Type" in headers:
                    headers["Content-Type"] = headers["Content-Type"].split(";")[0]
                response = standin(self.command, url, headers, _read_body(self))
            except BaseException as error:  # the test reads it: the answer is only a 500
                failures.append(error)
                self.send_error(500, repr(error)[:200])
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler, concurrent=False) as port:
        yield {
            "GH_HOST": GH_HOST,
            "HTTP_PROXY": f"http://127.0.0.1:{port}",
            # Only gh's host goes through the stand-in (not "localhost": Go reads it as a suffix,
            # which api.github.localhost has); the AWS CLI (botocore reads the same
            # variables) reaches moto on 127.0.0.1 directly.
            "NO_PROXY": "127.0.0.1",
            "GH_NO_UPDATE_NOTIFIER": "1",
            "GH_PROMPT_DISABLED": "1",
        }
    if failures:
        raise failures[0]
