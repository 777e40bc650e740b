"""Run and registered model names are checked by one rule (``validation.validate_name``):
a string, not blank, within its limit; the error names which name was refused."""

from __future__ import annotations

import pytest

from labtrack.errors import InvalidParameter


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "run name must be a non-empty string, got '   '"),
        (7, "run name must be a non-empty string, got 7"),
        ("r" * 251, "run name is 251 characters; the limit is 250"),
    ],
)
def test_a_bad_run_name_is_refused_with_the_reason(client, name, message):
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter) as refused:
        client.update_run(run_id, name=name)
    assert str(refused.value) == message
    assert client.update_run(run_id, name="r" * 250) is None  # at the limit: kept


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "registered model name must be a non-empty string, got ''"),
        ("m" * 257, "registered model name is 257 characters; the limit is 256"),
    ],
)
def test_a_bad_model_name_is_refused_with_the_reason(client, name, message):
    with pytest.raises(InvalidParameter) as refused:
        client.create_registered_model(name)
    assert str(refused.value) == message
    assert client.create_registered_model("m" * 256).name == "m" * 256
