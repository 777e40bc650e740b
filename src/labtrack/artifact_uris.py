"""MLflow's ``mlflow.artifacts``: download, list and read artifacts by URI.

URIs: ``runs:/<run_id>/<path>`` (through the tracking store, so files this process still
writes in the background are there), a model's ``models:/...`` URI (the whole model folder,
as ``load_model`` finds it), a run's ``artifact_uri`` and a path under it, a local path or
``file://``, or an object-store URI (``s3://``, ``gs://``, ``az://``).

A module of its own rather than part of ``labtrack.artifacts``: that package is the artifact
storage layer under the tracking store, and these functions read runs and the model registry
through the tracking client.

>>> import labtrack.artifact_uris as artifacts                      # doctest: +SKIP
>>> artifacts.load_dict(f"runs:/{run_id}/config.json")
>>> artifacts.download_artifacts(f"runs:/{run_id}/plots", dst_path="out")
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labtrack.artifacts import FileInfo, is_local_root
from labtrack.errors import InvalidParameter
from labtrack.runs_uri import is_runs_uri, parse_runs_uri

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

MODELS_SCHEME = "models:/"


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | os.PathLike | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Copy an artifact file or folder to ``dst_path`` (created if missing; a new temporary
    folder by default) and return the local path of the copy.

    Name it either by ``artifact_uri`` or by ``run_id`` with an optional ``artifact_path``
    (the run's whole artifacts by default), never both. ``tracking_uri`` names the store
    that ``runs:/`` URIs and ``run_id`` are looked up in (the current one by default).
    Raises ``InvalidParameter`` for a bad combination and ``NotFound`` for an artifact that
    does not exist.

    >>> download_artifacts(f"runs:/{run_id}/model", dst_path="here")  # doctest: +SKIP
    'here/model'
    """
    run_id, path, uri = _target(artifact_uri, run_id, artifact_path)
    destination = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp())
    destination.mkdir(parents=True, exist_ok=True)
    if run_id is not None:
        return _client(tracking_uri).download_artifacts(run_id, path, str(destination))
    if uri.startswith(MODELS_SCHEME):
        from labtrack.models.model_uri import resolve

        folder = resolve(uri).folder
        copy = destination / folder.name
        shutil.copytree(folder, copy, dirs_exist_ok=True)
        return str(copy)
    root, name = _split(uri)
    return _client(tracking_uri).artifact_repository(root).download_artifacts(name, destination)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and folders (``FileInfo``: path, is_dir, file_size) directly inside an
    artifact folder, named as for ``download_artifacts`` (``models:/`` URIs excepted). As
    in MLflow, paths are relative to the run's artifact root for a run, and to the folder
    that holds the URI's last part otherwise.

    >>> [f.path for f in list_artifacts(f"runs:/{run_id}/plots")]  # doctest: +SKIP
    ['plots/loss.png']
    """
    run_id, path, uri = _target(artifact_uri, run_id, artifact_path)
    if run_id is not None:
        return _client(tracking_uri).list_artifacts(run_id, path or None)
    if uri.startswith(MODELS_SCHEME):
        raise InvalidParameter(
            f"list_artifacts does not take a model URI ({uri!r}): download the model with "
            "download_artifacts, or list the runs:/ URI it was logged under"
        )
    root, name = _split(uri)
    return _client(tracking_uri).artifact_repository(root).list_artifacts(name)


def load_text(artifact_uri: str) -> str:
    """The artifact file at ``artifact_uri`` as text (UTF-8). Raises ``InvalidParameter`` if
    it is not valid UTF-8, ``NotFound`` if it does not exist."""
    return _decoded(_read(artifact_uri), artifact_uri)


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """The JSON artifact file at ``artifact_uri`` (as ``log_dict`` writes it) as a dict.
    Raises ``InvalidParameter`` if it is not UTF-8 JSON."""
    text = _decoded(_read(artifact_uri), artifact_uri)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidParameter(f"artifact {artifact_uri!r} is not JSON: {error}") from None


def load_image(artifact_uri: str):
    """The image artifact at ``artifact_uri`` as a ``PIL.Image.Image`` (needs Pillow).
    Raises ``InvalidParameter`` if Pillow is missing or the file is not an image."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise InvalidParameter("load_image needs Pillow: pip install Pillow") from None
    import io

    try:
        image = Image.open(io.BytesIO(_read(artifact_uri)))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidParameter(f"artifact {artifact_uri!r} is not an image: {error}") from None
    return image


def _target(
    artifact_uri: str | None, run_id: str | None, artifact_path: str | None
) -> tuple[str | None, str, str]:
    """(run_id, path in the run, other URI) named by MLflow's arguments; a ``runs:/`` URI
    gives a run and a path."""
    if (artifact_uri is None) == (run_id is None):
        raise InvalidParameter("exactly one of artifact_uri and run_id must be given")
    if artifact_uri is not None and artifact_path is not None:
        raise InvalidParameter("artifact_path goes with run_id, not with artifact_uri")
    if run_id is not None:
        if not isinstance(run_id, str) or not run_id:
            raise InvalidParameter(f"run_id must be a run id string, got {run_id!r}")
        return run_id, (artifact_path or "").strip("/"), ""
    if isinstance(artifact_uri, os.PathLike):
        artifact_uri = os.fspath(artifact_uri)
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise InvalidParameter(f"artifact_uri must be a non-empty string, got {artifact_uri!r}")
    if is_runs_uri(artifact_uri):
        run, path = parse_runs_uri(artifact_uri, path_required=False)
        return run, path, ""
    return None, "", artifact_uri


def _split(uri: str) -> tuple[str, str]:
    """(folder, name) of a URI or path: the repository to open and what to read in it."""
    if is_local_root(uri):
        path = Path(uri.removeprefix("file://")).absolute()
        return str(path.parent), path.name
    root, name = posixpath.split(uri.rstrip("/"))
    return root, name


def _read(artifact_uri: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="labtrack-") as folder:
        local = Path(download_artifacts(artifact_uri, dst_path=folder))
        if not local.is_file():
            raise InvalidParameter(f"artifact {artifact_uri!r} is a folder, not a file")
        return local.read_bytes()


def _decoded(data: bytes, artifact_uri: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(
            f"artifact {artifact_uri!r} is not valid UTF-8: download it with "
            "download_artifacts and open it with its own encoding"
        ) from None


def _client(tracking_uri: str | None) -> TrackingClient:
    from labtrack.tracking import state
    from labtrack.tracking.client import TrackingClient

    return TrackingClient(tracking_uri) if tracking_uri else state.client()


__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]
