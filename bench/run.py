"""Benchmark labtrack against MLflow and a raw sqlite3 floor, on the same workloads, in one run.

    python bench/run.py                      # full run (a few minutes, MLflow included)
    python bench/run.py --quick              # smaller sizes, CI-friendly
    python bench/run.py --only labtrack,raw  # skip MLflow (no virtualenv needed)

Each (workload, system) pair runs in a fresh subprocess with a fresh scratch folder for its
store: labtrack and the floor with this interpreter (``src/`` on ``PYTHONPATH``), MLflow
with the python of a bench-only virtualenv (``bench/.venv-mlflow``, created on first use).
Workers print their measurements as JSON; this script prints a table of medians and
ratios and writes everything to ``bench/results/`` (git-ignored). See bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import SYSTEM_WORKLOADS, SYSTEMS, WORKLOADS, set_runs, size_for  # noqa: E402
from report import build, format_table  # noqa: E402

REPO = BENCH.parent
DEFAULT_MLFLOW_VENV = BENCH / ".venv-mlflow"
MLFLOW_PACKAGES = ("mlflow-skinny", "sqlalchemy", "alembic", "pandas")
TRACKIO_PACKAGES = ("trackio",)  # in the same bench-only virtualenv
WORKER_TIMEOUT_S = 1200


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about two minutes)")
    parser.add_argument(
        "--only",
        default=",".join(SYSTEMS),
        type=_names(SYSTEMS),
        help=f"comma-separated systems to run (default: {','.join(SYSTEMS)})",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        type=_names(WORKLOADS),
        help=f"comma-separated workloads to run (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--repeats", type=int, help="repetitions per workload (default: 3, 5 for import)"
    )
    parser.add_argument(
        "--search-runs",
        type=int,
        help="runs the search workload reads (default: 10,000, 2,000 with --quick); with 500, "
        "fixed costs per call weigh most",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every workload of every system this many times, interleaved, and pool the "
        "samples: on a noisy machine the systems then share its slow and fast moments",
    )
    parser.add_argument(
        "--mlflow-python",
        default=os.environ.get("LABTRACK_BENCH_MLFLOW_PYTHON"),
        help="python of an environment with MLflow (default: bench/.venv-mlflow/bin/python, "
        "created if missing; or $LABTRACK_BENCH_MLFLOW_PYTHON)",
    )
    parser.add_argument(
        "--output", type=Path, help="results JSON (default: bench/results/<time>.json)"
    )
    parser.add_argument(
        "--keep-stores", action="store_true", help="keep the scratch stores (paths in the JSON)"
    )
    return parser.parse_args(argv)


def _names(allowed: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = sorted(set(names) - set(allowed))
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)} (got {text!r})")
        return [n for n in allowed if n in names]  # canonical order

    return parse


# -- the MLflow environment -----------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def has_mlflow(python: Path | str) -> bool:
    probe = subprocess.run(
        [str(python), "-c", "import mlflow, sqlalchemy, alembic, pandas"], capture_output=True
    )
    return probe.returncode == 0


def mlflow_python(explicit: str | None) -> str:
    """The interpreter for the MLflow worker: the one given, or the bench virtualenv's
    (created, and MLflow installed into it, when missing)."""
    if explicit:
        if not has_mlflow(explicit):
            sys.exit(
                f"--mlflow-python {explicit}: cannot import mlflow, sqlalchemy, alembic and pandas"
            )
        return explicit
    python = venv_python(DEFAULT_MLFLOW_VENV)
    if not python.exists():
        log(f"creating {DEFAULT_MLFLOW_VENV.relative_to(REPO)} (MLflow is a bench-only dependency)")
        subprocess.run([sys.executable, "-m", "venv", str(DEFAULT_MLFLOW_VENV)], check=True)
    if not has_mlflow(python):
        log(f"installing {' '.join(MLFLOW_PACKAGES)} into {DEFAULT_MLFLOW_VENV.relative_to(REPO)}")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *MLFLOW_PACKAGES], check=True
        )
    return str(python)


def trackio_python() -> str:
    """The interpreter for the Trackio worker: the bench virtualenv's, Trackio installed into
    it when missing."""
    python = venv_python(DEFAULT_MLFLOW_VENV)
    if not python.exists():
        log(f"creating {DEFAULT_MLFLOW_VENV.relative_to(REPO)} (a bench-only virtualenv)")
        subprocess.run([sys.executable, "-m", "venv", str(DEFAULT_MLFLOW_VENV)], check=True)
    if subprocess.run([str(python), "-c", "import trackio"], capture_output=True).returncode:
        log(f"installing {' '.join(TRACKIO_PACKAGES)} into {DEFAULT_MLFLOW_VENV.relative_to(REPO)}")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *TRACKIO_PACKAGES], check=True
        )
    return str(python)


# -- workers ----------------------------------------------------------------------------------


def worker_env(system: str, scratch: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LABTRACK_", "MLFLOW_")) and k != "PYTHONPATH"
    }
    env["LABTRACK_HOME"] = str(scratch)  # nothing may touch the user's default store
    if system not in ("mlflow", "trackio"):  # labtrack from this checkout, not the bench venv
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    return env


def run_worker(system: str, workload: str, size: dict, python: str, keep: bool) -> dict:
    """One (workload, system) in a fresh process and scratch folder; its JSON result."""
    scratch = Path(tempfile.mkdtemp(prefix=f"labtrack-bench-{system}-{workload}-"))
    config = {"workload": workload, "size": size, "store_dir": str(scratch)}
    command = [python, str(BENCH / f"workloads_{system}.py"), json.dumps(config)]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=scratch,
            env=worker_env(system, scratch),
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {
            "system": system,
            "workload": workload,
            "size": size,
            "error": f"timed out after {WORKER_TIMEOUT_S} s",
        }
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {
            "system": system,
            "workload": workload,
            "size": size,
            "wall_s": wall,
            "error": f"exit {done.returncode}: {done.stderr.strip()[-3000:]}",
        }
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    if keep:
        result["store_dir"] = str(scratch)
    return result


def pool_rounds(results: list[dict]) -> list[dict]:
    """One result per (workload, system): the samples of every round together, re-medianed."""
    pooled: dict[tuple[str, str], dict] = {}
    for result in results:
        key = (result["workload"], result["system"])
        into = pooled.get(key)
        if into is None or "error" in result:  # a failed round fails the pair
            pooled[key] = copy.deepcopy(result)
            continue
        if "error" in into:
            continue
        into["size"] = {
            **into["size"],
            "repeats": into["size"]["repeats"] + result["size"]["repeats"],
        }
        for name, figure in result.get("figures", {}).items():
            samples = into["figures"][name]["samples"] + figure["samples"]
            into["figures"][name] = {"median": statistics.median(samples), "samples": samples}
    return list(pooled.values())


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- main -------------------------------------------------------------------------------------


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def repetitions(results: list[dict]) -> str:
    """E.g. "hot_loop 3, many_runs 3 (mlflow 1)": how many samples each median is of."""
    parts = []
    for workload in dict.fromkeys(r["workload"] for r in results):
        counts = {r["system"]: r["size"]["repeats"] for r in results if r["workload"] == workload}
        usual = max(set(counts.values()), key=list(counts.values()).count)
        odd = [f"{s} {n}" for s, n in counts.items() if n != usual]
        parts.append(f"{workload} {usual}" + (f" ({', '.join(odd)})" if odd else ""))
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    if args.search_runs:
        set_runs(mode, "search", args.search_runs)
    pythons = {"raw": sys.executable, "labtrack": sys.executable}
    if "mlflow" in args.only:
        pythons["mlflow"] = mlflow_python(args.mlflow_python)
    if "trackio" in args.only:
        pythons["trackio"] = trackio_python()

    results, started = [], time.perf_counter()
    # Systems interleaved per workload; with --rounds, the whole list again and again.
    jobs = [
        (w, s)
        for _ in range(args.rounds)
        for w in args.workloads
        for s in args.only
        if w in SYSTEM_WORKLOADS.get(s, WORKLOADS)
    ]
    for number, (workload, system) in enumerate(jobs, 1):
        size = size_for(mode, workload, system)
        if args.repeats:
            size["repeats"] = args.repeats
        log(f"[{number}/{len(jobs)}] {workload:<9} {system:<8} ...")
        result = run_worker(system, workload, size, pythons[system], args.keep_stores)
        log(
            f"    {'FAILED: ' + result['error'] if 'error' in result else 'done'} "
            f"({result.get('wall_s', 0):.1f} s)"
        )
        results.append(result)

    results = pool_rounds(results)
    report = build(mode, results)
    versions = {r["system"]: r["version"] for r in results if "version" in r}
    print(
        f"labtrack benchmark ({mode}); each workload of each system in its own process; "
        + ", ".join(f"{s} {v}" for s, v in versions.items())
        + f"; Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(f"medians over repetitions: {repetitions(results)}")
    print()
    print(format_table(report, args.only))
    failures = [r for r in results if "error" in r]
    for failure in failures:
        print(f"\nFAILED {failure['system']} {failure['workload']}: {failure['error']}")
    total = time.perf_counter() - started
    print(f"\ntotal {total:.0f} s")

    output = args.output or BENCH / "results" / f"{datetime.now():%Y%m%d-%H%M%S}-{mode}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "mode": mode,
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "total_s": total,
                "machine": machine(),
                "versions": versions,
                "systems": args.only,
                "table": report,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"results: {output}")
    lazy_failed = any(
        t["status"] == "FAIL" and t["target"].startswith("`import") for t in report["targets"]
    )
    return 1 if failures or lazy_failed else 0


if __name__ == "__main__":
    sys.exit(main())
