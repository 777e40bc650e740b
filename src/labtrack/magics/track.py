"""``%%track`` and ``%track``: a cell, or a span of cells, becomes a tracked run.

The magics parse their arguments and call the fluent API; they hold no tracking logic.
"""

from __future__ import annotations

import argparse
import ast
import functools
import shlex
import time

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from labtrack import env
from labtrack.magics.cell_history import CellHistory
from labtrack.tracking import fluent, state


class _HelpShown(Exception):
    """``--help`` was asked for and printed; nothing else to do."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as a one-line UsageError instead of exiting."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None):
        raise _HelpShown


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="run name (default: a random readable name)")
    parser.add_argument("--experiment", help="experiment name (default: the active experiment)")
    parser.add_argument(
        "--params",
        action="append",
        default=[],
        metavar="a,b,lr=0.1",
        help="log these variables' values (or literal key=value pairs) as params",
    )
    parser.add_argument(
        "--tags", action="append", default=[], metavar="k=v,k2=v2", help="tags to set"
    )
    parser.add_argument("--group", help="the run's group (lt.chart/lt.runs group_by=...)")
    parser.add_argument("--nested", action="store_true", help="start a child of the active run")
    parser.add_argument("--resume", metavar="RUN_ID", help="continue an existing run")
    parser.add_argument("--no-source", action="store_true", help="do not record the cell's source")
    parser.add_argument("--quiet", action="store_true", help="no summary line after the cell")
    parser.add_argument(
        "--system",
        action="store_true",
        help="log CPU, memory, disk, network and GPU metrics (system/...) while the run is active",
    )


@functools.cache
def _cell_parser() -> _Parser:
    parser = _Parser(prog="%%track", description="Run this cell as a tracked run.")
    _add_run_options(parser)
    return parser


@functools.cache
def _line_parser() -> _Parser:
    parser = _Parser(prog="%track", description="Track a run that spans several cells.")
    commands = parser.add_subparsers(dest="command", metavar="{start,stop,status,params}")
    start = commands.add_parser("start", help="start a run; each executed cell is recorded")
    _add_run_options(start)
    stop = commands.add_parser("stop", help="end the run started by %%track start")
    stop.add_argument("--status", default="FINISHED", choices=("FINISHED", "FAILED", "KILLED"))
    commands.add_parser("status", help="show the active run")
    params = commands.add_parser("params", help="log variables (or key=value) as params")
    params.add_argument("names", nargs="+", metavar="NAME")
    for sub in commands.choices.values():  # sub-parsers report errors the same one-line way
        sub.__class__ = _Parser
    return parser


def _split_pairs(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _parse_tags(values: list[str]) -> dict[str, str]:
    tags = {}
    for item in _split_pairs(values):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--tags takes key=value pairs, got {item!r}")
        tags[key.strip()] = value.strip()
    return tags


@magics_class
class TrackMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self.line_run: fluent.ActiveRun | None = None  # the run %track start opened
        self.history: CellHistory | None = None
        self._cell_started: float | None = None
        shell.events.register("pre_run_cell", self._before_cell)
        shell.events.register("post_run_cell", self._after_cell)

    # -- %%track ------------------------------------------------------------------------------

    @line_cell_magic
    def track(self, line: str, cell: str | None = None):
        """``%%track [--name N] [--params a,b] ...``: run the cell as a tracked run.
        ``%track start|stop|status|params``: a run that spans several cells. ``--help`` for more."""
        if cell is None:
            return self._track_line(line)
        try:
            args = _cell_parser().parse_args(shlex.split(line))
        except _HelpShown:
            return None
        tags = _parse_tags(args.tags)
        # Inside a %track start span, a tracked cell is a child of that run.
        nested = args.nested or self._line_run_is_active()
        started = time.perf_counter()
        run = fluent.start_run(
            run_id=args.resume,
            run_name=args.name,
            nested=nested,
            tags=tags,
            experiment_id=self._experiment_id(args.experiment),
            log_system_metrics=args.system or None,  # None: as LABTRACK_LOG_SYSTEM_METRICS says
            group=args.group,
        )
        with run:
            # Variables known now are logged with the values the cell starts from; the cell
            # may define the others.
            undefined = self._log_params(_split_pairs(args.params))
            ok = False
            try:
                result = self._run_cell_body(cell)
                ok = True
            finally:
                seconds = time.perf_counter() - started
                self._record_cell(run, cell, seconds, ok, args.no_source, new_run=not run.resumed)
            for name in self._log_params(undefined):
                print(
                    f"labtrack: --params: the cell defined no variable {name!r}; it was not logged"
                )
        if not args.quiet and env.MAGIC_SUMMARY.get() != "0":
            self._print_summary(run, seconds)
        return result

    def _run_cell_body(self, cell: str):
        """Execute the cell in the user's namespace; return its last expression like a cell does."""
        source = self.shell.transform_cell(cell)
        tree = ast.parse(source)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        filename = self.shell.compile.cache(source)  # tracebacks show the cell's lines
        exec(compile(tree, filename, "exec"), self.shell.user_ns)
        if last is not None:
            return eval(compile(last, filename, "eval"), self.shell.user_ns)
        return None

    def _record_cell(
        self, run, cell: str, seconds: float, ok: bool, no_source: bool, new_run: bool
    ) -> None:
        client = run.client
        client.log_metric(run.info.run_id, "wall_time_s", seconds)
        if not no_source:
            count = self.shell.execution_count
            CellHistory(client, run.info.run_id, new_run).append(cell, count, seconds, ok)
            if self.history is not None and self._line_run_is_active():
                self.history.append(cell, count, seconds, ok)

    # -- %track ---------------------------------------------------------------------------

    def _track_line(self, line: str):
        try:
            args = _line_parser().parse_args(shlex.split(line) or ["status"])
        except _HelpShown:
            return None
        if args.command == "start":
            tags = _parse_tags(args.tags)
            params = _split_pairs(args.params)
            self._require_variables(
                [p for p in params if "=" not in p and p not in self.shell.user_ns]
            )
            run = fluent.start_run(
                run_id=args.resume,
                run_name=args.name,
                nested=args.nested,
                tags=tags,
                experiment_id=self._experiment_id(args.experiment),
                log_system_metrics=args.system or None,  # None: as LABTRACK_LOG_SYSTEM_METRICS says
                group=args.group,
            )
            self.line_run = run
            self.history = None if args.no_source else CellHistory(state.client(), run.info.run_id)
            self._log_params(params)
            if not args.quiet:
                print(
                    f"labtrack: started run {run.info.run_name!r} ({run.info.run_id[:8]}); "
                    "cells are recorded until %track stop"
                )
        elif args.command == "stop":
            if not self._line_run_is_active():
                raise UsageError("%track stop: no run was started with %track start")
            run = self.line_run
            run.end(args.status)
            self.line_run = self.history = None
            print(
                f"labtrack: ended run {run.info.run_name!r} ({run.info.run_id[:8]}) as {args.status}"
            )
        elif args.command == "params":
            if fluent.active_run() is None:
                raise UsageError("%track params: no active run (start one with %track start)")
            self._require_variables(self._log_params(args.names))
        else:
            active = fluent.active_run()
            print(
                "labtrack: no active run"
                if active is None
                else f"labtrack: active run {active.info.run_name!r} ({active.info.run_id}) "
                f"in experiment {active.info.experiment_id}"
            )
        return None

    # -- recording cells of a %track start span ------------------------------------------------

    def _line_run_is_active(self) -> bool:
        line_run = self.line_run
        return line_run is not None and any(run is line_run for run in state.active_runs())

    def _before_cell(self, info=None) -> None:
        self._cell_started = time.perf_counter()

    def _after_cell(self, result) -> None:
        if not self._line_run_is_active():
            self.line_run = self.history = None
            return
        source = result.info.raw_cell if result.info is not None else ""
        if self.history is None or not source.strip():
            return
        if source.lstrip().startswith(("%track start", "%%track")):
            return  # the opening cell is not part of the work; %%track cells record themselves
        seconds = time.perf_counter() - (self._cell_started or time.perf_counter())
        try:
            self.history.append(source, result.execution_count, seconds, result.success)
        except Exception as error:  # never break the notebook over the history
            print(f"labtrack: could not record this cell in the run's history: {error}")

    # -- helpers --------------------------------------------------------------------------------

    def _experiment_id(self, name: str | None) -> str | None:
        return fluent.get_or_create_experiment(name).experiment_id if name else None

    def _log_params(self, items: list[str]) -> list[str]:
        """Log ``key=value`` literals and the named variables; return the names not defined."""
        params, undefined = {}, []
        for item in items:
            key, sep, value = item.partition("=")
            if sep:
                params[key.strip()] = value.strip()
            elif item in self.shell.user_ns:
                params[item] = self.shell.user_ns[item]
            else:
                undefined.append(item)
        if params:
            fluent.log_params(params)
        return undefined

    @staticmethod
    def _require_variables(undefined: list[str]) -> None:
        if undefined:
            raise UsageError(
                f"%track: no variable named {', '.join(map(repr, undefined))} in the notebook"
            )

    def _print_summary(self, run, seconds: float) -> None:
        stored = fluent.get_run(run.info.run_id)
        print(
            f"labtrack: run {stored.info.run_name!r} ({stored.info.run_id[:8]}) "
            f"{stored.info.status} in {seconds:.2f}s, experiment {stored.info.experiment_id}"
        )
