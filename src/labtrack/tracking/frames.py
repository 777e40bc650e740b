"""Search results as a pandas DataFrame with MLflow's column names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.store.sql.search import RunColumns

INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_frame(columns: RunColumns) -> pd.DataFrame:
    """One row per run: the info columns, then ``metrics.*``, ``params.*`` and ``tags.*`` (sorted)."""
    import numpy as np
    import pandas as pd

    count = len(columns.runs)
    # The run fields (``RUN_FIELDS``) as columns, transposed in one pass in C.
    pks, run_ids, experiment_ids, statuses, artifact_uris, starts, ends = (
        zip(*columns.runs, strict=True) if count else ((),) * 7
    )
    data: dict[str, object] = {
        "run_id": list(run_ids),
        "experiment_id": list(map(str, experiment_ids)),
        "status": list(statuses),
        "artifact_uri": list(artifact_uris),
        "start_time": _utc_times(starts),
        "end_time": _utc_times(ends),
    }
    # Pivoted in plain Python, one pass over the (run, key, value) rows: for a few thousand
    # runs this is several times faster than building a long DataFrame and pivoting it.
    position = {pk: index for index, pk in enumerate(pks)}
    for prefix, triples in (
        ("metrics", columns.metrics),
        ("params", columns.params),
        ("tags", columns.tags),
    ):
        missing = float("nan") if prefix == "metrics" else None  # text: None, as in MLflow
        pivot: dict[str, list] = {}
        for pk, key, value in triples:
            column = pivot.get(key)
            if column is None:
                column = pivot[key] = [missing] * count
            column[position[pk]] = value
        for key in sorted(pivot):
            data[f"{prefix}.{key}"] = (
                np.array(pivot[key], dtype=float) if prefix == "metrics" else pivot[key]
            )
    frame = pd.DataFrame(data)
    if not count:
        frame = pd.DataFrame({name: pd.Series(dtype="object") for name in INFO_COLUMNS})
    return frame


def _utc_times(milliseconds: Sequence[int | None]) -> pd.DatetimeIndex:
    """Milliseconds since the epoch as UTC datetimes with millisecond resolution, which
    holds every int64 exactly (``to_datetime(unit="ms")`` goes through a finer unit or float
    and fails or rounds far from today); None becomes NaT."""
    import numpy as np
    import pandas as pd

    nat = np.iinfo(np.int64).min  # NaT's own value
    ticks = np.array([nat if ms is None else ms for ms in milliseconds], dtype=np.int64)
    return pd.to_datetime(ticks.view("datetime64[ms]"), utc=True)
