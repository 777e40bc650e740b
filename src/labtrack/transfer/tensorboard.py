"""``labtrack import tensorboard LOGDIR``: TensorBoard event files as labtrack runs.

Each TensorBoard run (a folder under LOGDIR holding ``events.out.tfevents.*`` files, LOGDIR
itself included) becomes one labtrack run named after its path under LOGDIR:

* scalars become metrics under their tag, each point with its step and its wall time in ms;
* the HParams plugin's session start info (``add_hparams``, ``hp.hparams``) becomes params;
* images become PNG artifacts ``images/<tag>/step_<n>.png`` (``step_<n>_<i>.png`` when one
  event holds several).

Other plugins' data (histograms, text, graphs) is not imported. The files are read with the
``tensorboard`` package's own reader (``pip install labtrack[tensorboard]``). Every file is
read, and checked whole, before any run is created: a folder without event files or a
truncated or corrupt event file raises ``TransferError`` naming it, and nothing is imported.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from labtrack.transfer import TransferError

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

EVENT_FILE_MARKER = "tfevents"
SOURCE_TAG = "labtrack.source"
LOGDIR_TAG = "tensorboard.logdir"
RUN_TAG = "tensorboard.run"
# Each record of an event file: an 8-byte length, its 4-byte CRC, the data, the data's CRC.
_RECORD_OVERHEAD = 16
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_NOT_IN_KEYS = re.compile(r"[^\w\-. /:]")  # what labtrack refuses in a metric or param name


@dataclass
class _Run:
    """One TensorBoard run, read whole before anything is written."""

    name: str
    folder: Path
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)  # key, value, ms, step
    params: dict[str, str] = field(default_factory=dict)
    images: Path | None = None  # the staged images/ folder, if the run has images
    start_ms: int | None = None
    end_ms: int | None = None

    def saw(self, ms: int) -> None:
        self.start_ms = ms if self.start_ms is None else min(self.start_ms, ms)
        self.end_ms = ms if self.end_ms is None else max(self.end_ms, ms)


def import_tensorboard(
    logdir: str | os.PathLike,
    client: TrackingClient,
    *,
    experiment_name: str | None = None,
) -> list[str]:
    """Import the TensorBoard runs under ``logdir`` into ``client``'s store; return the new
    run ids, one per TensorBoard run folder, in the order of their paths.

    The runs go to ``experiment_name`` (created if needed), else to the Default experiment,
    tagged ``labtrack.source=tensorboard``, ``tensorboard.logdir`` and ``tensorboard.run``.
    Raises ``TransferError`` if ``logdir`` is not a folder, holds no event files, or an event
    file is truncated or corrupt (the message names the file); nothing is imported then.

    >>> import_tensorboard("runs/", lt.Client(), experiment_name="from-tb")  # doctest: +SKIP
    ['3f0c...', '9a41...']
    """
    root = Path(logdir)
    if not root.is_dir():
        raise TransferError(f"{root}: no such folder (expected a TensorBoard log directory)")
    folders = _run_folders(root)
    if not folders:
        raise TransferError(f"{root}: no TensorBoard event files (events.out.tfevents.*) in it")
    with tempfile.TemporaryDirectory(prefix="labtrack-tensorboard-") as staging:
        runs = [
            _read_run(root, folder, Path(staging) / str(index))
            for index, folder in enumerate(folders)
        ]
        return _write_runs(runs, root, client, experiment_name)


def _run_folders(root: Path) -> list[Path]:
    from tensorboard.backend.event_processing import io_wrapper

    return sorted(Path(folder) for folder in io_wrapper.GetLogdirSubdirectories(str(root)))


def _event_files(folder: Path) -> list[Path]:
    from tensorboard.backend.event_processing import io_wrapper

    # TensorBoard reads a run's files in name order: their names start with the time.
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and io_wrapper.IsSummaryEventsFile(str(path))
    )


def _read_run(root: Path, folder: Path, staging: Path) -> _Run:
    relative = folder.relative_to(root).as_posix()
    run = _Run(name=root.resolve().name if relative == "." else relative, folder=folder)
    plugins: dict[str, str] = {}  # tag -> plugin: later events of a tag may omit the metadata
    for path in _event_files(folder):
        _check_complete(path)
        for event in _events(path):
            ms = round(event.wall_time * 1000)
            if event.HasField("summary"):
                run.saw(ms)
                for value in event.summary.value:
                    try:
                        _read_value(run, value, event.step, ms, plugins, staging, path)
                    except TransferError:
                        raise
                    except Exception as error:  # a value its plugin's layout does not fit
                        raise TransferError(
                            f"{path}: cannot read tag {value.tag!r} at step {event.step} "
                            f"({type(error).__name__}: {error}); nothing was imported"
                        ) from None
    return run


def _check_complete(path: Path) -> None:
    """The reader stops quietly at a half-written record (it is built to follow files that
    are still being written); a file whose records do not add up to its size is truncated."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    try:
        read = sum(
            len(record) + _RECORD_OVERHEAD for record in RawEventFileLoader(str(path)).Load()
        )
        size = path.stat().st_size
    except OSError as error:
        raise TransferError(f"{path}: cannot read it ({error})") from None
    if read != size:
        raise TransferError(
            f"{path}: truncated or corrupt TensorBoard event file (only its first {read} of "
            f"{size} bytes are whole records); nothing was imported"
        )


def _events(path: Path):
    from google.protobuf.message import DecodeError
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    try:
        yield from EventFileLoader(str(path)).Load()
    except DecodeError as error:
        raise TransferError(f"{path}: not a TensorBoard event file ({error})") from None


def _read_value(run: _Run, value, step: int, ms: int, plugins, staging: Path, path: Path) -> None:
    from tensorboard.plugins.hparams import metadata as hparams_metadata

    if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
        plugins[value.tag] = value.metadata.plugin_data.plugin_name
    plugin = plugins.get(value.tag)
    if plugin == "scalars":
        from tensorboard.util import tensor_util

        number = float(tensor_util.make_ndarray(value.tensor).item())
        run.metrics.append((_key(value.tag, path), number, ms, step))
    elif plugin == "images":
        # [width, height, encoded image, ...] (data_compat's form of every image summary)
        encoded = list(value.tensor.string_val[2:])
        for index, image in enumerate(encoded):
            suffix = "" if len(encoded) == 1 else f"_{index}"
            _stage_image(staging, value.tag, f"step_{step}{suffix}.png", image, path)
            run.images = staging / "images"
    elif plugin == hparams_metadata.PLUGIN_NAME and (
        value.tag == hparams_metadata.SESSION_START_INFO_TAG
    ):
        content = value.metadata.plugin_data.content
        info = hparams_metadata.parse_session_start_info_plugin_data(content)
        for name, hparam in info.hparams.items():
            run.params[_key(name, path)] = _hparam_text(hparam)


def _hparam_text(value) -> str:
    """An hparam (a protobuf Value) as a param: TensorBoard keeps every number as a float,
    so a whole number is written as the int it almost always was (batch size, layers)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return str(int(number)) if number.is_integer() else repr(number)
    if kind == "bool_value":
        return str(value.bool_value)
    if kind == "string_value":
        return value.string_value
    return ""


def _key(tag: str, path: Path) -> str:
    """A TensorBoard tag as a labtrack name: characters labtrack refuses become ``_``."""
    from labtrack.errors import InvalidParameter
    from labtrack.tracking import validation

    key = _NOT_IN_KEYS.sub("_", tag).strip("/")
    try:
        return validation.validate_key(key)
    except InvalidParameter as error:
        raise TransferError(f"{path}: tag {tag!r} cannot be a labtrack name ({error})") from None


def _stage_image(staging: Path, tag: str, name: str, data: bytes, path: Path) -> None:
    target = staging / "images" / _key(tag, path) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not data.startswith(_PNG_MAGIC):  # TensorFlow's writers may encode JPEG or GIF
        data = _as_png(data, tag, path)
    target.write_bytes(data)


def _as_png(data: bytes, tag: str, path: Path) -> bytes:
    import io

    try:
        from PIL import Image
    except ImportError:
        raise TransferError(
            f"{path}: image {tag!r} is not PNG; converting it needs Pillow (pip install pillow)"
        ) from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, format="PNG")
    except Exception as error:
        raise TransferError(f"{path}: image {tag!r} cannot be decoded ({error})") from None
    return out.getvalue()


def _experiment_id(client: TrackingClient, name: str | None) -> str:
    if name is None:
        return "0"  # the Default experiment
    experiment = client.get_experiment_by_name(name)
    return experiment.experiment_id if experiment else client.create_experiment(name)


def _write_runs(
    runs: list[_Run], root: Path, client: TrackingClient, experiment_name: str | None
) -> list[str]:
    """Create and fill the runs; if anything fails, delete the runs made so far."""
    from labtrack.entities import Metric, Param

    experiment_id = _experiment_id(client, experiment_name)
    created: list[str] = []
    try:
        for run in runs:
            info = client.create_run(
                experiment_id,
                start_time=run.start_ms,
                run_name=run.name,
                tags={
                    SOURCE_TAG: "tensorboard",
                    LOGDIR_TAG: str(root.resolve()),
                    RUN_TAG: run.folder.relative_to(root).as_posix(),
                },
            ).info
            created.append(info.run_id)
            client.log_batch(
                info.run_id,
                metrics=[Metric(key, value, ms, step) for key, value, ms, step in run.metrics],
                params=[Param(key, value) for key, value in run.params.items()],
                synchronous=True,
            )
            if run.images is not None:
                client.log_artifacts(info.run_id, run.images, "images")
            client.set_terminated(info.run_id, "FINISHED", end_time=run.end_ms)
    except BaseException:
        for run_id in created:
            try:
                client.delete_run(run_id)
            except Exception:  # the first error is the one to report
                pass
        raise
    return created


__all__ = ["import_tensorboard"]
