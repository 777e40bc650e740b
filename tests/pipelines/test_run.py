"""Running pipelines: order, parallel steps, references, conditions, failures, caching, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.pipelines import load_pipeline, resume_pipeline, run_pipeline
from labtrack.pipelines.run import (
    GRAPH_ARTIFACT,
    PIPELINE_TAG,
    REUSED_TAG,
    SKIPPED_TAG,
    STATUS_TAG,
    STEP_TAG,
)
from labtrack.tracking.client import TrackingClient

CHAIN = """
    name: chain
    parameters:
      base: {type: float, default: 1.0}
    steps:
      evaluate:
        entry_point: step
        needs: [train]
        parameters:
          name: evaluate
          value: ${steps.train.metrics.score}
          text: ${steps.train.artifacts.out.txt}
        metrics: [score]
      train:
        entry_point: step
        needs: [prepare]
        parameters: {name: train, value: "${params.base}"}
        metrics: [score]
      prepare:
        entry_point: step
        parameters: {name: prepare, value: 0.5}
"""


def children(parent_run_id: str) -> dict:
    runs = lt.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
        output_format="list",
    )
    return {run.data.tags[STEP_TAG]: run for run in runs}


def test_steps_run_in_dependency_order_as_children_of_a_parent_run(write_pipeline, ran):
    result = run_pipeline(write_pipeline(CHAIN), {"base": 0.75})

    assert ran() == ["prepare", "train", "evaluate"]
    assert [r.status for r in result.steps.values()] == ["FINISHED"] * 3
    parent = lt.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags[PIPELINE_TAG] == "chain"
    assert parent.data.params["base"] == "0.75"
    local = TrackingClient().download_artifacts(parent.info.run_id, GRAPH_ARTIFACT)
    graph = json.loads(Path(local).read_text())
    assert [(s["name"], s["needs"]) for s in graph["steps"]] == [
        ("prepare", []),
        ("train", ["prepare"]),
        ("evaluate", ["train"]),
    ]
    runs = children(result.parent_run_id)
    assert set(runs) == {"prepare", "train", "evaluate"}
    # A metric and an artifact of an earlier step, passed on as parameters.
    assert runs["train"].data.metrics["score"] == 0.75
    assert runs["evaluate"].data.params["value"] == "0.75"
    assert runs["evaluate"].data.params["text"].endswith("/out.txt")
    assert runs["evaluate"].data.params["text"].startswith(runs["train"].info.artifact_uri)


def test_independent_steps_run_at_once(write_pipeline, ran):
    # Each of a and b waits until the other has started: only a parallel run finishes.
    path = write_pipeline("""
        steps:
          a: {entry_point: step, parameters: {name: a, wait_for: b}}
          b: {entry_point: step, parameters: {name: b, wait_for: a}}
          join: {entry_point: step, needs: [a, b], parameters: {name: join}}
    """)
    result = run_pipeline(path)

    assert [r.status for r in result.steps.values()] == ["FINISHED"] * 3, result
    assert sorted(ran()[:2]) == ["a", "b"] and ran()[2] == "join"


def test_a_false_condition_skips_the_step_and_what_needs_it(write_pipeline, ran):
    path = write_pipeline("""
        steps:
          evaluate: {entry_point: step, parameters: {name: evaluate, value: 0.5}, metrics: [score]}
          register:
            entry_point: step
            needs: [evaluate]
            when: steps.evaluate.metrics.score >= 0.9 and steps.evaluate.status == 'FINISHED'
            parameters: {name: register}
          serve: {entry_point: step, needs: [register], parameters: {name: serve}}
          report:
            entry_point: step
            needs: [evaluate]
            when: not steps.evaluate.metrics.score >= 0.9
            parameters: {name: report}
    """)
    result = run_pipeline(path)

    assert ran() == ["evaluate", "report"]
    assert result.steps["register"].status == "SKIPPED"
    assert result.steps["serve"].status == "SKIPPED"
    assert lt.get_run(result.parent_run_id).info.status == "FINISHED"
    runs = children(result.parent_run_id)
    assert runs["register"].data.tags[STATUS_TAG] == "skipped"
    assert "steps.evaluate.metrics.score >= 0.9" in runs["register"].data.tags[SKIPPED_TAG]
    assert "register" in runs["serve"].data.tags[SKIPPED_TAG]


def test_a_failed_step_stops_what_needs_it_and_the_rest_goes_on(write_pipeline, ran):
    path = write_pipeline("""
        steps:
          broken: {entry_point: step, parameters: {name: broken, fail: 1}}
          after: {entry_point: step, needs: [broken], parameters: {name: after}}
          other: {entry_point: step, parameters: {name: other}}
    """)
    result = run_pipeline(path, jobs=1)

    assert sorted(ran()) == ["broken", "other"]
    assert result.steps["broken"].status == "FAILED"
    assert "told to fail" in result.steps["broken"].error
    assert result.steps["after"].status == "NOT_RUN"
    assert result.steps["other"].status == "FINISHED"
    parent = lt.get_run(result.parent_run_id)
    assert parent.info.status == "FAILED"
    assert "broken" in parent.data.tags["labtrack.error"]


def test_an_unchanged_step_reuses_its_earlier_run(write_pipeline, ran, tmp_path):
    path = write_pipeline(CHAIN)
    first = run_pipeline(path)
    second = run_pipeline(path)

    assert ran() == ["prepare", "train", "evaluate"]  # nothing executed the second time
    for name, step in second.steps.items():
        assert step.reused and step.status == "FINISHED"
        assert step.source_run_id == first.steps[name].run_id
        run = lt.get_run(step.run_id)
        assert run.data.tags[REUSED_TAG] == first.steps[name].run_id
        assert run.info.status == "FINISHED"
    assert lt.get_run(second.steps["train"].run_id).data.metrics["score"] == 1.0

    # A new value for train runs it again, and evaluate after it (its input changed).
    third = run_pipeline(path, {"base": 2.0})
    assert ran()[3:] == ["train", "evaluate"]
    assert third.steps["prepare"].reused and not third.steps["train"].reused
    assert lt.get_run(third.steps["evaluate"].run_id).data.params["value"] == "2.0"

    # Changed code runs every step again; cache=False too.
    (tmp_path / "project" / "step.py").write_text(
        (tmp_path / "project" / "step.py").read_text() + "\n# changed\n"
    )
    run_pipeline(path, {"base": 2.0})
    assert ran()[5:] == ["prepare", "train", "evaluate"]
    run_pipeline(path, {"base": 2.0}, cache=False)
    assert ran()[8:] == ["prepare", "train", "evaluate"]


def test_resume_reruns_from_the_failed_step(write_pipeline, ran, tmp_path):
    path = write_pipeline("""
        parameters:
          fail: {type: int, default: 1}
        steps:
          prepare: {entry_point: step, parameters: {name: prepare}}
          train: {entry_point: step, needs: [prepare], parameters: {name: train, fail: "${params.fail}"}}
          evaluate: {entry_point: step, needs: [train], parameters: {name: evaluate}}
    """)
    failed = run_pipeline(path, {"fail": 1})
    assert failed.steps["train"].status == "FAILED"
    # The fix: train's code no longer fails for that value.
    step = tmp_path / "project" / "step.py"
    step.write_text(step.read_text().replace("if int(fail):", "if int(fail) > 1:"))

    resumed = resume_pipeline(failed.parent_run_id)

    assert ran() == ["prepare", "train", "train", "evaluate"]
    assert resumed.steps["prepare"].reused
    assert resumed.steps["prepare"].source_run_id == failed.steps["prepare"].run_id
    assert resumed.steps["evaluate"].status == "FINISHED"
    parent = lt.get_run(resumed.parent_run_id)
    assert parent.data.tags["labtrack.pipeline.resumed_from"] == failed.parent_run_id
    assert parent.data.params["fail"] == "1"


def test_resume_refuses_a_run_that_is_not_a_pipeline(tracking_uri):
    with lt.start_run() as run:
        pass
    with pytest.raises(InvalidParameter, match="not a pipeline run"):
        resume_pipeline(run.info.run_id)


def test_a_pipeline_object_runs_as_its_file(write_pipeline, ran):
    pipeline = load_pipeline(write_pipeline(CHAIN).parent)  # the folder finds pipeline.yaml
    result = run_pipeline(pipeline, experiment_name="pipes")
    assert lt.get_run(result.parent_run_id).info.experiment_id == (
        lt.get_experiment_by_name("pipes").experiment_id
    )


def test_a_declared_metric_never_logged_fails_the_step_that_reads_it(write_pipeline, ran):
    path = write_pipeline("""
        steps:
          train: {entry_point: step, parameters: {name: train}, metrics: [accuracy]}
          register:
            entry_point: step
            needs: [train]
            parameters: {name: register, value: "${steps.train.metrics.accuracy}"}
    """)
    result = run_pipeline(path)

    assert ran() == ["train"]
    assert result.steps["register"].status == "FAILED"
    assert "logged no metric 'accuracy'" in result.steps["register"].error
    run = lt.get_run(result.steps["register"].run_id)
    assert "logged no metric 'accuracy'" in run.data.tags["labtrack.error"]


def test_a_notebook_step_gets_its_parameters_from_an_earlier_step(write_pipeline, tmp_path):
    import nbformat

    path = write_pipeline("""
        steps:
          score: {entry_point: step, parameters: {name: score, value: 0.25}, metrics: [score]}
          report:
            notebook: report.ipynb
            needs: [score]
            parameters: {score: "${steps.score.metrics.score}"}
    """)
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("score = 0.0")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        parameters,
        nbformat.v4.new_code_cell("import labtrack as lt\nlt.log_metric('doubled', 2 * score)"),
    ]
    nbformat.write(notebook, path.parent / "report.ipynb")

    result = run_pipeline(path)

    assert result.steps["report"].status == "FINISHED", result.steps["report"].error
    assert lt.get_run(result.steps["report"].run_id).data.metrics["doubled"] == 0.5
