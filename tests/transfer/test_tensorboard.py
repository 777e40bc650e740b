"""``import_tensorboard``: event files written by torch's SummaryWriter become labtrack runs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from torch.utils.tensorboard import SummaryWriter

import labtrack as lt
from labtrack.transfer import TransferError
from labtrack.transfer.tensorboard import import_tensorboard

WALL = 1_700_000_000.125  # seconds; a fraction, so that the ms must come out exact


def write_run(folder: Path, *, hparams: bool = False, image: bool = False) -> None:
    writer = SummaryWriter(str(folder))
    for step in range(4):
        writer.add_scalar("loss/train", 1.0 / (step + 1), step * 10, walltime=WALL + step)
        writer.add_scalar("accuracy", 0.5 + step / 10, step * 10, walltime=WALL + step)
    if image:
        pixels = np.zeros((3, 8, 12), dtype=np.uint8)
        pixels[0] = 255  # red, 8 high and 12 wide
        writer.add_image("samples/input", pixels, 5, walltime=WALL + 10)
        writer.add_image("samples/input", pixels // 2, 7, walltime=WALL + 11)
    if hparams:
        writer.add_hparams(
            {"lr": 0.01, "batch_size": 32, "optimizer": "adam", "augment": True},
            {"hparam/accuracy": 0.9},
            run_name="hparams",
        )
    writer.close()


def all_runs() -> list:
    return lt.search_runs(search_all_experiments=True, output_format="list", run_view_type=3)


def test_scalars_hparams_and_images_become_runs(tmp_path, tracking_uri):
    logdir = tmp_path / "tb"
    write_run(logdir / "baseline", hparams=True, image=True)
    write_run(logdir / "wide")
    client = lt.Client()

    run_ids = import_tensorboard(logdir, client, experiment_name="from-tensorboard")

    runs = {client.get_run(run_id).info.run_name: client.get_run(run_id) for run_id in run_ids}
    # One run per folder holding event files: add_hparams writes its own, under baseline/.
    assert sorted(runs) == ["baseline", "baseline/hparams", "wide"]
    experiment = client.get_experiment_by_name("from-tensorboard")
    assert {run.info.experiment_id for run in runs.values()} == {experiment.experiment_id}
    baseline = runs["baseline"]
    assert baseline.info.status == "FINISHED"
    assert baseline.data.tags["labtrack.source"] == "tensorboard"
    assert baseline.data.tags["tensorboard.run"] == "baseline"

    history = client.get_metric_history(baseline.info.run_id, "loss/train")
    assert [(m.step, m.timestamp) for m in history] == [
        (step * 10, 1_700_000_000_125 + step * 1000) for step in range(4)
    ]
    assert [m.value for m in history] == pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    assert baseline.info.start_time == 1_700_000_000_125

    hparams = runs["baseline/hparams"]
    # torch writes a bool hparam as the number 1.0 (a bool is an int): the file says 1.
    assert hparams.data.params == {
        "lr": "0.01",
        "batch_size": "32",
        "optimizer": "adam",
        "augment": "1",
    }
    assert hparams.data.metrics["hparam/accuracy"] == pytest.approx(0.9)

    artifacts = [
        f.path for f in client.list_artifacts(baseline.info.run_id, "images/samples/input")
    ]
    assert artifacts == ["images/samples/input/step_5.png", "images/samples/input/step_7.png"]
    with open(client.download_artifacts(baseline.info.run_id, artifacts[0]), "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        assert image.format == "PNG" and image.size == (12, 8)
        assert image.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert client.list_artifacts(runs["wide"].info.run_id) == []


def test_a_logdir_that_is_one_run_and_the_default_experiment(tmp_path, tracking_uri):
    write_run(tmp_path / "single")
    (run_id,) = import_tensorboard(tmp_path / "single", lt.Client())
    run = lt.Client().get_run(run_id)
    assert run.info.run_name == "single" and run.info.experiment_id == "0"
    assert run.data.tags["tensorboard.run"] == "."
    assert set(run.data.metrics) == {"loss/train", "accuracy"}


def test_a_folder_without_event_files_is_refused(tmp_path, tracking_uri):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "notes.txt").write_text("no events here")
    with pytest.raises(TransferError, match="no TensorBoard event files") as raised:
        import_tensorboard(tmp_path / "empty", lt.Client())
    assert str(tmp_path / "empty") in str(raised.value)
    with pytest.raises(TransferError, match="no such folder"):
        import_tensorboard(tmp_path / "missing", lt.Client())
    assert all_runs() == []


def test_a_truncated_event_file_names_the_file_and_imports_nothing(tmp_path, tracking_uri):
    logdir = tmp_path / "tb"
    write_run(logdir / "a_good")  # read first: its run must not be left behind either
    write_run(logdir / "b_cut")
    (events,) = (logdir / "b_cut").glob("events.out.tfevents.*")
    events.write_bytes(events.read_bytes()[:-7])  # the last record, half written

    with pytest.raises(TransferError, match="truncated") as raised:
        import_tensorboard(logdir, lt.Client(), experiment_name="never")
    assert str(events) in str(raised.value)
    assert all_runs() == []
    assert lt.Client().get_experiment_by_name("never") is None


def test_a_corrupt_record_is_refused(tmp_path, tracking_uri):
    write_run(tmp_path / "tb")
    (events,) = (tmp_path / "tb").glob("events.out.tfevents.*")
    data = bytearray(events.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte: a record fails its CRC
    events.write_bytes(bytes(data))
    with pytest.raises(TransferError, match=str(events.name)):
        import_tensorboard(tmp_path / "tb", lt.Client())
    assert all_runs() == []


def test_a_value_that_does_not_fit_its_plugin_is_refused(tmp_path, tracking_uri):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar import metadata
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    write_run(tmp_path / "tb" / "fine")
    writer = EventFileWriter(str(tmp_path / "tb" / "odd"))
    value = summary_pb2.Summary.Value(
        tag="loss",
        metadata=metadata.create_summary_metadata(display_name="loss", description=""),
        tensor=tensor_util.make_tensor_proto(np.array([1.0, 2.0], dtype=np.float32)),
    )  # a "scalar" of two numbers
    writer.add_event(
        event_pb2.Event(wall_time=WALL, step=3, summary=summary_pb2.Summary(value=[value]))
    )
    writer.close()
    with pytest.raises(TransferError, match="cannot read tag 'loss' at step 3"):
        import_tensorboard(tmp_path / "tb", lt.Client())
    assert all_runs() == []
