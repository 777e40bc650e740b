"""Moving data in and out of labtrack: ``sync`` between labtrack stores (SQLite, PostgreSQL,
``labtrack server``), ``import_mlflow`` from MLflow (a file store, a database or a server),
``export_mlflow`` to MLflow, and portable zip bundles (``export_bundle``, ``import_bundle``).

Runs keep their ids, metrics their every point (step, timestamp, value), and artifacts and
the registry come along. Copies are idempotent and resumable: a run is marked complete in the
destination only once its last piece is written.

The functions are loaded on first use: ``import labtrack.transfer`` stays light.

>>> from labtrack import transfer                                   # doctest: +SKIP
>>> transfer.sync("sqlite:///laptop.db", "http://tracking:5000", registry=True)
"""

from __future__ import annotations

import importlib
from typing import Any

from labtrack.errors import InvalidParameter


class TransferError(InvalidParameter):
    """Data that cannot be copied: a folder that is no MLflow store, an MLflow schema this
    labtrack does not know, a corrupt bundle, a run that clashes with the destination. The
    message says what and where; nothing was written."""


# name -> module that defines it (loaded on first use).
_LAZY = {
    "sync": "labtrack.transfer.copy",
    "Report": "labtrack.transfer.copy",
    "import_mlflow": "labtrack.transfer.mlflow",
    "export_mlflow": "labtrack.transfer.mlflow",
    "export_bundle": "labtrack.transfer.bundle",
    "import_bundle": "labtrack.transfer.bundle",
}

__all__ = ["TransferError", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
