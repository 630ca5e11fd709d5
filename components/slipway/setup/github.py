"""A small GitHub REST client: only the endpoints the set-up command uses.

Every request and answer of it is validated in the tests against GitHub's official OpenAPI
description (``@octokit/openapi``, pinned in tests/release/package.json). The transport is one
function, so the tests swap the network for a stand-in; :class:`UrllibTransport` is the real one.
"""

from __future__ import annotations

import base64
import html
import http.server
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from slipway.contract import INFRA_APP_PERMISSIONS, INFRA_READ_APP_PERMISSIONS
from slipway.setup.steps import SetupError

API = "https://api.github.com"
API_VERSION = "2022-11-28"
"""``X-GitHub-Api-Version`` (GitHub Docs, "API Versions")."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Transport(Protocol):
    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Response: ...


class UrllibTransport:
    """HTTPS through the standard library."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Response:
        if not url.startswith("https://"):
            raise SetupError(f"refusing a non-HTTPS GitHub URL: {url}")
        request = urllib.request.Request(  # noqa: S310 (https only, checked above)
            url, data=body, headers=dict(headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())


def seal(public_key: str, value: str) -> str:
    """``value`` sealed for a repository or environment public key (libsodium sealed box), as
    GitHub requires for Actions secrets (GitHub Docs, "REST API endpoints for GitHub Actions
    secrets": "Encrypt your secret using LibSodium")."""
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(value.encode())).decode()


def app_jwt(app_id: str, private_key_pem: str, now: float | None = None) -> str:
    """A JWT authenticating as the GitHub App (RS256; ``iat`` 60 s in the past against clock
    drift, ``exp`` at most ten minutes ahead, ``iss`` the app's ID: GitHub Docs, "Generating a
    JSON Web Token (JWT) for a GitHub App")."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SetupError("the release app's private key is not an RSA key")
    issued = int(now if now is not None else time.time()) - 60

    def part(data: Mapping[str, Any]) -> bytes:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing = (
        part({"alg": "RS256", "typ": "JWT"})
        + b"."
        + part({"iat": issued, "exp": issued + 600, "iss": app_id})
    )
    signature = key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
    return (signing + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


class GitHub:
    """The endpoints the set-up command uses, as the user (``token``) or as the app (a JWT)."""

    def __init__(self, transport: Transport, token: str, api: str = API) -> None:
        self._transport = transport
        self._token = token
        self._api = api

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        bearer: str | None = None,
        ok: tuple[int, ...] = (200,),
        missing: tuple[int, ...] = (),
    ) -> Any:
        url = self._api + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "slipway-setup",
        }
        if bearer != "":
            headers["Authorization"] = f"Bearer {bearer or self._token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        answer = self._transport(method, url, headers, data)
        if answer.status in missing:
            return None
        if answer.status not in ok:
            message = ""
            try:
                message = str((answer.json() or {}).get("message", ""))
            except ValueError:
                message = answer.body[:200].decode(errors="replace")
            raise SetupError(f"GitHub {method} {path}: {answer.status} {message}".rstrip())
        return answer.json()

    def repository(self, owner: str, repo: str) -> dict[str, Any] | None:
        """``GET /repos/{owner}/{repo}``; None when it does not exist or is not visible."""
        found = self._call("GET", f"/repos/{owner}/{repo}", missing=(404, 403))
        return dict(found) if found else None

    def user_exists(self, login: str) -> bool:
        return self._call("GET", f"/users/{login}", missing=(404,)) is not None

    def oidc_subject(self, owner: str, repo: str) -> dict[str, Any]:
        """``GET /repos/{owner}/{repo}/actions/oidc/customization/sub``."""
        return dict(self._call("GET", f"/repos/{owner}/{repo}/actions/oidc/customization/sub"))

    def convert_manifest(self, code: str) -> dict[str, Any]:
        """``POST /app-manifests/{code}/conversions``: the app's ``id``, ``slug``,
        ``client_id`` and ``pem``. The code is valid for one hour and needs no authentication
        (GitHub Docs, "Registering a GitHub App from a manifest", step 3)."""
        return dict(self._call("POST", f"/app-manifests/{code}/conversions", ok=(201,), bearer=""))

    def repository_installation(self, owner: str, repo: str, jwt: str) -> dict[str, Any] | None:
        """``GET /repos/{owner}/{repo}/installation`` as the app; None when not installed."""
        found = self._call("GET", f"/repos/{owner}/{repo}/installation", bearer=jwt, missing=(404,))
        return dict(found) if found else None

    def environment_exists(self, owner: str, repo: str, env: str) -> bool:
        """``GET /repos/{owner}/{repo}/environments/{environment_name}``."""
        path = f"/repos/{owner}/{repo}/environments/{env}"
        return self._call("GET", path, missing=(404,)) is not None

    def environment_secret_exists(self, owner: str, repo: str, env: str, name: str) -> bool:
        path = f"/repos/{owner}/{repo}/environments/{env}/secrets/{name}"
        return self._call("GET", path, missing=(404,)) is not None

    def put_environment_secret(
        self, owner: str, repo: str, env: str, name: str, value: str
    ) -> None:
        base = f"/repos/{owner}/{repo}/environments/{env}/secrets"
        key = self._call("GET", f"{base}/public-key")
        self._call(
            "PUT",
            f"{base}/{name}",
            body={"encrypted_value": seal(key["key"], value), "key_id": key["key_id"]},
            ok=(201, 204),
        )

    def repository_variable(self, owner: str, repo: str, name: str) -> str | None:
        """``GET /repos/{owner}/{repo}/actions/variables/{name}``: the variable's value, or None
        when the repository has none of that name."""
        path = f"/repos/{owner}/{repo}/actions/variables/{name}"
        found = self._call("GET", path, missing=(404,))
        return None if found is None else str(found["value"])

    def set_repository_variable(self, owner: str, repo: str, name: str, value: str) -> None:
        """Create (``POST /repos/{owner}/{repo}/actions/variables``, 201) or update
        (``PATCH /repos/{owner}/{repo}/actions/variables/{name}``, 204) a repository variable;
        nothing when it already holds ``value``. GitHub Docs, "REST API endpoints for GitHub
        Actions variables": both need the Variables repository permission (write), which a
        repository administrator's token has."""
        current = self.repository_variable(owner, repo, name)
        if current == value:
            return
        body = {"name": name, "value": value}
        if current is None:
            self._call("POST", f"/repos/{owner}/{repo}/actions/variables", body=body, ok=(201,))
        else:
            path = f"/repos/{owner}/{repo}/actions/variables/{name}"
            self._call("PATCH", path, body=body, ok=(204,))

    def pull_request(self, owner: str, repo: str, branch: str) -> dict[str, Any] | None:
        """The newest pull request from ``branch`` (open or not), or None."""
        found = self._call(
            "GET",
            f"/repos/{owner}/{repo}/pulls",
            query={"head": f"{owner}:{branch}", "state": "all"},
        )
        return dict(found[0]) if found else None


def release_app_manifest(answers_repository: str, redirect_url: str) -> dict[str, Any]:
    """The release app (docs/deployment-guide.md, "The release GitHub App"): repository
    permissions contents, pull requests and workflows (write), metadata (read); no webhook;
    installable only on its owner's account (``public: false``). Fields: GitHub Docs,
    "Registering a GitHub App from a manifest", "GitHub App Manifest parameters"."""
    owner, name = answers_repository.split("/")
    return {
        "name": f"{owner}-{name}-release"[:34],
        "url": f"https://github.com/{answers_repository}",
        "redirect_url": redirect_url,
        "public": False,
        "default_permissions": {
            "contents": "write",
            "pull_requests": "write",
            "workflows": "write",
            "metadata": "read",
        },
        "default_events": [],
    }


def infra_app_manifest(
    answers_repository: str, redirect_url: str, *, write: bool
) -> dict[str, Any]:
    """An infra app (docs/deployment-guide.md, "The infra pipeline's GitHub credential"): the
    GitHub credential of the infrastructure repository's pipeline, installed on the application
    and infrastructure repositories only. ``write``: the infra app, whose key only the
    ``infra-<env>`` environments (default branch) hold, with
    :data:`~slipway.contract.INFRA_APP_PERMISSIONS`; else the read-only infra app of the preview
    and drift environments (:data:`~slipway.contract.INFRA_READ_APP_PERMISSIONS`), so a pull
    request's code can never mint a token that writes. Two apps, because a job's
    ``permission-*`` inputs are the workflow's own choice, which a pull request can change; only
    what the app itself may do bounds it. No webhook; ``public: false``."""
    owner, name = answers_repository.split("/")
    suffix = "-infra" if write else "-infra-read"
    return {
        # GitHub App names are at most 34 characters; the suffix is kept whole.
        "name": f"{owner}-{name}"[: 34 - len(suffix)] + suffix,
        "url": f"https://github.com/{answers_repository}",
        "redirect_url": redirect_url,
        "public": False,
        "default_permissions": dict(INFRA_APP_PERMISSIONS if write else INFRA_READ_APP_PERMISSIONS),
        "default_events": [],
    }


APP_KINDS = ("release", "infra", "infra-read")
"""The apps the set-up command creates through the manifest flow."""


def app_manifest(kind: str, answers_repository: str, redirect_url: str) -> dict[str, Any]:
    """The manifest of one of :data:`APP_KINDS`."""
    if kind == "release":
        return release_app_manifest(answers_repository, redirect_url)
    if kind in ("infra", "infra-read"):
        return infra_app_manifest(answers_repository, redirect_url, write=kind == "infra")
    raise SetupError(f"unknown app kind {kind!r}; one of {', '.join(APP_KINDS)}")


class ManifestFlow(Protocol):
    def __call__(
        self, owner: str, organization: bool, repository: str, kind: str = "release"
    ) -> str:
        """Let the user confirm the app (``kind``: one of :data:`APP_KINDS`) on GitHub; the
        temporary ``code`` GitHub redirects with."""


class BrowserManifestFlow:
    """GitHub's App manifest flow (GitHub Docs, "Registering a GitHub App from a manifest"):

    1. the browser POSTs the form field ``manifest`` (the JSON) to
       ``https://github.com/organizations/ORG/settings/apps/new`` (or
       ``https://github.com/settings/apps/new`` for a personal account) with a random ``state``;
    2. after the user confirms, GitHub redirects to the manifest's ``redirect_url`` with
       ``code`` and the same ``state``;
    3. the command exchanges the code (:meth:`GitHub.convert_manifest`).

    Here a one-shot server on 127.0.0.1 serves the auto-submitting form and receives the
    redirect."""

    def __init__(self, say: Callable[[str], None], timeout: float = 900) -> None:
        self._say = say
        self._timeout = timeout

    def __call__(
        self, owner: str, organization: bool, repository: str, kind: str = "release"
    ) -> str:
        state = secrets.token_urlsafe(24)
        received: dict[str, str] = {}
        done = threading.Event()
        page: dict[str, bytes] = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/callback" and query.get("state") == state and "code" in query:
                    received["code"] = query["code"]
                    body = f"The {kind} app exists. You can close this page.".encode()
                    done.set()
                else:
                    body = page["form"]
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        local = f"http://127.0.0.1:{server.server_port}"
        manifest = app_manifest(kind, repository, f"{local}/callback")
        target = (
            f"https://github.com/organizations/{owner}/settings/apps/new"
            if organization
            else "https://github.com/settings/apps/new"
        )
        page["form"] = (
            f'<form id="f" method="post" action="{target}?state={state}">'
            f'<input type="hidden" name="manifest" value="{html.escape(json.dumps(manifest))}">'
            f'<button type="submit">Create the {kind} app on GitHub</button></form>'
            '<script>document.getElementById("f").submit()</script>'
        ).encode()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            self._say(f"Open {local}/ to create the {kind} app on GitHub (one confirmation).")
            webbrowser.open(f"{local}/")
            if not done.wait(self._timeout):
                raise SetupError("no confirmation from GitHub's app creation page; run setup again")
        finally:
            server.shutdown()
            server.server_close()
        return received["code"]
