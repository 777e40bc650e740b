"""Serving tests: real servers on loopback, each on a free port."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def store(tracking_uri):
    return tracking_uri


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True, as_frame=True)


@pytest.fixture(scope="session")
def iris_classifier(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    return LogisticRegression(max_iter=500).fit(X, y)
