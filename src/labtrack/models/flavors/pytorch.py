"""PyTorch modules, saved whole with ``torch.save`` through cloudpickle: the architecture
travels with the weights, so a model class defined in a notebook loads in a fresh process
(a state_dict alone would need the class's code at load time). ``data/model.pth``, as in
MLflow."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
