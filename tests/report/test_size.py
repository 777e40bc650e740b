"""The size target: 100 runs x 4 metrics x 1,000 steps make a report under 5 MB."""

from __future__ import annotations

import numpy as np

import labtrack as lt
from labtrack.entities import Metric, Param

MB = 1_000_000


def test_a_hundred_runs_of_four_metrics_over_a_thousand_steps_stay_under_5_mb(
    tracking_uri, tmp_path, payload
):
    lt.set_experiment("big-sweep")
    client = lt.Client()
    experiment_id = lt.get_experiment_by_name("big-sweep").experiment_id
    rng = np.random.default_rng(7)
    steps = np.arange(1000)
    for i in range(100):
        run = client.create_run(experiment_id, run_name=f"trial-{i:03d}")
        lr = float(10 ** rng.uniform(-4, -1))
        decay = 1 / (1 + steps * lr * 10)
        curves = {
            "loss": decay + rng.normal(0, 0.02, 1000),
            "val_loss": decay * 1.1 + rng.normal(0, 0.03, 1000),
            "acc": 1 - decay / 2 + rng.normal(0, 0.01, 1000),
            "val_acc": 1 - decay / 1.8 + rng.normal(0, 0.015, 1000),
        }
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric(key, float(value), 1_700_000_000_000 + step, int(step))
                for key, values in curves.items()
                for step, value in zip(steps, values, strict=True)
            ],
            params=[Param("lr", repr(lr)), Param("batch", str(2 ** (4 + i % 4)))],
        )
        client.set_terminated(run.info.run_id)
    path = lt.report("big-sweep", tmp_path / "big.html")
    size = path.stat().st_size
    data = payload(path)
    # nothing was downsampled away to get there: every point of every curve is in
    assert len(data["series"]) == 400
    assert all(s["points"] == s["total_points"] == 1000 for s in data["series"])
    assert size < 5 * MB, f"{size / MB:.2f} MB"
