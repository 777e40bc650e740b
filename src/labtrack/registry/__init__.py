"""The model registry: named models, numbered versions, stages, aliases and their history.

``register_model`` is the fluent entry point; ``labtrack.Client`` holds the rest under
MLflow's names (``get_model_version``, ``set_registered_model_alias``, ...).

>>> import labtrack as lt                                              # doctest: +SKIP
>>> version = lt.register_model(f"runs:/{run_id}/model", "iris-svm")
>>> lt.Client().set_registered_model_alias("iris-svm", "champion", version.version)
"""

from __future__ import annotations

import os

from labtrack.entities import ModelVersion
from labtrack.registry import validation as rv
from labtrack.runs_uri import is_runs_uri, parse_runs_uri


def register_model(
    model_uri: str | os.PathLike, name: str, tags: dict | None = None
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``, creating the
    registered model if it does not exist yet.

    A ``runs:/<run_id>/<path>`` URI records the run (which must be in this store); any other
    source is kept as given, except a local path, which is made absolute. Concurrent registrations, from any number of
    processes, get distinct consecutive version numbers.
    """
    from labtrack.client import Client

    source = rv.validate_source(
        os.fspath(model_uri) if isinstance(model_uri, os.PathLike) else model_uri
    )
    run_id = parse_runs_uri(source)[0] if is_runs_uri(source) else None
    client = Client()
    if run_id is not None:
        client.get_run(rv.validate_run_id(run_id))  # NotFound unless the run is in this store
    return client.create_model_version(name, source, run_id, tags, create_model=True)


__all__ = ["register_model"]
