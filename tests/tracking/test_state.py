"""The process state (``labtrack.tracking.state``): one per process, shared by its threads."""

from __future__ import annotations

import ast
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, InvalidState
from labtrack.tracking import fluent, state

TRACKING = Path(lt.__file__).parent / "tracking"


def test_a_run_started_on_the_main_thread_is_the_active_run_on_other_threads(tracking_uri):
    # A widget's refresh or a comm handler runs on another thread than the cell's code.
    with lt.start_run() as run, ThreadPoolExecutor(1) as pool:

        def on_another_thread():
            lt.log_metric("seen_from_thread", 1.0)
            return lt.active_run()

        assert pool.submit(on_another_thread).result() is run
    assert lt.get_run(run.info.run_id).data.metrics == {"seen_from_thread": 1.0}


def test_a_run_started_on_another_thread_is_the_active_run_on_the_main_thread(tracking_uri):
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(lt.start_run).result()
    assert lt.active_run() is run
    lt.end_run()
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"


def test_threads_starting_and_ending_runs_at_once_leave_the_stack_whole(tracking_uri):
    threads, rounds = 4, 25
    start_together = threading.Barrier(threads)

    def churn() -> list[str]:
        start_together.wait()
        started = []
        for step in range(rounds):
            with lt.start_run(nested=True) as child:
                lt.log_metric("step", step, run_id=child.info.run_id)
                started.append(child.info.run_id)
            assert lt.active_run() is not None  # the parent, at least: never a torn read
        return started

    with lt.start_run() as parent:
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(churn) for _ in range(threads)]
            children = [run_id for future in futures for run_id in future.result()]
        # Each child was ended once, and no thread's exit ended a run outside its own.
        assert state.active_runs() == (parent,)
    assert state.active_runs() == ()
    assert len(set(children)) == threads * rounds
    known = set(children) | {parent.info.run_id}
    for run in lt.search_runs(output_format="list"):
        assert run.info.status == "FINISHED"
        assert run.info.run_id == parent.info.run_id or run.data.tags["mlflow.parentRunId"] in known


def test_setting_the_tracking_uri_forgets_the_active_experiment(tmp_path):
    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'a.db'}")
    lt.set_experiment("only-in-a")
    assert state.experiment_id() is not None
    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'b.db'}")
    assert state.experiment_id() is None
    assert fluent.active_experiment_id() == "0"  # b's Default experiment, not a's id
    lt.set_experiment("also-in-b")
    lt.set_tracking_uri(lt.get_tracking_uri())  # even the same store: as before, a fresh start
    assert state.experiment_id() is None


def test_the_active_experiment_comes_from_the_environment_when_none_was_set(
    tracking_uri, monkeypatch
):
    monkeypatch.setenv("LABTRACK_EXPERIMENT_NAME", "from-env")
    experiment_id = fluent.active_experiment_id()
    assert lt.get_experiment(experiment_id).name == "from-env"
    assert state.experiment_id() == experiment_id


def test_the_client_is_cached_until_the_tracking_uri_moves(tmp_path):
    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'a.db'}")
    first = state.client()
    assert state.client() is first
    lt.set_tracking_uri(f"sqlite:///{tmp_path / 'b.db'}")
    assert state.client() is not first
    assert state.client().tracking_uri == lt.get_tracking_uri()


def test_reset_refuses_while_runs_are_active(tracking_uri):
    lt.start_run()
    with pytest.raises(InvalidState, match="1 run"):
        state.reset()
    lt.end_run()
    assert lt.last_active_run() is not None
    state.reset()
    assert lt.last_active_run() is None


def _tracking_imports(path: Path) -> set[str]:
    """The labtrack.tracking modules ``path`` imports, at any depth (inside functions too),
    except under ``if TYPE_CHECKING:``."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "labtrack.tracking":
                names.update(alias.name for alias in node.names)
            elif node.module.startswith("labtrack.tracking."):
                names.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            names.update(
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("labtrack.tracking.")
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {name for name in names if (TRACKING / f"{name}.py").exists()}


def test_the_tracking_modules_import_one_another_without_a_cycle():
    graph = {path.stem: _tracking_imports(path) for path in TRACKING.glob("*.py")}

    def cycle_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if module in path:
            return path[path.index(module) :] + (module,)
        for imported in sorted(graph.get(module, ())):
            found = cycle_from(imported, path + (module,))
            if found:
                return found
        return None

    for module in sorted(graph):
        assert cycle_from(module, ()) is None, " -> ".join(cycle_from(module, ()))


def test_an_active_run_ends_itself_and_the_runs_opened_inside_it(tracking_uri):
    outer = lt.start_run()
    middle = lt.start_run(nested=True)
    inner = lt.start_run(nested=True)
    middle.end("KILLED")
    assert lt.active_run() is outer
    assert lt.get_run(middle.info.run_id).info.status == "KILLED"
    assert lt.get_run(inner.info.run_id).info.status == "KILLED"
    middle.end()  # ended already: nothing happens, the outer run stays active
    assert lt.active_run() is outer
    with pytest.raises(InvalidParameter):
        outer.end("DONE")
    assert lt.active_run() is outer
    outer.end()
    assert lt.active_run() is None
    assert lt.get_run(outer.info.run_id).info.status == "FINISHED"


def test_end_run_has_no_private_parameter():
    assert list(inspect.signature(lt.end_run).parameters) == ["status"]
