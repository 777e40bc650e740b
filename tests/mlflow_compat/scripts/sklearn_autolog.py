"""mlflow.sklearn.autolog(): a fit inside a run logs the estimator's params and training metrics."""

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
mlflow.set_experiment("autolog")
mlflow.sklearn.autolog(log_models=False)
with mlflow.start_run(run_name="autologged"):
    LogisticRegression(C=2.0, max_iter=200).fit(X, y)
