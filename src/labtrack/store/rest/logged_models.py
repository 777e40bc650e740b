"""The ``logged_models`` and ``datasets`` parts of the HTTP store: MLflow 3's
``logged-models`` routes and ``runs/log-inputs``, as ``labtrack server`` and ``mlflow server``
answer them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from labtrack.entities import DatasetInput, LoggedModel, LoggedModelOutput, LoggedModelStatus
from labtrack.entities.logged_model import MODEL_ID, LoggedModelMetric
from labtrack.errors import InvalidParameter, NotFound
from labtrack.store.rest import convert
from labtrack.store.rest.http import HttpClient

# MLflow's limit on one runs/log-batch request's metrics.
_METRICS_PER_BATCH = 1000


def _route(model_id: str) -> str:
    if not MODEL_ID.fullmatch(model_id or ""):  # never a path of the caller's making
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return f"logged-models/{model_id}"


def logged_model_json(model: LoggedModel, artifact_uri: str | None) -> dict:
    """A logged model as MLflow's ``LoggedModel`` message (``convert.logged_model`` reads it
    back), its files at ``artifact_uri``."""
    info = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "creation_timestamp_ms": model.creation_timestamp,
        "last_updated_timestamp_ms": model.last_updated_timestamp,
        "status": LoggedModelStatus.to_proto(model.status),
        "status_message": model.status_message,
        "model_type": model.model_type,
        "source_run_id": model.source_run_id,
        "artifact_uri": artifact_uri,
        "tags": [{"key": k, "value": v} for k, v in model.tags.items()],
    }
    data = {
        "params": [{"key": k, "value": v} for k, v in model.params.items()],
        "metrics": [
            {
                key: value
                for key, value in (
                    ("key", m.key),
                    ("value", convert.json_number(m.value)),
                    ("timestamp", m.timestamp),
                    ("step", m.step),
                    ("model_id", m.model_id),
                    ("dataset_name", m.dataset_name),
                    ("dataset_digest", m.dataset_digest),
                    ("run_id", m.run_id),
                )
                if value is not None
            }
            for m in model.metrics
        ],
    }
    return {
        "info": {k: v for k, v in info.items() if v not in (None, "", [])},
        "data": {k: v for k, v in data.items() if v},
    }


class RestLoggedModels:
    """Logged models over MLflow 3's REST API (``logged-models/*``)."""

    # A server logs a point linked to a model to the run as well (MLflow's runs/log-batch
    # with model_id), so the client sends no second copy through its writer.
    logs_run_points = True

    def __init__(self, http: HttpClient):
        self.http = http

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        step: int | None = None,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A new ``PENDING`` logged model (``CreateLoggedModel``); the server gives its id."""
        if model_id is not None:
            raise InvalidParameter("a tracking server gives logged models their ids")
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "tags": convert.key_values(dict(tags or {})),
            "params": convert.key_values(dict(params or {})),
        }
        for key, value in (("name", name), ("source_run_id", source_run_id)):
            if value:
                body[key] = value
        if model_type:
            body["model_type"] = model_type
        model = convert.logged_model(self.http.call("POST", "logged-models", body)["model"])
        if step is not None and source_run_id:
            self.http.call(
                "POST",
                "runs/outputs",
                {"run_id": source_run_id, "models": [{"model_id": model.model_id, "step": step}]},
            )
        return model

    def import_logged_model(
        self, model: LoggedModel, experiment_id: str, artifact_path: str | None = None
    ) -> LoggedModel:
        """Create or bring up to date a model with its id, times and linked points
        (``POST logged-models/import``: labtrack server's own route, see the SQL store's
        ``import_logged_model``). A server without the route (MLflow's) is refused."""
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "model": logged_model_json(model, None),
        }
        if model.source_run_id:
            body["source_run_id"] = model.source_run_id  # the auth rule reads it here
        if artifact_path:
            body["artifact_path"] = artifact_path
        try:
            answer = self.http.call("POST", "logged-models/import", body)
        except NotFound as error:
            if any(word in str(error).lower() for word in ("experiment", "run")):
                raise  # the route answered: the experiment or run is missing
            raise InvalidParameter(
                "this tracking server cannot create logged models with given ids (only "
                "labtrack server can)"
            ) from None
        return convert.logged_model(answer["model"])

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """The logged model with this id (``GetLoggedModel``); ``NotFound`` if none."""
        answer = self.http.call("GET", _route(model_id))
        return convert.logged_model(answer["model"])

    def finalize_logged_model(
        self, model_id: str, status: str, status_message: str | None = None
    ) -> LoggedModel:
        """Set a model's status (``FinalizeLoggedModel``)."""
        body = {"model_id": model_id, "status": LoggedModelStatus.to_proto(status)}
        return convert.logged_model(self.http.call("PATCH", _route(model_id), body)["model"])

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set tags of a model (``SetLoggedModelTags``)."""
        body = {"tags": convert.key_values(dict(tags))}
        self.http.call("PATCH", f"{_route(model_id)}/tags", body)

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Set params of a model (``LogLoggedModelParamsRequest``)."""
        body = {"model_id": model_id, "params": convert.key_values(dict(params))}
        self.http.call("POST", f"{_route(model_id)}/params", body)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag (``DeleteLoggedModelTag``)."""
        self.http.call("DELETE", f"{_route(model_id)}/tags/{quote(key, safe='')}")

    def delete_logged_model(self, model_id: str) -> None:
        """Mark a model deleted (``DeleteLoggedModel``)."""
        self.http.call("DELETE", _route(model_id), {"model_id": model_id})

    def log_logged_model_metrics(self, metrics: Sequence[LoggedModelMetric]) -> None:
        """Log points to their runs linked to their models: ``runs/log-batch`` with
        ``model_id`` and the dataset on each point, as MLflow's client sends them."""
        by_run: dict[str, list[LoggedModelMetric]] = {}
        for m in metrics:
            by_run.setdefault(m.run_id or "", []).append(m)
        for run_id, points in by_run.items():
            for start in range(0, len(points), _METRICS_PER_BATCH):
                items = []
                for m in points[start : start + _METRICS_PER_BATCH]:
                    item = {
                        "key": m.key,
                        "value": convert.json_number(m.value),
                        "timestamp": m.timestamp,
                        "step": m.step,
                        "model_id": m.model_id,
                    }
                    if m.dataset_name is not None:
                        item.update(dataset_name=m.dataset_name, dataset_digest=m.dataset_digest)
                    items.append(item)
                self.http.call("POST", "runs/log-batch", {"run_id": run_id, "metrics": items})

    def log_outputs(self, run_id: str, outputs: Sequence[LoggedModelOutput]) -> None:
        """Record the models a run logged (``POST runs/outputs``: MLflow's ``LogOutputs``)."""
        models = [{"model_id": o.model_id, "step": o.step} for o in outputs]
        self.http.call("POST", "runs/outputs", {"run_id": run_id, "models": models})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, str]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[LoggedModel], str | None]:
        """A page of matching models and the next page's token (``SearchLoggedModels``)."""
        body: dict[str, Any] = {"experiment_ids": [str(i) for i in experiment_ids]}
        for key, value in (
            ("filter", filter_string),
            ("datasets", list(datasets or ()) or None),
            ("max_results", max_results),
            ("order_by", list(order_by or ()) or None),
            ("page_token", page_token),
        ):
            if value is not None:
                body[key] = value
        answer = self.http.call("POST", "logged-models/search", body)
        models = [convert.logged_model(m) for m in answer.get("models") or ()]
        return models, answer.get("next_page_token") or None


class RestDatasets:
    """The datasets runs used, over ``runs/log-inputs``; ``runs/get`` brings them back."""

    def __init__(self, http: HttpClient):
        self.http = http

    def log_inputs(self, run_uuid: str, inputs: Sequence[DatasetInput]) -> None:
        """Record that the run used these datasets (``LogInputs``)."""
        body = {"run_id": run_uuid, "datasets": [convert.dataset_input_json(i) for i in inputs]}
        self.http.call("POST", "runs/log-inputs", body)
