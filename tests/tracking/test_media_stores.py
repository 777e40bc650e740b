"""Media over steps on the stores whose artifacts are not a local folder: a bucket (moto's S3
server) and ``labtrack server`` (artifacts through its proxy): each kind written through the
client, listed and read back the same way."""

from __future__ import annotations

import numpy as np
import pytest

import labtrack as lt
from labtrack.tracking.media import list_media, read_media

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401  (fixtures)
from ..tracking_server.conftest import start_server, stop_server


def _log_and_read_back(client: lt.Client, experiment_id: str) -> None:
    run_id = client.create_run(experiment_id).info.run_id
    client.log_image(run_id, np.zeros((2, 3), dtype=np.uint8), key="val/img", step=2)
    client.log_table(run_id, {"a": [1]}, key="val/tab", step=0)
    client.log_histogram(run_id, [1.0, 2.0], key="w", step=1, bins=1)
    client.log_text(run_id, "t", key="txt", step=4)
    client.log_audio(run_id, np.zeros(4, dtype=np.int16), key="a", step=0, sample_rate=10)
    items = list_media(client, run_id)
    assert [(i.kind, i.key, i.step) for i in items] == [
        ("audio", "a", 0),
        ("histogram", "w", 1),
        ("image", "val/img", 2),
        ("table", "val/tab", 0),
        ("text", "txt", 4),
    ]
    content = {i.kind: read_media(client, i) for i in items}
    assert content["image"][:4] == b"\x89PNG" and content["audio"][:4] == b"RIFF"
    assert content["table"] == {"columns": ["a"], "data": [[1]]}
    assert content["histogram"]["counts"] == [2] and content["text"] == "t"


def test_media_in_a_bucket(client, bucket, s3_client):  # noqa: F811
    experiment_id = client.create_experiment("s3", artifact_location=f"s3://{bucket}/m")
    _log_and_read_back(client, experiment_id)
    listing = s3_client.list_objects_v2(Bucket=bucket)["Contents"]
    assert any(o["Key"].endswith("/artifacts/histograms/w/step_1.json") for o in listing)


@pytest.mark.store  # its server's store
def test_media_through_labtrack_server(tmp_path):
    server = start_server(tmp_path)
    try:
        client = lt.Client(server.url)
        _log_and_read_back(client, client.create_experiment("remote"))
    finally:
        stop_server(server)
