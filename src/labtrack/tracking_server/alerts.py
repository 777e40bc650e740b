"""labtrack's own routes for alerts on runs (MLflow has none): ``POST labtrack/alerts/create``
stores one (a writer of the run's experiment), ``POST labtrack/alerts/search`` lists them
(each reader sees the alerts of the experiments they may read), ``GET labtrack/alerts/last-id``
is where a poller starts. The HTTP store's ``alerts`` part (``labtrack.store.rest.alerts``)
speaks them.

The server keeps alerts and posts none to a webhook: the process that logged an alert posts
it (``LABTRACK_ALERT_WEBHOOK`` there), so a server never posts an alert twice.
"""

from __future__ import annotations

from labtrack.entities.alert import check_level, check_title_and_text
from labtrack.errors import InvalidParameter
from labtrack.tracking_server import protocol as p
from labtrack.tracking_server.handlers import Service, endpoint

# The most alerts one search answers.
MAX_RESULTS = 10_000


@endpoint("POST labtrack/alerts/create")
def create_alert(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST labtrack/alerts/create``: an alert on ``run_id`` (title, text, level, and the
    point that fired it: ``timestamp``, ``metric_key``, ``metric_value``, ``step``)."""
    run_id = p.string(message, "run_id", required=True)
    title, text = check_title_and_text(message.get("title"), message.get("text") or "")
    value = message.get("metric_value")
    alert = svc.client.store.alerts.add_alert(
        run_id,
        title,
        text,
        check_level(message.get("level") or "INFO"),
        p.integer(message, "timestamp"),
        p.string(message, "metric_key"),
        None if value is None else p.number(value, "metric_value"),
        p.integer(message, "step"),
    )
    return {"alert": alert.to_dictionary()}


@endpoint("POST labtrack/alerts/search")
def search_alerts(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST labtrack/alerts/search``: alerts oldest first, of ``run_ids`` (every run's when
    absent), at or after ``since`` (ms), with an id above ``after_id``, of ``levels``."""
    given = [name for name in ("run_ids", "run_id") if name in message]
    # ``run_id`` (one run, or repeated in a query string) is read as ``run_ids``, as MLflow
    # names the field elsewhere.
    run_ids = [i for name in given for i in p.strings(message, name)] if given else None
    levels = p.strings(message, "levels") or None
    max_results = p.page_size(message, 1000)
    found = svc.client.search_alerts(
        run_ids,
        since=p.integer(message, "since"),
        after_id=p.integer(message, "after_id"),
        levels=levels,
        max_results=max_results,
    )
    answer: dict = {"alerts": [alert.to_dictionary() for alert in found]}
    if len(found) == max_results:
        # A full page, before the alerts this user may not read are dropped from it (auth's
        # rules do that after this answer): where to go on from, even if none is left.
        answer["next_after_id"] = found[-1].id
    return answer


@endpoint("GET labtrack/alerts/last-id")
def last_alert_id(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET labtrack/alerts/last-id``: the newest alert's id (0 when there is none)."""
    if message:
        raise InvalidParameter(
            f"labtrack/alerts/last-id takes no parameters, got {sorted(message)}"
        )
    return {"last_id": svc.client.store.alerts.last_alert_id()}
