"""The ``alerts`` part of the HTTP store: labtrack server's own ``labtrack/alerts/*`` routes
(``labtrack.tracking_server.alerts``). ``mlflow server`` has no alerts: there, adding one
says so plainly, and a search finds none."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from labtrack.entities.alert import Alert
from labtrack.errors import InvalidParameter, NotFound
from labtrack.store.rest.http import HttpClient


class RestAlerts:
    """Alerts on runs over labtrack server's routes."""

    def __init__(self, http: HttpClient):
        self.http = http

    def add_alert(
        self,
        run_uuid: str,
        title: str,
        text: str,
        level: str,
        timestamp: int | None = None,
        metric_key: str | None = None,
        metric_value: float | None = None,
        step: int | None = None,
    ) -> Alert:
        """Store an alert on the run; the alert as the server stored it."""
        body: dict[str, Any] = {"run_id": run_uuid, "title": title, "text": text, "level": level}
        optional = {"timestamp": timestamp, "metric_key": metric_key, "step": step}
        body.update({k: v for k, v in optional.items() if v is not None})
        if metric_value is not None:  # JSON has no NaN or infinity: their names, as MLflow's
            body["metric_value"] = (
                metric_value if math.isfinite(metric_value) else str(metric_value)
            )
        try:
            answer = self.http.call("POST", "labtrack/alerts/create", body)
        except NotFound as error:
            # labtrack server names the run it lacks; a server without the route (mlflow
            # server: a plain 404 page) does not.
            if run_uuid in str(error):
                raise
            raise InvalidParameter(
                "this tracking server keeps no alerts (alerts need labtrack server)"
            ) from None
        return Alert.from_dictionary(answer["alert"])

    def search_alerts(
        self,
        run_uuids: Sequence[str] | None = None,
        since: int | None = None,
        after_id: int | None = None,
        levels: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Alert]:
        """Alerts, oldest first, as ``SqlStore.alerts.search_alerts`` gives them (of the
        experiments this user may read)."""
        if run_uuids is not None and not run_uuids:
            return []
        body: dict[str, Any] = {"max_results": max_results}
        optional = {"run_ids": run_uuids, "since": since, "after_id": after_id, "levels": levels}
        body.update(
            {
                k: list(v) if k in ("run_ids", "levels") else v
                for k, v in optional.items()
                if v is not None
            }
        )
        while True:
            try:
                answer = self.http.call("POST", "labtrack/alerts/search", body)
            except NotFound:
                return []  # a server without the route (mlflow server): no alerts there
            found = [Alert.from_dictionary(item) for item in answer.get("alerts") or ()]
            # A full page of alerts this user may not read comes back empty: read on from
            # where it ended, or a cursor kept at the last alert seen would never move.
            if found or answer.get("next_after_id") is None:
                return found
            body["after_id"] = answer["next_after_id"]

    def last_alert_id(self) -> int:
        """The newest alert's id (0 when there is none, or on a server without alerts)."""
        try:
            return int(self.http.call("GET", "labtrack/alerts/last-id").get("last_id") or 0)
        except NotFound:
            return 0
