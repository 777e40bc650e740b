"""PyTorch Lightning: ``LabtrackLogger`` (Lightning's ``Logger`` interface) and ``Trainer.fit``
autologging, for both ``lightning.pytorch`` and the older ``pytorch_lightning`` package.

Autologging logs what ``mlflow.pytorch.autolog()`` logs, under its names: it adds a callback
to the trainer that logs the trainer's ``callback_metrics`` (whatever the LightningModule
logs with ``self.log``) at the end of each epoch with step = epoch, ``epochs``,
``optimizer_name`` and the optimizer's defaults, EarlyStopping's settings and result,
``model_summary.txt``, the model, and, when ``trainer.test()`` runs later, the test metrics.
``LabtrackLogger`` is the explicit alternative: Lightning's own logger interface.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from labtrack.autolog import _samples
from labtrack.autolog._common import FitCall, get_config, param_value, patch, safely, wrap_fit
from labtrack.autolog._torch import FLAVOR, log_pytorch_model, model_params, to_float
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
    namespace = _namespace(trainer)
    callback_type = _callback_class(namespace)
    callback = next((c for c in trainer.callbacks if isinstance(c, callback_type)), None)
    if callback is None:
        # It stays on the trainer after fit, as MLflow's does: trainer.test() then logs the
        # test metrics into the run that fit logged.
        callback = callback_type()
        trainer.callbacks.append(callback)
    options = call.config.options
    checkpoints = options.get("checkpoint")
    callback.start(
        call.run_id,
        options,
        _Checkpoints(call.run_id, **checkpoints) if checkpoints else None,
    )
    early_stopping = importlib.import_module(f"{namespace}.callbacks").EarlyStopping
    stoppers = [c for c in trainer.callbacks if isinstance(c, early_stopping)]
    call.state["early_stopping"] = stoppers[0] if stoppers else None
    if stoppers:
        safely(
            FLAVOR,
            "log early stopping's settings",
            _log_early_stopping_params,
            stoppers[0],
            call.run_id,
        )


def _log_early_stopping_params(stopper: Any, run_id: str) -> None:
    names = ("monitor", "mode", "patience", "min_delta", "stopped_epoch")
    params = {name: getattr(stopper, name) for name in names if hasattr(stopper, name)}
    fluent.log_params({key: param_value(value) for key, value in params.items()}, run_id=run_id)


def _after_fit(call: FitCall, result: Any) -> None:
    trainer, model = call.instance, call.arguments()["model"]
    stopper = call.state["early_stopping"]
    if stopper is not None and stopper.stopped_epoch != 0:
        safely(
            FLAVOR, "log early stopping's result", _log_early_stopping_result, stopper, call.run_id
        )
    safely(FLAVOR, "log the model summary", _log_summary, trainer, model, call.run_id)
    if call.config.log_models:
        safely(
            FLAVOR,
            "log the model",
            log_pytorch_model,
            model,
            call.run_id,
            call.config.registered_model_name,
        )


def _log_early_stopping_result(stopper: Any, run_id: str) -> None:
    metrics = {
        "stopped_epoch": stopper.stopped_epoch,
        # MLflow's estimate of the epoch whose weights were best.
        "restored_epoch": stopper.stopped_epoch - max(1, stopper.patience),
    }
    if hasattr(stopper, "best_score"):
        metrics["best_score"] = to_float(stopper.best_score)
    if hasattr(stopper, "wait_count"):
        metrics["wait_count"] = stopper.wait_count
    fluent.log_metrics(metrics, run_id=run_id)


def _log_summary(trainer: Any, model: Any, run_id: str) -> None:
    summary = importlib.import_module(f"{_namespace(trainer)}.utilities.model_summary")
    fluent.log_text(
        str(summary.ModelSummary(model, max_depth=-1)), "model_summary.txt", run_id=run_id
    )


class _Checkpoints:
    """MLflow's autolog checkpoints (``MlflowModelCheckpointCallback``): the trainer's state as
    ``checkpoints/latest_checkpoint.pth`` whenever ``monitor`` is the best so far (or every
    time, under ``checkpoints/epoch_<n>/`` or ``global_step_<n>/``), beside its metrics as
    JSON; the tag ``mlflow.latest_checkpoint_artifact`` names the latest."""

    def __init__(self, run_id, monitor, mode, save_best_only, save_weights_only, save_freq):
        self.run_id, self.monitor, self.mode = run_id, monitor, mode
        self.save_best_only, self.weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self.best: float | None = None

    def consider(self, trainer: Any) -> None:
        """Log a checkpoint now if it is due (the monitored value improved, or always)."""
        metrics = {k: to_float(v) for k, v in trainer.callback_metrics.items()}
        if self.save_best_only:
            value = metrics.get(self.monitor)
            if value is None:
                return  # nothing to compare yet (MLflow warns; a validation may come later)
            better = self.best is None or (
                value < self.best if self.mode == "min" else value > self.best
            )
            if not better:
                return
            self.best = value
        weights = ".weights" if self.weights_only else ""
        if self.save_best_only:
            folder, model_file = "checkpoints", f"latest_checkpoint{weights}.pth"
            metrics_file = "latest_checkpoint_metrics.json"
        else:
            where = (
                f"epoch_{trainer.current_epoch}"
                if self.save_freq == "epoch"
                else f"global_step_{trainer.global_step}"
            )
            folder, model_file = f"checkpoints/{where}", f"checkpoint{weights}.pth"
            metrics_file = "checkpoint_metrics.json"
        from labtrack.tracking.client import TrackingClient

        client = TrackingClient()
        record = {**metrics, "epoch": trainer.current_epoch, "global_step": trainer.global_step}
        client.log_dict(self.run_id, record, f"{folder}/{metrics_file}")
        with tempfile.TemporaryDirectory() as staging:
            path = os.path.join(staging, model_file)
            # Not trainer.save_checkpoint: its barrier would wait forever for the other
            # ranks under DDP, and this runs on rank zero only (MLflow does the same).
            state = trainer._checkpoint_connector.dump_checkpoint(self.weights_only)
            trainer.strategy.save_checkpoint(state, path)
            client.log_artifact(self.run_id, path, folder)
        client.set_tag(self.run_id, "mlflow.latest_checkpoint_artifact", f"{folder}/{model_file}")


def _set_mode(run_id: str, mode: str) -> None:
    """MLflow's ``Mode`` tag; on the run by id, which may have ended (``trainer.test()``)."""
    from labtrack.tracking.client import TrackingClient  # loads numpy: not at import

    TrackingClient().set_tag(run_id, "Mode", mode)


@functools.cache
def _callback_class(namespace: str) -> type:
    """Built on first use: its base class is Lightning's, which must not load with labtrack."""
    Callback = importlib.import_module(namespace).Callback
    rank_zero_only = importlib.import_module(f"{namespace}.utilities").rank_zero_only

    class LabtrackAutologCallback(Callback):
        """What ``mlflow.pytorch.autolog()`` logs from a Lightning trainer: ``epochs``,
        ``optimizer_name`` and the optimizer's defaults as params when training starts (and
        the module's hparams); tag ``Mode``; every ``trainer.callback_metrics`` value at
        the end of each training epoch, step = epoch (per step too with
        ``log_every_n_step``); and after ``trainer.test()``, the test metrics."""

        def __init__(self) -> None:
            self.run_id: str | None = None
            self.every_n_step: int | None = None
            self.every_n_epoch = 1
            self.checkpoints: _Checkpoints | None = None
            self.step_metrics: set[str] = set()
            self.epoch_metrics: set[str] = set()
            self.samples: Any = None  # log_samples: an int or (x, y) until first used

        def start(self, run_id: str, options: dict[str, Any], checkpoints: Any) -> None:
            self.run_id, self.checkpoints = run_id, checkpoints
            self.every_n_step = options.get("log_every_n_step")
            self.every_n_epoch = options.get("log_every_n_epoch") or 1
            self.samples = options.get("log_samples")
            self.step_metrics.clear()
            self.epoch_metrics.clear()

        def _logging(self) -> bool:
            # Autologging may have been disabled since this callback joined the trainer.
            return self.run_id is not None and get_config(FLAVOR) is not None

        @rank_zero_only
        def on_train_start(self, trainer, pl_module):
            if self._logging():
                safely(FLAVOR, "log the training params", self._log_params, trainer, pl_module)

        def _log_params(self, trainer, pl_module) -> None:
            _set_mode(self.run_id, "training")
            params: dict[str, Any] = {"epochs": trainer.max_epochs}
            if trainer.optimizers:
                optimizer = trainer.optimizers[0]
                optimizer = getattr(optimizer, "_optimizer", optimizer)  # LightningOptimizer
                params["optimizer_name"] = type(optimizer).__name__
                params.update(getattr(optimizer, "defaults", {}))
            params.update(model_params(pl_module))
            params.update(_flatten(pl_module.hparams))
            fluent.log_params(
                {_key(k): param_value(v) for k, v in params.items()}, run_id=self.run_id
            )

        def _log(self, trainer, metrics: Mapping[str, Any], step: int | None) -> None:
            if trainer.sanity_checking or not metrics:  # Lightning's check before training
                return
            fluent.log_metrics(
                {_key(k): to_float(v) for k, v in metrics.items()}, step=step, run_id=self.run_id
            )

        @rank_zero_only
        def on_train_epoch_end(self, trainer, pl_module):
            if not self._logging():
                return
            # callback_metrics holds the epoch's training and validation metrics; those
            # logged per step are kept to their steps.
            metrics = {
                k: v for k, v in trainer.callback_metrics.items() if k not in self.step_metrics
            }
            self.epoch_metrics.update(metrics)
            if (pl_module.current_epoch + 1) % self.every_n_epoch == 0:
                safely(
                    FLAVOR,
                    "log the epoch's metrics",
                    self._log,
                    trainer,
                    metrics,
                    pl_module.current_epoch,
                )
            if self.checkpoints is not None and self.checkpoints.save_freq == "epoch":
                safely(FLAVOR, "log a checkpoint", self.checkpoints.consider, trainer)
            if self.samples is not None:
                safely(FLAVOR, "log sample predictions", self._log_samples, trainer, pl_module)

        def _log_samples(self, trainer, pl_module) -> None:
            if not isinstance(self.samples, tuple):  # n: taken once the loaders exist
                self.samples = _samples.first(
                    self.samples, (_first_batch(loader) for loader in _loaders(trainer))
                )
            import torch

            x, y = self.samples
            training = pl_module.training
            pl_module.eval()
            try:
                with torch.no_grad():
                    outputs = pl_module(torch.as_tensor(x).to(pl_module.device))
            finally:
                pl_module.train(training)
            _samples.log_predictions(self.run_id, outputs, y, pl_module.current_epoch)

        @rank_zero_only
        def on_train_batch_end(self, trainer, pl_module, *args):
            if not self._logging():
                return
            every = self.checkpoints.save_freq if self.checkpoints is not None else "epoch"
            if (
                isinstance(every, int)
                and trainer.global_step > 0
                and trainer.global_step % every == 0
            ):
                safely(FLAVOR, "log a checkpoint", self.checkpoints.consider, trainer)
            if not self.every_n_step:
                return
            latest = trainer.callback_metrics
            metrics = {
                k: v
                for k, v in latest.items()
                if k not in self.epoch_metrics and f"{k}_step" not in latest
            }
            self.step_metrics.update(metrics)
            steps_per_batch = max(1, len(trainer.optimizers))
            if (trainer.global_step // steps_per_batch + 1) % self.every_n_step == 0:
                safely(
                    FLAVOR,
                    "log the step's metrics",
                    self._log,
                    trainer,
                    metrics,
                    trainer.global_step,
                )

        @rank_zero_only
        def on_test_end(self, trainer, pl_module):
            if not self._logging():
                return
            safely(FLAVOR, "log the test metrics", self._log_test, trainer)

        def _log_test(self, trainer) -> None:
            _set_mode(self.run_id, "testing")
            self._log(trainer, dict(trainer.callback_metrics), None)

    return LabtrackAutologCallback


def _loaders(trainer: Any) -> list[Any]:
    """The trainer's validation loaders, then its training ones (whichever it has)."""
    found = []
    for loaders in (trainer.val_dataloaders, trainer.train_dataloader):
        if isinstance(loaders, (list, tuple)):
            found.extend(loaders)
        elif isinstance(loaders, Mapping):
            found.extend(loaders.values())
        elif loaders is not None:
            found.append(loaders)
    return found


def _first_batch(loader: Any) -> tuple[Any, Any]:
    """A loader's first batch as ``(x, y)``: a batch is ``(x, y, ...)`` or ``x`` alone."""
    batch = next(iter(loader))
    if isinstance(batch, (list, tuple)):
        return batch[0], (batch[1] if len(batch) > 1 else None)
    return batch, None


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
