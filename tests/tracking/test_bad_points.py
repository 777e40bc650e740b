"""Bad points never cost good ones: out-of-range numbers are refused at the call site, and
a point the store refuses anyway is set aside while the rest of its batch is written."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

import labtrack as lt
from labtrack.entities import Metric
from labtrack.errors import InvalidParameter, InvalidState
from labtrack.store.sql import schema
from labtrack.tracking.state import client as current_client

OUT_OF_RANGE = [2**63, np.uint64(2**63), -(2**63) - 1, 10**30, 2**63 + 0.0]


@pytest.mark.parametrize("step", OUT_OF_RANGE, ids=repr)
def test_a_step_outside_int64_is_refused_at_the_call_site_and_logging_goes_on(tracking_uri, step):
    with lt.start_run() as run:
        lt.log_metric("loss", 1.0, step=1)
        with pytest.raises(
            InvalidParameter, match=r"step of metric 'loss' .* outside the signed 64-bit range"
        ):
            lt.log_metric("loss", 2.0, step=step)
        with pytest.raises(InvalidParameter, match="'acc'"):
            lt.log_metrics({"acc": 0.5}, step=step)
        with pytest.raises(InvalidParameter, match="'loss'"):
            lt.Client().log_batch(run.info.run_id, metrics=[Metric("loss", 3.0, 0, step)])
        lt.log_metric("loss", 4.0, step=2)  # the writer is not blocked by what was refused
    history = lt.Client().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(1, 1.0), (2, 4.0)]
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"


@pytest.mark.parametrize("timestamp", [2**63, np.uint64(2**64 - 1), -(2**63) - 1], ids=repr)
def test_a_timestamp_outside_int64_is_refused_naming_key_and_value(tracking_uri, timestamp):
    with lt.start_run():
        with pytest.raises(
            InvalidParameter, match=rf"timestamp of metric 'loss' {int(timestamp)} is outside"
        ):
            lt.log_metric("loss", 1.0, timestamp=timestamp)


def test_the_int64_bounds_themselves_are_accepted(tracking_uri):
    with lt.start_run() as run:
        for step in (-(2**63), 2**63 - 1, np.int64(5)):
            lt.log_metric("edge", 1.0, step=step, timestamp=2**63 - 1)
    steps = [m.step for m in lt.Client().get_metric_history(run.info.run_id, "edge")]
    assert steps == [-(2**63), 5, 2**63 - 1]


def test_a_value_beyond_float64_is_invalid_parameter_not_overflow_error(tracking_uri):
    with lt.start_run():
        with pytest.raises(
            InvalidParameter, match=r"metric 'big' value 1000.*too large for a 64-bit float"
        ):
            lt.log_metric("big", 10**400)


@pytest.mark.parametrize("max_results", [0, -1, 1.5, True])
def test_max_results_must_be_positive(tracking_uri, max_results):
    with lt.start_run():
        pass
    with pytest.raises(InvalidParameter, match="max_results must be a positive integer"):
        lt.search_runs(max_results=max_results)
    with pytest.raises(InvalidParameter, match="max_results must be a positive integer"):
        lt.Client().search_runs(["0"], max_results=max_results)
    with pytest.raises(InvalidParameter, match="max_results must be a positive integer"):
        lt.search_experiments(max_results=max_results)


def test_a_point_the_store_refuses_is_set_aside_and_the_rest_of_its_batch_is_written(
    tracking_uri, capsys
):
    """Call-site checks make such points rare; if one gets through (here: put straight into
    the writer's buffer), it must not hold the good points hostage."""
    client = lt.Client()
    run_id = client.create_run("0").info.run_id
    pk = client.store.runs.run_pk(run_id)
    good = [(pk, "loss", float(step), 1000 + step, step) for step in range(10)]
    bad = (pk, "loss", 99.0, 1000, 2**64)  # no 64-bit column holds this step
    client.writer.add_many(good[:5] + [bad] + good[5:])
    with pytest.raises(
        InvalidParameter, match=r"refused 1 metric point.*'loss' step 18446744073709551616.*out of"
    ):
        client.flush()
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == list(range(10))
    assert [row for row, _reason in client.writer.rejected] == [bad]
    # ... and on record beyond this process, with the reason.
    from labtrack.cli import main as cli
    from labtrack.store.spool import Spool

    [(run, key, value, _timestamp, step, reason)] = Spool(tracking_uri).refused()
    assert (run, key, value, step) == (run_id, "loss", 99.0, str(2**64)) and "out of" in reason
    assert cli(["--tracking-uri", tracking_uri, "spool", "refused"]) == 0
    assert cli(["spool", "status"]) == 0
    out = capsys.readouterr().out
    assert (
        f"run {run_id} 'loss' step {2**64} value 99.0" in out
        and "1 points the store refused" in out
    )
    client.log_metric(run_id, "loss", 0.5, step=10)
    client.flush()  # reported once: later flushes succeed
    assert len(client.get_metric_history(run_id, "loss")) == 11


def test_points_of_a_run_removed_from_the_store_do_not_block_other_runs(
    tracking_uri, remove_run, park_writer
):
    client = lt.Client()
    park_writer(client.writer)  # the points wait in the buffer until the flush below
    kept, removed = (client.create_run("0").info.run_id for _ in range(2))
    client.log_metric(kept, "x", 1.0, step=1)
    client.log_metric(removed, "x", 1.0, step=1)
    client.log_metric(kept, "x", 2.0, step=2)
    remove_run(removed)  # by another process, while these points wait in the buffer
    with pytest.raises(
        InvalidParameter, match=f"run {removed}: its run no longer exists in the store"
    ):
        client.flush()
    assert [m.value for m in client.get_metric_history(kept, "x")] == [1.0, 2.0]
    client.set_terminated(kept)
    assert client.get_run(kept).info.status == "FINISHED"


def _rows_of_run(tracking_uri: str, pk: int) -> dict[str, int]:
    other = sa.create_engine(tracking_uri.replace("postgresql://", "postgresql+psycopg://"))
    with other.connect() as conn:
        counts = {
            table.name: conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.run_id == pk)
            ).scalar()
            for table in (schema.tags, schema.params, schema.latest_metrics, schema.metrics)
        }
    other.dispose()
    return counts


def test_what_waits_for_a_run_removed_from_the_store_is_reported_and_leaves_no_rows(
    tracking_uri, remove_run, park_writer
):
    # A run this process started: its params and tags wait in memory with its points, and
    # the writer's transactions on SQLite check the runs once, not each row's foreign keys.
    run = lt.start_run()
    park_writer(current_client().writer)  # they wait until the flush below
    lt.log_params({"lr": 0.1, "depth": 3})
    lt.set_tag("team", "vision")
    lt.log_metric("loss", 1.0, step=1)
    pk = remove_run(run.info.run_id)
    with pytest.raises(InvalidParameter, match="its run no longer exists in the store"):
        lt.flush()
    with pytest.raises(InvalidState, match="no longer exists in the store: its params and tags"):
        lt.flush()  # reported next: the points' error came first
    lt.end_run()
    lt.flush()
    assert _rows_of_run(tracking_uri, pk) == {
        "tags": 0,
        "params": 0,
        "latest_metrics": 0,
        "metrics": 0,
    }
    with lt.start_run() as later:  # logging goes on
        lt.log_param("lr", 0.2)
        lt.log_metric("loss", 0.5, step=1)
    stored = lt.Client().get_run(later.info.run_id)
    assert stored.data.params == {"lr": "0.2"} and stored.data.metrics == {"loss": 0.5}


@pytest.mark.parametrize("number", ["99999999999999999999999", str(2**31)])
def test_ids_and_versions_beyond_the_store_columns_are_invalid_parameters(tracking_uri, number):
    client = lt.Client()
    with pytest.raises(InvalidParameter, match="experiment id .* is out of range"):
        client.get_experiment(number)
    with pytest.raises(
        InvalidParameter, match="model version .* is beyond the largest a store keeps"
    ):
        client.get_model_version("any", number)


def test_run_start_and_end_times_outside_int64_are_refused_and_the_run_can_still_end(tracking_uri):
    client = lt.Client()
    with pytest.raises(InvalidParameter, match="timestamp 18446744073709551616 is outside"):
        client.create_run("0", start_time=2**64)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidParameter, match="timestamp .* is outside"):
        client.set_terminated(run_id, end_time=-(2**63) - 1)
    client.set_terminated(run_id, end_time=1234)
    assert (client.get_run(run_id).info.status, client.get_run(run_id).info.end_time) == (
        "FINISHED",
        1234,
    )
