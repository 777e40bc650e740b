"""Large artifacts stream: logging a 200 MB file to S3 and downloading it back raise the
process's resident memory by under 50 MB (measured with psutil in a fresh process)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from ..conftest_s3 import s3_environment

SIZE = 200 << 20
LIMIT = 50 << 20

CHILD = """
import json, sys, threading
import psutil
import labtrack as lt

uri, bucket, big, out = sys.argv[1:5]
lt.set_tracking_uri(uri)
experiment = lt.create_experiment("big", artifact_location=f"s3://{bucket}/big")
process = psutil.Process()
peak = 0
done = threading.Event()

def sample():
    global peak
    while not done.wait(0.005):
        peak = max(peak, process.memory_info().rss)

with lt.start_run(experiment_id=experiment) as run:
    lt.log_text("warm", "warm.txt")  # s3fs, botocore and a connection: before the baseline
    lt.Client().download_artifacts(run.info.run_id, "warm.txt", out)
    baseline = process.memory_info().rss
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        lt.log_artifact(big, "data")
        uploaded = max(peak, process.memory_info().rss)
        peak = 0
        copy = lt.Client().download_artifacts(run.info.run_id, "data/big.bin", out)
        downloaded = max(peak, process.memory_info().rss)
    finally:
        done.set()
        sampler.join()
print(json.dumps({"baseline": baseline, "upload": uploaded, "download": downloaded, "copy": copy}))
"""


@pytest.mark.slow  # about 30 s: 400 MB through moto's server (measured: +33 MB up, +38 MB down)
def test_a_200_mb_artifact_streams_both_ways(tracking_uri, bucket, s3_endpoint, tmp_path):
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(big, "wb") as out:
        for index in range(SIZE >> 20):
            chunk = hashlib.sha256(str(index).encode()).digest() * (1 << 15)  # 1 MiB
            digest.update(chunk)
            out.write(chunk)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CHILD),
            tracking_uri,
            bucket,
            str(big),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=s3_environment(s3_endpoint),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["upload"] - report["baseline"] < LIMIT, report
    assert report["download"] - report["baseline"] < LIMIT, report
    copied = hashlib.sha256()
    with open(report["copy"], "rb") as copy:
        for chunk in iter(lambda: copy.read(1 << 20), b""):
            copied.update(chunk)
    assert copied.hexdigest() == digest.hexdigest()
