"""A model hub on loopback: the few endpoints huggingface_hub calls to fetch files.

huggingface_hub (2.4) asks, for a pinned file:
- HEAD {endpoint}/{repo}/resolve/{revision}/{file}: X-Repo-Commit, ETag (the sha256 for LFS
  files, with X-Linked-Etag / X-Linked-Size), Content-Length;
- GET of the same URL, with `Range: bytes=N-` when it resumes;
- GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true (model_info with
  files_metadata): the commit and each file's size and LFS sha256. Every fetch reads this
  listing first (`--record` to pin, a pinned fetch for the files the manifest leaves out).
That is all this server answers. It records every request, and can cut a download short
(`cut`) to stand in for a dropped connection.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".model")


@dataclass
class Repo:
    branches: dict[str, str] = field(default_factory=dict)  # name -> commit
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit -> files


@dataclass
class Cut:
    """Send the first `after` bytes of `filename`, then drop the connection; and, while
    `then_fail`, answer every later request for it with 500 (the run gives up)."""

    filename: str
    after: int
    then_fail: bool = True
    done: bool = False


class LocalHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range header
        self.cut: Cut | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LocalHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def publish(self, repo: str, commit: str, folder: Path, branch: str = "main") -> None:
        """Serve every file of `folder` as `repo` at `commit`, and point `branch` at it."""
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
        entry = self.repos.setdefault(repo, Repo())
        entry.commits[commit] = files
        entry.branches[branch] = commit

    def resolve(self, repo: str, revision: str) -> str | None:
        entry = self.repos.get(repo)
        if entry is None:
            return None
        commit = entry.branches.get(revision, revision)
        return commit if commit in entry.commits else None

    def gets_of(self, filename: str) -> list[str | None]:
        """The Range header of every GET of `filename` (None: from the start)."""
        return [r for m, p, r in self.requests if m == "GET" and p.endswith("/" + filename)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 (git's id)


def _is_lfs(name: str) -> bool:
    return name.endswith(LFS_SUFFIXES)


def _handler(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            hub.requests.append((self.command, path, self.headers.get("Range")))
            if path.startswith("/api/models/"):
                return self._model_info(path.removeprefix("/api/models/"))
            if "/resolve/" in path:
                return self._file(path.lstrip("/"), body)
            self._error(404, "EntryNotFound")

        def _model_info(self, rest: str) -> None:
            repo, _, revision = rest.partition("/revision/")
            commit = hub.resolve(repo, revision or "main")
            if commit is None:
                return self._error(404, "RevisionNotFound")
            files = hub.repos[repo].commits[commit]
            siblings = []
            for name, data in files.items():
                sibling: dict[str, object] = {
                    "rfilename": name,
                    "size": len(data),
                    "blobId": _git_blob_id(data),
                }
                if _is_lfs(name):
                    sibling["lfs"] = {"sha256": sha256(data), "size": len(data), "pointerSize": 134}
                siblings.append(sibling)
            self._json({"id": repo, "modelId": repo, "sha": commit, "siblings": siblings})

        def _file(self, rest: str, body: bool) -> None:
            repo, _, tail = rest.partition("/resolve/")
            revision, _, filename = tail.partition("/")
            commit = hub.resolve(repo, revision)
            if commit is None:
                return self._error(404, "RevisionNotFound")
            data = hub.repos[repo].commits[commit].get(filename)
            if data is None:
                return self._error(404, "EntryNotFound")
            cut = hub.cut if hub.cut and hub.cut.filename == filename else None
            if body and cut and cut.done and cut.then_fail:
                return self._error(500, "Unavailable")
            start = 0
            wanted = self.headers.get("Range")
            if body and wanted and wanted.startswith("bytes="):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
            self.send_response(206 if start else 200)
            self.send_header("X-Repo-Commit", commit)
            etag = sha256(data) if _is_lfs(filename) else _git_blob_id(data)
            self.send_header("ETag", f'"{etag}"')
            if _is_lfs(filename):
                self.send_header("X-Linked-Etag", f'"{etag}"')
                self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if not body:
                return
            if cut and not cut.done and start == 0:
                cut.done = True
                self.wfile.write(data[: cut.after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)  # the peer sees the body end early
                return
            self.wfile.write(data[start:])

        def _json(self, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str) -> None:
            data = json.dumps({"error": code}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
