"""Plain PyTorch autologging, as MLflow has it: what a ``torch.utils.tensorboard.SummaryWriter``
writes also reaches the active run.

``mlflow.pytorch.autolog()`` patches the writer (``mlflow/pytorch/_pytorch_autolog.py``):
``add_hparams`` logs its hparams as params and its metrics at step 0, and, with
``log_every_n_step``, each scalar event (``add_scalar`` and friends) every that many steps
under its tag, with its step and wall time. Unlike MLflow, which opens a run for each such
call when none is active, labtrack logs only into the active run: a plain loop has no call
that spans the training, so a run per call would scatter it.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from labtrack.autolog._common import get_config, param_value, patch, safely
from labtrack.autolog._torch import FLAVOR
from labtrack.tracking import fluent

MODULE = "torch.utils.tensorboard.writer"


def install() -> None:
    """Patch the writer classes of ``torch.utils.tensorboard.writer`` (run on its import)."""
    from torch.utils.tensorboard import writer

    patch(FLAVOR, writer.FileWriter, "add_event", _wrap_add_event)
    patch(FLAVOR, writer.SummaryWriter, "add_hparams", _wrap_add_hparams)


def _active_run_id() -> str | None:
    if get_config(FLAVOR) is None:  # disabled, but a reference to the patch was kept
        return None
    run = fluent.active_run()
    return run.info.run_id if run is not None else None


def _wrap_add_event(original):
    @functools.wraps(original)
    def patched(self, event, step=None, walltime=None):
        run_id = _active_run_id()
        every = get_config(FLAVOR).options.get("log_every_n_step") if run_id else None
        if every and event.WhichOneof("what") == "summary" and (step or 0) % every == 0:
            safely(FLAVOR, "log a scalar", _log_scalars, event, step or 0, walltime, run_id)
        return original(self, event, step, walltime)

    return patched


def _log_scalars(event: Any, step: int, walltime: float | None, run_id: str) -> None:
    timestamp = int((walltime or event.wall_time or time.time()) * 1000)
    for value in event.summary.value:
        if value.HasField("simple_value"):
            fluent.log_metric(value.tag, value.simple_value, step, timestamp, run_id=run_id)


def _wrap_add_hparams(original):
    @functools.wraps(original)
    def patched(self, hparam_dict, metric_dict, *args, **kwargs):
        run_id = _active_run_id()
        if run_id is not None and hparam_dict:
            safely(FLAVOR, "log hparams", _log_hparams, hparam_dict, metric_dict, run_id)
        return original(self, hparam_dict, metric_dict, *args, **kwargs)

    return patched


def _log_hparams(hparams: dict, metrics: dict, run_id: str) -> None:
    fluent.log_params({k: param_value(v) for k, v in hparams.items()}, run_id=run_id)
    fluent.log_metrics({k: float(v) for k, v in (metrics or {}).items()}, step=0, run_id=run_id)


__all__ = ["MODULE", "install"]
