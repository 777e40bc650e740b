"""Alerts: ``lt.alert`` stores one on the run; ``lt.alert_when``'s conditions fire on the
writer thread as points are written; the webhook gets Slack- and Discord-compatible JSON
from a real local HTTP server, and a webhook that fails, refuses or hangs never disturbs
training nor shows its secret."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound
from labtrack.tracking import alerts

from ..ports import free_port
from ..waiting import wait_until

SECRET = "T000/B000/XXXXsecretXXXX"


class _Hook(ThreadingHTTPServer):
    """A webhook on 127.0.0.1 that records each JSON body and answers ``status`` after
    ``delay`` seconds."""

    daemon_threads = True

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.bodies: list[dict] = []
        self.status, self.delay = status, delay
        self.release = threading.Event()  # ends a delay early (test teardown)
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/services/{SECRET}"

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(json.loads(body))
        if self.server.delay:
            self.server.release.wait(self.server.delay)
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def hook(monkeypatch):
    servers = []

    def start(status: int = 200, delay: float = 0.0, timeout: float = 5.0) -> _Hook:
        server = _Hook(status, delay)
        servers.append(server)
        monkeypatch.setenv("LABTRACK_ALERT_WEBHOOK", server.url)
        monkeypatch.setenv("LABTRACK_ALERT_WEBHOOK_TIMEOUT", str(timeout))
        return server

    yield start
    for server in servers:
        server.stop()
    alerts._senders.clear()


@pytest.fixture
def run(tracking_uri):
    lt.set_experiment("alerts")
    with lt.start_run() as active:
        yield active
    lt.Client().writer.alert_conditions.clear()


def test_an_alert_is_stored_on_the_active_run(run):
    stored = lt.alert("val_loss is rising", "3 epochs in a row", level="warn")
    assert (stored.run_id, stored.title, stored.text, stored.level) == (
        run.info.run_id,
        "val_loss is rising",
        "3 epochs in a row",
        "WARN",
    )
    other = lt.Client().create_run(run.info.experiment_id).info.run_id
    lt.alert("done", run_id=other)
    assert [(a.title, a.run_id) for a in lt.search_alerts()] == [
        ("val_loss is rising", run.info.run_id),
        ("done", other),
    ]
    assert [a.title for a in lt.search_alerts(run_ids=[other])] == ["done"]
    assert [a.title for a in lt.search_alerts(after_id=stored.id)] == ["done"]
    assert [a.title for a in lt.search_alerts(levels=["WARN"])] == ["val_loss is rising"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "title must be a non-empty string"),
        (("x" * 251,), "more than 250"),
        (("t", 3), "text must be a string"),
        (("t", "", "LOUD"), "level must be one of INFO, WARN, ERROR"),
    ],
)
def test_a_bad_alert_is_refused_at_the_call(run, args, message):
    with pytest.raises(InvalidParameter, match=message):
        lt.alert(*args)
    assert lt.search_alerts() == []


def test_an_alert_on_an_unknown_run_is_refused(run):
    with pytest.raises(NotFound):
        lt.alert("t", run_id="f" * 32)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a bound"),
        ({"above": float("nan")}, "not NaN"),
        ({"above": "2"}, "above must be a number"),
        ({"above": True}, "above must be a number"),
        ({"above": 1.0, "below": 2.0}, "every value would fire"),
        ({"above": 1.0, "level": "LOUD"}, "level must be one of"),
        ({"above": 1.0, "once": "yes"}, "once must be True or False"),
        ({"above": 1.0, "title": ""}, "title must be a non-empty string"),
    ],
)
def test_a_condition_that_cannot_be_checked_is_refused_at_the_call(run, kwargs, message):
    with pytest.raises(InvalidParameter, match=message):
        lt.alert_when("val_loss", **kwargs)
    with pytest.raises(InvalidParameter):
        lt.alert_when(3, above=1.0)
    assert not lt.Client().writer.alert_conditions


def test_a_condition_fires_once_per_run_from_the_writer_thread(run):
    condition = lt.alert_when("val_loss", above=2.0, title="val_loss diverged")
    for step, value in enumerate([1.0, 2.0, float("nan"), 3.5, 4.0, 1.0, 5.0]):
        lt.log_metric("val_loss", value, step=step)
        lt.log_metric("loss", 10.0, step=step)  # another key: not checked
    # No flush and no read: the writer thread writes the points and checks them on its own.
    client = lt.Client()
    wait_until(lambda: client.store.alerts.search_alerts(), what="the alert")
    with lt.start_run(nested=True) as child:
        lt.log_metric("val_loss", 2.5)
    wait_until(lambda: len(client.store.alerts.search_alerts()) == 2, what="the child's alert")
    first, second = client.store.alerts.search_alerts()
    assert (first.run_id, first.title, first.level, first.metric_key) == (
        run.info.run_id,
        "val_loss diverged",
        "WARN",
        "val_loss",
    )
    assert (first.metric_value, first.step) == (3.5, 3)  # the first point above; NaN is not
    assert first.text == "val_loss = 3.5 at step 3 (val_loss > 2)"
    assert (second.run_id, second.metric_value) == (child.info.run_id, 2.5)
    condition.cancel()
    lt.log_metric("val_loss", 9.0, step=10)
    lt.flush()
    with lt.start_run(nested=True):
        lt.log_metric("val_loss", 9.0)
    lt.flush()
    client.writer.check_alerts()  # what the writer thread would do next: nothing fires
    assert len(client.store.alerts.search_alerts()) == 2


def test_without_once_a_condition_fires_each_time_the_metric_crosses_into_it(run):
    lt.alert_when("acc", below=0.5, above=0.99, once=False, level="ERROR")
    values = [0.6, 0.4, 0.3, 0.7, 1.0, 1.0, 0.8, 0.2]
    for step, value in enumerate(values):
        lt.log_metric("acc", value, step=step)
    client = lt.Client()
    wait_until(lambda: len(client.store.alerts.search_alerts()) == 3, what="three alerts")
    fired = client.store.alerts.search_alerts()
    assert [(a.step, a.metric_value, a.level) for a in fired] == [
        (1, 0.4, "ERROR"),
        (4, 1.0, "ERROR"),
        (7, 0.2, "ERROR"),
    ]
    assert fired[0].title == "acc < 0.5 or acc > 0.99"


def test_conditions_are_checked_on_the_writer_thread_not_in_the_logging_call(run, hook):
    server = hook(delay=30.0)  # a webhook that hangs
    lt.alert_when("loss", above=0.0)
    started = time.perf_counter()
    for step in range(2000):
        lt.log_metric("loss", 1.0, step=step)
    lt.flush()
    elapsed = time.perf_counter() - started
    client = lt.Client()
    wait_until(lambda: server.bodies, what="the webhook's request")
    assert elapsed < 5.0  # the hanging webhook held nothing up
    (alert,) = client.store.alerts.search_alerts()
    assert alert.step == 0


def test_the_webhook_gets_slack_and_discord_compatible_json(run, hook):
    server = hook()
    stored = lt.alert("val_loss diverged", "val_loss = 3.5", level="ERROR")
    wait_until(lambda: server.bodies, what="the webhook's request")
    (body,) = server.bodies
    text = f"[ERROR] val_loss diverged\nval_loss = 3.5\nrun {run.info.run_id}"
    assert body["text"] == body["content"] == text
    assert body["labtrack"] == stored.to_dictionary()
    assert body["labtrack"]["run_id"] == run.info.run_id


def test_a_failing_webhook_never_disturbs_training_nor_shows_its_secret(
    run, hook, caplog, monkeypatch
):
    caplog.set_level(logging.WARNING, logger="labtrack.alerts")
    server = hook(status=500)
    lt.alert("first")
    wait_until(lambda: "failed" in caplog.text, what="the failure's log line")
    assert "HTTP Error 500" in caplog.text
    # A webhook nothing listens on: refused.
    alerts._senders.clear()
    refused = f"http://127.0.0.1:{free_port()}/hooks/{SECRET}"
    monkeypatch.setenv("LABTRACK_ALERT_WEBHOOK", refused)
    lt.alert("second")
    wait_until(lambda: "refused" in caplog.text.lower(), what="the refusal's log line")
    assert SECRET not in caplog.text and "services" not in caplog.text
    assert "http://127.0.0.1:" in caplog.text and "/…" in caplog.text
    assert [a.title for a in lt.search_alerts()] == ["first", "second"]  # stored all the same
    assert len(server.bodies) == 1


def test_a_slow_webhook_times_out_and_a_full_queue_drops_rather_than_waits(run, hook, caplog):
    caplog.set_level(logging.WARNING, logger="labtrack.alerts")
    server = hook(delay=30.0, timeout=0.5)
    started = time.perf_counter()
    lt.alert("slow")
    assert time.perf_counter() - started < 0.5  # the post is in the background
    wait_until(lambda: "timed out" in caplog.text, what="the timeout's log line")
    sender = alerts.webhook_sender()
    assert sender.failed == 1
    # Many alerts behind a hanging webhook: the queue is bounded, the rest are dropped.
    started = time.perf_counter()
    sent = [sender.send({"text": str(i)}) for i in range(alerts.QUEUE_SIZE + 20)]
    assert time.perf_counter() - started < 1.0
    assert sent.count(False) >= 19 and sender.dropped >= 19
    assert "not keeping up" in caplog.text and SECRET not in caplog.text
    assert server.bodies[0]["text"].startswith("[INFO] slow")


def test_a_webhook_that_is_not_http_is_refused_at_the_call_before_anything_is_stored(
    run, monkeypatch
):
    monkeypatch.setenv("LABTRACK_ALERT_WEBHOOK", "ftp://example.com/secret")
    with pytest.raises(InvalidParameter, match="must be an http"):
        lt.alert("t")
    with pytest.raises(InvalidParameter, match="must be an http"):
        lt.alert_when("loss", above=1.0)
    assert lt.search_alerts(run_ids=[run.info.run_id]) == []  # a retry adds no duplicate
    alerts._senders.clear()


def test_redact_keeps_the_host_and_hides_path_query_and_credentials():
    assert alerts.redact("https://user:pw@hooks.slack.com/services/T/B/X?token=1") == (
        "https://hooks.slack.com/…"
    )
    assert alerts.redact("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/…"
    assert math.isfinite(len(alerts.redact("http://[::1")))  # unparsable: still a string


def test_points_written_before_a_cancel_are_still_checked(run):
    condition = lt.alert_when("val_loss", above=2.0)
    lt.log_metric("val_loss", 3.0)
    lt.flush()  # written: the writer thread has yet to check it
    condition.cancel()
    client = lt.Client()
    wait_until(lambda: client.store.alerts.search_alerts(), what="the alert")
    assert client.store.alerts.search_alerts()[0].metric_value == 3.0
