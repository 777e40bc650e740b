"""Saving a model to a folder, and logging it into a run (and the registry).

A saved model is a folder: the flavor's files, ``MLmodel`` (flavors, versions, signature,
input example, uuid, run, time), ``requirements.txt`` and, when given, ``input_example.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from labtrack.entities.logged_model import LoggedModelStatus
from labtrack.errors import AlreadyExists, InvalidParameter
from labtrack.models import flavors
from labtrack.models.input_example import save_input_example
from labtrack.models.metadata import PYFUNC, REQUIREMENTS_FILE, ModelMetadata
from labtrack.models.signature import ModelSignature, infer_schema

HISTORY_TAG = "mlflow.log-model.history"  # MLflow's run tag listing the models logged in it


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` logged: load it back with ``lt.load_model(info.model_uri)``
    (``models:/<model_id>``, MLflow 3's URI of the logged model; ``runs:/<run_id>/<name>``
    names the same files)."""

    model_uri: str
    run_id: str
    artifact_path: str
    flavors: dict[str, dict[str, Any]]
    signature: ModelSignature | None
    model_uuid: str
    utc_time_created: str
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None
    model_id: str | None = None

    @property
    def name(self) -> str:
        """The model's name in its run (MLflow 3's name for ``artifact_path``)."""
        return self.artifact_path


def save_model(
    model: Any,
    path: str | os.PathLike,
    *,
    flavor: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    **flavor_options: Any,
) -> ModelMetadata:
    """Save ``model`` into the new folder ``path``; the flavor is detected unless named.

    Without ``signature``, one is inferred from ``input_example``: its columns (or tensor
    shape) and the type of the model's prediction on it.

    >>> lt.models.save_model(clf, "iris_model", input_example=X[:5])   # doctest: +SKIP
    """
    return _save(
        model,
        Path(path),
        flavor,
        signature,
        input_example,
        pip_requirements,
        extra_pip_requirements,
        metadata,
        flavor_options,
        run_id=None,
        artifact_path=None,
    )


def log_model(
    model: Any,
    name: str | None = None,
    *,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    flavor: str | None = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    run_id: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    **flavor_options: Any,
) -> ModelInfo:
    """Save ``model`` as ``name`` among the active run's artifacts (a run is started if none
    is active) and, with ``registered_model_name``, register it as a new version.

    As in MLflow 3 the model is also a logged model with its own id (``info.model_id``),
    ``params``, ``tags`` and ``model_type``, found by ``lt.search_logged_models`` and
    loaded by ``info.model_uri`` (``models:/<model_id>``); ``step`` is the run's step when
    it was logged.

    >>> info = lt.log_model(clf, "model", input_example=X_train[:5],   # doctest: +SKIP
    ...                     registered_model_name="iris")
    >>> lt.load_model(info.model_uri).predict(X_test)
    """
    from labtrack.tracking import fluent, state

    name = _model_name(name, artifact_path)
    active = (
        fluent.active_run()
    )  # the fluent API's rule: the given run, the active one, or a new one
    target_run = run_id or (active.info.run_id if active else fluent.start_run().info.run_id)
    logged = _create_logged_model(target_run, name, params, tags, model_type, step)
    with (
        _failed_on_error(logged.model_id),
        tempfile.TemporaryDirectory(prefix="labtrack-model-") as scratch,
    ):
        saved = _save(
            model,
            Path(scratch) / "model",
            flavor,
            signature,
            input_example,
            pip_requirements,
            extra_pip_requirements,
            metadata,
            flavor_options,
            run_id=target_run,
            artifact_path=name,
            model_id=logged.model_id,
        )
        fluent.log_artifacts(str(Path(scratch) / "model"), name, run_id=target_run)
    _record_in_run(target_run, saved)
    state.client().finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    fluent.remember_logged_model(logged.model_id, target_run, step)
    version = None
    if registered_model_name:
        from labtrack.registry import register_model

        # The run's URI: the version then records its run, as labtrack's registry shows it.
        run_uri = f"runs:/{target_run}/{name}"
        version = int(register_model(run_uri, registered_model_name).version)
    return ModelInfo(
        logged.model_uri,
        target_run,
        name,
        saved.flavors,
        saved.signature,
        saved.model_uuid,
        saved.utc_time_created,
        saved.saved_input_example_info,
        saved.metadata,
        version,
        logged.model_id,
    )


def _create_logged_model(run_id: str, name: str, params, tags, model_type, step):
    """The PENDING logged model whose files ``log_model`` is about to write."""
    from labtrack.tracking import state

    client = state.client()
    return client.create_logged_model(
        client.get_run(run_id).info.experiment_id,
        name,
        source_run_id=run_id,
        params=params,
        tags=tags,
        model_type=model_type,
        step=step,
    )


@contextlib.contextmanager
def _failed_on_error(model_id: str):
    """Mark the logged model FAILED if saving or uploading its files fails."""
    try:
        yield
    except BaseException:
        from labtrack.tracking import state

        state.client().finalize_logged_model(model_id, LoggedModelStatus.FAILED)
        raise


def _model_name(name: str | None, artifact_path: str | None) -> str:
    if name and artifact_path and name != artifact_path:
        raise InvalidParameter(
            f"give the model one name: name={name!r} and artifact_path={artifact_path!r} differ"
        )
    chosen = name or artifact_path
    if not isinstance(chosen, str) or not chosen.strip("/"):
        raise InvalidParameter(
            "log_model needs a name for the model in the run, e.g. lt.log_model(clf, 'model')"
        )
    return chosen.strip("/")


def _save(
    model: Any,
    folder: Path,
    flavor_name: str | None,
    signature: ModelSignature | None,
    input_example: Any,
    pip_requirements,
    extra_pip_requirements,
    user_metadata,
    flavor_options: dict[str, Any],
    *,
    run_id: str | None,
    artifact_path: str | None,
    model_id: str | None = None,
) -> ModelMetadata:
    from labtrack._version import __version__

    flavor = flavors.by_name(flavor_name) if flavor_name else flavors.detect(model)
    if flavor_name and not flavor.matches(model):
        raise InvalidParameter(f"a {type(model).__qualname__} is not a {flavor.NAME} model")
    if folder.exists() and any(folder.iterdir()):
        raise AlreadyExists(
            f"cannot save a model into {str(folder)!r}: the folder exists and is not empty"
        )
    folder.mkdir(parents=True, exist_ok=True)
    entry = flavor.save(model, folder, **flavor_options)
    example_info = example = None
    if input_example is not None:
        example_info, example = save_input_example(input_example, folder)
    if signature is None and example is not None:
        signature = _infer_from_example(flavor, model, folder, entry, example)
    metadata = ModelMetadata(
        flavors={flavor.NAME: entry}
        if flavor.NAME == PYFUNC
        else {flavor.NAME: entry, PYFUNC: _pyfunc_entry(flavor)},
        signature=signature,
        saved_input_example_info=example_info,
        artifact_path=artifact_path,
        run_id=run_id,
        model_id=model_id,
        labtrack_version=__version__,
        metadata=user_metadata,
    )
    metadata.flavors[PYFUNC]["python_version"] = platform.python_version()
    metadata.save(folder)
    requirements = pip_requirements if pip_requirements is not None else _requirements(flavor)
    (folder / REQUIREMENTS_FILE).write_text(
        "\n".join([*requirements, *(extra_pip_requirements or [])]) + "\n"
    )
    return metadata


def _pyfunc_entry(flavor: ModuleType) -> dict[str, Any]:
    """The python_function entry of a native flavor: which labtrack module loads it."""
    namespace = {
        "sklearn": "labtrack.sklearn",
        "pytorch": "labtrack.pytorch",
        "keras": "labtrack.keras",
    }
    return {"loader_module": namespace[flavor.NAME]}


def _infer_from_example(
    flavor: ModuleType, model: Any, folder: Path, entry: dict[str, Any], example: Any
) -> ModelSignature | None:
    """Inputs from the example; outputs from predicting on it (a failure there only warns:
    the model is still saved, with an input schema)."""
    inputs = infer_schema(example)
    try:
        # A PythonModel's predict may need what load_context sets up: load the saved copy
        # (a pickle, cheap). Other flavors predict with the object in memory.
        native = flavor.load(folder, entry) if flavor.NAME == PYFUNC else model
        outputs = infer_schema(flavor.predictor(native, entry)(example, None))
    except Exception as error:
        warnings.warn(
            f"labtrack: the model could not predict on its input example ({type(error).__name__}: {error}); "
            "its signature has inputs but no outputs",
            stacklevel=4,
        )
        outputs = None
    return ModelSignature(inputs, outputs)


def _requirements(flavor: ModuleType) -> list[str]:
    """``labtrack`` and the flavor's packages, pinned to the versions installed here."""
    from importlib.metadata import PackageNotFoundError, version

    from labtrack._version import __version__

    lines = [f"labtrack=={__version__}"]
    for package in flavor.PACKAGES:
        try:
            lines.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            lines.append(package)
    return lines


def _record_in_run(run_id: str, saved: ModelMetadata) -> None:
    """Append the model to the run's ``mlflow.log-model.history`` tag, as MLflow does, so that
    a run's models can be found without listing its artifacts."""
    from labtrack.tracking import state
    from labtrack.tracking.validation import MAX_TAG_VALUE_LENGTH

    client = state.client()
    history = json.loads(client.get_run(run_id).data.tags.get(HISTORY_TAG) or "[]")
    history.append(
        {
            "run_id": run_id,
            "artifact_path": saved.artifact_path,
            "utc_time_created": saved.utc_time_created,
            "flavors": sorted(saved.flavors),
            "model_uuid": saved.model_uuid,
        }
    )
    text = json.dumps(history)
    while len(text) > MAX_TAG_VALUE_LENGTH and len(history) > 1:  # keep the newest entries
        history.pop(0)
        text = json.dumps(history)
    client.set_tag(run_id, HISTORY_TAG, text)
