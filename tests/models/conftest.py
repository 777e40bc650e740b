"""Model tests: Keras on the torch backend, a fresh store per test."""

from __future__ import annotations

import os

# Keras reads its backend once, when it is first imported: before any test module imports it.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def store(tracking_uri):
    return tracking_uri


@pytest.fixture(scope="session")
def iris():
    """Iris as (DataFrame of features, Series of labels)."""
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="session")
def iris_classifier(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)
