"""``lt.pytorch``: PyTorch integration. Importing it imports neither torch nor Lightning.

>>> import labtrack as lt                                        # doctest: +SKIP
>>> with lt.pytorch.track_training(model, optimizer) as tracker:
...     tracker.log_step(loss=loss)
>>> lt.pytorch.autolog()          # Lightning's Trainer.fit logs itself
>>> trainer = Trainer(logger=lt.pytorch.LabtrackLogger())
"""

from typing import Any

from labtrack.autolog.pytorch import TrainingTracker, autolog, track_training


def __getattr__(name: str) -> Any:
    if name == "LabtrackLogger":  # its base class is Lightning's: built when first asked for
        from labtrack.autolog.lightning import logger_class

        return logger_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LabtrackLogger", "TrainingTracker", "autolog", "track_training"]
