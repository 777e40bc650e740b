"""``lt.keras.MlflowCallback``: MLflow's Keras 3 callback, logging to labtrack. Its base
class is Keras' own, so the class is built when first asked for (``import labtrack.keras``
imports no Keras)."""

from __future__ import annotations

import functools
import warnings
from typing import Any

from labtrack.errors import InvalidParameter

_built: type | None = None


def callback_class() -> type:
    """The ``MlflowCallback`` class (a ``keras.callbacks.Callback``), built once."""
    global _built
    if _built is None:
        _built = _build()
    return _built


def _safe(hook):
    """A hook whose failure warns instead of stopping training, as MLflow's
    ``ExceptionSafeClass`` does: a broken store must not cost the user their fit."""

    @functools.wraps(hook)
    def run(self, *args, **kwargs):
        try:
            return hook(self, *args, **kwargs)
        except Exception as error:  # noqa: BLE001
            warnings.warn(
                f"labtrack's MlflowCallback.{hook.__name__} failed: {type(error).__name__}: "
                f"{error}",
                stacklevel=2,
            )
            return None

    return run


def _floats(logs: dict[str, Any]) -> dict[str, float]:
    """Keras' logs hold numpy or backend scalars: plain floats for ``log_metrics``."""
    return {key: float(value) for key, value in logs.items()}


def _build() -> type:
    import keras

    from labtrack.tracking import fluent

    class MlflowCallback(keras.callbacks.Callback):
        """Logs a Keras fit to the active run, as MLflow's ``mlflow.keras.MlflowCallback``:
        the optimizer's config as ``optimizer_*`` params and ``model_summary.txt`` when
        training begins, the epoch's metrics at the end of each epoch (step = epoch), or
        every ``log_every_n_steps`` optimizer iterations instead (``log_every_epoch=False``),
        and ``validation_*`` metrics after each evaluation. ``model_id`` links the metrics to
        a logged model. A failing hook warns; training goes on.

        >>> with lt.start_run():                                       # doctest: +SKIP
        ...     model.fit(x, y, epochs=5, callbacks=[lt.keras.MlflowCallback()])
        """

        def __init__(
            self,
            log_every_epoch: bool = True,
            log_every_n_steps: int | None = None,
            model_id: str | None = None,
        ):
            super().__init__()
            if log_every_epoch and log_every_n_steps is not None:
                raise InvalidParameter(
                    "log_every_n_steps must be None when log_every_epoch=True, got "
                    f"log_every_n_steps={log_every_n_steps!r}"
                )
            if not log_every_epoch and (
                not isinstance(log_every_n_steps, int) or log_every_n_steps < 1
            ):
                raise InvalidParameter(
                    "log_every_epoch=False needs log_every_n_steps, a positive int; got "
                    f"{log_every_n_steps!r}"
                )
            self.log_every_epoch = log_every_epoch
            self.log_every_n_steps = log_every_n_steps
            self.model_id = model_id

        @_safe
        def on_train_begin(self, logs=None):
            """The optimizer's config as params, the model's summary as a text artifact."""
            config = self.model.optimizer.get_config()
            fluent.log_params({f"optimizer_{k}": v for k, v in config.items()})
            lines: list[str] = []
            self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
            fluent.log_text("\n".join(lines), artifact_file="model_summary.txt")

        @_safe
        def on_epoch_end(self, epoch, logs=None):
            """The epoch's metrics, at step ``epoch``."""
            if self.log_every_epoch and logs:
                fluent.log_metrics(_floats(logs), step=epoch, model_id=self.model_id)

        @_safe
        def on_batch_end(self, batch, logs=None):
            """Every ``log_every_n_steps`` optimizer iterations, the running metrics."""
            if self.log_every_n_steps is None or not logs:
                return
            iteration = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            if iteration % self.log_every_n_steps == 0:
                fluent.log_metrics(_floats(logs), step=iteration, model_id=self.model_id)

        @_safe
        def on_test_end(self, logs=None):
            """The evaluation's metrics, as ``validation_<name>``."""
            if logs:
                metrics = {f"validation_{k}": v for k, v in _floats(logs).items()}
                fluent.log_metrics(metrics, model_id=self.model_id)

    MlflowCallback.__module__ = "labtrack.keras"
    return MlflowCallback
