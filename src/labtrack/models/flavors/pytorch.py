"""PyTorch modules, saved whole with ``torch.save`` through cloudpickle: the architecture
travels with the weights, so a model class defined in a notebook loads in a fresh process
(a state_dict alone would need the class's code at load time). TorchScript modules
(``torch.jit.script`` / ``trace``) are saved with ``torch.jit.save`` and load without their
Python code. ``data/model.pth``, as in MLflow."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.models import save as saving
from labtrack.models.flavors import options
from labtrack.models.load import load_native
from labtrack.models.metadata import ModelMetadata

NAME = "pytorch"
PACKAGES = ("torch", "cloudpickle")
DATA_FOLDER = "data"
MODEL_FILE = "model.pth"


def matches(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def save(
    model: Any,
    folder: Path,
    pickle_module: Any = None,
    serialization_format: str | None = None,
    pickle_protocol: int | None = None,
    code_paths: list[str] | None = None,
    conda_env: Any = None,
    extra_files: list[str] | None = None,
) -> dict[str, Any]:
    """``data/model.pth``: a ``torch.jit.ScriptModule`` with ``torch.jit.save`` (it carries
    its own code), any other module with ``torch.save`` through ``pickle_module``
    (cloudpickle by default), whose name the entry records for loading, as MLflow does."""
    import torch

    if serialization_format not in (None, "pickle"):
        raise InvalidParameter(
            f"serialization_format={serialization_format!r}: labtrack saves PyTorch models with "
            "torch.save ('pickle'); torch.export's 'pt2' is not supported"
        )
    (folder / DATA_FOLDER).mkdir()
    path = folder / DATA_FOLDER / MODEL_FILE
    entry: dict[str, Any] = {
        "model_data": DATA_FOLDER,
        "pytorch_version": str(torch.__version__),  # str(): YAML's safe writer refuses its type
        "code": None,
    }
    if isinstance(model, torch.jit.ScriptModule):
        if pickle_module is not None:
            raise InvalidParameter("pickle_module does not apply to a torch.jit.ScriptModule")
        torch.jit.save(model, str(path))
        entry["torchscript"] = True
    else:
        if pickle_module is None:
            import cloudpickle as pickle_module
        if not (hasattr(pickle_module, "dump") and hasattr(pickle_module, "load")):
            raise InvalidParameter(
                f"pickle_module must be a module with dump and load (pickle, cloudpickle, ...), "
                f"got {pickle_module!r}"
            )
        extra = {} if pickle_protocol is None else {"pickle_protocol": pickle_protocol}
        torch.save(model, path, pickle_module=pickle_module, **extra)
        entry["pickle_module_name"] = pickle_module.__name__
    return options.write_common(folder, entry, code_paths, conda_env, extra_files)


def load(folder: Path, entry: dict[str, Any], **torch_load_kwargs: Any) -> Any:
    """The module, on the CPU unless ``map_location`` says otherwise, in eval mode.
    ``torch_load_kwargs`` go to ``torch.load`` (``torch.jit.load`` for TorchScript), as
    MLflow's ``load_model(model_uri, **kwargs)``."""
    import importlib

    import torch

    from labtrack.artifacts import safe_join

    data = safe_join(folder, entry.get("model_data", DATA_FOLDER))
    path = data / MODEL_FILE if data.is_dir() else data
    torch_load_kwargs.setdefault("map_location", "cpu")
    if entry.get("torchscript") or _is_torchscript_archive(path):
        torch_load_kwargs.pop("pickle_module", None)  # torch.jit.load takes none
        model = torch.jit.load(str(path), **torch_load_kwargs)
    else:
        name = entry.get("pickle_module_name")
        if "pickle_module" not in torch_load_kwargs and name:
            module = importlib.import_module(name)
            # cloudpickle writes plain pickles and has no Unpickler: torch's default reads them.
            if hasattr(module, "Unpickler"):
                torch_load_kwargs["pickle_module"] = module
        # weights_only=False: the file holds the module itself, which is what was logged.
        torch_load_kwargs.setdefault("weights_only", False)
        model = torch.load(path, **torch_load_kwargs)
    model.eval()
    return model


def _is_torchscript_archive(path: Path) -> bool:
    """Whether ``path`` is a TorchScript zip (MLflow's models do not say so in MLmodel): such
    an archive holds a ``constants.pkl`` record, which ``torch.save``'s do not."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") for name in archive.namelist())


def predictor(model: Any, entry: dict[str, Any] | None = None):
    import torch

    parameter = next(iter(model.parameters()), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    device = parameter.device if parameter is not None else torch.device("cpu")

    def predict(data: Any, params: dict | None = None) -> Any:
        import numpy as np

        array = np.asarray(data.to_numpy() if hasattr(data, "to_numpy") else data)
        tensor = torch.as_tensor(array, device=device)
        if tensor.is_floating_point() and dtype.is_floating_point:
            tensor = tensor.to(dtype)  # a float64 frame into a float32 network; ids stay integers
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                output = model(tensor)
        finally:
            model.train(was_training)
        return output.detach().cpu().numpy() if hasattr(output, "detach") else output

    return predict


# -- lt.pytorch's log_model / save_model / load_model, with MLflow's parameter names: each
# fixes the flavor and hands the rest to lt.log_model, lt.models.save_model or load_native.


def log_model(pytorch_model: Any, name: str | None = None, **kwargs: Any) -> saving.ModelInfo:
    """Log a ``torch.nn.Module`` as ``name`` among the active run's artifacts (a run is
    started if none is active): ``data/model.pth``, the whole module via cloudpickle, so a
    class defined in a notebook loads elsewhere; a ``torch.jit.ScriptModule`` with
    ``torch.jit.save``.

    ``pytorch_model`` is the module. Keyword arguments are MLflow's: ``signature``,
    ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``conda_env``, ``code_paths`` (copied in and put on
    ``sys.path`` when loading), ``extra_files``, ``pickle_module``, ``pickle_protocol``,
    ``metadata``, ``run_id``, ``await_registration_for`` (no effect: registration is
    synchronous) and ``artifact_path`` (MLflow's older name for ``name``).
    ``serialization_format="pt2"`` and ``export_model=True`` are refused with an
    ``InvalidParameter``. Returns the ``ModelInfo``.

    >>> info = lt.pytorch.log_model(model, "model", input_example=x[:5])   # doctest: +SKIP
    """
    chosen = options.prepare("lt.pytorch.log_model", kwargs, saving.log_model, save)
    return saving.log_model(pytorch_model, name, flavor=NAME, **chosen)


def save_model(pytorch_model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the module ``pytorch_model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    chosen = options.prepare("lt.pytorch.save_model", kwargs, saving.save_model, save)
    return saving.save_model(pytorch_model, path, flavor=NAME, **chosen)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None, **kwargs: Any) -> Any:
    """The ``torch.nn.Module`` saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder),
    on the CPU, in eval mode.

    ``dst_path``: copy the model's folder there first. Other keyword arguments go to
    ``torch.load`` (e.g. ``map_location``), as in MLflow. A model of another flavor is
    refused; ``lt.load_model`` loads any model as a ``PyFuncModel``.
    """
    return load_native(model_uri, NAME, dst_path, **kwargs)
