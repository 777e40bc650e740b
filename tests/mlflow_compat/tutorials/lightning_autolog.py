"""MLflow's PyTorch Lightning autolog: mlflow.pytorch.autolog() then trainer.fit logs the
trainer's params, the metrics logged with self.log per epoch, and the model."""

import lightning as L
import mlflow
import mlflow.pytorch
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(L.LightningModule):
    def __init__(self, lr=0.05):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
        self.lr = lr

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        acc = (self(x).argmax(1) == y).float().mean()
        self.log("val_acc", acc)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


torch.manual_seed(0)
X = torch.randn(64, 8)
y = (X[:, 0] > 0).long()
train = DataLoader(TensorDataset(X, y), batch_size=16)
val = DataLoader(TensorDataset(X[:16], y[:16]), batch_size=16)

mlflow.pytorch.autolog()
model = Classifier()
trainer = L.Trainer(
    max_epochs=2,
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
)
with mlflow.start_run() as run:
    trainer.fit(model, train, val)

client = mlflow.MlflowClient()
r = client.get_run(run.info.run_id)
models = mlflow.search_logged_models(experiment_ids=[r.info.experiment_id], output_format="list")
loaded = mlflow.pytorch.load_model(f"models:/{models[0].model_id}") if models else None
print(
    "RESULT",
    {
        "params": sorted(r.data.params),
        "mode_tag": r.data.tags.get("Mode"),
        "metrics": sorted(r.data.metrics),
        "train_loss_steps": len(client.get_metric_history(run.info.run_id, "train_loss")),
        "artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id)),
        "logged_models": [m.name for m in models],
        "loads": loaded is not None and tuple(loaded(X[:2]).shape) == (2, 2),
    },
)
