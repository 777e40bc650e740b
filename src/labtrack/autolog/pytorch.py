"""PyTorch: an explicit tracker for plain training loops, and Lightning (and SummaryWriter)
autologging.

A plain loop has no hook to patch, so ``track_training`` is a small explicit API: a context
manager that opens (or joins) the run, logs the model's size and the optimizer's settings,
then per-step and per-epoch metrics, and the trained model at the end. ``autolog()`` patches
``Trainer.fit`` of Lightning when Lightning is imported (see ``lightning.py``); what both
share is in ``_torch.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from labtrack.autolog._common import autolog_run, configure, get_config, safely

# The helpers Lightning autologging shares live in _torch (re-exported here, as before), so
# that lightning.py need not import this module, which loads lightning.py in autolog().
from labtrack.autolog._torch import (
    FLAVOR,
    log_pytorch_model,
    log_training_setup,
    model_params,
    optimizer_params,
    to_float,
)
from labtrack.errors import InvalidParameter
from labtrack.tracking import fluent


def autolog(
    disable: bool = False,
    log_models: bool = True,
    log_input_examples: bool = False,
    silent: bool = False,
    log_every_n_step: int | None = None,
    checkpoint: bool = True,
    checkpoint_monitor: str = "val_loss",
    checkpoint_mode: str = "min",
    checkpoint_save_best_only: bool = True,
    checkpoint_save_weights_only: bool = False,
    checkpoint_save_freq: str | int = "epoch",
    log_every_n_epoch: int = 1,
    log_datasets: bool = True,
    log_model_signatures: bool = True,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, str] | None = None,
    log_samples: int | tuple | None = None,
) -> None:
    """Log every Lightning ``Trainer.fit`` (``lightning.pytorch`` or ``pytorch_lightning``) as
    ``mlflow.pytorch.autolog()`` does: each epoch's ``trainer.callback_metrics`` (what the
    LightningModule logs with ``self.log``) at step = epoch, and every ``log_every_n_step``
    steps the per-step ones; params ``epochs``, ``optimizer_name`` and the optimizer's
    defaults (``lr``, ``betas``, ...), EarlyStopping's settings; tag ``Mode``;
    ``model_summary.txt``; the model through ``lt.log_model`` (``runs:/<id>/model``); and the
    metrics of a later ``trainer.test()``. With ``checkpoint``, MLflow's checkpoints: each epoch
    (or every ``checkpoint_save_freq`` steps) whose ``checkpoint_monitor`` is the best so far,
    ``checkpoints/latest_checkpoint.pth`` and ``latest_checkpoint_metrics.json`` (every one,
    under ``checkpoints/epoch_<n>/``, without ``checkpoint_save_best_only``). Besides, the module's hparams and its
    ``model_class`` and parameter counts. In plain PyTorch, what a ``SummaryWriter`` writes
    reaches the active run (``add_hparams``; scalars with ``log_every_n_step``: see
    ``tensorboard_writer.py``). The settings (``log_models``, ``silent``) also apply to
    ``track_training``. Epoch metrics are logged every ``log_every_n_epoch`` epochs.
    MLflow's ``exclusive`` (log nothing into a run the user started), ``extra_tags`` (on the
    runs autologging starts), ``registered_model_name`` (each logged model becomes a new
    version of it) work as in MLflow; ``disable_for_unsupported_versions`` changes nothing.
    ``log_datasets`` and ``log_model_signatures`` are accepted: MLflow's Lightning
    autologging logs no datasets, and labtrack's PyTorch model records no signature.

    ``log_samples`` (labtrack's, off by default) logs sample predictions at the end of each
    training epoch (the module in eval mode, without gradients), as the media table
    ``samples/predictions`` at step = epoch (see ``lt.media``): give an int ``n`` for the
    first ``n`` samples of the first validation batch (else training batch), which must be
    ``(x, y, ...)`` or ``x``, or the samples as ``(x, y)`` or ``(x,)``. Columns: ``sample``,
    ``target``, ``prediction`` (the argmax of the outputs, or a regressor's value), and for
    classifiers ``score`` and ``correct``.

    >>> import labtrack as lt                                   # doctest: +SKIP
    >>> lt.pytorch.autolog()
    >>> trainer.fit(model, train_loader)
    >>> lt.pytorch.autolog(log_samples=(x_val[:8], y_val[:8]))   # their predictions per epoch
    """
    if checkpoint and checkpoint_save_best_only and checkpoint_mode not in ("min", "max"):
        raise InvalidParameter(f"checkpoint_mode must be 'min' or 'max', got {checkpoint_mode!r}")
    if not isinstance(log_every_n_epoch, int) or log_every_n_epoch < 1:
        raise InvalidParameter(
            f"log_every_n_epoch must be a positive int, got {log_every_n_epoch!r}"
        )
    if checkpoint_save_freq != "epoch" and not (
        isinstance(checkpoint_save_freq, int) and checkpoint_save_freq > 0
    ):
        raise InvalidParameter(
            f"checkpoint_save_freq must be 'epoch' or a positive int, got {checkpoint_save_freq!r}"
        )
    from labtrack.autolog import _samples, lightning, tensorboard_writer

    patches = {module: lightning.installer(module) for module in lightning.MODULES}
    patches[tensorboard_writer.MODULE] = tensorboard_writer.install
    configure(
        FLAVOR,
        disable=disable,
        log_models=log_models,
        log_input_examples=log_input_examples,
        silent=silent,
        patches=patches,
        log_every_n_step=log_every_n_step,
        log_every_n_epoch=log_every_n_epoch,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
        log_samples=_samples.check_option(log_samples),
        checkpoint=checkpoint
        and {
            "monitor": checkpoint_monitor,
            "mode": checkpoint_mode,
            "save_best_only": checkpoint_save_best_only,
            "save_weights_only": checkpoint_save_weights_only,
            "save_freq": checkpoint_save_freq,
        },
    )


class TrainingTracker:
    """What ``track_training`` yields: call ``log_step`` each batch, ``end_epoch`` each epoch.

    Per-step metrics are logged under their own names with the global step (every
    ``log_every_n_steps``-th step); at ``end_epoch`` their averages over the epoch are logged
    as ``<name>_epoch``, and the epoch's own metrics (``val_loss=...``) under their names,
    both with step = epoch.
    """

    def __init__(self, run_id: str | None, log_every_n_steps: int = 1):
        if log_every_n_steps < 1:
            raise ValueError(f"log_every_n_steps must be at least 1, got {log_every_n_steps}")
        self.run_id = run_id
        self.log_every_n_steps = log_every_n_steps
        self.step = 0  # global: it does not restart with each epoch
        self.epoch = 0
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def log_step(self, **metrics: Any) -> None:
        """One training step's metrics (floats or one-element tensors).

        >>> tracker.log_step(loss=loss)  # doctest: +SKIP
        """
        if self.run_id is not None:
            safely(FLAVOR, "log the step's metrics", self._log_step, metrics)
        self.step += 1

    def _log_step(self, metrics: dict[str, Any]) -> None:
        values = {key: to_float(value) for key, value in metrics.items()}
        for key, value in values.items():
            self._sums[key] = self._sums.get(key, 0.0) + value
            self._counts[key] = self._counts.get(key, 0) + 1
        if self.step % self.log_every_n_steps == 0:
            fluent.log_metrics(values, step=self.step, run_id=self.run_id)

    def end_epoch(self, **metrics: Any) -> None:
        """Close the epoch: log the step metrics' averages and the given epoch metrics.

        >>> tracker.end_epoch(val_loss=validate(model))  # doctest: +SKIP
        """
        if self.run_id is not None:
            safely(FLAVOR, "log the epoch's metrics", self._end_epoch, metrics)
        self._sums.clear()
        self._counts.clear()
        self.epoch += 1

    def _end_epoch(self, metrics: dict[str, Any]) -> None:
        values = {f"{key}_epoch": total / self._counts[key] for key, total in self._sums.items()}
        values.update({key: to_float(value) for key, value in metrics.items()})
        fluent.log_metrics(values, step=self.epoch, run_id=self.run_id)


@contextlib.contextmanager
def track_training(
    model: Any,
    optimizer: Any = None,
    *,
    log_every_n_steps: int = 1,
    log_models: bool | None = None,
    run_name: str | None = None,
) -> Iterator[TrainingTracker]:
    """Track a plain PyTorch training loop in the active run, or in a new run that ends with
    the block (FAILED if the block raises). Logs params ``model_class``, ``num_params``,
    ``num_trainable_params``, ``optimizer_name`` and the optimizer's settings (``lr``,
    ``momentum``, ``weight_decay``, ... of its first param group); at the end, unless
    ``log_models`` is False, the model through ``lt.log_model``: load it back with
    ``lt.load_model(f"runs:/{run_id}/model")``.

    >>> with lt.pytorch.track_training(model, optimizer) as tracker:   # doctest: +SKIP
    ...     for epoch in range(3):
    ...         for x, y in loader:
    ...             loss = train_step(x, y)
    ...             tracker.log_step(loss=loss)
    ...         tracker.end_epoch(val_loss=evaluate(model))
    """
    with autolog_run(FLAVOR, run_name) as run_id:
        tracker = TrainingTracker(run_id, log_every_n_steps)
        if run_id is None:  # no run to log into (exclusive, or none could be opened): untracked
            yield tracker
            return
        safely(FLAVOR, "log the model's params", log_training_setup, model, optimizer, run_id)
        yield tracker
        config = get_config(FLAVOR)
        if log_models if log_models is not None else (config is None or config.log_models):
            registered = config.registered_model_name if config else None
            safely(FLAVOR, "log the model", log_pytorch_model, model, run_id, registered)


__all__ = [
    "TrainingTracker",
    "log_training_setup",
    "to_float",
    "autolog",
    "log_pytorch_model",
    "model_params",
    "optimizer_params",
    "track_training",
]
