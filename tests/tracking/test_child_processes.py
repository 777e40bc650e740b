"""Points logged in multiprocessing children are in the store when the parent has joined them.

Such children skip ``atexit`` (a forked child ends with ``os._exit``; a ``Pool`` used as a
context manager terminates its workers), so before labtrack persisted on their exit every
point still buffered there vanished. Each case runs as its own script, as a user's would:
spawned children must be able to import their target from ``__main__``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import labtrack as lt

SRC = str(Path(__file__).resolve().parents[2] / "src")
WORKERS, POINTS = 4, 400  # 1,600 points in all, as in the report

SCRIPT = """
    import concurrent.futures
    import multiprocessing
    import sys

    import labtrack as lt

    def work(args):
        run_id, worker = args
        client = lt.Client()
        for step in range({points}):
            client.log_metric(run_id, f"w{{worker}}", float(step), step=step)
        return worker

    def fluent_work(worker):
        # A forked child inherits the parent's active run and logs into it.
        for step in range({points}):
            lt.log_metric(f"f{{worker}}", float(step), step=step)
        return worker

    if __name__ == "__main__":
        how, method = sys.argv[1], sys.argv[2]
        context = multiprocessing.get_context(method)
        with lt.start_run(run_name=f"{{how}}-{{method}}") as run:
            jobs = [(run.info.run_id, worker) for worker in range({workers})]
            if how == "process":
                children = [context.Process(target=work, args=(job,)) for job in jobs]
                for child in children:
                    child.start()
                for child in children:
                    child.join()
                    assert child.exitcode == 0, child.exitcode
            elif how == "pool":
                with context.Pool(2) as pool:
                    assert sorted(pool.map(work, jobs)) == list(range({workers}))
            elif how == "executor":
                with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
                    assert sorted(executor.map(work, jobs)) == list(range({workers}))
            elif how == "fluent":
                with context.Pool(2) as pool:
                    assert sorted(pool.map(fluent_work, range({workers}))) == list(range({workers}))
            # Counted right after the join, in the parent, before its own run ends.
            client = lt.Client()
            prefix = "f" if how == "fluent" else "w"
            counts = [len(client.get_metric_history(run.info.run_id, f"{{prefix}}{{w}}")) for w in range({workers})]
            print("counts", counts, flush=True)
"""


def _run_script(script: Path, tracking_uri: str, *args: str, timeout: float):
    """Run a test's script as a user would, logging to ``tracking_uri``; it must exit 0.

    A long flush interval: without a flush at a child's exit, its points would still be in
    memory when it ends."""
    env = {
        **os.environ,
        "LABTRACK_TRACKING_URI": tracking_uri,
        "PYTHONPATH": SRC,
        "LABTRACK_FLUSH_INTERVAL": "3600",
    }
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize(
    ("how", "method"),
    [
        ("process", "fork"),
        ("process", "spawn"),
        ("pool", "fork"),
        ("pool", "spawn"),
        ("executor", "fork"),
        ("executor", "spawn"),
        ("fluent", "fork"),
    ],
)
def test_every_point_a_child_logged_is_stored_when_the_parent_joins_it(
    tracking_uri, tmp_path, how, method
):
    script = tmp_path / "children.py"
    script.write_text(textwrap.dedent(SCRIPT.format(workers=WORKERS, points=POINTS)))
    done = _run_script(script, tracking_uri, how, method, timeout=240)
    assert f"counts {[POINTS] * WORKERS}" in done.stdout, done.stdout + done.stderr
    runs = lt.search_runs(search_all_experiments=True)
    assert list(runs["status"]) == ["FINISHED"]


def _log_one_point(uri: str, run_id: str) -> None:
    lt.Client(uri).log_metric(run_id, "x", 1.0, step=1, synchronous=True)


def test_a_fork_waits_for_a_write_transaction_in_flight(tracking_uri):
    """SQLite keeps a process's locks in its memory: a child forked while another thread
    held the write lock would wait forever for a lock nobody holds."""
    import multiprocessing
    import threading

    from labtrack.store import fork_guard
    from labtrack.store.sql import connection

    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    started, release = threading.Event(), threading.Event()

    def hold(_conn) -> None:
        started.set()
        release.wait(60)

    def release_once_a_fork_waits() -> None:
        deadline = time.monotonic() + 60
        while not fork_guard.guard._forking and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()

    holder = threading.Thread(target=connection.run_write, args=(client.store.engine, hold))
    holder.start()
    assert started.wait(60)
    releaser = threading.Thread(target=release_once_a_fork_waits)
    releaser.start()
    child = multiprocessing.get_context("fork").Process(
        target=_log_one_point, args=(tracking_uri, run_id)
    )
    child.start()
    child.join(90)
    holder.join(60)
    releaser.join(60)
    assert child.exitcode == 0
    assert [m.step for m in client.get_metric_history(run_id, "x")] == [1]


SIDE_THREAD_SCRIPT = """
    import multiprocessing
    import os
    import signal
    import sys
    import threading
    import time

    import psutil

    import labtrack as lt

    def waiting_for_its_next_task(thread_id):
        frame, names = sys._current_frames().get(thread_id), set()
        while frame is not None:
            names.add(frame.f_code.co_name)
            frame = frame.f_back
        return {{"worker", "get"}} <= names  # multiprocessing.pool.worker -> SimpleQueue.get

    def sigterm_to_this_thread_once_the_worker_waits():
        main = threading.main_thread().ident
        while not waiting_for_its_next_task(main):
            time.sleep(0.01)
        # What the kernel does now and then with a process's SIGTERM: hand it to a thread
        # other than the main one (here, this one; in the wild, OpenBLAS's).
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    def work(run_id):
        client = lt.Client()
        for step in range({points}):
            client.log_metric(run_id, "w", float(step), step=step)
        threading.Thread(target=sigterm_to_this_thread_once_the_worker_waits).start()
        return os.getpid()

    def gone(pid):
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    if __name__ == "__main__":
        context = multiprocessing.get_context(sys.argv[1])
        with lt.start_run() as run:
            with context.Pool(1) as pool:
                pid = pool.apply(work, (run.info.run_id,))
                deadline = time.monotonic() + 30
                while not gone(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                points = len(lt.Client().get_metric_history(run.info.run_id, "w"))
                print("exited", gone(pid), "points", points, flush=True)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_pool_worker_whose_sigterm_another_thread_gets_still_persists_and_exits(
    tracking_uri, tmp_path, method
):
    """Without the signal reaching its main thread, blocked in C while it waits for a task,
    the worker never ran its SIGTERM handler, and the pool's terminate() waited forever."""
    script = tmp_path / "side_thread.py"
    script.write_text(textwrap.dedent(SIDE_THREAD_SCRIPT.format(points=POINTS)))
    done = _run_script(script, tracking_uri, method, timeout=120)
    assert f"exited True points {POINTS}" in done.stdout, done.stdout + done.stderr
