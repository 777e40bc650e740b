"""Artifact storage: a run's files under a local folder or an object-store URI.

``open_repository(root)`` is the one entry point: a plain path or ``file://`` gives a
``LocalArtifactRepository`` (atomic renames, symlink-safe paths); ``s3://``, ``gs://``,
``az://`` or any other fsspec URI gives an ``FsspecArtifactRepository``, whose file system
package (s3fs, gcsfs, adlfs) is imported only then. Both offer ``ArtifactRepository``'s
methods.
"""

from __future__ import annotations

import os
import re

from labtrack.artifacts.base import ArtifactRepository, FileInfo, validate_root
from labtrack.artifacts.local import LocalArtifactRepository, safe_join
from labtrack.errors import InvalidParameter

# "scheme:" of two or more characters ("s3://", "mlflow-artifacts:/"), so that a Windows
# drive ("C:\\...") reads as a path but no URI is ever taken for a local folder.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def is_local_root(root: str | os.PathLike) -> bool:
    """Whether an artifact root is a folder on this machine (a path or ``file://``)."""
    text = os.fspath(root)
    return text.startswith("file://") or not _SCHEME.match(text)


def open_repository(root: str | os.PathLike, http=None) -> ArtifactRepository:
    """The artifact repository rooted at ``root``: a folder, ``file:///folder``,
    ``s3://bucket/prefix``, ``gs://bucket/prefix``, ``az://container/prefix`` (or another
    fsspec URI). Raises ``InvalidParameter`` for an empty root, one that carries credentials
    or a query, an unknown scheme, or a scheme whose package is not installed (the message
    says what to install).

    >>> open_repository("s3://bucket/0/1a2b/artifacts").write_bytes("a.txt", b"a")  # doctest: +SKIP
    'a.txt'
    """
    root = validate_root(root)
    if is_local_root(root):
        return LocalArtifactRepository(root)
    from labtrack.artifacts.mlflow_artifacts import MlflowArtifactsRepository, is_proxied_root

    if is_proxied_root(root):
        if http is None:
            raise InvalidParameter(
                f"{root!r} is served by a tracking server's artifact proxy: open it through "
                "an http(s) tracking URI"
            )
        return MlflowArtifactsRepository(root, http)
    from labtrack.artifacts.remote import FsspecArtifactRepository

    return FsspecArtifactRepository(root)


__all__ = [
    "ArtifactRepository",
    "FileInfo",
    "LocalArtifactRepository",
    "is_local_root",
    "open_repository",
    "safe_join",
    "validate_root",
]
