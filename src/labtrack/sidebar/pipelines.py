"""The route the sidebar polls for running pipelines (``labtrack pipeline run``), with how far
each has got."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar.base import StoreHandler

# The tags labtrack.pipelines writes (read here without importing the runner).
PIPELINE_TAG = "labtrack.pipeline"
PARENT_TAG = "mlflow.parentRunId"
STEP_TAG = "labtrack.pipeline.step"
STATUS_TAG = "labtrack.pipeline.status"
GRAPH_STEPS_TAG = "labtrack.pipeline.steps"
# The most running pipelines listed (a sidebar section, not a report).
MAX_PIPELINES = 20


def running_pipelines(client) -> list[dict]:
    """Every RUNNING pipeline run across active experiments, newest first, with its steps'
    counts by state: done (finished, reused or skipped), running, failed."""
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    if not experiment_ids:
        return []
    parents = client.search_runs(
        experiment_ids,
        f"tags.`{PIPELINE_TAG}` LIKE '%' and attributes.status = 'RUNNING'",
        max_results=MAX_PIPELINES,
        order_by=["attributes.start_time DESC"],
    )
    found = []
    for parent in parents:
        children = client.search_runs(
            [parent.info.experiment_id],
            f"tags.`{PARENT_TAG}` = '{parent.info.run_id}'",
            max_results=1000,
        )
        steps = [c for c in children if STEP_TAG in c.data.tags]
        found.append(
            {
                "run_id": parent.info.run_id,
                "run_name": parent.info.run_name,
                "experiment_id": parent.info.experiment_id,
                "pipeline": parent.data.tags[PIPELINE_TAG],
                "start_time": parent.info.start_time,
                "steps": _count(parent.data.tags.get(GRAPH_STEPS_TAG)),
                "done": sum(c.info.status == "FINISHED" for c in steps),
                "running": sorted(
                    c.data.tags[STEP_TAG] for c in steps if c.info.status == "RUNNING"
                ),
                "failed": sum(c.info.status in ("FAILED", "KILLED") for c in steps),
            }
        )
    return found


def _count(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class PipelinesHandler(StoreHandler):
    """``GET pipelines`` -> ``{"pipelines": [...]}``: the pipelines running now, each with
    its parent run, its step count and how many steps are done, running and failed."""

    _track_activity = False  # polled: must not keep an idle server from culling

    @web.authenticated
    @authorized
    async def get(self):
        self.reply({"pipelines": await self.call(running_pipelines)})
