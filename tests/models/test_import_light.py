"""The model namespaces import no framework, nor numpy, until a model is used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_model_namespaces_are_light():
    code = (
        "import labtrack as lt, labtrack.models, labtrack.pyfunc, labtrack.sklearn, labtrack.keras, "
        "labtrack.pytorch\nlt.log_model, lt.load_model, lt.pyfunc, lt.models\n"
        "import json, sys\nprint(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": ""},
        check=True,
    )
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    heavy = {
        "numpy",
        "pandas",
        "sklearn",
        "torch",
        "keras",
        "yaml",
        "cloudpickle",
        "uvicorn",
        "starlette",
    }
    assert not heavy & loaded
