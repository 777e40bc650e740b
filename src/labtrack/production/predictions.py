"""A deployment's predictions and the ground truth that comes back later, as Parquet artifacts
of its run, partitioned by the hour (UTC):

* ``predictions/date=YYYY-MM-DD/hour=HH/part-<epoch ms>-<8 hex>.parquet``: ``request_id``,
  ``timestamp`` (ms since the epoch), ``latency_ms``, one ``input.<feature>`` column per input
  column, and ``prediction`` (one output) or ``prediction.<name or index>`` (several);
* ``feedback/date=.../hour=.../part-....parquet``: ``request_id``, ``label``, ``timestamp``.

``PredictionLog`` writes the first from a scoring server: ``record`` only appends to a bounded
buffer (a full one drops the sample and counts it), and a background thread turns the buffer
into one Parquet file per hour through the run's artifact repository, so a local folder,
S3 and a tracking server's artifact proxy all work. ``log_feedback`` writes the second;
``read_predictions`` and ``read_feedback`` read them back as DataFrames. A request's rows share
its request id, and so does its label: send one row per request where live accuracy matters.
"""

from __future__ import annotations

import atexit
import io
import logging
import math
import random
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.artifacts import ArtifactRepository
    from labtrack.tracking.client import TrackingClient

logger = logging.getLogger("labtrack.production")

PREDICTIONS_FOLDER = "predictions"
FEEDBACK_FOLDER = "feedback"
INPUT_PREFIX = "input."
PREDICTION_COLUMN = "prediction"
# Request ids a label can name: whatever X-Request-Id a server handed out, within reason.
_MAX_REQUEST_ID = 200
_HOUR_MS = 3_600_000
# The background thread turns the buffered requests into Arrow this often, this many at a time.
_CONVERT_SECONDS = 0.1
_STEP = 16
# Files read at once by read_predictions (remote stores answer one at a time).
_READ_THREADS = 8

__all__ = [
    "FEEDBACK_FOLDER",
    "PREDICTIONS_FOLDER",
    "PredictionLog",
    "log_deployment_feedback",
    "log_feedback",
    "parse_feedback",
    "read_feedback",
    "read_predictions",
]


@dataclass
class _Sample:
    request_id: str
    timestamp: int
    latency_ms: float
    inputs: Any
    outputs: Any
    rows: int


class PredictionLog:
    """Sampled requests of a scoring server, written as hourly Parquet artifacts of the
    deployment run ``run_id`` by a background thread.

    ``sample_rate`` (0 < r <= 1) is the share of requests kept; at most ``max_buffered_rows``
    rows wait in memory (a request that does not fit is dropped and counted in
    ``dropped_rows``); the buffer is written every ``flush_seconds``, or sooner once
    ``flush_rows`` rows wait (half the buffer by default). A write that fails (the store is
    away) is logged and its rows counted in ``failed_rows``; the server is never told.
    ``close()`` writes what is left (it also runs at interpreter exit).

    >>> log = PredictionLog(client, run_id, sample_rate=0.1)  # doctest: +SKIP
    >>> log.record(request_id, frame, predictions, latency_ms=3.2)  # doctest: +SKIP
    """

    def __init__(
        self,
        client: TrackingClient,
        run_id: str,
        sample_rate: float = 1.0,
        max_buffered_rows: int = 10_000,
        flush_seconds: float = 10.0,
        *,
        flush_rows: int | None = None,
    ) -> None:
        self.sample_rate = _sample_rate(sample_rate)
        if not _is_int(max_buffered_rows) or max_buffered_rows < 1:
            raise InvalidParameter(
                f"max_buffered_rows must be a positive integer, got {max_buffered_rows!r}"
            )
        if not _is_number(flush_seconds) or not 0 < flush_seconds < math.inf:
            raise InvalidParameter(
                f"flush_seconds must be a positive number of seconds, got {flush_seconds!r}"
            )
        if flush_rows is not None and (not _is_int(flush_rows) or flush_rows < 1):
            raise InvalidParameter(f"flush_rows must be a positive integer, got {flush_rows!r}")
        self.run_id = run_id
        self.max_buffered_rows = int(max_buffered_rows)
        # Written early once this many rows wait, so a busy server seldom fills the buffer.
        self.flush_rows = max(1, self.max_buffered_rows // 2) if flush_rows is None else flush_rows
        self.flush_seconds = float(flush_seconds)
        # Resolved now, so a run that does not exist is an error where the log is made.
        self._repository = _repository(client, run_id)
        self._random = random.Random()
        self._lock = threading.Lock()  # the buffer and the counters
        self._write_lock = threading.Lock()  # one writer at a time: the thread or flush()
        self._buffer: list[_Sample] = []
        self._tables: dict[int, list] = {}  # converted, not yet written: Arrow tables by hour
        self._buffered_rows = 0  # rows not written yet, in _buffer or _tables
        self._dropped_rows = 0
        self._failed_rows = 0
        self._written_rows = 0
        self._files = 0
        self._closed = False
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"labtrack-predictions-{run_id[:8]}", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)

    # -- the request path: an append, never a wait on the store ---------------------------

    def record(
        self,
        request_id: str,
        inputs: Any,
        outputs: Any,
        latency_ms: float | None = None,
        *,
        timestamp_ms: int | None = None,
    ) -> bool:
        """Keep one request (a sample of them: ``sample_rate``) to be written: ``inputs`` its
        DataFrame (or dict of columns, or array), ``outputs`` the model's predictions for its
        rows, ``timestamp_ms`` when it came (now by default; given, it replays past traffic).
        Returns whether it was kept. Never blocks on the store and never raises: a request
        that does not fit in the buffer is dropped and counted in ``dropped_rows``.
        """
        try:
            if self.sample_rate < 1.0 and self._random.random() >= self.sample_rate:
                return False
            rows = _row_count(inputs)
            sample = _Sample(
                str(request_id),
                time.time_ns() // 1_000_000 if timestamp_ms is None else int(timestamp_ms),
                math.nan if latency_ms is None else float(latency_ms),
                inputs,
                outputs,
                rows,
            )
            with self._lock:
                # Checked under the lock close() takes: a request kept is always written.
                if self._closed or self._buffered_rows + rows > self.max_buffered_rows:
                    self._dropped_rows += rows
                    return False
                self._buffer.append(sample)
                self._buffered_rows += rows
                due = self._buffered_rows >= self.flush_rows
            if due:
                self._wake.set()
            return True
        except Exception:  # a request is never failed by its own logging
            logger.debug("a prediction could not be recorded", exc_info=True)
            with self._lock:
                self._dropped_rows += 1
            return False

    # -- counters ---------------------------------------------------------------------------

    @property
    def buffered_rows(self) -> int:
        """Rows waiting in memory to be written."""
        return self._buffered_rows

    @property
    def dropped_rows(self) -> int:
        """Rows never kept because the buffer was full (or the request could not be read)."""
        return self._dropped_rows

    @property
    def failed_rows(self) -> int:
        """Rows lost because writing them to the store failed."""
        return self._failed_rows

    @property
    def written_rows(self) -> int:
        """Rows written to the store so far."""
        return self._written_rows

    @property
    def files_written(self) -> int:
        """Parquet files written so far."""
        return self._files

    # -- writing ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every buffered row now, in the calling thread (waiting for a write the
        background thread has in progress). A failing store is logged, not raised."""
        self._write_pending()

    def close(self) -> None:
        """Stop the background thread and write what is left. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        self._write_pending()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self) -> None:
        next_write = time.monotonic() + self.flush_seconds
        while not self._closed:
            self._wake.wait(min(_CONVERT_SECONDS, max(0.0, next_write - time.monotonic())))
            self._wake.clear()
            if self._closed:
                return  # close() writes the rest
            try:
                with self._write_lock:
                    self._convert()
                    if time.monotonic() >= next_write or self._buffered_rows >= self.flush_rows:
                        next_write = time.monotonic() + self.flush_seconds
                        self._write()
            except Exception:  # never let the thread die: the next round tries again
                logger.exception("the prediction log of run %s failed", self.run_id)

    def _write_pending(self) -> None:
        with self._write_lock:
            self._convert()
            self._write()

    def _convert(self) -> None:
        """Turn the buffered requests into Arrow tables, a few at a time with the GIL let go
        in between (the server's threads wait at most one step for it). Done every
        ``_CONVERT_SECONDS``, so the requests' objects die young: held until the write,
        thousands of DataFrames made the collector's full passes (which hold the GIL for
        tens of milliseconds) far more frequent in the server."""
        with self._lock:
            samples, self._buffer = self._buffer, []
        for start in range(0, len(samples), _STEP):
            step = samples[start : start + _STEP]
            for hour, group in _by_hour(step):
                try:
                    table = _predictions_table(group)
                except Exception:  # one odd request: keep the others of the step
                    table = None
                if table is not None:
                    self._keep(hour, table, group)
                    continue
                for sample in group:
                    try:
                        self._keep(hour, _predictions_table([sample]), [sample])
                    except Exception:
                        logger.debug("a logged request could not be converted", exc_info=True)
                        self._count(failed=sample.rows)
            time.sleep(0)  # lets a waiting request thread take the GIL now

    def _keep(self, hour: int, table, samples: list[_Sample]) -> None:
        self._tables.setdefault(hour, []).append(table)
        counted = sum(sample.rows for sample in samples)
        if table.num_rows != counted:  # an empty request counted as one row, say
            with self._lock:
                self._buffered_rows += table.num_rows - counted

    def _write(self) -> None:
        """Write the converted tables: one Parquet file per hour (per table, where their
        columns' types cannot be unified)."""
        import pyarrow as pa

        tables, self._tables = self._tables, {}
        for hour, parts in sorted(tables.items()):
            try:
                files = [pa.concat_tables(parts, promote_options="permissive")]
            except Exception:  # types that cannot be unified: a file each, nothing lost
                files = parts
            for table in files:
                try:
                    self._repository.write_bytes(
                        _part_path(PREDICTIONS_FOLDER, hour), _parquet_bytes(table)
                    )
                except Exception as error:  # the store is away: count the loss, keep serving
                    logger.warning(
                        "%d logged predictions of run %s could not be written: %s",
                        table.num_rows,
                        self.run_id,
                        error,
                    )
                    self._count(failed=table.num_rows)
                else:
                    self._count(written=table.num_rows)

    def _count(self, written: int = 0, failed: int = 0) -> None:
        with self._lock:
            self._buffered_rows -= written + failed
            self._written_rows += written
            self._failed_rows += failed
            self._files += 1 if written else 0


# -- feedback -----------------------------------------------------------------------------


def log_feedback(
    client: TrackingClient,
    run_id: str,
    request_id: str | Iterable[tuple[str, Any]],
    label: Any = None,
) -> int:
    """Store the true ``label`` of the request ``request_id`` (from the ``X-Request-Id``
    header of its response) with the deployment run ``run_id``; or, with ``label`` left out,
    ``request_id`` as a list of ``(request_id, label)`` pairs, written as one file. Labels are
    numbers, strings or booleans. Returns the number of labels stored. Raises
    ``InvalidParameter`` for an empty request id or a missing or non-scalar label.

    >>> log_feedback(client, run_id, "5f0c2b1e...", "setosa")  # doctest: +SKIP
    """
    pairs = _feedback_pairs(request_id, label)
    if not pairs:
        return 0
    import pandas as pd

    now = time.time_ns() // 1_000_000
    frame = pd.DataFrame(
        {
            "request_id": pd.Series([p[0] for p in pairs], dtype=object),
            "label": pd.Series([p[1] for p in pairs], dtype=object),
            "timestamp": pd.Series([now] * len(pairs), dtype="int64"),
        }
    )
    hour = now // _HOUR_MS
    _repository(client, run_id).write_bytes(
        _part_path(FEEDBACK_FOLDER, hour), _parquet_bytes(frame)
    )
    return len(pairs)


def parse_feedback(body: Any) -> list[tuple[str, Any]]:
    """The ``(request_id, label)`` pairs of a ``POST /feedback`` JSON body:
    ``{"request_id": ..., "label": ...}``, a list of such objects, or
    ``{"feedback": [...]}``. Raises ``InvalidParameter`` saying what is wrong otherwise."""
    items = body.get("feedback", body) if isinstance(body, dict) else body
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise InvalidParameter(
            'feedback must be {"request_id": ..., "label": ...} or a list of them, '
            f"got {type(body).__name__}"
        )
    pairs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "request_id" not in item or "label" not in item:
            raise InvalidParameter(
                f'feedback item {index} must be an object with "request_id" and "label", '
                f"got {item!r}"[:300]
            )
        pairs.append((item["request_id"], item["label"]))
    return _feedback_pairs(pairs, None)


def log_deployment_feedback(
    request_id: str | Iterable[tuple[str, Any]], label: Any = None, deployment: str | None = None
) -> int:
    """Store the true ``label`` of the request ``request_id`` (its response's
    ``X-Request-Id``) with the deployment named ``deployment``, by default the only one
    running (this is ``lt.log_feedback``); or, with ``label`` left out, a list of ``(request_id, label)`` pairs. Live
    accuracy (``lt.monitor``) joins them to the logged predictions. Returns the number of
    labels stored. Raises ``InvalidParameter`` when no deployment is named and not exactly one
    is running, ``NotFound`` for an unknown name.

    >>> response = requests.post(url + "/invocations", json={"inputs": rows})  # doctest: +SKIP
    >>> lt.log_feedback(response.headers["X-Request-Id"], "setosa")  # doctest: +SKIP
    """
    pairs = _feedback_pairs(request_id, label)  # bad input fails before the store is asked
    from labtrack import production
    from labtrack.tracking import state

    client = state.client()
    if deployment is None:
        running = [d for d in production.list_deployments(client) if d.status == "RUNNING"]
        if len(running) != 1:
            names = ", ".join(sorted(d.name for d in running)) or "none"
            raise InvalidParameter(
                "log_feedback needs deployment=NAME when not exactly one deployment is "
                f"running (running: {names})"
            )
        target = running[0]
    else:
        target = production.get_deployment(client, deployment)
    return log_feedback(client, target.run_id, pairs)


def _feedback_pairs(request_id: Any, label: Any) -> list[tuple[str, Any]]:
    if label is None and not isinstance(request_id, str):
        if not isinstance(request_id, Iterable):
            raise InvalidParameter(
                f"log_feedback takes a request id and a label, or a list of (request_id, label) "
                f"pairs, got {type(request_id).__name__}"
            )
        pairs = []
        for item in request_id:
            if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2:
                raise InvalidParameter(
                    f"log_feedback's pairs must be (request_id, label), got {item!r}"[:300]
                )
            pairs.append((_request_id(item[0]), _label(item[1])))
        return pairs
    return [(_request_id(request_id), _label(label))]


def _request_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_REQUEST_ID:
        raise InvalidParameter(
            f"a request id must be a non-empty string of at most {_MAX_REQUEST_ID} characters "
            f"(the X-Request-Id of the response), got {value!r}"[:300]
        )
    return value


def _label(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:  # a NumPy scalar
        value = item()
    if value is None:
        raise InvalidParameter("a feedback label is missing (None)")
    if not isinstance(value, (str, bool, int, float)):
        raise InvalidParameter(
            f"a feedback label must be a number, string or boolean, got {type(value).__name__}"
        )
    return value


# -- reading ------------------------------------------------------------------------------


def read_predictions(
    client: TrackingClient,
    run_id: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> pd.DataFrame:
    """The logged predictions of the deployment run ``run_id`` with ``start_ms <= timestamp <
    end_ms`` (ms since the epoch; either bound may be left out), sorted by timestamp. Only
    the hour partitions that overlap the range are read. An empty frame (with the
    ``request_id``, ``timestamp`` and ``latency_ms`` columns) when nothing was logged.

    >>> read_predictions(client, run_id, start_ms=now_ms - 3_600_000)  # doctest: +SKIP
    """
    for name, bound in (("start_ms", start_ms), ("end_ms", end_ms)):
        if bound is not None and not _is_number(bound):
            raise InvalidParameter(f"{name} must be ms since the epoch, got {bound!r}")
    repository = _repository(client, run_id)
    files = _partition_files(repository, PREDICTIONS_FOLDER, start_ms, end_ms)
    frame = _read_frames(
        repository, files, {"request_id": object, "timestamp": "int64", "latency_ms": "float64"}
    )
    if start_ms is not None:
        frame = frame[frame["timestamp"] >= start_ms]
    if end_ms is not None:
        frame = frame[frame["timestamp"] < end_ms]
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


def read_feedback(client: TrackingClient, run_id: str) -> pd.DataFrame:
    """The labels stored for the deployment run ``run_id``: ``request_id``, ``label``,
    ``timestamp``, sorted by timestamp, one row per request id (the latest label given)."""
    repository = _repository(client, run_id)
    files = _partition_files(repository, FEEDBACK_FOLDER, None, None)
    frame = _read_frames(
        repository, files, {"request_id": object, "label": object, "timestamp": "int64"}
    )
    frame = frame.sort_values("timestamp", kind="stable")
    frame = frame.drop_duplicates("request_id", keep="last")
    return frame.reset_index(drop=True)


def _partition_files(
    repository: ArtifactRepository, folder: str, start_ms: int | None, end_ms: int | None
) -> list[str]:
    """The Parquet files of ``folder``'s hour partitions that overlap [start_ms, end_ms)."""
    first = None if start_ms is None else start_ms // _HOUR_MS
    last = None if end_ms is None else (end_ms - 1) // _HOUR_MS
    first_day = None if first is None else first // 24
    last_day = None if last is None else last // 24
    files = []
    for day in repository.list_artifacts(folder):
        day_number = _day_number(day)
        if day_number is None or (
            (first_day is not None and day_number < first_day)
            or (last_day is not None and day_number > last_day)
        ):
            continue
        for hour in repository.list_artifacts(day.path):
            hour_number = _hour_number(hour, day_number)
            if hour_number is None or (
                (first is not None and hour_number < first)
                or (last is not None and hour_number > last)
            ):
                continue
            files.extend(
                entry.path
                for entry in repository.list_artifacts(hour.path)
                if not entry.is_dir and entry.path.endswith(".parquet")
            )
    return files


def _day_number(entry) -> int | None:
    name = entry.path.rsplit("/", 1)[-1]
    if not entry.is_dir or not name.startswith("date="):
        return None
    try:
        day = datetime.strptime(name[5:], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(day.timestamp()) // 86_400


def _hour_number(entry, day_number: int) -> int | None:
    name = entry.path.rsplit("/", 1)[-1]
    if not entry.is_dir or not name.startswith("hour=") or not name[5:].isdigit():
        return None
    hour = int(name[5:])
    return day_number * 24 + hour if hour < 24 else None


def _read_frames(repository: ArtifactRepository, files: list[str], empty: dict) -> pd.DataFrame:
    """The files as one DataFrame: read as Arrow tables (a few at once: pyarrow lets the GIL
    go, and remote stores answer one file at a time) and turned into pandas once, at half
    the cost of a ``pd.read_parquet`` per file (an hour holds hundreds of them)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in empty.items()})

    def read(path: str):
        return pq.read_table(io.BytesIO(repository.read_bytes(path)))

    if len(files) == 1:
        tables = [read(files[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(_READ_THREADS, len(files))) as pool:
            tables = list(pool.map(read, files))
    try:
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except Exception:  # a column typed differently in two files: pandas makes it objects
        return pd.concat([table.to_pandas() for table in tables], ignore_index=True)


# -- building the files -------------------------------------------------------------------


def _by_hour(samples: list[_Sample]) -> list[tuple[int, list[_Sample]]]:
    groups: dict[int, list[_Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.timestamp // _HOUR_MS, []).append(sample)
    return sorted(groups.items())


def _part_path(folder: str, hour: int) -> str:
    start = datetime.fromtimestamp(hour * 3600, tz=timezone.utc)
    now = time.time_ns() // 1_000_000
    return (
        f"{folder}/date={start:%Y-%m-%d}/hour={start:%H}/part-{now}-{secrets.token_hex(4)}.parquet"
    )


def _predictions_table(samples: list[_Sample]):
    """One Arrow table of the samples' rows: the metadata, ``input.*`` and ``prediction*``
    columns. This runs beside the server, holding the GIL: the inputs are joined by one
    ``pd.concat`` (a DataFrame or a conversion per request cost about half a millisecond each),
    the outputs column by column with NumPy."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    inputs = [_input_frame(sample.inputs) for sample in samples]
    counts = [len(frame) for frame in inputs]
    outputs = [
        _output_columns(sample.outputs, rows) for sample, rows in zip(samples, counts, strict=True)
    ]
    arrays = {
        "request_id": pa.array(np.repeat(np.array([s.request_id for s in samples]), counts)),
        "timestamp": pa.array(
            np.repeat(np.array([s.timestamp for s in samples], dtype="int64"), counts)
        ),
        "latency_ms": pa.array(
            np.repeat(np.array([s.latency_ms for s in samples], dtype="float64"), counts)
        ),
    }
    features = pd.concat(inputs, ignore_index=True)
    for name, column in features.items():
        arrays[f"{INPUT_PREFIX}{name}"] = _arrow_column(column)
    for name in dict.fromkeys(name for columns in outputs for name in columns):
        parts = [
            columns[name] if name in columns else np.full(rows, None, dtype=object)
            for columns, rows in zip(outputs, counts, strict=True)
        ]
        arrays[name] = _arrow_column(np.concatenate(parts))
    return pa.table(arrays)


def _input_frame(inputs: Any) -> pd.DataFrame:
    """A request's input as a DataFrame of at least one row (the request's own frame when it
    is one)."""
    import pandas as pd

    if isinstance(inputs, pd.DataFrame) and inputs.shape[1] and len(inputs):
        return inputs
    if isinstance(inputs, pd.Series):
        return inputs.to_frame(0 if inputs.name is None else inputs.name)
    if isinstance(inputs, dict) and inputs:
        columns = {str(name): _rows(value) for name, value in inputs.items()}
        if len({len(column) for column in columns.values()}) > 1:  # tensors of other shapes
            columns = {name: _one_cell(value) for name, value in inputs.items()}
    else:
        columns = {str(index): column for index, column in enumerate(_array_columns(inputs))}
    return pd.DataFrame(columns)


def _output_columns(outputs: Any, rows: int) -> dict[str, Any]:
    """The predictions for ``rows`` input rows: a ``prediction`` column, or
    ``prediction.<name or index>`` columns when the model returns several outputs."""
    import numpy as np
    import pandas as pd

    if isinstance(outputs, pd.DataFrame) and outputs.shape[1]:
        columns = {str(name): column.to_numpy() for name, column in outputs.items()}
    elif isinstance(outputs, pd.Series):
        columns = {"": outputs.to_numpy()}
    elif isinstance(outputs, dict) and outputs:
        columns = {str(name): _rows(value) for name, value in outputs.items()}
    else:
        columns = {str(index): column for index, column in enumerate(_array_columns(outputs))}
    if any(len(column) != rows for column in columns.values()):
        # Not one prediction per row: one request's row keeps it whole, more get nothing.
        columns = {"": _one_cell(outputs) if rows == 1 else np.full(rows, None, dtype=object)}
    if len(columns) == 1:
        return {PREDICTION_COLUMN: next(iter(columns.values()))}
    return {f"{PREDICTION_COLUMN}.{name}": column for name, column in columns.items()}


def _array_columns(value: Any) -> list:
    """An array-like's columns: one for a scalar or a vector, one per column of a matrix, and
    one of nested lists (a row each) for higher dimensions."""
    array = _as_array(value)
    if array.ndim == 2 and array.shape[1]:
        return [array[:, index] for index in range(array.shape[1])]
    return [_rows(array)]


def _rows(value: Any):
    """``value`` as a 1-d array with one entry per row (nested lists when a row is not a
    scalar)."""
    import numpy as np

    array = _as_array(value)
    if array.ndim == 0:
        return array.reshape(1)
    if array.ndim == 1:
        return array
    rows = np.empty(len(array), dtype=object)
    for index, row in enumerate(array):
        rows[index] = row.tolist()
    return rows


def _one_cell(value: Any):
    import numpy as np

    cell = np.empty(1, dtype=object)
    tolist = getattr(value, "tolist", None)
    cell[0] = tolist() if callable(tolist) else value
    return cell


def _as_array(value: Any):
    import numpy as np

    try:
        return np.asarray(value)
    except ValueError:  # ragged lists: one entry each
        items = list(value)
        array = np.empty(len(items), dtype=object)
        for index, item in enumerate(items):
            array[index] = item
        return array


def _arrow_column(values: Any):
    """A column (array or Series) as Arrow; one pyarrow cannot type (mixed objects) is
    written as text."""
    import pyarrow as pa

    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([None if value is None else str(value) for value in values])


def _parquet_bytes(data: Any) -> bytes:
    """A DataFrame or an Arrow table as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(data, pa.Table):
        data = pa.table({str(name): _arrow_column(column) for name, column in data.items()})
    buffer = io.BytesIO()
    pq.write_table(data, buffer)
    return buffer.getvalue()


# -- small helpers ------------------------------------------------------------------------


def _repository(client: TrackingClient, run_id: str) -> ArtifactRepository:
    """The run's artifact repository as ``client`` reaches it; ``NotFound`` for no such run."""
    if not isinstance(run_id, str) or not run_id:
        raise InvalidParameter(f"run_id must be a run's id, got {run_id!r}")
    return client.artifact_repository(client.get_run(run_id).info.artifact_uri)


def _row_count(inputs: Any) -> int:
    if isinstance(inputs, dict):
        for value in inputs.values():  # columns: the first one's length
            sized = hasattr(value, "__len__") and not isinstance(value, (str, bytes))
            return max(1, len(value)) if sized else 1
        return 1
    shape = getattr(inputs, "shape", None)
    if shape is not None:
        return max(1, int(shape[0])) if len(shape) else 1
    return max(1, len(inputs)) if hasattr(inputs, "__len__") else 1


def _sample_rate(value: Any) -> float:
    if not _is_number(value) or not 0 < value <= 1:
        raise InvalidParameter(
            f"sample_rate must be a share of the requests, 0 < rate <= 1, got {value!r}"
        )
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
