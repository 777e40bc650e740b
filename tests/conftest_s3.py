"""An S3 endpoint for the object-storage tests: moto's standalone server on 127.0.0.1 (a real
HTTP S3 API, the one MLflow's own tests use), reached through the real s3fs and boto3.

A test folder gets the fixtures by importing them into its conftest.py:
``from ..conftest_s3 import bucket, s3_client, s3_endpoint  # noqa: F401``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest

from .waiting import wait_until

S3_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "labtrack-test-key",
    "AWS_SECRET_ACCESS_KEY": "labtrack-test-secret-value",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_LISTENING = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")
# The session's server, once started: every folder that imports the fixture gets its own
# copy of it (pytest sees one fixture per importing module), and all of them share this one.
_RUNNING: list[str] = []


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server started for this session (on a free port), with the
    environment s3fs and boto3 read (credentials, region, ``AWS_ENDPOINT_URL``) pointing at it."""
    # Test dependencies ([test] extra): missing, they fail the tests rather than skip them.
    import moto.server  # noqa: F401
    import s3fs  # noqa: F401

    if _RUNNING:
        yield _RUNNING[0]
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found: list[str] = []

    def read_log() -> None:  # drained to the end, so the server never blocks on a full pipe
        for line in process.stderr:
            match = _LISTENING.search(line)
            if match and not found:
                found.append(match.group(1))

    threading.Thread(target=read_log, daemon=True).start()
    try:
        wait_until(lambda: found or process.poll() is not None, 60, "moto's S3 server to listen")
        if not found:
            pytest.fail(f"moto's S3 server exited with status {process.returncode}")
        with pytest.MonkeyPatch.context() as patch:
            for name in ("MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
                patch.delenv(name, raising=False)
            for name, value in {**S3_ENVIRONMENT, "AWS_ENDPOINT_URL": found[0]}.items():
                patch.setenv(name, value)
            _RUNNING.append(found[0])
            yield found[0]
    finally:
        _RUNNING.clear()
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def s3_client(s3_endpoint):
    """A boto3 client of the test server, for looking behind labtrack's back."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def bucket(s3_client) -> str:
    """A new, empty bucket's name."""
    name = f"labtrack-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


def s3_environment(endpoint: str) -> dict[str, str]:
    """The environment a child process needs to reach the test server."""
    return {**os.environ, **S3_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
