"""lt.report(): what the file carries and how it is escaped (the browser test,
tests/e2e/test_report.py, checks what it shows)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound
from labtrack.html_report import _gather, _html


def test_report_carries_table_series_scatter_parallel_and_best_runs(sweep, tmp_path, payload):
    path = lt.report("sweep", tmp_path / "sweep.html")
    assert path == tmp_path / "sweep.html"
    data = payload(path)
    assert data["experiments"] == ["sweep"]
    assert sorted(data["table"]["data"]["run_name"]) == ["a", "b", "c", "d"]
    assert {c["name"] for c in data["table"]["columns"]} >= {
        "run_name",
        "status",
        "metrics.acc",
        "params.lr",
    }
    assert data["metrics"] == ["acc", "loss"] and data["metric"] == "acc"
    assert len(data["series"]) == 8  # 4 runs x 2 metrics
    # the scatter puts the metric against the param that varies, lr on a log axis (0.001..0.3)
    scatter = data["scatter"]
    assert (scatter["x"], scatter["y"], scatter["log_x"]) == ("params.lr", "metrics.acc", True)
    # parallel coordinates over the params that differ (not seed), coloured by the metric
    parallel = data["parallel"]
    assert parallel["params"] == ["lr", "optimizer"]
    assert [axis["label"] for axis in parallel["axes"]] == ["lr", "optimizer", "acc"]
    assert [axis["kind"] for axis in parallel["axes"]] == ["number", "category", "number"]
    assert sorted(parallel["runs"]["run_name"]) == ["a", "b", "c", "d"]
    # acc goes up: the highest first; the run with the largest lr learns fastest here
    best = [run["run_name"] for run in data["compare"]["runs"]]
    assert best == ["d", "a", "b", "c"]
    acc = next(m for m in data["compare"]["metrics"] if m["key"] == "acc")
    loss = next(m for m in data["compare"]["metrics"] if m["key"] == "loss")
    assert acc["best"] == 0 and loss["best"] == 0  # d has the lowest loss too
    assert data["lower_is_better"] is False


def test_a_loss_ranks_lowest_first_and_best_limits_the_comparison(sweep, tmp_path, payload):
    data = payload(lt.report("sweep", tmp_path / "r.html", metric="loss", best=2))
    assert data["lower_is_better"] is True
    assert [run["run_name"] for run in data["compare"]["runs"]] == ["d", "a"]
    flipped = payload(
        lt.report("sweep", tmp_path / "r.html", metric="loss", best=2, lower_is_better=False)
    )
    assert [run["run_name"] for run in flipped["compare"]["runs"]] == ["c", "b"]


def test_runs_filter_and_metrics_narrow_the_report(sweep, tmp_path, payload):
    data = payload(
        lt.report(
            "sweep", tmp_path / "r.html", filter="params.optimizer = 'adam'", metrics=["loss"]
        )
    )
    assert sorted(data["table"]["data"]["run_name"]) == ["b", "c"]
    assert {(s["run_name"], s["metric"]) for s in data["series"]} == {("b", "loss"), ("c", "loss")}
    data = payload(lt.report("sweep", tmp_path / "r.html", runs=[sweep["c"], sweep["a"]]))
    assert data["table"]["data"]["run_name"] == ["c", "a"]
    run = lt.get_run(sweep["b"])
    data = payload(lt.report("sweep", tmp_path / "r.html", runs=[run], params=["seed"]))
    assert data["table"]["data"]["run_name"] == ["b"]
    assert data["parallel"]["params"] == ["seed"]


def test_the_active_experiment_by_default(sweep, tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    path = lt.report()
    assert path.name == "report.html" and (tmp_path / "report.html").is_file()
    assert payload(tmp_path / "report.html")["experiments"] == ["sweep"]


def test_bad_arguments_are_refused_at_the_call(sweep, tmp_path):
    with pytest.raises(NotFound, match="no experiment named 'nope'"):
        lt.report("nope", tmp_path / "r.html")
    with pytest.raises(InvalidParameter, match=r"no run logs \['f1'\]"):
        lt.report("sweep", tmp_path / "r.html", metrics=["f1"])
    with pytest.raises(InvalidParameter, match="no run logs 'f1'"):
        lt.report("sweep", tmp_path / "r.html", metric="f1")
    with pytest.raises(InvalidParameter, match="max_points must be between 2 and 5000"):
        lt.report("sweep", tmp_path / "r.html", max_points=10_000)
    with pytest.raises(InvalidParameter, match="runs not in"):
        lt.report("sweep", tmp_path / "r.html", runs=["0" * 32])
    with pytest.raises(InvalidParameter, match="no param columns"):
        lt.report("sweep", tmp_path / "r.html", params=["depth"])
    with pytest.raises(InvalidParameter, match="more than 3 runs match: narrow them"):
        lt.report("sweep", tmp_path / "r.html", max_runs=3)
    assert lt.report("sweep", tmp_path / "ok.html", runs=[sweep["a"]], max_runs=1).is_file()
    with pytest.raises(InvalidParameter, match="is a folder"):
        lt.report("sweep", tmp_path)
    assert not (tmp_path / "r.html").exists()


def test_user_text_cannot_close_the_data_block(tracking_uri, tmp_path, payload):
    hostile = "</script><script>alert(1)</script><!-- \u2028 & </SCRIPT >"
    lt.set_experiment("hostile")
    with lt.start_run(run_name=hostile):
        lt.log_param("p", hostile)
        lt.set_tag("mlflow.note.content", hostile)
        lt.log_metric("m", 1.0)
    path = lt.report("hostile", tmp_path / "r.html", title=hostile)
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("<body>")
    # two script elements, ours, and no user text in markup
    assert body.lower().count("<script") == 2
    assert "<script>alert" not in text and "<!--" not in body.split("<script>")[0]
    assert "<title>&lt;/script&gt;" in head
    data = payload(path)
    assert data["table"]["data"]["run_name"] == [hostile]
    assert data["table"]["data"]["params.p"] == [hostile]
    assert data["notes"][0]["note"] == hostile
    assert data["title"] == hostile


def test_the_page_is_self_contained(sweep, tmp_path):
    text = lt.report("sweep", tmp_path / "r.html").read_text(encoding="utf-8")
    # the bundle (Plotly inside) once, no file or URL the page would fetch, and a policy
    # that forbids any
    bundle = (_html.STATIC / "report.js").read_text(encoding="utf-8")
    assert text.count(bundle[:2000]) == 1
    assert "<link" not in text and " src=" not in text.split("<body>")[1].split("<script")[0]
    assert "default-src 'none'" in text and "connect-src" not in text
    assert text.count("<style>") == 1


def test_series_encoding_round_trips():
    steps = np.arange(0, 2000, 2, dtype=float)
    assert _gather.encode_x(steps) == {"start": 0.0, "step": 2.0, "count": 1000}
    assert _gather.encode_x(np.array([5.0])) == {"start": 5.0, "step": 1.0, "count": 1}
    uneven = np.array([0.0, 1.0, 5.0, 2**53 - 1])
    encoded = _gather.encode_x(uneven)
    assert np.array_equal(np.frombuffer(base64.b64decode(encoded["f64"]), "<f8"), uneven)
    y = np.array([0.1, np.nan, -3.5e-9, np.inf])
    back = np.frombuffer(base64.b64decode(_gather.encode_y(y)), "<f4")
    assert np.allclose(back, y, rtol=1e-7, equal_nan=True)


def test_long_histories_are_downsampled_keeping_spikes(tracking_uri, tmp_path, payload):
    lt.set_experiment("long")
    values = np.sin(np.arange(20_000) / 300.0)
    values[12_345] = 50.0  # one spike among 20,000 points
    with lt.start_run() as run:
        client = lt.Client()
        client.log_batch(
            run.info.run_id,
            [lt.entities.Metric("loss", float(v), 0, i) for i, v in enumerate(values)],
        )
    (series,) = payload(lt.report("long", tmp_path / "r.html", max_points=200))["series"]
    assert series["total_points"] == 20_000 and series["points"] <= 200
    y = np.frombuffer(base64.b64decode(series["y"]), "<f4")
    x = np.frombuffer(base64.b64decode(series["x"]["f64"]), "<f8")
    assert y.max() == 50.0 and x[y.argmax()] == 12_345


def test_notes_and_the_latest_image_of_each_key_downscaled(sweep, tmp_path, payload):
    client = lt.Client()
    client.set_tag(sweep["d"], "mlflow.note.content", "**fast** one")
    client.set_tag(sweep["c"], "mlflow.note.content", "   ")  # blank: no note
    big = np.zeros((900, 1200, 3), dtype=np.uint8)
    big[:, :600] = 255
    small = np.full((32, 48), 128, dtype=np.uint8)
    with lt.start_run(run_id=sweep["d"]):
        lt.log_image(small, key="masks/val", step=1)
        lt.log_image(big, key="masks/val", step=7)
        lt.log_image(small, key="input", step=0)
    data = payload(lt.report("sweep", tmp_path / "r.html", best=1, max_image_size=300))
    assert data["notes"] == [{"run_id": sweep["d"], "run_name": "d", "note": "**fast** one"}]
    images = {image["key"]: image for image in data["images"]}
    assert set(images) == {"masks/val", "input"}
    assert images["masks/val"]["step"] == 7
    assert (images["masks/val"]["width"], images["masks/val"]["height"]) == (300, 225)
    assert (images["input"]["width"], images["input"]["height"]) == (48, 32)
    src = images["masks/val"]["src"]
    assert src.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as image:
        assert image.size == (300, 225)


def test_an_image_file_that_is_not_an_image_is_left_out_not_fatal(sweep, tmp_path, payload):
    with lt.start_run(run_id=sweep["d"]):
        lt.log_image(np.zeros((8, 8), dtype=np.uint8), key="fine", step=0)
    # A file in the image layout that PIL cannot read (written by hand, or truncated).
    lt.Client()._artifacts(sweep["d"]).write_bytes("images/broken/step_0.png", b"not a png")
    data = payload(lt.report("sweep", tmp_path / "r.html", best=1))
    assert [image["key"] for image in data["images"]] == ["fine"]


def test_an_experiment_without_runs_gives_a_report_saying_so(tracking_uri, tmp_path, payload):
    lt.set_experiment("empty")
    data = payload(lt.report("empty", tmp_path / "r.html"))
    assert data["table"]["data"]["run_id"] == []
    assert data["series"] == [] and data["compare"] is None


def test_script_json_escapes_markup_and_reads_back():
    value = {"a": "</script><!--<b>&\u2028"}
    text = _html.script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value
