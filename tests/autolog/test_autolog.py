"""``lt.autolog()``: lazy imports, patching on import, enabling and disabling every integration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import lightning.pytorch as pl
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import labtrack as lt
from labtrack.autolog import _imports, autolog
from labtrack.errors import InvalidParameter

SRC = str(Path(__file__).resolve().parents[2] / "src")
FRAMEWORKS = {"sklearn", "keras", "torch", "lightning", "pytorch_lightning", "numpy", "pandas"}


def run_python(code: str, tmp_path: Path) -> str:
    env = {"PYTHONPATH": SRC, "PATH": "", "LABTRACK_HOME": str(tmp_path), "KERAS_BACKEND": "torch"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_enabling_autolog_imports_no_framework(tmp_path):
    code = (
        "import sys, labtrack, labtrack.sklearn, labtrack.keras, labtrack.pytorch\n"
        "from labtrack.autolog import autolog\n"
        "autolog()\n"
        "labtrack.sklearn.autolog(); labtrack.keras.autolog(); labtrack.pytorch.autolog()\n"
        "print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    )
    assert not FRAMEWORKS & set(run_python(code, tmp_path).split())


def test_a_framework_imported_after_autolog_is_patched_on_import(tmp_path):
    code = (
        "import labtrack as lt\n"
        "from labtrack.autolog import autolog\n"
        f"lt.set_tracking_uri(r'{tmp_path / 'store.db'}')\n"
        "autolog()\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "LogisticRegression(max_iter=500).fit(*load_iris(return_X_y=True))\n"
        "print(len(lt.search_runs()), lt.last_active_run().data.tags['estimator_name'])"
    )
    assert run_python(code, tmp_path) == "1 LogisticRegression"


@pytest.mark.parametrize(
    "first", ["", "import labtrack.pytorch, labtrack.sklearn, labtrack.autolog.keras"]
)
def test_the_public_names(tmp_path, first):
    # lt.autolog stays the function although labtrack.autolog is also a package, whatever
    # was imported first; lt.sklearn and friends need no import of their own.
    code = (
        f"{first}\n"
        "import labtrack as lt\n"
        "print(lt.autolog.__module__, lt.sklearn.autolog.__module__, lt.keras.autolog.__module__,\n"
        "      lt.pytorch.autolog.__module__, lt.pytorch.track_training.__name__)"
    )
    assert run_python(code, tmp_path).split() == [
        "labtrack.autolog",
        "labtrack.autolog.sklearn",
        "labtrack.autolog.keras",
        "labtrack.autolog.pytorch",
        "track_training",
    ]


def test_autolog_patches_every_installed_framework_and_disable_undoes_it():
    originals = (vars(LogisticRegression)["fit"], vars(pl.Trainer)["fit"])
    autolog()
    assert vars(LogisticRegression)["fit"].__wrapped__ is originals[0]
    assert vars(pl.Trainer)["fit"].__wrapped__ is originals[1]
    assert "fit" in vars(keras.Model)
    autolog()  # a second call changes settings only: nothing is wrapped twice
    assert vars(LogisticRegression)["fit"].__wrapped__ is originals[0]
    autolog(disable=True)
    assert (vars(LogisticRegression)["fit"], vars(pl.Trainer)["fit"]) == originals
    assert "fit" not in vars(keras.Model)


def test_exclude_flavors():
    autolog(exclude_flavors=["keras", "pytorch"])
    assert "fit" not in vars(keras.Model)
    assert not hasattr(vars(pl.Trainer)["fit"], "__wrapped__")
    assert hasattr(vars(LogisticRegression)["fit"], "__wrapped__")


def test_when_imported_runs_after_the_module_executed_and_can_be_cancelled(tmp_path, monkeypatch):
    for name in ("probe_a", "probe_b"):
        (tmp_path / f"{name}.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    _imports.when_imported("probe_a", "test", lambda: seen.append(sys.modules["probe_a"].VALUE))
    _imports.when_imported("probe_b", "test-cancelled", lambda: seen.append("b"))
    _imports.cancel("test-cancelled")
    try:
        import probe_a
        import probe_b  # noqa: F401
    finally:
        for name in ("probe_a", "probe_b"):
            sys.modules.pop(name, None)
    assert seen == [42]
    assert probe_a.__loader__.__class__.__name__ == "SourceFileLoader"  # the real loader stays
    assert _imports._finder not in sys.meta_path  # nothing pending: the finder is gone
    _imports.when_imported("sys", "test", lambda: seen.append("now"))  # already imported
    assert seen == [42, "now"]


def test_mlflows_common_settings_exclusive_extra_tags_registered_model(runs):
    X, y = load_iris(return_X_y=True)
    autolog(exclusive=True, extra_tags={"team": "vision"}, log_models=False)
    with lt.start_run() as mine:
        LogisticRegression(max_iter=500).fit(X, y)  # exclusive: the user's run gets nothing
    LogisticRegression(max_iter=500).fit(X, y)  # a run autolog starts: with the extra tags
    user_run, autologged = runs()
    assert user_run.info.run_id == mine.info.run_id
    assert user_run.data.params == {} and user_run.data.metrics == {}
    assert autologged.data.tags["team"] == "vision"
    assert autologged.data.tags["mlflow.autologging"] == "sklearn"

    lt.sklearn.autolog(registered_model_name="iris-classifier", log_model_signatures=False)
    LogisticRegression(max_iter=500).fit(X, y)
    latest = runs()[-1]
    (version,) = lt.MlflowClient().search_model_versions("name = 'iris-classifier'")
    assert version.run_id == latest.info.run_id
    saved = lt.models.Model.load(lt.Client().download_artifacts(latest.info.run_id, "model"))
    assert saved.signature is None


def test_bad_extra_tags_are_refused_when_autolog_is_called():
    with pytest.raises(InvalidParameter, match="tag"):
        autolog(extra_tags={"../escape": "x"})
