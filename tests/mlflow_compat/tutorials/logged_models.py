"""MLflow 3's logged-models demo: log_model(name=...) returns a model with an id; metrics
logged with model_id= and dataset= attach to it; search_logged_models ranks models by them;
mlflow.get_logged_model reads one; models:/<model_id> loads it."""

import mlflow
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

iris = load_iris(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, random_state=0)
mlflow.set_experiment("logged-models-demo")
train_ds = mlflow.data.from_pandas(pd.concat([X_train, y_train], axis=1), name="iris-train")
test_ds = mlflow.data.from_pandas(pd.concat([X_test, y_test], axis=1), name="iris-test")

ids = []
for C in (0.01, 1.0):
    with mlflow.start_run() as run:
        mlflow.log_input(train_ds, context="training")
        model = LogisticRegression(C=C, max_iter=500).fit(X_train, y_train)
        model_info = mlflow.sklearn.log_model(
            model, name=f"iris-C{int(C * 100)}", params={"C": C}, input_example=X_train.head(2)
        )
        accuracy = float(model.score(X_test, y_test))
        mlflow.log_metric("accuracy", accuracy, model_id=model_info.model_id, dataset=test_ds)
        ids.append(model_info.model_id)

ranked = mlflow.search_logged_models(
    filter_string="metrics.accuracy > 0",
    order_by=[{"field_name": "metrics.accuracy", "ascending": False}],
    output_format="list",
)
df = mlflow.search_logged_models()
best = mlflow.get_logged_model(ranked[0].model_id)
loaded = mlflow.pyfunc.load_model(f"models:/{best.model_id}")
metric = best.metrics[0]
run = mlflow.get_run(best.source_run_id)
print(
    "RESULT",
    {
        "ranked_names": [m.name for m in ranked],
        "df_rows": len(df),
        "has_model_id_column": "model_id" in df.columns,
        "params": best.params,
        "metric": (
            metric.key,
            metric.dataset_name,
            metric.dataset_digest == test_ds.digest,
            metric.run_id == best.source_run_id,
        ),
        "run_metrics": sorted(run.data.metrics),
        "status": str(best.status),
        "artifact_location_ok": best.artifact_location is not None,
        "predicts": len(loaded.predict(X_test.head(3))),
    },
)
