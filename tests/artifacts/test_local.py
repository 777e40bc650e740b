"""Artifacts land in the run's folder and cannot escape it."""

from __future__ import annotations

import json
import os

import pytest

import labtrack as lt
from labtrack.artifacts import LocalArtifactRepository, safe_join
from labtrack.errors import InvalidParameter


def test_log_artifact_text_dict_and_download(tracking_uri, tmp_path):
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00\x01")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("a")
    with lt.start_run() as run:
        lt.log_artifact(str(source))
        lt.log_artifact(str(source), artifact_path="models/v1")
        lt.log_artifacts(str(folder), artifact_path="plots")
        lt.log_text("hello", "notes/readme.md")
        lt.log_dict({"a": [1, 2]}, "config.json")
    client = lt.Client()
    run_id = run.info.run_id
    assert [(a.path, a.is_dir) for a in client.list_artifacts(run_id)] == [
        ("config.json", False),
        ("models", True),
        ("notes", True),
        ("plots", True),
        ("weights.bin", False),
    ]
    assert [a.path for a in client.list_artifacts(run_id, "plots/sub")] == ["plots/sub/a.txt"]
    assert client.list_artifacts(run_id, "models/v1")[0].file_size == 2
    downloaded = client.download_artifacts(run_id, "config.json", str(tmp_path / "out"))
    assert json.loads(open(downloaded).read()) == {"a": [1, 2]}
    everything = client.download_artifacts(run_id, "", str(tmp_path / "all"))
    assert open(os.path.join(everything, "notes", "readme.md")).read() == "hello"


def test_artifacts_live_beside_the_store(tracking_uri, tmp_path):
    with lt.start_run() as run:
        lt.log_text("x", "x.txt")
    # beside a SQLite file; under LABTRACK_HOME for a database server
    root = tmp_path / ("store" if tracking_uri.startswith("sqlite") else "home") / "artifacts"
    assert run.info.artifact_uri.startswith(str(root))
    assert (root / "0" / run.info.run_id / "artifacts" / "x.txt").read_text() == "x"


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "a/../../escape.txt",
        "/etc/passwd",
        "..",
        "a/..",
        "\\..\\x",
        "C:/x",
        "a\x00b",
    ],
)
def test_paths_that_leave_the_run_folder_are_refused(tracking_uri, tmp_path, path):
    with lt.start_run():
        with pytest.raises(InvalidParameter):
            lt.log_text("x", path)
    assert not (tmp_path / "escape.txt").exists()


def test_a_symlink_pointing_outside_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidParameter, match="outside"):
        safe_join(root, "link/secret.txt")


def test_reading_paths_are_checked_too(tmp_path):
    repository = LocalArtifactRepository(tmp_path / "root")
    with pytest.raises(InvalidParameter):
        repository.list_artifacts("../")
    with pytest.raises(InvalidParameter):
        repository.download_artifacts("../../etc/passwd", tmp_path / "out")


def test_log_figure_matplotlib_and_plotly(tracking_uri):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with lt.start_run() as run:
        lt.log_figure(figure, "plots/curve.png")
        lt.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/curve.html")
        with pytest.raises(InvalidParameter, match="matplotlib or plotly"):
            lt.log_figure(object(), "x.png")
    root = run.info.artifact_uri
    assert open(f"{root}/plots/curve.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "plotly" in open(f"{root}/plots/curve.html").read()
    plt.close(figure)


def test_log_image_from_arrays_and_pil(tracking_uri):
    import numpy as np
    from PIL import Image

    with lt.start_run() as run:
        lt.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
        lt.log_image(np.full((4, 5), 0.5), "images/grey.png")
        lt.log_image(Image.new("RGB", (3, 2), "red"), "images/red.jpg")
        lt.log_image(np.ones((2, 2)), key="samples", step=3)
        with pytest.raises(InvalidParameter, match="shape"):
            lt.log_image(np.zeros((2, 2, 7)), "images/bad.png")
        with pytest.raises(InvalidParameter, match=r"\[0, 1\]"):
            lt.log_image(np.full((2, 2), 3.0), "images/bad.png")
    root = run.info.artifact_uri
    assert Image.open(f"{root}/images/black.png").size == (5, 4)
    assert Image.open(f"{root}/images/grey.png").getpixel((0, 0)) == 128
    assert Image.open(f"{root}/images/red.jpg").format == "JPEG"
    assert Image.open(f"{root}/images/samples/step_3.png").size == (2, 2)
