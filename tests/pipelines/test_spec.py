"""Reading pipeline files: what a good one gives, and every bad input refused with its line."""

from __future__ import annotations

import textwrap

import pytest

from labtrack.errors import InvalidParameter, NotFound
from labtrack.pipelines import load_pipeline
from labtrack.pipelines.expressions import parse_condition, parse_reference

GOOD = """
    name: demo
    parameters:
      rows: {type: int, default: 100}
    steps:
      evaluate:
        entry_point: step
        needs: [train]
        parameters: {name: evaluate, value: "${steps.train.metrics.score}"}
        metrics: [score]
      train:
        entry_point: step
        needs: prepare
        parameters: {name: train, value: "${params.rows}"}
        metrics: [score]
      prepare: {entry_point: step, parameters: {name: prepare}}
      register:
        entry_point: step
        needs: [evaluate]
        when: steps.evaluate.metrics.score >= 0.9
        parameters: {name: "${steps.train.model_uri}"}
"""


def test_a_good_pipeline_in_dependency_order(write_pipeline):
    pipeline = load_pipeline(write_pipeline(GOOD))

    assert pipeline.name == "demo"
    assert list(pipeline.steps) == ["prepare", "train", "evaluate", "register"]
    assert pipeline.steps["train"].needs == ("prepare",)
    assert pipeline.steps["train"].line == 10
    assert pipeline.steps["register"].when.text == "steps.evaluate.metrics.score >= 0.9"
    assert pipeline.parameters["rows"].default == 100
    assert pipeline.ancestors("register") == {"prepare", "train", "evaluate"}


def test_the_pipeline_section_of_an_mlproject_file(write_pipeline):
    folder = write_pipeline("steps: {}").parent
    mlproject = folder / "MLproject"
    mlproject.write_text(
        mlproject.read_text()
        + "pipeline:\n"
        + textwrap.indent(
            "steps:\n  one: {entry_point: step, parameters: {name: one}}\n"
            "  two: {entry_point: step, needs: [one], parameters: {name: two, nope: 1}}\n",
            "  ",
        )
    )
    (folder / "pipeline.yaml").unlink()
    with pytest.raises(
        InvalidParameter, match=r"MLproject:15: step 'two': unknown parameter 'nope'"
    ):
        load_pipeline(folder)
    mlproject.write_text(mlproject.read_text().replace(", nope: 1", ""))
    assert list(load_pipeline(folder).steps) == ["one", "two"]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("steps:\n  a: {entry_point: step\n", 3, "not valid YAML"),
        ("name: x\n", 1, "a pipeline needs 'steps'"),
        ("stepz: {}\n", 1, "unknown key 'stepz'"),
        (
            "steps:\n  a: {entry_point: step, parameters: {name: a}}\n"
            "  b:\n    entry_point: step\n    needs: [a, c]\n",
            5,
            "unknown step 'c'",
        ),
        (
            "steps:\n  a: {entry_point: step, needs: [c]}\n  b: {entry_point: step, needs: [a]}\n"
            "  c: {entry_point: step, needs: [b]}\n",
            2,
            "cycle: a -> c -> b -> a|cycle",
        ),
        (
            "steps:\n  a:\n    entry_point: step\n    parameters:\n      lr: 1\n",
            5,
            "unknown parameter 'lr'",
        ),
        ("steps:\n  a: {entry_point: nope}\n", 2, "no entry point 'nope'"),
        ("steps:\n  a: {notebook: missing.ipynb}\n", 2, "no notebook"),
        ("steps:\n  a: {entry_point: step, notebook: x.ipynb}\n", 2, "either 'notebook' or"),
        ("steps:\n  a:\n    entry_point: step\n    colour: red\n", 4, "unknown key 'colour'"),
        (
            "steps:\n  a: {entry_point: step, parameters: {name: a}}\n"
            "  b:\n    entry_point: step\n    needs: [a]\n    when: steps.a.metrics.acc > 0.9\n",
            6,
            "step 'a' declares no metric 'acc'",
        ),
        (
            "steps:\n  a: {entry_point: step, metrics: [acc]}\n"
            "  b:\n    entry_point: step\n    when: steps.a.metrics.acc > 0.9\n",
            5,
            "not among its needs",
        ),
        (
            "steps:\n  a:\n    entry_point: step\n    when: steps.zz.status == 'FINISHED'\n",
            4,
            "unknown step 'zz'",
        ),
        (
            "steps:\n  a:\n    entry_point: step\n    when: steps.a.metrics.x >= import os\n",
            4,
            "bad reference .import.",
        ),
        (
            "steps:\n  a:\n    entry_point: step\n    parameters:\n      name: ${params.n}\n",
            5,
            "unknown pipeline parameter 'n'",
        ),
        (
            "steps:\n  a:\n    entry_point: step\n    parameters:\n      name: ${steps.a.oops}\n",
            5,
            "bad reference",
        ),
        (
            "steps:\n  a: {entry_point: step}\n  b:\n    entry_point: step\n    needs: [a]\n"
            "    parameters:\n      name: ${steps.a.params.missing}\n",
            7,
            "has no parameter 'missing'",
        ),
        (
            "parameters:\n  n: {type: complex}\nsteps:\n  a: {entry_point: step}\n",
            2,
            "unknown type",
        ),
    ],
)
def test_bad_input_is_refused_with_its_line(write_pipeline, body, line, message):
    path = write_pipeline(body)
    with pytest.raises(InvalidParameter, match=rf"pipeline\.yaml:{line}: .*({message})"):
        load_pipeline(path)


def test_a_missing_file_or_folder(tmp_path):
    with pytest.raises(NotFound):
        load_pipeline(tmp_path / "nope.yaml")
    with pytest.raises(NotFound, match="no pipeline.yaml"):
        load_pipeline(tmp_path)


def test_conditions_are_read_by_the_grammar_never_evaluated_as_python():
    values = {"steps.e.metrics.acc": 0.93, "steps.e.status": "FINISHED", "params.n": 3}
    lookup = lambda ref: values[str(ref)]  # noqa: E731
    assert parse_condition("steps.e.metrics.acc >= 0.9").evaluate(lookup)
    assert parse_condition("(params.n > 5 or steps.e.status == 'FINISHED') and true").evaluate(
        lookup
    )
    assert not parse_condition("not steps.e.metrics.acc > 0.9").evaluate(lookup)
    assert not parse_condition('steps.e.status != "FINISHED"').evaluate(lookup)
    assert not parse_condition("steps.e.status > 1").evaluate(lookup)  # text vs number: false
    for bad in ["__import__('os')", "params.n > ", "1 +", "(params.n > 1", "a.b", "params.n >= @"]:
        with pytest.raises(InvalidParameter):
            parse_condition(bad)


def test_references():
    assert str(parse_reference("steps.train.artifacts.model/MLmodel")) == (
        "steps.train.artifacts.model/MLmodel"
    )
    assert parse_reference(" params.rows ").key == "rows"
    with pytest.raises(InvalidParameter, match="bad reference"):
        parse_reference("steps.train.metrics")
