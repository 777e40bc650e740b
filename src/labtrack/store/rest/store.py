"""The HTTP store: the parts of ``SqlStore`` (``experiments``, ``runs``, ``metrics``,
``search``, ``registry``) over MLflow's REST API, so that ``TrackingClient``, ``RegistryClient``
and the metric writer work unchanged against ``labtrack server`` or ``mlflow server``.

What SQL does in one transaction is here a short sequence of requests in the same order (a
batch's points, then its run's end). The writer's per-process bookkeeping that the server
cannot hold (run keys, liveness) stays in this process: run keys are a local numbering of run
ids, and liveness is the server's business (heartbeats and reaping do nothing here).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labtrack.entities import (
    Experiment,
    Metric,
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    Run,
    RunInfo,
    RunStatus,
    ViewType,
)
from labtrack.errors import AlreadyExists, InvalidParameter, LabtrackError, NotFound
from labtrack.runs_uri import is_runs_uri
from labtrack.store.rest import convert
from labtrack.store.rest.alerts import RestAlerts
from labtrack.store.rest.http import HttpClient, display_uri
from labtrack.store.rest.logged_models import RestDatasets, RestLoggedModels

if TYPE_CHECKING:
    import numpy as np

    from labtrack.store.sql.search import RunColumns

# MLflow's limits on one runs/log-batch request (mlflow.utils.validation).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
# Pages: MLflow's largest runs/search page, and metrics/get-history's.
_SEARCH_PAGE = 50_000
_HISTORY_PAGE = 25_000
_REGISTRY_PAGE = 1_000

_VIEW_TYPES = {
    ViewType.ACTIVE_ONLY: "ACTIVE_ONLY",
    ViewType.DELETED_ONLY: "DELETED_ONLY",
    ViewType.ALL: "ALL",
}

# (run key, key, value, timestamp ms, step): what the writer buffers per point.
MetricRow = tuple[int, str, float, int, int]
Rejected = tuple[MetricRow, str]
# Work to do after a batch's points (a run's end): called with the HTTP client.
Work = Callable[[Any], None]


@dataclass
class InsertResult:
    """What ``insert_metrics`` did beyond writing: the points the server refused (the rest of
    the batch is written), and ``already_written`` (never: the server keeps no batch ids)."""

    rejected: list[Rejected] = field(default_factory=list)
    already_written: bool = False


def _view(view_type: int) -> str:
    try:
        return _VIEW_TYPES[view_type]
    except KeyError:
        raise InvalidParameter(f"unknown view type {view_type!r}") from None


def _pages(fetch: Callable[[str | None], tuple[list, str | None]], limit: int | None) -> list:
    """Every item of a paged listing (at most ``limit``), following next-page tokens."""
    items: list = []
    token = None
    while True:
        page, token = fetch(token)
        items.extend(page)
        if not token or (limit is not None and len(items) >= limit):
            return items if limit is None else items[:limit]


class RestExperiments:
    """Experiments and their tags (``experiments/*``)."""

    def __init__(self, http: HttpClient):
        self.http = http

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, str] | None = None
    ) -> str:
        """Create an experiment; its id. ``AlreadyExists`` if the name is taken."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameter("experiment name must be a non-empty string")
        body: dict[str, Any] = {"name": name, "tags": convert.key_values(tags or {})}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self.http.call("POST", "experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; ``NotFound`` if none."""
        answer = self.http.call(
            "GET", "experiments/get", params={"experiment_id": str(experiment_id)}
        )
        return convert.experiment(answer["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        try:
            answer = self.http.call(
                "GET", "experiments/get-by-name", params={"experiment_name": name}
            )
        except NotFound:
            return None
        return convert.experiment(answer["experiment"])

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        max_results: int | None = None,
    ) -> list[Experiment]:
        """Experiments in ``view_type`` matching ``filter_string``, every page."""

        def fetch(token: str | None) -> tuple[list, str | None]:
            body: dict[str, Any] = {"view_type": _view(view_type), "max_results": _REGISTRY_PAGE}
            if filter_string:
                body["filter"] = filter_string
            if token:
                body["page_token"] = token
            answer = self.http.call("POST", "experiments/search", body)
            found = [convert.experiment(item) for item in answer.get("experiments") or ()]
            return found, answer.get("next_page_token")

        return _pages(fetch, max_results)

    def search_experiments_page(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Experiment], str | None]:
        """One page of experiments in ``order_by``'s order, and the next page's token."""
        body: dict[str, Any] = {
            "view_type": _view(view_type),
            "max_results": min(max_results or _REGISTRY_PAGE, _REGISTRY_PAGE),
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        answer = self.http.call("POST", "experiments/search", body)
        found = [convert.experiment(item) for item in answer.get("experiments") or ()]
        return found, answer.get("next_page_token") or None

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment deleted."""
        self.http.call("POST", "experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring a deleted experiment back."""
        self.http.call("POST", "experiments/restore", {"experiment_id": str(experiment_id)})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new name."""
        self.http.call(
            "POST",
            "experiments/update",
            {"experiment_id": str(experiment_id), "new_name": new_name},
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set a tag on an experiment."""
        self.http.call(
            "POST",
            "experiments/set-experiment-tag",
            {"experiment_id": str(experiment_id), "key": key, "value": value},
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        self.http.call(
            "POST",
            "experiments/delete-experiment-tag",
            {"experiment_id": str(experiment_id), "key": key},
        )


class RestRuns:
    """Runs, their params and tags (``runs/*``), and this process's numbering of run ids
    (``run_pk``): the writer buffers points by those integer keys, as for a SQL store."""

    def __init__(self, http: HttpClient):
        self.http = http
        self._pks: dict[str, int] = {}
        self._uuids: dict[int, str] = {}
        self._numbers = itertools.count(1)

    def _remember(self, run_uuid: str) -> int:
        # The writer's thread numbers runs too (replays). Atomic steps, no lock (a fork
        # cannot leave one held): a thread that loses a race wastes a number, nothing else.
        pk = self._pks.get(run_uuid)
        if pk is None:
            pk = self._pks.setdefault(run_uuid, next(self._numbers))
            self._uuids[pk] = run_uuid
        return pk

    def create_run(
        self,
        experiment_id: str,
        run_name: str,
        start_time: int | None = None,
        tags: Mapping[str, str] | None = None,
        user_id: str = "",
    ) -> RunInfo:
        """Create a RUNNING run; its info (the server chooses the id and artifact URI)."""
        import time

        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "run_name": run_name,
            "start_time": start_time or int(time.time() * 1000),
            "tags": convert.key_values(dict(tags or {})),
        }
        if user_id:
            body["user_id"] = user_id
        info = convert.run_info(self.http.call("POST", "runs/create", body)["run"]["info"])
        self._remember(info.run_id)
        return info

    def run_pk(self, run_uuid: str) -> int:
        """This process's integer key of a run; ``NotFound`` if the server has no such run."""
        pk = self._pks.get(run_uuid)
        if pk is None:
            self.get_run(run_uuid)  # refuses an unknown id here, not at the next flush
            pk = self._remember(run_uuid)
        return pk

    def run_uuid(self, pk: int) -> str:
        """The run id behind a key this process gave out."""
        return self._uuids[pk]

    def run_uuids_by_pk(self) -> dict[int, str]:
        """Every key given out so far: key -> run id."""
        return dict(self._uuids)

    def get_run(self, run_uuid: str) -> Run:
        """The run with this id (info, params, tags, latest metrics); ``NotFound`` if none."""
        if not isinstance(run_uuid, str) or not run_uuid:
            raise NotFound(f"no run with id {run_uuid!r}")
        return convert.run(self.http.call("GET", "runs/get", params={"run_id": run_uuid})["run"])

    def get_runs(self, run_uuids: list[str]) -> list[Run]:
        """The runs with these ids that exist, in that order."""
        runs = []
        for run_uuid in run_uuids:
            try:
                runs.append(self.get_run(run_uuid))
            except NotFound:
                pass
        return runs

    def update_run(
        self,
        run_uuid: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> None:
        """Change a run's status, end time and/or name."""
        if status is None and end_time is None and run_name is None:
            return
        self.run_update(run_uuid, status, end_time, run_name)(self.http)

    def run_update(
        self,
        run_uuid: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> Work:
        """``update_run`` as work for ``insert_metrics(..., also=)``: sent after the points."""
        body: dict[str, Any] = {"run_id": run_uuid, "run_uuid": run_uuid}
        if status is not None:
            body["status"] = RunStatus.from_string(status)
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name

        def work(http: HttpClient) -> None:
            http.call("POST", "runs/update", body)

        return work

    def set_run_lifecycle(self, run_uuid: str, stage: str) -> None:
        """Delete (``deleted``) or restore (``active``) a run."""
        endpoint = "runs/delete" if stage == "deleted" else "runs/restore"
        self.http.call("POST", endpoint, {"run_id": run_uuid})

    def log_params(self, run_uuid: str, params: Mapping[str, str]) -> None:
        """Log params (the server refuses a changed value)."""
        self.log_params_and_tags(run_uuid, params, {})

    def set_tags(self, run_uuid: str, tags: Mapping[str, str]) -> None:
        """Set tags, replacing earlier values."""
        self.log_params_and_tags(run_uuid, {}, tags)

    def set_tags_of_runs(self, run_uuids: Sequence[str], tags: Mapping[str, str]) -> None:
        """The same tags on several runs: a log-batch request each (the REST API has no
        request for several runs). A run no longer on the server is left out."""
        for run_uuid in run_uuids:
            try:
                self.set_tags(run_uuid, tags)
            except NotFound:
                continue

    def log_params_and_tags(
        self, run_uuid: str, params: Mapping[str, str], tags: Mapping[str, str]
    ) -> None:
        """Params and tags in log-batch requests of at most 100 of each."""
        params, tags = convert.key_values(dict(params)), convert.key_values(dict(tags))
        for start in range(0, max(len(params), len(tags)), MAX_PARAMS_TAGS_PER_BATCH):
            end = start + MAX_PARAMS_TAGS_PER_BATCH
            self.http.call(
                "POST",
                "runs/log-batch",
                {"run_id": run_uuid, "params": params[start:end], "tags": tags[start:end]},
            )

    def delete_tag(self, run_uuid: str, key: str) -> None:
        """Remove a tag; ``NotFound`` if the run or the tag does not exist."""
        self.http.call("POST", "runs/delete-tag", {"run_id": run_uuid, "key": key})

    # Liveness is the server's: a remote process cannot tell whether this one is alive.

    def heartbeat(self, run_uuids: Iterable[str] = (), run_pks: Iterable[int] = ()) -> None:
        """Nothing to do: the server keeps no heartbeats over MLflow's API."""

    def heartbeat_work(self, run_uuids: Iterable[str] = (), run_pks: Iterable[int] = ()) -> Work:
        """Nothing to do (see ``heartbeat``)."""
        return lambda _http: None

    def reap_dead_runs(self, heartbeat_timeout_ms: int) -> int:
        """Nothing to do: which runs died is for the server to say. Returns 0."""
        return 0


class RestMetrics:
    """Metric points: sent by the background writer in ``runs/log-batch`` requests within
    MLflow's limits; histories read page by page from ``metrics/get-history``."""

    # The server records no batch ids: a batch whose answer was lost is sent again, and
    # MLflow's store (as labtrack's server) keeps an identical point once.
    claims_batches = False

    def __init__(self, http: HttpClient, runs: RestRuns):
        self.http = http
        self.runs = runs

    def insert_metrics(
        self,
        rows: Sequence[MetricRow],
        also: Work | None = None,
        batch_id: str | None = None,
    ) -> InsertResult:
        """Send a batch of points, run by run, at most 1,000 a request; then ``also`` (a run's
        end). Points of a run the server refuses (deleted, unknown) are set aside with the
        reason, the others are written; ``ServerAway`` propagates (the writer spools)."""
        by_run: dict[int, list[MetricRow]] = {}
        for row in rows:
            by_run.setdefault(row[0], []).append(row)
        rejected: list[Rejected] = []
        for pk, points in by_run.items():
            run_uuid = self.runs.run_uuid(pk)
            for start in range(0, len(points), MAX_METRICS_PER_BATCH):
                chunk = points[start : start + MAX_METRICS_PER_BATCH]
                body = {
                    "run_id": run_uuid,
                    "metrics": [
                        {
                            "key": key,
                            "value": convert.json_number(value),
                            "timestamp": timestamp,
                            "step": step,
                        }
                        for _pk, key, value, timestamp, step in chunk
                    ],
                }
                try:
                    self.http.call("POST", "runs/log-batch", body)
                except (InvalidParameter, NotFound) as error:
                    # The run was deleted or never existed there: retrying cannot help.
                    rejected.extend((row, str(error)) for row in chunk)
        if also is not None:
            also(self.http)
        return InsertResult(rejected=rejected)

    def forget_batches_work(self, batch_ids: Sequence[str]) -> Work:
        """Nothing to forget: the server records no batch ids."""
        return lambda _http: None

    def get_metric_history(self, run_uuid: str, key: str) -> list[Metric]:
        """Every point of a metric, ordered by step then timestamp."""

        def fetch(token: str | None) -> tuple[list, str | None]:
            params = {"run_id": run_uuid, "metric_key": key, "max_results": _HISTORY_PAGE}
            if token:
                params["page_token"] = token
            answer = self.http.call("GET", "metrics/get-history", params=params)
            points = [convert.metric(item) for item in answer.get("metrics") or ()]
            return points, answer.get("next_page_token")

        points = _pages(fetch, None)
        return sorted(points, key=lambda point: (point.step, point.timestamp))

    def metric_history_arrays(
        self, run_uuid: str, key: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A metric's points as (int64 steps, int64 timestamps, float64 values)."""
        import numpy as np

        points = self.get_metric_history(run_uuid, key)
        return (
            np.array([point.step for point in points], dtype=np.int64),
            np.array([point.timestamp for point in points], dtype=np.int64),
            np.array([point.value for point in points], dtype=np.float64),
        )

    def metric_history_extremes(self, run_uuid: str, key: str, buckets: int) -> None:
        """None: the server gives whole histories, which the caller downsamples."""
        return None


class RestRunSearch:
    """Searching runs with ``runs/search``: filter and order are the server's."""

    def __init__(self, http: HttpClient):
        self.http = http
        self._server_counts = True  # until a server without labtrack/runs/count says 404

    def _page(
        self,
        experiment_ids: list[str],
        filter_string: str | None,
        view_type: int,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        body: dict[str, Any] = {
            "experiment_ids": [str(i) for i in experiment_ids],
            "run_view_type": _view(view_type),
            "max_results": min(max_results or _SEARCH_PAGE, _SEARCH_PAGE),
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        answer = self.http.call("POST", "runs/search", body)
        return [convert.run(item) for item in answer.get("runs") or ()], answer.get(
            "next_page_token"
        )

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        """One page of runs (``max_results`` of them at most) and the next page's token."""
        if max_results is not None and max_results <= _SEARCH_PAGE:
            return self._page(
                experiment_ids, filter_string, view_type, max_results, order_by, page_token
            )
        runs: list[Run] = []
        token = page_token
        while True:
            wanted = None if max_results is None else max_results - len(runs)
            page, token = self._page(
                experiment_ids, filter_string, view_type, wanted, order_by, token
            )
            runs.extend(page)
            if not token or (max_results is not None and len(runs) >= max_results):
                return runs, token

    def count_runs(
        self, experiment_ids: list[str], filter_string: str | None, view_type: int
    ) -> int:
        """How many runs match: labtrack server counts them in SQL (``labtrack/runs/count``);
        MLflow's REST API has no count, so from ``mlflow server`` the pages are read and
        counted."""
        body = {
            "experiment_ids": list(experiment_ids),
            "filter": filter_string or "",
            "run_view_type": _view(view_type),
        }
        if self._server_counts:
            try:
                return int(self.http.call("POST", "labtrack/runs/count", body)["count"])
            except NotFound:  # no such route (mlflow server), or no such experiment
                pass
        runs, _ = self.search_runs(experiment_ids, filter_string, view_type)
        # The search found the experiments: the route was missing. Not asked again.
        self._server_counts = False
        return len(runs)

    def search_run_columns(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> RunColumns:
        """``search_runs`` in long form, for ``runs_frame`` (every page when no limit)."""
        from labtrack.store.sql.search import RunColumns

        runs, token = self.search_runs(
            experiment_ids, filter_string, view_type, max_results, order_by, page_token
        )
        rows, params, tags, metrics = [], [], [], []
        for pk, run in enumerate(runs):
            info = run.info
            rows.append(  # RUN_FIELDS
                (
                    pk,
                    info.run_id,
                    info.experiment_id,
                    info.status,
                    info.artifact_uri,
                    info.start_time,
                    info.end_time,
                )
            )
            params.extend((pk, key, value) for key, value in run.data.params.items())
            tags.extend((pk, key, value) for key, value in run.data.tags.items())
            metrics.extend((pk, key, value) for key, value in run.data.metrics.items())
        return RunColumns(rows, params, tags, metrics, token)


class RestRegistry:
    """The model registry over ``registered-models/*`` and ``model-versions/*``. The server
    records who made each change (from the request's credentials): ``user`` and ``comment``
    arguments are not sent."""

    def __init__(self, http: HttpClient):
        self.http = http
        # Whether the server takes a model_id with a runs:/ source (see create_model_version).
        self._runs_source_with_model_id = True

    def _model(self, answer: dict) -> RegisteredModel:
        return convert.registered_model(answer["registered_model"])

    def _version(self, answer: dict) -> ModelVersion:
        return convert.model_version(answer["model_version"])

    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        user: str = "",
    ) -> RegisteredModel:
        """Create an empty registered model; ``AlreadyExists`` if the name is taken."""
        body: dict[str, Any] = {"name": name, "tags": convert.key_values(dict(tags or {}))}
        if description is not None:
            body["description"] = description
        return self._model(self.http.call("POST", "registered-models/create", body))

    def get_registered_model(self, name: str) -> RegisteredModel:
        """A registered model with its tags, aliases and latest versions."""
        return self._model(self.http.call("GET", "registered-models/get", params={"name": name}))

    def _search(
        self,
        endpoint: str,
        items: str,
        read: Callable[[dict], Any],
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> tuple[list, str | None]:
        params: dict[str, Any] = {"max_results": max_results or _REGISTRY_PAGE}
        if filter_string:
            params["filter"] = filter_string
        if order_by:
            params["order_by"] = list(order_by)
        if page_token:
            params["page_token"] = page_token
        answer = self.http.call("GET", endpoint, params=params)
        return [read(item) for item in answer.get(items) or ()], answer.get("next_page_token")

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[RegisteredModel], str | None]:
        """A page of registered models matching ``filter_string``, and the next token."""
        return self._search(
            "registered-models/search",
            "registered_models",
            convert.registered_model,
            filter_string,
            max_results,
            order_by,
            page_token,
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[ModelVersion], str | None]:
        """A page of model versions matching ``filter_string``, and the next token."""
        return self._search(
            "model-versions/search",
            "model_versions",
            convert.model_version,
            filter_string,
            max_results,
            order_by,
            page_token,
        )

    def rename_registered_model(self, name: str, new_name: str, user: str = "") -> RegisteredModel:
        """Rename a registered model."""
        body = {"name": name, "new_name": new_name}
        return self._model(self.http.call("POST", "registered-models/rename", body))

    def update_registered_model(
        self, name: str, description: str | None, user: str = ""
    ) -> RegisteredModel:
        """Set a registered model's description."""
        body = {"name": name, "description": description or ""}
        return self._model(self.http.call("PATCH", "registered-models/update", body))

    def delete_registered_model(self, name: str, user: str = "") -> None:
        """Delete a registered model and its versions."""
        self.http.call("DELETE", "registered-models/delete", {"name": name})

    def set_registered_model_tag(self, name: str, key: str, value: str, user: str = "") -> None:
        """Set a tag on a registered model."""
        body = {"name": name, "key": key, "value": value}
        self.http.call("POST", "registered-models/set-tag", body)

    def delete_registered_model_tag(self, name: str, key: str, user: str = "") -> None:
        """Remove a tag from a registered model."""
        self.http.call("DELETE", "registered-models/delete-tag", {"name": name, "key": key})

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        run_link: str | None = None,
        user: str = "",
        create_model: bool = False,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Register ``source`` as the next version of ``name`` (of logged model ``model_id``,
        if given); with ``create_model``, create the model first unless it exists (another
        client creating it meanwhile is fine)."""
        if create_model:
            try:
                self.create_registered_model(name)
            except AlreadyExists:
                pass
        body: dict[str, Any] = {
            "name": name,
            "source": source,
            "tags": convert.key_values(dict(tags or {})),
        }
        for field_name, value in (
            ("run_id", run_id),
            ("description", description),
            ("run_link", run_link),
            ("model_id", model_id),
        ):
            if value is not None:
                body[field_name] = value
        if model_id is not None and is_runs_uri(source):
            if self._runs_source_with_model_id:
                try:
                    return self._version(self.http.call("POST", "model-versions/create", body))
                except InvalidParameter as error:
                    # MLflow's server refuses a model_id beside a runs:/ source (and keeps
                    # no model_id); labtrack server takes both. No version was created: send
                    # it without the id, now and from then on.
                    if "model_id" not in str(error):
                        raise
                    self._runs_source_with_model_id = False
            del body["model_id"]
        return self._version(self.http.call("POST", "model-versions/create", body))

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """One version of a registered model."""
        params = {"name": name, "version": str(version)}
        return self._version(self.http.call("GET", "model-versions/get", params=params))

    def update_model_version(
        self, name: str, version: int, description: str | None, user: str = ""
    ) -> ModelVersion:
        """Set a version's description."""
        body = {"name": name, "version": str(version), "description": description or ""}
        return self._version(self.http.call("PATCH", "model-versions/update", body))

    def delete_model_version(self, name: str, version: int, user: str = "") -> None:
        """Delete a version."""
        self.http.call("DELETE", "model-versions/delete", {"name": name, "version": str(version)})

    def set_model_version_tag(
        self, name: str, version: int, key: str, value: str, user: str = ""
    ) -> None:
        """Set a tag on a version."""
        body = {"name": name, "version": str(version), "key": key, "value": value}
        self.http.call("POST", "model-versions/set-tag", body)

    def delete_model_version_tag(self, name: str, version: int, key: str, user: str = "") -> None:
        """Remove a tag from a version."""
        body = {"name": name, "version": str(version), "key": key}
        self.http.call("DELETE", "model-versions/delete-tag", body)

    def get_latest_versions(self, name: str, stages: Sequence[str] = ()) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (every stage when empty)."""
        body = {"name": name, "stages": list(stages)}
        answer = self.http.call("POST", "registered-models/get-latest-versions", body)
        return [convert.model_version(item) for item in answer.get("model_versions") or ()]

    def transition_model_version_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool = False,
        user: str = "",
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage`` (archiving the others there, if asked)."""
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing_versions),
        }
        return self._version(self.http.call("POST", "model-versions/transition-stage", body))

    def set_registered_model_alias(
        self, name: str, alias: str, version: int, user: str = "", comment: str | None = None
    ) -> None:
        """Point ``alias`` at ``version``."""
        body = {"name": name, "alias": alias, "version": str(version)}
        self.http.call("POST", "registered-models/alias", body)

    def delete_registered_model_alias(
        self, name: str, alias: str, user: str = "", comment: str | None = None
    ) -> None:
        """Remove an alias."""
        self.http.call("DELETE", "registered-models/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``NotFound`` if none."""
        params = {"name": name, "alias": alias}
        try:
            answer = self.http.call("GET", "registered-models/alias", params=params)
        except InvalidParameter as error:
            # MLflow's server calls a missing alias an invalid parameter; the SQL store (and
            # so every caller of this one) calls it NotFound.
            if "not found" not in str(error).lower():
                raise
            raise NotFound(f"registered model {name!r} has no alias {alias!r}") from None
        return self._version(answer)

    def get_registry_history(self, name: str, version: int | None = None) -> list[RegistryEvent]:
        """From ``labtrack server``'s own route; another server (``mlflow server``) has none,
        and then this raises ``LabtrackError`` saying so."""
        self.get_registered_model(name)  # NotFound for a missing model, before asking
        query: dict[str, Any] = {"name": name}
        if version is not None:
            query["version"] = str(version)
        try:
            answer = self.http.call("GET", "registered-models/history", params=query)
        except NotFound:
            raise LabtrackError(
                f"the registry's history is not available from the tracking server "
                f"{self.http.base_url}: only labtrack server keeps it (MLflow's REST API has "
                "no route for it)"
            ) from None
        return [RegistryEvent(**event) for event in answer.get("events") or ()]


class RestStore:
    """A tracking server speaking MLflow's REST API (``labtrack server`` or ``mlflow server``),
    with the parts of ``SqlStore``: ``experiments``, ``runs``, ``metrics``, ``search``,
    ``registry``, ``logged_models``, ``datasets`` and ``alerts``. ``http`` sends the
    requests (credentials, retries, errors)."""

    read_only = False
    database_path = None
    schema_version = None

    def __init__(self, uri: str):
        self.uri = uri
        self.http = HttpClient(uri)
        self.experiments = RestExperiments(self.http)
        self.runs = RestRuns(self.http)
        self.metrics = RestMetrics(self.http, self.runs)
        self.search = RestRunSearch(self.http)
        self.registry = RestRegistry(self.http)
        self.logged_models = RestLoggedModels(self.http)
        self.datasets = RestDatasets(self.http)
        self.alerts = RestAlerts(self.http)

    @property
    def display_uri(self) -> str:
        """The server's URI without credentials."""
        return display_uri(self.uri)

    def change_stamp(self) -> str:
        """A stamp that moves every few seconds: a server has no file to look at, and views
        polling it need not cost a request (``labtrack.store.stamp``)."""
        from labtrack.store.stamp import store_stamp

        return store_stamp(None)

    def close(self) -> None:
        """Close the pooled connections (new ones are opened if used again)."""
        self.http.close()
