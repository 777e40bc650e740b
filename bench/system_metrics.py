"""What sampling system metrics costs: CPU time per sample, per minute at the default interval
(10 s), and as a share of one core.

    python bench/system_metrics.py [--samples 300] [--interval 0.02] [--real 60]

Two measures, into a scratch SQLite store:

- the sampler thread's own CPU time (``time.thread_time`` around each sample and the logging
  of its point: psutil's reads and the writer's buffer append), over ``--samples`` samples
  taken every ``--interval`` seconds;
- the whole process's extra CPU time (``time.process_time``) while a run is sampled, against
  the same idle span of a run that is not: this adds what the background writer spends
  persisting the points.

Both are projected to the default interval. ``--real SECONDS`` also samples at the default
interval for that long and reports the thread's measured share of a core. The target is
under 1% of a core (0.6 s of CPU per minute).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DEFAULT_INTERVAL = 10.0


def idle_cpu(seconds: float) -> float:
    """The process's CPU time over ``seconds`` of this thread sleeping."""
    start = time.process_time()
    time.sleep(seconds)
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300, help="samples to measure")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between them")
    parser.add_argument("--real", type=float, default=0, help="also sample at 10 s this long")
    args = parser.parse_args()

    import labtrack as lt
    from labtrack.tracking.system_metrics import SystemMetricsSampler

    with tempfile.TemporaryDirectory() as folder:
        lt.set_tracking_uri(f"sqlite:///{folder}/bench.db")
        client = lt.Client()
        with lt.start_run() as run:
            run_id = run.info.run_id
            span = args.samples * args.interval
            baseline = idle_cpu(span)  # the run alone: heartbeats, idle flushes
            sampler = SystemMetricsSampler(client, run_id, interval=args.interval).start()
            with_sampler = idle_cpu(span)
            sampler.stop()
            lt.flush()
            thread_per_sample = sampler.cpu_seconds / max(sampler.samples, 1)
            process_per_sample = max(with_sampler - baseline, 0.0) / max(sampler.samples, 1)
            keys = [k for k in lt.get_run(run_id).data.metrics if k.startswith("system/")]
            print(f"{sampler.samples} samples of {len(keys)} metrics every {args.interval:g} s")
            for label, per_sample in (
                ("sampler thread", thread_per_sample),
                ("whole process (writer included)", process_per_sample),
            ):
                per_minute = per_sample * 60 / DEFAULT_INTERVAL
                share = per_sample / DEFAULT_INTERVAL * 100
                print(
                    f"{label}: {per_sample * 1000:.2f} ms CPU per sample; at the default "
                    f"{DEFAULT_INTERVAL:g} s interval {per_minute * 1000:.1f} ms per minute "
                    f"= {share:.4f}% of a core"
                )
            if args.real:
                sampler = SystemMetricsSampler(client, run_id, first_step=10**6).start()
                started = time.monotonic()
                time.sleep(args.real)
                sampler.stop()
                wall = time.monotonic() - started
                print(
                    f"measured at {DEFAULT_INTERVAL:g} s for {wall:.0f} s: {sampler.samples} "
                    f"samples, {sampler.cpu_seconds * 1000:.1f} ms CPU = "
                    f"{sampler.cpu_seconds / wall * 100:.4f}% of a core"
                )
            share = max(thread_per_sample, process_per_sample) / DEFAULT_INTERVAL * 100
            print(f"target under 1% of a core: {'met' if share < 1 else 'MISSED'} ({share:.4f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
