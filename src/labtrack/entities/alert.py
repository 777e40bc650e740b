"""An alert stored on a run (``lt.alert``, or a condition of ``lt.alert_when`` that fired):
what the sidebar shows as a JupyterLab notification and the webhook posts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from labtrack.errors import InvalidParameter

LEVELS = ("INFO", "WARN", "ERROR")
# The store's columns: a title is one line of a notification, a text a few paragraphs.
MAX_TITLE = 250
MAX_TEXT = 10_000


@dataclass(frozen=True, repr=False)
class Alert:
    """One alert: ``id`` grows with every alert of a store (the sidebar's cursor), ``level``
    is one of ``LEVELS``, ``timestamp`` in milliseconds since the epoch. An alert fired by a
    condition names the point that fired it (``metric_key``, ``metric_value``, ``step``)."""

    id: int
    run_id: str
    title: str
    text: str
    level: str
    timestamp: int
    experiment_id: str | None = None
    metric_key: str | None = None
    metric_value: float | None = None
    step: int | None = None

    def __repr__(self) -> str:
        # One short line: what a notebook shows when a cell ends with lt.alert(...).
        return f"<Alert {self.id} {self.level} {self.title!r} on run {self.run_id}>"

    def to_dictionary(self) -> dict:
        """The alert as JSON-ready values (a non-finite value as its name, as JSON has none)."""
        value = self.metric_value
        if value is not None and not math.isfinite(value):
            value = str(value)  # type: ignore[assignment]
        return {
            "id": self.id,
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "title": self.title,
            "text": self.text,
            "level": self.level,
            "timestamp": self.timestamp,
            "metric_key": self.metric_key,
            "metric_value": value,
            "step": self.step,
        }

    @classmethod
    def from_dictionary(cls, data: dict) -> Alert:
        """The alert ``to_dictionary`` gave (over HTTP)."""
        value = data.get("metric_value")
        step = data.get("step")
        return cls(
            id=int(data["id"]),
            run_id=str(data["run_id"]),
            title=str(data["title"]),
            text=str(data.get("text") or ""),
            level=str(data["level"]),
            timestamp=int(data["timestamp"]),
            experiment_id=None if data.get("experiment_id") is None else str(data["experiment_id"]),
            metric_key=data.get("metric_key"),
            metric_value=None if value is None else float(value),
            step=None if step is None else int(step),
        )


def check_level(level: object) -> str:
    """``level`` as stored (``INFO``, ``WARN`` or ``ERROR``, any case; ``WARNING`` is
    ``WARN``); anything else is refused."""
    if isinstance(level, str):
        name = level.strip().upper()
        name = "WARN" if name == "WARNING" else name
        if name in LEVELS:
            return name
    raise InvalidParameter(f"alert level must be one of {', '.join(LEVELS)}, got {level!r}")


def check_title_and_text(title: object, text: object) -> tuple[str, str]:
    """A non-empty title of at most ``MAX_TITLE`` characters and a text of at most
    ``MAX_TEXT``; anything else is refused."""
    if not isinstance(title, str) or not title.strip():
        raise InvalidParameter(f"alert title must be a non-empty string, got {title!r}")
    if len(title) > MAX_TITLE:
        raise InvalidParameter(f"alert title is {len(title)} characters, more than {MAX_TITLE}")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidParameter(f"alert text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise InvalidParameter(f"alert text is {len(text)} characters, more than {MAX_TEXT}")
    return title.strip(), text
