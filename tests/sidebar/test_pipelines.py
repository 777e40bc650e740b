"""The sidebar's running pipelines: ``GET pipelines`` lists a pipeline while it runs, with its
steps' progress, and not once it has ended."""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time

from labtrack.pipelines import run_pipeline

MLPROJECT = """
    name: steps
    entry_points:
      step:
        parameters: {gate: {type: string, default: ""}}
        command: "python step.py {gate}"
"""
# Waits until the file it is given exists: the test holds the step running.
SCRIPT = """
    import sys, time
    from pathlib import Path

    gate = sys.argv[1] if len(sys.argv) > 1 else ""
    deadline = time.monotonic() + 60
    while gate and not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""
PIPELINE = """
    name: nightly
    parameters: {gate: string}
    steps:
      prepare: {entry_point: step}
      train: {entry_point: step, needs: [prepare], parameters: {gate: "${params.gate}"}}
      evaluate: {entry_point: step, needs: [train]}
"""


async def _until(check, what: str, timeout: float = 60.0):
    """Await ``check()`` (a coroutine function) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def test_a_running_pipeline_is_listed_with_its_progress(store, api, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "MLproject").write_text(textwrap.dedent(MLPROJECT))
    (folder / "step.py").write_text(textwrap.dedent(SCRIPT))
    (folder / "pipeline.yaml").write_text(textwrap.dedent(PIPELINE))
    gate = tmp_path / "open"
    assert (await api("pipelines")) == {"pipelines": []}

    results = []
    thread = threading.Thread(
        target=lambda: results.append(
            run_pipeline(folder / "pipeline.yaml", {"gate": str(gate)}, experiment_name="nightly")
        )
    )
    thread.start()
    try:

        async def training():
            listed = (await api("pipelines"))["pipelines"]
            return listed if listed and listed[0]["running"] == ["train"] else None

        (listed,) = await _until(training, "train to be running")
        assert listed["pipeline"] == "nightly"
        assert listed["run_name"] == "nightly pipeline"
        assert (listed["steps"], listed["done"], listed["failed"]) == (3, 1, 0)
        assert store["client"].get_run(listed["run_id"]).info.status == "RUNNING"
    finally:
        gate.write_text("")
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 120)

    assert results[0].status == "FINISHED"
    assert (await api("pipelines")) == {"pipelines": []}
