"""Loading a saved model by URI: as a uniform ``PyFuncModel``, or as the flavor's own object."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models import flavors
from labtrack.models.flavors import options
from labtrack.models.metadata import ModelMetadata
from labtrack.models.model_uri import resolve
from labtrack.models.pyfunc_model import PyFuncModel


def load_model(
    model_uri: str | os.PathLike,
    dst_path: str | None = None,
    *,
    model_config: dict[str, Any] | None = None,
    suppress_warnings: bool = False,
) -> PyFuncModel:
    """The model at ``model_uri`` as a ``PyFuncModel`` whose ``predict`` checks its input.

    URIs: ``runs:/<run_id>/<name>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
    ``models:/<name>/<stage>``, ``models:/<name>/latest``, or a local folder.
    ``model_config`` (a dict) overrides, key by key, the ``model_config`` a Python model was
    saved with (its ``context.model_config``). ``suppress_warnings`` is MLflow's and has no
    effect here. Modules saved with the model (``code_paths``) are put first on ``sys.path``.

    >>> model = lt.load_model(f"runs:/{run_id}/model")     # doctest: +SKIP
    >>> model.predict(X_test)
    """
    if model_config is not None and not isinstance(model_config, dict):
        raise InvalidParameter(f"model_config must be a dict, got {type(model_config).__name__}")
    location = resolve(model_uri)
    folder = _copied(location.folder, dst_path)
    metadata = ModelMetadata.load(folder)
    options.add_code_to_path(folder, metadata.flavors)
    flavor, entry = flavors.for_loading(metadata.flavors)
    if model_config is not None:
        if flavor.NAME != "python_function":
            raise InvalidParameter(
                f"model_config applies to python_function models; this one is {flavor.NAME}"
            )
        entry = {**entry, "model_config": {**(entry.get("model_config") or {}), **model_config}}
    native = flavor.load(folder, entry)
    predict_fn = metadata.flavors.get("python_function", {}).get("predict_fn")
    if predict_fn and "pyfunc_predict_fn" not in entry:
        # MLflow records a sklearn model's pyfunc_predict_fn in its python_function entry
        entry = {**entry, "pyfunc_predict_fn": predict_fn}
    predict = flavor.predictor(native, entry)
    return PyFuncModel(metadata, native, predict, flavor.NAME, location.uri, folder)


def load_native(
    model_uri: str | os.PathLike, flavor_name: str, dst_path: str | None = None, **load_options: Any
) -> Any:
    """The framework's own object (estimator, ``nn.Module``, Keras model) saved at ``model_uri``;
    a clear error if the model was saved by another flavor. ``load_options`` go to the
    flavor's ``load`` (e.g. ``custom_objects`` for Keras, ``map_location`` for PyTorch)."""
    folder = _copied(resolve(model_uri).folder, dst_path)
    metadata = ModelMetadata.load(folder)
    flavor = flavors.by_name(flavor_name)
    if flavor.NAME not in metadata.flavors:
        raise InvalidParameter(
            f"{os.fspath(model_uri)!r} is a {' / '.join(metadata.flavors) or 'flavorless'} model, "
            f"not a {flavor.NAME} one; load it with lt.load_model or its own flavor's load_model"
        )
    options.add_code_to_path(folder, metadata.flavors)
    return flavor.load(folder, metadata.flavors[flavor.NAME], **load_options)


def _copied(folder: Path, dst_path: str | None) -> Path:
    """Models are read in place; ``dst_path`` (MLflow's argument) asks for a copy there first."""
    if dst_path is None:
        return folder
    destination = Path(dst_path) / folder.name
    shutil.copytree(folder, destination, dirs_exist_ok=True)
    return destination
