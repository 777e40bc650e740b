"""The route the sidebar polls for alerts (``lt.alert``, ``lt.alert_when``) to show each new
one once as a JupyterLab notification."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar.base import StoreHandler, within_int64

# The most alerts one poll brings: a burst beyond it comes at the next polls, in order.
PAGE = 50


def alert(a) -> dict:
    """An alert as the sidebar reads it (``metric_value`` null when not finite)."""
    payload = a.to_dictionary()
    if isinstance(payload["metric_value"], str):
        payload["metric_value"] = None
    return payload


class AlertsHandler(StoreHandler):
    """``GET alerts?after=<id>`` -> ``{"alerts": [...], "cursor": id}``: the alerts with an id
    above ``after``, oldest first (at most ``PAGE``), and the cursor to ask with next. Without
    ``after``, no alerts and the newest alert's id: a new page shows only what comes after it."""

    _track_activity = False  # polled: must not keep an idle server from culling

    @web.authenticated
    @authorized
    async def get(self):
        raw = self.get_query_argument("after", "")
        if not raw:
            cursor = await self.call(lambda client: client.last_alert_id())
            self.reply({"alerts": [], "cursor": cursor})
            return
        within_int64(raw, "after")
        try:
            after = int(raw)
        except ValueError:
            raise web.HTTPError(400, "after must be an alert id (an integer)") from None
        if after < 0:
            raise web.HTTPError(400, "after must be an alert id (an integer >= 0)")
        found = await self.call(
            lambda client: client.search_alerts(after_id=after, max_results=PAGE)
        )
        cursor = found[-1].id if found else after
        self.reply({"alerts": [alert(a) for a in found], "cursor": cursor})
