"""The sidebar's artifact views over a run whose artifacts are in a bucket (moto's S3 server)."""

from __future__ import annotations

import pytest
from tornado.httpclient import HTTPClientError

import labtrack as lt

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401


async def test_a_run_in_a_bucket_shows_its_artifacts(tracking_uri, bucket, api, jp_fetch):  # noqa: F811
    client = lt.Client(tracking_uri)
    experiment_id = client.create_experiment("s3", artifact_location=f"s3://{bucket}/sidebar")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "hello", "notes/readme.txt")
    client.log_dict(run_id, {"a": 1}, "config.json")

    run = await api("runs", run_id)
    assert run["artifact_uri"] == f"s3://{bucket}/sidebar/{run_id}/artifacts"
    assert run["artifacts"] == [
        {"path": "config.json", "is_dir": False, "file_size": 12},
        {"path": "notes", "is_dir": True, "file_size": None},
    ]
    assert await api("runs", run_id, "artifacts", params={"path": "notes"}) == {
        "path": "notes",
        "files": [{"path": "notes/readme.txt", "is_dir": False, "file_size": 5}],
    }
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("labtrack", "api", "runs", run_id, "artifacts", params={"path": "../x"})
    assert refused.value.code == 400
