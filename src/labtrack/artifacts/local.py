"""A run's artifacts in a local folder. Every path a caller gives goes through ``safe_join``."""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from labtrack.errors import InvalidParameter, NotFound


@dataclass(frozen=True)
class FileInfo:
    path: str  # relative to the run's artifact root, with '/' separators
    is_dir: bool
    file_size: int | None


def safe_join(root: Path, relative: str | None) -> Path:
    """``root / relative``, refusing anything that would leave ``root``.

    Absolute paths, ``..`` parts, drive letters and NUL bytes are refused outright, and the
    resolved result (symlinks followed) must still lie inside ``root``.
    """
    if not relative:
        return root
    if not isinstance(relative, str):
        raise InvalidParameter(f"artifact path must be a string, got {type(relative).__name__}")
    normalized = relative.replace("\\", "/")
    parts = PurePosixPath(normalized).parts
    if "\x00" in normalized or normalized.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise InvalidParameter(f"artifact path {relative!r} must be relative and stay inside the run's folder")
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


class LocalArtifactRepository:
    def __init__(self, root: str | Path):
        self.root = Path(str(root).removeprefix("file://"))

    def log_artifact(self, local_file: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameter(f"no such file to log: {str(source)!r}")
        folder = safe_join(self.root, artifact_path)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, folder / source.name)
        return self._relative(folder / source.name)

    def log_artifacts(self, local_dir: str | os.PathLike, artifact_path: str | None = None) -> str:
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameter(f"no such folder to log: {str(source)!r}")
        folder = safe_join(self.root, artifact_path)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, folder, dirs_exist_ok=True)
        return self._relative(folder)

    def write_bytes(self, artifact_file: str, data: bytes) -> str:
        target = safe_join(self.root, artifact_file)
        if target == self.root:
            raise InvalidParameter("artifact_file must name a file, e.g. 'results/summary.json'")
        _ensure_folder(target.parent)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        temporary.write_bytes(data)
        temporary.replace(target)  # readers never see half a file
        return self._relative(target)

    def path_of(self, artifact_path: str | None = None) -> Path:
        """Local path of an artifact (or of the root), for writing in place."""
        return safe_join(self.root, artifact_path)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        folder = safe_join(self.root, path)
        if not folder.is_dir():
            return []
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
        return [
            FileInfo(self._relative(entry), entry.is_dir(), None if entry.is_dir() else entry.stat().st_size)
            for entry in entries
            if not (entry.name.startswith(".") and ".tmp-" in entry.name)  # half-written files
        ]

    def download_artifacts(self, artifact_path: str | None, dst_path: str | os.PathLike) -> str:
        source = safe_join(self.root, artifact_path)
        if not source.exists():
            raise NotFound(f"no artifact {artifact_path!r} in {self.root}")
        destination = Path(dst_path) / source.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)
        return str(destination)

    def read_bytes(self, artifact_file: str) -> bytes:
        target = safe_join(self.root, artifact_file)
        if not target.is_file():
            raise NotFound(f"no artifact file {artifact_file!r}")
        return target.read_bytes()

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()
