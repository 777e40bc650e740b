"""`pip install` alone enables the JupyterLab extension and the server extension (the wheel
ships the prebuilt extension, install.json and the server config as data files)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _jupyter(*args: str) -> str:
    # The `jupyter` beside this interpreter: `python -m jupyter` dispatches to whichever
    # jupyter-* script comes first on PATH, which may belong to another environment.
    script = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)
    return ANSI.sub("", done.stdout + done.stderr)


@pytest.fixture(scope="module")
def installed():
    try:
        metadata.distribution("labtrack")
    except metadata.PackageNotFoundError:
        pytest.skip("labtrack is not pip-installed in this interpreter (.ci/test installs it)")
    if not Path(sys.executable).with_name("jupyter").exists():
        pytest.skip("no jupyter script beside this interpreter")


def test_the_labextension_is_listed_as_enabled(installed):
    assert re.search(r"^\s*labtrack v\S+ enabled OK", _jupyter("labextension", "list"), re.M)


def test_the_server_extension_is_listed_as_enabled(installed):
    listing = _jupyter("server", "extension", "list")
    assert re.search(r"^\s*labtrack\.sidebar enabled", listing, re.M)
    assert re.search(r"^\s*labtrack\.sidebar\s+OK", listing, re.M)
