"""Every ``LABTRACK_*`` variable the code reads is declared once, in ``labtrack.env.ALL``, and
the helpers of a declared variable."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from labtrack import env

SRC = Path(__file__).resolve().parents[1] / "src" / "labtrack"


def test_every_labtrack_variable_in_the_code_is_declared_in_env():
    read = {
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(r"[\"'](LABTRACK_[A-Z0-9_]+)[\"']", path.read_text())
    }
    declared = {variable.name for variable in env.ALL}
    assert read - declared == set()
    assert len(declared) == len(env.ALL)  # no variable listed twice
    assert all(variable.doc for variable in env.ALL)


def test_a_variable_set_within_a_block_is_as_it_was_after(monkeypatch):
    monkeypatch.delenv(env.ARTIFACTS_URI.name, raising=False)
    with env.ARTIFACTS_URI.set_within("s3://bucket/a"):
        assert env.ARTIFACTS_URI.get() == "s3://bucket/a"
    assert env.ARTIFACTS_URI.name not in os.environ
    monkeypatch.setenv(env.ARTIFACTS_URI.name, "/kept")
    with pytest.raises(RuntimeError), env.ARTIFACTS_URI.set_within("/inside"):
        raise RuntimeError("the block failed")
    assert os.environ[env.ARTIFACTS_URI.name] == "/kept"
    with env.ARTIFACTS_URI.set_within(None):
        assert os.environ[env.ARTIFACTS_URI.name] == "/kept"
