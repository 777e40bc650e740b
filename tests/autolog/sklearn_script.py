"""The same scikit-learn script under MLflow and under labtrack: what each autologged.

``python sklearn_script.py MODULE STORE_DIR`` (MODULE ``mlflow`` or ``labtrack``) trains a few
estimators with ``MODULE.sklearn.autolog()`` and prints, per case, the names (and values) of
the metrics, params, tags and artifacts of the run, as JSON. tests/autolog/test_sklearn.py
runs it with the real MLflow's interpreter and with labtrack's, and compares.
"""

import importlib
import json
import sys

mlflow = importlib.import_module(sys.argv[1])
importlib.import_module(f"{sys.argv[1]}.sklearn")
mlflow.set_tracking_uri(f"sqlite:///{sys.argv[2]}/store.db")
mlflow.sklearn.autolog()

# After autolog(): metric functions imported before it are not patched (MLflow's limitation).
import pandas as pd  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits, load_iris  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

X, y = load_iris(return_X_y=True)
X_test, y_test = X[::3], y[::3]
X_bin, y_bin = load_digits(n_class=2, return_X_y=True)
X_reg, y_reg = load_diabetes(return_X_y=True)
logged = {}


def record(case, run_id):
    client = mlflow.MlflowClient()
    run = client.get_run(run_id)

    def artifacts(path=None):
        found = []
        for entry in client.list_artifacts(run_id, path):
            found += artifacts(entry.path) if entry.is_dir else [entry.path]
        return found

    logged[case] = {
        "metrics": run.data.metrics,
        "params": run.data.params,
        "tags": run.data.tags,
        "artifacts": artifacts(),
        # (name, digest, context) of each dataset the run used
        "inputs": sorted(
            [
                item.dataset.name,
                item.dataset.digest,
                {tag.key: tag.value for tag in item.tags}.get("mlflow.data.context"),
            ]
            for item in run.inputs.dataset_inputs
        ),
    }
    if "metric_info.json" in logged[case]["artifacts"]:
        with open(client.download_artifacts(run_id, "metric_info.json")) as file:
            logged[case]["metric_info"] = json.load(file)


model = LogisticRegression(max_iter=500).fit(X, y)  # no active run: autolog opens one
run_id = mlflow.last_active_run().info.run_id
model.score(X_test, y_test)
predicted = model.predict(X_test)
accuracy_score(y_test, predicted)
accuracy_score(y_test, predicted, normalize=False)
f1_score(y_test, predicted, average="macro")
record("multiclass", run_id)

with mlflow.start_run() as run:
    LogisticRegression(max_iter=1000).fit(X_bin, y_bin)
record("binary", run.info.run_id)

with mlflow.start_run() as run:
    ridge = Ridge(alpha=0.5).fit(X_reg, y_reg)
    mean_squared_error(y_reg, ridge.predict(X_reg))
record("regressor", run.info.run_id)

with mlflow.start_run() as run:
    frame = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, y)
    forest.predict_proba(frame[:10])
record("frame", run.info.run_id)

with mlflow.start_run() as run:
    KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)
record("clusterer", run.info.run_id)

with mlflow.start_run() as run:
    make_pipeline(StandardScaler(), SVC(C=2.0)).fit(X, y)
record("pipeline", run.info.run_id)

with mlflow.start_run() as run:
    StandardScaler().fit(X)  # data preparation: no run, nothing logged
    cross_val_score(LogisticRegression(max_iter=500), X, y, cv=3)  # nor the fits of its folds
record("unlogged", run.info.run_id)

with mlflow.start_run() as run:
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}
    GridSearchCV(SVC(), grid, cv=3).fit(X, y)
record("search", run.info.run_id)
children = mlflow.search_runs(
    filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'", output_format="list"
)
logged["search"]["children"] = len(children)
for child in children:
    if child.data.params["C"] == "1.0" and child.data.params["kernel"] == "rbf":
        record("search_child", child.info.run_id)

logged["runs"] = len(mlflow.search_runs(output_format="list"))
json.dump(logged, sys.stdout, default=str)
