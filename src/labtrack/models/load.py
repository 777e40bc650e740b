"""Loading a saved model by URI: as a uniform ``PyFuncModel``, or as the flavor's own object."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models import flavors
from labtrack.models.metadata import ModelMetadata
from labtrack.models.model_uri import resolve
from labtrack.models.pyfunc_model import PyFuncModel


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> PyFuncModel:
    """The model at ``model_uri`` as a ``PyFuncModel`` whose ``predict`` checks its input.

    URIs: ``runs:/<run_id>/<name>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
    ``models:/<name>/<stage>``, ``models:/<name>/latest``, or a local folder.

    >>> model = lt.load_model(f"runs:/{run_id}/model")     # doctest: +SKIP
    >>> model.predict(X_test)
    """
    location = resolve(model_uri)
    folder = _copied(location.folder, dst_path)
    metadata = ModelMetadata.load(folder)
    flavor, entry = flavors.for_loading(metadata.flavors)
    native = flavor.load(folder, entry)
    return PyFuncModel(metadata, native, flavor.predictor(native), flavor.NAME, location.uri)


def load_native(model_uri: str | os.PathLike, flavor_name: str, dst_path: str | None = None) -> Any:
    """The framework's own object (estimator, ``nn.Module``, Keras model) saved at ``model_uri``;
    a clear error if the model was saved by another flavor."""
    folder = _copied(resolve(model_uri).folder, dst_path)
    metadata = ModelMetadata.load(folder)
    flavor = flavors.by_name(flavor_name)
    if flavor.NAME not in metadata.flavors:
        raise InvalidParameter(
            f"{os.fspath(model_uri)!r} is a {' / '.join(metadata.flavors) or 'flavorless'} model, "
            f"not a {flavor.NAME} one; load it with lt.load_model or its own flavor's load_model"
        )
    return flavor.load(folder, metadata.flavors[flavor.NAME])


def _copied(folder: Path, dst_path: str | None) -> Path:
    """Models are read in place; ``dst_path`` (MLflow's argument) asks for a copy there first."""
    if dst_path is None:
        return folder
    destination = Path(dst_path) / folder.name
    shutil.copytree(folder, destination, dirs_exist_ok=True)
    return destination
