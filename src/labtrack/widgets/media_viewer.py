"""``lt.media()``: a key's images, tables, texts, audio or histograms over steps, runs side by
side, with a step slider; live while runs log.

Only what is shown travels to the browser: the step index (each run's steps) and the chosen
step's files (``current``), read when the slider moves. Histograms are the exception by
nature: their distribution over steps is the view (as TensorBoard draws it), so up to
``MAX_HISTOGRAM_STEPS`` of each run's steps, evenly spread, are sent; they are small.
"""

from __future__ import annotations

import threading
import time

import traitlets as t

from labtrack.entities import RunStatus
from labtrack.errors import InvalidParameter
from labtrack.widgets import contract
from labtrack.widgets._base import RunsWidget
from labtrack.widgets._live import Poller
from labtrack.widgets._source import RunSource

RECENT_RUNS = 6  # runs shown side by side when none are named
MAX_HISTOGRAM_STEPS = 40  # a ridgeline of more is unreadable (TensorBoard samples too)
MAX_TABLE_ROWS = 100
MAX_TEXT_CHARS = 20_000
# An ended run's media listing is reused this long: a finished run rarely gets more media
# (an evaluation logged later through a Client), and each listing asks the artifact store.
ENDED_RELIST_SECONDS = 30.0
KINDS = ("image", "histogram", "table", "text", "audio")  # the preferred kind first
HOW_TO_LOG = {
    "image": "lt.log_image(image, key={key!r}, step=step)",
    "histogram": "lt.log_histogram(values, key={key!r}, step=step)",
    "table": "lt.log_table(df, key={key!r}, step=step)",
    "text": "lt.log_text(text, key={key!r}, step=step)",
    "audio": "lt.log_audio(samples, key={key!r}, step=step, sample_rate=16000)",
}


class Media(RunsWidget):
    """The media logged under ``key`` by the ``selected`` runs (with none selected, by the
    latest runs that have it), side by side at the step the slider chooses.

    >>> lt.media("samples")                              # doctest: +SKIP
    >>> lt.media("weights/fc1", runs=[run_a, run_b])     # histograms: distribution over steps  # doctest: +SKIP
    """

    state_type = contract.MediaState
    _bundle_name = "media"

    key = t.Unicode().tag(sync=True)
    kind = t.Enum(("", *KINDS), default_value="").tag(sync=True)
    runs = t.List(t.Dict()).tag(sync=True)
    step = t.Int(0).tag(sync=True)
    current = t.List(t.Dict()).tag(sync=True)
    histograms = t.List(t.Dict()).tag(sync=True)
    live = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        source: RunSource,
        key: str,
        runs: list[str] | None = None,
        kind: str | None = None,
        poll: bool = True,
        **kwargs,
    ):
        from labtrack.tracking.media import validate_key

        validate_key(key)
        if kind is not None and kind not in KINDS:
            raise InvalidParameter(f"media kind must be one of {list(KINDS)}, got {kind!r}")
        self.source = source
        self._fixed_kind = kind
        self._stamps: dict | None = None  # None: never looked
        self._items: dict[str, list] = {}  # run id -> its MediaItems of this key and kind
        self._listings: dict[str, tuple] = {}  # ended runs: id -> (status, end, expiry, items)
        self._histogram_cache: dict[str, dict] = {}  # path -> histogram (logged files are final)
        self._follow = True  # the slider stays on the last step as new ones arrive
        self._lock = threading.RLock()  # the poller thread and the kernel both update
        self._initialized = False
        super().__init__(key=key, kind=kind or "", selected=list(runs or []), **kwargs)
        self._initialized = True
        self.poll()
        self._poller = Poller(self, name="labtrack-media-poller") if poll else None

    @property
    def follow_latest(self) -> bool:
        """No runs chosen: show the latest runs that have the key, new ones included."""
        return not self.selected

    @property
    def steps(self) -> list[int]:
        """Every step some shown run has media at, ascending: what the slider moves over."""
        return sorted({step for run in self.runs for step in run["steps"]})

    @t.validate("step")
    def _check_step(self, proposal) -> int:
        if proposal["value"] < 0:
            raise t.TraitError(f"a media step is a non-negative int, got {proposal['value']}")
        return proposal["value"]

    @t.observe("step")
    def _step_changed(self, change) -> None:
        if self._initialized:
            with self._lock:
                steps = self.steps
                self._follow = not steps or change["new"] >= steps[-1]
                self.current = self._cells()

    @t.observe("selected")
    def _selection_changed(self, change) -> None:
        if self._initialized:
            with self._lock:
                self._stamps = None
                self._follow = True
                self._poll()

    def poll(self) -> None:
        """Look for new runs and steps (cheap when nothing changed) and update the view."""
        with self._lock:
            self._poll()

    def _poll(self) -> None:
        shown = self._latest_runs() if self.follow_latest else list(self.selected)
        runs = self._runs(shown)
        items = {run.info.run_id: self._media_of(run) for run in runs}
        kind = self._kind(items)
        items = {run_id: [i for i in found if i.kind == kind] for run_id, found in items.items()}
        stamps = {
            run.info.run_id: (run.info.status, run.info.run_name, len(items[run.info.run_id]))
            for run in runs
        }
        stamps[""] = kind
        if stamps == self._stamps:
            return
        self._stamps = stamps
        self._items = items
        with self.hold_sync():  # one message: the index, the step and its payload agree
            self.kind = kind
            self.runs = [
                {
                    "run_id": run.info.run_id,
                    "run_name": run.info.run_name,
                    "status": run.info.status,
                    "steps": [item.step for item in items[run.info.run_id]],
                }
                for run in runs
                if items[run.info.run_id] or not self.follow_latest
            ]
            steps = self.steps
            step = steps[-1] if steps and (self._follow or self.step > steps[-1]) else self.step
            if step != self.step:
                self.step = step  # _step_changed sends its payload
            else:
                self.current = self._cells()
            self.histograms = self._histograms() if kind == "histogram" else []
            self.live = any(run.info.status == RunStatus.RUNNING for run in runs)
            self.empty_message = "" if steps else self._empty_message()

    def _kind(self, items: dict[str, list]) -> str:
        if self._fixed_kind:
            return self._fixed_kind
        found = {item.kind for listed in items.values() for item in listed}
        if self.kind in found:  # keep what is shown
            return self.kind
        return next((kind for kind in KINDS if kind in found), "")

    def _media_of(self, run) -> list:
        """The run's media under the key; an ended run's listing is reused for a while."""
        from labtrack.tracking.media import list_media

        run_id, status, end = run.info.run_id, run.info.status, run.info.end_time
        cached = self._listings.get(run_id)
        now = time.monotonic()
        if cached is not None and cached[:2] == (status, end) and now < cached[2]:
            return cached[3]
        try:
            items = list_media(self.source.client, run_id, self.key)
        except Exception:  # a run whose artifacts are gone shows nothing, not an error
            items = []
        if status != RunStatus.RUNNING:
            self._listings[run_id] = (status, end, now + ENDED_RELIST_SECONDS, items)
        return items

    def _runs(self, run_ids: list[str]) -> list:
        found = []
        for run_id in run_ids:
            try:
                found.append(self.source.client.get_run(run_id))
            except Exception:  # a deleted or unknown run is just not shown
                continue
        return found

    def _latest_runs(self) -> list[str]:
        runs = self.source.client.search_runs(
            self.source.experiment_ids, max_results=RECENT_RUNS * 5
        )
        having = [run.info.run_id for run in runs if self._media_of(run)]
        return having[:RECENT_RUNS]

    def _cells(self) -> list[contract.MediaCell]:
        """Each shown run's file at the chosen step (its latest at or before it), read now."""
        previous = {(cell["run_id"], cell["step"]): cell for cell in self.current}
        cells = []
        for run in self.runs:
            at = [item for item in self._items.get(run["run_id"], []) if item.step <= self.step]
            item = at[-1] if at else None
            reuse = previous.get((run["run_id"], item.step if item else None))
            cells.append(reuse if reuse is not None else self._cell(run["run_id"], item))
        return cells

    def _cell(self, run_id: str, item) -> contract.MediaCell:
        cell: contract.MediaCell = {
            "run_id": run_id,
            "step": None if item is None else item.step,
            "data": None,
            "text": None,
            "table": None,
            "histogram": None,
            "note": "",
            "error": "",
        }
        if item is None:
            return cell
        try:
            content = self._read(item)
        except Exception as error:  # a file removed or damaged: said in its place
            cell["error"] = f"could not read {item.path}: {error}"
            return cell
        if item.kind in ("image", "audio"):
            cell["data"] = content
        elif item.kind == "text":
            cell["text"] = content[:MAX_TEXT_CHARS]
            if len(content) > MAX_TEXT_CHARS:
                cell["note"] = f"first {MAX_TEXT_CHARS:,} of {len(content):,} characters"
        elif item.kind == "table":
            rows = content["data"]
            cell["table"] = {
                "columns": [str(column) for column in content["columns"]],
                "data": rows[:MAX_TABLE_ROWS],
                "total_rows": len(rows),
            }
            if len(rows) > MAX_TABLE_ROWS:
                cell["note"] = f"first {MAX_TABLE_ROWS} of {len(rows):,} rows"
        else:
            cell["histogram"] = content
        return cell

    def _read(self, item):
        from labtrack.tracking.media import read_media

        if item.kind != "histogram":
            return read_media(self.source.client, item)
        key = f"{item.run_id}/{item.path}"
        if key not in self._histogram_cache:
            self._histogram_cache[key] = read_media(self.source.client, item)
        return self._histogram_cache[key]

    def _histograms(self) -> list[contract.HistogramSeries]:
        series = []
        for run in self.runs:
            items = self._items.get(run["run_id"], [])
            picked = [items[i] for i in spread(len(items), MAX_HISTOGRAM_STEPS)]
            read = []
            for item in picked:
                try:
                    read.append((item.step, self._read(item)))
                except Exception:  # shown as a missing step, the others still drawn
                    continue
            series.append(
                {
                    "run_id": run["run_id"],
                    "steps": [step for step, _ in read],
                    "edges": [doc["edges"] for _, doc in read],
                    "counts": [doc["counts"] for _, doc in read],
                }
            )
        return series

    def _empty_message(self) -> str:
        kinds = [self._fixed_kind] if self._fixed_kind else list(KINDS[:4])
        how = " or ".join(HOW_TO_LOG[kind].format(key=self.key) for kind in kinds)
        if not self.follow_latest:
            return f"The selected runs have no media under {self.key!r} yet. Log some with {how}."
        where = ", ".join(repr(name) for name in self.source.experiment_names)
        return f"No run in {where} has media under {self.key!r} yet. Log some with {how}."

    def close(self) -> None:
        """Stop following the runs and close the widget."""
        if getattr(self, "_poller", None) is not None:
            self._poller.stop()
        super().close()

    def fallback_table(self) -> tuple[list[str], list[list], str]:
        names = {run["run_id"]: run for run in self.runs}
        rows = []
        for cell in self.current:
            run = names.get(cell["run_id"], {"run_name": cell["run_id"], "steps": []})
            steps = run["steps"]
            span = f"{len(steps)} ({steps[0]}-{steps[-1]})" if steps else "0"
            rows.append([run["run_name"], span, cell["step"], describe(self.kind, cell)])
        return ["run", "steps", "shown step", self.kind], rows, f"{self.key} at step {self.step}"


def spread(count: int, most: int) -> list[int]:
    """At most ``most`` indices of ``range(count)``, evenly spread, first and last included."""
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def describe(kind: str, cell: contract.MediaCell) -> str:
    """One line on what a cell shows, for the static views."""
    if cell["error"]:
        return cell["error"]
    if cell["step"] is None:
        return "nothing yet at this step"
    if kind == "image" and cell["data"]:
        width, height = png_size(cell["data"])
        return f"PNG image {width}x{height}"
    if kind == "audio" and cell["data"]:
        return f"WAV audio, {wav_seconds(cell['data']):.2f} s"
    if kind == "text" and cell["text"] is not None:
        first = cell["text"].strip().splitlines()[0] if cell["text"].strip() else ""
        return first[:80] + ("..." if len(first) > 80 or cell["note"] else "")
    if kind == "table" and cell["table"] is not None:
        table = cell["table"]
        return f"table of {table['total_rows']} rows x {len(table['columns'])} columns"
    if kind == "histogram" and cell["histogram"] is not None:
        h = cell["histogram"]
        return f"{h['count']} values in [{h['min']:.4g}, {h['max']:.4g}]"
    return ""


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk); (0, 0) if it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def wav_seconds(data: bytes) -> float:
    """A WAV file's duration in seconds; 0 if it cannot be read."""
    import io
    import wave

    try:
        with wave.open(io.BytesIO(data)) as reader:
            return reader.getnframes() / reader.getframerate()
    except (wave.Error, EOFError, ZeroDivisionError):
        return 0.0
