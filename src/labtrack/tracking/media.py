"""Media over steps: where a run keeps its images, tables, histograms, texts and audio, and how
they are listed and read back.

One file per key and step, inside the run's artifacts (so every store keeps them: a local
folder, S3, ``labtrack server``)::

    images/<key>/step_<step>.png        tables/<key>/step_<step>.json   (pandas "split")
    histograms/<key>/step_<step>.json   texts/<key>/step_<step>.txt     audio/<key>/step_<step>.wav

A key may contain ``/`` (``"val/samples"``), as MLflow's metric keys do. The writers are the
``log_*`` methods of ``TrackingClient`` (and ``lt.log_image`` & co.); the widgets and the
report read through ``list_media`` and ``read_media``.

>>> from labtrack.tracking.media import list_media, read_media     # doctest: +SKIP
>>> items = list_media(client, run_id, key="samples")
>>> read_media(client, items[-1])                                  # the last step's bytes
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from labtrack.artifacts.serialize import to_numpy
from labtrack.errors import InvalidParameter

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

MediaKind = Literal["image", "table", "histogram", "text", "audio"]

#: Each kind's top folder and file suffix.
LAYOUT: dict[str, tuple[str, str]] = {
    "audio": ("audio", ".wav"),
    "histogram": ("histograms", ".json"),
    "image": ("images", ".png"),
    "table": ("tables", ".json"),
    "text": ("texts", ".txt"),
}

_KEY = re.compile(r"^[A-Za-z0-9_\-./ ]+$")
_STEP_FILE = re.compile(r"^step_(0|[1-9][0-9]*)(\.[a-z]+)$")


class ArgumentConflict(InvalidParameter, TypeError):
    """Arguments that cannot go together (or a required one missing), where MLflow raises a
    ``TypeError``: an ``InvalidParameter`` that ``except TypeError`` catches too."""


@dataclass(frozen=True)
class MediaItem:
    """One logged media file: the run, its kind (``image``, ``table``, ``histogram``, ``text``
    or ``audio``), key and step, and its path inside the run's artifacts."""

    run_id: str
    kind: str
    key: str
    step: int
    path: str


def validate_key(key: object) -> str:
    """``key`` if it can name media: letters, digits, ``_ - . /`` and spaces, with ``/`` only
    between non-empty parts and no ``.``/``..`` part. Raises ``InvalidParameter`` naming it."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):  # not match: "$" lets a final "\n" by
        raise InvalidParameter(
            f"media key {key!r} must be a non-empty string of letters, digits, "
            "'_', '-', '.', '/' and spaces"
        )
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidParameter(
            f"media key {key!r} must not start or end with '/', or have an empty, '.' or '..' part"
        )
    return key


def validate_step(step: object) -> int:
    """``step`` if it is a non-negative int (numpy integers too, not bools); else
    ``InvalidParameter``."""
    import numbers

    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise InvalidParameter(f"a media step must be a non-negative int, got {step!r}")
    return int(step)


def media_path(kind: str, key: object, step: object) -> str:
    """The artifact path of ``kind``'s file for ``key`` at ``step``, both validated."""
    folder, suffix = LAYOUT[kind]
    return f"{folder}/{validate_key(key)}/step_{validate_step(step)}{suffix}"


def list_media(client: TrackingClient, run_id: str, key: str | None = None) -> list[MediaItem]:
    """Every media file of a run (or of one ``key``: that key's files only, not those of keys
    under it such as ``key/sub``), sorted by kind, key and step. Files that do not follow the
    layout (another name or suffix) are skipped.
    """
    if key is not None:
        validate_key(key)
    client.writer.run_deferred()  # files this process is still writing in the background
    repository = client._artifacts(run_id)
    items: list[MediaItem] = []
    for kind, (folder, suffix) in LAYOUT.items():
        pending = [f"{folder}/{key}"] if key is not None else [folder]
        while pending:
            current = pending.pop()
            for entry in repository.list_artifacts(current):
                name = entry.path.rsplit("/", 1)[-1]
                if entry.is_dir:
                    if key is None:
                        pending.append(f"{current}/{name}")
                    continue
                match = _STEP_FILE.fullmatch(name)
                if match is None or match.group(2) != suffix or current == folder:
                    continue
                items.append(
                    MediaItem(
                        run_id=run_id,
                        kind=kind,
                        key=current[len(folder) + 1 :],
                        step=int(match.group(1)),
                        path=f"{current}/{name}",
                    )
                )
    items.sort(key=lambda item: (item.kind, item.key, item.step))
    return items


def read_media(client: TrackingClient, item: MediaItem) -> bytes | str | dict:
    """The content of a media file: bytes for an image (PNG) or audio (WAV), a str for a text,
    a dict for a histogram (``edges``, ``counts``, ``count``, ``min``, ``max``, ``sum``) or a
    table (``columns`` and ``data``, a list of rows). Raises ``NotFound`` if it is gone.
    """
    if item.kind not in LAYOUT:
        raise InvalidParameter(f"unknown media kind {item.kind!r}; one of {sorted(LAYOUT)}")
    client.writer.run_deferred()
    raw = client._artifacts(item.run_id).read_bytes(item.path)
    if item.kind in ("image", "audio"):
        return raw
    if item.kind == "text":
        return raw.decode("utf-8")
    document = json.loads(raw)
    if item.kind == "table":
        return {"columns": document["columns"], "data": document["data"]}
    return document


# -- encoders (the writing half; TrackingClient's log_* methods call them) ------------------


def histogram_document(values: object, bins: object = 64) -> dict:
    """``values`` binned by ``numpy.histogram`` into ``bins`` equal-width bins: the histogram
    layout (``edges``, ``counts``, ``count``, ``min``, ``max``, ``sum``). NaN and infinite
    values are left out (``count`` counts the values kept). Raises ``InvalidParameter`` for
    non-numeric or empty values, or bins that are not a positive int.
    """
    import numbers

    import numpy as np

    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
        raise InvalidParameter(f"log_histogram's bins must be a positive int, got {bins!r}")
    array = to_numpy(values, "log_histogram")
    if array.dtype.kind not in "biuf":
        raise InvalidParameter(
            f"log_histogram takes numbers (an array, list or tensor), got dtype {array.dtype}"
        )
    array = array.astype(np.float64, copy=False).ravel()
    array = array[np.isfinite(array)]
    if array.size == 0:
        raise InvalidParameter("log_histogram needs at least one finite value")
    counts, edges = np.histogram(array, bins=int(bins))
    return {
        "edges": [float(edge) for edge in edges],
        "counts": [int(count) for count in counts],
        "count": int(array.size),
        "min": float(array.min()),
        "max": float(array.max()),
        "sum": float(array.sum()),
    }


def wav_bytes(samples: object, sample_rate: object) -> bytes:
    """``samples`` as a 16-bit PCM WAV file, written with the standard library's ``wave``:
    floats in [-1, 1] or int16, one channel (a 1-D array) or several (samples x channels).
    Raises ``InvalidParameter`` for another shape, dtype or range, or a bad sample rate.
    """
    import numbers
    import wave

    import numpy as np

    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, numbers.Integral)
        or sample_rate < 1
    ):
        raise InvalidParameter(
            f"log_audio's sample_rate must be a positive int, got {sample_rate!r}"
        )
    array = to_numpy(samples, "log_audio")
    if array.ndim not in (1, 2) or array.shape[0] == 0 or (array.ndim == 2 and array.shape[1] < 1):
        raise InvalidParameter(
            "log_audio takes a non-empty 1-D array (mono) or samples x channels, "
            f"got shape {array.shape}"
        )
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or np.abs(array).max() > 1:
            raise InvalidParameter("float audio samples must be finite and within [-1, 1]")
        array = np.round(array * 32767).astype("<i2")
    elif array.dtype == np.int16:
        array = array.astype("<i2", copy=False)
    else:
        raise InvalidParameter(
            f"log_audio takes float samples in [-1, 1] or int16, got dtype {array.dtype}"
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1 if array.ndim == 1 else array.shape[1])
        writer.setsampwidth(2)
        writer.setframerate(int(sample_rate))
        writer.writeframes(np.ascontiguousarray(array).tobytes())
    return buffer.getvalue()
