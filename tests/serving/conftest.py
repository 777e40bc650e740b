"""Serving tests: real servers on loopback, each on a free port."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def store(tracking_uri):
    return tracking_uri
