"""The shared poll helper: returns once the condition holds, fails clearly when it never does."""

from __future__ import annotations

import itertools

import pytest

from .waiting import wait_until


def test_returns_once_the_condition_holds():
    calls = itertools.count(1)
    wait_until(lambda: next(calls) >= 3, timeout=10, interval=0.001)
    assert next(calls) == 4  # polled exactly until it held


def test_times_out_naming_what_it_waited_for():
    with pytest.raises(TimeoutError, match="gave up waiting for the moon after 0.05 s"):
        wait_until(lambda: False, timeout=0.05, what="the moon", interval=0.01)
