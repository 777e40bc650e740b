"""The MLflow worker: the shared workloads on ``mlflow`` with its SQLAlchemy (sqlite:///) store.

Run by ``run.py`` with the bench virtualenv's python (MLflow is never a dependency of
labtrack). MLflow's calls are synchronous, so "persisted" is the end of the loop.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
logging.getLogger("mlflow").setLevel(logging.WARNING)  # no "Creating initial tables" chatter

from common import worker_main  # noqa: E402
from tracking_api import Tracker  # noqa: E402

_template: Path | None = None


def use_store(folder: Path) -> Path:
    """A copy of an empty, fully migrated MLflow database: running MLflow's alembic
    migrations takes seconds, which is set-up and not what the workloads measure."""
    global _template
    import mlflow

    if _template is None:
        _template = Path(tempfile.mkdtemp(prefix="mlflow-template-")) / "mlflow.db"
        mlflow.MlflowClient(f"sqlite:///{_template}").search_experiments()
    database = folder / "mlflow.db"
    shutil.copyfile(_template, database)
    mlflow.set_tracking_uri(f"sqlite:///{database}")
    return database


if __name__ == "__main__":
    tracker = Tracker("mlflow", use_store=use_store)
    worker_main("mlflow", tracker.module.__version__, tracker.workloads())
