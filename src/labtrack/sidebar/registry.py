"""Routes over the model registry: models, versions, their history, and the actions the
sidebar offers (promote to a stage, set or remove an alias, archive, edit a description).

Every action replies with the whole model as it now is (all versions), because one action
may change several versions (``archive_existing_versions``, an alias moving).
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar import filters, payloads
from labtrack.sidebar.base import StoreHandler, optional, required, within_int64

ARCHIVED = "Archived"


def model_with_versions(client, name: str) -> dict:
    """A model, all its versions (newest first), each with its source run's latest metrics."""
    model = client.get_registered_model(name)
    versions = client.search_model_versions(filters.equals("name", name))
    runs = source_runs(client, [v.run_id for v in versions])
    return payloads.registered_model(
        model,
        [
            payloads.model_version(v, runs.get(v.run_id))
            for v in sorted(versions, key=lambda v: -v.version)
        ],
    )


def source_runs(client, run_ids) -> dict:
    """The runs the versions came from, by id, read in one query (the panel refreshes
    often, and a model may have many versions); a version registered from a path, or whose
    run was deleted, has none."""
    wanted = list(dict.fromkeys(run_id for run_id in run_ids if run_id))
    return {run.info.run_id: run for run in client.get_runs(wanted)} if wanted else {}


def source_run(client, run_id: str | None):
    """The run a version came from, or None (registered from a path, or the run was deleted)."""
    return source_runs(client, [run_id]).get(run_id)


class ModelsHandler(StoreHandler):
    """``GET models?q=text&max_results=n`` -> registered models whose name contains the text,
    by name (a stable order: the tree does not jump when a model changes)."""

    @web.authenticated
    @authorized
    async def get(self):
        limit = self.int_argument("max_results", 100, 1000)
        text = self.get_query_argument("q", "").strip()
        models = await self.call(
            lambda client: client.search_registered_models(
                filters.contains("name", text) if text else None,
                max_results=limit,
                order_by=["name"],
            )
        )
        self.reply({"models": [payloads.registered_model(m) for m in models]})


class ModelHandler(StoreHandler):
    """``GET models/<name>`` -> the model with every version."""

    @web.authenticated
    @authorized
    async def get(self, name: str):
        self.reply(await self.call(model_with_versions, name))


class VersionHandler(StoreHandler):
    """``GET models/<name>/versions/<v>`` -> one version with its source run's metrics;
    ``PATCH`` with ``{"description": "..."}`` edits its description."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str):
        within_int64(version, "model version")

        def lookup(client):
            found = client.get_model_version(name, version)
            return payloads.model_version(found, source_run(client, found.run_id))

        self.reply(await self.call(lookup))

    @web.authenticated
    @authorized
    async def patch(self, name: str, version: str):
        within_int64(version, "model version")
        user = self.user_name
        description = optional(self.json_body(), "description", str, "")
        await self.call(
            lambda client: client.update_model_version(name, version, description, user=user)
        )
        self.reply(await self.call(model_with_versions, name))


class StageHandler(StoreHandler):
    """``POST models/<name>/versions/<v>/stage`` with ``{"stage", "archive_existing_versions",
    "comment"}``: MLflow's ``transition_model_version_stage``."""

    @web.authenticated
    @authorized
    async def post(self, name: str, version: str):
        within_int64(version, "model version")
        user = self.user_name
        body = self.json_body()
        stage = required(body, "stage")
        archive_others = optional(body, "archive_existing_versions", bool, False)
        comment = optional(body, "comment", str)
        await self.call(
            lambda client: client.transition_model_version_stage(
                name,
                version,
                stage,
                archive_existing_versions=archive_others,
                comment=comment,
                user=user,
            )
        )
        self.reply(await self.call(model_with_versions, name))


class ArchiveHandler(StoreHandler):
    """``POST models/<name>/versions/<v>/archive`` with an optional ``{"comment"}``: moves the
    version to the Archived stage."""

    @web.authenticated
    @authorized
    async def post(self, name: str, version: str):
        within_int64(version, "model version")
        user = self.user_name
        comment = optional(self.json_body(), "comment", str)
        await self.call(
            lambda client: client.transition_model_version_stage(
                name, version, ARCHIVED, comment=comment, user=user
            )
        )
        self.reply(await self.call(model_with_versions, name))


class AliasHandler(StoreHandler):
    """``PUT models/<name>/aliases/<alias>`` with ``{"version", "comment"}`` points the alias
    at that version; ``DELETE`` removes it."""

    @web.authenticated
    @authorized
    async def put(self, name: str, alias: str):
        user = self.user_name
        body = self.json_body()
        version = body.get("version")
        if isinstance(version, bool) or not isinstance(version, (str, int)):
            raise web.HTTPError(400, "'version' is required (a version number)")
        within_int64(version, "model version")
        comment = optional(body, "comment", str)
        await self.call(
            lambda client: client.set_registered_model_alias(
                name, alias, version, comment=comment, user=user
            )
        )
        self.reply(await self.call(model_with_versions, name))

    @web.authenticated
    @authorized
    async def delete(self, name: str, alias: str):
        user = self.user_name
        await self.call(lambda client: client.delete_registered_model_alias(name, alias, user=user))
        self.reply(await self.call(model_with_versions, name))


class HistoryHandler(StoreHandler):
    """``GET models/<name>/history`` and ``GET models/<name>/versions/<v>/history`` ->
    ``{"events": [...]}``, newest first."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str | None = None):
        if version is not None:
            within_int64(version, "model version")
        events = await self.call(lambda client: client.get_registry_history(name, version))
        self.reply({"events": [payloads.history_event(e) for e in events]})
