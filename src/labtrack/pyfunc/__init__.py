"""``lt.pyfunc``: MLflow's ``mlflow.pyfunc`` names for custom Python models and the uniform
predictor every model loads as.

>>> def double(model_input):                                    # doctest: +SKIP
...     return model_input * 2
>>> info = lt.pyfunc.log_model("double", python_model=double, input_example=[[1.0, 2.0]])
>>> lt.pyfunc.load_model(info.model_uri).predict([[3.0, 4.0]])
"""

from __future__ import annotations

import os
from typing import Any

from labtrack.models import ModelInfo, PyFuncModel, PythonModel, PythonModelContext, load_model
from labtrack.models import log_model as _log_model
from labtrack.models import save_model as _save_model
from labtrack.models.flavors import options
from labtrack.models.flavors import python as _python_flavor


def log_model(
    name: str | None = None,
    python_model: Any = None,
    *,
    artifact_path: str | None = None,
    artifacts: dict[str, str] | None = None,
    loader_module: str | None = None,
    data_path: str | None = None,
    **kwargs: Any,
) -> ModelInfo:
    """Log a function, an object with ``predict``, or a ``PythonModel`` as ``name`` in the
    active run.

    ``artifacts`` ({name: local path, ``runs:/<run_id>/<path>``, ``models:/<name>/<version>``
    or an ``s3://`` / ``gs://`` / ``az://`` URI}) are copied in and handed to ``load_context``
    as ``context.artifacts`` (local paths). ``model_config`` (a dict or a YAML file) becomes
    ``context.model_config``. Also MLflow's ``code_paths``, ``conda_env``, ``extra_files``,
    ``signature``, ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``metadata`` and ``await_registration_for`` (no effect).
    Instead of ``python_model``, MLflow's ``loader_module`` (a module with
    ``_load_pyfunc(data_path)``, e.g. shipped in ``code_paths``) and ``data_path`` (its files,
    copied in) make the model when it loads. ``streamable``, ``resources``, ``auth_policy``,
    ``prompts`` and ``uv_*`` are refused with an ``InvalidParameter`` naming them."""
    chosen = options.prepare("lt.pyfunc.log_model", kwargs, _log_model, _python_flavor.save)
    python_model = _model_or_loader(python_model, loader_module, data_path)
    return _log_model(
        python_model,
        name,
        artifact_path=artifact_path,
        flavor="python_function",
        artifacts=artifacts,
        **chosen,
    )


def save_model(
    path: str | os.PathLike,
    python_model: Any = None,
    *,
    artifacts: dict[str, str] | None = None,
    loader_module: str | None = None,
    data_path: str | None = None,
    **kwargs: Any,
):
    """Save a Python model into the new folder ``path`` (arguments as ``log_model``'s, less
    the run and registry ones)."""
    chosen = options.prepare("lt.pyfunc.save_model", kwargs, _save_model, _python_flavor.save)
    python_model = _model_or_loader(python_model, loader_module, data_path)
    return _save_model(python_model, path, flavor="python_function", artifacts=artifacts, **chosen)


def _model_or_loader(python_model: Any, loader_module: Any, data_path: Any) -> Any:
    """The model to save: ``python_model``, or MLflow's ``loader_module`` + ``data_path``
    (exactly one of the two ways, as MLflow requires)."""
    from labtrack.errors import InvalidParameter

    if loader_module is None:
        if data_path is not None:
            raise InvalidParameter("data_path goes with loader_module")
        if python_model is None:
            raise InvalidParameter(
                "pass the model as python_model=: a function, an object with predict, or a "
                "PythonModel (or MLflow's loader_module= with data_path=)"
            )
        return python_model
    if python_model is not None:
        raise InvalidParameter("give python_model or loader_module, not both")
    if not isinstance(loader_module, str) or not loader_module.strip():
        raise InvalidParameter(f"loader_module must be a module's name, got {loader_module!r}")
    return _python_flavor.LoaderModule(loader_module, None if data_path is None else str(data_path))


__all__ = [
    "load_model",
    "log_model",
    "ModelInfo",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "save_model",
]
