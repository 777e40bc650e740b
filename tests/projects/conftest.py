"""Tiny notebooks and MLproject folders, written by the tests into tmp_path.

Notebooks run in a kernel of this interpreter (labtrack's default), which imports labtrack
through PYTHONPATH; each execution costs seconds, so few tests execute one.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest


def write_notebook(path: Path, parameters: str | None, *cells: str) -> Path:
    """A notebook whose first cell, tagged ``parameters``, holds ``parameters``."""
    notebook = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(textwrap.dedent(parameters))
        cell.metadata["tags"] = ["parameters"]
        notebook.cells.append(cell)
    notebook.cells += [nbformat.v4.new_code_cell(textwrap.dedent(source)) for source in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def write_project(folder: Path, mlproject: str, **files: str) -> Path:
    """A project folder: its MLproject file and ``files`` (name -> source)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLproject").write_text(textwrap.dedent(mlproject))
    for name, source in files.items():
        (folder / name).write_text(textwrap.dedent(source))
    return folder


# An entry point that logs through the fluent API into the run `labtrack run` made for it.
SCORE_PROJECT = """
    name: scorer
    python_env: python_env.yaml
    entry_points:
      main:
        parameters:
          a: {type: float, default: 1.0}
          b: int
          label: {type: string, default: "x"}
        command: "python score.py --a {a} --b {b} --label {label}"
"""
SCORE_SCRIPT = """
    import argparse
    import labtrack as lt

    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=float)
    parser.add_argument("--b", type=int)
    parser.add_argument("--label")
    args = parser.parse_args()
    if args.b < 0:
        raise SystemExit("b must not be negative")
    print(f"label={args.label}")
    lt.log_metric("score", args.a * args.b)
    lt.log_metric("loss", 1 / (1 + args.a * args.b))
"""


@pytest.fixture
def score_project(tmp_path) -> Path:
    return write_project(
        tmp_path / "scorer",
        SCORE_PROJECT,
        **{"score.py": SCORE_SCRIPT, "python_env.yaml": "python: '3.11'\n"},
    )


@pytest.fixture
def notebook():
    """``notebook(path, parameters_source, *cell_sources)`` writes a notebook."""
    return write_notebook


@pytest.fixture
def project():
    """``project(folder, mlproject_text, **files)`` writes a project folder."""
    return write_project
