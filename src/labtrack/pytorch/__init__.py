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

from typing import Any

from labtrack.autolog.pytorch import TrainingTracker, autolog, track_training
from labtrack.models.flavors.pytorch import load_model, log_model, save_model


def __getattr__(name: str) -> Any:
    if name == "LabtrackLogger":  # its base class is Lightning's: built when first asked for
        from labtrack.autolog.lightning import logger_class

        return logger_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LabtrackLogger",
    "TrainingTracker",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
    "track_training",
]
