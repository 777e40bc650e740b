"""MLflow's PyTorch quickstart, condensed: a manual training loop logs params and per-step
metrics, then mlflow.pytorch.log_model(name=...) and both loaders."""

import mlflow
import mlflow.pytorch
import numpy as np
import torch
from mlflow.models import infer_signature
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
X = torch.randn(64, 8)
y = (X.sum(dim=1) > 0).long()
loader = DataLoader(TensorDataset(X, y), batch_size=16)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
params = {"epochs": 2, "learning_rate": 0.1, "batch_size": 16, "loss_function": "CrossEntropyLoss"}

mlflow.set_experiment("/pytorch-quickstart")
with mlflow.start_run() as run:
    mlflow.log_params(params)
    with open("model_summary.txt", "w") as f:
        f.write(str(model))
    mlflow.log_artifact("model_summary.txt")
    step = 0
    for epoch in range(params["epochs"]):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            mlflow.log_metric("loss", loss.item(), step=step)
            step += 1
        accuracy = (model(X).argmax(1) == y).float().mean().item()
        mlflow.log_metric("accuracy", accuracy, step=epoch)
    example = X[:4].numpy()
    signature = infer_signature(example, model(X[:4]).detach().numpy())
    model_info = mlflow.pytorch.log_model(model, name="model", signature=signature)

loaded = mlflow.pytorch.load_model(model_info.model_uri)
pyfunc_model = mlflow.pyfunc.load_model(model_info.model_uri)
same = np.allclose(loaded(X[:4]).detach().numpy(), model(X[:4]).detach().numpy())
pred = pyfunc_model.predict(example)
client = mlflow.MlflowClient()
r = client.get_run(run.info.run_id)
print(
    "RESULT",
    {
        "params": sorted(r.data.params),
        "metrics": sorted(r.data.metrics),
        "loss_steps": len(client.get_metric_history(run.info.run_id, "loss")),
        "artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id)),
        "model_uri_is_models": model_info.model_uri.startswith("models:/"),
        "flavors": sorted(mlflow.models.get_model_info(model_info.model_uri).flavors),
        "same_predictions": bool(same),
        "pyfunc_shape": list(np.asarray(pred).shape),
    },
)
