"""A LOCAL STAND-IN for the Hugging Face Hub HTTP API, for tests only: not the Hub, no network.

`HubStandIn` runs a `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a background thread and
answers the few requests huggingface_hub 2.4 sends when `HfApi.create_repo` and
`HfApi.upload_folder` publish a handful of small files:

    POST /api/validate-yaml                          check of README.md's metadata (always accepted)
    POST /api/repos/create                           new repo (409 when it exists)
    POST /api/{type}s/{namespace}/{name}/branch/{b}  new branch from `startingPoint` (default main)
    POST /api/{type}s/{namespace}/{name}/preupload/{rev}
         -> uploadMode "regular" for every file, so the contents arrive inline (base64) in the commit
    POST /api/{type}s/{namespace}/{name}/commit/{rev}
         NDJSON: a header line, then "file" / "deletedFile" / "deletedFolder" lines

Because every file is "regular", no LFS or Xet storage endpoint is ever needed; an "lfsFile" line is
refused with 400. Any other route answers 404 naming the route, so a change in huggingface_hub shows
up as a clear failure rather than a hang. Every route except validate-yaml needs
`Authorization: Bearer <token>`; a wrong or missing token gets the Hub's 401, and setting
`reject_with = 401` (or any status) refuses every request with that status.

The stand-in keeps, per repo and branch, the committed files as `{path_in_repo: bytes}` (see
`files`), and the (method, path) of every request it received (see `requests`).

    with HubStandIn() as hub:
        publish(folder, "someone/cwmb", token=hub.token, endpoint=hub.endpoint)
        assert hub.files("someone/cwmb")["README.md"] == (folder / "README.md").read_bytes()
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

STANDIN_TOKEN = "hf_standin_write_token"  # not a real token: the stand-in's only accepted credential

_REPO_ROUTE = re.compile(
    r"^/api/(?P<type>model|dataset|space)s/(?P<repo_id>[^/]+/[^/]+)/(?P<action>branch|preupload|commit)/(?P<rev>[^/]+)$"
)
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


@dataclass
class StandInRepo:
    """One repository held by the stand-in: its branches, each a {path_in_repo: bytes} snapshot."""

    repo_type: str
    repo_id: str
    private: bool
    branches: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {}})
    commits: list[str] = field(default_factory=list)  # commit oids, oldest first


class HubError(Exception):
    """An HTTP error the stand-in answers, with the Hub's error headers and JSON body."""

    def __init__(self, status: int, message: str, *, error_code: str | None = None, **body: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.body = {"error": message, **body}


class HubStandIn:
    """LOCAL STAND-IN for the Hugging Face Hub HTTP API (a context manager serving on 127.0.0.1)."""

    def __init__(self, token: str = STANDIN_TOKEN) -> None:
        self.token = token
        self.reject_with: int | None = None  # set to e.g. 401 to refuse every request
        self.repos: dict[tuple[str, str], StandInRepo] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> HubStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-standin", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def endpoint(self) -> str:
        """Base URL to pass as the Hub endpoint, e.g. http://127.0.0.1:40123."""
        assert self._server is not None, "use HubStandIn as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def files(self, repo_id: str, *, repo_type: str = "dataset", revision: str = "main") -> dict[str, bytes]:
        """The files committed to `repo_id` at branch `revision`: {path_in_repo: bytes}."""
        with self._lock:
            return dict(self.repos[repo_type, repo_id].branches[revision])

    # ------------------------------------------------------------------ routes

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one request: (status, JSON body), or raise HubError."""
        with self._lock:
            self.requests.append((method, path))
            if self.reject_with is not None:
                raise HubError(self.reject_with, "Invalid credentials in Authorization header")
            if method == "POST" and path == "/api/validate-yaml":
                return 200, {"errors": [], "warnings": []}
            self._check_token(headers.get("authorization", ""))
            if method == "POST" and path == "/api/repos/create":
                return self._create_repo(json.loads(body))
            match = _REPO_ROUTE.match(path)
            if method != "POST" or match is None:
                raise HubError(404, f"the Hub stand-in does not implement {method} {path}")
            repo = self._repo(match["type"], match["repo_id"])
            revision = unquote(match["rev"])
            if match["action"] == "branch":
                return self._create_branch(repo, revision, json.loads(body or b"{}"))
            if revision not in repo.branches:
                raise HubError(404, f"Invalid rev id: {revision}", error_code="RevisionNotFound")
            if match["action"] == "preupload":
                return self._preupload(json.loads(body))
            return self._commit(repo, revision, body)

    def _check_token(self, authorization: str) -> None:
        if authorization != f"Bearer {self.token}":
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo_type: str, repo_id: str) -> StandInRepo:
        try:
            return self.repos[repo_type, repo_id]
        except KeyError:
            raise HubError(404, "Repository not found", error_code="RepoNotFound") from None

    def _repo_url(self, repo: StandInRepo) -> str:
        return f"{self.endpoint}/{_URL_PREFIX[repo.repo_type]}{repo.repo_id}"

    def _create_repo(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        repo_type = payload.get("type") or "model"
        namespace = payload.get("organization") or "standin-user"
        repo_id = f"{namespace}/{payload['name']}"
        if (repo_type, repo_id) in self.repos:
            url = self._repo_url(self.repos[repo_type, repo_id])
            raise HubError(409, f"You already created this {repo_type} repo", url=url)  # the Hub sends the url too
        repo = StandInRepo(repo_type, repo_id, private=payload.get("visibility") == "private")
        self.repos[repo_type, repo_id] = repo
        return 200, {"url": self._repo_url(repo), "name": repo_id, "id": repo_id}

    def _create_branch(self, repo: StandInRepo, branch: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if branch in repo.branches:
            raise HubError(409, f"Reference already exists: refs/heads/{branch}")
        start = payload.get("startingPoint") or "main"
        if start not in repo.branches:
            raise HubError(404, f"Invalid rev id: {start}", error_code="RevisionNotFound")
        repo.branches[branch] = dict(repo.branches[start])
        return 200, {}

    @staticmethod
    def _preupload(payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        files = [
            {"path": item["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
            for item in payload["files"]
        ]
        return 200, {"files": files}

    def _commit(self, repo: StandInRepo, revision: str, body: bytes) -> tuple[int, dict[str, Any]]:
        tree = dict(repo.branches[revision])
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "commit payload must start with a header line")
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                if value.get("encoding") != "base64":
                    raise HubError(400, f"unsupported encoding {value.get('encoding')!r}")
                tree[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                tree.pop(value["path"], None)
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                tree = {path: data for path, data in tree.items() if not path.startswith(prefix)}
            else:  # lfsFile, or anything newer: the stand-in only ever offers "regular" uploads
                raise HubError(400, f"the Hub stand-in does not accept {key!r} commit operations")
        parent = repo.commits[-1] if repo.commits else ""
        oid = hashlib.sha1(parent.encode() + body).hexdigest()
        repo.branches[revision] = tree
        repo.commits.append(oid)
        url = f"{self._repo_url(repo)}/commit/{oid}"
        return 200, {"success": True, "commitOid": oid, "commitUrl": url, "hookOutput": ""}


def _handler_for(hub: HubStandIn) -> type[BaseHTTPRequestHandler]:
    """A request-handler class that forwards every request to `hub`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the Hub; every answer carries Content-Length

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self.close_connection = True  # the body length is unknown: answer, then hang up
                self._answer(411, {"error": "the Hub stand-in needs a Content-Length"}, {})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                status, payload = hub.handle(method, urlsplit(self.path).path, headers, body)
                extra: dict[str, str] = {}
            except HubError as error:
                status, payload = error.status, error.body
                extra = {"X-Error-Message": error.message}
                if error.error_code:
                    extra["X-Error-Code"] = error.error_code
            self._answer(status, payload, extra)

        def _answer(self, status: int, payload: dict[str, Any], extra_headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # requests are recorded in hub.requests; keep test output clean

    return Handler
