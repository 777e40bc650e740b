"""Parameters are typed and validated before anything runs; -P values expand to a grid."""

from __future__ import annotations

import pytest

from labtrack.errors import InvalidParameter
from labtrack.projects.mlproject import load_project
from labtrack.projects.notebook import notebook_parameters
from labtrack.projects.parameters import (
    ParameterSpec,
    expand_grid,
    parse_assignments,
    parse_spec,
    resolve,
    swept_names,
)


def test_values_are_coerced_to_their_declared_types(tmp_path):
    specs = {
        "lr": ParameterSpec("lr", "float"),
        "epochs": ParameterSpec("epochs", "int", 5),
        "shuffle": ParameterSpec("shuffle", "bool", True),
        "name": ParameterSpec("name", "string", "a"),
    }
    values = resolve(specs, {"lr": "0.1", "shuffle": "false", "name": 3}, "nb")
    assert values == {"lr": 0.1, "epochs": 5, "shuffle": False, "name": "3"}
    assert isinstance(values["lr"], float)


def test_every_problem_is_reported_at_once():
    specs = {
        "lr": ParameterSpec("lr", "float"),
        "epochs": ParameterSpec("epochs", "int"),
        "batch": ParameterSpec("batch", "int", 32),
    }
    with pytest.raises(InvalidParameter) as caught:
        resolve(specs, {"lr": "fast", "batch": "1.5", "momentum": "0.9"}, "project 'p'")
    message = str(caught.value)
    assert message.startswith("project 'p': ")
    assert "unknown parameter momentum (declared: batch, epochs, lr)" in message
    assert "'lr' must be a float, got 'fast'" in message
    assert "'batch' must be an int, got '1.5'" in message
    assert "'epochs' (int) is required" in message


def test_bools_are_not_ints_and_paths_become_absolute(tmp_path, monkeypatch):
    with pytest.raises(ValueError):
        ParameterSpec("n", "int").coerce(True)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x\n")
    assert ParameterSpec("data", "path").coerce("data.csv") == str(tmp_path / "data.csv")
    with pytest.raises(ValueError, match="no such file"):
        ParameterSpec("data", "path").coerce("missing.csv")
    assert ParameterSpec("out", "uri").coerce("s3://bucket/key") == "s3://bucket/key"
    assert ParameterSpec("out", "uri").coerce("out") == str(tmp_path / "out")


def test_mlproject_declarations_short_and_long_form():
    assert parse_spec("a", "float", "ep") == ParameterSpec("a", "float")
    assert parse_spec("b", {"type": "int", "default": "3"}, "ep") == ParameterSpec("b", "int", 3)
    assert parse_spec("c", {"default": "x"}, "ep") == ParameterSpec("c", "string", "x")
    with pytest.raises(InvalidParameter, match="unknown type 'double'"):
        parse_spec("d", "double", "ep")
    with pytest.raises(InvalidParameter, match="default of parameter 'e' must be an int"):
        parse_spec("e", {"type": "int", "default": "many"}, "ep")


def test_assignments_split_on_unescaped_commas():
    assert parse_assignments(["lr=0.001,0.01", "C=1", r"text=a\,b,c", "empty="]) == {
        "lr": ["0.001", "0.01"],
        "C": ["1"],
        "text": ["a,b", "c"],
        "empty": [""],
    }
    with pytest.raises(InvalidParameter, match="name=value"):
        parse_assignments(["lr"])
    with pytest.raises(InvalidParameter, match="given twice"):
        parse_assignments(["lr=1", "lr=2"])


def test_grid_is_every_combination_in_order():
    assert expand_grid({"lr": [1, 2], "C": ["a", "b"], "k": 0}) == [
        {"lr": 1, "C": "a", "k": 0},
        {"lr": 1, "C": "b", "k": 0},
        {"lr": 2, "C": "a", "k": 0},
        {"lr": 2, "C": "b", "k": 0},
    ]
    assert expand_grid({}) == [{}]


def test_notebook_parameters_are_typed_by_their_defaults(tmp_path, notebook):
    path = notebook(
        tmp_path / "nb.ipynb",
        """
        lr = 0.1
        epochs = 5
        kernel: str = "rbf"
        verbose = False
        seeds = [1, 2]
        data = load()   # not a literal: no type, default None
        a, b = 1, 2     # not a single name: not a parameter
    """,
        "x = 1",
    )
    specs = notebook_parameters(path)
    assert {name: spec.type for name, spec in specs.items()} == {
        "lr": "float",
        "epochs": "int",
        "kernel": "string",
        "verbose": "bool",
        "seeds": "any",
        "data": "any",
    }
    assert specs["epochs"].default == 5
    assert resolve(specs, {"seeds": "[3, 4]", "data": "iris"}, "nb")["seeds"] == [3, 4]


def test_mlproject_file_is_checked_when_loaded(tmp_path, project):
    folder = project(
        tmp_path / "p",
        """
        name: p
        conda_env: conda.yaml
        entry_points:
          main:
            parameters: {alpha: float}
            command: "python train.py {alpha}"
          evaluate:
            command: "python eval.py"
    """,
    )
    loaded = load_project(folder)
    assert loaded.name == "p" and loaded.environment == {"conda_env": "conda.yaml"}
    assert loaded.entry_point("main").parameters == {"alpha": ParameterSpec("alpha", "float")}
    with pytest.raises(LookupError, match="no entry point 'train'; it has evaluate, main"):
        loaded.entry_point("train")

    project(folder, "entry_points:\n  main:\n    command: 'python t.py {lr}'\n")
    with pytest.raises(InvalidParameter, match=r"uses \{lr\}, which no parameter declares"):
        load_project(folder)
    project(folder, "entry_points: {main: {parameters: {x: int}}}\n")
    with pytest.raises(InvalidParameter, match="needs a 'command'"):
        load_project(folder)
    project(folder, "entry_points: [oops\n")
    with pytest.raises(InvalidParameter, match="not valid YAML"):
        load_project(folder)


def test_swept_names_are_the_parameters_whose_value_changes_across_the_grid():
    grid = expand_grid({"lr": [1, 2], "layers": [[64, 32]], "k": 0, "same": [3, 3]})
    assert swept_names(grid) == ["lr"]  # a one-list value and a repeated value are not swept
    assert swept_names(expand_grid({"a": 1})) == []
