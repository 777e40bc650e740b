"""PyTorch Lightning: ``LabtrackLogger`` (Lightning's ``Logger`` interface) and ``Trainer.fit``
autologging, for both ``lightning.pytorch`` and the older ``pytorch_lightning`` package.

Autologging adds a ``LabtrackLogger`` to the trainer's loggers for the duration of ``fit``,
so whatever the LightningModule logs with ``self.log`` (and its hparams) reaches the run
through Lightning's own logging path, with Lightning's steps.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import re
from collections.abc import Callable, Mapping
from typing import Any

from labtrack.autolog._common import FitCall, param_value, patch, safely, wrap_fit
from labtrack.autolog._torch import FLAVOR, log_pytorch_model, log_training_setup, to_float
from labtrack.tracking import fluent

MODULES = ("lightning.pytorch", "pytorch_lightning")
_NOT_IN_KEYS = re.compile(r"[^\w\-. /:]")  # what labtrack refuses in a metric or param name


def installer(module_name: str) -> Callable[[], None]:
    """The patch for one of MODULES, run when that module is imported."""

    def install() -> None:
        trainer = importlib.import_module(module_name).Trainer
        patch(FLAVOR, trainer, "fit", wrap_fit(FLAVOR, before=_before_fit, after=_after_fit))

    return install


def _namespace(trainer: Any) -> str:
    return (
        "pytorch_lightning"
        if type(trainer).__module__.startswith("pytorch_lightning")
        else "lightning.pytorch"
    )


def _before_fit(call: FitCall) -> None:
    trainer = call.instance
    logger_type = _logger_class(_namespace(trainer))
    loggers = list(trainer.loggers)
    if not any(isinstance(logger, logger_type) for logger in loggers):  # the user added one already
        trainer.loggers = [*loggers, logger_type(run_id=call.run_id)]
        call.cleanups.append(lambda: setattr(trainer, "loggers", loggers))
    params = {"max_epochs": trainer.max_epochs, "max_steps": trainer.max_steps}
    safely(
        FLAVOR,
        "log the trainer's params",
        fluent.log_params,
        {key: param_value(value) for key, value in params.items() if value not in (None, -1)},
        run_id=call.run_id,
    )


def _after_fit(call: FitCall, result: Any) -> None:
    trainer, model = call.instance, call.arguments()["model"]
    optimizer = trainer.optimizers[0] if trainer.optimizers else None
    safely(FLAVOR, "log the model's params", log_training_setup, model, optimizer, call.run_id)
    if call.config.log_models:
        safely(FLAVOR, "log the model", log_pytorch_model, model, call.run_id)


def logger_class() -> type:
    """``LabtrackLogger`` for the installed Lightning (``lightning`` preferred)."""
    has_lightning = importlib.util.find_spec("lightning") is not None
    return _logger_class("lightning.pytorch" if has_lightning else "pytorch_lightning")


@functools.cache
def _logger_class(namespace: str) -> type:
    """Built on first use: its base class is Lightning's, which must not load with labtrack."""
    Logger = importlib.import_module(f"{namespace}.loggers").Logger
    rank_zero_only = importlib.import_module(f"{namespace}.utilities").rank_zero_only

    class LabtrackLogger(Logger):
        """A Lightning logger that writes to labtrack: ``Trainer(logger=LabtrackLogger())``.

        It logs into ``run_id``, else the active run, else a run it starts (and ends in
        ``finalize``, FAILED if training failed). ``experiment`` is a ``labtrack.Client``.

        >>> trainer = Trainer(logger=lt.pytorch.LabtrackLogger(run_name="lit"))  # doctest: +SKIP
        """

        def __init__(
            self,
            run_id: str | None = None,
            run_name: str | None = None,
            tags: dict[str, Any] | None = None,
        ):
            super().__init__()
            self._run_id, self._run_name, self._tags = run_id, run_name, tags
            self._own_run: Any = None  # the ActiveRun this logger started, if any

        @property
        def run_id(self) -> str:
            if self._run_id is None:
                active = fluent.active_run()
                if active is None:
                    active = self._own_run = fluent.start_run(
                        run_name=self._run_name, tags=self._tags
                    )
                self._run_id = active.info.run_id
            return self._run_id

        @property
        def name(self) -> str:
            return fluent.get_run(self.run_id).info.experiment_id

        @property
        def version(self) -> str:
            return self.run_id

        @property
        def experiment(self) -> Any:
            from labtrack.tracking.client import TrackingClient

            return TrackingClient()

        @rank_zero_only
        def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
            safely(
                FLAVOR,
                "log hyperparameters",
                lambda: fluent.log_params(
                    {_key(k): param_value(v) for k, v in _flatten(params).items()},
                    run_id=self.run_id,
                ),
            )

        @rank_zero_only
        def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
            safely(
                FLAVOR,
                "log metrics",
                lambda: fluent.log_metrics(
                    {_key(k): to_float(v) for k, v in metrics.items()},
                    step=step,
                    run_id=self.run_id,
                ),
            )

        @rank_zero_only
        def finalize(self, status: str) -> None:
            run, self._own_run = self._own_run, None
            if run is not None and fluent.active_run() is run:
                fluent.end_run("FINISHED" if status in ("success", "finished") else "FAILED")

    return LabtrackLogger


def _key(key: str) -> str:
    return _NOT_IN_KEYS.sub("_", str(key))


def _flatten(params: Any, prefix: str = "") -> dict[str, Any]:
    """Nested hparams as ``outer/inner`` keys, as Lightning's own loggers write them."""
    if isinstance(params, argparse.Namespace):
        params = vars(params)
    flat: dict[str, Any] = {}
    for key, value in dict(params).items():
        if isinstance(value, (Mapping, argparse.Namespace)) and value:
            flat.update(_flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


__all__ = ["MODULES", "installer", "logger_class"]
