"""The artifact destination of ``labtrack server``: where new experiments keep artifacts, and
how its URIs look to MLflow clients.

The database holds real URIs (a folder, ``file://``, ``s3://``...), so that labtrack clients
with direct access to the store and the bucket read them as they are. Over HTTP, any URI that
lies under the destination reads ``mlflow-artifacts:/<relative path>``, as ``mlflow server``
shows proxied artifacts: MLflow's client then reads and writes those files through the proxy
routes (``/api/2.0/mlflow-artifacts/artifacts/<relative path>``), which map the path back onto
the destination and refuse any path that would leave it.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from labtrack.errors import InvalidParameter

PROXY_SCHEME = "mlflow-artifacts:"


def relative_path(path: str | None) -> str:
    """A path inside the destination, ``a/b/c`` form; refuses absolute paths, ``..`` parts,
    backslashes and NUL bytes (raises ``InvalidParameter``) before any storage sees it."""
    text = unquote(path or "")
    if "\x00" in text or "\\" in text:
        raise InvalidParameter(f"invalid artifact path {path!r}")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if text.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise InvalidParameter(f"artifact path {path!r} leads outside the artifact destination")
    return "/".join(parts)


def _canonical(uri: str) -> str:
    """A URI in one spelling for comparisons: local folders and ``file://`` URIs as absolute
    paths, other URIs without a trailing slash."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return os.path.abspath(unquote(parsed.path))
    if not parsed.scheme or (len(parsed.scheme) == 1 and os.name == "nt"):  # C:\...
        return os.path.abspath(os.path.expanduser(uri))
    return uri.rstrip("/")


class Destination:
    """The server's artifact root (``--artifacts-destination``): translates URIs between their
    stored form and the ``mlflow-artifacts:/`` form clients see, and opens the storage."""

    def __init__(self, root_uri: str):
        self.root_uri = root_uri
        self._root = _canonical(root_uri)

    def public_uri(self, uri: str | None) -> str | None:
        """``mlflow-artifacts:/<relative>`` for a URI under the destination; others unchanged."""
        if not uri:
            return uri
        canonical = _canonical(uri)
        if canonical == self._root:
            return f"{PROXY_SCHEME}/"
        if canonical.startswith(self._root.rstrip("/") + "/"):
            return f"{PROXY_SCHEME}/{canonical[len(self._root.rstrip('/')) + 1 :]}"
        return uri

    def stored_uri(self, uri: str | None) -> str | None:
        """The real URI of an ``mlflow-artifacts:`` URI (others unchanged)."""
        if not uri or not uri.startswith(PROXY_SCHEME):
            return uri
        # mlflow-artifacts:/a/b and mlflow-artifacts://host/a/b both name a/b.
        return self.join(urlparse(uri).path.lstrip("/"))

    def join(self, relative: str) -> str:
        """The stored URI of a path inside the destination."""
        relative = relative_path(relative)
        if not relative:
            return self.root_uri
        if "://" in self.root_uri:
            return f"{self.root_uri.rstrip('/')}/{relative}"
        return str(Path(self._root, *PurePosixPath(relative).parts))

    def repository(self):
        """The storage of the whole destination (``labtrack.artifacts``' repository)."""
        from labtrack.artifacts import open_repository

        return open_repository(self.root_uri)
