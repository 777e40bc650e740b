"""``runs:/<run_id>/<path>`` URIs, parsed in one place (models, the registry and its
client all read them).

>>> parse_runs_uri("runs:/0a1b.../model")                     # doctest: +SKIP
('0a1b...', 'model')
"""

from __future__ import annotations

from labtrack.errors import InvalidParameter

RUNS_SCHEME = "runs:/"


def is_runs_uri(uri: str) -> bool:
    return uri.startswith(RUNS_SCHEME)


def parse_runs_uri(uri: str, *, path_required: bool = True) -> tuple[str, str]:
    """``(run_id, path)`` of a ``runs:/`` URI, the path without its outer slashes. The path
    may be empty only when not ``path_required`` (``runs:/<id>`` is then the run's whole
    artifact folder). The run id is not looked up here."""
    if not is_runs_uri(uri):
        raise InvalidParameter(f"{uri!r} is not a runs:/<run_id>/<path> URI")
    run_id, _, path = uri.removeprefix(RUNS_SCHEME).partition("/")
    path = path.strip("/")
    if not run_id or (path_required and not path):
        raise InvalidParameter(
            f"model URI {uri!r} must be runs:/<run_id>/<path of the model in the run>"
        )
    return run_id, path
