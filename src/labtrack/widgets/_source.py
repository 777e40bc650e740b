"""Which runs a widget shows, read through the tracking client (never SQL)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labtrack.errors import NotFound
from labtrack.tracking import fluent, state

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.tracking.client import TrackingClient

HOW_TO_LOG = (
    "Log one with `with lt.start_run(): lt.log_metric('loss', 0.1)`, "
    "or put %%track at the top of a cell."
)


class RunSource:
    """The runs of some experiments (default: the active one), searched on demand."""

    def __init__(
        self,
        experiments: str | list[str] | None = None,
        client: TrackingClient | None = None,
        max_results: int = 100_000,
    ):
        self.client = client or state.client()
        self.max_results = max_results
        self.experiment_ids, self.experiment_names = self._resolve(experiments)

    def _resolve(self, experiments) -> tuple[list[str], list[str]]:
        if experiments is None:
            experiment = self.client.get_experiment(fluent.active_experiment_id())
            return [experiment.experiment_id], [experiment.name]
        ids, names = [], []
        for item in [experiments] if isinstance(experiments, str) else list(experiments):
            experiment = self.client.get_experiment_by_name(str(item))
            if experiment is None and str(item).isdigit():
                experiment = self.client.get_experiment(str(item))
            if experiment is None:
                raise NotFound(f"no experiment named {item!r}")
            ids.append(experiment.experiment_id)
            names.append(experiment.name)
        return ids, names

    def frame(self, filter_string: str = "") -> pd.DataFrame:
        return self.client.search_runs_frame(
            self.experiment_ids, filter_string, max_results=self.max_results
        )

    def empty_message(self, filter_string: str = "") -> str:
        where = ", ".join(repr(name) for name in self.experiment_names)
        if filter_string:
            return f"No runs in {where} match {filter_string!r}."
        return f"No runs in experiment {where} yet. {HOW_TO_LOG}"
