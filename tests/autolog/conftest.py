"""Autolog tests: Keras on the torch backend, a fresh store per test, autologging off after."""

from __future__ import annotations

import os

# Keras reads its backend once, when it is first imported: before any test module imports it.
os.environ["KERAS_BACKEND"] = "torch"

import pytest  # noqa: E402

import labtrack as lt  # noqa: E402
from labtrack.autolog import autolog  # noqa: E402

from ..mlflow_env import mlflow_python  # noqa: E402, F401  (a fixture: the real MLflow)


@pytest.fixture(autouse=True)
def autolog_store(tracking_uri):
    """Every test logs to its own store; patches never leak into the next test."""
    yield tracking_uri
    autolog(disable=True)


@pytest.fixture
def runs():
    """All runs of the default experiment, oldest first, as Run entities."""

    def read():
        return sorted(lt.search_runs(output_format="list"), key=lambda run: run.info.start_time)

    return read


@pytest.fixture
def history():
    """``history(run_id, key)`` -> [(step, value), ...] in step order."""
    client = lt.Client()

    def read(run_id: str, key: str) -> list[tuple[int, float]]:
        return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))

    return read


@pytest.fixture
def artifact():
    """``artifact(run_id, path)`` -> the local path of a downloaded artifact."""
    client = lt.Client()

    def download(run_id: str, path: str) -> str:
        return client.download_artifacts(run_id, path)

    return download
