"""``lt.pytorch``: PyTorch integration. Importing it imports neither torch nor Lightning.

>>> import labtrack as lt                                        # doctest: +SKIP
>>> with lt.pytorch.track_training(model, optimizer) as tracker:
...     tracker.log_step(loss=loss)
>>> lt.pytorch.autolog()          # Lightning's Trainer.fit logs itself
>>> trainer = Trainer(logger=lt.pytorch.LabtrackLogger())
>>> info = lt.pytorch.log_model(model, "model", input_example=x[:5])
>>> model = lt.pytorch.load_model(info.model_uri)               # the nn.Module, in eval mode
"""

from __future__ import annotations

import os
from typing import Any

from labtrack.autolog.pytorch import TrainingTracker, autolog, track_training


def log_model(pytorch_model: Any, name: str | None = None, **kwargs: Any):
    """Log a ``torch.nn.Module`` whole (``data/model.pth``, via cloudpickle, so a class
    defined in a notebook loads elsewhere) into the active run. Arguments as
    ``lt.log_model``; returns ``ModelInfo``."""
    from labtrack.models import log_model as log

    return log(pytorch_model, name, flavor="pytorch", **kwargs)


def save_model(pytorch_model: Any, path: str | os.PathLike, **kwargs: Any):
    """Save a ``torch.nn.Module`` into the new folder ``path``."""
    from labtrack.models import save_model as save

    return save(pytorch_model, path, flavor="pytorch", **kwargs)


def load_model(model_uri: str | os.PathLike, dst_path: str | None = None) -> Any:
    """The ``torch.nn.Module`` saved at ``model_uri``, on the CPU, in eval mode."""
    from labtrack.models import load_native

    return load_native(model_uri, "pytorch", dst_path)


def __getattr__(name: str) -> Any:
    if name == "LabtrackLogger":  # its base class is Lightning's: built when first asked for
        from labtrack.autolog.lightning import logger_class

        return logger_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LabtrackLogger", "TrainingTracker", "autolog", "load_model", "log_model", "save_model", "track_training"]
