"""MLflow's REST JSON (the messages of its ``service.proto`` and ``model_registry.proto``, as
``message_to_json`` writes them) read into labtrack's entities, and metric values written
the way protobuf's JSON spells them.

Unset fields are left out of MLflow's JSON, int64 fields may come as numbers or decimal
strings, doubles that are not finite as ``"NaN"``/``"Infinity"``/``"-Infinity"``; model
versions are strings there and ints here.
"""

from __future__ import annotations

import math
from typing import Any

from labtrack.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)

Message = dict[str, Any]

_NON_FINITE = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf, "inf": math.inf}


def json_number(value: float) -> float | str:
    """A double as protobuf's JSON writes it: non-finite values as strings."""
    if math.isfinite(value):
        return value
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


def number(value: Any) -> float:
    """A double from MLflow's JSON (a number, or a string such as ``"NaN"``)."""
    if isinstance(value, str):
        special = _NON_FINITE.get(value.strip().lower())
        return special if special is not None else float(value)
    return float(value)


def integer(value: Any, default: int | None = None) -> int | None:
    """An int64 field: a JSON number or a decimal string; ``default`` when unset."""
    return default if value is None or value == "" else int(value)


def pairs(items: list[Message] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` as a dict (a tag set to "" has no ``value``)."""
    return {item["key"]: item.get("value", "") for item in items or ()}


def key_values(values: dict[str, Any]) -> list[dict[str, str]]:
    """A dict as MLflow's repeated key/value messages."""
    return [{"key": key, "value": str(value)} for key, value in values.items()]


def experiment(message: Message) -> Experiment:
    """An ``Experiment`` message."""
    return Experiment(
        experiment_id=str(message["experiment_id"]),
        name=message.get("name", ""),
        artifact_location=message.get("artifact_location", ""),
        lifecycle_stage=message.get("lifecycle_stage", "active"),
        tags=pairs(message.get("tags")),
        creation_time=integer(message.get("creation_time")),
        last_update_time=integer(message.get("last_update_time")),
    )


def metric(message: Message) -> Metric:
    """A ``Metric`` message (a history point or a run's latest value)."""
    return Metric(
        key=message["key"],
        value=number(message.get("value", 0.0)),
        timestamp=integer(message.get("timestamp"), 0),
        step=integer(message.get("step"), 0),
    )


def run_info(message: Message) -> RunInfo:
    """A ``RunInfo`` message."""
    return RunInfo(
        run_id=message.get("run_id") or message["run_uuid"],
        experiment_id=str(message.get("experiment_id", "")),
        run_name=message.get("run_name", ""),
        status=message.get("status", "RUNNING"),
        start_time=integer(message.get("start_time"), 0),
        end_time=integer(message.get("end_time")),
        lifecycle_stage=message.get("lifecycle_stage", "active"),
        artifact_uri=message.get("artifact_uri", ""),
        user_id=message.get("user_id", ""),
    )


def run(message: Message) -> Run:
    """A ``Run`` message: its info and data (params, tags, latest metric values)."""
    data = message.get("data") or {}
    metrics = tuple(metric(item) for item in data.get("metrics") or ())
    return Run(
        info=run_info(message["info"]),
        data=RunData(
            params=pairs(data.get("params")),
            tags=pairs(data.get("tags")),
            metrics={point.key: point.value for point in metrics},
            latest_metrics=metrics,
        ),
        inputs=run_inputs(message.get("inputs")),
        outputs=run_outputs(message.get("outputs")),
    )


def model_version(message: Message) -> ModelVersion:
    """A ``ModelVersion`` message (its version number as an int)."""
    return ModelVersion(
        name=message["name"],
        version=int(message["version"]),
        creation_timestamp=integer(message.get("creation_timestamp"), 0),
        last_updated_timestamp=integer(message.get("last_updated_timestamp"), 0),
        description=message.get("description"),
        user_id=message.get("user_id", ""),
        current_stage=message.get("current_stage", ModelVersionStage.NONE),
        source=message.get("source", ""),
        run_id=message.get("run_id") or None,
        status=message.get("status", ModelVersionStatus.READY),
        status_message=message.get("status_message"),
        tags=pairs(message.get("tags")),
        aliases=list(message.get("aliases") or ()),
        run_link=message.get("run_link") or None,
        model_id=message.get("model_id") or None,
    )


def registered_model(message: Message) -> RegisteredModel:
    """A ``RegisteredModel`` message (its aliases as alias -> version number)."""
    return RegisteredModel(
        name=message["name"],
        creation_timestamp=integer(message.get("creation_timestamp"), 0),
        last_updated_timestamp=integer(message.get("last_updated_timestamp"), 0),
        description=message.get("description"),
        latest_versions=[model_version(item) for item in message.get("latest_versions") or ()],
        tags=pairs(message.get("tags")),
        aliases={item["alias"]: int(item["version"]) for item in message.get("aliases") or ()},
    )


def logged_model(message: Message) -> LoggedModel:
    """A ``LoggedModel`` message (``info`` and ``data``)."""
    info, data = message.get("info") or {}, message.get("data") or {}
    return LoggedModel(
        experiment_id=str(info.get("experiment_id", "")),
        model_id=info["model_id"],
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri", ""),
        creation_timestamp=integer(info.get("creation_timestamp_ms"), 0),
        last_updated_timestamp=integer(info.get("last_updated_timestamp_ms"), 0),
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        status=LoggedModelStatus.canonical(info.get("status", "LOGGED_MODEL_STATUS_UNSPECIFIED")),
        status_message=info.get("status_message") or None,
        tags=pairs(info.get("tags")),
        params=pairs(data.get("params")),
        metrics=[
            LoggedModelMetric(
                key=item["key"],
                value=number(item.get("value", 0.0)),
                timestamp=integer(item.get("timestamp"), 0),
                step=integer(item.get("step"), 0),
                model_id=item.get("model_id") or info["model_id"],
                dataset_name=item.get("dataset_name") or None,
                dataset_digest=item.get("dataset_digest") or None,
                run_id=item.get("run_id") or None,
            )
            for item in data.get("metrics") or ()
        ],
    )


def dataset_json(dataset: Dataset) -> Message:
    """A ``Dataset`` as MLflow's message (unset schema and profile left out)."""
    fields = ("name", "digest", "source_type", "source", "schema", "profile")
    return {k: getattr(dataset, k) for k in fields if getattr(dataset, k) is not None}


def dataset_input_json(item: DatasetInput) -> Message:
    """A ``DatasetInput`` as MLflow's message."""
    return {
        "tags": [{"key": t.key, "value": t.value} for t in item.tags],
        "dataset": dataset_json(item.dataset),
    }


def run_outputs(message: Message | None) -> RunOutputs:
    """A ``RunOutputs`` message: the models a run logged (a step left out is 0)."""
    return RunOutputs(
        [
            LoggedModelOutput(item["model_id"], integer(item.get("step"), 0))
            for item in (message or {}).get("model_outputs") or ()
        ]
    )


def run_inputs(message: Message | None) -> RunInputs:
    """A ``RunInputs`` message: the datasets a run used."""
    return RunInputs(
        [
            DatasetInput(
                Dataset(
                    name=d["name"],
                    digest=d.get("digest", ""),
                    source_type=d.get("source_type", ""),
                    source=d.get("source", ""),
                    schema=d.get("schema"),
                    profile=d.get("profile"),
                ),
                [InputTag(t["key"], t.get("value", "")) for t in item.get("tags") or ()],
            )
            for item in (message or {}).get("dataset_inputs") or ()
            for d in [item.get("dataset") or {}]
        ]
    )
