"""PyTorch Lightning: Trainer.fit autologging and LabtrackLogger, on a tiny regression."""

from __future__ import annotations

import json

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

    def test_step(self, batch, index):
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.net(x), y))

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


def test_trainer_fit_is_autologged_with_mlflows_names(tmp_path, runs, history, artifact):
    lt.pytorch.autolog()
    trainer, model = fit(tmp_path)
    assert trainer.loggers == []  # the user's logging setup is left alone

    (run,) = runs()
    run_id = run.info.run_id
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.autologging"] == "pytorch"
    assert run.data.tags["Mode"] == "training"
    # mlflow/pytorch/_lightning_autolog.py: epochs, optimizer_name, the optimizer's defaults.
    optimizer = trainer.optimizers[0]
    expected = {"epochs": "2", "optimizer_name": "Adam"}
    expected.update({key: str(value) for key, value in optimizer.defaults.items()})
    assert expected.items() <= run.data.params.items()
    assert {"lr": "0.05", "hidden": "4", "model_class": "Regression"}.items() <= (
        run.data.params.items()
    )
    # Each epoch's callback_metrics at step = epoch; no per-step points by default.
    assert set(trainer.callback_metrics) <= set(run.data.metrics)
    for key in ("train_loss_epoch", "train_loss_step", "val_loss"):
        assert [step for step, _ in history(run_id, key)] == [0, 1], key
    assert history(run_id, "val_loss")[-1][1] == pytest.approx(
        trainer.callback_metrics["val_loss"].item()
    )
    with open(artifact(run_id, "model_summary.txt")) as file:
        assert "Sequential" in file.read()
    loaded = lt.load_model(f"runs:/{run_id}/model")
    model.eval()
    with torch.no_grad():
        expected = model.net(DATA.tensors[0][:5]).numpy()
    assert loaded.predict(_X[:5].astype("float32")) == pytest.approx(expected, abs=1e-6)


def test_trainer_test_logs_into_the_fits_run(tmp_path, runs):
    lt.pytorch.autolog(log_models=False)
    trainer, model = fit(tmp_path)
    results = trainer.test(model, torch.utils.data.DataLoader(DATA, batch_size=64), verbose=False)
    (run,) = runs()
    assert run.data.metrics["test_loss"] == pytest.approx(results[0]["test_loss"])
    assert run.data.tags["Mode"] == "testing"


def test_log_every_n_step_logs_the_step_metrics(tmp_path, runs, history):
    lt.pytorch.autolog(log_models=False, log_every_n_step=2)
    fit(tmp_path)
    (run,) = runs()
    # 7 batches x 2 epochs: global steps 0..13, every second one logged.
    assert [step for step, _ in history(run.info.run_id, "train_loss_step")] == list(
        range(1, 14, 2)
    )
    assert [step for step, _ in history(run.info.run_id, "val_loss")] == [0, 1]


def test_early_stopping_is_logged(tmp_path, runs):
    lt.pytorch.autolog(log_models=False)
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(DATA, batch_size=64)
    stopper = pl.callbacks.EarlyStopping(monitor="val_loss", min_delta=1000, patience=1)
    trainer = pl.Trainer(
        max_epochs=5,
        logger=False,
        callbacks=[stopper],
        default_root_dir=tmp_path,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Regression(), loader, loader)
    (run,) = runs()
    params = run.data.params
    assert params["monitor"] == "val_loss" and params["patience"] == "1"
    assert params["mode"] == "min" and params["min_delta"] == str(stopper.min_delta)
    assert run.data.metrics["stopped_epoch"] == stopper.stopped_epoch == 1
    assert run.data.metrics["restored_epoch"] == 0
    assert run.data.metrics["wait_count"] == stopper.wait_count


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


def test_checkpoints_are_logged_as_mlflow_logs_them(tmp_path, runs, history, artifact):
    lt.pytorch.autolog(log_models=False)  # checkpoint=True by default, as in MLflow
    trainer, model = fit(tmp_path, epochs=3)
    (run,) = runs()
    run_id = run.info.run_id
    assert run.data.tags["mlflow.latest_checkpoint_artifact"] == (
        "checkpoints/latest_checkpoint.pth"
    )
    with open(artifact(run_id, "checkpoints/latest_checkpoint_metrics.json")) as file:
        saved = json.load(file)
    # The best val_loss so far (mode min) is the checkpoint's.
    best_epoch, best = min(history(run_id, "val_loss"), key=lambda point: point[1])
    assert saved["val_loss"] == pytest.approx(best) and saved["epoch"] == best_epoch
    state = torch.load(artifact(run_id, "checkpoints/latest_checkpoint.pth"), weights_only=False)
    assert set(state["state_dict"]) == set(model.state_dict())
    assert "optimizer_states" in state


def test_every_epochs_checkpoint_without_save_best_only(tmp_path, runs):
    lt.pytorch.autolog(log_models=False, checkpoint_save_best_only=False)
    fit(tmp_path, epochs=2)
    (run,) = runs()
    client = lt.Client()
    assert [f.path for f in client.list_artifacts(run.info.run_id, "checkpoints")] == [
        "checkpoints/epoch_0",
        "checkpoints/epoch_1",
    ]
    files = [f.path for f in client.list_artifacts(run.info.run_id, "checkpoints/epoch_1")]
    assert files == [
        "checkpoints/epoch_1/checkpoint.pth",
        "checkpoints/epoch_1/checkpoint_metrics.json",
    ]
    assert (
        run.data.tags["mlflow.latest_checkpoint_artifact"] == "checkpoints/epoch_1/checkpoint.pth"
    )


def test_checkpoint_settings_are_checked_when_autolog_is_called():
    with pytest.raises(lt.errors.InvalidParameter, match="checkpoint_mode"):
        lt.pytorch.autolog(checkpoint_mode="lowest")
    with pytest.raises(lt.errors.InvalidParameter, match="checkpoint_save_freq"):
        lt.pytorch.autolog(checkpoint_save_freq=0)


def test_log_every_n_epoch_thins_the_epoch_metrics(tmp_path, runs, history):
    lt.pytorch.autolog(log_models=False, checkpoint=False, log_every_n_epoch=2)
    fit(tmp_path, epochs=4)
    (run,) = runs()
    assert [step for step, _ in history(run.info.run_id, "val_loss")] == [1, 3]
    assert not any(f.path == "checkpoints" for f in lt.Client().list_artifacts(run.info.run_id))
