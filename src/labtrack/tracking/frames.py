"""Search results as a pandas DataFrame with MLflow's column names."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.store.sql.search import RunColumns

INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_frame(columns: RunColumns) -> pd.DataFrame:
    """One row per run: the info columns, then ``metrics.*``, ``params.*`` and ``tags.*`` (sorted)."""
    import pandas as pd

    position = {row.id: i for i, row in enumerate(columns.runs)}
    count = len(columns.runs)
    data: dict[str, object] = {
        "run_id": [row.run_uuid for row in columns.runs],
        "experiment_id": [str(row.experiment_id) for row in columns.runs],
        "status": [row.status for row in columns.runs],
        "artifact_uri": [row.artifact_uri for row in columns.runs],
        "start_time": pd.to_datetime([row.start_time for row in columns.runs], unit="ms", utc=True),
        "end_time": pd.to_datetime([row.end_time for row in columns.runs], unit="ms", utc=True),
    }
    for prefix, triples, empty in (
        ("metrics", columns.metrics, float("nan")),
        ("params", columns.params, None),
        ("tags", columns.tags, None),
    ):
        pivot: dict[str, list] = {}
        for pk, key, value in triples:
            column = pivot.get(key)
            if column is None:
                column = pivot[key] = [empty] * count
            column[position[pk]] = value
        for key in sorted(pivot):
            data[f"{prefix}.{key}"] = pivot[key]
    frame = pd.DataFrame(data)
    if not count:
        frame = pd.DataFrame({name: pd.Series(dtype="object") for name in INFO_COLUMNS})
    return frame
