"""The generic Python flavor: a plain function, any object with ``predict``, or a
``PythonModel`` subclass, pickled with cloudpickle (so code defined in a notebook travels
with it). Files the model needs are copied in as ``artifacts/`` and handed to
``load_context``. The ``MLmodel`` entry is MLflow's ``python_function`` with
``python_model``."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models.flavors import options
from labtrack.models.python_model import PythonModel, PythonModelContext, call_predict

NAME = "python_function"
PACKAGES = ("cloudpickle",)
MODEL_FILE = "python_model.pkl"
ARTIFACTS_FOLDER = "artifacts"


def matches(model: Any) -> bool:
    return callable(getattr(model, "predict", None)) or callable(model)


@dataclass
class LoadedPythonModel:
    """A loaded Python model with the context its ``predict`` is called with."""

    python_model: Any
    context: PythonModelContext

    def predict(self, data: Any, params: dict | None = None) -> Any:
        model = self.python_model
        if isinstance(model, PythonModel) or callable(getattr(model, "predict", None)):
            return call_predict(model.predict, self.context, data, params)
        return call_predict(model, None, data, params)  # a plain function


@dataclass(frozen=True)
class LoaderModule:
    """MLflow's other way to write a Python model: a module with ``_load_pyfunc(data_path)``
    (``loader_module``) that builds the model from files (``data_path``) when it loads.
    ``lt.pyfunc.save_model(path, loader_module=..., data_path=...)`` saves one."""

    loader_module: str
    data_path: str | None = None

    def predict(self, data: Any) -> Any:
        raise InvalidParameter("a loader module's model predicts once loaded, not before")


def save(
    model: Any,
    folder: Path,
    artifacts: dict[str, str] | None = None,
    model_config: dict[str, Any] | str | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    extra_files: list[str] | None = None,
) -> dict[str, Any]:
    """``python_model.pkl`` (cloudpickle), ``artifacts`` copied in, and ``model_config`` (a
    dict, or a YAML file's path) kept in the entry for ``context.model_config``."""
    import cloudpickle

    if isinstance(model, LoaderModule):
        entry: dict[str, Any] = {"loader_module": model.loader_module}
        if model.data_path is not None:
            entry["data"] = _copy_data(model.data_path, folder)
    elif not matches(model):
        raise InvalidParameter(
            f"python_model must be a function or have a predict method; got {type(model).__name__}"
        )
    else:
        with open(folder / MODEL_FILE, "wb") as file:
            cloudpickle.dump(model, file)
        entry = {
            "loader_module": "labtrack.pyfunc",
            "python_model": MODEL_FILE,
            "cloudpickle_version": cloudpickle.__version__,
        }
    if artifacts:
        entry["artifacts"] = _copy_artifacts(artifacts, folder)
    if model_config is not None:
        entry["model_config"] = _model_config(model_config)
    return options.write_common(folder, entry, code_paths, conda_env, extra_files)


def _copy_data(data_path: str, folder: Path) -> str:
    """``data_path`` (a file or folder) copied to ``data/<its name>``, as MLflow lays it out."""
    source = Path(data_path)
    if not source.exists():
        raise InvalidParameter(f"data_path: no such file or folder {str(data_path)!r}")
    relative = f"data/{source.resolve().name}"
    (folder / "data").mkdir()
    if source.is_dir():
        shutil.copytree(source, folder / relative)
    else:
        shutil.copy2(source, folder / relative)
    return relative


def _model_config(model_config: Any) -> dict[str, Any]:
    if isinstance(model_config, (str, os.PathLike)) and os.path.isfile(model_config):
        import yaml

        model_config = yaml.safe_load(Path(model_config).read_text())
    if not isinstance(model_config, dict):
        raise InvalidParameter(
            f"model_config must be a dict or the path of a YAML file holding one, got {model_config!r}"
        )
    return model_config


def _copy_artifacts(artifacts: dict[str, str], folder: Path) -> dict[str, dict[str, str]]:
    """Copies each artifact (a local file or folder; one in a run, ``runs:/<run_id>/<path>``;
    a registered model, ``models:/<name>/<version>`` or ``@<alias>``; or one at an ``s3://``,
    ``gs://`` or ``az://`` URI, downloaded) into the model's ``artifacts/<name>/``."""
    import tempfile

    from labtrack.artifacts import is_local_root, open_repository

    if not isinstance(artifacts, dict):
        raise InvalidParameter(f"artifacts must be a dict of name: path or URI, got {artifacts!r}")
    copied = {}
    with tempfile.TemporaryDirectory(prefix="labtrack-artifacts-") as scratch:
        for name, source in artifacts.items():
            tracked = _tracked_artifact(str(source), Path(scratch) / str(len(copied)))
            remote = tracked is None and not is_local_root(str(source))
            if tracked is not None:
                source_path = tracked
            elif remote:
                source_path = Path(str(source).rstrip("/"))
            else:
                source_path = Path(str(source).removeprefix("file://"))
            if not remote and not source_path.exists():
                raise InvalidParameter(f"artifact {name!r}: no such file or folder {str(source)!r}")
            relative = f"{ARTIFACTS_FOLDER}/{name}/{source_path.name}"
            target = _artifact_target(folder, name, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            if remote:  # lands as target: the file's or folder's own name, in its parent
                open_repository(str(source)).download_artifacts(None, target.parent)
            elif source_path.is_dir():
                shutil.copytree(source_path, target)
            else:
                shutil.copy2(source_path, target)
            copied[name] = {"path": relative, "uri": str(source)}
    return copied


def _tracked_artifact(uri: str, scratch: Path) -> Path | None:
    """The local copy of a ``runs:/`` or ``models:/`` artifact (downloaded into ``scratch``,
    as MLflow downloads them), or None for any other source."""
    from labtrack.runs_uri import is_runs_uri, parse_runs_uri

    if is_runs_uri(uri):
        from labtrack.tracking import state

        run_id, path = parse_runs_uri(uri, path_required=False)
        scratch.mkdir(parents=True)
        return Path(state.client().download_artifacts(run_id, path, str(scratch)))
    if uri.startswith("models:/"):
        from labtrack.models.model_uri import resolve

        return resolve(uri).folder
    return None


def _artifact_target(folder: Path, name: Any, relative: str) -> Path:
    """Where an artifact is copied to: ``name`` is one folder under ``artifacts/``, never a
    way out of the model's folder (``"../../x"``, an absolute path)."""
    from labtrack.artifacts import safe_join

    if (
        not isinstance(name, str)
        or not name.strip()
        or "/" in name
        or "\\" in name
        or name in (".", "..")
    ):
        raise InvalidParameter(
            f"artifact name {name!r} must be a non-empty name without '/' (a folder under "
            f"{ARTIFACTS_FOLDER}/)"
        )
    try:
        return safe_join(folder, relative)
    except InvalidParameter:
        raise InvalidParameter(
            f"artifact {name!r} would be saved outside the model's folder ({relative!r})"
        ) from None


def load(folder: Path, entry: dict[str, Any]) -> LoadedPythonModel:
    import cloudpickle

    from labtrack.artifacts import safe_join

    artifacts = {
        name: str(safe_join(folder, item["path"]))
        for name, item in (entry.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts=artifacts, model_config=entry.get("model_config") or {})
    if "python_model" not in entry and entry.get("loader_module"):
        return LoadedPythonModel(_from_loader_module(folder, entry, context), context)
    with open(safe_join(folder, entry.get("python_model", MODEL_FILE)), "rb") as file:
        model = cloudpickle.load(file)
    if isinstance(model, PythonModel) or callable(getattr(model, "load_context", None)):
        model.load_context(context)
    return LoadedPythonModel(model, context)


def predictor(model: Any, entry: dict[str, Any] | None = None):
    loaded = (
        model
        if isinstance(model, LoadedPythonModel)
        else LoadedPythonModel(model, PythonModelContext())
    )
    return loaded.predict


def _from_loader_module(folder: Path, entry: dict[str, Any], context: PythonModelContext) -> Any:
    """The model a ``loader_module``'s ``_load_pyfunc(data_path[, model_config])`` builds,
    as MLflow calls it (the module may come with the model, in its ``code/``)."""
    import importlib

    from labtrack.artifacts import safe_join

    name = entry["loader_module"]
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise InvalidParameter(
            f"this model is loaded by the module {name!r}, which cannot be imported here "
            f"({error}); MLflow's own flavors' loaders are not available in labtrack"
        ) from None
    data = str(safe_join(folder, entry["data"])) if entry.get("data") else None
    if context.model_config:
        return module._load_pyfunc(data, context.model_config)
    return module._load_pyfunc(data)
