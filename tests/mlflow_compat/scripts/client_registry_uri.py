"""MlflowClient(tracking_uri=..., registry_uri=...) naming one store for both."""

import os

from mlflow import MlflowClient

uri = os.environ["MLFLOW_TRACKING_URI"]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
client.create_registered_model("shared-store-model")
print("RESULT", {"models": [m.name for m in client.search_registered_models()]})
