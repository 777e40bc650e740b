"""The endpoints of MLflow's REST API, each a function from a request message to a response
message, over ``labtrack.Client`` (tracking and registry): no HTTP here, and no store.

``ENDPOINTS`` lists them as ``(method, path under /api/2.0/mlflow/, function)``; a function
takes the ``Service`` (the client and the artifact destination), the request message (JSON
body or query string, path parameters merged in) and the user the request is made for (None
until the server authenticates; the registry then records this process's user).

Every write is persisted before the function returns: metrics are flushed from the client's
background writer, and a point the store refuses is an error of this request.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

from labtrack.entities import (
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
)
from labtrack.errors import InvalidParameter, NotFound
from labtrack.runs_uri import is_runs_uri
from labtrack.tracking_server import logged_models as lm
from labtrack.tracking_server import protocol as p
from labtrack.tracking_server.artifacts import Destination

# MLflow's limits on one log-batch request.
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
# MLflow's page size for an experiment search without max_results.
SEARCH_EXPERIMENTS_PAGE = 1000


class Service:
    """What every endpoint works with: a ``labtrack.Client`` on the backend store and the
    artifact destination."""

    def __init__(self, client, destination: Destination):
        self.client = client
        self.destination = destination
        # Logged models an older labtrack server kept as JSON files move into the store.
        lm.import_records(client, destination.repository())

    def public_uri(self, uri: str | None) -> str | None:
        return self.destination.public_uri(uri)

    def logged_model_experiment(self, model_id: str) -> str | None:
        """The experiment of a logged model (None if there is no such model): what a
        permission check on a ``logged-models/<id>`` route needs."""
        try:
            return self.client.get_logged_model(model_id).experiment_id
        except NotFound:
            return None


Handler = Callable[[Service, p.Message, "str | None"], dict]
ENDPOINTS: list[tuple[str, str, Handler]] = []


def endpoint(*routes: str) -> Callable[[Handler], Handler]:
    """Register a function for ``"METHOD path"`` routes."""

    def register(function: Handler) -> Handler:
        for route in routes:
            method, path = route.split(" ", 1)
            ENDPOINTS.append((method, path, function))
        return function

    return register


def _run_id(message: p.Message) -> str:
    return p.string(message, "run_id", required=True, aliases=("run_uuid",))


# -- experiments ----------------------------------------------------------------------------


@endpoint("POST experiments/create")
def create_experiment(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/create``: MLflow's ``CreateExperiment``."""
    experiment_id = svc.client.create_experiment(
        p.string(message, "name", required=True),
        svc.destination.stored_uri(p.string(message, "artifact_location")),
        p.key_values(message, "tags"),
    )
    return {"experiment_id": experiment_id}


@endpoint("GET experiments/get")
def get_experiment(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET experiments/get``: MLflow's ``GetExperiment``."""
    experiment = svc.client.get_experiment(p.string(message, "experiment_id", required=True))
    return {"experiment": p.experiment(experiment, svc.public_uri)}


@endpoint("GET experiments/get-by-name")
def get_experiment_by_name(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET experiments/get-by-name``: MLflow's ``GetExperimentByName``."""
    name = p.string(message, "experiment_name", required=True)
    experiment = svc.client.get_experiment_by_name(name)
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": p.experiment(experiment, svc.public_uri)}


@endpoint("GET experiments/search", "POST experiments/search")
def search_experiments(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET experiments/search`` and ``POST experiments/search``: MLflow's ``SearchExperiments``."""
    start, size = p.page_window(message, SEARCH_EXPERIMENTS_PAGE)
    # labtrack answers an experiment search whole: ask for this page and one more item, which
    # tells whether another page follows.
    experiments = svc.client.search_experiments(
        view_type=p.view_type(message, "view_type"),
        max_results=start + size + 1,
        filter_string=p.string(message, "filter"),
        order_by=p.strings(message, "order_by") or None,
    )
    page, token = p.offset_page(list(experiments), message, SEARCH_EXPERIMENTS_PAGE)
    return p.page("experiments", [p.experiment(e, svc.public_uri) for e in page], token)


@endpoint("POST experiments/delete")
def delete_experiment(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/delete``: MLflow's ``DeleteExperiment``."""
    svc.client.delete_experiment(p.string(message, "experiment_id", required=True))
    return {}


@endpoint("POST experiments/restore")
def restore_experiment(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/restore``: MLflow's ``RestoreExperiment``."""
    svc.client.restore_experiment(p.string(message, "experiment_id", required=True))
    return {}


@endpoint("POST experiments/update")
def update_experiment(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/update``: MLflow's ``UpdateExperiment``."""
    svc.client.rename_experiment(
        p.string(message, "experiment_id", required=True),
        p.string(message, "new_name", required=True),
    )
    return {}


@endpoint("POST experiments/set-experiment-tag")
def set_experiment_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/set-experiment-tag``: MLflow's ``SetExperimentTag``."""
    svc.client.set_experiment_tag(
        p.string(message, "experiment_id", required=True),
        p.string(message, "key", required=True),
        p.string(message, "value") or "",
    )
    return {}


@endpoint("POST experiments/delete-experiment-tag")
def delete_experiment_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST experiments/delete-experiment-tag``: MLflow's ``DeleteExperimentTag``."""
    svc.client.delete_experiment_tag(
        p.string(message, "experiment_id", required=True), p.string(message, "key", required=True)
    )
    return {}


# -- runs -----------------------------------------------------------------------------------


@endpoint("POST runs/create")
def create_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/create``: MLflow's ``CreateRun``."""
    tags = p.key_values(message, "tags")
    if user:  # signed in (labtrack server --auth): the run is theirs, whatever the request says
        tags["mlflow.user"] = user  # where labtrack keeps a run's user
    elif user_id := p.string(message, "user_id"):
        tags.setdefault("mlflow.user", user_id)
    run = svc.client.create_run(
        p.experiment_id(p.string(message, "experiment_id") or "0"),
        start_time=p.integer(message, "start_time"),
        tags=tags,
        run_name=p.string(message, "run_name"),
    )
    return {"run": p.run(run, svc.public_uri)}


@endpoint("GET runs/get")
def get_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET runs/get``: MLflow's ``GetRun``."""
    return {"run": _run_json(svc, svc.client.get_run(_run_id(message)))}


def _run_json(svc: Service, run) -> dict:
    """MLflow's ``Run`` message with its ``inputs``, as ``GetRun`` and ``SearchRuns`` send."""
    return {**p.run(run, svc.public_uri), **lm.inputs_json(run.inputs)}


@endpoint("POST runs/update")
def update_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/update``: MLflow's ``UpdateRun``."""
    run_id = _run_id(message)
    status = p.string(message, "status")
    if status is not None and status not in RunStatus.ALL:
        raise InvalidParameter(f"Invalid run status {status!r}; expected one of {RunStatus.ALL}")
    name = p.string(message, "run_name")
    if name is not None or (status is not None and not RunStatus.is_terminated(status)):
        svc.client.update_run(
            run_id, status=None if RunStatus.is_terminated(status or "") else status, name=name
        )
    if status is not None and RunStatus.is_terminated(status):
        svc.client.set_terminated(run_id, status, end_time=p.integer(message, "end_time"))
    return {"run_info": p.run_info(svc.client.get_run(run_id).info, svc.public_uri)}


@endpoint("POST runs/delete")
def delete_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/delete``: MLflow's ``DeleteRun``."""
    svc.client.delete_run(_run_id(message))
    return {}


@endpoint("POST runs/restore")
def restore_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/restore``: MLflow's ``RestoreRun``."""
    svc.client.restore_run(_run_id(message))
    return {}


def _metric(item: p.Message) -> Metric:
    key = p.string(item, "key", required=True)
    timestamp = p.integer(item, "timestamp")
    return Metric(
        key=key,
        value=p.number(p._raw(item, "value", True), "value"),
        timestamp=int(time.time() * 1000) if timestamp is None else timestamp,
        step=p.integer(item, "step") or 0,
    )


def _unseen(svc: Service, run_id: str, metrics: list[Metric]) -> list[Metric]:
    """Of points MLflow also links to a logged model (``model_id``), those the run does not
    have yet: MLflow's client logs a run's points again with the model's id when it logs a
    model, and MLflow's store keeps them once in the run's history."""
    seen: dict[str, set] = {}
    new = []
    for m in metrics:
        if m.key not in seen:
            seen[m.key] = set(svc.client.get_metric_history(run_id, m.key))
        if m not in seen[m.key]:
            seen[m.key].add(m)
            new.append(m)
    return new


@endpoint("POST runs/log-metric")
def log_metric(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/log-metric``: MLflow's ``LogMetric``."""
    run_id = _run_id(message)
    point = _metric(message)
    if p.string(message, "model_id"):
        _link_to_models(svc, run_id, [message])
        if not _unseen(svc, run_id, [point]):
            return {}
    svc.client.log_metric(run_id, point.key, point.value, point.timestamp, point.step, True)
    return {}


def _link_to_models(svc: Service, run_id: str, items: list[p.Message]) -> None:
    """Link points that name a ``model_id`` to that logged model (and their dataset)."""
    groups: dict[tuple, list[Metric]] = {}
    for item in items:
        link = tuple(p.string(item, k) for k in ("model_id", "dataset_name", "dataset_digest"))
        groups.setdefault(link, []).append(_metric(item))
    for (model_id, dataset_name, dataset_digest), points in groups.items():
        svc.client.link_logged_model_metrics(run_id, points, model_id, dataset_name, dataset_digest)


@endpoint("POST runs/log-parameter")
def log_param(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/log-parameter``: MLflow's ``LogParam``."""
    svc.client.log_param(
        _run_id(message), p.string(message, "key", required=True), p.string(message, "value") or ""
    )
    return {}


@endpoint("POST runs/set-tag")
def set_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/set-tag``: MLflow's ``SetTag``."""
    svc.client.set_tag(
        _run_id(message), p.string(message, "key", required=True), p.string(message, "value") or ""
    )
    return {}


@endpoint("POST runs/delete-tag")
def delete_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/delete-tag``: MLflow's ``DeleteTag``."""
    svc.client.delete_tag(_run_id(message), p.string(message, "key", required=True))
    return {}


@endpoint("POST runs/log-batch")
def log_batch(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/log-batch``: MLflow's ``LogBatch``."""
    run_id = _run_id(message)
    items = p.entries(message, "metrics", ("key",))
    params = p.pairs(message, "params")
    tags = p.pairs(message, "tags")
    for what, count, limit in (
        ("metrics", len(items), MAX_METRICS_PER_BATCH),
        ("params", len(params), MAX_PARAMS_PER_BATCH),
        ("tags", len(tags), MAX_TAGS_PER_BATCH),
        ("metrics, params and tags", len(items) + len(params) + len(tags), MAX_ENTITIES_PER_BATCH),
    ):
        if count > limit:
            raise InvalidParameter(
                f"A batch logging request can contain at most {limit} {what}. Got {count} {what}."
            )
    run_points = [_metric(item) for item in items if not item.get("model_id")]
    model_items = [item for item in items if item.get("model_id")]
    model_points = [_metric(item) for item in model_items]
    if model_items:
        _link_to_models(svc, run_id, model_items)
    svc.client.log_batch(
        run_id,
        metrics=run_points + (_unseen(svc, run_id, model_points) if model_points else []),
        params=[Param(key, value) for key, value in params],
        tags=[RunTag(key, value) for key, value in tags],
        synchronous=True,
    )
    return {}


@endpoint("POST runs/search")
def search_runs(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/search``: MLflow's ``SearchRuns``."""
    runs = svc.client.search_runs(
        p.experiment_ids(message),
        filter_string=p.string(message, "filter") or "",
        run_view_type=p.view_type(message, "run_view_type"),
        max_results=p.page_size(message, 1000),
        order_by=p.strings(message, "order_by") or None,
        page_token=p.string(message, "page_token"),
    )
    return p.page("runs", [_run_json(svc, r) for r in runs], runs.token)


@endpoint("POST labtrack/runs/count")
def count_runs(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST labtrack/runs/count`` (labtrack's own; MLflow has no count): how many runs
    ``runs/search`` finds for the same ``experiment_ids``, ``filter`` and ``run_view_type``,
    counted in SQL. The run table sizes its scrollbar with it before reading a run."""
    count = svc.client.count_runs(
        p.experiment_ids(message),
        filter_string=p.string(message, "filter") or "",
        run_view_type=p.view_type(message, "run_view_type"),
    )
    return {"count": count}


# Where MLflow records the models logged in a run (a JSON list of their MLmodel contents).
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


@endpoint("POST runs/log-model")
def log_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/log-model``: MLflow's ``LogModel`` (MLflow 2's clients send it after
    uploading a model): the model's description joins the run's log-model history tag."""
    run_id = _run_id(message)
    try:
        model = json.loads(p.string(message, "model_json", required=True))
    except ValueError:
        raise InvalidParameter("model_json must be a JSON object") from None
    if not isinstance(model, dict) or not model.get("artifact_path"):
        raise InvalidParameter("model_json must be a JSON object with the model's artifact_path")
    history = json.loads(svc.client.get_run(run_id).data.tags.get(LOG_MODEL_HISTORY_TAG, "[]"))
    svc.client.set_tag(run_id, LOG_MODEL_HISTORY_TAG, json.dumps([*history, model]))
    return {}


@endpoint("POST runs/outputs")
def log_outputs(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/outputs``: MLflow's ``LogOutputs`` (the models a run logged, each kept as
    its logged model's source run and step)."""
    outputs = [
        LoggedModelOutput(p.string(item, "model_id", required=True), p.integer(item, "step") or 0)
        for item in p.entries(message, "models", ("model_id",))
    ]
    svc.client.log_outputs(_run_id(message), outputs)
    return {}


@endpoint("POST runs/log-inputs")
def log_inputs(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/log-inputs``: MLflow's ``LogInputs`` (the datasets a run used)."""
    run_id = _run_id(message)
    svc.client.get_run(run_id)  # an unknown run is an error even with no datasets
    svc.client.log_inputs(run_id, lm.dataset_inputs(p.entries(message, "datasets", ("dataset",))))
    return {}


@endpoint("GET metrics/get-history")
def get_metric_history(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET metrics/get-history``: MLflow's ``GetMetricHistory``."""
    history = svc.client.get_metric_history(
        _run_id(message), p.string(message, "metric_key", required=True)
    )
    metrics, token = p.offset_page(history, message, default_size=None)
    return p.page("metrics", [p.metric(m) for m in metrics], token)


@endpoint("GET artifacts/list")
def list_artifacts(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET artifacts/list``: MLflow's ``ListArtifacts``."""
    run_id = _run_id(message)
    root = svc.client.get_run(run_id).info.artifact_uri
    files = svc.client.list_artifacts(run_id, p.string(message, "path"))
    return {
        "root_uri": svc.public_uri(root),
        **p.page("files", [file_info(f) for f in files], None),
    }


def file_info(info) -> dict:
    """A ``FileInfo`` as MLflow's message (no size for a folder)."""
    entry = {"path": info.path, "is_dir": info.is_dir}
    if not info.is_dir and info.file_size is not None:
        entry["file_size"] = info.file_size
    return entry


# -- logged models (MLflow 3) -----------------------------------------------------------------


@endpoint("POST logged-models")
def create_logged_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST logged-models``: MLflow's ``CreateLoggedModel``."""
    name = p.string(message, "name")
    if name is not None:
        from labtrack.tracking_server.artifacts import relative_path

        relative_path(name)  # a name becomes a folder of the run: no '..' or absolute path
    model = svc.client.create_logged_model(
        p.experiment_id(p.string(message, "experiment_id", required=True)),
        name,
        source_run_id=p.string(message, "source_run_id"),
        tags=p.key_values(message, "tags"),
        params=p.key_values(message, "params"),
        model_type=p.string(message, "model_type"),
    )
    return {"model": lm.to_json(model, svc.public_uri)}


@endpoint("GET logged-models/{model_id}")
def get_logged_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET logged-models/{model_id}``: MLflow's ``GetLoggedModel``."""
    model = svc.client.get_logged_model(message["model_id"])
    return {"model": lm.to_json(model, svc.public_uri)}


@endpoint("PATCH logged-models/{model_id}")
def finalize_logged_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``PATCH logged-models/{model_id}``: MLflow's ``FinalizeLoggedModel``."""
    status = p._raw(message, "status", True)
    model = svc.client.finalize_logged_model(message["model_id"], status)
    return {"model": lm.to_json(model, svc.public_uri)}


@endpoint("DELETE logged-models/{model_id}")
def delete_logged_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE logged-models/{model_id}``: MLflow's ``DeleteLoggedModel``."""
    svc.client.delete_logged_model(message["model_id"])
    return {}


@endpoint("PATCH logged-models/{model_id}/tags")
def set_logged_model_tags(svc: Service, message: p.Message, user: str | None) -> dict:
    """``PATCH logged-models/{model_id}/tags``: MLflow's ``SetLoggedModelTags``."""
    svc.client.set_logged_model_tags(message["model_id"], p.key_values(message, "tags"))
    return {}


@endpoint("DELETE logged-models/{model_id}/tags/{tag_key}")
def delete_logged_model_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE logged-models/{model_id}/tags/{tag_key}``: MLflow's ``DeleteLoggedModelTag``."""
    svc.client.delete_logged_model_tag(message["model_id"], message["tag_key"])
    return {}


@endpoint("POST logged-models/{model_id}/params")
def log_logged_model_params(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST logged-models/{model_id}/params``: MLflow's ``LogLoggedModelParamsRequest``."""
    svc.client.log_model_params(message["model_id"], p.key_values(message, "params"))
    return {}


@endpoint("POST logged-models/search")
def search_logged_models(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST logged-models/search``: MLflow's ``SearchLoggedModels``."""
    models = svc.client.search_logged_models(
        p.experiment_ids(message),
        filter_string=p.string(message, "filter"),
        datasets=p.entries(message, "datasets", ("dataset_name",)) or None,
        max_results=p.page_size(message, 100),
        order_by=p.entries(message, "order_by", ("field_name",)) or None,
        page_token=p.string(message, "page_token"),
    )
    return p.page("models", [lm.to_json(m, svc.public_uri) for m in models], models.token)


@endpoint("POST logged-models/import")
def import_logged_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST logged-models/import``: labtrack's own (MLflow has no such route). A logged
    model (``model``, a ``LoggedModel`` message) with its id, times, status, tags, params and
    linked points, in ``experiment_id``, its files at ``artifact_path`` in its run's
    artifacts (``labtrack sync`` keeps model ids); one already here is brought up to date."""
    from labtrack.tracking_server.artifacts import relative_path

    model = lm.imported(message)
    run_id = p.string(message, "source_run_id")
    if run_id != model.source_run_id:  # the auth rule checked the top-level one
        raise InvalidParameter("source_run_id must be the model's source_run_id")
    path = p.string(message, "artifact_path") or model.name
    relative_path(path)  # a folder of the run: no '..' or absolute path
    model = svc.client.store.logged_models.import_logged_model(
        model, p.experiment_id(p.string(message, "experiment_id", required=True)), path
    )
    return {"model": lm.to_json(model, svc.public_uri)}


# -- registered models ------------------------------------------------------------------------


def _name(message: p.Message) -> str:
    return p.string(message, "name", required=True)


def _version(message: p.Message) -> str:
    return p.string(message, "version", required=True)


@endpoint("POST registered-models/create")
def create_registered_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST registered-models/create``: MLflow's ``CreateRegisteredModel``."""
    model = svc.client.create_registered_model(
        _name(message),
        tags=p.key_values(message, "tags"),
        description=p.string(message, "description"),
        user=user,
    )
    return {"registered_model": p.registered_model(model)}


@endpoint("GET registered-models/get")
def get_registered_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET registered-models/get``: MLflow's ``GetRegisteredModel``."""
    return {"registered_model": p.registered_model(svc.client.get_registered_model(_name(message)))}


@endpoint("POST registered-models/rename")
def rename_registered_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST registered-models/rename``: MLflow's ``RenameRegisteredModel``."""
    model = svc.client.rename_registered_model(
        _name(message), p.string(message, "new_name", required=True), user=user
    )
    return {"registered_model": p.registered_model(model)}


@endpoint("PATCH registered-models/update")
def update_registered_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``PATCH registered-models/update``: MLflow's ``UpdateRegisteredModel``."""
    model = svc.client.update_registered_model(
        _name(message), p.string(message, "description"), user=user
    )
    return {"registered_model": p.registered_model(model)}


@endpoint("DELETE registered-models/delete")
def delete_registered_model(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE registered-models/delete``: MLflow's ``DeleteRegisteredModel``."""
    svc.client.delete_registered_model(_name(message), user=user)
    return {}


# MLflow 3's client adds this term to every registered-model search to leave prompts out.
# labtrack's registry holds no prompts, so every model passes it; and labtrack's search reads
# ``!=`` on a tag that a model lacks as false, which would leave every model out.
_NOT_A_PROMPT = "tag.`mlflow.prompt.is_prompt` != 'true'"


def _without_prompt_term(filter_string: str | None) -> str | None:
    if filter_string is None or filter_string.strip() == _NOT_A_PROMPT:
        return None
    return filter_string.replace(f" AND {_NOT_A_PROMPT}", "")


@endpoint("GET registered-models/search")
def search_registered_models(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET registered-models/search``: MLflow's ``SearchRegisteredModels``."""
    models = svc.client.search_registered_models(
        filter_string=_without_prompt_term(p.string(message, "filter")),
        max_results=p.page_size(message, 100),
        order_by=p.strings(message, "order_by") or None,
        page_token=p.string(message, "page_token"),
    )
    return p.page("registered_models", [p.registered_model(m) for m in models], models.token)


@endpoint("GET registered-models/get-latest-versions", "POST registered-models/get-latest-versions")
def get_latest_versions(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET`` and ``POST registered-models/get-latest-versions``: MLflow's ``GetLatestVersions``."""
    versions = svc.client.get_latest_versions(_name(message), p.strings(message, "stages") or None)
    return p.page("model_versions", [p.model_version(v) for v in versions], None)


@endpoint("POST registered-models/set-tag")
def set_registered_model_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST registered-models/set-tag``: MLflow's ``SetRegisteredModelTag``."""
    svc.client.set_registered_model_tag(
        _name(message),
        p.string(message, "key", required=True),
        p.string(message, "value") or "",
        user=user,
    )
    return {}


@endpoint("DELETE registered-models/delete-tag")
def delete_registered_model_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE registered-models/delete-tag``: MLflow's ``DeleteRegisteredModelTag``."""
    svc.client.delete_registered_model_tag(
        _name(message), p.string(message, "key", required=True), user=user
    )
    return {}


@endpoint("POST registered-models/alias")
def set_registered_model_alias(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST registered-models/alias``: MLflow's ``SetRegisteredModelAlias``."""
    svc.client.set_registered_model_alias(
        _name(message), p.string(message, "alias", required=True), _version(message), user=user
    )
    return {}


@endpoint("DELETE registered-models/alias")
def delete_registered_model_alias(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE registered-models/alias``: MLflow's ``DeleteRegisteredModelAlias``."""
    svc.client.delete_registered_model_alias(
        _name(message), p.string(message, "alias", required=True), user=user
    )
    return {}


@endpoint("GET registered-models/alias")
def get_model_version_by_alias(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET registered-models/alias``: MLflow's ``GetModelVersionByAlias``."""
    version = svc.client.get_model_version_by_alias(
        _name(message), p.string(message, "alias", required=True)
    )
    return {"model_version": p.model_version(version)}


@endpoint("GET registered-models/history")
def get_registry_history(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET registered-models/history``: labtrack's own (MLflow has no such route). Every
    change to a model, or with ``version`` to one of its versions, newest first: what, from
    and to which value, who, when, and the comment (``RegistryEvent``'s fields)."""
    events = svc.client.get_registry_history(_name(message), p.string(message, "version"))
    return {"events": [dataclasses.asdict(event) for event in events]}


@endpoint("POST runs/import")
def import_run(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST runs/import``: labtrack's own (MLflow has no such route). A run with the given
    ``run_id``, ``run_name``, ``start_time``, ``end_time``, ``status``, ``lifecycle_stage`` and
    ``user_id``, as another store has it (``labtrack sync`` keeps run ids); its params, tags,
    metrics and artifacts follow through MLflow's routes. Signed in, the run is the user's."""
    status = p.string(message, "status") or RunStatus.FINISHED
    if status not in RunStatus.ALL:
        raise InvalidParameter(f"Invalid run status {status!r}; expected one of {RunStatus.ALL}")
    stage = p.string(message, "lifecycle_stage") or LifecycleStage.ACTIVE
    if stage not in (LifecycleStage.ACTIVE, LifecycleStage.DELETED):
        raise InvalidParameter(f"Invalid lifecycle stage {stage!r}")
    info = RunInfo(
        run_id=p.string(message, "run_id", required=True),
        experiment_id=p.experiment_id(p.string(message, "experiment_id") or "0"),
        run_name=p.string(message, "run_name") or "",
        status=status,
        start_time=p.integer(message, "start_time", required=True),
        end_time=p.integer(message, "end_time"),
        lifecycle_stage=stage,
        artifact_uri="",
        user_id=user or p.string(message, "user_id") or "",
    )
    run = Run(svc.client.store.runs.import_run(info), RunData())
    return {"run": p.run(run, svc.public_uri)}


# -- model versions ---------------------------------------------------------------------------


def _stored_source(svc: Service, source: str, run_id: str | None, model_id: str | None) -> str:
    """The source labtrack keeps for a new version: ``runs:/<run_id>/<path>`` for files in a
    run's artifacts (what labtrack's own registry writes), else the real URI of the files
    (never ``mlflow-artifacts:`` or a logged model's ``models:/m-...``)."""
    if source.startswith("models:/") and model_id:
        model = svc.client.get_logged_model(model_id)
        source, run_id = model.artifact_location, run_id or model.source_run_id
    source = svc.destination.stored_uri(source)
    _check_source(svc, source)
    if run_id and not is_runs_uri(source):
        root = svc.client.get_run(run_id).info.artifact_uri.rstrip("/")
        if source.rstrip("/").startswith(root + "/"):
            return f"runs:/{run_id}/{source.rstrip('/')[len(root) + 1 :]}"
    return source


def _check_source(svc: Service, source: str) -> None:
    """Refuse a source that climbs out of where it points (a ``..`` part), and files on the
    server's own disk outside the artifact destination: a version registered over HTTP must
    not hand out the server's other files (``/etc``) to whoever may download it."""
    from urllib.parse import unquote, urlparse

    from labtrack.tracking_server.artifacts import PROXY_SCHEME

    path = source.removeprefix("runs:/") if is_runs_uri(source) else urlparse(source).path
    if ".." in unquote(path).replace("\\", "/").split("/"):
        raise InvalidParameter(f"Invalid model version source {source!r}: it has a '..' part")
    scheme = urlparse(source).scheme
    local = not is_runs_uri(source) and (len(scheme) <= 1 or scheme == "file")
    if local and not (svc.public_uri(source) or "").startswith(PROXY_SCHEME):
        raise InvalidParameter(
            f"Invalid model version source {source!r}: files on the server must be under its "
            "artifacts destination (register runs:/<run_id>/<path> or mlflow-artifacts:/...)"
        )


@endpoint("POST model-versions/create")
def create_model_version(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST model-versions/create``: MLflow's ``CreateModelVersion``."""
    run_id, model_id = p.string(message, "run_id"), p.string(message, "model_id")
    name = _name(message)
    source = _stored_source(svc, p.string(message, "source", required=True), run_id, model_id)
    version = svc.client.create_model_version(
        name,
        source,
        run_id=run_id,
        tags=p.key_values(message, "tags"),
        run_link=p.string(message, "run_link"),
        description=p.string(message, "description"),
        user=user,
        model_id=model_id,
    )
    return {"model_version": p.model_version(version)}


@endpoint("GET model-versions/get")
def get_model_version(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET model-versions/get``: MLflow's ``GetModelVersion``."""
    version = svc.client.get_model_version(_name(message), _version(message))
    return {"model_version": p.model_version(version)}


@endpoint("PATCH model-versions/update")
def update_model_version(svc: Service, message: p.Message, user: str | None) -> dict:
    """``PATCH model-versions/update``: MLflow's ``UpdateModelVersion``."""
    version = svc.client.update_model_version(
        _name(message), _version(message), p.string(message, "description"), user=user
    )
    return {"model_version": p.model_version(version)}


@endpoint("DELETE model-versions/delete")
def delete_model_version(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE model-versions/delete``: MLflow's ``DeleteModelVersion``."""
    svc.client.delete_model_version(_name(message), _version(message), user=user)
    return {}


@endpoint("GET model-versions/search")
def search_model_versions(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET model-versions/search``: MLflow's ``SearchModelVersions``."""
    versions = svc.client.search_model_versions(
        filter_string=p.string(message, "filter"),
        max_results=p.page_size(message, 10_000),
        order_by=p.strings(message, "order_by") or None,
        page_token=p.string(message, "page_token"),
    )
    return p.page("model_versions", [p.model_version(v) for v in versions], versions.token)


@endpoint("POST model-versions/transition-stage")
def transition_model_version_stage(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST model-versions/transition-stage``: MLflow's ``TransitionModelVersionStage``."""
    version = svc.client.transition_model_version_stage(
        _name(message),
        _version(message),
        p.string(message, "stage", required=True),
        archive_existing_versions=p.boolean(message, "archive_existing_versions"),
        user=user,
    )
    return {"model_version": p.model_version(version)}


@endpoint("POST model-versions/set-tag")
def set_model_version_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``POST model-versions/set-tag``: MLflow's ``SetModelVersionTag``."""
    svc.client.set_model_version_tag(
        _name(message),
        _version(message),
        p.string(message, "key", required=True),
        p.string(message, "value") or "",
        user=user,
    )
    return {}


@endpoint("DELETE model-versions/delete-tag")
def delete_model_version_tag(svc: Service, message: p.Message, user: str | None) -> dict:
    """``DELETE model-versions/delete-tag``: MLflow's ``DeleteModelVersionTag``."""
    svc.client.delete_model_version_tag(
        _name(message), _version(message), p.string(message, "key", required=True), user=user
    )
    return {}


@endpoint("GET model-versions/get-download-uri")
def get_model_version_download_uri(svc: Service, message: p.Message, user: str | None) -> dict:
    """``GET model-versions/get-download-uri``: MLflow's ``GetModelVersionDownloadUri``."""
    uri = svc.client.get_model_version_download_uri(_name(message), _version(message))
    return {"artifact_uri": svc.public_uri(uri)}


def dumps(message: dict) -> bytes:
    """A response message as JSON bytes (NaN never appears: numbers are already encoded)."""
    return json.dumps(message, allow_nan=False).encode()


# labtrack's own routes, kept in their modules, register here so ENDPOINTS lists every route.
from labtrack.tracking_server import alerts as _alerts  # noqa: E402, F401
