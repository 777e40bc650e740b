"""``lt.scatter()``: one point per run, a param or metric against another."""

from __future__ import annotations

import traitlets as t

from labtrack.errors import InvalidParameter
from labtrack.widgets import _data, contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._source import RunSource


class Scatter(RunsWidget):
    """Each run as a point; clicking a point selects its run (``widget.selected``).

    >>> lt.scatter("params.lr", "metrics.val_acc", color="params.optimizer", log_x=True)  # doctest: +SKIP
    """

    state_type = contract.ScatterState
    _bundle_name = "scatter"

    x = t.Unicode().tag(sync=True)
    y = t.Unicode().tag(sync=True)
    color = t.Unicode("").tag(sync=True)
    log_x = t.Bool(False).tag(sync=True)
    log_y = t.Bool(False).tag(sync=True)
    points = t.Dict().tag(sync=True)
    x_kind = t.Unicode("number").tag(sync=True)
    y_kind = t.Unicode("number").tag(sync=True)

    def __init__(
        self, source: RunSource, x: str, y: str, color: str = "", filter: str = "", **kwargs
    ):
        self.source = source
        self.filter = filter
        super().__init__(x=x, y=y, color=color, **kwargs)
        self.refresh()

    @t.observe("x", "y", "color")
    def _on_axes(self, change) -> None:
        self.refresh()

    def refresh(self) -> None:
        frame = self.source.frame(self.filter)
        if frame.empty:
            no_points: contract.ScatterPoints = {
                "run_id": [],
                "run_name": [],
                "x": [],
                "y": [],
                "color": [],
            }
            self.points, self.empty_message = no_points, self.source.empty_message(self.filter)
            return
        try:
            points, self.x_kind, self.y_kind = _data.scatter_points(
                frame, self.x, self.y, self.color
            )
        except KeyError as missing:
            available = [c for c in frame.columns if c.startswith(("metrics.", "params.", "tags."))]
            raise InvalidParameter(
                f"no column {missing.args[0]!r}; available: {available}"
            ) from None
        self.points = points
        self.empty_message = (
            "" if points["run_id"] else f"No run has both {self.x!r} and {self.y!r}."
        )

    def _rows(self) -> tuple[list[str], list[list]]:
        p = self.points
        return ["run", self.x, self.y], [
            [n, x, y] for n, x, y in zip(p["run_name"], p["x"], p["y"], strict=False)
        ]

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        return (*self._rows(), f"{self.y} vs {self.x}")
