"""Artifact storage. Local folders now; the repository interface leaves room for fsspec URLs."""

from labtrack.artifacts.local import FileInfo, LocalArtifactRepository, safe_join

__all__ = ["FileInfo", "LocalArtifactRepository", "safe_join"]
