"""PyTorch: the explicit training tracker, on a tiny regression over the diabetes data."""

from __future__ import annotations

import pytest
import torch
from sklearn.datasets import load_diabetes

import labtrack as lt
import labtrack.pytorch  # noqa: F401  (lt.pytorch)
from labtrack.autolog import LabtrackAutologWarning
from labtrack.tracking import fluent

_X, _Y = load_diabetes(return_X_y=True)
X = torch.tensor(_X, dtype=torch.float32)
Y = torch.tensor(_Y, dtype=torch.float32)[:, None] / 100
BATCH = 100  # 442 rows: 5 steps per epoch


def assert_points(points, values):
    """(step, value) pairs: steps 0..n-1 exactly, values to float precision."""
    assert [step for step, _ in points] == list(range(len(values)))
    assert [value for _, value in points] == pytest.approx(values)


def train(tracker, model, optimizer, epochs=2):
    """A plain loop; returns each step's loss and each epoch's validation loss."""
    step_losses, val_losses = [], []
    for _ in range(epochs):
        for start in range(0, len(X), BATCH):
            loss = torch.nn.functional.mse_loss(
                model(X[start : start + BATCH]), Y[start : start + BATCH]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tracker.log_step(loss=loss)
            step_losses.append(loss.item())
        with torch.no_grad():
            val_losses.append(torch.nn.functional.mse_loss(model(X), Y).item())
        tracker.end_epoch(val_loss=val_losses[-1])
    return step_losses, val_losses


def new_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)


def test_tracker_logs_steps_epochs_params_and_a_loadable_model(runs, history):
    model, optimizer = new_model()
    with lt.pytorch.track_training(model, optimizer) as tracker:
        step_losses, val_losses = train(tracker, model, optimizer)
    assert (tracker.step, tracker.epoch) == (10, 2)

    (run,) = runs()
    assert run.info.status == "FINISHED"
    run_id = run.info.run_id
    assert_points(history(run_id, "loss"), step_losses)
    per_epoch = [sum(step_losses[:5]) / 5, sum(step_losses[5:]) / 5]
    assert_points(history(run_id, "loss_epoch"), per_epoch)
    assert_points(history(run_id, "val_loss"), val_losses)
    assert run.data.params == {
        "model_class": "Sequential",
        "num_params": "49",
        "num_trainable_params": "49",
        "optimizer_name": "SGD",
        "lr": "0.05",
        "momentum": "0.9",
        "weight_decay": "0.0001",
        "dampening": "0",
        "nesterov": "False",
    }
    loaded = lt.load_model(f"runs:/{run_id}/model")
    with torch.no_grad():
        expected = model(X[:5]).numpy()
    assert loaded.predict(_X[:5].astype("float32")) == pytest.approx(expected, abs=1e-6)
    native = lt.pytorch.load_model(f"runs:/{run_id}/model")
    assert all(torch.equal(native.state_dict()[k], v) for k, v in model.state_dict().items())


def test_log_every_n_steps_thins_steps_but_not_epoch_averages(runs, history):
    model, optimizer = new_model()
    with lt.pytorch.track_training(
        model, optimizer, log_every_n_steps=3, log_models=False
    ) as tracker:
        step_losses, _ = train(tracker, model, optimizer)
    run_id = runs()[0].info.run_id
    assert [step for step, _ in history(run_id, "loss")] == [0, 3, 6, 9]
    assert history(run_id, "loss_epoch")[1][1] == pytest.approx(sum(step_losses[5:]) / 5)
    assert lt.Client().list_artifacts(run_id) == []


def test_tracker_joins_the_active_run(runs):
    model, optimizer = new_model()
    with lt.start_run() as run:
        with lt.pytorch.track_training(model) as tracker:
            tracker.log_step(loss=1.0)
        assert lt.active_run() is run
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id and "optimizer_name" not in logged.data.params


def test_an_error_in_the_loop_propagates_and_fails_the_run(runs):
    model, optimizer = new_model()
    with pytest.raises(RuntimeError, match="diverged"):
        with lt.pytorch.track_training(model, optimizer) as tracker:
            tracker.log_step(loss=1.0)
            raise RuntimeError("diverged")
    (run,) = runs()
    assert run.info.status == "FAILED"
    assert lt.Client().list_artifacts(run.info.run_id) == []  # no model from a failed run


def test_a_bad_value_warns_and_the_loop_goes_on(runs, history):
    model, _ = new_model()
    with lt.pytorch.track_training(model, log_models=False) as tracker:
        with pytest.warns(LabtrackAutologWarning, match="log the step"):
            tracker.log_step(loss=torch.ones(3))  # not a single number
        tracker.log_step(loss=torch.tensor(2.0))
    assert history(runs()[0].info.run_id, "loss") == [(1, 2.0)]


def test_autolog_settings_apply_to_the_tracker(monkeypatch, runs):
    lt.pytorch.autolog(log_models=False)
    monkeypatch.setattr(fluent, "log_params", lambda *a, **k: 1 / 0)
    model, optimizer = new_model()
    with pytest.warns(LabtrackAutologWarning, match="model's params"):
        with lt.pytorch.track_training(model, optimizer) as tracker:
            tracker.log_step(loss=0.5)
    assert lt.Client().list_artifacts(runs()[0].info.run_id) == []


def test_summary_writer_reaches_the_active_run_as_in_mlflow(tmp_path, runs, history):
    # mlflow/pytorch/_pytorch_autolog.py: add_hparams -> params and metrics at step 0;
    # with log_every_n_step, every n-th step's scalars under their tags.
    from torch.utils.tensorboard import SummaryWriter

    lt.pytorch.autolog(log_every_n_step=2)
    with lt.start_run() as run:
        writer = SummaryWriter(str(tmp_path / "tb"))
        for step in range(5):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step, walltime=1_700_000_000 + step)
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd"}, {"hparam/accuracy": 0.75})
        writer.close()
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id
    points = history(run.info.run_id, "loss/train")
    assert [step for step, _ in points] == [0, 2, 4]
    assert [value for _, value in points] == pytest.approx([1.0, 1 / 3, 0.2])
    points = lt.Client().get_metric_history(run.info.run_id, "loss/train")
    assert sorted(p.timestamp for p in points) == [
        1_700_000_000_000,
        1_700_000_002_000,
        1_700_000_004_000,
    ]
    assert logged.data.params == {"lr": "0.1", "optimizer": "sgd"}
    assert logged.data.metrics["hparam/accuracy"] == 0.75


def test_summary_writer_without_an_active_run_or_steps_logs_no_scalars(tmp_path, runs):
    from torch.utils.tensorboard import SummaryWriter

    lt.pytorch.autolog()
    writer = SummaryWriter(str(tmp_path / "tb"))
    writer.add_scalar("loss", 0.5, 0)  # no active run: nothing (MLflow opens a run per call)
    with lt.start_run():
        writer.add_scalar("loss", 0.5, 0)  # log_every_n_step is None: scalars stay in TensorBoard
    writer.close()
    (run,) = runs()
    assert run.data.metrics == {}
