"""PyTorch Lightning: Trainer.fit autologging and LabtrackLogger, on a tiny regression."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from sklearn.datasets import load_diabetes

import labtrack as lt
import labtrack.pytorch  # noqa: F401  (lt.pytorch)

# Lightning's own chatter about its internals and about DataLoader workers.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*isinstance\\(treespec", "ignore:.*does not have many workers"
)

_X, _Y = load_diabetes(return_X_y=True)
DATA = torch.utils.data.TensorDataset(
    torch.tensor(_X, dtype=torch.float32), torch.tensor(_Y, dtype=torch.float32)[:, None] / 100
)


class Regression(pl.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(10, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, index):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, index):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def fit(tmp_path, logger=False, epochs=2):
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(DATA, batch_size=64)
    trainer = pl.Trainer(
        max_epochs=epochs,
        logger=logger,
        log_every_n_steps=1,
        default_root_dir=tmp_path,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = Regression()
    trainer.fit(model, loader, loader)
    return trainer, model


def test_trainer_fit_is_autologged(tmp_path, runs, history):
    lt.pytorch.autolog()
    trainer, model = fit(tmp_path)
    assert trainer.loggers == []  # the logger autolog added is gone again

    (run,) = runs()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "pytorch"
    assert {
        "lr": "0.05",
        "hidden": "4",
        "max_epochs": "2",
        "optimizer_name": "Adam",
        "model_class": "Regression",
    }.items() <= run.data.params.items()
    assert len(history(run_id, "train_loss_step")) == 14  # 7 batches x 2 epochs
    assert len(history(run_id, "train_loss_epoch")) == len(history(run_id, "val_loss")) == 2
    assert history(run_id, "val_loss")[-1][1] == pytest.approx(
        trainer.callback_metrics["val_loss"].item()
    )
    loaded = lt.load_model(f"runs:/{run_id}/model")
    model.eval()
    with torch.no_grad():
        expected = model.net(DATA.tensors[0][:5]).numpy()
    assert loaded.predict(_X[:5].astype("float32")) == pytest.approx(expected, abs=1e-6)


def test_labtrack_logger_without_autolog(tmp_path, runs, history):
    logger = lt.pytorch.LabtrackLogger(run_name="lit", tags={"team": "vision"})
    fit(tmp_path, logger=logger)
    (run,) = runs()
    assert run.info.run_name == "lit" and run.data.tags["team"] == "vision"
    assert (
        run.info.status == "FINISHED" and lt.active_run() is None
    )  # its own run, ended by finalize
    assert logger.version == run.info.run_id and logger.name == run.info.experiment_id
    assert run.data.params == {"lr": "0.05", "hidden": "4"}
    assert len(history(run.info.run_id, "val_loss")) == 2
