"""A run's artifacts behind a tracking server's artifact proxy: ``mlflow-artifacts:/<path>``,
the artifact URI that ``mlflow server`` and ``labtrack server`` give runs when they serve
artifacts themselves (``/api/2.0/mlflow-artifacts/artifacts/<path>``), so that clients need
no bucket credentials.

Files stream both ways: an upload sends the file object as the request body, a download
reads the answer a chunk at a time, so memory stays near a chunk whatever a file's size. The
requests go through the tracking store's HTTP client (``labtrack.store.rest.http``), handed
in as ``http``: its credentials, and its errors (``NotFound``, ``AccessDenied``,
``ServerAway``). Uploads are retried here, not in the session, because a body that was
read once must be rewound before it is sent again.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, urlsplit

from labtrack.artifacts.base import (
    CHUNK_SIZE,
    ArtifactRepository,
    FileInfo,
    local_tree,
    relative_parts,
    under,
)
from labtrack.artifacts.local import whole_or_nothing
from labtrack.errors import InvalidParameter, NotFound

SCHEME = "mlflow-artifacts"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
# An upload whose connection failed is sent again this many times (each from the start).
_UPLOAD_ATTEMPTS = 3


class HttpTransport(Protocol):
    """What this repository needs of the tracking store's HTTP client."""

    base_url: str

    def request(self, method: str, path: str, stream: bool = False, **kwargs: Any) -> Any: ...


def is_proxied_root(root: str) -> bool:
    """Whether an artifact root is served by a tracking server's artifact proxy."""
    return root.startswith(f"{SCHEME}:")


class MlflowArtifactsRepository(ArtifactRepository):
    """The artifacts under ``root`` (``mlflow-artifacts:/1/<run_id>/artifacts``, or with a host:
    ``mlflow-artifacts://host:port/...``) on the server ``http`` talks to."""

    def __init__(self, root: str, http: HttpTransport):
        if not is_proxied_root(root):
            raise InvalidParameter(f"not an {SCHEME}: URI: {root!r}")
        self.root = root.rstrip("/")
        self.http = http
        self._prefix = urlsplit(root).path.strip("/")

    # -- paths ----------------------------------------------------------------------------

    def _key(self, relative: str | None) -> str:
        """The server-side path of ``relative`` (checked to stay under the root)."""
        return "/".join((self._prefix, *relative_parts(relative))).strip("/")

    def _url(self, relative: str | None) -> str:
        return f"{ARTIFACTS_API}/{quote(self._key(relative))}"

    def uri_of(self, artifact_path: str | None = None) -> str:
        parts = relative_parts(artifact_path)
        return "/".join((self.root, *parts)) if parts else self.root

    # -- writing --------------------------------------------------------------------------

    def _put(
        self, artifact_file: str, open_body: Callable[[], Any], attempts: int = _UPLOAD_ATTEMPTS
    ) -> str:
        """PUT a file's content; ``open_body()`` gives the body anew for each attempt (the
        server unreachable: ``ConnectionError``, which the store's ``ServerAway`` is)."""
        parts = relative_parts(artifact_file)
        if not parts:
            raise InvalidParameter("artifact_file must name a file, e.g. 'results/summary.json'")
        delay = 0.25
        for attempt in range(attempts):
            body = open_body()
            try:
                self.http.request("PUT", self._url(artifact_file), data=body, retry=False)
                return "/".join(parts)
            except ConnectionError:
                if attempt == attempts - 1:
                    raise
                time.sleep(delay)
                delay *= 2
            finally:
                if hasattr(body, "close"):
                    body.close()
        raise AssertionError("unreachable")

    def log_artifact(self, local_file: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameter(f"no such file to log: {str(source)!r}")
        return self._put(under(artifact_path, source.name), lambda: open(source, "rb"))

    def log_artifacts(self, local_dir: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameter(f"no such folder to log: {str(source)!r}")
        _, files = local_tree(source)
        targets = [under(artifact_path, path) for path in files]
        for target in targets:  # every path checked before anything is sent
            relative_parts(target)
        for path, target in zip(files, targets, strict=True):
            self._put(target, lambda path=path: open(source / path, "rb"))
        return "/".join(relative_parts(artifact_path))

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        return self._put(artifact_file, lambda: data)

    def upload_stream(self, artifact_file: str, stream: BinaryIO) -> str:
        if not stream.seekable():  # sent once: what was read cannot be sent again
            return self._put(artifact_file, lambda: _Unclosed(stream), attempts=1)
        start = stream.tell()

        def body() -> _Unclosed:
            stream.seek(start)
            return _Unclosed(stream)

        return self._put(artifact_file, body)

    def delete_artifacts(self, path: str | None = None) -> None:
        for entry in self.list_artifacts(path):
            if entry.is_dir:
                self.delete_artifacts(entry.path)
            else:
                self._delete(entry.path)
        if path and not self._listing(path):
            try:
                self._delete(path)  # a file, or an emptied folder some servers keep
            except NotFound:
                pass

    def _delete(self, path: str) -> None:
        try:
            self.http.request("DELETE", self._url(path))
        except NotFound:
            pass

    # -- reading --------------------------------------------------------------------------

    def _listing(self, path: str | None) -> list[dict]:
        answer = self.http.request("GET", ARTIFACTS_API, params={"path": self._key(path)})
        return (answer.json() if answer.content else {}).get("files") or []

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        base = "/".join(relative_parts(path))
        entries = []
        for item in self._listing(path):
            name = "/".join(relative_parts(item["path"]))  # the server's names, checked too
            entries.append(
                FileInfo(
                    under(base, name),
                    bool(item.get("is_dir")),
                    None if item.get("is_dir") else int(item.get("file_size") or 0),
                )
            )
        # A path naming a file lists as that file alone: it is no folder, so nothing is in it.
        if (
            len(entries) == 1
            and not entries[0].is_dir
            and entries[0].path == under(base, posixpath.basename(base))
        ):
            return []
        return sorted(entries, key=lambda entry: entry.path)

    def read_bytes(self, artifact_file: str) -> bytes:
        return self._get(artifact_file).content

    def open_read(self, artifact_file: str) -> BinaryIO:
        response = self._get(artifact_file, stream=True)
        response.raw.decode_content = True
        return response.raw

    def _get(self, artifact_file: str, stream: bool = False):
        if not relative_parts(artifact_file):
            raise InvalidParameter("artifact_file must name a file, e.g. 'results/summary.json'")
        try:
            return self.http.request("GET", self._url(artifact_file), stream=stream)
        except NotFound:
            raise NotFound(f"no artifact file {artifact_file!r} in {self.root}") from None

    def _download_file(self, artifact_file: str, target: Path) -> None:
        response = self._get(artifact_file, stream=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with whole_or_nothing(target) as temporary, open(temporary, "wb") as out:
                for chunk in response.iter_content(CHUNK_SIZE):
                    out.write(chunk)
        finally:
            response.close()

    def download_artifacts(self, artifact_path: str | None, dst_path: str | os.PathLike) -> str:
        base = "/".join(relative_parts(artifact_path))
        destination = Path(dst_path) / posixpath.basename(base or self._prefix)
        entries = self.list_artifacts(base or None)
        if not entries:
            if not base:  # an empty root: an empty folder
                destination.mkdir(parents=True, exist_ok=True)
                return str(destination)
            self._download_file(base, destination)  # a file (NotFound if nothing is there)
            return str(destination)
        destination.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            name = posixpath.relpath(entry.path, base) if base else entry.path
            if entry.is_dir:
                self.download_artifacts(entry.path, destination / posixpath.dirname(name))
            else:
                self._download_file(entry.path, destination / name)
        return str(destination)


class _Unclosed:
    """A caller's stream as a request body: read by requests, left open for the caller."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def __iter__(self):
        return iter(lambda: self._stream.read(CHUNK_SIZE), b"")


__all__ = ["MlflowArtifactsRepository", "is_proxied_root"]
