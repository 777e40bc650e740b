"""lt.pipeline_view: a pipeline run's graph with each step's status, live while it runs; the
clicked step selects its run; a readable fallback."""

from __future__ import annotations

import textwrap
import threading
import typing

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.pipelines import run_pipeline
from labtrack.widgets import contract
from labtrack.widgets.pipeline_view import PipelineView

from ..waiting import wait_until

# `gate` waits until the file named by its parameter exists: the test holds a step running.
MLPROJECT = """
    name: steps
    entry_points:
      step:
        parameters: {value: {type: float, default: 0.5}, gate: {type: string, default: ""}}
        command: "python step.py {value} {gate}"
"""
SCRIPT = """
    import sys, time
    from pathlib import Path
    import labtrack as lt

    value, gate = float(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "")
    deadline = time.monotonic() + 60
    while gate and not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    lt.log_metric("accuracy", value)
"""
PIPELINE = """
    name: demo
    parameters: {gate: {type: string, default: ""}}
    steps:
      prepare: {entry_point: step}
      train:
        entry_point: step
        needs: [prepare]
        parameters: {value: 0.8, gate: "${params.gate}"}
        metrics: [accuracy]
      register:
        entry_point: step
        needs: [train]
        when: steps.train.metrics.accuracy >= 0.9
"""


@pytest.fixture
def pipeline_file(tmp_path, tracking_uri):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "MLproject").write_text(textwrap.dedent(MLPROJECT))
    (folder / "step.py").write_text(textwrap.dedent(SCRIPT))
    (folder / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    return folder / "pipeline.yaml"


def _keys_follow(value, hint) -> None:
    """``value`` has exactly the keys of the TypedDict ``hint``, at every depth."""
    if typing.is_typeddict(hint):
        assert set(value) == set(hint.__annotations__), hint.__name__
        hints = typing.get_type_hints(hint)
        for key, item in value.items():
            _keys_follow(item, hints[key])
    elif typing.get_origin(hint) is list:
        for item in value:
            _keys_follow(item, typing.get_args(hint)[0])


def test_steps_follow_the_pipeline_live_and_a_click_selects_a_run(pipeline_file, tmp_path):
    gate = tmp_path / "open"
    results = []
    thread = threading.Thread(
        target=lambda: results.append(run_pipeline(pipeline_file, {"gate": str(gate)}))
    )
    thread.start()
    try:
        parent = None

        def started():
            nonlocal parent
            runs = lt.search_runs(
                search_all_experiments=True,
                filter_string="tags.labtrack.pipeline = 'demo'",
                output_format="list",
            )
            parent = runs[0].info.run_id if runs else None
            return parent

        wait_until(started, timeout=30, what="the pipeline's parent run")
        view = lt.pipeline_view(parent)
        assert isinstance(view, PipelineView)
        assert view.state_type is contract.PipelineViewState
        wait_until(
            lambda: [s["status"] for s in view.steps] == ["FINISHED", "RUNNING", "PENDING"],
            timeout=60,
            what="train running, register pending",
        )
        assert view.live and view.status == "RUNNING"
        gate.write_text("")
        thread.join(timeout=120)
        wait_until(lambda: not view.live, timeout=30, what="the view to see the end")
    finally:
        gate.write_text("")
        thread.join(timeout=120)

    result = results[0]
    steps = {s["name"]: s for s in view.steps}
    assert [s["name"] for s in view.steps] == ["prepare", "train", "register"]
    assert steps["train"]["needs"] == ["prepare"]
    assert steps["train"]["metrics"] == {
        "accuracy": 0.8,
        "duration_s": pytest.approx(steps["train"]["metrics"]["duration_s"]),
    }
    assert steps["train"]["params"]["value"] == "0.8"
    assert steps["register"]["status"] == "SKIPPED"
    assert "condition is false" in steps["register"]["error"]
    assert steps["register"]["when"] == "steps.train.metrics.accuracy >= 0.9"
    assert view.status == "FINISHED"
    _keys_follow(
        {name: getattr(view, name) for name in contract.PipelineViewState.__annotations__},
        contract.PipelineViewState,
    )

    view.step = "train"  # what a click in the front end sets
    assert view.selected == [result.steps["train"].run_id]
    view.step = ""
    assert view.selected == []

    header, rows, caption = view.fallback_table()
    assert header[:3] == ["step", "needs", "status"]
    assert rows[1][:3] == ["train", "prepare", "FINISHED"] and "accuracy=0.8" in rows[1][4]
    assert "pipeline demo" in caption
    assert "SKIPPED" in view.fallback_text()
    view.close()


def test_a_reused_step_shows_as_reused(pipeline_file):
    run_pipeline(pipeline_file)
    second = run_pipeline(pipeline_file)
    view = lt.pipeline_view(second)  # what run_pipeline returned
    assert view.parent_run_id == second.parent_run_id
    steps = {s["name"]: s for s in view.steps}
    assert steps["prepare"]["status"] == "REUSED"
    assert steps["prepare"]["reused_from"] == second.steps["prepare"].source_run_id
    assert not view.live
    view.close()


def test_a_run_that_is_not_a_pipeline_is_refused(tracking_uri):
    with lt.start_run() as run:
        pass
    with pytest.raises(InvalidParameter, match="not a pipeline run"):
        lt.pipeline_view(run)
