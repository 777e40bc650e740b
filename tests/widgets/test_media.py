"""lt.media(): a key's media over steps, runs side by side; only the chosen step travels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.widgets import contract, media_viewer
from labtrack.widgets.media_viewer import MAX_HISTOGRAM_STEPS, MAX_TABLE_ROWS, png_size

from ..tracking_server.conftest import start_server, stop_server
from ..waiting import wait_until
from .test_contract import _jsonable, _shape, _state, _typed_dicts_checked

FIXTURE = Path(__file__).resolve().parents[2] / "js" / "widgets" / "fixtures" / "media.json"


def _image(value: int, width: int = 8) -> np.ndarray:
    return np.full((4, width, 3), value, dtype=np.uint8)


@pytest.fixture
def pictures(tracking_uri):
    """Two finished runs with images under "samples": "a" at steps 0, 1, 2, "b" at 0 and 2
    (so at step 1 "b" still shows step 0), with widths telling run and step apart."""
    lt.set_experiment("media")
    client = lt.Client()
    ids = {}
    for name, steps in [("a", [0, 1, 2]), ("b", [0, 2])]:
        with lt.start_run(run_name=name) as run:
            for step in steps:
                width = 10 * (1 + step) + (0 if name == "a" else 1)
                client.log_image(
                    run.info.run_id, _image(step * 50, width), key="samples", step=step
                )
        ids[name] = run.info.run_id
    return ids


def _widths(widget) -> list[tuple[int | None, int]]:
    return [(cell["step"], png_size(cell["data"])[0]) for cell in widget.current]


def test_state_is_the_step_index_and_the_chosen_steps_images(pictures):
    widget = lt.media("samples", runs=[pictures["a"], pictures["b"]])
    try:
        assert widget.kind == "image" and widget.key == "samples"
        assert [(r["run_name"], r["steps"]) for r in widget.runs] == [
            ("a", [0, 1, 2]),
            ("b", [0, 2]),
        ]
        assert widget.steps == [0, 1, 2] and widget.step == 2  # opens on the latest step
        assert _widths(widget) == [(2, 30), (2, 31)]
        assert widget.empty_message == "" and not widget.live
        assert widget.histograms == []
        met = _typed_dicts_checked(_state(widget), contract.MediaState, "media")
        assert met == {"MediaState", "MediaRun", "MediaCell"}
    finally:
        widget.close()


def test_moving_the_step_fetches_only_that_steps_payload(pictures):
    widget = lt.media("samples", runs=[pictures["a"], pictures["b"]])
    sent = []
    widget.observe(lambda change: sent.append(change["new"]), "current")
    widget.step = 1  # as the slider sets it
    # "b" has no step 1: it shows its latest before it, step 0
    assert _widths(widget) == [(1, 20), (0, 11)]
    widget.step = 0
    assert _widths(widget) == [(0, 10), (0, 11)]
    # each change sent one step's images, one per run: never the other steps'
    assert [len(cells) for cells in sent] == [2, 2]
    assert all(cell["data"] for cells in sent for cell in cells)
    with pytest.raises(Exception, match="non-negative"):
        widget.step = -1
    widget.close()


def test_default_is_the_latest_runs_having_the_key(pictures):
    with lt.start_run(run_name="no media"):
        lt.log_metric("loss", 1.0)
    widget = lt.media("samples", experiment="media")
    try:
        assert widget.follow_latest
        assert [r["run_name"] for r in widget.runs] == ["b", "a"]
    finally:
        widget.close()


def test_selecting_runs_elsewhere_shows_just_them(pictures):
    """``selected`` is linked to the run table in a dashboard: choosing runs there shows them."""
    widget = lt.media("samples", experiment="media")
    widget.step = 0
    widget.selected = [pictures["a"]]
    assert [r["run_name"] for r in widget.runs] == ["a"]
    assert _widths(widget) == [(2, 30)]  # a new choice of runs opens on their latest step
    widget.selected = []
    assert [r["run_name"] for r in widget.runs] == ["b", "a"]
    widget.close()


def test_bad_keys_kinds_and_runs_are_refused_at_the_call(pictures):
    for key in ["../secrets", "a//b", "", "x<script>", 3]:
        with pytest.raises(InvalidParameter, match="media key"):
            lt.media(key)
    with pytest.raises(InvalidParameter, match="kind"):
        lt.media("samples", kind="video")
    with pytest.raises(InvalidParameter, match="expected run ids"):
        lt.media("samples", runs=[3.5])


def test_a_key_nobody_logged_says_how_to_log_it(pictures):
    widget = lt.media("nothing/here", experiment="media")
    assert widget.runs == [] and widget.current == [] and widget.kind == ""
    assert "No run in 'media' has media under 'nothing/here'" in widget.empty_message
    assert "lt.log_image(image, key='nothing/here', step=step)" in widget.empty_message
    text, html = (widget._repr_mimebundle_()[0][k] for k in ("text/plain", "text/html"))
    assert text == widget.empty_message
    widget.close()


@pytest.fixture
def histograms(tracking_uri):
    """One run logging a drifting normal at 200 steps."""
    lt.set_experiment("hist")
    rng = np.random.default_rng(0)
    with lt.start_run(run_name="drift") as run:
        for step in range(200):
            lt.log_histogram(rng.normal(step / 50, 1, 500), key="weights/fc1", step=step, bins=20)
    return run.info.run_id


def test_histograms_send_a_spread_of_steps_and_the_chosen_one(histograms):
    widget = lt.media("weights/fc1", experiment="hist")
    (series,) = widget.histograms
    steps = series["steps"]
    assert len(steps) == MAX_HISTOGRAM_STEPS and steps[0] == 0 and steps[-1] == 199
    assert steps == sorted(steps)
    assert len(series["edges"][0]) == 21 and len(series["counts"][0]) == 20
    assert sum(series["counts"][-1]) == 500
    # the distribution moves right over steps
    assert series["edges"][-1][0] > series["edges"][0][0]
    widget.step = 37  # not among the spread steps: its own histogram still comes
    (cell,) = widget.current
    assert cell["step"] == 37 and cell["histogram"]["count"] == 500
    assert len(cell["histogram"]["edges"]) == 21
    met = _typed_dicts_checked(_state(widget), contract.MediaState, "media")
    assert met == {"MediaState", "MediaRun", "MediaCell", "HistogramSeries"}
    assert set(cell["histogram"]) == set(contract.Histogram.__annotations__)  # an optional part
    widget.close()


def test_tables_texts_and_audio(tracking_uri):
    lt.set_experiment("kinds")
    with lt.start_run(run_name="k") as run:
        frame = {
            "x": list(range(MAX_TABLE_ROWS + 5)),
            "label": ["<b>cat</b>"] * (MAX_TABLE_ROWS + 5),
        }
        lt.log_table(frame, key="preds", step=3)
        lt.log_text("first line\nsecond <i>line</i>", key="notes", step=1)
        lt.log_audio(np.zeros(800, dtype=np.float32), key="clip", step=0, sample_rate=8000)
    run_id = run.info.run_id
    table = lt.media("preds", runs=[run_id])
    (cell,) = table.current
    assert cell["table"]["columns"] == ["x", "label"]
    assert len(cell["table"]["data"]) == MAX_TABLE_ROWS and cell["table"]["total_rows"] == 105
    assert cell["table"]["data"][0] == [0, "<b>cat</b>"]
    assert set(cell["table"]) == set(contract.MediaTable.__annotations__)
    assert cell["note"] == f"first {MAX_TABLE_ROWS} of 105 rows"
    text = lt.media("notes", runs=[run_id])
    assert text.kind == "text" and text.current[0]["text"] == "first line\nsecond <i>line</i>"
    audio = lt.media("clip", runs=[run_id])
    assert audio.kind == "audio" and audio.current[0]["data"][:4] == b"RIFF"
    # the static views name what each run shows, escaped
    html = text._repr_mimebundle_()[0]["text/html"]
    assert "<caption>notes at step 1</caption>" in html and "first line" in html
    assert "0.10 s" in audio._repr_mimebundle_()[0]["text/plain"]
    assert "105 rows x 2 columns" in table._repr_mimebundle_()[0]["text/plain"]
    for widget in (table, text, audio):
        widget.close()


def test_a_key_with_several_kinds_shows_the_one_asked(tracking_uri):
    with lt.start_run() as run:
        lt.log_text("hello", key="both", step=0)
        lt.log_image(_image(0), key="both", step=0)
    preferred = lt.media("both", runs=[run.info.run_id])
    shown = lt.media("both", runs=[run.info.run_id], kind="text")
    assert preferred.kind == "image"
    assert shown.kind == "text" and shown.current[0]["text"] == "hello"
    preferred.close()
    shown.close()


def test_new_steps_appear_while_a_run_logs_and_the_slider_follows(tracking_uri):
    lt.set_experiment("live-media")
    lt.start_run(run_name="training")
    try:
        lt.log_image(_image(0, 10), key="samples", step=0)
        widget = lt.media("samples")
        assert widget.live and widget.step == 0
        for step in range(1, 4):
            lt.log_image(_image(step, 10 * (step + 1)), key="samples", step=step)
        wait_until(lambda: widget.step == 3, what="the poller to follow the new steps")
        assert widget.runs[0]["steps"] == [0, 1, 2, 3] and _widths(widget) == [(3, 40)]
        widget.step = 1  # the person looks back: new steps no longer move the slider
        lt.log_image(_image(9, 50), key="samples", step=4)
        wait_until(lambda: widget.runs[0]["steps"][-1] == 4, what="step 4 to appear")
        assert widget.step == 1 and _widths(widget) == [(1, 20)]
    finally:
        lt.end_run()
    wait_until(lambda: not widget.live, what="the widget to stop being live")
    widget.close()


def test_media_logged_later_to_a_finished_run_appears(pictures, monkeypatch):
    """An evaluation logging to a finished run through a Client shows up too (ended runs'
    listings are asked again every ENDED_RELIST_SECONDS; zero here)."""
    monkeypatch.setattr(media_viewer, "ENDED_RELIST_SECONDS", 0.0)
    widget = lt.media("samples", runs=[pictures["b"]])
    assert widget.runs[0]["steps"] == [0, 2]
    lt.Client().log_image(pictures["b"], _image(7, 50), key="samples", step=9)
    wait_until(lambda: widget.runs[0]["steps"] == [0, 2, 9], what="step 9 to appear")
    assert _widths(widget) == [(9, 50)]
    widget.close()


def test_a_run_starting_later_joins_the_default_view(tracking_uri):
    lt.set_experiment("joining")
    widget = lt.media("samples")
    assert widget.runs == [] and widget.empty_message
    with lt.start_run(run_name="late"):
        lt.log_image(_image(1), key="samples", step=5)
    # The poller sets runs, step and empty_message one after another (one message to the
    # front end): wait for the last of them, not just the first.
    wait_until(lambda: widget.runs and widget.empty_message == "", what="the new run to join")
    assert widget.runs[0]["run_name"] == "late" and widget.step == 5
    widget.close()


def test_state_matches_the_front_end_fixture(pictures):
    """The shape js/test/media.test.ts runs on (regenerate with LABTRACK_WRITE_FIXTURES=1)."""
    widget = lt.media("samples", runs=[pictures["a"], pictures["b"]])
    state = _state(widget)
    if os.environ.get("LABTRACK_WRITE_FIXTURES"):
        FIXTURE.write_text(json.dumps(_jsonable(state), indent=1, sort_keys=True) + "\n")
    fixture = json.loads(FIXTURE.read_text())
    assert sorted(fixture) == sorted(state)
    for key in state:
        if state[key] and fixture[key] not in ([], {}, None, ""):
            assert _shape(state[key]) == _shape(fixture[key]), f"media.{key} changed shape"
    widget.close()


def test_media_through_labtrack_server(tmp_path):
    """Over HTTP the widget reads the same layout through the server's artifact API."""
    server = start_server(tmp_path)
    try:
        lt.set_tracking_uri(server.url)
        lt.set_experiment("over-http")
        with lt.start_run(run_name="remote") as run:
            for step in range(3):
                lt.log_image(_image(step, 10 * (step + 1)), key="samples", step=step)
        widget = lt.media("samples")
        assert widget.runs[0]["steps"] == [0, 1, 2] and _widths(widget) == [(2, 30)]
        widget.step = 0
        assert _widths(widget) == [(0, 10)]
        assert widget.runs[0]["run_id"] == run.info.run_id
        widget.close()
    finally:
        stop_server(server)
