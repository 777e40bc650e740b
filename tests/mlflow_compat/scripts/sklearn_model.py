"""scikit-learn: infer_signature, log_model with registration, load_model, the registry."""

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
mlflow.set_experiment("sklearn-iris")
with mlflow.start_run(run_name="logreg") as run:
    params = {"C": 0.5, "max_iter": 300}
    clf = LogisticRegression(**params).fit(X, y)
    mlflow.log_params(params)
    mlflow.log_metric("train_accuracy", clf.score(X, y))
    signature = infer_signature(X, clf.predict(X))
    info = mlflow.sklearn.log_model(
        clf,
        name="model",
        signature=signature,
        input_example=X.iloc[:3],
        registered_model_name="iris-classifier",
    )

loaded = mlflow.sklearn.load_model(info.model_uri)
pyfunc = mlflow.pyfunc.load_model(info.model_uri)
same = bool(np.array_equal(loaded.predict(X), clf.predict(X)))
same_pyfunc = bool(np.array_equal(np.asarray(pyfunc.predict(X)), clf.predict(X)))

# A second version, registered from the run's model URI.
version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris-classifier")
client = MlflowClient()
client.set_registered_model_alias("iris-classifier", "champion", version.version)
client.update_registered_model("iris-classifier", description="iris species")
client.set_model_version_tag("iris-classifier", version.version, "validated", "true")
champion = mlflow.pyfunc.load_model("models:/iris-classifier@champion")
by_number = mlflow.sklearn.load_model("models:/iris-classifier/1")
print(
    "RESULT",
    {
        "same_predictions": same,
        "same_pyfunc_predictions": same_pyfunc,
        "champion_predicts": bool(np.array_equal(np.asarray(champion.predict(X)), clf.predict(X))),
        "by_number_predicts": bool(np.array_equal(by_number.predict(X), clf.predict(X))),
        "signature_inputs": signature.inputs.input_names(),
        "versions": [v.version for v in client.search_model_versions("name = 'iris-classifier'")],
        "alias_version": client.get_model_version_by_alias("iris-classifier", "champion").version,
        "registered_version": version.version,
        "model_flavors": sorted(pyfunc.metadata.flavors),
    },
)
