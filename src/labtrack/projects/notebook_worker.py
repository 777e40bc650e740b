"""The process that executes one notebook for ``labtrack run``:
``python -m labtrack.projects.notebook_worker INPUT OUTPUT --parameters JSON``.

A process per execution gives each its own working directory, environment and kernel, so a
sweep runs notebooks side by side, and the process that tracks the run (perhaps itself a
Jupyter kernel) never imports papermill nor shares its event loop. The kernel is this
interpreter unless a kernel name is given: the machine's ``python3`` kernelspec may belong
to another Python, one without labtrack.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from labtrack.projects.runner import ERROR_FILE


def _this_interpreter_kernel_manager():
    """A kernel manager whose kernel is ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=f"Python {sys.version_info[0]}.{sys.version_info[1]}",
        language="python",
        resource_dir="",
    )

    class ThisInterpreterKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self):
            return spec

    return ThisInterpreterKernelManager


def execute(
    input_path: str, output_path: str, parameters: dict, kernel_name: str | None
) -> str | None:
    """Run the notebook with papermill in the current directory; the executed notebook (up
    to the failing cell, if one fails) is written to ``output_path``. Returns the error."""
    import papermill

    options: dict[str, Any] = {"kernel_name": kernel_name}
    if not kernel_name:
        # "python3" picks papermill's Python translator for the injected parameters cell.
        options = {
            "kernel_name": "python3",
            "language": "python",
            "kernel_manager_class": _this_interpreter_kernel_manager(),
        }
    try:
        papermill.execute_notebook(
            input_path, output_path, parameters=parameters, progress_bar=False, **options
        )
    except papermill.PapermillExecutionError as error:
        return f"cell {error.exec_count} raised {error.ename}: {error.evalue}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labtrack.projects.notebook_worker",
        description="Execute a notebook for `labtrack run`.",
    )
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--parameters", default="{}", help="JSON object of parameter values")
    parser.add_argument("--kernel", help="kernel name (default: this interpreter)")
    args = parser.parse_args(argv)
    try:
        error = execute(args.input, args.output, json.loads(args.parameters), args.kernel)
    except Exception as failure:  # no kernel, unreadable notebook, ...: a clear line, then details
        traceback.print_exc()
        error = f"{type(failure).__name__}: {failure}"
    if error:
        (Path(args.output).parent / ERROR_FILE).write_text(error + "\n")
        print(f"labtrack: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
