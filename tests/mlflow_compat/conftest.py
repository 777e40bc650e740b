"""Fixtures of the MLflow compatibility tests: no MLflow variable of the developer's shell
reaches a test, and no test leaves the ``mlflow`` alias or a registry URI behind."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack import env, mlflow_alias

from ..mlflow_env import mlflow_python  # noqa: F401  (a fixture)

MLFLOW_VARIABLES = [variable.name for variable in env.ALL if variable.name.startswith("MLFLOW_")]


@pytest.fixture(autouse=True)
def no_mlflow_settings(monkeypatch):
    """Each test starts without MLflow's variables, and ends without the alias installed."""
    for name in MLFLOW_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    mlflow_alias.uninstall()
    lt.set_registry_uri(None)
