"""A project folder whose entry points are tiny scripts, and pipelines over it.

The ``step`` entry point logs ``score`` (its ``value``), writes ``out.txt`` as an artifact,
appends its name to ``trace/order.txt`` (the order steps ran in) and can be told to fail or to wait
until another step has started (which only a parallel run can satisfy).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

MLPROJECT = """
    name: steps
    entry_points:
      step:
        parameters:
          name: string
          value: {type: float, default: 0.0}
          fail: {type: int, default: 0}
          wait_for: {type: string, default: ""}
          text: {type: string, default: ""}
        command: "python step.py {name} {value} {fail} {wait_for} {text}"
"""
STEP_SCRIPT = """
    import sys, time
    from pathlib import Path
    import labtrack as lt

    name, value, fail, wait_for, text = sys.argv[1:6] + [""] * (6 - len(sys.argv))
    here = Path(__file__).parent.parent / "trace"  # outside the project: not its source
    here.mkdir(exist_ok=True)
    (here / f"started-{name}").write_text("")
    with open(here / "order.txt", "a") as order:
        order.write(name + "\\n")
    if wait_for:  # only a step running at the same time can create this file
        deadline = time.monotonic() + 60
        while not (here / f"started-{wait_for}").exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"{wait_for} never started")
            time.sleep(0.05)
    if int(fail):
        raise SystemExit(f"step {name} was told to fail")
    lt.log_metric("score", float(value))
    lt.log_text(text or name, "out.txt")
"""


def _write_pipeline(folder: Path, pipeline: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLproject").write_text(textwrap.dedent(MLPROJECT))
    (folder / "step.py").write_text(textwrap.dedent(STEP_SCRIPT))
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(pipeline).lstrip("\n"))
    return path


def _ran(folder: Path) -> list[str]:
    order = folder / "order.txt"
    return order.read_text().split() if order.exists() else []


@pytest.fixture
def write_pipeline(tmp_path, tracking_uri):
    """``write_pipeline(text)``: the steps project with ``pipeline.yaml`` holding ``text``, in a
    folder of its own, with a fresh store set as the tracking URI."""
    return lambda text: _write_pipeline(tmp_path / "project", text)


@pytest.fixture
def ran(tmp_path):
    """``ran()``: the steps that executed, in the order they started."""
    return lambda: _ran(tmp_path / "trace")
