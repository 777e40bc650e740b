"""What logging predictions costs a scoring server: request latency (p50, p99) of
``labtrack serve`` with and without ``--log-predictions``, and the ratio (target: p99 up by
under 10%).

    python bench/serving_latency.py [--requests 5000] [--rounds 1] [--rows 1] [--sample-rate 1]

Three servers of one small Python model run at once, each in its own process on a scratch
SQLite store: plain ``labtrack serve``, the same as a recorded deployment (``--deployment``:
its traffic metrics), and that deployment with ``--log-predictions`` (every request kept at
the default sample rate of 1, the worst case). One client sends ``--requests`` requests of
``--rows`` rows to each, one at a time over a kept-alive connection, in blocks of 50 that
alternate between the servers, so a noisy moment of a shared machine hits all three alike;
latency is the client's, from send to the whole answer. ``--rounds N`` repeats that N times:
each round's p99 ratio is printed, and their median is the figure checked against the
target (a busy machine's p99 moves by more than 10% from one round to the next). The servers are then stopped
(SIGTERM: the log writes what it holds) and the rows the log wrote are counted, which must
be every request sent to it (warm-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

FEATURES = ["a", "b", "c", "d"]
BLOCK = 50
WARM_UP = 200
TARGET_P99_RATIO = 1.10


def score(frame):
    """The served model: a linear score, thresholded (cheap, so the serving path dominates)."""
    return ((frame["a"] * 0.5 + frame["b"] - frame["c"] * 0.2 + frame["d"]) > 1.0).astype(int)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model_uri: str, store: str, name: str, extra: list[str], log: Path):
    port = free_port()
    command = [sys.executable, "-m", "labtrack.cli", "serve", model_uri, "--port", str(port)]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        "LABTRACK_TRACKING_URI": store,
    }
    process = subprocess.Popen(
        command + extra, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    return name, process, f"http://127.0.0.1:{port}"


def wait_healthy(process, url: str, log: Path, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"a server did not answer /health within {timeout:g} s:\n{log.read_text()}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000, help="timed requests per server")
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds (default 1)")
    parser.add_argument("--rows", type=int, default=1, help="rows per request (default 1)")
    parser.add_argument("--sample-rate", default="1", help="--sample-rate of the logging server")
    args = parser.parse_args()

    import httpx
    import numpy as np
    import pandas as pd

    import labtrack as lt
    from labtrack.production import get_deployment
    from labtrack.production.predictions import read_predictions

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        store = f"sqlite:///{folder / 'store.db'}"
        lt.set_tracking_uri(store)
        example = pd.DataFrame({name: [0.5] for name in FEATURES})
        with lt.start_run():
            model_uri = lt.pyfunc.log_model("model", score, input_example=example).model_uri
        lt.flush()
        variants = [
            ("plain", []),
            ("deployment", ["--deployment", "bench-plain"]),
            (
                "deployment + --log-predictions",
                ["--deployment", "bench-logged", "--log-predictions"]
                + ["--sample-rate", args.sample_rate],
            ),
        ]
        servers = [
            start_server(model_uri, store, name, extra, folder / f"server-{index}.log")
            for index, (name, extra) in enumerate(variants)
        ]
        try:
            for index, (_, process, url) in enumerate(servers):
                wait_healthy(process, url, folder / f"server-{index}.log")
            rng = np.random.default_rng(0)
            # httpx writes a request's headers and body at once: requests' two writes meet
            # Nagle's algorithm and the server's delayed ACK, adding ~40 ms to every request.
            sessions = {name: httpx.Client() for name, _, _ in servers}
            rounds: list[dict[str, list[float]]] = []

            def send(name: str, url: str) -> float:
                rows = rng.normal(0.5, 0.3, size=(args.rows, len(FEATURES))).round(4).tolist()
                body = {"dataframe_split": {"columns": FEATURES, "data": rows}}
                start = time.perf_counter()
                answer = sessions[name].post(url + "/invocations", json=body, timeout=30)
                elapsed = time.perf_counter() - start
                answer.raise_for_status()
                return elapsed * 1000

            for name, _, url in servers:  # warm-up: connections, first imports, caches
                for _ in range(WARM_UP):
                    send(name, url)
            for _ in range(args.rounds):
                rounds.append({name: [] for name, _, _ in servers})
                for block in range(0, args.requests, BLOCK):
                    for name, _, url in servers:
                        for _ in range(min(BLOCK, args.requests - block)):
                            rounds[-1][name].append(send(name, url))
        finally:
            for _, process, _ in servers:
                process.send_signal(signal.SIGTERM)
            for _, process, _ in servers:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
        client = lt.Client()
        logged = len(read_predictions(client, get_deployment(client, "bench-logged").run_id))

    latencies = {name: [value for one in rounds for value in one[name]] for name in rounds[0]}
    logging, plain = "deployment + --log-predictions", "deployment"
    round_ratios = [percentile(one[logging], 0.99) / percentile(one[plain], 0.99) for one in rounds]
    figures = {
        name: {
            "p50_ms": statistics.median(values),
            "p99_ms": percentile(values, 0.99),
            "mean_ms": statistics.fmean(values),
        }
        for name, values in latencies.items()
    }
    ratios = {key: figures[logging][key] / figures[plain][key] for key in ("p50_ms", "p99_ms")}
    checked = statistics.median(round_ratios)
    print(
        f"serving latency, {args.rounds} x {args.requests} requests of {args.rows} row(s) per "
        f"server (client-side ms; blocks of {BLOCK} alternating)"
    )
    for name, values in figures.items():
        print(
            f"  {name:<32} p50 {values['p50_ms']:7.3f}   p99 {values['p99_ms']:7.3f}"
            f"   mean {values['mean_ms']:7.3f}"
        )
    print(
        f"  --log-predictions / deployment:  p50 x{ratios['p50_ms']:.3f}   "
        f"p99 x{ratios['p99_ms']:.3f} (all rounds pooled)"
    )
    print(
        "  p99 ratio per round: "
        + ", ".join(f"x{ratio:.3f}" for ratio in round_ratios)
        + f"; median x{checked:.3f} (target < x{TARGET_P99_RATIO:.2f}: "
        + f"{'met' if checked < TARGET_P99_RATIO else 'MISSED'})"
    )
    sent = args.requests * args.rounds + WARM_UP
    expected = sent if args.sample_rate in ("1", "1.0") else None
    print(
        f"  rows the log wrote: {logged:,}"
        + (f" of {expected * args.rows:,} sent" if expected is not None else "")
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "serving_latency.json").write_text(
        json.dumps(
            {
                "requests": args.requests,
                "rounds": args.rounds,
                "p99_ratio_per_round": round_ratios,
                "rows": args.rows,
                "sample_rate": args.sample_rate,
                "figures": figures,
                "ratios": ratios,
                "logged_rows": logged,
                "samples_ms": latencies,
            },
            indent=1,
        )
    )
    if expected is not None and logged != expected * args.rows:
        print("  the log lost rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
