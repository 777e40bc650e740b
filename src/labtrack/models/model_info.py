"""MLflow's ``Model`` (the ``MLmodel`` file, loaded by model URI) and
``mlflow.models.get_model_info``: a saved model's metadata without loading the model itself.

>>> info = lt.models.get_model_info(f"runs:/{run_id}/model")  # doctest: +SKIP
>>> info.signature, sorted(info.flavors)
"""

from __future__ import annotations

import os
from pathlib import Path

from labtrack.entities.logged_model import MODEL_ID
from labtrack.entities.model_registry import logged_model_id_of
from labtrack.errors import InvalidParameter
from labtrack.models.metadata import METADATA_FILE, ModelMetadata
from labtrack.models.model_uri import ModelLocation, resolve
from labtrack.models.save import ModelInfo
from labtrack.runs_uri import is_runs_uri, parse_runs_uri


class Model(ModelMetadata):
    """MLflow's ``Model``: the parsed ``MLmodel`` file of a saved model, which ``load`` finds
    by model URI as ``load_model`` does."""

    @classmethod
    def load(cls, path: str | os.PathLike) -> Model:
        """The ``MLmodel`` of the model at ``path``: a folder, the ``MLmodel`` file itself, or
        a model URI (``runs:/<run_id>/<name>``, ``models:/<model_id>``,
        ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``s3://...``), with or
        without ``/MLmodel`` at its end. Raises ``NotFound`` when there is no saved model there.
        """
        return cls._located(path)[0]

    @classmethod
    def _located(cls, path: str | os.PathLike) -> tuple[Model, ModelLocation]:
        uri = _checked_uri(path)
        if Path(uri).is_file():  # a local MLmodel file
            folder = Path(uri).parent
            return super().load(uri), ModelLocation(uri, folder)
        location = resolve(_model_uri(uri))
        return super().load(location.folder), location

    def get_model_info(self) -> ModelInfo:
        """This model's ``ModelInfo``, as ``log_model`` returned it. Its ``model_uri`` is
        ``models:/<model_id>`` for a logged model, else ``runs:/<run_id>/<artifact_path>``,
        as in MLflow."""
        model_id = self.model_id
        uri = f"models:/{model_id}" if model_id else f"runs:/{self.run_id}/{self.artifact_path}"
        return ModelInfo(
            model_uri=uri,
            run_id=self.run_id,
            artifact_path=self.artifact_path,
            flavors=self.flavors,
            signature=self.signature,
            model_uuid=self.model_uuid,
            utc_time_created=self.utc_time_created,
            saved_input_example_info=self.saved_input_example_info,
            metadata=self.metadata,
            model_id=model_id,
        )


def get_model_info(model_uri: str | os.PathLike) -> ModelInfo:
    """MLflow's ``mlflow.models.get_model_info``: the ``ModelInfo`` (flavors, signature,
    run_id, artifact_path, model_uuid, utc_time_created, model_id, ...) of the model at
    ``model_uri`` (any URI ``Model.load`` takes), read from its ``MLmodel`` file without
    loading the model. Raises ``NotFound`` when there is no saved model there.

    >>> lt.models.get_model_info(info.model_uri).signature  # doctest: +SKIP
    """
    model, location = Model._located(model_uri)
    if model.model_id is None:  # saved before MLmodel recorded it: the URI or the store knows
        model.model_id = _logged_model_id(location)
    return model.get_model_info()


def _checked_uri(path: object) -> str:
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise InvalidParameter(f"a model URI or path must be a non-empty string, got {path!r}")
    return os.fspath(path)


def _model_uri(uri: str) -> str:
    """The model's own URI: MLflow reads ``.../model/MLmodel`` and ``.../model`` alike."""
    return uri.rstrip("/").removesuffix("/" + METADATA_FILE)


def _logged_model_id(location: ModelLocation) -> str | None:
    """The logged model (MLflow 3's ``m-...`` id) the URI led to, if any, for a model whose
    ``MLmodel`` does not record it (saved by an older labtrack)."""
    uri = _model_uri(location.uri)
    if MODEL_ID.fullmatch(uri.removeprefix("models:/")):
        return uri.removeprefix("models:/")
    if location.registered_model_name is not None:
        from labtrack.client import Client

        version = Client().get_model_version(location.registered_model_name, location.version)
        found = version.model_id or logged_model_id_of(version.source)
        if found:
            return found
        uri = version.source  # registered from a run's URI: the run knows its model
    if is_runs_uri(uri):
        run_id, path = parse_runs_uri(uri)
        return _model_id_in_run(run_id, path)
    return None


def _model_id_in_run(run_id: str, name: str) -> str | None:
    """The id of the live logged model ``name`` of run ``run_id`` (None if there is none)."""
    from labtrack.tracking import state

    client = state.client()
    run = client.get_run(run_id)
    matches = [
        logged.model_id
        for logged in client.search_logged_models(
            [run.info.experiment_id], f"source_run_id = '{run_id}'"
        )
        if logged.name == name
    ]
    return matches[0] if matches else None
