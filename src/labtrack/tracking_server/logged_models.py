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
from labtrack.store.rest.convert import dataset_input_json
from labtrack.store.rest.logged_models import logged_model_json


def to_json(model: LoggedModel, public_uri: Callable[[str | None], str | None]) -> dict:
    """A logged model as MLflow's ``LoggedModel`` message; its artifact location as clients
    reach it (``public_uri``)."""
    return logged_model_json(model, public_uri(model.artifact_location))


def imported(message: dict) -> LoggedModel:
    """The ``model`` of a ``POST logged-models/import`` request (a ``LoggedModel`` message);
    a message that is not one is refused by name."""
    from labtrack.store.rest.convert import logged_model

    model = message.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("info"), dict):
        raise InvalidParameter("Missing value for required parameter 'model' (a LoggedModel)")
    try:
        return logged_model(model)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidParameter(f"Invalid value for parameter 'model': {error!r}") from None


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
