"""``labtrack reproduce RUN_ID``: run a recorded run again, from the source it recorded (not
the files on disk now) and with the same parameters, as a new run in the same experiment,
tagged ``labtrack.reproduces=<RUN_ID>``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from labtrack.entities import Run
from labtrack.errors import InvalidParameter, NotFound
from labtrack.projects.command import EntryPointTarget
from labtrack.projects.launch import raise_if_failed
from labtrack.projects.mlproject import load_project
from labtrack.projects.notebook import NotebookTarget
from labtrack.projects.parameters import resolve
from labtrack.projects.runner import (
    ENTRY_POINT_TAG,
    INPUT_FOLDER,
    KIND_TAG,
    PARAMETERS_TAG,
    Target,
    run_target,
)
from labtrack.tracking import state

REPRODUCES_TAG = "labtrack.reproduces"
# The recorded source is the original's code: its git state describes the new run too.
_GIT_TAGS = ("mlflow.source.git.commit", "mlflow.source.git.branch", "labtrack.git.dirty")


def reproduce(run_id: str, run_name: str | None = None) -> Run:
    """Run ``run_id`` again as a new run; ``ExecutionFailed`` if the new run fails.

    >>> from labtrack.projects import reproduce  # doctest: +SKIP
    >>> new = reproduce(old_run_id)
    >>> new.data.tags["labtrack.reproduces"] == old_run_id
    True
    """
    client = state.client()
    original = client.get_run(run_id)
    tags = original.data.tags
    kind = tags.get(KIND_TAG)
    if kind not in ("notebook", "mlproject"):
        reason = (
            "it is a sweep; reproduce one of its child runs"
            if kind
            else "it was not started by `labtrack run`, so it recorded no source to run again"
        )
        raise InvalidParameter(f"cannot reproduce run {run_id}: {reason}")
    with tempfile.TemporaryDirectory(prefix="labtrack-reproduce-") as scratch:
        source = Path(client.download_artifacts(run_id, INPUT_FOLDER, scratch))
        target = _recorded_target(kind, source, tags)
        values = resolve(
            target.parameters, json.loads(tags.get(PARAMETERS_TAG, "{}")), target.label
        )
        outcome = run_target(
            target,
            values,
            client,
            original.info.experiment_id,
            run_name=run_name or f"{original.info.run_name} (reproduced)",
            tags={REPRODUCES_TAG: run_id, **{key: tags[key] for key in _GIT_TAGS if key in tags}},
            capture_git=False,
        )
    raise_if_failed(outcome)
    return client.get_run(outcome.run_id)


def _recorded_target(kind: str, source: Path, tags: dict[str, str]) -> Target:
    original_source = tags.get("mlflow.source.name", "")
    if kind == "mlproject":
        project = load_project(source)
        return EntryPointTarget(
            project,
            project.entry_point(tags.get(ENTRY_POINT_TAG, "main")),
            source_name=original_source,
        )
    notebooks = sorted(source.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise NotFound(f"the recorded source holds {len(notebooks)} notebooks, expected one")
    # Run where the original ran when that folder is still there: data files it reads
    # by relative path are not part of the recorded source.
    original_folder = Path(original_source).parent if original_source else None
    workdir = original_folder if original_folder and original_folder.is_dir() else source
    return NotebookTarget(
        notebooks[0],
        workdir=workdir,
        kernel_name=tags.get("labtrack.project.kernel"),
        source_name=original_source,
    )
