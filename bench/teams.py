"""The team setup's figures, in one run: labtrack server vs mlflow server on one PostgreSQL,
search_runs over 100,000 runs, and a 200 MB artifact through the proxy vs straight to S3.

    python bench/teams.py --postgres postgresql://user:pw@127.0.0.1/postgres
    python bench/teams.py --quick          # smaller sizes, one to two minutes
    LABTRACK_BENCH_POSTGRES=postgresql://... python bench/teams.py

It creates its own databases in that server (and drops them at the end), starts moto's S3
server, ``labtrack server`` and ``mlflow server`` (MLflow from the tests' pinned environment,
``tests/mlflow_env.py``, with psycopg added) and runs every client in its own process
(``workloads_teams.py``). See bench/README.md, section "Teams".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import metric_keys, run_params, run_tags  # noqa: E402
from report import format_ratio, format_value  # noqa: E402
from run import REPO, log, machine, worker_env  # noqa: E402

sys.path.insert(0, str(REPO / "src"))  # seeding and the version: labtrack from this checkout

WORKER = BENCH / "workloads_teams.py"
SYSTEMS = ("labtrack", "mlflow")
# Requests per client: MLflow's server is several times slower per request, so it sends
# fewer (points per second is a rate and needs no scaling; its percentiles have fewer samples).
SIZES = {
    "full": {
        "log_batch": {
            "clients": 8,
            "requests": {"labtrack": 20, "mlflow": 8},
            "batch": 1000,
            "keys": 5,
        },  # fmt: skip
        # Through the server, MLflow's client reads 90,000 runs in about 2 minutes: once.
        "search": {
            "runs": 100_000,
            "page": 1000,
            "repeats": {"direct": 2, "server": 1, "server_mlflow": 1},
        },  # fmt: skip
        "upload": {"megabytes": 200, "repeats": 2},
    },
    "quick": {
        "log_batch": {
            "clients": 8,
            "requests": {"labtrack": 4, "mlflow": 1},
            "batch": 1000,
            "keys": 5,
        },  # fmt: skip
        "search": {
            "runs": 5_000,
            "page": 1000,
            "repeats": {"direct": 2, "server": 1, "server_mlflow": 1},
        },  # fmt: skip
        "upload": {"megabytes": 20, "repeats": 1},
    },
}
# The search: a filter most runs pass, ordered by a metric, as a team's run table asks.
SEARCH_FILTER = "metrics.loss < 0.9 and params.param_0 != 'none'"
SEARCH_ORDER = ["metrics.loss DESC"]
S3_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "labtrack-bench-key",
    "AWS_SECRET_ACCESS_KEY": "labtrack-bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}
START_TIMEOUT_S = 180
CLIENT_TIMEOUT_S = 1200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LABTRACK_BENCH_POSTGRES"),
        help="a PostgreSQL server's URL whose user may create databases "
        "(default: $LABTRACK_BENCH_POSTGRES)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (one to two minutes)")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes of each server (default 2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run each comparison this many times, the two sides interleaved, and pool the samples",
    )
    parser.add_argument(
        "--mlflow-python",
        default=os.environ.get("LABTRACK_BENCH_MLFLOW_PYTHON"),
        help="python of an environment with the full mlflow package (default: the tests' "
        "pinned environment, .venv-mlflow, built if missing)",
    )
    parser.add_argument(
        "--output", type=Path, help="results JSON (default: bench/results/<time>-teams.json)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (server and client logs)"
    )
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error("needs --postgres URL (or LABTRACK_BENCH_POSTGRES)")
    if args.workers < 1 or args.rounds < 1:
        parser.error("--workers and --rounds must be at least 1")
    return args


# -- set-up: MLflow, databases, processes ----------------------------------------------------


def mlflow_server_python(explicit: str | None) -> str:
    """An interpreter that runs ``mlflow server`` on PostgreSQL: the one given, or the tests'
    pinned MLflow environment; psycopg 3 installed into it when missing (SQLAlchemy 2.1, which
    MLflow 3.17 runs on, opens ``postgresql://`` with psycopg 3, the driver labtrack uses too)."""
    if explicit:
        python = explicit
    else:
        sys.path.insert(0, str(REPO))
        from tests.mlflow_env import ensure_mlflow_python

        log("MLflow: the tests' pinned environment (tests/mlflow_env.py)")
        python = ensure_mlflow_python()
    if subprocess.run([python, "-c", "import mlflow, psycopg"], capture_output=True).returncode:
        log(f"installing psycopg[binary] into {python}'s environment")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "psycopg[binary]"], check=True)
    return python


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def databases(server_url: str, *roles: str) -> Iterator[dict[str, str]]:
    """New, empty databases on the server, one per role ({role: url}), dropped at the end."""
    import psycopg

    prefix = f"labtrack_bench_{os.getpid()}"
    names = {role: f"{prefix}_{role}" for role in roles}
    with psycopg.connect(server_url, autocommit=True) as admin:
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {role: database_url(server_url, name) for role, name in names.items()}
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, what: str) -> None:
    """Wait until ``condition()`` is true; RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class Service:
    """A server process (and its children: its own process group), its log in a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], folder: Path):
        self.name, self.log_path = name, folder / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_path.read_text()[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{tail}")

    def wait_ready(self, url: str, workers: int) -> None:
        """Until the health endpoint answers and every worker process has started (uvicorn
        logs each one's start): a worker still importing may drop a connection it took."""
        import requests

        def ready() -> bool:
            self.check_alive()
            started = self.log_path.read_text().count("Application startup complete")
            try:
                healthy = requests.get(f"{url}/health", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False
            return healthy and started >= workers

        wait_for(ready, START_TIMEOUT_S, f"{self.name} at {url} with {workers} workers")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def start_moto(folder: Path) -> tuple[Service, str]:
    """moto's S3 server on a free port (the endpoint the tests use too) and its URL."""
    service = Service(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        worker_env("labtrack", folder),
        folder,
    )
    found: list[str] = []

    def listening() -> bool:
        service.check_alive()
        found[:] = re.findall(r"Running on (http://127\.0\.0\.1:\d+)", service.log_path.read_text())
        return bool(found)

    wait_for(listening, START_TIMEOUT_S, "moto's S3 server to listen")
    return service, found[0]


def labtrack_env(folder: Path, endpoint: str) -> dict[str, str]:
    """labtrack from this checkout, reaching the bench's S3 server."""
    return {**worker_env("labtrack", folder), **S3_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}


def start_labtrack_server(store: str, artifacts: str, workers: int, env, folder) -> tuple:
    port = free_port()
    command = [sys.executable, "-m", "labtrack.cli", "server", "--backend-store-uri", store,
               "--artifacts-destination", artifacts, "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    service = Service("labtrack-server", command, env, folder)
    url = f"http://127.0.0.1:{port}"
    service.wait_ready(url, workers)
    return service, url


def mlflow_env(folder: Path) -> dict[str, str]:
    """The MLflow environment's processes: no labtrack, no telemetry."""
    return {**worker_env("mlflow", folder), "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}


def start_mlflow_server(python: str, store: str, workers: int, folder: Path) -> tuple:
    port = free_port()
    command = [python, "-m", "mlflow", "server", "--backend-store-uri", store,
               "--artifacts-destination", str(folder / "mlflow-artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]  # fmt: skip
    service = Service("mlflow-server", command, mlflow_env(folder), folder)
    url = f"http://127.0.0.1:{port}"
    service.wait_ready(url, workers)
    return service, url


# -- the workers -----------------------------------------------------------------------------


def run_worker(
    workload: str, size: dict, env: dict[str, str], folder: Path, python: str = sys.executable
) -> dict:
    """One worker process (``workloads_teams.py``) to the end; its JSON result."""
    config = json.dumps({"workload": workload, "size": size, "store_dir": str(folder)})
    done = subprocess.run(
        [python, str(WORKER), config],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
    )
    if done.returncode:
        raise RuntimeError(f"{workload} worker failed: {done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log_batch_round(url: str, size: dict, env: dict[str, str], scratch: Path) -> dict:
    """``clients`` processes against one server, started together; their pooled figures."""
    import requests

    folder = Path(tempfile.mkdtemp(prefix="clients-", dir=scratch))
    response = requests.post(
        f"{url}/api/2.0/mlflow/experiments/create", json={"name": f"log-batch-{folder.name}"}
    )
    response.raise_for_status()
    experiment_id = response.json()["experiment_id"]
    clients, logs = [], []
    for index in range(size["clients"]):
        logs.append((folder / f"client-{index}.log").open("w"))
        config = {
            "workload": "log_batch",
            "size": {**size, "url": url, "experiment_id": experiment_id, "client": index},
            "store_dir": str(folder),
        }
        clients.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(config)],
                cwd=folder,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=logs[-1],
                text=True,
            )
        )

    def ready() -> bool:
        failed = [c for c in clients if c.poll() is not None]
        if failed:
            raise RuntimeError(f"a client exited early: see {folder}/client-*.log")
        return all((folder / f"ready-{i}").exists() for i in range(len(clients)))

    wait_for(ready, START_TIMEOUT_S, "every client to be ready")
    for client in clients:  # every client is blocked on this line: they start together
        client.stdin.write("go\n")
        client.stdin.flush()
    results = []
    for index, client in enumerate(clients):
        out, _ = client.communicate(timeout=CLIENT_TIMEOUT_S)
        if client.returncode:
            log_text = (folder / f"client-{index}.log").read_text()[-3000:]
            raise RuntimeError(f"client {index} failed: {log_text}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    for file in logs:
        file.close()
    elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
    points = size["clients"] * size["requests"] * size["batch"]
    latencies = [s for r in results for s in r["latencies_s"]]
    return {"points": points, "elapsed_s": elapsed, "latencies_s": latencies}


def percentile(samples: list[float], fraction: float) -> float:
    """The sample at ``fraction`` (0.5: the median), interpolated between neighbours."""
    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def log_batch_figures(rounds: list[dict]) -> dict:
    latencies = [s for r in rounds for s in r["latencies_s"]]
    rates = [r["points"] / r["elapsed_s"] for r in rounds]
    return {
        "points_per_s": statistics.median(rates),
        "points_per_s_samples": rates,
        "p50_s": percentile(latencies, 0.50),
        "p99_s": percentile(latencies, 0.99),
        "requests": len(latencies),
    }


# -- seeding the search ----------------------------------------------------------------------


def metric_values(run: int, runs: int) -> dict[str, float]:
    """loss spread evenly over [0, 1) in a shuffled order (the filter keeps 90% of runs);
    ``SEED_SQL`` computes the same in PostgreSQL."""
    loss = (run * 7919 % runs) / runs
    values = (loss, 1.0 - loss, 0.001 * (run % 10 + 1))
    return dict(zip(metric_keys(3), values, strict=True))


# Runs 1..n-1 made by PostgreSQL itself, like run 0 (which labtrack's API made): run i
# starts at run 0's start + i ms, which is how the other statements find i again.
# Parameters: %(experiment)s, %(runs)s, %(start)s, %(first)s (run 0's uuid) and %(status)s.
SEED_SQL = (
    """
    INSERT INTO runs (run_uuid, experiment_id, name, status, start_time, end_time,
                      lifecycle_stage, artifact_uri, user_id)
    SELECT u, r.experiment_id, 'run-' || i, %(status)s, %(start)s + i, %(start)s + i + 1000,
           'active', replace(r.artifact_uri, %(first)s, u), r.user_id
    FROM runs r, generate_series(1, %(runs)s - 1) AS i,
         LATERAL (SELECT md5(random()::text || i::text) AS u) AS id
    WHERE r.run_uuid = %(first)s
    """,
    """
    INSERT INTO params (run_id, key, value)
    SELECT r.id, 'param_' || j, ((r.start_time - %(start)s) * 31 + j * 7) %% 997
    FROM runs r, generate_series(0, 9) AS j
    WHERE r.experiment_id = %(experiment)s AND r.run_uuid <> %(first)s
    """,
    """
    INSERT INTO tags (run_id, key, value)
    SELECT r.id, 'tag_' || j, 'group-' || ((r.start_time - %(start)s + j) %% 13)
    FROM runs r, generate_series(0, 4) AS j
    WHERE r.experiment_id = %(experiment)s AND r.run_uuid <> %(first)s
    """,
    """
    CREATE TEMPORARY TABLE seeded AS
    SELECT r.id AS run_id, k.id AS key_id, r.start_time AS timestamp,
           CASE k.key
               WHEN 'loss' THEN (i * 7919 %% %(runs)s)::float8 / %(runs)s
               WHEN 'accuracy' THEN 1 - (i * 7919 %% %(runs)s)::float8 / %(runs)s
               ELSE 0.001 * (i %% 10 + 1)
           END AS value
    FROM runs r, LATERAL (SELECT r.start_time - %(start)s AS i) AS n, metric_keys k
    WHERE r.experiment_id = %(experiment)s AND r.run_uuid <> %(first)s
      AND k.key IN ('loss', 'accuracy', 'learning_rate')
    """,
    """
    INSERT INTO metrics (run_id, key_id, step, timestamp, value, is_nan)
    SELECT run_id, key_id, 0, timestamp, value, false FROM seeded
    """,
    """
    INSERT INTO latest_metrics (run_id, key_id, step, timestamp, value, is_nan)
    SELECT run_id, key_id, 0, timestamp, value, false FROM seeded
    """,
)


def seed_runs(store: str, runs: int) -> str:
    """An experiment with ``runs`` finished runs (10 params, 5 tags, 3 metrics each): the
    first through labtrack's API (it sets up the schema, the experiment and the metric keys),
    the others made from it by PostgreSQL (``SEED_SQL``). Returns the experiment's id."""
    import psycopg

    from labtrack.client import Client
    from labtrack.entities import Metric, Param, RunTag

    client = Client(store)
    experiment_id = client.create_experiment("search-bench")
    first = client.create_run(experiment_id, run_name="run-0")
    start = first.info.start_time
    client.log_batch(
        first.info.run_id,
        metrics=[Metric(k, v, start, 0) for k, v in metric_values(0, runs).items()],
        params=[Param(k, v) for k, v in run_params(0, 10).items()],
        tags=[RunTag(k, v) for k, v in run_tags(0, 5).items()],
    )
    client.set_terminated(first.info.run_id, end_time=start + 1000)
    client.flush()
    values = {
        "experiment": int(experiment_id),
        "runs": runs,
        "start": start,
        "first": first.info.run_id,
        "status": client.get_run(first.info.run_id).info.status,
    }
    with psycopg.connect(store) as conn:
        for statement in SEED_SQL:
            conn.execute(statement, values)
    with psycopg.connect(store, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # fresh statistics, as a long-lived database has
    return experiment_id


# -- the report ------------------------------------------------------------------------------


def table(headers: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [headers, *lines]) for i in range(len(headers))]

    def render(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                         enumerate(zip(cells, widths, strict=True)))  # fmt: skip

    return "\n".join([render(headers), "  ".join("-" * w for w in widths), *map(render, lines)])


def report(mode: str, sizes: dict, figures: dict, workers: int) -> str:
    lb, se, up = sizes["log_batch"], sizes["search"], sizes["upload"]
    lt, ml = figures["log_batch"]["labtrack"], figures["log_batch"]["mlflow"]
    slower = {name: ml[name] / lt[name] for name in ("p50_s", "p99_s")}
    rows = [
        [f"points per second ({lb['clients']} clients x {lb['batch']:,}-point requests)",
         f"{lt['points_per_s']:,.0f}", f"{ml['points_per_s']:,.0f}",
         format_ratio(lt["points_per_s"] / ml["points_per_s"])],
        ["log-batch latency p50", format_value(lt["p50_s"], "ms"),
         format_value(ml["p50_s"], "ms"), format_ratio(slower["p50_s"])],
        ["log-batch latency p99", format_value(lt["p99_s"], "ms"),
         format_value(ml["p99_s"], "ms"), format_ratio(slower["p99_s"])],
    ]  # fmt: skip
    search = figures["search"]
    wheres = ("direct", "server", "server_mlflow")
    search_rows = [
        [f"search_runs, page of {se['page']:,}",
         *(format_value(search[w]["page_s"], "s") for w in wheres)],
        [f"search_runs, full read ({search['direct']['rows']['full']:,} runs)",
         *(format_value(search[w]["full_s"], "s") for w in wheres)],
        ["first call in a process (imports pandas)",
         *(format_value(search[w]["first_call_s"], "s") for w in wheres)],
    ]  # fmt: skip
    upload = figures["upload"]
    upload_rows = [
        [f"upload {up['megabytes']} MB: seconds", format_value(upload["proxy"]["upload_s"], "s"),
         format_value(upload["direct"]["upload_s"], "s")],
        ["upload: MB/s", f"{upload['proxy']['mb_per_s']:,.1f}",
         f"{upload['direct']['mb_per_s']:,.1f}"],
    ]  # fmt: skip
    checks = [
        (f"search_runs over {se['runs']:,} runs under 1 s, labtrack direct, page of "
         f"{se['page']:,}", search["direct"]["page_s"]),
        ("  the same, full read", search["direct"]["full_s"]),
        ("  the same through labtrack server, page", search["server"]["page_s"]),
    ]  # fmt: skip
    lines = [
        f"1. log-batch: {lb['clients']} client processes, plain HTTP (requests), "
        f"{lb['batch']:,} metrics per request; both servers --workers {workers} on one "
        f"PostgreSQL; requests per client: labtrack {lb['requests']['labtrack']}, mlflow "
        f"{lb['requests']['mlflow']} (points/s: median of rounds; latency percentiles over "
        "every request)",
        table(["figure", "labtrack server", "mlflow server", "mlflow/labtrack"], rows),
        "",
        f"2. search_runs over {se['runs']:,} runs on PostgreSQL (filter {SEARCH_FILTER!r}, "
        f"order_by {SEARCH_ORDER}; repetitions per round after a first call: "
        + ", ".join(f"{w} {n}" for w, n in se["repeats"].items())
        + ")",
        table(
            ["figure", "labtrack, direct", "labtrack via server", "MLflow's client via server"],
            search_rows,
        ),
        "",
        f"3. artifact upload of {up['megabytes']} MB to moto's S3 server",
        table(["figure", "through the proxy (PUT)", "straight to the bucket (s3fs)"], upload_rows),
        "",
        "targets:",
        *(f"  [{'PASS' if v < 1 else 'FAIL'}] {t}: {format_value(v, 's')}" for t, v in checks),
    ]
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------


def pooled(samples: list[dict]) -> dict:
    """Medians of each figure over rounds (each round's figure is itself a median)."""
    out = {}
    for name in samples[0]["figures"]:
        values = [v for s in samples for v in s["figures"][name]["samples"]]
        out[name] = statistics.median(values)
    out["rows"] = samples[0].get("rows")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    sizes = SIZES[mode]
    started = time.perf_counter()
    mlflow_python = mlflow_server_python(args.mlflow_python)
    mlflow_version = subprocess.run(
        [mlflow_python, "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="labtrack-bench-teams-"))
    services: list[Service] = []
    figures: dict = {"log_batch": {}, "search": {}, "upload": {}}
    raw: dict = {"log_batch": {s: [] for s in SYSTEMS}, "search": {}, "upload": {}}
    try:
        with databases(args.postgres, "labtrack", "mlflow") as stores:
            moto, endpoint = start_moto(scratch)
            services.append(moto)
            env = labtrack_env(scratch, endpoint)
            import boto3

            bucket = "labtrack-bench"
            boto3.client("s3", endpoint_url=endpoint, **{
                "aws_access_key_id": S3_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": S3_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
                "region_name": S3_ENVIRONMENT["AWS_DEFAULT_REGION"],
            }).create_bucket(Bucket=bucket)  # fmt: skip
            # The schema exists before the server's workers open the store together.
            subprocess.run(
                [sys.executable, "-c", f"import labtrack; labtrack.Client({stores['labtrack']!r})"],
                env=env, check=True,
            )  # fmt: skip
            log("starting labtrack server and mlflow server ...")
            lt_server, lt_url = start_labtrack_server(
                stores["labtrack"], f"s3://{bucket}/artifacts", args.workers, env, scratch
            )
            services.append(lt_server)
            ml_server, ml_url = start_mlflow_server(
                mlflow_python, stores["mlflow"], args.workers, scratch
            )
            services.append(ml_server)

            lb = sizes["log_batch"]
            for round_number in range(args.rounds):
                for system, url in (("labtrack", lt_url), ("mlflow", ml_url)):
                    log(f"[round {round_number + 1}] log-batch, {lb['clients']} clients -> "
                        f"{system} server ...")  # fmt: skip
                    size = {**lb, "requests": lb["requests"][system]}
                    result = log_batch_round(url, size, env, scratch)
                    raw["log_batch"][system].append(result)
                    log(f"    {result['points'] / result['elapsed_s']:,.0f} points/s")
            for system in SYSTEMS:
                figures["log_batch"][system] = log_batch_figures(raw["log_batch"][system])
            ml_server.stop()  # its CPU is the searches' from here on

            se = sizes["search"]
            log(f"seeding {se['runs']:,} runs (not timed) ...")
            seed_started = time.perf_counter()
            experiment_id = seed_runs(stores["labtrack"], se["runs"])
            raw["search"]["seed_s"] = time.perf_counter() - seed_started
            log(f"    {raw['search']['seed_s']:.1f} s")
            search_size = {**se, "experiment_id": experiment_id, "filter": SEARCH_FILTER,
                           "order_by": SEARCH_ORDER}  # fmt: skip
            raw["search"].update(direct=[], server=[], server_mlflow=[])
            searches = {  # which client, where, with which python
                "direct": ("labtrack", stores["labtrack"], sys.executable, env),
                "server": ("labtrack", lt_url, sys.executable, env),
                "server_mlflow": ("mlflow", lt_url, mlflow_python, mlflow_env(scratch)),
            }
            for round_number in range(args.rounds):
                for where, (client, uri, python, client_env) in searches.items():
                    log(f"[round {round_number + 1}] search_runs {where} ({client} client) ...")
                    folder = Path(tempfile.mkdtemp(prefix="search-", dir=scratch))
                    config = {**search_size, "tracking_uri": uri, "client": client,
                              "repeats": se["repeats"][where]}  # fmt: skip
                    result = run_worker("search", config, client_env, folder, python)
                    raw["search"][where].append(result)
            for where in searches:
                figures["search"][where] = pooled(raw["search"][where])

            up = sizes["upload"]
            source = scratch / "artifact.bin"
            with source.open("wb") as out:  # random bytes: nothing on the way compresses them
                for _ in range(up["megabytes"]):
                    out.write(os.urandom(1_000_000))
            upload_size = {"repeats": up["repeats"], "file": str(source), "url": lt_url,
                           "endpoint": endpoint, "bucket": bucket}  # fmt: skip
            raw["upload"].update(proxy=[], direct=[])
            for round_number in range(args.rounds):
                for via in ("proxy", "direct"):
                    log(f"[round {round_number + 1}] upload {up['megabytes']} MB, {via} ...")
                    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=scratch))
                    result = run_worker("upload", {**upload_size, "via": via}, env, folder)
                    raw["upload"][via].append(result)
            for via in ("proxy", "direct"):
                figures["upload"][via] = pooled(raw["upload"][via])
    finally:
        for service in reversed(services):
            service.stop()
        if args.keep:
            log(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    total = time.perf_counter() - started
    import labtrack

    print(
        f"labtrack team benchmark ({mode}); labtrack {labtrack.__version__}, "
        f"mlflow {mlflow_version}; PostgreSQL; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; rounds {args.rounds}"
    )
    print()
    text = report(mode, sizes, figures, args.workers)
    print(text)
    print(f"\ntotal {total:.0f} s")
    output = args.output or BENCH / "results" / f"{datetime.now():%Y%m%d-%H%M%S}-teams-{mode}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "mode": mode,
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "total_s": total,
                "machine": machine(),
                "versions": {"labtrack": labtrack.__version__, "mlflow": mlflow_version},
                "sizes": sizes,
                "workers": args.workers,
                "rounds": args.rounds,
                "figures": figures,
                "raw": raw,
                "table": text,
            },
            indent=2,
        )
    )
    print(f"results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
