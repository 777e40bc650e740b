"""The routes of the sidebar's Deployments panel: the deployments recorded in the store
(``labtrack serve --deployment``) with their health, version and traffic, and stopping one
that ``labtrack serve`` runs on the Jupyter server's machine."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from labtrack.sidebar.base import StoreHandler


def listed(client) -> list[dict]:
    """Every deployment (``labtrack.production.Deployment`` fields), newest first."""
    from labtrack.production import list_deployments

    return [deployment.to_dict() for deployment in list_deployments(client)]


class DeploymentsHandler(StoreHandler):
    """``GET deployments`` -> ``{"deployments": [...]}``: each deployment's newest run as
    ``labtrack.production.Deployment`` (status RUNNING, STOPPED or FAILED; ``local`` when
    it runs on this server's machine, where the panel offers to stop it)."""

    _track_activity = False  # polled: must not keep an idle server from culling

    @web.authenticated
    @authorized
    async def get(self):
        self.reply({"deployments": await self.call(listed)})


class StopDeploymentHandler(StoreHandler):
    """``POST deployments/<name>/stop`` stops a running deployment that ``labtrack serve``
    runs on this machine (its recorded process, checked by pid and start time) and replies
    with it as then recorded; 409 for one that is not running, runs elsewhere, or is served
    by another kind of process (a notebook's background server)."""

    @web.authenticated
    @authorized
    async def post(self, name: str):
        from labtrack.production.record import stop_local

        self.json_body()  # takes none, but a body that is not a JSON object is refused (400)
        deployment = await self.call(stop_local, name)
        self.reply({"deployment": deployment.to_dict()})
