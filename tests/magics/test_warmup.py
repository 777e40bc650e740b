"""The warm-up that ``import labtrack`` starts in IPython after its cell: it imports the store
and opens a store that was named or exists, so the first ``%%track`` cell does not pay for it;
it creates no store, and a store it cannot open is left for the first cell to report.

Each case runs in a fresh interpreter: the warm-up runs once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    cold = "sqlalchemy" in sys.modules
    shell.run_cell("import labtrack as lt")
    warm_up = next(t for t in threading.enumerate() if t.name == "labtrack-warm-up")
    warm_up.join(120)
    from labtrack.tracking import state

    opened = state.process().client is not None
    result = shell.run_cell("%%track --quiet\\nx = 1\\n")
    print(json.dumps({
        "sqlalchemy_before": cold,
        "sqlalchemy_after": "sqlalchemy" in sys.modules,
        "opened": opened,
        "cell_ok": result.success,
        "cell_error": repr(result.error_in_exec) if result.error_in_exec else "",
    }))
    """
)


def _run(tmp_path: Path, **environ: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABTRACK_", "MLFLOW_"))}
    env.update(LABTRACK_HOME=str(tmp_path / "home"), **environ)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_named_store_is_imported_and_opened_before_the_first_cell(tmp_path):
    database = tmp_path / "named.db"
    seen, _ = _run(tmp_path, LABTRACK_TRACKING_URI=f"sqlite:///{database}")
    assert not seen["sqlalchemy_before"] and seen["sqlalchemy_after"]
    assert seen["opened"] and database.exists()
    assert seen["cell_ok"]


def test_no_store_is_created_by_importing_labtrack(tmp_path):
    seen, _ = _run(tmp_path)
    assert seen["sqlalchemy_after"]  # the imports are warmed all the same
    assert not seen["opened"]
    assert seen["cell_ok"] and (tmp_path / "home").exists()  # the first cell made the store


def test_the_default_store_is_opened_once_it_exists(tmp_path):
    _run(tmp_path)  # makes the default store
    seen, _ = _run(tmp_path)
    assert seen["opened"] and seen["cell_ok"]


@pytest.mark.timeout(300)
def test_a_store_it_cannot_open_is_reported_by_the_first_cell_only(tmp_path):
    unreachable = "postgresql://nobody:secret@127.0.0.1:9/nowhere"
    seen, stderr = _run(tmp_path, LABTRACK_TRACKING_URI=unreachable)
    assert not seen["opened"]
    assert not seen["cell_ok"] and seen["cell_error"]  # the cell reports it, as without warm-up
    assert "Exception in thread" not in stderr and "labtrack-warm-up" not in stderr
    assert "secret" not in stderr
