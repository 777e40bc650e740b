"""One MLflow script, written as MLflow's documentation writes it, runs under the real MLflow
and, with only its import changed, under labtrack; both print the same answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ..mlflow_env import mlflow_python  # noqa: F401  (session fixture)

SCRIPT = """
import json, os, sys, tempfile
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
{import_line}

X, y = load_iris(return_X_y=True, as_frame=True)
clf = LogisticRegression(max_iter=500).fit(X, y)
work = tempfile.mkdtemp()
helpers = os.path.join(work, "iris_helpers.py")
with open(helpers, "w") as file:
    file.write("SCALE = 10\\n")


class Wrapper(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.clf = mlflow.sklearn.load_model(context.artifacts["clf"])
        self.scale = context.model_config["scale"]

    def predict(self, context, model_input, params=None):
        return self.clf.predict(model_input) * self.scale


mlflow.set_experiment("surface")
mlflow.set_experiment_tag("team", "vision")
with mlflow.start_run(run_name="kwargs") as run:
    info = mlflow.sklearn.log_model(
        clf,
        name="model",
        serialization_format="pickle",
        pyfunc_predict_fn="predict_proba",
        pip_requirements=["scikit-learn"],
        code_paths=[helpers],
        metadata={{"team": "vision"}},
        input_example=X.head(3),
        registered_model_name="iris",
        await_registration_for=0,
    )
    plain = mlflow.sklearn.log_model(clf, name="plain")
    wrapped = mlflow.pyfunc.log_model(
        name="wrapper",
        python_model=Wrapper(),
        artifacts={{"clf": plain.model_uri}},
        model_config={{"scale": 10}},
        pip_requirements=["scikit-learn"],
    )
    mlflow.log_table({{"q": ["a", "b"], "s": [1.0, 2.0]}}, "eval/t.json")
    mlflow.log_table({{"q": "c", "s": 3.0}}, "eval/t.json")
    result = mlflow.evaluate(
        plain.model_uri,
        X.assign(label=y),
        targets="label",
        model_type="classifier",
        evaluator_config={{"log_model_explainability": False}},
    )

proba = mlflow.pyfunc.load_model("models:/iris/1").predict(X.head(2))
answers = {{
    "proba": [[round(float(p), 6) for p in row] for row in proba],
    "wrapped": [int(v) for v in mlflow.pyfunc.load_model(wrapped.model_uri).predict(X.head(3))],
    "table": mlflow.load_table("eval/t.json").to_dict("list"),
    "metrics": sorted(result.metrics),
    "artifacts": sorted(result.artifacts),
    "info_keys": sorted(dict(mlflow.get_run(run.info.run_id).info)),
    "data_keys": sorted(dict(mlflow.get_run(run.info.run_id).data)),
    "experiments": [e.name for e in mlflow.search_experiments(filter_string="tags.team ILIKE 'VIS%'")],
}}
print(json.dumps(answers))
"""


def _run(python: str, import_line: str, env: dict) -> dict:
    result = subprocess.run(
        [python, "-c", SCRIPT.format(import_line=import_line)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_same_script_gives_the_same_answers(mlflow_python, tmp_path):  # noqa: F811
    ours = _run(
        sys.executable,
        "import labtrack as mlflow",
        {"LABTRACK_TRACKING_URI": f"sqlite:///{tmp_path / 'labtrack.db'}"},
    )
    theirs = _run(
        mlflow_python,
        f"import mlflow\nmlflow.set_tracking_uri('file:{tmp_path / 'mlruns'}')",
        {"MLFLOW_ALLOW_FILE_STORE": "true"},
    )
    assert ours == theirs
    assert ours["table"] == {"q": ["a", "b", "c"], "s": [1.0, 2.0, 3.0]}
    assert ours["wrapped"] == [0, 0, 0] and len(ours["proba"][0]) == 3
