"""Soak: eight processes log to one store, some are SIGKILLed at random moments and (on
PostgreSQL, where the cluster may be restarted) the server restarts under them.

Every point a surviving process logged is in the store exactly once, every killed run
reads KILLED, nobody sees "database is locked". The figures are printed and written to
``artifacts-ci/soak-<backend>.txt``; the README quotes them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import labtrack as lt

from .test_spool import CLUSTER, _cluster

ROOT = Path(__file__).resolve().parents[2]
WRITERS, VICTIMS, POINTS = 8, 3, 20_000

WRITER = """
    import sys, time
    import labtrack as lt
    lt.set_experiment("soak")
    with lt.start_run(run_name=sys.argv[1]) as run:
        print("run", run.info.run_id, flush=True)
        sys.stdin.readline()  # every writer starts logging at once
        for step in range({points}):
            lt.log_metric("x", float(step), step=step)
            if step % 500 == 499:
                print("at", step + 1, flush=True)
                time.sleep(0.1)  # a training step's worth of work between bursts
    print("ok", flush=True)
"""


class Writer:
    def __init__(self, name: str, uri: str):
        env = {**os.environ, "LABTRACK_TRACKING_URI": uri, "PYTHONPATH": str(ROOT / "src")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER.format(points=POINTS)), name],
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.run_id = self.process.stdout.readline().split()[-1]
        self.logged = 0

    def wait_until_logged(self, points: int) -> None:
        while self.logged < points:
            line = self.process.stdout.readline()
            assert line, self.process.communicate(timeout=60)[1]
            if line.startswith("at "):
                self.logged = int(line.split()[1])


def _kill_when_logged(victim: Writer, points: int) -> None:
    victim.wait_until_logged(points)
    assert victim.process.poll() is None, "the victim ended before its moment"
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.restarts_postgres
def test_eight_writers_with_kills_and_a_server_restart_lose_and_duplicate_nothing(tracking_uri):
    postgres = tracking_uri.startswith("postgresql")
    restart = postgres and bool(CLUSTER)
    rng = random.Random(20261130)
    writers = [Writer(f"w{i}", tracking_uri) for i in range(WRITERS)]
    victims = rng.sample(writers, VICTIMS)
    survivors = [w for w in writers if w not in victims]
    for writer in writers:
        writer.process.stdin.write("go\n")
        writer.process.stdin.flush()
    try:
        killers = [  # each victim is killed at a random moment of its run, whatever the others do
            threading.Thread(
                target=_kill_when_logged, args=(victim, rng.randrange(500, POINTS * 3 // 4, 500))
            )
            for victim in victims
        ]
        for killer in killers:
            killer.start()
        for killer in killers:
            killer.join(timeout=600)
        if restart:  # the server goes away while the survivors are mid-run
            for survivor in survivors:
                survivor.wait_until_logged(POINTS // 4)
            _cluster("stop")
            for survivor in survivors:
                survivor.wait_until_logged(POINTS // 2)  # logging goes on meanwhile
            _cluster("start")
        errors = {}
        for survivor in survivors:
            out, err = survivor.process.communicate(timeout=600)
            assert survivor.process.returncode == 0, err
            assert out.strip().endswith("ok"), out
            errors[survivor.run_id] = err
    finally:
        if restart:
            _cluster("start")
        for writer in writers:
            if writer.process.poll() is None:
                writer.process.kill()
    client = lt.Client()
    logged = persisted = duplicated = lost = 0
    for survivor in survivors:
        steps = [m.step for m in client.get_metric_history(survivor.run_id, "x")]
        logged += POINTS
        persisted += len(steps)
        duplicated += len(steps) - len(set(steps))
        lost += POINTS - len(set(steps))
        assert client.get_run(survivor.run_id).info.status == "FINISHED"
        assert "locked" not in errors[survivor.run_id].lower()
    client._last_reap = 0.0  # reaping is throttled to once a second; don't wait for it
    victim_points = 0
    for victim in victims:
        steps = [m.step for m in client.get_metric_history(victim.run_id, "x")]
        assert steps == list(range(len(steps)))  # what a killed process persisted: once, in order
        victim_points += len(steps)
        assert client.get_run(victim.run_id).info.status == "KILLED"
    figures = (
        f"soak on {'PostgreSQL' if postgres else 'SQLite'}{' with a server restart' if restart else ''}: "
        f"{WRITERS} writers, {VICTIMS} SIGKILLed; survivors logged {logged:,} points, "
        f"{persisted:,} persisted, {lost} lost, {duplicated} duplicated; the killed runs read KILLED "
        f"with {victim_points:,} points kept"
    )
    print(figures)
    out = ROOT / "artifacts-ci"
    out.mkdir(exist_ok=True)
    (out / f"soak-{'postgresql' if postgres else 'sqlite'}.txt").write_text(figures + "\n")
    assert (lost, duplicated, persisted) == (0, 0, logged)
