"""Keras 3 autologging (any backend): ``Model.fit`` logs per-epoch metrics, params and the model.

The patched ``fit`` adds one callback to a copy of the user's callback list; the callback
logs every key of the epoch's ``logs`` (loss, accuracy, val_loss, ...) with step = epoch.
Nothing is logged per batch: a point per batch would cost more than the batch itself.
"""

from __future__ import annotations

import functools
from typing import Any

from labtrack.autolog import _samples
from labtrack.autolog._common import (
    FitCall,
    configure,
    log_input_example,
    param_value,
    patch,
    safely,
    wrap_fit,
)
from labtrack.errors import InvalidParameter
from labtrack.tracking import fluent

FLAVOR = "keras"
_EARLY_STOPPING_PARAMS = ("monitor", "min_delta", "patience", "baseline", "restore_best_weights")
# MLflow logs every other argument of fit (defaults included) as a param.
_UNLOGGED_FIT_ARGUMENTS = ("self", "x", "y", "callbacks", "validation_data", "verbose")


def autolog(
    disable: bool = False,
    log_models: bool = True,
    log_input_examples: bool = False,
    silent: bool = False,
    log_datasets: bool = True,
    log_model_signatures: bool = True,
    log_every_epoch: bool = True,
    log_every_n_steps: int | None = None,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, str] | None = None,
    log_samples: int | tuple | None = None,
) -> None:
    """Log every ``keras.Model.fit`` as ``mlflow.keras.autolog()`` does: ``fit``'s arguments
    as params (``epochs``, ``batch_size``, ``validation_split``, ..., defaults included; not
    the data, callbacks or ``verbose``), the optimizer's config as ``optimizer_*`` params
    (``optimizer_name``, ``optimizer_learning_rate``, ...), each epoch's ``logs`` at
    step = epoch (``loss``, ``accuracy``, ``val_loss``, ...), the validation's as
    ``validation_*``, ``model_summary.txt`` and the model as ``model/model.keras``. Besides,
    EarlyStopping's settings as params, and its ``stopped_epoch`` and ``restored_epoch``.
    With ``log_datasets``, array data as dataset inputs (``train``, and ``eval`` for
    ``validation_data``), with MLflow's digests.
    MLflow's ``exclusive`` (log nothing into a run the user started), ``extra_tags`` (on the
    runs autologging starts), ``registered_model_name`` (each logged model becomes a new
    version of it) work as in MLflow; ``disable_for_unsupported_versions`` changes nothing.
    ``log_model_signatures`` is accepted: labtrack's Keras model records no signature.
    ``log_every_epoch=False`` with ``log_every_n_steps=n`` logs each n-th training step's
    ``logs`` instead, at step = the optimizer's iteration count.

    ``log_samples`` (labtrack's, off by default) logs sample predictions after each epoch,
    as the media table ``samples/predictions`` at step = epoch (see ``lt.media``): give an
    int ``n`` for the first ``n`` samples of ``validation_data`` (else of ``x`` and ``y``),
    or the samples as ``(x, y)`` or ``(x,)``. Columns: ``sample``, ``target``,
    ``prediction`` (a class, the argmax of the outputs, or a regressor's value), and for
    classifiers ``score`` and ``correct``.

    >>> import labtrack as lt                                    # doctest: +SKIP
    >>> lt.keras.autolog()
    >>> model.fit(x, y, epochs=3, validation_split=0.2)   # metrics loss, val_loss at steps 0..2
    >>> lt.keras.autolog(log_samples=8)                 # and 8 validation predictions per epoch
    """
    # MLflow's rule: per epoch or every n steps, one of the two.
    if log_every_epoch == (log_every_n_steps is not None):
        raise InvalidParameter(
            "set log_every_n_steps (a positive int) with log_every_epoch=False, or neither"
        )
    if log_every_n_steps is not None and (
        not isinstance(log_every_n_steps, int) or log_every_n_steps < 1
    ):
        raise InvalidParameter(
            f"log_every_n_steps must be a positive int, got {log_every_n_steps!r}"
        )
    configure(
        FLAVOR,
        disable=disable,
        log_models=log_models,
        log_input_examples=log_input_examples,
        silent=silent,
        patches={"keras": _install},
        log_datasets=log_datasets,
        log_every_epoch=log_every_epoch,
        log_every_n_steps=log_every_n_steps,
        exclusive=exclusive,
        disable_for_unsupported_versions=disable_for_unsupported_versions,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
        log_samples=_samples.check_option(log_samples),
    )


def _install() -> None:
    import keras

    patch(FLAVOR, keras.Model, "fit", wrap_fit(FLAVOR, before=_before_fit, after=_after_fit))


def _before_fit(call: FitCall) -> None:
    import keras

    arguments = call.arguments()
    user_callbacks = list(arguments.get("callbacks") or [])  # a copy: the user's list stays as is
    call.state["early_stopping"] = next(
        (c for c in user_callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None
    )
    options = call.config.options
    callback = _callback_class()(
        call.run_id, options.get("log_every_epoch", True), options.get("log_every_n_steps")
    )
    if options.get("log_samples") is not None:
        callback.samples = safely(
            FLAVOR, "take the samples to predict", _samples_of, options["log_samples"], arguments
        )
    call.set_argument("callbacks", [*user_callbacks, callback])
    params = functools.partial(_training_params, arguments, call.state["early_stopping"])
    safely(
        FLAVOR, "log the training params", lambda: fluent.log_params(params(), run_id=call.run_id)
    )
    x = arguments.get("x")
    if call.config.log_input_examples and hasattr(x, "__getitem__") and hasattr(x, "shape"):
        safely(FLAVOR, "log an input example", log_input_example, call.run_id, x)
    if call.config.options.get("log_datasets"):
        safely(FLAVOR, "log the datasets", _log_datasets, call.run_id, arguments)


def _samples_of(option: Any, arguments: dict[str, Any]) -> tuple[Any, Any] | None:
    """``log_samples``' samples: its own, or the first n of the validation or training data."""
    validation = arguments.get("validation_data")
    candidates = [(arguments.get("x"), arguments.get("y"))]
    if isinstance(validation, (tuple, list)) and len(validation) >= 2:
        candidates.insert(0, (validation[0], validation[1]))
    return _samples.first(option, candidates)


def _log_datasets(run_id: str, arguments: dict[str, Any]) -> None:
    """MLflow's dataset inputs: ``x`` (with ``y``) as ``train``, ``validation_data`` as
    ``eval``, for arrays (a ``tf.data`` dataset or a generator is not described)."""
    import numpy as np

    from labtrack import data
    from labtrack.entities import DatasetInput, InputTag
    from labtrack.entities.dataset import CONTEXT_TAG
    from labtrack.tracking.client import TrackingClient

    found = [("train", arguments.get("x"), arguments.get("y"))]
    validation = arguments.get("validation_data")
    if isinstance(validation, tuple) and len(validation) >= 2:
        found.append(("eval", validation[0], validation[1]))
    inputs = [
        DatasetInput(data.from_numpy(x, targets=y).to_entity(), [InputTag(CONTEXT_TAG, context)])
        for context, x, y in found
        if isinstance(x, np.ndarray)
    ]
    if inputs:
        TrackingClient().log_inputs(run_id, inputs)


def _training_params(arguments: dict[str, Any], early_stopping: Any) -> dict[str, Any]:
    """``fit``'s arguments as MLflow logs them: every one, defaults included, but the data,
    the callbacks and ``verbose``; ``batch_size`` read from a batched dataset when not given."""
    params = {k: v for k, v in arguments.items() if k not in _UNLOGGED_FIT_ARGUMENTS}
    if params.get("batch_size") is None:
        x = arguments.get("x")
        inferred = getattr(x, "batch_size", None) or getattr(x, "_batch_size", None)
        if isinstance(inferred, int):
            params["batch_size"] = inferred
    if early_stopping is not None:
        params.update(
            {name: getattr(early_stopping, name, None) for name in _EARLY_STOPPING_PARAMS}
        )
    return {key: param_value(value) for key, value in params.items()}


def _after_fit(call: FitCall, history: Any) -> None:
    early_stopping = call.state["early_stopping"]
    if early_stopping is not None:
        safely(
            FLAVOR,
            "log the early stopping result",
            _log_early_stopping,
            early_stopping,
            call.run_id,
        )
    if call.config.log_models:
        safely(
            FLAVOR,
            "log the model",
            _log_keras_model,
            call.instance,
            call.run_id,
            call.config.registered_model_name,
        )


def _log_early_stopping(callback: Any, run_id: str) -> None:
    metrics = {"stopped_epoch": callback.stopped_epoch}
    # Keras restores the best weights at the end whenever it kept some, stopped early or not.
    if callback.restore_best_weights and getattr(callback, "best_weights", None) is not None:
        metrics["restored_epoch"] = callback.best_epoch
    fluent.log_metrics(metrics, run_id=run_id)


def _log_keras_model(model: Any, run_id: str, registered_model_name: str | None) -> None:
    """The trained model through ``lt.log_model``: ``model/model.keras`` beside ``MLmodel``
    (which records the Keras version and backend)."""
    from labtrack.models import log_model

    log_model(
        model, "model", flavor=FLAVOR, run_id=run_id, registered_model_name=registered_model_name
    )


@functools.cache
def _callback_class() -> type:
    """Built on first use: the base class needs Keras, which this module must not import."""
    import keras

    class LabtrackCallback(keras.callbacks.Callback):
        """Logs the optimizer and model summary when training starts and each epoch's ``logs``."""

        def __init__(self, run_id: str, every_epoch: bool = True, every_n_steps: int | None = None):
            super().__init__()
            self.run_id = run_id
            self.every_epoch, self.every_n_steps = every_epoch, every_n_steps
            self.samples: tuple[Any, Any] | None = None  # (x, y) to predict after each epoch

        def on_train_begin(self, logs=None):
            # In on_train_begin, not before fit: by now Keras has built the model.
            safely(FLAVOR, "log the optimizer's settings", self._log_optimizer)
            safely(FLAVOR, "log the model summary", self._log_summary)

        def _log_optimizer(self) -> None:
            config = self.model.optimizer.get_config()  # name, learning_rate, beta_1, ...
            params = {f"optimizer_{key}": param_value(value) for key, value in config.items()}
            fluent.log_params(params, run_id=self.run_id)

        def _log_summary(self) -> None:
            lines: list[str] = []
            self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
            fluent.log_text("\n".join(lines), "model_summary.txt", run_id=self.run_id)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_test_end(self, logs=None):
            # The validation at the end of each epoch (MLflow's names; at that epoch's step).
            if logs:
                safely(
                    FLAVOR,
                    "log the validation metrics",
                    lambda: fluent.log_metrics(
                        {f"validation_{key}": float(value) for key, value in logs.items()},
                        step=getattr(self, "epoch", 0),
                        run_id=self.run_id,
                    ),
                )

        def _log(self, logs, step: int, what: str) -> None:
            safely(
                FLAVOR,
                f"log the {what}'s metrics",
                lambda: fluent.log_metrics(
                    {key: float(value) for key, value in logs.items()},
                    step=step,
                    run_id=self.run_id,
                ),
            )

        def on_epoch_end(self, epoch, logs=None):
            if logs and self.every_epoch:
                self._log(logs, epoch, "epoch")
            if self.samples is not None:
                safely(FLAVOR, "log sample predictions", self._log_samples, epoch)

        def _log_samples(self, epoch: int) -> None:
            x, y = self.samples
            outputs = self.model.predict(x, verbose=0)
            _samples.log_predictions(self.run_id, outputs, y, epoch)

        def on_train_batch_end(self, batch, logs=None):
            if logs and self.every_n_steps:
                from keras import ops

                # The optimizer's iteration count: it goes on across epochs (MLflow's step).
                step = int(ops.convert_to_numpy(self.model.optimizer.iterations))
                if step % self.every_n_steps == 0:
                    self._log(logs, step, "step")

    return LabtrackCallback


__all__ = ["autolog"]
