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
from labtrack.entities.model_registry import logged_model_id_of
from labtrack.errors import InvalidParameter
from labtrack.registry import validation as rv
from labtrack.runs_uri import is_runs_uri, parse_runs_uri


def register_model(
    model_uri: str | os.PathLike,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict | None = None,
    env_pack: object = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``, creating the
    registered model if it does not exist yet. The version is ready when this returns, so
    ``await_registration_for`` (MLflow's wait for an asynchronous registry) has nothing to
    wait for; ``env_pack`` (Databricks model serving) is refused.

    A ``runs:/<run_id>/<path>`` URI records the run (which must be in this store); any other
    source is kept as given, except a local path, which is made absolute. Concurrent
    registrations, from any number of processes, get distinct consecutive version numbers.

    As in MLflow 3, the version's ``model_id`` names the logged model it registers: for
    ``models:/<model_id>`` that model (which must exist; the version's ``run_id`` is the run
    that logged it), for ``runs:/<run_id>/<path>`` the run's logged model named ``<path>``
    if it has one (the newest, if several).
    """
    from labtrack.client import Client

    if env_pack is not None:
        raise InvalidParameter(
            "env_pack (packing an environment for Databricks model serving) is not something "
            "labtrack's registry does"
        )
    source = rv.validate_source(
        os.fspath(model_uri) if isinstance(model_uri, os.PathLike) else model_uri
    )
    client = Client()
    run_id, model_id = None, logged_model_id_of(source)
    if is_runs_uri(source):
        run_id, path = parse_runs_uri(source)
        # NotFound unless the run is in this store.
        run = client.get_run(rv.validate_run_id(run_id))
        model_id = _run_logged_model(client, run, path)
    return client.create_model_version(
        name, source, run_id, tags, create_model=True, model_id=model_id
    )


def _run_logged_model(client, run, name: str) -> str | None:
    """The id of the run's newest live logged model called ``name``, or None."""
    # Filtered on the run id (hex) only, so a name with quotes needs no escaping.
    page_token = None
    while True:
        page = client.search_logged_models(
            [run.info.experiment_id],
            f"source_run_id = '{run.info.run_id}'",
            page_token=page_token,
        )
        for model in page:
            if model.name == name:
                return model.model_id
        page_token = page.token
        if not page_token:
            return None


__all__ = ["register_model"]


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list:
    """Registered models matching ``filter_string`` (e.g. ``"name LIKE 'iris%'"``), every page
    (at most ``max_results``): MLflow's fluent ``search_registered_models``."""
    from labtrack.client import Client

    return _every_page(Client().search_registered_models, max_results, filter_string, order_by)


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list:
    """Model versions matching ``filter_string`` (e.g. ``"name = 'iris'"``), every page (at
    most ``max_results``): MLflow's fluent ``search_model_versions``."""
    from labtrack.client import Client

    return _every_page(Client().search_model_versions, max_results, filter_string, order_by)


def set_model_version_tag(
    name: str, version: str | int | None = None, key: str | None = None, value: object = None
) -> None:
    """Set a tag on a model version: MLflow's fluent ``set_model_version_tag``."""
    from labtrack.client import Client

    Client().set_model_version_tag(name, version, key, value)


def _every_page(search, max_results: int | None, filter_string, order_by) -> list:
    found: list = []
    token = None
    while max_results is None or len(found) < max_results:
        page = search(filter_string, order_by=order_by, page_token=token)
        found += list(page)
        token = page.token
        if not token:
            break
    return found if max_results is None else found[:max_results]
