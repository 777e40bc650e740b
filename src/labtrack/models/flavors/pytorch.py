"""PyTorch modules, saved whole with ``torch.save`` through cloudpickle: the architecture
travels with the weights, so a model class defined in a notebook loads in a fresh process
(a state_dict alone would need the class's code at load time). ``data/model.pth``, as in
MLflow."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from labtrack.models import save as saving
from labtrack.models.load import load_native
from labtrack.models.metadata import ModelMetadata

NAME = "pytorch"
PACKAGES = ("torch", "cloudpickle")
DATA_FOLDER = "data"
MODEL_FILE = "model.pth"


def matches(model: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def save(model: Any, folder: Path) -> dict[str, Any]:
    import cloudpickle
    import torch

    (folder / DATA_FOLDER).mkdir()
    torch.save(model, folder / DATA_FOLDER / MODEL_FILE, pickle_module=cloudpickle)
    # str(): torch's version is a str subclass, which YAML's safe writer refuses.
    return {"model_data": DATA_FOLDER, "pytorch_version": str(torch.__version__), "code": None}


def load(folder: Path, entry: dict[str, Any]) -> Any:
    import torch

    from labtrack.artifacts import safe_join

    data = safe_join(folder, entry.get("model_data", DATA_FOLDER))
    path = data / MODEL_FILE if data.is_dir() else data
    # weights_only=False: the file holds the module itself, which is what was logged.
    model = torch.load(path, map_location="cpu", weights_only=False)
    model.eval()
    return model


def predictor(model: Any):
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
    class defined in a notebook loads elsewhere.

    ``pytorch_model`` is the module. Other keyword arguments are ``lt.log_model``'s:
    ``signature``, ``input_example``, ``registered_model_name``, ``pip_requirements``,
    ``extra_pip_requirements``, ``metadata``, ``run_id``, and ``artifact_path`` (MLflow's
    older name for ``name``). Returns the ``ModelInfo``.

    >>> info = lt.pytorch.log_model(model, "model", input_example=x[:5])   # doctest: +SKIP
    """
    return saving.log_model(pytorch_model, name, flavor=NAME, **kwargs)


def save_model(pytorch_model: Any, path: str | os.PathLike, **kwargs: Any) -> ModelMetadata:
    """Save the module ``pytorch_model`` into the new (or empty) folder ``path``.

    Keyword arguments as ``log_model``'s, less the run and registry ones. Returns the saved
    ``MLmodel`` metadata.
    """
    return saving.save_model(pytorch_model, path, flavor=NAME, **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The ``torch.nn.Module`` saved at ``model_uri`` (``runs:/``, ``models:/`` or a folder),
    on the CPU, in eval mode.

    ``dst_path``: copy the model's folder there first. A model of another flavor is refused;
    ``lt.load_model`` loads any model as a ``PyFuncModel``.
    """
    return load_native(model_uri, NAME, dst_path)
