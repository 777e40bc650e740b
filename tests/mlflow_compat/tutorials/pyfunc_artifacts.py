"""MLflow's custom pyfunc guide: a PythonModel whose load_context reads artifacts logged with
it (a pickled sklearn model and a JSON config), model_config, and a signature from type hints."""

import json
import pickle

import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier


class LabelledClassifier(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["model"], "rb") as f:
            self.model = pickle.load(f)
        with open(context.artifacts["labels"]) as f:
            self.labels = json.load(f)
        self.prefix = context.model_config.get("prefix", "")

    def predict(self, context, model_input, params=None):
        codes = self.model.predict(model_input)
        upper = (params or {}).get("upper", False)
        names = [self.prefix + self.labels[str(c)] for c in codes]
        return [n.upper() for n in names] if upper else names


iris = load_iris(as_frame=True)
tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(iris.data, iris.target)
with open("tree.pkl", "wb") as f:
    pickle.dump(tree, f)
with open("labels.json", "w") as f:
    json.dump({str(i): n for i, n in enumerate(iris.target_names)}, f)

example = iris.data.head(3)
with mlflow.start_run() as run:
    info = mlflow.pyfunc.log_model(
        name="labelled",
        python_model=LabelledClassifier(),
        artifacts={"model": "tree.pkl", "labels": "labels.json"},
        model_config={"prefix": "iris-"},
        signature=infer_signature(example, ["x"], params={"upper": False}),
        input_example=example,
        pip_requirements=["scikit-learn"],
    )

loaded = mlflow.pyfunc.load_model(info.model_uri)
local = mlflow.artifacts.download_artifacts(info.model_uri)
print(
    "RESULT",
    {
        "prediction": list(loaded.predict(example)),
        "with_params": list(loaded.predict(example, params={"upper": True}))[:1],
        "metadata_config": loaded.model_config,
        "flavors": sorted(info.flavors),
        "requirements": open(f"{local}/requirements.txt").read().split()[-1],
        "signature_params": [p.name for p in info.signature.params.params],
        "default_param": loaded.predict(example, params={})[:1],
    },
)
