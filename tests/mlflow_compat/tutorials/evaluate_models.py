"""MLflow's model evaluation guide: mlflow.models.evaluate on a logged classifier and a
logged regressor, with the default evaluator's metrics and artifacts."""

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split

results = {}
for kind, data, estimator in (
    ("classifier", load_breast_cancer(as_frame=True), LogisticRegression(max_iter=2000)),
    ("regressor", load_diabetes(as_frame=True), LinearRegression()),
):
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, random_state=42
    )
    model = estimator.fit(X_train, y_train)
    eval_data = X_test.copy()
    eval_data["label"] = y_test
    with mlflow.start_run() as run:
        signature = infer_signature(X_test, model.predict(X_test))
        model_info = mlflow.sklearn.log_model(model, name="model", signature=signature)
        result = mlflow.models.evaluate(
            model_info.model_uri,
            eval_data,
            targets="label",
            model_type=kind,
            evaluators=["default"],
        )
    client = mlflow.MlflowClient()
    stored = client.get_run(run.info.run_id).data.metrics
    results[kind] = {
        "metrics": sorted(result.metrics),
        "stored_metrics": sorted(stored),
        "artifacts": sorted(result.artifacts),
        "run_artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id)),
        "model_metrics": sorted(
            m.key for m in mlflow.get_logged_model(model_info.model_id).metrics or []
        ),
    }

# mlflow.evaluate on a static dataset: predictions already in a column, no model.
df = pd.DataFrame({"label": [0, 1, 1, 0], "prediction": [0, 1, 0, 0]})
with mlflow.start_run():
    static = mlflow.models.evaluate(
        data=df, targets="label", predictions="prediction", model_type="classifier"
    )
results["static"] = sorted(static.metrics)
print("RESULT", results)
