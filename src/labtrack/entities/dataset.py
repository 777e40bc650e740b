"""The datasets a run used (MLflow's ``Dataset``, ``InputTag``, ``DatasetInput`` and
``RunInputs``): what ``lt.log_input`` records and ``run.inputs.dataset_inputs`` reads."""

from __future__ import annotations

from dataclasses import dataclass, field

# The input tag that says what the run did with a dataset ("training", "eval", ...).
CONTEXT_TAG = "mlflow.data.context"


@dataclass(frozen=True)
class Dataset:
    """A dataset's description: ``name`` and ``digest`` identify it in an experiment;
    ``source_type`` and ``source`` (JSON) say where it came from; ``schema`` and ``profile``
    are JSON text, or None."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class InputTag:
    """A tag on a run's use of a dataset (``mlflow.data.context``: ``training``, ...)."""

    key: str
    value: str


@dataclass(frozen=True)
class DatasetInput:
    """One dataset a run used, with the tags of that use."""

    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)


@dataclass(frozen=True)
class RunInputs:
    """What a run used: ``dataset_inputs`` (MLflow's ``RunInputs``)."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)
