"""A GitHub stand-in for the set-up command's client: in-memory state, answers built from GitHub's
own examples in the pinned OpenAPI description, and every request and answer validated against
that description (:mod:`tests.setup.github_openapi`). It imitates only what the endpoints' docs
say: 404 for what does not exist, 201/204 for writes, sealed secrets opened with the key it gave.
"""

from __future__ import annotations

import base64
import copy
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nacl.public import PrivateKey, SealedBox

from slipway.setup.github import Response, app_manifest
from tests.setup import github_openapi

USER_TOKEN = "gho_standin_user_token"


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
