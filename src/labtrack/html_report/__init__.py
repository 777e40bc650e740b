"""``lt.report()`` / ``labtrack report``: an experiment as one self-contained HTML file.

The file opens from ``file://`` with no network and no server: the run table (sortable),
metric charts, a scatter, parallel coordinates, the best runs compared, notes and images.
Its figures are drawn by the same code as the notebook widgets', with Plotly inlined once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient


def report(
    experiment: str | list[str] | None = None,
    path: str | os.PathLike = "report.html",
    runs: Iterable | None = None,
    metrics: str | list[str] | None = None,
    max_points: int = 1000,
    *,
    filter: str = "",
    metric: str | None = None,
    lower_is_better: bool | None = None,
    params: list[str] | None = None,
    best: int = 5,
    title: str | None = None,
    max_image_size: int = 512,
    max_runs: int = 1000,
    client: TrackingClient | None = None,
) -> Path:
    """Write a report of ``experiment``'s runs (default: the active experiment's) to ``path``
    and return its path.

    ``runs`` (ids or ``Run`` objects) and ``filter`` (the search language) narrow the runs;
    ``metrics`` are charted (default: every one logged), each history downsampled to about
    ``max_points`` points keeping peaks and dips. ``metric`` (default: the first charted)
    ranks the ``best`` runs for the comparison (``lower_is_better`` by default for losses
    and errors), is the scatter's y and colours the parallel coordinates, whose axes are
    ``params`` (default: the params that differ). Images are each key's latest step of the
    compared runs, at most ``max_image_size`` pixels a side. More than ``max_runs`` runs is
    refused (``InvalidParameter``): narrow them with ``filter`` or ``runs``.

    >>> lt.report("svm-iris", "svm.html", metric="val_acc")  # doctest: +SKIP
    PosixPath('svm.html')
    """
    from labtrack.html_report import _gather, _html
    from labtrack.widgets._source import RunSource

    if isinstance(runs, (str, bytes)):
        runs = [runs]
    if max_image_size < 16:
        raise InvalidParameter(f"max_image_size must be 16 pixels or more, got {max_image_size}")
    source = RunSource(experiment, client=client)
    payload = _gather.gather(
        source.client,
        source.experiment_ids,
        source.experiment_names,
        filter_string=filter,
        runs=None if runs is None else list(runs),
        metrics=metrics,
        metric=metric,
        lower=lower_is_better,
        params=params,
        best=best,
        max_points=max_points,
        max_image_size=max_image_size,
        max_runs=max_runs,
        title=title,
    )
    target = Path(path)
    if target.is_dir():
        raise InvalidParameter(f"{str(target)!r} is a folder: give the report's file name")
    target.write_text(_html.page(payload), encoding="utf-8")
    return target
