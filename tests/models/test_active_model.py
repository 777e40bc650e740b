"""Which logged model a metric logged without ``model_id`` is linked to, by MLflow 3's rule:
the active model (``set_active_model``, ``MLFLOW_ACTIVE_MODEL_ID``), else the model its run
logged at the metric's step; and ``create_external_model``."""

from __future__ import annotations

import threading

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, NotFound


@pytest.fixture(autouse=True)
def no_active_model():
    yield
    lt.clear_active_model()


def _linked(model_id: str) -> list[tuple[str, float, int]]:
    return [(m.key, m.value, m.step) for m in lt.get_logged_model(model_id).metrics]


def test_a_metric_at_the_step_a_run_logged_a_model_is_linked_to_it():
    """What the real MLflow 3.17 does: the same run and step link, another run does not."""
    with lt.start_run():
        info = lt.log_model(lambda frame: frame, name="m", step=2)
        lt.log_metric("at_its_step", 1.0, step=2)
        lt.log_metric("at_another_step", 2.0, step=3)
        lt.log_metrics({"both_at_its_step": 3.0}, step=2)
    with lt.start_run():
        lt.log_metric("in_another_run", 4.0, step=2)
    lt.flush()
    assert sorted(_linked(info.model_id)) == [("at_its_step", 1.0, 2), ("both_at_its_step", 3.0, 2)]


def test_the_active_model_takes_the_metrics_and_a_with_block_restores_the_one_before():
    with lt.start_run():
        with lt.set_active_model(name="agent-v1") as first:
            assert lt.get_active_model_id() == first.model_id
            lt.log_metric("quality", 0.7)
            second = lt.set_active_model(name="agent-v2")
            lt.log_metric("quality", 0.8)
            with lt.set_active_model(model_id=first.model_id):
                lt.log_metric("latency", 12.0)
            assert lt.get_active_model_id() == second.model_id
        assert lt.get_active_model_id() is None
        lt.log_metric("unlinked", 1.0)
    lt.flush()
    assert sorted(_linked(first.model_id)) == [("latency", 12.0, 0), ("quality", 0.7, 0)]
    assert _linked(second.model_id) == [("quality", 0.8, 0)]
    # By name again: the same model, not a new one.
    assert lt.set_active_model(name="agent-v1").model_id == first.model_id
    external = lt.get_logged_model(first.model_id)
    assert external.tags["mlflow.model.isExternal"] == "true" and external.status == "READY"


def test_clear_and_bad_arguments():
    model = lt.create_external_model(name="served-elsewhere", params={"k": 3})
    assert model.status == "READY" and model.params == {"k": "3"}
    lt.set_active_model(model_id=model.model_id)
    lt.clear_active_model()
    assert lt.get_active_model_id() is None
    with pytest.raises(InvalidParameter, match="name or a model_id"):
        lt.set_active_model()
    with pytest.raises(InvalidParameter, match="not 'other'"):
        lt.set_active_model(name="other", model_id=model.model_id)
    with pytest.raises(NotFound):
        lt.set_active_model(model_id="m-" + "0" * 32)


def test_mlflows_variable_names_the_active_model_of_a_new_thread(monkeypatch):
    model = lt.create_external_model(name="from-env")
    monkeypatch.setenv("MLFLOW_ACTIVE_MODEL_ID", model.model_id)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(lt.get_active_model_id()))
    thread.start()
    thread.join()
    assert seen == [model.model_id]
