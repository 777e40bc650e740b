"""What a run records about where it came from: user, host, git state, notebook, packages.

Each provider is cheap and never fails a run: anything it cannot find is left out.
Tag names follow MLflow's where MLflow has one (``mlflow.user``, ``mlflow.source.*``).
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Packages whose versions matter for reproducing a run, recorded when installed.
KEY_PACKAGES = (
    "labtrack",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "torch",
    "keras",
    "tensorflow",
    "jax",
    "xgboost",
    "lightgbm",
    "transformers",
)


def source_tags() -> dict[str, str]:
    """Everything but git, which ``git_tags`` reads (slower: it runs git)."""
    tags = {"mlflow.user": current_user(), **dict(_process_tags())}  # LOGNAME may change
    notebook = notebook_path()
    if notebook:
        tags["mlflow.source.type"] = "NOTEBOOK"
        tags["mlflow.source.name"] = notebook
    else:
        tags["mlflow.source.type"] = "LOCAL"
        tags["mlflow.source.name"] = _script_name()
    return {key: value for key, value in tags.items() if value}


@lru_cache(maxsize=1)  # the same for every run of a process: read once, not per run
def _process_tags() -> tuple[tuple[str, str], ...]:
    return (
        ("labtrack.host", socket.gethostname()),
        ("labtrack.python", platform.python_version()),
        ("labtrack.packages", json.dumps(package_versions(), sort_keys=True)),
    )


def source_folder() -> Path:
    """Where the run's code lives: the notebook's folder, else the working directory."""
    notebook = notebook_path()
    return Path(notebook).parent if notebook else Path.cwd()


def current_user() -> str:
    """The login name of whoever runs this process ("" where there is none): the first of
    the variables ``getpass.getuser`` reads (they may change, so they are read each time),
    else the user database's name for this process's user id."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    return _user_of(os.getuid() if hasattr(os, "getuid") else -1)


@lru_cache(maxsize=4)  # the user database is a file: read once per user id, not per run
def _user_of(_uid: int) -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return ""


def _script_name() -> str:
    main = sys.modules.get("__main__")
    return _resolved(getattr(main, "__file__", None) or "")


@lru_cache(maxsize=8)  # a process runs one script: resolving it once is enough
def _resolved(path: str) -> str:
    return str(Path(path).resolve()) if path else ""


@lru_cache(maxsize=1)  # installed versions do not change under a running process
def package_versions() -> dict[str, str]:
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def notebook_path() -> str | None:
    """The notebook this kernel runs, when the front end says so.

    Jupyter Server (2.x) tells kernels through ``JPY_SESSION_NAME``; VS Code sets
    ``__vsc_ipynb_file__`` in the user namespace.
    """
    path = os.environ.get("JPY_SESSION_NAME")
    if path and path.endswith(".ipynb"):
        return path
    shell = _ipython()
    if shell is not None:
        path = shell.user_ns.get("__vsc_ipynb_file__")
        if path:
            return str(path)
    return None


def _ipython():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def in_git_repository(folder: Path) -> bool:
    """Whether ``folder`` lies in a git working tree (a few stat calls; git is not run)."""
    return any(os.path.exists(candidate) for candidate in _git_dirs(os.path.abspath(folder)))


@lru_cache(maxsize=64)  # resolving a folder costs more than the stat calls: once per folder
def _git_dirs(folder: str) -> tuple[str, ...]:
    """Where a ``.git`` of ``folder``'s working tree could be: in it, or in a parent."""
    resolved = Path(folder).resolve()
    return tuple(str(parent / ".git") for parent in (resolved, *resolved.parents))


# git runs beside the user's kernel while their cell runs: at the lowest CPU priority, so that
# on a small machine it waits for the cell rather than the cell for it; --no-optional-locks
# keeps it from writing the index (and from colliding with the user's own git commands).
_LOW_PRIORITY = ("nice", "-n", "19") if shutil.which("nice") else ()


def git_tags(folder: Path) -> dict[str, str]:
    """Commit, dirty flag and branch of the repository holding ``folder`` (if any).

    One ``git status`` call answers all three; outside a repository git is not run at all.
    """
    if not in_git_repository(folder):
        return {}
    try:
        result = subprocess.run(
            [
                *_LOW_PRIORITY,
                "git",
                "--no-optional-locks",
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=no",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if result.returncode != 0:
        return {}
    headers = dict(
        line[2:].split(" ", 1)
        for line in result.stdout.splitlines()
        if line.startswith("# ") and " " in line[2:]
    )
    commit = headers.get("branch.oid", "")
    if not commit or commit == "(initial)":
        return {}
    changes = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    tags = {
        "mlflow.source.git.commit": commit,
        "labtrack.git.dirty": "true" if changes else "false",
    }
    branch = headers.get("branch.head")
    if branch and branch != "(detached)":
        tags["mlflow.source.git.branch"] = branch
    return tags


@lru_cache(maxsize=1)  # read once per process (as package_versions); a sweep records it per run
def installed_requirements() -> str:
    """Every installed distribution as ``name==version`` lines, sorted: what ``pip freeze``
    prints, read from ``importlib.metadata`` without starting pip."""
    pins: dict[str, str] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:  # the first one found on sys.path wins, as it does for imports
            pins.setdefault(name.lower(), f"{name}=={distribution.version}")
    return "".join(f"{pins[key]}\n" for key in sorted(pins))


def git_diff(folder: Path) -> str:
    """``git diff HEAD`` of the repository holding ``folder``: the uncommitted changes a
    dirty run's commit does not contain ('' when clean, outside a repository, or on error)."""
    try:
        result = subprocess.run(
            ["git", "diff", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout if result.returncode == 0 else ""
