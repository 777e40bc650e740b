"""What the plain-loop tracker (``pytorch.py``) and Lightning autologging (``lightning.py``)
share: the flavor's name, the params that describe a model and its optimizer, the model's
logging, and tensors as floats.

It sits below both so that neither adapter imports the other's module to reach them
(``pytorch.autolog`` loads ``lightning`` on use; ``lightning`` never loads ``pytorch``).
Like the adapters, it imports neither torch nor Lightning.
"""

from __future__ import annotations

from typing import Any

from labtrack.autolog._common import param_value
from labtrack.tracking import fluent

FLAVOR = "pytorch"
# The optimizer settings worth a param; the rest of a param group is mostly internal flags.
_OPTIMIZER_SETTINGS = (
    "lr momentum dampening nesterov weight_decay betas eps alpha rho amsgrad lr_decay "
    "initial_accumulator_value"
).split()


def log_training_setup(model: Any, optimizer: Any, run_id: str) -> None:
    """Params: the model's size and the optimizer's settings."""
    fluent.log_params({**model_params(model), **optimizer_params(optimizer)}, run_id=run_id)


def model_params(model: Any) -> dict[str, Any]:
    """The model's class and parameter counts."""
    parameters = list(model.parameters())
    return {
        "model_class": type(model).__name__,
        "num_params": sum(p.numel() for p in parameters),
        "num_trainable_params": sum(p.numel() for p in parameters if p.requires_grad),
    }


def optimizer_params(optimizer: Any) -> dict[str, str]:
    """``optimizer_name`` and the settings of the first param group (lr, momentum, ...),
    as they were when training started."""
    if optimizer is None:
        return {}
    group = optimizer.param_groups[0] if optimizer.param_groups else {}
    params = {"optimizer_name": type(optimizer).__name__}
    for key in _OPTIMIZER_SETTINGS:
        # A scheduler changes "lr" as training goes, and keeps the value it started from.
        value = group.get("initial_lr", group.get(key)) if key == "lr" else group.get(key)
        if value is not None:
            params[key] = to_float(value) if hasattr(value, "item") else value  # lr may be a tensor
    return {key: param_value(value) for key, value in params.items()}


def log_pytorch_model(model: Any, run_id: str, registered_model_name: str | None = None) -> None:
    """The trained module through ``lt.log_model`` as ``model`` (``MLmodel`` beside
    ``data/model.pth``), so that ``lt.load_model(f"runs:/{run_id}/model")`` loads it."""
    from labtrack.models import log_model

    log_model(
        model, "model", flavor=FLAVOR, run_id=run_id, registered_model_name=registered_model_name
    )


def to_float(value: Any) -> float:
    """A float from a Python number, a numpy scalar or a one-element tensor."""
    if hasattr(value, "detach"):
        value = value.detach()
    return float(value.item() if hasattr(value, "item") else value)


__all__ = [
    "FLAVOR",
    "log_pytorch_model",
    "log_training_setup",
    "model_params",
    "optimizer_params",
    "to_float",
]
