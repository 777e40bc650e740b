"""Model tests: Keras on the torch backend, a fresh store per test."""

from __future__ import annotations

import os

# Keras reads its backend once, when it is first imported: before any test module imports it.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def store(tracking_uri):
    return tracking_uri
