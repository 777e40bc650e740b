"""MLflow 3's logged models and run inputs as the REST API spells them.

The store keeps logged models (``labtrack.store.sql.logged_models``): a model logged in a run
has its files in the run's artifacts (``runs:/<run_id>/<name>``, where labtrack's own
``log_model`` writes them too); one logged without a run under ``<experiment's artifact
location>/models/<model_id>/artifacts``, as in MLflow. Here are only the conversions between
the store's entities and MLflow's JSON messages.
"""

from __future__ import annotations

from collections.abc import Callable

from labtrack.entities import Dataset, DatasetInput, InputTag, LoggedModel, RunInputs
from labtrack.entities.logged_model import LoggedModelStatus
from labtrack.errors import InvalidParameter
from labtrack.store.rest.convert import dataset_input_json, json_number


def to_json(model: LoggedModel, public_uri: Callable[[str | None], str | None]) -> dict:
    """A logged model as MLflow's ``LoggedModel`` message; its artifact location as clients
    reach it (``public_uri``)."""
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
        "artifact_uri": public_uri(model.artifact_location),
        "tags": [{"key": k, "value": v} for k, v in model.tags.items()],
    }
    data = {
        "params": [{"key": k, "value": v} for k, v in model.params.items()],
        "metrics": [
            {
                key: value
                for key, value in (
                    ("key", m.key),
                    ("value", json_number(m.value)),
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


def inputs_json(inputs: RunInputs) -> dict:
    """A run's ``inputs`` field (MLflow's ``RunInputs``), empty when it used no dataset."""
    if not inputs.dataset_inputs:
        return {}
    return {"inputs": {"dataset_inputs": [dataset_input_json(i) for i in inputs.dataset_inputs]}}


def dataset_inputs(items: list[dict]) -> list[DatasetInput]:
    """``LogInputs.datasets`` as entities; a dataset without its required fields is refused."""
    found = []
    for item in items:
        d = item["dataset"]
        if not isinstance(d, dict):
            raise InvalidParameter("Invalid value for parameter 'datasets.dataset': not an object")
        for key in ("name", "digest", "source_type", "source"):
            if not isinstance(d.get(key), str) or not d[key]:
                raise InvalidParameter(f"Missing value for required parameter 'dataset.{key}'.")
        tags = [
            InputTag(str(t.get("key", "")), str(t.get("value", "")))
            for t in item.get("tags") or ()
            if isinstance(t, dict)
        ]
        dataset = Dataset(
            d["name"], d["digest"], d["source_type"], d["source"], d.get("schema"), d.get("profile")
        )
        found.append(DatasetInput(dataset, tags))
    return found


# Where labtrack server kept logged models before the store had them: one JSON file each in
# the artifact destination (``logged-models/<model_id>.json``).
RECORDS = "logged-models"


def import_records(client, repository) -> int:
    """Move the logged models an older labtrack server kept as JSON files in the artifact
    destination (``repository``) into the store, keeping their ids, names, tags, params,
    status and file locations; a model the store already has is left alone, so this runs at
    every start at the cost of one listing. Returns how many were imported."""
    import json

    from labtrack.entities.logged_model import MODEL_ID
    from labtrack.errors import NotFound

    imported = 0
    for info in repository.list_artifacts(RECORDS):
        model_id = info.path.rsplit("/", 1)[-1].removesuffix(".json")
        if info.is_dir or not MODEL_ID.fullmatch(model_id):
            continue
        try:
            client.get_logged_model(model_id, allow_deleted=True)
            continue  # imported already
        except NotFound:
            pass
        try:
            record = json.loads(repository.read_bytes(info.path))
            client.create_logged_model(
                record["experiment_id"],
                record.get("name"),
                source_run_id=record.get("source_run_id"),
                tags=record.get("tags") or {},
                params=record.get("params") or {},
                model_type=record.get("model_type"),
                model_id=model_id,
            )
        except (NotFound, KeyError, ValueError, InvalidParameter):
            continue  # its experiment or run is gone, or the file is not a record: skip it
        client.finalize_logged_model(model_id, record.get("status") or LoggedModelStatus.PENDING)
        if record.get("deleted"):
            client.delete_logged_model(model_id)
        imported += 1
    return imported
