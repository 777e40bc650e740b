"""``import labtrack`` stays light: no pandas, SQLAlchemy or plotting library until used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": ""},
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_import_loads_no_heavy_module():
    loaded = _modules_after("import labtrack")
    heavy = {
        "pandas",
        "sqlalchemy",
        "numpy",
        "plotly",
        "matplotlib",
        "IPython",
        "tornado",
        "sqlite3",
    }
    assert not heavy & loaded


def test_heavy_modules_load_on_first_use(tmp_path):
    loaded = _modules_after(
        f"import labtrack as lt\nlt.set_tracking_uri(r'{tmp_path / 'x.db'}')\nlt.search_runs()"
    )
    assert {"pandas", "sqlalchemy"} <= loaded


def test_lazy_client_attribute():
    import labtrack

    assert labtrack.MlflowClient is labtrack.Client
