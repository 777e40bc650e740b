"""Model URIs -> the local folder that holds the saved model.

* ``runs:/<run_id>/<path>``: a model logged in a run (the path goes through ``safe_join``);
* ``models:/<model_id>``: a logged model (MLflow 3's ``m-<32 hex>`` id), wherever its files are;
* ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/<stage>``
  (Staging, production, ... any case) and ``models:/<name>/latest``: the model registry;
* a local folder, or ``file://`` and a folder;
* a folder on object storage (``s3://bucket/prefix/model``, ``gs://``, ``az://``).

A model on object storage (an artifact root there, or a remote URI) is downloaded once into
the labtrack home's cache, ``<home>/cache/models/<hash of its URI>/``, and read from there.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from labtrack import env
from labtrack.entities.logged_model import MODEL_ID
from labtrack.entities.model_registry import ModelVersionStage
from labtrack.errors import InvalidParameter, NotFound
from labtrack.runs_uri import is_runs_uri, parse_runs_uri


@dataclass(frozen=True)
class ModelLocation:
    """Where a model URI led: its folder and, for registry URIs, the version it named."""

    uri: str
    folder: Path
    registered_model_name: str | None = None
    version: str | None = None


def resolve(model_uri: str | os.PathLike) -> ModelLocation:
    """The folder of the model ``model_uri`` names; NotFound if there is none."""
    uri = os.fspath(model_uri)
    if is_runs_uri(uri):
        location = ModelLocation(uri, _run_model_folder(uri))
    elif MODEL_ID.fullmatch(uri.removeprefix("models:/")):
        location = ModelLocation(uri, _logged_model_folder(uri.removeprefix("models:/")))
    elif uri.startswith("models:/"):
        location = _registry_model(uri)
    else:
        location = ModelLocation(uri, local_folder(uri))
    if not location.folder.is_dir():
        raise NotFound(f"no saved model at {uri!r} (looked in {location.folder})")
    return location


def local_folder(uri: str) -> Path:
    """A model folder on this machine for ``uri``: the folder itself for a path or
    ``file://``, else (``s3://``, ``gs://``, ``az://``) its copy in the local cache."""
    from labtrack.artifacts import is_local_root

    if is_local_root(uri):
        return Path(uri.removeprefix("file://")).expanduser()
    return _cached_copy(uri)


def _cached_copy(uri: str) -> Path:
    """The model folder at the remote ``uri``, downloaded on first use into the cache and
    reused after: a logged model's files do not change. The download goes to a scratch folder
    renamed into place, so a process never reads a half-downloaded model."""

    key = hashlib.sha256(uri.encode()).hexdigest()[:32]
    cached = env.default_home() / "cache" / "models" / key
    folder = cached / (posixpath.basename(uri.rstrip("/")) or "model")
    if folder.is_dir():
        return folder
    try:
        from labtrack.tracking import state

        repository = state.client().artifact_repository(uri)
    except InvalidParameter as error:
        raise InvalidParameter(
            f"unsupported model URI: {error}; use runs:/<run_id>/<path>, "
            "models:/<name>/<version>, models:/<name>@<alias>, a local folder or an "
            "s3://, gs:// or az:// folder"
        ) from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cached.parent))
    try:
        try:
            repository.download_artifacts(None, scratch)
        except NotFound:
            raise NotFound(f"no saved model at {repository.uri_of()!r}") from None
        try:
            os.rename(scratch, cached)  # atomic: the whole model or nothing
        except OSError:
            if not folder.is_dir():  # else another process cached it first: use theirs
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def _run_model_folder(uri: str) -> Path:
    from labtrack.tracking import state

    run_id, path = parse_runs_uri(uri)
    run = state.client().get_run(run_id)
    return local_folder(state.client().artifact_repository(run.info.artifact_uri).uri_of(path))


def _logged_model_folder(model_id: str) -> Path:
    """The folder of a logged model: its artifact location, as ``runs:/`` URIs read it."""
    from labtrack.tracking import state

    client = state.client()
    location = client.get_logged_model(model_id).artifact_location
    return local_folder(client.artifact_repository(location).uri_of(None))


def _registry_model(uri: str) -> ModelLocation:
    """A registry URI through the registry's client (MLflow's names)."""
    from labtrack.client import Client

    body = uri.removeprefix("models:/").strip("/")
    client = Client()
    if "@" in body:
        name, _, alias = body.rpartition("@")
        version = client.get_model_version_by_alias(name, alias).version
    else:
        name, _, reference = body.rpartition("/")
        if not name or not reference:
            raise InvalidParameter(
                f"model URI {uri!r} must be models:/<name>/<version>, models:/<name>/<stage>, "
                "models:/<name>/latest or models:/<name>@<alias>"
            )
        version = _version_for(client, name, reference)
    source = str(client.get_model_version_download_uri(name, str(version)))
    if MODEL_ID.fullmatch(source.removeprefix("models:/")):  # a registered logged model
        folder = _logged_model_folder(source.removeprefix("models:/"))
    else:
        folder = local_folder(source)
    return ModelLocation(uri, folder, name, str(version))


def _version_for(client, name: str, reference: str) -> str:
    if re.fullmatch(r"[0-9]+", reference.strip()):  # not isdigit(): "²" is a digit to it
        return reference.strip()
    if reference.lower() == "latest":
        versions = client.get_latest_versions(name)
        label = "any stage"
    else:
        try:
            stage = ModelVersionStage.canonical(reference)
        except InvalidParameter:
            raise InvalidParameter(
                f"{reference!r} is neither a version number, 'latest', nor a stage "
                f"({', '.join(ModelVersionStage.ALL)}); for an alias write models:/{name}@{reference}"
            ) from None
        versions = client.get_latest_versions(name, stages=[stage])
        label = f"stage {stage}"
    if not versions:
        raise NotFound(f"registered model {name!r} has no version in {label}")
    return str(max(int(v.version) for v in versions))
