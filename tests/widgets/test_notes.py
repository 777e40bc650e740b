"""Run notes (mlflow.note.content) read and written from the widgets' front ends: the
messages a browser sends go through the widget's real message handler to the store."""

from __future__ import annotations

import pytest

import labtrack as lt
from labtrack.widgets.notes import NOTE_TAG


class Browser:
    """Stands in for the front end: sends custom messages to a widget, records its replies."""

    def __init__(self, widget):
        self.widget = widget
        self.replies: list[dict] = []
        widget.send = self.replies.append  # what the widget sends back to the page

    def send(self, content: dict) -> dict:
        # ipywidgets delivers a front end's custom message to every on_msg handler like this.
        self.widget._handle_custom_msg(content, [])
        return self.replies[-1]


def test_a_note_edited_in_the_comparison_is_stored_and_shown(sweep):
    view = lt.compare(sweep["a"], sweep["b"])
    assert [r["note"] for r in view.runs] == ["", ""]
    browser = Browser(view)
    reply = browser.send({"type": "set_note", "run_id": sweep["b"], "note": "**best** so far"})
    assert reply == {"type": "note", "run_id": sweep["b"], "note": "**best** so far"}
    assert lt.get_run(sweep["b"]).data.tags[NOTE_TAG] == "**best** so far"
    assert [r["note"] for r in view.runs] == ["", "**best** so far"]  # the state follows
    assert lt.compare(sweep["b"], sweep["c"]).runs[0]["note"] == "**best** so far"


def test_a_note_edited_in_the_run_table_is_stored_and_read_back(sweep):
    table = lt.runs("sweep")
    browser = Browser(table)
    assert browser.send({"type": "get_note", "run_id": sweep["a"]})["note"] == ""
    browser.send({"type": "set_note", "run_id": sweep["a"], "note": "lr too high"})
    assert lt.get_run(sweep["a"]).data.tags[NOTE_TAG] == "lr too high"
    assert browser.send({"type": "get_note", "run_id": sweep["a"]})["note"] == "lr too high"
    browser.send({"type": "set_note", "run_id": sweep["a"], "note": ""})  # cleared
    assert lt.get_run(sweep["a"]).data.tags[NOTE_TAG] == ""


def test_messages_reach_only_the_runs_the_widget_shows(sweep):
    lt.set_experiment("other")
    with lt.start_run() as elsewhere:
        pass
    view = lt.compare(sweep["a"], sweep["b"])
    browser = Browser(view)
    for run_id in [sweep["c"], elsewhere.info.run_id, None, ["x"]]:
        reply = browser.send({"type": "set_note", "run_id": run_id, "note": "x"})
        assert reply["type"] == "note_error" and "not shown here" in reply["message"]
    assert NOTE_TAG not in lt.get_run(sweep["c"]).data.tags
    assert NOTE_TAG not in lt.get_run(elsewhere.info.run_id).data.tags


def test_a_bad_note_is_refused_with_a_message_and_other_messages_are_left_alone(sweep):
    view = lt.compare(sweep["a"], sweep["b"])
    browser = Browser(view)
    reply = browser.send({"type": "set_note", "run_id": sweep["a"], "note": 42})
    assert reply["type"] == "note_error" and "text" in reply["message"]
    browser.replies.clear()
    view._handle_custom_msg({"type": "something_else"}, [])
    view._handle_custom_msg("not a dict", [])
    assert browser.replies == []


def test_set_note_refuses_non_text(sweep):
    from labtrack.errors import InvalidParameter
    from labtrack.widgets.notes import set_note

    with pytest.raises(InvalidParameter, match="a note is text"):
        set_note(lt.Client(), sweep["a"], None)
