"""A run's artifacts under an fsspec URI: ``s3://bucket/prefix`` (s3fs), ``gs://`` (gcsfs),
``az://`` (adlfs), or any other scheme fsspec knows.

Files are moved in chunks of ``CHUNK_SIZE`` both ways (multipart uploads, ranged reads), so
memory stays near a chunk whatever a file's size. Whole or nothing comes from the object
store itself: an object appears only when its upload completes, and an upload that fails is
aborted (``discard``) rather than completed.

S3's endpoint and credentials come from botocore's usual environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ...); the endpoint from ``MLFLOW_S3_ENDPOINT_URL``
(MLflow's name), else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from labtrack.artifacts.base import (
    CHUNK_SIZE,
    COPY_BUFFER,
    ArtifactRepository,
    FileInfo,
    local_tree,
    redacted,
    relative_parts,
    under,
    validate_root,
)
from labtrack.artifacts.local import whole_or_nothing
from labtrack.errors import InvalidParameter, NotFound

# The package each optional scheme needs, and the pip command that brings it.
_PACKAGES = {
    "s3": ("s3fs", "pip install 'labtrack[s3]'"),
    "s3a": ("s3fs", "pip install 'labtrack[s3]'"),
    "gs": ("gcsfs", "pip install 'labtrack[gcs]'"),
    "gcs": ("gcsfs", "pip install 'labtrack[gcs]'"),
    "az": ("adlfs", "pip install 'labtrack[azure]'"),
    "abfs": ("adlfs", "pip install 'labtrack[azure]'"),
    "abfss": ("adlfs", "pip install 'labtrack[azure]'"),
}
_S3_ENDPOINT_VARIABLES = ("MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


def storage_options(protocol: str) -> dict[str, str]:
    """Options for the file system of ``protocol`` taken from the environment: S3's endpoint."""
    if protocol in ("s3", "s3a"):
        for name in _S3_ENDPOINT_VARIABLES:
            if os.environ.get(name):
                return {"endpoint_url": os.environ[name]}
    return {}


def file_system(uri: str):
    """The fsspec file system of ``uri`` and the path inside it; a clear error naming the
    package to install when the scheme's is missing."""
    protocol = urlsplit(uri).scheme.lower()
    try:
        import fsspec
        from fsspec.core import url_to_fs
    except ImportError:
        raise InvalidParameter(
            f"artifacts at {redacted(uri)} need fsspec: {_PACKAGES.get(protocol, ('', 'pip install fsspec'))[1]}"
        ) from None
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError:
        package, command = _PACKAGES.get(protocol, (f"the {protocol} file system", ""))
        raise InvalidParameter(
            f"artifacts at {redacted(uri)} need {package}, which is not installed"
            + (f": {command}" if command else "")
        ) from None
    except ValueError:
        raise InvalidParameter(
            f"unknown artifact URI scheme {protocol!r} in {redacted(uri)}: use a folder, "
            "file://, s3://, gs:// or az://"
        ) from None
    return url_to_fs(uri, **storage_options(protocol))


class FsspecArtifactRepository(ArtifactRepository):
    """A run's artifacts under an object-store (or any fsspec) URI."""

    def __init__(self, root: str):
        root = validate_root(root)
        self.fs, path = file_system(root)
        self.root = root.rstrip("/")
        self.root_path = path.rstrip("/")
        if not self.root_path:
            raise InvalidParameter(f"artifact root {redacted(root)} names no bucket or container")

    # -- writing ---------------------------------------------------------------------------

    def log_artifact(self, local_file: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameter(f"no such file to log: {str(source)!r}")
        relative = under(artifact_path, source.name)
        self._path(relative)  # a refused path fails before the file is opened
        with open(source, "rb") as stream:
            return self.upload_stream(relative, stream)

    def log_artifacts(self, local_dir: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameter(f"no such folder to log: {str(source)!r}")
        folder = self._path(artifact_path)
        # Object stores have no empty folders: only the files are copied, and every target
        # is checked before the first is written.
        _, files = local_tree(source)
        targets = {path: under(artifact_path, path) for path in files}
        for target in targets.values():
            self._path(target)
        for path, target in targets.items():
            with open(source / path, "rb") as stream:
                self.upload_stream(target, stream)
        return self._relative(folder)

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        target = self._file_path(artifact_file)
        with self._errors(artifact_file):
            self.fs.pipe_file(target, data)  # one request: the object appears whole
        return self._relative(target)

    def upload_stream(self, artifact_file: str, stream: BinaryIO) -> str:
        target = self._file_path(artifact_file)
        with self._errors(artifact_file):
            # autocommit=False: closing uploads the last part, commit() makes the object
            # appear, discard() aborts the upload; a plain close would publish a partial file.
            out = self.fs.open(target, "wb", block_size=CHUNK_SIZE, autocommit=False)
            try:
                shutil.copyfileobj(stream, out, COPY_BUFFER)
                out.close()
            except BaseException:
                with contextlib.suppress(Exception):
                    out.discard()
                out.closed = True  # nothing left to flush (a later close would commit)
                raise
            out.commit()
        return self._relative(target)

    def delete_artifacts(self, path: str | None = None) -> None:
        target = self._path(path)
        self.fs.invalidate_cache(target)
        with self._errors(path):
            if self.fs.exists(target):
                self.fs.rm(target, recursive=True)

    # -- reading ---------------------------------------------------------------------------

    def read_bytes(self, artifact_file: str) -> bytes:
        target = self._path(artifact_file)
        with self._errors(artifact_file):
            if not self.fs.isfile(target):
                raise NotFound(f"no artifact file {artifact_file!r} in {redacted(self.root)}")
            return self.fs.cat_file(target)

    def open_read(self, artifact_file: str) -> BinaryIO:
        target = self._path(artifact_file)
        with self._errors(artifact_file):
            if not self.fs.isfile(target):
                raise NotFound(f"no artifact file {artifact_file!r} in {redacted(self.root)}")
            return self.fs.open(target, "rb", block_size=CHUNK_SIZE)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        folder = self._path(path)
        self.fs.invalidate_cache(folder)  # another process may have written since
        with self._errors(path):
            if not self.fs.isdir(folder):
                return []
            entries = self.fs.ls(folder, detail=True)
        infos = [
            FileInfo(
                self._relative(entry["name"]),
                entry["type"] == "directory",
                None if entry["type"] == "directory" else entry.get("size"),
            )
            for entry in entries
            if entry["name"].rstrip("/") != folder  # some stores list the folder's marker
        ]
        return sorted(infos, key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str | None, dst_path: str | os.PathLike) -> str:
        source = self._path(artifact_path)
        self.fs.invalidate_cache(source)
        with self._errors(artifact_path):
            if self.fs.isfile(source):
                files = {source: ""}
            elif self.fs.isdir(source):
                found = self.fs.find(source, withdirs=False)
                files = {name: name[len(source) + 1 :] for name in found}
            else:
                what = f"artifact {artifact_path!r}" if artifact_path else "file or folder"
                raise NotFound(f"no {what} at {redacted(self.root)}")
        destination = Path(dst_path) / posixpath.basename(source)
        for name, relative in files.items():
            target = destination.joinpath(*relative_parts(relative))
            target.parent.mkdir(parents=True, exist_ok=True)
            with (
                self._errors(artifact_path),
                self.fs.open(name, "rb", block_size=CHUNK_SIZE) as stream,
                whole_or_nothing(target) as temporary,
                open(temporary, "wb") as out,
            ):
                shutil.copyfileobj(stream, out, COPY_BUFFER)
        if not files:  # an empty folder marker: the copy is an empty folder
            destination.mkdir(parents=True, exist_ok=True)
        return str(destination)

    def uri_of(self, artifact_path: str | None = None) -> str:
        return self.fs.unstrip_protocol(self._path(artifact_path))

    # -- paths -----------------------------------------------------------------------------

    def _path(self, relative: str | None) -> str:
        """The file system's path of ``relative``, by the rules every repository applies."""
        parts = relative_parts(relative)
        return "/".join((self.root_path, *parts))

    def _file_path(self, artifact_file: str) -> str:
        if not relative_parts(artifact_file):
            raise InvalidParameter("artifact_file must name a file, e.g. 'results/summary.json'")
        return self._path(artifact_file)

    def _relative(self, path: str) -> str:
        return path.rstrip("/")[len(self.root_path) + 1 :]

    @contextlib.contextmanager
    def _errors(self, artifact_path: str | None) -> Iterator[None]:
        """A missing file, folder or bucket as ``NotFound``, naming no credentials."""
        try:
            yield
        except FileNotFoundError:
            raise NotFound(
                f"no artifact {artifact_path or ''!r} in {redacted(self.root)} "
                "(or its bucket does not exist)"
            ) from None
