"""A model in production: deployments (models served with ``labtrack serve --deployment
NAME`` or ``lt.serve(..., deployment=NAME)``, recorded in the store as runs), the predictions
they log (``predictions``), and their drift (``drift``, ``monitor``).

A deployment is a run of the experiment ``Deployments`` named after it, one run per start
of a server; the newest run of a name is the deployment. So it gets what runs have:
heartbeats (a server that died reads as stopped), metrics over time (its traffic, every
``LABTRACK_DEPLOYMENT_INTERVAL`` seconds), artifacts (the predictions it logged), alerts and
permissions, on every store, ``labtrack server`` included.

>>> lt.deployments()                                                    # doctest: +SKIP
     name   status              model_uri model_name model_version  ...  requests  local
0  iris-prod  RUNNING  models:/iris@champion       iris             3  ...      1204   True
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from labtrack.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.entities import Run
    from labtrack.tracking.client import TrackingClient

EXPERIMENT = "Deployments"

# The tags of a deployment run (what the sidebar, lt.deployments() and the monitor read).
TAG = "labtrack.deployment"  # the deployment's name
MODEL_URI_TAG = "labtrack.deployment.model_uri"  # as given, e.g. models:/iris@champion
MODEL_NAME_TAG = "labtrack.deployment.model_name"  # the registered model, if any
MODEL_VERSION_TAG = "labtrack.deployment.model_version"  # updated when a followed alias moves
URL_TAG = "labtrack.deployment.url"
HOST_TAG = "labtrack.deployment.host"  # socket.gethostname() of the serving process
PID_TAG = "labtrack.deployment.pid"
PID_START_TAG = "labtrack.deployment.pid_start"  # ms since the epoch: names the process
PREDICTIONS_TAG = "labtrack.deployment.predictions"  # "on" / "off"
SAMPLE_RATE_TAG = "labtrack.deployment.sample_rate"

# The metrics a serving deployment logs every interval (step: the interval's number).
REQUESTS = "traffic/requests"  # requests answered in the interval
REQUESTS_TOTAL = "traffic/requests_total"  # requests answered since the server started
ERRORS = "traffic/errors"  # answers of /invocations with a status of 400 or more
LATENCY_P50 = "traffic/latency_p50_ms"
LATENCY_P99 = "traffic/latency_p99_ms"
MODEL_VERSION = "deployment/model_version"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

# Run statuses as a deployment reads: a run killed (its process died, reaped by the store's
# liveness check) or finished (stopped cleanly) is a stopped deployment.
_STATUSES = {"RUNNING": "RUNNING", "FAILED": "FAILED"}


def validate_name(name: object) -> str:
    """``name`` if it is a valid deployment name (a letter or digit, then up to 99 letters,
    digits, ``_``, ``.`` or ``-``); ``InvalidParameter`` otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidParameter(
            f"a deployment name is a letter or digit followed by at most 99 letters, digits, "
            f"'_', '.' or '-', got {name!r}"
        )
    return name


@dataclass(frozen=True)
class Deployment:
    """A deployment as last recorded: the newest run of its name in the ``Deployments``
    experiment.

    ``status`` is ``"RUNNING"`` while its server answers (its heartbeat is fresh),
    ``"STOPPED"`` once it stopped cleanly or its process died, ``"FAILED"`` if it stopped on
    an error. Times are milliseconds since the epoch; ``last_seen`` is its last sign of life
    (its last traffic metrics, or its end). ``requests`` counts the requests it answered
    since it started; ``local`` says whether it runs on this machine.
    """

    name: str
    status: str
    model_uri: str
    model_name: str | None
    model_version: str | None
    url: str | None
    host: str | None
    pid: int | None
    start_time: int
    last_seen: int
    requests: int
    run_id: str
    local: bool

    @classmethod
    def from_run(cls, run: Run) -> Deployment:
        """The deployment a run of the ``Deployments`` experiment records."""
        from labtrack.process_identity import HOST

        tags, info = run.data.tags, run.info
        latest = [m for m in run.data.latest_metrics if m.key in (REQUESTS_TOTAL, MODEL_VERSION)]
        seen = [m.timestamp for m in latest]
        if info.end_time:
            seen.append(info.end_time)
        pid = tags.get(PID_TAG, "")
        return cls(
            name=tags.get(TAG, info.run_name),
            status=_STATUSES.get(info.status, "STOPPED"),
            model_uri=tags.get(MODEL_URI_TAG, ""),
            model_name=tags.get(MODEL_NAME_TAG) or None,
            model_version=tags.get(MODEL_VERSION_TAG) or None,
            url=tags.get(URL_TAG) or None,
            host=tags.get(HOST_TAG) or None,
            pid=int(pid) if pid.isdigit() else None,
            start_time=info.start_time,
            last_seen=max(seen, default=info.start_time),
            requests=int(run.data.metrics.get(REQUESTS_TOTAL, 0)),
            run_id=info.run_id,
            local=tags.get(HOST_TAG) == HOST,
        )

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)


def deployment_runs(
    client: TrackingClient, name: str | None = None, newest_only: bool = False
) -> list[Run]:
    """Every deployment run (of ``name`` only, if given), newest first: a server's restart
    starts a new run of its name. ``newest_only``: just the newest one."""
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None or experiment.lifecycle_stage != "active":
        return []
    # validate_name lets no quote into the filter.
    condition = f"tags.`{TAG}` = '{validate_name(name)}'" if name else f"tags.`{TAG}` LIKE '%'"
    runs: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment.experiment_id],
            condition,
            max_results=1 if newest_only else 1000,
            order_by=["attributes.start_time DESC"],
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if newest_only or not token:
            return runs


def list_deployments(client: TrackingClient) -> list[Deployment]:
    """Every deployment (the newest run of each name), most recently started first."""
    newest: dict[str, Deployment] = {}
    for run in deployment_runs(client):
        deployment = Deployment.from_run(run)
        newest.setdefault(deployment.name, deployment)
    return list(newest.values())


def get_deployment(client: TrackingClient, name: str) -> Deployment:
    """The deployment called ``name`` (its newest run). ``NotFound`` if there is none,
    ``InvalidParameter`` for a name no deployment can have."""
    runs = deployment_runs(client, name, newest_only=True)
    if not runs:
        raise NotFound(f"no deployment named {name!r} (labtrack serve MODEL --deployment NAME)")
    return Deployment.from_run(runs[0])


def deployments(client: TrackingClient | None = None) -> pd.DataFrame:
    """Every deployment as a DataFrame, one row each (the fields of ``Deployment``), most
    recently started first: ``lt.deployments()``.

    >>> lt.deployments()[["name", "status", "model_version", "requests"]]  # doctest: +SKIP
    """
    import pandas as pd

    from labtrack.tracking.client import TrackingClient

    columns = list(Deployment.__dataclass_fields__)
    rows = [d.to_dict() for d in list_deployments(client or TrackingClient())]
    return pd.DataFrame(rows, columns=columns)


__all__ = [
    "EXPERIMENT",
    "Deployment",
    "deployment_runs",
    "deployments",
    "get_deployment",
    "list_deployments",
    "validate_name",
]
