"""Alerts: conditions on metrics (``lt.alert_when``) checked on the writer thread, and the
webhook (``LABTRACK_ALERT_WEBHOOK``) every alert of this process is posted to.

A condition is checked against the points the background writer has just written, on its
thread, never in the caller's: a training loop pays nothing for it. The webhook gets a JSON
body that Slack (``text``) and Discord (``content``) both read, plus the alert itself
(``labtrack``), from a background sender with a timeout and a bounded queue: a webhook that
fails, hangs or is gone costs training nothing, and what is logged about it never shows the
URL's path or credentials (where Slack and Discord keep the webhook's secret).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from labtrack import env
from labtrack.entities.alert import Alert, check_level, check_title_and_text
from labtrack.errors import InvalidParameter
from labtrack.tracking import validation as v

logger = logging.getLogger("labtrack.alerts")

# Posts waiting for the webhook: beyond this many, new alerts are not posted (they are
# stored all the same) rather than pile up behind a webhook that hangs.
QUEUE_SIZE = 100
# Discord refuses a message ``content`` of more than 2,000 characters.
_DISCORD_LIMIT = 2000


def redact(url: str) -> str:
    """The webhook's URL as messages show it: scheme, host and port only. Slack and Discord
    keep the secret in the path, others in credentials or the query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<webhook>"
    return f"{parts.scheme}://{host}{port}/…"


def webhook_payload(alert: Alert) -> dict:
    """The JSON posted for ``alert``: ``text`` (Slack), ``content`` (Discord) and the alert
    itself under ``labtrack``."""
    line = f"[{alert.level}] {alert.title}"
    body = f"{line}\n{alert.text}" if alert.text else line
    body += f"\nrun {alert.run_id}"
    return {
        "text": body,
        "content": body if len(body) <= _DISCORD_LIMIT else body[: _DISCORD_LIMIT - 1] + "…",
        "labtrack": alert.to_dictionary(),
    }


class WebhookSender:
    """Posts JSON bodies to one URL from a daemon thread, in order. ``send`` never blocks and
    never raises: a full queue drops the body; a post that fails or times out is logged
    (with the URL redacted) and the next one is tried."""

    def __init__(self, url: str, timeout: float, max_queue: int = QUEUE_SIZE):
        self.url = url
        self.timeout = timeout
        self._queue: queue.Queue[dict] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def send(self, payload: dict) -> bool:
        """Queue ``payload``; False if the queue is full (the webhook is slow or hangs)."""
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                logger.warning(
                    "labtrack: the alert webhook %s is not keeping up; %d alert(s) not posted",
                    redact(self.url),
                    self.dropped,
                )
            return False
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="labtrack-alert-webhook", daemon=True
                )
                self._thread.start()
        return True

    def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the queued posts; whether they are all done."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                self._post(payload)
                self.sent += 1
            except Exception as error:  # whatever the webhook does, the process goes on
                self.failed += 1
                logger.warning(
                    "labtrack: posting an alert to the webhook %s failed: %s",
                    redact(self.url),
                    _describe(error, self.url),
                )
            finally:
                self._queue.task_done()

    def _post(self, payload: dict) -> None:
        import urllib.request

        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "labtrack"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()


def _describe(error: BaseException, url: str) -> str:
    """The error's message, with the URL (should a library put it there) redacted."""
    text = f"{type(error).__name__}: {error}"
    return text.replace(url, redact(url))


_senders: dict[str, WebhookSender] = {}
_senders_lock = threading.Lock()


def webhook_sender() -> WebhookSender | None:
    """The sender for ``LABTRACK_ALERT_WEBHOOK`` as it is now (None when unset)."""
    url = env.ALERT_WEBHOOK.get()
    if not url:
        return None
    with _senders_lock:
        sender = _senders.get(url)
        if sender is None:
            if urlsplit(url).scheme not in ("http", "https"):
                raise InvalidParameter(
                    f"{env.ALERT_WEBHOOK.name} must be an http(s) URL, got {redact(url)}"
                )
            sender = _senders[url] = WebhookSender(url, env.ALERT_WEBHOOK_TIMEOUT.get_float())
        return sender


def post_alert(alert: Alert) -> None:
    """Post ``alert`` to the webhook, if one is set (in the background). Never raises: the
    alert is stored already, and a webhook set wrong since the call that checked it is
    logged instead."""
    try:
        sender = webhook_sender()
    except InvalidParameter as error:
        logger.warning("labtrack: alert %r stored but not posted: %s", alert.title, error)
        return
    if sender is not None:
        sender.send(webhook_payload(alert))


def _drain_at_exit() -> None:
    # The process is ending: give queued posts their timeout, once, then let them go.
    for sender in list(_senders.values()):
        sender.drain(sender.timeout)


atexit.register(_drain_at_exit)


# -- conditions -----------------------------------------------------------------------------


@dataclass(eq=False)
class AlertCondition:
    """A condition on one metric (``lt.alert_when``): fires when a point is above ``above``
    or below ``below``; ``once`` per run, else each time the metric crosses into the
    condition. ``cancel()`` stops checking it."""

    metric: str
    above: float | None
    below: float | None
    title: str | None
    level: str
    once: bool
    _conditions: AlertConditions | None = field(default=None, repr=False)
    _inside: dict[int, bool] = field(default_factory=dict, repr=False)  # run key -> last point
    _fired: set[int] = field(default_factory=set, repr=False)  # run keys fired (with once)

    def met_by(self, value: float) -> bool:
        """Whether a point of this value meets the condition (NaN never does)."""
        if math.isnan(value):
            return False
        return (self.above is not None and value > self.above) or (
            self.below is not None and value < self.below
        )

    def describe(self) -> str:
        """The condition in words: ``val_loss > 2.0``, ``acc < 0.5 or acc > 0.99``."""
        parts = []
        if self.below is not None:
            parts.append(f"{self.metric} < {self.below:g}")
        if self.above is not None:
            parts.append(f"{self.metric} > {self.above:g}")
        return " or ".join(parts)

    def cancel(self) -> None:
        """Stop checking this condition."""
        if self._conditions is not None:
            self._conditions.remove(self)

    def fires(self, run_pk: int, value: float) -> bool:
        """Whether this point fires the condition (and remember it for the next points)."""
        met = self.met_by(value)
        was_inside = self._inside.get(run_pk, False)
        self._inside[run_pk] = met
        if not met:
            return False
        if self.once:
            if run_pk in self._fired:
                return False
            self._fired.add(run_pk)
            return True
        return not was_inside


def check_condition(
    metric: object,
    above: object = None,
    below: object = None,
    title: object = None,
    level: object = "WARN",
    once: object = True,
) -> AlertCondition:
    """An ``AlertCondition`` from ``lt.alert_when``'s arguments; anything that cannot be
    checked is refused here, at the call site."""
    if not isinstance(metric, str):
        raise InvalidParameter(f"alert_when's metric must be a metric key, got {metric!r}")
    v.validate_key(metric, "metric")
    bounds = {}
    for name, bound in (("above", above), ("below", below)):
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise InvalidParameter(f"alert_when's {name} must be a number, got {bound!r}")
        if math.isnan(bound):
            raise InvalidParameter(f"alert_when's {name} must be a number, not NaN")
        bounds[name] = float(bound)
    if not bounds:
        raise InvalidParameter("alert_when needs a bound: above=..., below=... or both")
    if "above" in bounds and "below" in bounds and bounds["below"] > bounds["above"]:
        # Every value is above one or below the other: such a condition always fires.
        raise InvalidParameter(
            f"alert_when fires outside [below, above]; below={bounds['below']:g} is more than "
            f"above={bounds['above']:g}, so every value would fire it"
        )
    if title is not None:
        check_title_and_text(title, "")
    if not isinstance(once, bool):
        raise InvalidParameter(f"alert_when's once must be True or False, got {once!r}")
    return AlertCondition(
        metric,
        bounds.get("above"),
        bounds.get("below"),
        None if title is None else str(title).strip(),
        check_level(level),
        once,
    )


# What the writer hands over: the points it wrote, as (run key, key, value, timestamp, step).
Point = tuple[int, str, float, int, int]


class AlertConditions:
    """The conditions of one store's writer, checked against the points it writes
    (``check``, on the writer thread). Firing one stores an alert on the run and posts it."""

    def __init__(self, store):
        self.store = store
        self._items: list[AlertCondition] = []
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, condition: AlertCondition) -> AlertCondition:
        """Start checking ``condition``; returns it (``cancel()`` stops it)."""
        condition._conditions = self
        with self._lock:
            self._items = [*self._items, condition]
        return condition

    def remove(self, condition: AlertCondition) -> None:
        """Stop checking ``condition``."""
        with self._lock:
            self._items = [c for c in self._items if c is not condition]

    def snapshot(self) -> list[AlertCondition]:
        """The conditions now: a batch written now is checked against these, even if one is
        cancelled before the writer thread gets to it."""
        return self._items

    def clear(self) -> None:
        """Stop checking every condition."""
        with self._lock:
            self._items = []

    def check(
        self,
        points: Iterable[Point],
        run_uuid: Callable[[int], str],
        conditions: list[AlertCondition] | None = None,
    ) -> list[Alert]:
        """Fire the conditions (``conditions``, else the current ones) these points meet, in
        the order they were logged; the alerts stored. A run that is gone, or a store that
        refuses the alert, is logged and skipped: an alert never stops the writer."""
        conditions = self._items if conditions is None else conditions
        if not conditions:
            return []
        fired: list[Alert] = []
        by_metric: dict[str, list[AlertCondition]] = {}
        for condition in conditions:
            by_metric.setdefault(condition.metric, []).append(condition)
        for pk, key, value, timestamp, step in points:
            for condition in by_metric.get(key, ()):
                if not condition.fires(pk, value):
                    continue
                try:
                    alert = self._fire(condition, run_uuid(pk), value, timestamp, step)
                except Exception as error:
                    logger.warning("labtrack: could not store the alert %s: %s", condition, error)
                    continue
                fired.append(alert)
        return fired

    def _fire(
        self, condition: AlertCondition, run_id: str, value: float, timestamp: int, step: int
    ) -> Alert:
        what = condition.describe()
        alert = self.store.alerts.add_alert(
            run_id,
            condition.title or what,
            f"{condition.metric} = {value:g} at step {step} ({what})",
            condition.level,
            timestamp,
            condition.metric,
            value,
            step,
        )
        post_alert(alert)
        return alert
