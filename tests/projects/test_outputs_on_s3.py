"""``labtrack run`` with an experiment whose artifacts are in a bucket (moto's S3 server):
the executed notebook, its source and the kernel's ``%%track`` cell history go there, and
``reproduce`` runs the source it downloads back."""

from __future__ import annotations

import json

import pytest

import labtrack as lt
from labtrack.projects import reproduce

from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401

TRACKED_CELL = """
%%track --params C
lt.log_metric("accuracy", 0.5 + C / 100)
print(f"trained C={C}")
"""


@pytest.mark.slow  # two notebook executions in kernels: about a minute
def test_a_notebook_run_keeps_its_outputs_in_the_bucket(
    tracking_uri,
    notebook,
    tmp_path,
    bucket,  # noqa: F811
    s3_client,  # noqa: F811
):
    lt.create_experiment("nb-s3", artifact_location=f"s3://{bucket}/nb")
    path = notebook(tmp_path / "train.ipynb", "C = 1.0\n", "import labtrack as lt", TRACKED_CELL)

    run = lt.run(str(path), parameters={"C": 10}, experiment_name="nb-s3")

    assert run.info.status == "FINISHED" and run.data.metrics["accuracy"] == 0.6
    prefix = f"nb/{run.info.run_id}/artifacts/"
    assert run.info.artifact_uri == f"s3://{bucket}/{prefix}"[:-1]
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    keys = {item["Key"].removeprefix(prefix) for item in listing["Contents"]}
    assert {
        "input/train.ipynb",
        "output/train.ipynb",
        "source/cells.json",  # written by %%track in the notebook's kernel
        "environment/requirements.txt",
    } <= keys
    executed = json.loads(
        s3_client.get_object(Bucket=bucket, Key=prefix + "output/train.ipynb")["Body"].read()
    )
    assert "trained C=10.0" in json.dumps(executed["cells"][-1]["outputs"])

    path.write_text("this file on disk is no notebook any more")
    again = reproduce(run.info.run_id)  # from the source recorded in the bucket
    assert again.info.status == "FINISHED" and again.data.metrics["accuracy"] == 0.6
    assert again.info.artifact_uri.startswith(f"s3://{bucket}/nb/")
