"""Routes over experiments and runs (and the store's change stamp)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar import filters, payloads
from labtrack.sidebar.base import StoreHandler, within_int64

RECENT_FIRST = ["attributes.start_time DESC"]


class StampHandler(StoreHandler):
    """``GET stamp`` -> ``{"stamp": "..."}``, different whenever the store changed."""

    _track_activity = False  # polled: must not keep an idle server from culling

    @web.authenticated
    @authorized
    async def get(self):
        stamp = await self.call(lambda client: client.change_stamp())
        self.reply({"stamp": stamp})


class ExperimentsHandler(StoreHandler):
    """``GET experiments`` -> active experiments, most recently updated first."""

    @web.authenticated
    @authorized
    async def get(self):
        experiments = list(await self.call(lambda client: client.search_experiments()))
        experiments.sort(key=lambda e: -(e.last_update_time or e.creation_time or 0))
        self.reply({"experiments": [payloads.experiment(e) for e in experiments]})


class RunsHandler(StoreHandler):
    """``GET experiments/<id>/runs?q=text&filter=...&max_results=n`` -> runs, recent first.

    ``q`` keeps runs whose name contains the text (any case); ``filter`` is the filter
    language, as in ``search_runs``.
    """

    @web.authenticated
    @authorized
    async def get(self, experiment_id: str):
        within_int64(experiment_id, "experiment id")
        limit = self.int_argument("max_results", 50, self.backend.config.max_runs)
        filter_string = self.get_query_argument("filter", "")
        text = self.get_query_argument("q", "").strip()
        if text:
            name_filter = filters.contains("attributes.run_name", text)
            filter_string = f"({filter_string}) AND {name_filter}" if filter_string else name_filter

        def runs(client):
            client.get_experiment(experiment_id)  # 404 for an unknown experiment
            return client.search_runs(
                [experiment_id], filter_string, max_results=limit, order_by=RECENT_FIRST
            )

        self.reply({"runs": [payloads.run_summary(run) for run in await self.call(runs)]})


class RunHandler(StoreHandler):
    """``GET runs/<run_id>`` -> params, metrics, tags and the top-level artifacts."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str):
        def run(client):
            found = client.get_run(run_id)
            return found, client.list_artifacts(run_id)

        found, artifacts = await self.call(run)
        self.reply(payloads.run_detail(found, artifacts))


class ArtifactsHandler(StoreHandler):
    """``GET runs/<run_id>/artifacts?path=folder`` -> that folder's listing. A path that is
    absolute or climbs out with ``..`` is refused (400) by ``labtrack.artifacts.safe_join``."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str):
        path = self.get_query_argument("path", "") or None
        files = await self.call(lambda client: client.list_artifacts(run_id, path))
        self.reply({"path": path or "", "files": [payloads.artifact(f) for f in files]})
