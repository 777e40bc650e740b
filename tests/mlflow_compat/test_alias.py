"""``labtrack.mlflow_alias``: ``import mlflow`` (and its submodules) gives labtrack, only in a
process that asks for it, and an MLflow module labtrack lacks fails with a clear ImportError."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import labtrack as lt
from labtrack import mlflow_alias
from labtrack.errors import InvalidState

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, **extra}


@pytest.fixture
def alias():
    lt.use_as_mlflow()
    yield
    mlflow_alias.uninstall()


@pytest.mark.parametrize("name", sorted(mlflow_alias.MODULES))
def test_each_mlflow_module_is_labtrack_module_under_mlflow_name(alias, name):
    if importlib.util.find_spec(mlflow_alias.MODULES[name]) is None:
        with pytest.raises(ImportError, match=f"'{name}'.*does not provide it"):
            importlib.import_module(name)
        return
    module = importlib.import_module(name)
    target = importlib.import_module(mlflow_alias.MODULES[name])
    assert module.__name__ == name
    # Every public name of the labtrack module reads through, as the same object (a
    # submodule MLflow has too as its alias). Names the module makes on first access are
    # left out: they import frameworks (Keras for lt.keras.MlflowCallback).
    for attribute in set(getattr(target, "__all__", [])) & set(vars(target)):
        value = getattr(module, attribute)
        if f"{name}.{attribute}" in mlflow_alias.MODULES:
            value = value.__labtrack_module__
        assert value is getattr(target, attribute)


def test_mlflow_documented_imports_give_labtrack_objects(alias):
    import mlflow
    import mlflow.sklearn
    from mlflow.entities import Metric, RunTag, ViewType
    from mlflow.exceptions import MlflowException
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient

    assert mlflow.start_run is lt.start_run and mlflow.log_metric is lt.log_metric
    assert mlflow.sklearn.log_model is lt.sklearn.log_model
    assert infer_signature is lt.models.infer_signature
    assert MlflowException is lt.MlflowException and MlflowClient is lt.Client
    assert (Metric, RunTag, ViewType) == (lt.entities.Metric, lt.entities.RunTag, lt.ViewType)
    # A submodule read as an attribute, without importing it, is the same module object.
    assert mlflow.pyfunc is importlib.import_module("mlflow.pyfunc")
    assert mlflow.pyfunc.PythonModel is lt.models.PythonModel


def test_labtrack_modules_keep_their_own_identity(alias):
    import mlflow.models  # noqa: F401

    assert lt.__spec__.name == "labtrack" and lt.models.__spec__.name == "labtrack.models"
    assert not hasattr(lt, "exceptions")  # the alias, not labtrack, gets `mlflow.exceptions`


def test_an_mlflow_module_labtrack_lacks_fails_with_an_import_error_naming_it(alias):
    with pytest.raises(ImportError, match="'mlflow.xgboost'.*does not provide it") as error:
        import mlflow.xgboost  # noqa: F401
    assert error.value.name == "mlflow.xgboost"
    with pytest.raises(ImportError, match="'mlflow.genai'.*does not provide it"):
        from mlflow.genai.scorers import Correctness  # noqa: F401
    import mlflow

    # MLflow loads flavors lazily on attribute access: an AttributeError there (hasattr()
    # stays False), saying the same.
    with pytest.raises(AttributeError, match="does not provide mlflow.lightgbm"):
        mlflow.lightgbm.autolog()
    assert not hasattr(mlflow, "lightgbm")
    # An ordinary missing name of a provided module stays Python's own error.
    with pytest.raises(ImportError, match="cannot import name 'NoSuchThing'"):
        from mlflow.entities import NoSuchThing  # noqa: F401


def test_install_refuses_when_mlflow_itself_is_already_imported(monkeypatch):
    real = types.ModuleType("mlflow")
    real.__file__ = "/site-packages/mlflow/__init__.py"
    monkeypatch.setitem(sys.modules, "mlflow", real)
    with pytest.raises(InvalidState, match="MLflow itself is imported"):
        lt.use_as_mlflow()
    assert not mlflow_alias.is_installed()


def test_uninstall_forgets_the_alias(alias):
    import mlflow  # noqa: F401

    mlflow_alias.uninstall()
    assert "mlflow" not in sys.modules and not mlflow_alias.is_installed()
    # labtrack's environment has no MLflow: nothing is found any more.
    assert importlib.util.find_spec("mlflow") is None


def test_nothing_is_aliased_unless_asked():
    probe = (
        "import labtrack, labtrack.mlflow_alias, importlib.util as u; print(u.find_spec('mlflow'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=_environment(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


SCRIPT = """
    import sys

    import mlflow

    assert __name__ == "__main__"
    with mlflow.start_run(run_name=sys.argv[1]):
        mlflow.log_param("argv", " ".join(sys.argv[1:]))
    if len(sys.argv) > 3:
        raise SystemExit(int(sys.argv[3]))
"""

COMMANDS = {
    "labtrack exec": [sys.executable, "-m", "labtrack.cli", "exec"],
    "python -m labtrack.mlflow_alias": [sys.executable, "-m", "labtrack.mlflow_alias"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_runs_an_unchanged_script_with_its_arguments(tmp_path, command):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = [*COMMANDS[command], str(script), "first", "--lr"]
    result = subprocess.run(
        run, env=_environment(MLFLOW_TRACKING_URI=uri), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    exit_code = subprocess.run(
        [*COMMANDS[command], str(script), "second", "x", "3"],
        env=_environment(MLFLOW_TRACKING_URI=uri),
        capture_output=True,
        text=True,
    ).returncode
    assert exit_code == 3  # the script's SystemExit is the command's status
    runs = lt.Client(uri).search_runs(["0"], order_by=["attributes.start_time ASC"])
    assert [(r.info.run_name, r.data.params["argv"]) for r in runs] == [
        ("first", "first --lr"),
        ("second", "second x 3"),
    ]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_failing_script_shows_its_traceback_and_a_missing_one_a_clear_error(tmp_path, command):
    script = tmp_path / "broken.py"
    script.write_text("import mlflow\nraise mlflow.exceptions.MlflowException('boom')\n")
    env = _environment(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'm.db'}")
    failed = subprocess.run(
        [*COMMANDS[command], str(script)], env=env, capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "Traceback" in failed.stderr and "LabtrackError: boom" in failed.stderr
    missing = subprocess.run(
        [*COMMANDS[command], str(tmp_path / "nope.py")], env=env, capture_output=True, text=True
    )
    assert missing.returncode != 0 and "no such script" in missing.stderr
    assert "Traceback" not in missing.stderr
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text("{}")
    refused = subprocess.run(
        [*COMMANDS[command], str(notebook)], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "%load_ext labtrack.mlflow_alias" in refused.stderr


def test_exec_runs_a_module_and_takes_the_tracking_uri_option(tmp_path):
    (tmp_path / "trainer.py").write_text(
        "import mlflow\nassert __name__ == '__main__'\nmlflow.log_metric('m', 1.5)\n"
    )
    uri = f"sqlite:///{tmp_path / 'chosen.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "labtrack.cli", "--tracking-uri", uri, "exec", "-m", "trainer"],
        env=_environment(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'other.db'}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (run,) = lt.Client(uri).search_runs(["0"])
    assert run.data.metrics == {"m": 1.5}
    assert not (tmp_path / "other.db").exists()


def test_an_ipython_extension_aliases_mlflow_in_an_unchanged_notebook(tmp_path):
    # `--ext` is what c.InteractiveShellApp.extensions does for a kernel: the code is untouched.
    code = "import mlflow, labtrack; print(mlflow.start_run is labtrack.start_run)"
    result = subprocess.run(
        [sys.executable, "-m", "IPython", "--ext", "labtrack.mlflow_alias", "-c", code],
        env=_environment(LABTRACK_HOME=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")
