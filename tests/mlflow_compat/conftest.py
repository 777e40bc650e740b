"""Fixtures of the MLflow compatibility tests: no test leaves the ``mlflow`` alias behind (the
root conftest keeps MLflow's variables and the registry URI out of every test)."""

from __future__ import annotations

import pytest

from labtrack import mlflow_alias

from ..mlflow_env import mlflow_python  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def no_alias_left():
    """Each test ends without the alias installed."""
    yield
    mlflow_alias.uninstall()
