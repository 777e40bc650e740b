"""Model URIs -> the local folder that holds the saved model.

* ``runs:/<run_id>/<path>``: a model logged in a run (the path goes through ``safe_join``);
* ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/<stage>``
  (Staging, production, ... any case) and ``models:/<name>/latest``: the model registry;
* a local folder, or ``file://`` and a folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

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
    elif uri.startswith("models:/"):
        location = _registry_model(uri)
    elif "://" in uri and not uri.startswith("file://"):
        raise InvalidParameter(
            f"unsupported model URI {uri!r}: use runs:/<run_id>/<path>, models:/<name>/<version>, "
            "models:/<name>@<alias> or a local folder"
        )
    else:
        location = ModelLocation(uri, Path(uri.removeprefix("file://")).expanduser())
    if not location.folder.is_dir():
        raise NotFound(f"no saved model at {uri!r} (looked in {location.folder})")
    return location


def _run_model_folder(uri: str) -> Path:
    from labtrack.artifacts import LocalArtifactRepository
    from labtrack.tracking import state

    run_id, path = parse_runs_uri(uri)
    run = state.client().get_run(run_id)
    return LocalArtifactRepository(run.info.artifact_uri).path_of(path)


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
    folder = Path(
        str(client.get_model_version_download_uri(name, str(version))).removeprefix("file://")
    )
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
