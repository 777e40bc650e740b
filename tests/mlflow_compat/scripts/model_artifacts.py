"""Where a logged model's files go. In MLflow 3 ``log_model`` creates a LoggedModel that keeps
its own files (``models:/<model_id>``); the run's artifacts do not include them."""

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
mlflow.set_experiment("model-artifacts")
with mlflow.start_run(run_name="logreg") as run:
    info = mlflow.sklearn.log_model(LogisticRegression(max_iter=300).fit(X, y), name="model")
print(
    "RESULT",
    {
        "run_artifacts": [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)],
        "model_uri_scheme": info.model_uri.split(":")[0],
        "model_id_set": info.model_id is not None,
    },
)
