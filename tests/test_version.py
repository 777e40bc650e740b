"""The version is written once (src/labtrack/_version.py); everything else agrees with it."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import labtrack

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_metadata_and_the_front_ends_carry_the_one_version():
    assert version("labtrack") == labtrack.__version__
    assert json.loads((ROOT / "package.json").read_text())["version"] == labtrack.__version__
