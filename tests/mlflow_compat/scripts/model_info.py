"""mlflow.models.get_model_info and Model.load read a logged model's MLmodel by URI."""

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
mlflow.set_experiment("model-info")
with mlflow.start_run(run_name="logreg"):
    info = mlflow.sklearn.log_model(LogisticRegression(max_iter=300).fit(X, y), name="model")
print(
    "RESULT",
    {
        "flavors": sorted(mlflow.models.get_model_info(info.model_uri).flavors),
        "loaded_flavors": sorted(mlflow.models.Model.load(info.model_uri).flavors),
    },
)
