"""Media over steps (``labtrack.tracking.media``): images, tables, histograms, texts and audio
logged per key and step through the client and ``lt``, in the layout the widgets and the
report read, listed and read back; bad keys, steps and values refused at the call."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.tracking.media import MediaItem, list_media, read_media


@pytest.fixture
def run_id(client) -> str:
    experiment_id = client.create_experiment("media")
    return client.create_run(experiment_id).info.run_id


def _log_one_of_each(client, run_id: str) -> None:
    for step in (0, 2, 10):  # 10 sorts after 2: steps are numbers, not names
        client.log_image(
            run_id, np.full((4, 6), step * 20, dtype=np.uint8), key="val/sample", step=step
        )
    client.log_table(run_id, {"label": ["cat", "dog"], "p": [0.9, 0.2]}, key="preds", step=1)
    client.log_histogram(run_id, [0.0, 1.0, 1.0, 3.0], key="weights/fc 1", step=5, bins=3)
    client.log_text(run_id, "héllo wörld", key="gen", step=7)
    client.log_audio(run_id, np.zeros(80), key="tone", step=3, sample_rate=8000)


def test_each_kind_is_listed_in_its_layout_and_read_back(client, run_id):
    _log_one_of_each(client, run_id)
    items = list_media(client, run_id)
    assert [(i.kind, i.key, i.step, i.path) for i in items] == [
        ("audio", "tone", 3, "audio/tone/step_3.wav"),
        ("histogram", "weights/fc 1", 5, "histograms/weights/fc 1/step_5.json"),
        ("image", "val/sample", 0, "images/val/sample/step_0.png"),
        ("image", "val/sample", 2, "images/val/sample/step_2.png"),
        ("image", "val/sample", 10, "images/val/sample/step_10.png"),
        ("table", "preds", 1, "tables/preds/step_1.json"),
        ("text", "gen", 7, "texts/gen/step_7.txt"),
    ]
    assert all(isinstance(i, MediaItem) and i.run_id == run_id for i in items)
    by_kind = {i.kind: read_media(client, i) for i in items}
    assert by_kind["text"] == "héllo wörld"
    assert by_kind["table"] == {"columns": ["label", "p"], "data": [["cat", 0.9], ["dog", 0.2]]}
    assert by_kind["histogram"] == {
        "edges": [0.0, 1.0, 2.0, 3.0],
        "counts": [1, 2, 1],
        "count": 4,
        "min": 0.0,
        "max": 3.0,
        "sum": 5.0,
    }
    with wave.open(io.BytesIO(by_kind["audio"])) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getnframes()) == (8000, 1, 80)

    from PIL import Image

    last = Image.open(io.BytesIO(read_media(client, items[4])))
    assert last.size == (6, 4) and last.getpixel((0, 0)) == 200


def test_a_key_lists_only_its_own_steps(client, run_id):
    _log_one_of_each(client, run_id)
    client.log_image(run_id, np.zeros((2, 2)), key="val", step=1)  # a key above val/sample
    assert [(i.key, i.step) for i in list_media(client, run_id, key="val")] == [("val", 1)]
    assert [i.step for i in list_media(client, run_id, key="val/sample")] == [0, 2, 10]
    assert list_media(client, run_id, key="nothing") == []


def test_files_outside_the_layout_are_not_media(client, run_id):
    repository = client._artifacts(run_id)
    repository.write_bytes("images/plain.png", b"x")  # no key folder
    repository.write_bytes("images/k/notes.md", b"x")
    repository.write_bytes("images/k/step_01.png", b"x")  # not how a step is written
    repository.write_bytes("texts/k/step_1.json", b"x")  # another kind's suffix
    client.log_text(run_id, "kept", key="k", step=1)
    assert [(i.kind, i.key) for i in list_media(client, run_id)] == [("text", "k")]


@pytest.mark.parametrize(
    "key",
    ["", "a/../b", "..", "/abs", "trailing/", "a//b", "./a", "tab\there", "é", 3, "a\n", "..\n"],
)
def test_bad_keys_are_refused_naming_the_key(client, run_id, key):
    for call in (
        lambda: client.log_histogram(run_id, [1.0], key=key),
        lambda: client.log_audio(run_id, np.zeros(4), key=key, sample_rate=8000),
        lambda: list_media(client, run_id, key=key),
        lambda: client.log_image(run_id, np.zeros((2, 2)), key=key, step=0),
        lambda: client.log_table(run_id, {"a": [1]}, key=key, step=0),
        lambda: client.log_text(run_id, "x", key=key, step=0),
    ):
        with pytest.raises(InvalidParameter, match=repr(key).replace("\\", "\\\\")):
            call()
    assert client.list_artifacts(run_id) == []


@pytest.mark.parametrize("step", [-1, 1.5, "3", True])
def test_bad_steps_are_refused(client, run_id, step):
    for call in (
        lambda: client.log_image(run_id, np.zeros((2, 2)), key="k", step=step),
        lambda: client.log_table(run_id, {"a": [1]}, key="k", step=step),
        lambda: client.log_text(run_id, "x", key="k", step=step),
        lambda: client.log_histogram(run_id, [1.0], key="k", step=step),
        lambda: client.log_audio(run_id, np.zeros(4), key="k", step=step, sample_rate=8000),
    ):
        with pytest.raises(InvalidParameter, match="non-negative int"):
            call()
    assert client.list_artifacts(run_id) == []


def test_numpy_integer_steps_are_steps(client, run_id):
    client.log_text(run_id, "x", key="k", step=np.int64(4))
    assert [i.path for i in list_media(client, run_id)] == ["texts/k/step_4.txt"]


def test_fluent_names_log_to_the_active_run(client):
    with lt.start_run() as run:
        lt.log_image(np.zeros((2, 2)), key="img", step=1)
        lt.log_table({"a": [1]}, key="tab", step=1)
        lt.log_text("t", key="txt", step=1)
        lt.log_histogram(np.arange(10), key="hist", step=1)
        lt.log_audio(np.zeros(8, dtype=np.int16), key="aud", step=1, sample_rate=100)
    items = list_media(client, run.info.run_id)
    assert {(i.kind, i.key, i.step) for i in items} == {
        ("image", "img", 1),
        ("table", "tab", 1),
        ("text", "txt", 1),
        ("histogram", "hist", 1),
        ("audio", "aud", 1),
    }
    histogram = read_media(client, next(i for i in items if i.kind == "histogram"))
    assert len(histogram["counts"]) == 64 and histogram["count"] == 10


def test_a_media_table_is_replaced_not_appended_and_not_listed_for_load_table(client, run_id):
    client.log_table(run_id, {"a": [1, 2]}, key="t", step=0)
    client.log_table(run_id, {"a": [3]}, key="t", step=0)
    (item,) = list_media(client, run_id)
    assert read_media(client, item) == {"columns": ["a"], "data": [[3]]}
    assert "mlflow.loggedArtifacts" not in client.get_run(run_id).data.tags


def test_mlflows_positional_forms_are_unchanged(client, run_id):
    client.log_text(run_id, "plain", "notes/a.md")
    client.log_table(run_id, {"a": [1]}, "t.json")
    client.log_table(run_id, {"a": [2]}, "t.json")  # appends, as MLflow's
    repository = client._artifacts(run_id)
    assert repository.read_bytes("notes/a.md") == b"plain"
    assert json.loads(repository.read_bytes("t.json")) == {"columns": ["a"], "data": [[1], [2]]}
    assert list_media(client, run_id) == []


@pytest.mark.parametrize("method", ["log_image", "log_table", "log_text"])
def test_a_file_and_a_key_or_neither_is_mlflows_type_error(client, run_id, method):
    data = {"log_image": np.zeros((2, 2)), "log_table": {"a": [1]}, "log_text": "x"}[method]
    name = {"log_image": "a.png", "log_table": "a.json", "log_text": "a.txt"}[method]
    log = getattr(client, method)
    for kwargs in ({"key": "k"}, {"step": 1}, {}):
        args = (run_id, data, name) if kwargs else (run_id, data)
        with pytest.raises(TypeError) as error:
            log(*args, **kwargs)
        assert isinstance(error.value, InvalidParameter)
    assert client.list_artifacts(run_id) == []


def _pixels(client, run_id: str, key: str):
    from PIL import Image

    (item,) = list_media(client, run_id, key=key)
    return np.asarray(Image.open(io.BytesIO(read_media(client, item))))


def test_torch_tensors_are_images_channels_first_or_last(client, run_id):
    torch = pytest.importorskip("torch")
    red = torch.zeros(3, 4, 5)  # CxHxW floats, torch's order
    red[0] = 1.0
    client.log_image(run_id, red.requires_grad_(), key="chw", step=0)
    client.log_image(run_id, torch.full((4, 5, 3), 255, dtype=torch.uint8), key="hwc", step=0)
    client.log_image(run_id, torch.ones(1, 4, 5, dtype=torch.bfloat16), key="grey", step=0)
    assert _pixels(client, run_id, "chw").shape == (4, 5, 3)
    assert _pixels(client, run_id, "chw")[0, 0].tolist() == [255, 0, 0]
    assert (_pixels(client, run_id, "hwc") == 255).all()
    assert _pixels(client, run_id, "grey").shape == (4, 5)
    with pytest.raises(InvalidParameter, match=r"\[0, 1\]"):
        client.log_image(run_id, torch.full((3, 2, 2), 2.0), key="bad", step=0)


def test_numpy_channels_first_is_read_when_unambiguous(client, run_id):
    image = np.zeros((3, 8, 6), dtype=np.uint8)
    image[2] = 255
    client.log_image(run_id, image, key="chw", step=0)
    assert _pixels(client, run_id, "chw")[0, 0].tolist() == [0, 0, 255]
    with pytest.raises(InvalidParameter, match=r"shape \(2, 8, 6\)"):
        client.log_image(run_id, np.zeros((2, 8, 6)), key="bad", step=0)


def test_a_matplotlib_figure_is_an_image(client, run_id):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 1), dpi=50)
    axes.plot([0, 1], [1, 0])
    try:
        client.log_image(run_id, figure, key="curve", step=3)
        client.log_image(run_id, figure, "plots/curve.png")
    finally:
        plt.close(figure)
    pixels = _pixels(client, run_id, "curve")
    assert pixels.ndim == 3 and pixels.shape[0] > 10 and len(np.unique(pixels)) > 2
    assert client._artifacts(run_id).read_bytes("plots/curve.png")[:4] == b"\x89PNG"
    with pytest.raises(InvalidParameter, match="matplotlib Figure"):
        client.log_image(run_id, axes, key="axes", step=0)


def test_a_histogram_keeps_the_finite_values_binned(client, run_id):
    values = np.array([[1.0, np.nan], [np.inf, 3.0], [-np.inf, 2.0]])
    client.log_histogram(run_id, values, key="h", step=0, bins=2)
    (item,) = list_media(client, run_id)
    assert read_media(client, item) == {
        "edges": [1.0, 2.0, 3.0],
        "counts": [1, 2],
        "count": 3,
        "min": 1.0,
        "max": 3.0,
        "sum": 6.0,
    }


def test_a_torch_tensor_histogram(client, run_id):
    torch = pytest.importorskip("torch")
    weights = torch.nn.Linear(20, 10).weight  # a parameter: needs grad, float32
    client.log_histogram(run_id, weights, key="w", step=1, bins=8)
    (item,) = list_media(client, run_id)
    document = read_media(client, item)
    assert document["count"] == 200 and sum(document["counts"]) == 200
    assert document["min"] == pytest.approx(float(weights.detach().min()))


@pytest.mark.parametrize(
    "values, bins, message",
    [
        ([], 64, "at least one finite value"),
        ([np.nan, np.inf], 64, "at least one finite value"),
        (["a", "b"], 64, "numbers"),
        ([1.0], 0, "positive int"),
        ([1.0], 2.5, "positive int"),
    ],
)
def test_bad_histograms_are_refused(client, run_id, values, bins, message):
    with pytest.raises(InvalidParameter, match=message):
        client.log_histogram(run_id, values, key="h", bins=bins)
    assert client.list_artifacts(run_id) == []


def test_stereo_float_audio_is_16_bit_pcm(client, run_id):
    left = np.sin(np.linspace(0, 20, 400))
    client.log_audio(run_id, np.stack([left, -left], axis=1), key="stereo", sample_rate=16000)
    (item,) = list_media(client, run_id)
    with wave.open(io.BytesIO(read_media(client, item))) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getnframes()) == (2, 2, 400)
        frames = np.frombuffer(audio.readframes(400), dtype="<i2").reshape(400, 2)
    assert np.abs(frames[:, 0] / 32767 - left).max() < 1e-4
    assert (frames[:, 1] == -frames[:, 0]).all()


@pytest.mark.parametrize(
    "samples, rate, message",
    [
        (np.full(4, 1.5), 8000, r"\[-1, 1\]"),
        (np.array([0.0, np.nan]), 8000, "finite"),
        (np.zeros(4, dtype=np.int32), 8000, "int16"),
        (np.zeros((2, 2, 2)), 8000, "shape"),
        (np.zeros(0), 8000, "non-empty"),
        (np.zeros(4), 0, "sample_rate"),
        (np.zeros(4), 44100.0, "sample_rate"),
    ],
)
def test_bad_audio_is_refused(client, run_id, samples, rate, message):
    with pytest.raises(InvalidParameter, match=message):
        client.log_audio(run_id, samples, key="a", sample_rate=rate)
    assert client.list_artifacts(run_id) == []
