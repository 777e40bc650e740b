"""``labtrack serve`` in a real subprocess: it loads a logged model, says where it listens,
answers requests, and stops on Ctrl+C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

import labtrack as lt

SRC = str(Path(__file__).resolve().parents[2] / "src")


def start_cli(*args: str, tmp_path: Path) -> tuple[subprocess.Popen, queue.Queue]:
    env = {**os.environ, "PYTHONPATH": SRC, "LABTRACK_HOME": str(tmp_path / "cli-home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "labtrack.cli", *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stderr:
            lines.put(line)
        lines.put(None)  # the process closed its stderr: it ended

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def wait_for_line(lines: queue.Queue, pattern: str, timeout: float = 120) -> re.Match:
    seen = []
    while True:
        line = lines.get(timeout=timeout)  # blocks until the process writes (no fixed sleep)
        if line is None:
            raise AssertionError("the server exited before it was ready:\n" + "".join(seen))
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match


def test_labtrack_serve_answers_and_stops_on_ctrl_c(tmp_path, tracking_uri, iris, iris_classifier):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:3], registered_model_name="iris")
    lt.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)
    lt.end_run()

    process, lines = start_cli(
        "--tracking-uri",
        tracking_uri,
        "serve",
        "models:/iris@champion",
        "--port",
        "0",
        "--max-body-mb",
        "0.001",
        tmp_path=tmp_path,
    )
    try:
        url = wait_for_line(
            lines, r"serving models:/iris@champion at (http://127\.0\.0\.1:\d+)"
        ).group(1)
        response = httpx.post(
            f"{url}/invocations", json={"dataframe_records": X[:3].to_dict(orient="records")}
        )
        assert response.json() == {"predictions": iris_classifier.predict(X[:3]).tolist()}
        # Past --max-body-mb (1,000 bytes here): refused.
        response = httpx.post(
            f"{url}/invocations", json={"dataframe_records": X[:30].to_dict(orient="records")}
        )
        assert response.status_code == 413 and "limit of 0.001 MB" in response.json()["message"]
        assert httpx.get(f"{url}/version").json()["model_version"] == str(
            info.registered_model_version
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_labtrack_serve_reports_a_missing_model(tmp_path):
    process, lines = start_cli("serve", str(tmp_path / "nothing"), "--port", "0", tmp_path=tmp_path)
    assert process.wait(timeout=120) == 2
    output = "".join(iter(lambda: lines.get(timeout=10), None))
    assert "labtrack: error: no saved model at" in output


def test_serve_is_a_listed_command():
    result = subprocess.run(
        [sys.executable, "-m", "labtrack.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=60,
    )
    assert (
        result.returncode == 0
        and "--port" in result.stdout
        and "models:/<name>@<alias>" in result.stdout
    )
    assert "--max-body-mb" in result.stdout and "LABTRACK_SERVE_MAX_BODY_MB" in result.stdout


def test_labtrack_serve_reports_a_bad_body_limit(tmp_path):
    process, lines = start_cli(
        "serve", str(tmp_path / "nothing"), "--max-body-mb", "-1", tmp_path=tmp_path
    )
    assert process.wait(timeout=120) == 2
    output = "".join(iter(lambda: lines.get(timeout=10), None))
    assert "argument --max-body-mb: must be a positive number of megabytes, got '-1'" in output


@pytest.fixture(autouse=True)
def no_active_run():
    yield
    lt.end_run()
