"""runs:/ URIs are parsed by one function, which the models and the registry share."""

from __future__ import annotations

import pytest

from labtrack.errors import InvalidParameter
from labtrack.runs_uri import is_runs_uri, parse_runs_uri

RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "uri, expected",
    [
        (f"runs:/{RUN_ID}/model", (RUN_ID, "model")),
        (f"runs:/{RUN_ID}/nested/model/", (RUN_ID, "nested/model")),
        (f"runs:/{RUN_ID}//model", (RUN_ID, "model")),
    ],
)
def test_run_id_and_path(uri, expected):
    assert is_runs_uri(uri) and parse_runs_uri(uri) == expected


@pytest.mark.parametrize("uri", ["runs:/", f"runs:/{RUN_ID}", f"runs:/{RUN_ID}/", "runs://model"])
def test_a_path_is_required_unless_told_otherwise(uri):
    with pytest.raises(InvalidParameter, match="runs:/<run_id>/<path"):
        parse_runs_uri(uri)


def test_the_whole_run_when_the_path_may_be_empty():
    assert parse_runs_uri(f"runs:/{RUN_ID}", path_required=False) == (RUN_ID, "")
    with pytest.raises(InvalidParameter):
        parse_runs_uri("runs:/", path_required=False)  # still needs a run


def test_other_uris_are_not_runs_uris():
    assert not is_runs_uri("models:/iris/1") and not is_runs_uri("/tmp/runs:/x")
    with pytest.raises(InvalidParameter, match="not a runs:/"):
        parse_runs_uri("models:/iris/1")


def test_the_registry_and_models_use_it():
    import labtrack.models.model_uri
    import labtrack.registry
    import labtrack.registry.client

    for module in (labtrack.models.model_uri, labtrack.registry, labtrack.registry.client):
        assert module.parse_runs_uri is parse_runs_uri
    assert not hasattr(labtrack.models.model_uri, "STAGES")  # the stages are ModelVersionStage's
