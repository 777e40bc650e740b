"""A separate virtualenv with the real MLflow, for tests that check labtrack against it.

MLflow is never a dependency of labtrack and never goes into labtrack's own environment: tests
run MLflow scripts (or ``mlflow server``) with this environment's interpreter in a subprocess.

The environment is ``<repo>/.venv-mlflow``, built on first use with the pinned
``MLFLOW_REQUIREMENT`` (the full package, so ``mlflow server`` and the sklearn flavor work);
``LABTRACK_TEST_MLFLOW_PYTHON`` names an existing interpreter to use instead.
Test modules take the session fixture ``mlflow_python`` by importing it
(``from ..mlflow_env import mlflow_python``) or through a conftest that does.

Run ``python tests/mlflow_env.py`` to build the environment ahead of the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VENV = REPO / ".venv-mlflow"
# 3.18.0 cannot be installed: the index serves no mlflow-skinny 3.18.0 (which it pins).
MLFLOW_VERSION = "3.17.2"
MLFLOW_REQUIREMENT = f"mlflow=={MLFLOW_VERSION}"
ENV_PYTHON = "LABTRACK_TEST_MLFLOW_PYTHON"
# Installing MLflow with its dependencies takes minutes on a cold cache.
INSTALL_TIMEOUT_SECONDS = 1800


def _python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed_version(python: str | os.PathLike) -> str | None:
    """The MLflow version ``python`` imports, or None if it cannot import MLflow and sklearn."""
    probe = subprocess.run(
        [str(python), "-c", "import mlflow, sklearn; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_mlflow_python(venv: Path = DEFAULT_VENV) -> str:
    """The interpreter of an environment with the pinned MLflow: ``$LABTRACK_TEST_MLFLOW_PYTHON``
    as it is, else ``venv``'s (created, and MLflow installed, when missing or another version).
    Raises RuntimeError when the given interpreter cannot import MLflow."""
    explicit = os.environ.get(ENV_PYTHON)
    if explicit:
        if installed_version(explicit) is None:
            raise RuntimeError(f"{ENV_PYTHON}={explicit} cannot import mlflow and sklearn")
        return explicit
    python = _python_of(venv)
    # pytest-xdist's workers all get here at once: one builds, the others wait and find it.
    with FileLock(f"{venv}.lock", timeout=INSTALL_TIMEOUT_SECONDS):
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        if installed_version(python) != MLFLOW_VERSION:
            # The full package: its dependencies include scikit-learn, which the sklearn
            # flavor needs.
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", MLFLOW_REQUIREMENT],
                check=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
            )
    return str(python)


@pytest.fixture(scope="session")
def mlflow_python() -> str:
    """The interpreter of the MLflow test environment (built on first use)."""
    return ensure_mlflow_python()


if __name__ == "__main__":
    print(ensure_mlflow_python())
