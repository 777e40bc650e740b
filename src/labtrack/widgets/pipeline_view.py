"""``lt.pipeline_view(run)``: a pipeline's graph, each step coloured by its status, live while
the pipeline runs; clicking a step shows its params and metrics (and selects its run, so a
linked run table or chart follows).

The graph comes from the parent run's ``pipeline.json``; each step's state from its child
run (tag ``labtrack.pipeline.step``). A step with no child run yet is pending, or, once the
pipeline has ended, did not run.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import traitlets as t

from labtrack.entities import RunStatus
from labtrack.errors import InvalidParameter
from labtrack.widgets import contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._live import Poller

# The tags labtrack.pipelines writes (not imported: a widget needs no YAML or runner code).
PARENT_TAG = "mlflow.parentRunId"
STEP_TAG = "labtrack.pipeline.step"
STATUS_TAG = "labtrack.pipeline.status"
REUSED_TAG = "labtrack.pipeline.reused_from"
SKIPPED_TAG = "labtrack.pipeline.skipped"
PIPELINE_TAG = "labtrack.pipeline"
GRAPH_ARTIFACT = "pipeline.json"
ERROR_TAG = "labtrack.error"


class PipelineView(RunsWidget):
    """The steps of the pipeline run ``parent_run_id`` as a graph with each step's status.

    >>> view = lt.pipeline_view(result.parent_run_id)   # doctest: +SKIP
    >>> view.step                                       # the clicked step's name
    """

    state_type = contract.PipelineViewState
    _bundle_name = "pipeline_view"

    parent_run_id = t.Unicode().tag(sync=True)
    name = t.Unicode().tag(sync=True)
    status = t.Unicode().tag(sync=True)
    steps = t.List(t.Dict()).tag(sync=True)
    step = t.Unicode("").tag(sync=True)  # the clicked step, "" for none
    live = t.Bool(False).tag(sync=True)

    def __init__(self, client, parent_run_id: str, poll: bool = True, **kwargs):
        run = client.get_run(parent_run_id)
        if PIPELINE_TAG not in run.data.tags:
            raise InvalidParameter(f"run {parent_run_id} is not a pipeline run")
        self.client = client
        self._graph: list[dict] | None = None
        self._ended = False  # an ended pipeline's runs no longer change: no more reads
        self._lock = threading.RLock()
        super().__init__(parent_run_id=parent_run_id, name=run.data.tags[PIPELINE_TAG], **kwargs)
        self.poll()
        self._poller = Poller(self, name="labtrack-pipeline-poller") if poll else None

    def poll(self) -> None:
        """Read the parent and its children again, and update the steps."""
        with self._lock:
            if self._ended:
                return
            parent = self.client.get_run(self.parent_run_id)
            graph = self._read_graph()
            children = self.client.search_runs(
                [parent.info.experiment_id],
                f"tags.`{PARENT_TAG}` = '{self.parent_run_id}'",
                max_results=1000,
            )
            by_step = {}
            for run in sorted(children, key=lambda r: r.info.start_time or 0):
                if STEP_TAG in run.data.tags:
                    by_step[run.data.tags[STEP_TAG]] = run  # the latest run of each step
            ended = parent.info.status != RunStatus.RUNNING
            steps = [_step_state(node, by_step.get(node["name"]), ended) for node in graph]
            if steps != self.steps:
                self.steps = steps
            self.status = parent.info.status
            self.live = not ended
            self._ended = ended

    def _read_graph(self) -> list[dict]:
        if self._graph is None:  # written once, when the pipeline starts
            local = self.client.download_artifacts(self.parent_run_id, GRAPH_ARTIFACT)
            self._graph = json.loads(Path(local).read_text())["steps"]
        return self._graph

    @t.observe("step")
    def _step_clicked(self, change) -> None:
        chosen = next((s for s in self.steps if s["name"] == change["new"]), None)
        run_id = chosen["run_id"] if chosen else ""
        self.selected = [run_id] if run_id else []

    def close(self) -> None:
        """Stop following the pipeline and close the widget."""
        if getattr(self, "_poller", None) is not None:
            self._poller.stop()
        super().close()

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        rows = [
            [
                s["name"],
                ", ".join(s["needs"]),
                s["status"],
                s["run_id"],
                ", ".join(f"{k}={v:g}" for k, v in sorted(s["metrics"].items())),
            ]
            for s in self.steps
        ]
        caption = f"pipeline {self.name} ({self.parent_run_id}): {self.status}"
        return ["step", "needs", "status", "run", "metrics"], rows, caption


def _step_state(node: dict, run, ended: bool) -> contract.PipelineStep:
    """One step's state from its node in the graph and its child run (None: none yet)."""
    state: contract.PipelineStep = {
        "name": node["name"],
        "needs": list(node["needs"]),
        "when": node.get("when") or "",
        "status": "NOT_RUN" if ended else "PENDING",
        "run_id": "",
        "reused_from": "",
        "params": {},
        "metrics": {},
        "error": "",
    }
    if run is None:
        return state
    tags = run.data.tags
    status = run.info.status
    if tags.get(STATUS_TAG) == "skipped":
        status = "SKIPPED"
    elif tags.get(STATUS_TAG) == "reused" and status == RunStatus.FINISHED:
        status = "REUSED"
    state.update(
        status=status,
        run_id=run.info.run_id,
        reused_from=tags.get(REUSED_TAG, ""),
        params=dict(run.data.params),
        metrics={k: v for k, v in run.data.metrics.items() if v == v},  # NaN is not JSON
        error=tags.get(ERROR_TAG) or tags.get(SKIPPED_TAG) or "",
    )
    return state
