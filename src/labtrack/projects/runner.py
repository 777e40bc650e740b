"""One tracked execution of a notebook or an MLproject entry point.

The runner owns the run. It creates it; records the parameters, the source (so the run can
be reproduced), the git state and the installed packages; launches the execution as a child
process told, through ``LABTRACK_RUN_ID`` and ``LABTRACK_TRACKING_URI``, to log into that
same run; keeps what the execution produced; and decides the final status, whatever the
child did with the run meanwhile.

Artifacts: ``input/`` (the notebook or the project's files, as run), ``output/`` (the
executed notebook, or the command's ``stdout.txt`` and ``stderr.txt``),
``environment/requirements.txt``, and ``git/diff.patch`` when the repository was dirty.

Runs are made with an explicit ``TrackingClient``, never the fluent active-run stack: a sweep runs
several at once from threads, and the caller's own active run is left alone.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from labtrack import env
from labtrack.entities import Param, RunStatus
from labtrack.projects.processes import ChildProcesses, wait_or_stop
from labtrack.tracking.validation import ERROR_TAG, error_tag_value

if TYPE_CHECKING:
    from labtrack.projects.parameters import ParameterSpec
    from labtrack.tracking.client import TrackingClient

# Tags that let `labtrack reproduce` run a recorded run again.
KIND_TAG = "labtrack.project.kind"
PARAMETERS_TAG = "labtrack.project.parameters"
ENTRY_POINT_TAG = "mlflow.project.entryPoint"
DURATION_METRIC = "duration_s"
# A child may leave a one-line account of its failure here, in its output folder.
ERROR_FILE = "error.txt"
# The executed notebook or project files, as recorded (``%%track`` keeps cells in source/).
INPUT_FOLDER = "input"


class Target(Protocol):
    """What a run executes: ``NotebookTarget`` or ``EntryPointTarget``."""

    kind: str
    parameters: dict[str, ParameterSpec]
    label: str  # for messages: "notebook 'train.ipynb'"
    default_run_name: str
    source_folder: Path  # where its git state is read

    def tags(self) -> dict[str, str]: ...

    def source_files(self, skip: set[Path]) -> tuple[list[tuple[Path, str]], list[str]]: ...

    def launch(self, values: dict[str, Any], output_dir: Path) -> tuple[list[str], Path]: ...


@dataclass(frozen=True)
class Outcome:
    """How one execution ended."""

    run_id: str
    run_name: str
    status: str
    error: str | None
    seconds: float


def run_target(
    target: Target,
    values: dict[str, Any],
    client: TrackingClient,
    experiment_id: str,
    *,
    run_name: str | None = None,
    tags: dict[str, str] | None = None,
    capture_git: bool = True,
    processes: ChildProcesses | None = None,
) -> Outcome:
    """Execute ``target`` with already validated ``values`` as one run; never raises for a
    failure of the execution itself (the outcome says FAILED), only for a broken store.

    The child process is registered in ``processes`` (a sweep's), whose ``stop()`` ends it:
    the run is then KILLED and KeyboardInterrupt raised, as for an interrupt here."""
    from labtrack.tracking.context import git_tags, source_tags

    started = time.monotonic()
    run_tags = {
        **source_tags(),
        **(git_tags(target.source_folder) if capture_git else {}),
        **target.tags(),
        KIND_TAG: target.kind,
        PARAMETERS_TAG: json.dumps(values, sort_keys=True),
        **(tags or {}),
    }
    run = client.create_run(
        experiment_id, tags=run_tags, run_name=run_name or target.default_run_name
    )
    run_id = run.info.run_id
    status, error = RunStatus.FAILED, None
    try:
        client.log_batch(run_id, params=[Param(key, value) for key, value in values.items()])
        _record_provenance(
            client, run_id, target, dirty=run_tags.get("labtrack.git.dirty") == "true"
        )
        with tempfile.TemporaryDirectory(prefix="labtrack-run-") as scratch:
            output_dir = Path(scratch) / "output"
            output_dir.mkdir()
            argv, cwd = target.launch(values, output_dir)
            processes = processes or ChildProcesses()
            returncode = _run_process(
                argv, cwd, child_environment(client, run_id), output_dir, processes
            )
            error = None if returncode == 0 else _failure(output_dir, returncode)
            _log_outputs(client, run_id, output_dir)
            if processes.stopped:  # stopped by the sweep, not failed on its own
                raise KeyboardInterrupt("the sweep was interrupted")
        status = RunStatus.FINISHED if error is None else RunStatus.FAILED
    except KeyboardInterrupt:
        status, error = RunStatus.KILLED, "interrupted"
        raise
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"
        raise
    finally:
        seconds = time.monotonic() - started
        client.log_metric(run_id, DURATION_METRIC, seconds)
        if error:
            client.set_tag(run_id, ERROR_TAG, error_tag_value(error))
        client.set_terminated(run_id, status)
    return Outcome(run_id, run.info.run_name, status, error, seconds)


def child_environment(client: TrackingClient, run_id: str) -> dict[str, str]:
    """This process's environment, plus what makes the child log into ``run_id``."""
    environment = dict(os.environ)
    environment[env.RUN_ID.name] = run_id
    environment[env.TRACKING_URI.name] = client.tracking_uri
    environment["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as they happened
    environment["PYTHONPATH"] = _pythonpath_with_labtrack(environment.get("PYTHONPATH", ""))
    # A Jupyter server names its notebook to the kernel (JPY_SESSION_NAME): a notebook run from
    # a lab kernel is another notebook, with no server, whose saved widgets must carry Plotly.
    environment.pop("JPY_SESSION_NAME", None)
    return environment


def _pythonpath_with_labtrack(pythonpath: str) -> str:
    """The child (and its kernel) must import this labtrack, even one loaded from a source
    tree the interpreter does not know. Site-packages is never put there: ahead of the
    standard library it could shadow it."""
    import labtrack

    root = str(Path(labtrack.__file__).resolve().parents[1])
    entries = [entry for entry in pythonpath.split(os.pathsep) if entry]
    site_folders = {
        str(Path(p).resolve()) for p in [*site.getsitepackages(), site.getusersitepackages()]
    }
    if root not in entries and root not in site_folders:
        entries.insert(0, root)
    return os.pathsep.join(entries)


def _record_provenance(client: TrackingClient, run_id: str, target: Target, dirty: bool) -> None:
    """The source as artifacts (``input/``), the uncommitted changes (``git/diff.patch``)
    and every installed package (``environment/requirements.txt``)."""
    from labtrack.tracking.context import git_diff, installed_requirements

    files, too_large = target.source_files(skip=_store_paths(client))
    for path, folder in files:
        client.log_artifact(run_id, path, folder)
    if too_large:
        client.set_tag(run_id, "labtrack.source.skipped", ", ".join(too_large)[:8000])
    if dirty:
        diff = git_diff(target.source_folder)
        if diff:
            client.log_text(run_id, diff, "git/diff.patch")
    client.log_text(run_id, installed_requirements(), "environment/requirements.txt")


def _store_paths(client: TrackingClient) -> set[Path]:
    """The store's own files, which a project folder may contain but are not its source."""
    database = client.database_path
    if database is None:
        return set()
    database = database.resolve()
    return {
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
        database.parent / "artifacts",
    }


def _run_process(
    argv: list[str],
    cwd: Path,
    environment: dict[str, str],
    output_dir: Path,
    processes: ChildProcesses,
) -> int:
    """Run the child to completion, its output going to ``stdout.txt`` and ``stderr.txt``.
    An interrupt ends it (terminated, then killed) and propagates."""
    with (
        open(output_dir / "stdout.txt", "wb") as stdout,
        open(output_dir / "stderr.txt", "wb") as stderr,
    ):
        try:
            process = processes.start(
                argv,
                cwd=cwd,
                env=environment,
                stdout=stdout,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
            )
        except OSError as error:  # the command's program does not exist
            stderr.write(f"{error}\n".encode())
            return 127
        try:
            return wait_or_stop(process)
        finally:
            processes.finished(process)


def _failure(output_dir: Path, returncode: int) -> str:
    """One line saying why the execution failed: the notebook worker's account, else the
    exit status and the last line the process wrote to stderr."""
    account = output_dir / ERROR_FILE
    if account.is_file():
        return account.read_text().strip()
    lines = [
        line
        for line in (output_dir / "stderr.txt").read_text(errors="replace").splitlines()
        if line.strip()
    ]
    return f"exited with status {returncode}" + (f": {lines[-1].strip()}" if lines else "")


def _log_outputs(client: TrackingClient, run_id: str, output_dir: Path) -> None:
    """Everything the execution left in ``output_dir`` (empty logs aside) under ``output/``."""
    for path in sorted(output_dir.iterdir()):
        if path.is_file() and path.stat().st_size > 0:
            client.log_artifact(run_id, path, "output")
