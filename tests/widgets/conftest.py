from __future__ import annotations

import pytest

import labtrack as lt


@pytest.fixture
def sweep(tracking_uri):
    """An experiment of four finished runs with params, metrics and curves."""
    lt.set_experiment("sweep")
    ids = {}
    for name, lr, optimizer in [
        ("a", 0.1, "sgd"),
        ("b", 0.01, "adam"),
        ("c", 0.001, "adam"),
        ("d", 0.3, "sgd"),
    ]:
        with lt.start_run(run_name=name) as run:
            lt.log_params({"lr": lr, "optimizer": optimizer})
            lt.set_tag("team", "vision")
            for step in range(20):
                lt.log_metrics(
                    {"loss": 1 / (1 + step * lr * 10), "acc": 1 - 1 / (2 + step * lr)}, step=step
                )
        ids[name] = run.info.run_id
    return ids
