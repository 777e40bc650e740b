"""Alerts travel with their runs: ``labtrack sync`` and bundles copy them with their times and
points, once (a second copy adds none), and a bundle whose alert is garbled is refused."""

from __future__ import annotations

import json
import math
import zipfile

import pytest

import labtrack as lt
from labtrack.transfer import TransferError, export_bundle, import_bundle, sync


def _source(tmp_path) -> tuple[str, str]:
    uri = f"sqlite:///{tmp_path / 'source' / 'labtrack.db'}"
    client = lt.Client(uri)
    run_id = client.create_run(client.create_experiment("vision")).info.run_id
    client.alert(run_id, "checkpoint", "epoch 3")
    client.alert(run_id, "checkpoint", "epoch 3")  # the same twice: both are kept
    client.store.alerts.add_alert(run_id, "diverged", "", "ERROR", 1234, "loss", math.inf, 9)
    client.set_terminated(run_id)
    return uri, run_id


def _alerts(uri: str, run_id: str) -> list[tuple]:
    return [
        (a.title, a.text, a.level, a.timestamp, a.metric_key, a.metric_value, a.step)
        for a in lt.Client(uri).search_alerts(run_ids=[run_id])
    ]


def test_sync_copies_a_runs_alerts_once(tmp_path, tracking_uri):
    src, run_id = _source(tmp_path)
    sync(src, tracking_uri)
    assert _alerts(tracking_uri, run_id) == _alerts(src, run_id)
    assert len(_alerts(tracking_uri, run_id)) == 3
    lt.Client(src).alert(run_id, "later", level="WARN")
    lt.Client(src).set_tag(run_id, "changed", "yes")  # the run changed: it is looked at again
    sync(src, tracking_uri)
    assert _alerts(tracking_uri, run_id) == _alerts(src, run_id)


def test_a_bundle_carries_a_runs_alerts(tmp_path, tracking_uri):
    src, run_id = _source(tmp_path)
    bundle = tmp_path / "vision.zip"
    export_bundle(bundle, src, runs=[run_id])
    import_bundle(bundle, tracking_uri)
    assert _alerts(tracking_uri, run_id) == _alerts(src, run_id)
    assert import_bundle(bundle, tracking_uri).copied_nothing
    assert len(_alerts(tracking_uri, run_id)) == 3


def test_a_bundle_with_a_garbled_alert_is_refused(tmp_path, tracking_uri):
    src, run_id = _source(tmp_path)
    bundle = tmp_path / "vision.zip"
    export_bundle(bundle, src, runs=[run_id])
    with zipfile.ZipFile(bundle) as z:
        members = {name: z.read(name) for name in z.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["runs"][0]["alerts"][0]["level"] = "LOUD"
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(bundle, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(TransferError, match="garbles"):
        import_bundle(bundle, tracking_uri)
    assert lt.Client(tracking_uri).search_alerts() == []
