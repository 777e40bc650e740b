"""A run's artifacts in a local folder. Every path a caller gives goes through ``safe_join``.

A file appears under its name only once it is whole: it is written to a temporary name in
the same folder and renamed into place (``os.replace``, atomic), and the temporary file is
removed on any error. Listing and downloading skip temporary files, which only a crash
mid-write leaves behind.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from labtrack.artifacts.base import (
    COPY_BUFFER,
    ArtifactRepository,
    FileInfo,
    local_tree,
    relative_parts,
    under,
)
from labtrack.errors import InvalidParameter, NotFound

# ".<name>.tmp-<hex>": a file being written (older versions used the writer's pid as <hex>).
_TEMPORARY = re.compile(r"\..+\.tmp-[0-9a-f]+")

__all__ = ["FileInfo", "LocalArtifactRepository", "safe_join", "whole_or_nothing"]


def safe_join(root: Path, relative: str | None) -> Path:
    """``root / relative``, refusing anything that would leave ``root``.

    Absolute paths, ``..`` parts, drive letters and NUL bytes are refused outright, and the
    resolved result (symlinks followed) must still lie inside ``root``.
    """
    parts = relative_parts(relative)
    if not parts:
        return root
    candidate = root.joinpath(*parts)
    if not candidate.resolve().is_relative_to(_resolved(root)):
        raise InvalidParameter(f"artifact path {relative!r} leads outside the run's folder")
    return candidate


@functools.lru_cache(maxsize=4096)
def _resolved(root: Path) -> Path:
    """A run's folder, symlinks resolved (cached: resolving walks every path component)."""
    return root.resolve()


def _ensure_folder(folder: Path) -> None:
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)


def _is_temporary(name: str) -> bool:
    """Whether a file name is that of a file still being written (or left by a crash)."""
    return name.startswith(".") and _TEMPORARY.fullmatch(name) is not None


@contextlib.contextmanager
def whole_or_nothing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to: renamed onto ``target`` when the block
    completes, removed when it raises (a full disk, an interrupt), so ``target`` is never
    a truncated file."""
    # Beside the target: a rename within one file system is atomic. The name is cut short
    # so that the temporary name stays within the file system's limit on name length.
    temporary = target.with_name(f".{target.name[:60]}.tmp-{secrets.token_hex(6)}")
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _copy_file(source: Path, target: Path) -> None:
    with whole_or_nothing(target) as temporary:
        shutil.copy2(source, temporary)


def _copy_tree(source: Path, target_of: Callable[[str], Path], skip_temporary: bool) -> None:
    """Copies the folders and files under ``source`` (symlinks followed, as
    ``shutil.copytree`` does), each file whole or not at all, to ``target_of(relative
    path)``. Every target is named before anything is written, so a target that
    ``target_of`` refuses stops the whole copy, not just the files after it."""
    folders, files = local_tree(source, _is_temporary if skip_temporary else lambda name: False)
    targets = {path: target_of(path) for path in [*folders, *files]}
    for path in folders:
        _ensure_folder(targets[path])
    for path in files:
        _copy_file(source / path, targets[path])


class LocalArtifactRepository(ArtifactRepository):
    """A run's artifacts in a folder on this machine (a path, or ``file://`` and a path)."""

    is_local = True

    def __init__(self, root: str | os.PathLike):
        self.root = Path(os.fspath(root).removeprefix("file://"))

    def log_artifact(self, local_file: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameter(f"no such file to log: {str(source)!r}")
        target = safe_join(self.root, under(artifact_path, source.name))
        _ensure_folder(target.parent)
        _copy_file(source, target)
        return self._relative(target)

    def log_artifacts(self, local_dir: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameter(f"no such folder to log: {str(source)!r}")
        folder = safe_join(self.root, artifact_path)
        # The check log_text makes, on every path: no writing through a symlink in the
        # run's folder that leads outside it.
        _copy_tree(
            source,
            lambda path: safe_join(self.root, under(artifact_path, path)),
            skip_temporary=False,
        )
        return self._relative(folder)

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        target = self._file_target(artifact_file)
        with whole_or_nothing(target) as temporary:
            temporary.write_bytes(data)
        return self._relative(target)

    def upload_stream(self, artifact_file: str, stream: BinaryIO) -> str:
        target = self._file_target(artifact_file)
        with whole_or_nothing(target) as temporary, open(temporary, "wb") as out:
            shutil.copyfileobj(stream, out, COPY_BUFFER)
        return self._relative(target)

    def path_of(self, artifact_path: str | None = None) -> Path:
        """Local path of an artifact (or of the root), for reading or writing in place."""
        return safe_join(self.root, artifact_path)

    def uri_of(self, artifact_path: str | None = None) -> str:
        return str(self.path_of(artifact_path))

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        folder = safe_join(self.root, path)
        if not folder.is_dir():
            return []
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
        return [
            FileInfo(
                self._relative(entry),
                entry.is_dir(),
                None if entry.is_dir() else entry.stat().st_size,
            )
            for entry in entries
            if not _is_temporary(entry.name)
        ]

    def download_artifacts(self, artifact_path: str | None, dst_path: str | os.PathLike) -> str:
        source = safe_join(self.root, artifact_path)
        if not source.exists() or _is_temporary(source.name):
            raise NotFound(f"no artifact {artifact_path!r} in {self.root}")
        destination = Path(dst_path) / source.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            _copy_tree(source, destination.joinpath, skip_temporary=True)
        else:
            _copy_file(source, destination)
        return str(destination)

    def read_bytes(self, artifact_file: str) -> bytes:
        target = safe_join(self.root, artifact_file)
        if not target.is_file():
            raise NotFound(f"no artifact file {artifact_file!r}")
        return target.read_bytes()

    def open_read(self, artifact_file: str) -> BinaryIO:
        target = safe_join(self.root, artifact_file)
        if not target.is_file():
            raise NotFound(f"no artifact file {artifact_file!r}")
        return open(target, "rb")

    def delete_artifacts(self, path: str | None = None) -> None:
        target = safe_join(self.root, path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()

    def _file_target(self, artifact_file: str) -> Path:
        target = safe_join(self.root, artifact_file)
        if target == self.root:
            raise InvalidParameter("artifact_file must name a file, e.g. 'results/summary.json'")
        _ensure_folder(target.parent)
        return target

    def _relative(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        return "" if relative == "." else relative  # "": the root, as for an object store
