"""Many finished runs written straight into a labtrack SQL store, for the browser tests and
bench/browser.py: through the client, 20,000 runs take minutes; in a few multi-row inserts
of the store's own tables (labtrack.store.sql.schema), seconds. Each run has a name
``run-<i>``, params ``optimizer`` (adam/sgd/rmsprop) and ``lr``, a tag ``team``, and
metrics ``acc`` and ``loss`` at step 0 (``acc`` missing on every 10th run)."""

from __future__ import annotations

import uuid


def add_runs(uri: str, experiment: str, count: int, params: int = 2, tags: int = 1) -> str:
    """Create ``experiment`` in the store at ``uri`` with ``count`` runs; returns its id.
    ``params``/``tags``: how many params and tags each run has (the first ones named as
    above, the others ``p<j>``/``t<j>``)."""
    import sqlalchemy as sa

    import labtrack as lt
    from labtrack.store.sql import schema

    client = lt.Client(uri)
    experiment_id = client.create_experiment(experiment)
    location = client.get_experiment(experiment_id).artifact_location
    start = 1_714_563_907_000
    ids = [uuid.uuid4().hex for _ in range(count)]
    engine = sa.create_engine(uri)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.runs),
            [
                {
                    "run_uuid": run_id,
                    "experiment_id": int(experiment_id),
                    "name": f"run-{i}",
                    "status": "FINISHED",
                    "start_time": start + i * 1000,
                    "end_time": start + i * 1000 + (i % 600) * 100,
                    "lifecycle_stage": "active",
                    "artifact_uri": f"{location}/{run_id}/artifacts",
                    "user_id": "bench",
                }
                for i, run_id in enumerate(ids)
            ],
        )
        pks = dict(
            conn.execute(
                sa.select(schema.runs.c.run_uuid, schema.runs.c.id).where(
                    schema.runs.c.experiment_id == int(experiment_id)
                )
            ).all()
        )
        keys = {}
        for key in ("acc", "loss"):
            keys[key] = (
                conn.execute(
                    sa.select(schema.metric_keys.c.id).where(schema.metric_keys.c.key == key)
                ).scalar()
                or (
                    conn.execute(
                        sa.insert(schema.metric_keys).values(key=key)
                    ).inserted_primary_key[0]
                )
            )
        param_rows, tag_rows, point_rows = [], [], []
        for i, run_id in enumerate(ids):
            pk = pks[run_id]
            values = {"optimizer": ("adam", "sgd", "rmsprop")[i % 3], "lr": str(10 ** -(1 + i % 4))}
            values.update({f"p{j}": str((i * j) % 97) for j in range(2, params)})
            param_rows += [
                {"run_id": pk, "key": k, "value": v} for k, v in list(values.items())[:params]
            ]
            tag_values = {"mlflow.runName": f"run-{i}", "team": ("vision", "nlp")[i % 2]}
            tag_values.update({f"t{j}": f"v{i % 7}" for j in range(1, tags)})
            tag_rows += [{"run_id": pk, "key": k, "value": v} for k, v in tag_values.items()]
            points = {"loss": 1.0 / (1 + i % 1000)}
            if i % 10:
                points["acc"] = (i * 37 % 1000) / 1000
            point_rows += [
                {
                    "run_id": pk,
                    "key_id": keys[k],
                    "step": 0,
                    "timestamp": start + i * 1000,
                    "value": v,
                    "is_nan": False,
                }
                for k, v in points.items()
            ]
        conn.execute(sa.insert(schema.params), param_rows)
        conn.execute(sa.insert(schema.tags), tag_rows)
        conn.execute(sa.insert(schema.metrics), point_rows)
        conn.execute(sa.insert(schema.latest_metrics), point_rows)
    engine.dispose()
    return experiment_id
