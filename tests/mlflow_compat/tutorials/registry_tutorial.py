"""MLflow's model registry tutorial: register a logged model, a second version, aliases,
registered-model and version tags, search_model_versions, load by alias and by version."""

import mlflow
from mlflow import MlflowClient
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor

X, y = load_diabetes(return_X_y=True)
X, y = X[:60], y[:60]
name = "diabetes-rf"
client = MlflowClient()

infos = []
for depth in (2, 4):
    with mlflow.start_run():
        model = RandomForestRegressor(n_estimators=5, max_depth=depth, random_state=0).fit(X, y)
        mlflow.log_param("max_depth", depth)
        infos.append(
            mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name=name,
                skops_trusted_types=["sklearn.tree._tree.Tree"],
            )
        )

mv3 = mlflow.register_model(infos[1].model_uri, name)
client.set_registered_model_alias(name, "champion", "2")
client.set_registered_model_alias(name, "challenger", mv3.version)
client.set_registered_model_tag(name, "task", "regression")
client.set_model_version_tag(name, "2", "validation_status", "approved")
client.update_registered_model(name, description="Random forests on the diabetes data")
client.update_model_version(name, "2", description="depth 4")

champion = client.get_model_version_by_alias(name, "champion")
versions = client.search_model_versions(f"name='{name}'")
approved = client.search_model_versions(f"name='{name}' and tag.validation_status='approved'")
by_alias = mlflow.pyfunc.load_model(f"models:/{name}@champion")
by_version = mlflow.sklearn.load_model(f"models:/{name}/1")
rm = client.get_registered_model(name)
client.delete_registered_model_alias(name, "challenger")
print(
    "RESULT",
    {
        "versions": sorted(int(v.version) for v in versions),
        "champion": (champion.version, champion.aliases, champion.tags, champion.description),
        "approved": [v.version for v in approved],
        "registered": (rm.tags, rm.aliases, rm.description),
        "after_delete": client.get_registered_model(name).aliases,
        "predicts": (len(by_alias.predict(X[:3])), len(by_version.predict(X[:3]))),
        "search_registered": [
            m.name for m in client.search_registered_models(filter_string="name LIKE 'diab%'")
        ],
    },
)
