"""The team benchmark's worker (``bench/teams.py`` runs it, one process per client or task).

Workloads, as in the other workers: ``python workloads_teams.py '<json config>'`` runs one
and prints its measurements as one JSON document on stdout (``common.worker_main``).

- ``log_batch``: one client of a tracking server. It creates a run over MLflow's REST API,
  then, once told to start (a line on stdin, so that every client starts at once), sends
  ``requests`` ``log-batch`` requests of ``batch`` metrics each and reports each request's
  latency. Plain HTTP (``requests``, the library MLflow's client uses) with the same bodies
  against either server, so that only the server differs.
- ``search``: ``search_runs`` into a DataFrame, one page and a full read, with labtrack's
  client (``lt.search_runs`` at ``tracking_uri``: the store, ``postgresql://...``, or
  ``labtrack server``, ``http://...``) or MLflow's (``mlflow.search_runs``).
- ``upload``: a file of ``megabytes`` MB to the bucket, through the server's artifact proxy
  (``PUT /api/2.0/mlflow-artifacts/artifacts/...``) or straight with s3fs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import clock, metric_keys, metric_value, now_ms, repeat, worker_main  # noqa: E402

LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def log_batch(size: dict, store_dir: Path) -> dict:
    import requests

    url, batch, requests_count = size["url"], size["batch"], size["requests"]
    keys = metric_keys(size["keys"])
    session = requests.Session()

    def post(path: str, body: dict) -> dict:
        response = session.post(url + path, json=body, timeout=300)
        response.raise_for_status()
        return response.json()

    run_id = post(
        "/api/2.0/mlflow/runs/create",
        {"experiment_id": size["experiment_id"], "start_time": now_ms()},
    )["run"]["info"]["run_id"]
    step = 0

    def body() -> dict:
        nonlocal step
        timestamp, metrics = now_ms(), []
        while len(metrics) < batch:
            for k, key in enumerate(keys[: batch - len(metrics)]):
                value = metric_value(k, step)
                metrics.append({"key": key, "value": value, "timestamp": timestamp, "step": step})
            step += 1
        return {"run_id": run_id, "metrics": metrics, "params": [], "tags": []}

    post(LOG_BATCH, body())  # warm: the connection is open and the run's first rows exist
    (store_dir / f"ready-{size['client']}").touch()
    sys.stdin.readline()  # the orchestrator's start signal, sent to every client at once
    latencies = []
    started = clock()  # perf_counter: one monotonic clock for every process of the machine
    for _ in range(requests_count):
        payload = body()
        sent = clock()
        post(LOG_BATCH, payload)
        latencies.append(clock() - sent)
    finished = clock()
    return {"started": started, "finished": finished, "latencies_s": latencies, "run_id": run_id}


def search(size: dict, store_dir: Path) -> dict:
    if size["client"] == "labtrack":
        os.environ["LABTRACK_TRACKING_URI"] = size["tracking_uri"]
        import labtrack as client
    else:  # MLflow's own client (the MLflow environment's python), e.g. through a server
        import mlflow as client

        client.set_tracking_uri(size["tracking_uri"])

    def timed(max_results: int) -> tuple[float, int]:
        start = clock()
        frame = client.search_runs(
            experiment_ids=[size["experiment_id"]],
            filter_string=size["filter"],
            order_by=size["order_by"],
            max_results=max_results,
        )
        return clock() - start, len(frame)

    first_s, _ = timed(size["page"])  # imports pandas, opens connections: reported apart
    rows = {}

    def once(_: int) -> dict[str, float]:
        page_s, rows["page"] = timed(size["page"])
        full_s, rows["full"] = timed(size["runs"])
        return {"page_s": page_s, "full_s": full_s}

    figures = repeat(size["repeats"], once)
    figures["first_call_s"] = {"median": first_s, "samples": [first_s]}
    return {"figures": figures, "rows": rows}


def upload(size: dict, store_dir: Path) -> dict:
    source = Path(size["file"])
    megabytes = source.stat().st_size / 1e6

    if size["via"] == "proxy":
        import requests

        session = requests.Session()

        def put(index: int) -> None:
            with source.open("rb") as body:  # a file object: requests streams it
                response = session.put(
                    f"{size['url']}{PROXY}/bench/upload-{index}/{source.name}",
                    data=body,
                    timeout=600,
                )
            response.raise_for_status()

    else:
        import s3fs

        fs = s3fs.S3FileSystem(endpoint_url=size["endpoint"])

        def put(index: int) -> None:
            fs.put_file(str(source), f"{size['bucket']}/direct/upload-{index}/{source.name}")

    def once(index: int) -> dict[str, float]:
        start = clock()
        put(index)
        seconds = clock() - start
        return {"upload_s": seconds, "mb_per_s": megabytes / seconds}

    return {"figures": repeat(size["repeats"], once), "megabytes": megabytes}


if __name__ == "__main__":
    worker_main("teams", "", {"log_batch": log_batch, "search": search, "upload": upload})
