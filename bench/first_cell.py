"""What the first ``%%track`` cell of a fresh kernel adds, on a store that does not exist yet.

    python bench/first_cell.py [--kernels 7]

Each sample is a fresh interpreter running an IPython shell, as a notebook kernel does: it
imports labtrack in one cell, waits 2 s (a person reading; the warm-up thread runs then), and
times the first ``%%track --quiet`` cell of a trivial statement, then a plain cell and a
second tracked cell. The store is the default one of an empty ``LABTRACK_HOME``, so the
first cell creates it. Prints medians in milliseconds: the first tracked cell minus the
plain one is what a person waits for on top of their code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

KERNEL = textwrap.dedent(
    """
    import json, time
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("import labtrack as lt")
    time.sleep(2.0)  # a person reading the next cell: the warm-up runs meanwhile

    def timed(source):
        start = time.perf_counter()
        result = shell.run_cell(source)
        assert result.success, result.error_in_exec
        return (time.perf_counter() - start) * 1000

    first = timed("%%track --quiet\\nx = 1\\n")
    plain = timed("x = 1\\n")
    second = timed("%%track --quiet\\nx = 1\\n")
    print(json.dumps({"first": first, "plain": plain, "second": second}))
    """
)


def one_kernel(scratch: Path) -> dict[str, float]:
    """One fresh kernel on a store that does not exist yet; its timings in ms."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LABTRACK_", "MLFLOW_"))}
    environ["LABTRACK_HOME"] = str(scratch / "home")
    environ["PYTHONPATH"] = str(SRC)
    done = subprocess.run(
        [sys.executable, "-c", KERNEL],
        cwd=scratch,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kernels", type=int, default=7, help="fresh kernels (default 7)")
    args = parser.parse_args()
    samples = []
    for index in range(args.kernels):
        with tempfile.TemporaryDirectory() as scratch:
            samples.append(one_kernel(Path(scratch)))
        print(
            f"  kernel {index + 1}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in samples[-1].items())
        )
    medians = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    print(
        f"first %%track cell of a fresh kernel on a new store (median of {args.kernels}): "
        f"{medians['first']:.1f} ms, {medians['first'] - medians['plain']:.1f} ms over a plain "
        f"cell; later %%track cells {medians['second']:.1f} ms"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "first_cell.json").write_text(json.dumps({"medians": medians, "samples": samples}))


if __name__ == "__main__":
    main()
