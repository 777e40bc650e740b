"""What every artifact repository offers, and the path rules they all apply.

A repository is a run's artifact root (a local folder or an object-store prefix such as
``s3://bucket/prefix/0/<run_id>/artifacts``); callers name files inside it by relative
paths with ``/`` separators, and no path can lead outside the root, whatever the scheme.
"""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

from labtrack.errors import InvalidParameter

# Streamed copies move COPY_BUFFER bytes at a time, and object stores are written and read in
# blocks of CHUNK_SIZE (on S3 the multipart part size, at least 5 MiB), so a copy holds about
# one block in memory whatever the file's size. Small copy buffers matter too: the allocator
# keeps large freed buffers, which would raise a long copy's resident memory step by step.
CHUNK_SIZE = 8 << 20
COPY_BUFFER = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    """One entry of a listing: ``path`` relative to the run's artifact root ('/'-separated),
    whether it is a folder, and a file's size in bytes (None for a folder)."""

    path: str
    is_dir: bool
    file_size: int | None


def relative_parts(relative: str | None) -> tuple[str, ...]:
    """The parts of an artifact path, refusing any that could leave the root: absolute paths,
    ``..`` parts, drive letters and NUL bytes (backslashes count as separators). Empty or
    None: the root itself, ``()``."""
    if not relative:
        return ()
    if not isinstance(relative, str):
        raise InvalidParameter(f"artifact path must be a string, got {type(relative).__name__}")
    normalized = relative.replace("\\", "/")
    parts = PurePosixPath(normalized).parts
    if (
        "\x00" in normalized
        or normalized.startswith("/")
        or ".." in parts
        or (parts and ":" in parts[0])
    ):
        raise InvalidParameter(
            f"artifact path {relative!r} must be relative and stay inside the run's folder"
        )
    return parts


def redacted(uri: str) -> str:
    """``uri`` without what may be a secret (user and password, a query such as an Azure
    SAS token), for messages and logs."""
    parts = urlsplit(uri)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def validate_root(root: object) -> str:
    """An artifact root as given, if acceptable: a non-empty path or URI that carries no
    credentials and no query (they would be stored with every run and shown wherever its
    artifact URI is; file systems read credentials from their environment)."""
    if isinstance(root, os.PathLike):
        root = os.fspath(root)
    if not isinstance(root, str) or not root.strip():
        raise InvalidParameter(f"an artifact root must be a non-empty path or URI, got {root!r}")
    parts = urlsplit(root)
    if parts.scheme and len(parts.scheme) > 1 and ("@" in parts.netloc or parts.query):
        raise InvalidParameter(
            f"artifact root {redacted(root)} must not carry credentials or a query: the "
            "file system reads them from its environment (e.g. AWS_ACCESS_KEY_ID)"
        )
    return root


def under(base: str | None, relative: str) -> str:
    """``relative`` inside the artifact folder ``base`` (None or "": the run's root)."""
    if not base or not relative:
        return base or relative
    return f"{base.rstrip('/')}/{relative}"


def local_tree(source: Path, skip=lambda name: False) -> tuple[list[str], list[str]]:
    """The folders and files under the local folder ``source`` (symlinks followed, as
    ``shutil.copytree`` does), as sorted relative paths; ``""`` is ``source`` itself. Files
    whose name ``skip`` accepts are left out."""
    folders, files = [], []

    def fail(error: OSError) -> None:
        raise error

    for directory, _, names in os.walk(source, onerror=fail, followlinks=True):
        relative = Path(directory).relative_to(source).as_posix()
        relative = "" if relative == "." else relative
        folders.append(relative)
        files.extend(under(relative, name) for name in names if not skip(name))
    return sorted(folders), sorted(files)


class ArtifactRepository(abc.ABC):
    """A run's artifacts under one root. Get one with ``labtrack.artifacts.open_repository``.

    Every method takes paths relative to the root and refuses those that would leave it
    (``InvalidParameter``); methods that write return the written path, relative to the root.
    A file appears whole or not at all: a failed or interrupted write leaves nothing listed.
    """

    #: Whether the root is a folder on this machine (``path_of`` then gives its files in place).
    is_local: bool = False

    @abc.abstractmethod
    def log_artifact(self, local_file: str | os.PathLike, artifact_path: str | None = None) -> str:
        """Copy a local file into the folder ``artifact_path`` (the root by default)."""

    @abc.abstractmethod
    def log_artifacts(self, local_dir: str | os.PathLike, artifact_path: str | None = None) -> str:
        """Copy every file of a local folder, recursively, into the folder ``artifact_path``.
        Every target path is checked before anything is written."""

    @abc.abstractmethod
    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        """Write ``data`` as the file ``artifact_file``."""

    @abc.abstractmethod
    def upload_stream(self, artifact_file: str, stream: BinaryIO) -> str:
        """Copy a binary file-like object to ``artifact_file`` chunk by chunk (multipart on S3),
        never holding it whole in memory."""

    @abc.abstractmethod
    def read_bytes(self, artifact_file: str) -> bytes:
        """The content of the file ``artifact_file``; ``NotFound`` if there is none."""

    @abc.abstractmethod
    def open_read(self, artifact_file: str) -> BinaryIO:
        """A binary file object reading ``artifact_file`` as it goes (ranged reads on object
        stores); close it, or use it in a ``with`` block. ``NotFound`` if there is no such file."""

    @abc.abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly inside the folder ``path`` (the root by default),
        sorted by name; ``[]`` if there is no such folder."""

    @abc.abstractmethod
    def download_artifacts(self, artifact_path: str | None, dst_path: str | os.PathLike) -> str:
        """Copy the file or folder ``artifact_path`` (everything when None) into the local folder
        ``dst_path`` and return the local path of the copy; ``NotFound`` if it does not exist."""

    @abc.abstractmethod
    def delete_artifacts(self, path: str | None = None) -> None:
        """Delete the file or folder ``path`` (every artifact when None); nothing to delete is
        not an error."""

    @abc.abstractmethod
    def uri_of(self, artifact_path: str | None = None) -> str:
        """Where ``artifact_path`` (the root by default) lives: a local path for a local root,
        a URI (``s3://bucket/key``) otherwise."""
