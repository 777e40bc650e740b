"""Every route of the extension, relative to ``<base_url>/labtrack/api/``: the one table
``app.load`` registers and the security tests walk."""

from __future__ import annotations

from labtrack.sidebar import alerts, deployments, notes, pipelines, registry, tracking

_SEGMENT = r"([^/]+)"  # one URL-encoded path segment (a model name may hold any character)

ROUTES = [
    (r"stamp", tracking.StampHandler),
    (r"alerts", alerts.AlertsHandler),
    (r"pipelines", pipelines.PipelinesHandler),
    (r"deployments", deployments.DeploymentsHandler),
    (rf"deployments/{_SEGMENT}/stop", deployments.StopDeploymentHandler),
    (r"experiments", tracking.ExperimentsHandler),
    (rf"experiments/{_SEGMENT}/runs", tracking.RunsHandler),
    (rf"runs/{_SEGMENT}", tracking.RunHandler),
    (rf"runs/{_SEGMENT}/artifacts", tracking.ArtifactsHandler),
    (rf"runs/{_SEGMENT}/note", notes.NoteHandler),
    (r"models", registry.ModelsHandler),
    (rf"models/{_SEGMENT}", registry.ModelHandler),
    (rf"models/{_SEGMENT}/history", registry.HistoryHandler),
    (rf"models/{_SEGMENT}/aliases/{_SEGMENT}", registry.AliasHandler),
    (rf"models/{_SEGMENT}/versions/{_SEGMENT}", registry.VersionHandler),
    (rf"models/{_SEGMENT}/versions/{_SEGMENT}/history", registry.HistoryHandler),
    (rf"models/{_SEGMENT}/versions/{_SEGMENT}/stage", registry.StageHandler),
    (rf"models/{_SEGMENT}/versions/{_SEGMENT}/archive", registry.ArchiveHandler),
]
