"""An MLproject entry point as something to run: its parameters and a shell-free argv.

Parameter values never reach a shell: the command is first split the way a POSIX shell
splits words, then each ``{placeholder}`` is replaced inside its own word, so a value such as
``1; touch pwned`` or ``a" --out /tmp/evil "`` is only ever (part of) one argument, quotes
around the placeholder or not. The other side of that coin: shell syntax in the command
itself (``&&``, ``|``, ``>``) is not interpreted; put it in a script.
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labtrack.projects.mlproject import EntryPoint, Project
from labtrack.projects.parameters import ParameterSpec
from labtrack.projects.runner import INPUT_FOLDER

# Folders that are never part of a project's source.
_SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints", "node_modules"}
MAX_SOURCE_FILE_BYTES = 10 * 1024 * 1024


def command_argv(entry_point: EntryPoint, values: dict[str, Any]) -> list[str]:
    """The entry point's command with ``values`` substituted, as an argv list.

    >>> command_argv(EntryPoint("main", "python train.py --lr {lr}"), {"lr": "1; touch x"})[1:]
    ['train.py', '--lr', '1; touch x']
    """
    # Split first, substitute after: a value quoted into the string before splitting could
    # close the quotes around its placeholder and add arguments of its own.
    texts = {name: str(value) for name, value in values.items()}
    argv = [word.format(**texts) for word in shlex.split(entry_point.command)]
    # "in the current environment": `python` is this interpreter, not whatever PATH finds.
    if argv and argv[0] in (
        "python",
        "python3",
        f"python{sys.version_info[0]}.{sys.version_info[1]}",
    ):
        argv[0] = sys.executable
    return argv


@dataclass(frozen=True)
class EntryPointTarget:
    """One entry point of a project folder, run as a process in that folder."""

    project: Project
    entry_point: EntryPoint
    source_name: str = ""  # recorded as mlflow.source.name; the project folder by default

    kind = "mlproject"

    @property
    def parameters(self) -> dict[str, ParameterSpec]:
        return self.entry_point.parameters

    @property
    def label(self) -> str:
        return f"project {self.project.name!r}, entry point {self.entry_point.name!r}"

    @property
    def default_run_name(self) -> str:
        name = self.project.name
        return name if self.entry_point.name == "main" else f"{name}:{self.entry_point.name}"

    @property
    def source_folder(self) -> Path:
        return self.project.folder

    def tags(self) -> dict[str, str]:
        tags = {
            "mlflow.source.type": "PROJECT",
            "mlflow.source.name": self.source_name or str(self.project.folder),
            "mlflow.project.entryPoint": self.entry_point.name,
            "mlflow.project.env": "local",  # the environment file is recorded, not built
        }
        for key, value in self.project.environment.items():
            tags[f"labtrack.project.{key}"] = str(value)
        return tags

    def source_files(self, skip: set[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
        """Every file of the project folder as (file, artifact folder under ``input/``),
        and the files left out for their size. Hidden and cache folders, ``skip`` (the
        store, if it lies inside the project) and symlinks to files outside the project
        (left out with a warning) are not source."""
        files, too_large, outside = [], [], []
        root = self.project.folder
        resolved_root = root.resolve()
        for folder, subfolders, names in os.walk(root):
            here = Path(folder)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not name.startswith(".")
                and name not in _SKIPPED_FOLDERS
                and (here / name).resolve() not in skip
            )
            for name in sorted(names):
                path = here / name
                if name.startswith(".") or path.resolve() in skip or not path.is_file():
                    continue
                relative = path.relative_to(root)
                if not path.resolve().is_relative_to(resolved_root):
                    # A symlink out of the project (~/.ssh/id_rsa, /etc/...) is not its source.
                    outside.append(relative.as_posix())
                    continue
                if path.stat().st_size > MAX_SOURCE_FILE_BYTES:
                    too_large.append(relative.as_posix())
                    continue
                files.append((path, "/".join((INPUT_FOLDER, *relative.parent.parts))))
        if outside:
            warnings.warn(
                f"labtrack: not recording {', '.join(outside)} with the project's source: "
                f"symlinks to files outside {str(root)!r}",
                stacklevel=2,
            )
        return files, too_large

    def launch(self, values: dict[str, Any], output_dir: Path) -> tuple[list[str], Path]:
        """The argv to run and its working directory (the project folder)."""
        return command_argv(self.entry_point, values), self.project.folder
