"""Every ``LABTRACK_*`` variable the code reads is declared once, in ``labtrack.env.ALL``."""

from __future__ import annotations

import re
from pathlib import Path

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
