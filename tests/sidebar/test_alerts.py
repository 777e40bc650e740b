"""The sidebar's alerts route: a page starts at the newest alert and then gets each newer one
once, in order, a page at a time."""

from __future__ import annotations

import math

import pytest
from tornado.httpclient import HTTPClientError

from labtrack.sidebar import alerts as sidebar_alerts


async def test_a_poller_sees_each_new_alert_once_in_order(store, api):
    client = store["client"]
    first_run, second_run = store["run_ids"]
    client.alert(first_run, "before the page opened")
    start = await api("alerts")
    assert start["alerts"] == [] and start["cursor"] == client.last_alert_id() > 0
    quiet = await api("alerts", params={"after": start["cursor"]})
    assert quiet == {"alerts": [], "cursor": start["cursor"]}
    client.alert(first_run, "val_loss is rising", "3 epochs in a row", "WARN")
    fired = client.store.alerts.add_alert(
        second_run, "diverged", "", "ERROR", None, "loss", math.inf, 4
    )
    page = await api("alerts", params={"after": start["cursor"]})
    assert [(a["title"], a["level"], a["run_id"]) for a in page["alerts"]] == [
        ("val_loss is rising", "WARN", first_run),
        ("diverged", "ERROR", second_run),
    ]
    assert page["alerts"][0]["text"] == "3 epochs in a row"
    assert page["alerts"][0]["experiment_id"] == store["experiment_id"]
    assert (page["alerts"][1]["metric_key"], page["alerts"][1]["metric_value"]) == ("loss", None)
    assert page["cursor"] == fired.id
    assert (await api("alerts", params={"after": page["cursor"]}))["alerts"] == []


async def test_a_burst_comes_a_page_at_a_time(store, api):
    client = store["client"]
    start = (await api("alerts"))["cursor"]
    for i in range(sidebar_alerts.PAGE + 5):
        client.alert(store["run_ids"][0], f"a{i}")
    first = await api("alerts", params={"after": start})
    second = await api("alerts", params={"after": first["cursor"]})
    titles = [a["title"] for a in first["alerts"] + second["alerts"]]
    assert titles == [f"a{i}" for i in range(sidebar_alerts.PAGE + 5)]
    assert len(first["alerts"]) == sidebar_alerts.PAGE


@pytest.mark.parametrize("after", ["x", "-1", "1e3", str(2**64)])
async def test_a_cursor_that_is_not_an_alert_id_is_a_400(store, api, after):
    with pytest.raises(HTTPClientError) as error:
        await api("alerts", params={"after": after})
    assert error.value.code == 400
