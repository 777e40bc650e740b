"""The MLflow-named module API, read back from a real SQLite store."""

from __future__ import annotations

import math

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter, InvalidState, NotFound
from labtrack.tracking import fluent


def test_a_run_records_params_metrics_tags_and_status(tracking_uri):
    lt.set_experiment("svm-iris")
    with lt.start_run(run_name="svm C=1", tags={"team": "vision"}, description="baseline") as run:
        lt.log_param("C", 1.0)
        lt.log_params({"kernel": "rbf", "gamma": "scale"})
        lt.set_tag("stage", "dev")
        for step in range(5):
            lt.log_metric("loss", 1.0 / (step + 1), step=step)
        lt.log_metrics({"accuracy": 0.97, "f1": 0.95})
    stored = lt.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.end_time >= stored.info.start_time
    assert stored.info.run_name == "svm C=1"
    assert stored.data.params == {"C": "1.0", "kernel": "rbf", "gamma": "scale"}
    assert stored.data.metrics == {"loss": pytest.approx(0.2), "accuracy": 0.97, "f1": 0.95}
    assert stored.data.tags["team"] == "vision"
    assert stored.data.tags["stage"] == "dev"
    assert stored.data.tags["mlflow.note.content"] == "baseline"
    assert stored.data.tags["mlflow.runName"] == "svm C=1"
    history = lt.Client().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert [m.value for m in history] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    assert lt.get_experiment(stored.info.experiment_id).name == "svm-iris"


def test_source_capture_records_user_python_and_packages(tracking_uri):
    with lt.start_run() as run:
        pass
    tags = lt.get_run(run.info.run_id).data.tags
    assert tags["labtrack.python"].count(".") == 2
    assert "numpy" in tags["labtrack.packages"]
    assert tags["mlflow.source.type"] in ("LOCAL", "NOTEBOOK")
    assert "labtrack.host" in tags


def test_source_capture_records_git_commit_and_dirty_flag(tracking_uri, tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.chdir(repo)
    with lt.start_run() as clean:
        pass
    fluent.wait_for_source_capture()  # git runs in the background, a few ms after the start
    (repo / "train.py").write_text("print(2)\n")
    with lt.start_run() as dirty:
        pass
    fluent.wait_for_source_capture()  # git runs in the background
    assert lt.get_run(clean.info.run_id).data.tags["mlflow.source.git.commit"] == commit
    assert lt.get_run(clean.info.run_id).data.tags["labtrack.git.dirty"] == "false"
    assert lt.get_run(dirty.info.run_id).data.tags["labtrack.git.dirty"] == "true"


def test_a_folder_that_becomes_a_repository_is_seen_at_the_next_run(
    tracking_uri, tmp_path, monkeypatch
):
    """Source details read once per process must not hide a change: `git init` in the
    folder of an earlier run, or another user name (MLflow reads LOGNAME), apply at once."""
    import subprocess

    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("LOGNAME", "first-user")
    with lt.start_run() as before:
        pass
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], cwd=folder, check=True)
    monkeypatch.setenv("LOGNAME", "second-user")
    with lt.start_run() as after:
        pass
    fluent.wait_for_source_capture()
    assert "mlflow.source.git.commit" not in lt.get_run(before.info.run_id).data.tags
    tags = lt.get_run(after.info.run_id).data.tags
    assert len(tags["mlflow.source.git.commit"]) == 40
    assert (tags["mlflow.user"], lt.get_run(after.info.run_id).info.user_id) == ("second-user",) * 2


_GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def _repository_with_a_commit(folder):
    """A new git repository in ``folder`` with one (empty) commit."""
    import subprocess

    folder.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run([*_GIT, "commit", "-q", "--allow-empty", "-m", "one"], cwd=folder, check=True)
    return folder


def test_short_runs_in_a_repository_share_git_calls_yet_each_sees_the_state_at_its_start(
    tracking_uri, tmp_path, monkeypatch, count_writes
):
    import subprocess
    import threading

    from labtrack.tracking import context

    repo = _repository_with_a_commit(tmp_path / "repo")
    monkeypatch.chdir(repo)
    calls = []
    real_git_tags = context.git_tags
    # The first git call lasts until every run has started (git's own duration against a
    # run's would make the sharing depend on the machine and the store): they all start
    # while it runs, and share the next call.
    all_started = threading.Event()

    def git_tags(folder):
        calls.append(1)
        if len(calls) == 1:
            all_started.wait(timeout=60)
        return real_git_tags(folder)

    monkeypatch.setattr(context, "git_tags", git_tags)
    from labtrack.tracking.state import client as current_client

    # write transactions made on the test's store by the capture's thread
    git_writes = count_writes(current_client().store.engine, "labtrack-git-capture")

    def head() -> str:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()

    first = head()
    runs = []
    for _ in range(30):
        with lt.start_run() as run:
            lt.log_metric("loss", 0.5)
        runs.append(run.info.run_id)
    all_started.set()
    fluent.wait_for_source_capture()  # else the runs captured last may see the next commit
    subprocess.run([*_GIT, "commit", "-q", "--allow-empty", "-m", "two"], cwd=repo, check=True)
    with lt.start_run() as after_commit:
        pass
    fluent.wait_for_source_capture()
    # Runs started while git ran waited for its next call: the first run's call (which may
    # already take a few more), one for the others, one for the run after the commit.
    assert 2 <= len(calls) <= 3
    # The runs had ended by then: a call's tags went to all of its runs in one write, not
    # one per run (the run after the commit took them with its end, or in one of its own).
    assert len(git_writes) <= len(calls)
    commits = [lt.get_run(run_id).data.tags.get("mlflow.source.git.commit") for run_id in runs]
    assert commits == [first] * 30  # ... and every one of them got the state
    assert lt.get_run(after_commit.info.run_id).data.tags["mlflow.source.git.commit"] == head()
    assert head() != first


def test_git_calls_for_a_folder_start_apart_and_waiting_cuts_the_pause_short(
    tracking_uri, tmp_path, monkeypatch
):
    """Back to back, git calls kept a core busy for as long as short runs kept starting;
    they now start ``MIN_INTERVAL_S`` apart. ``wait_for_source_capture`` (at exit) does
    not sit out the pause: it asks for the next call at once."""
    import itertools
    import time

    from labtrack.tracking import context, git_capture

    monkeypatch.chdir(_repository_with_a_commit(tmp_path / "repo"))
    starts = []
    real_git_tags = context.git_tags

    def git_tags(folder):
        starts.append(time.monotonic())
        return real_git_tags(folder)

    monkeypatch.setattr(context, "git_tags", git_tags)
    runs = []
    deadline = time.monotonic() + 60
    while len(starts) < 3 and time.monotonic() < deadline:
        with lt.start_run() as run:
            lt.log_metric("loss", 0.5)
        runs.append(run.info.run_id)
    assert len(starts) >= 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # (a call's start is stamped just before this hook records it: allow for the gap)
    assert min(gaps) >= 0.9 * git_capture.MIN_INTERVAL_S
    fluent.wait_for_source_capture()
    assert all("mlflow.source.git.commit" in lt.get_run(r).data.tags for r in runs)

    # A pause far longer than the wait's timeout: this run's call is due in an hour.
    monkeypatch.setattr(git_capture, "MIN_INTERVAL_S", 3600.0)
    calls_before = len(starts)
    with lt.start_run() as run:
        pass
    fluent.wait_for_source_capture(timeout=30)
    assert len(starts) == calls_before + 1
    assert len(lt.get_run(run.info.run_id).data.tags["mlflow.source.git.commit"]) == 40


def test_a_git_capture_that_cannot_start_a_thread_costs_only_its_own_runs_tags(
    tracking_uri, tmp_path, monkeypatch
):
    import threading

    from labtrack.tracking import git_capture

    repo = _repository_with_a_commit(tmp_path / "repo")
    monkeypatch.chdir(repo)
    real_start = threading.Thread.start
    refused = []

    def start_once_refused(thread):
        if thread.name == "labtrack-git-capture" and not refused:
            refused.append(thread)
            raise RuntimeError("can't start new thread")
        return real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_once_refused)
    with lt.start_run() as without:
        pass
    with lt.start_run() as later:
        pass
    fluent.wait_for_source_capture()  # neither hangs nor raises on the thread never started
    assert refused and git_capture.captures._workers == {}
    assert "mlflow.source.git.commit" not in lt.get_run(without.info.run_id).data.tags
    assert len(lt.get_run(later.info.run_id).data.tags["mlflow.source.git.commit"]) == 40


def test_a_bad_first_point_is_refused_before_its_run_is_looked_up(tracking_uri, monkeypatch):
    from labtrack.errors import InvalidParameter
    from labtrack.tracking.state import client as current_client

    with lt.start_run():
        runs = current_client().store.runs

        def no_lookup(run_id):
            raise AssertionError("the run was looked up before the point was checked")

        with monkeypatch.context() as patched:
            patched.setattr(runs, "run_pk", no_lookup)
            with pytest.raises(InvalidParameter, match="bad//key"):
                lt.log_metric("bad//key", 1.0)
        lt.log_metric("loss", 1.0)  # a good point goes through as before


def test_notebook_path_comes_from_the_jupyter_session(tracking_uri, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/notebooks/train.ipynb")
    with lt.start_run() as run:
        pass
    tags = lt.get_run(run.info.run_id).data.tags
    assert tags["mlflow.source.name"] == "/home/me/notebooks/train.ipynb"
    assert tags["mlflow.source.type"] == "NOTEBOOK"


def test_an_exception_inside_with_marks_the_run_failed_and_propagates(tracking_uri):
    with pytest.raises(ZeroDivisionError):
        with lt.start_run() as run:
            lt.log_metric("x", 1.0)
            raise ZeroDivisionError("division by zero")
    stored = lt.get_run(run.info.run_id)
    assert stored.info.status == "FAILED"
    assert "ZeroDivisionError" in stored.data.tags["labtrack.error"]
    assert stored.data.metrics == {"x": 1.0}  # what was logged before the error is kept
    assert lt.active_run() is None


def test_keyboard_interrupt_marks_the_run_killed(tracking_uri):
    with pytest.raises(KeyboardInterrupt):
        with lt.start_run() as run:
            raise KeyboardInterrupt
    assert lt.get_run(run.info.run_id).info.status == "KILLED"


def test_nested_runs_record_their_parent(tracking_uri):
    with lt.start_run(run_name="sweep") as parent:
        for lr in (0.1, 0.01):
            with lt.start_run(run_name=f"lr={lr}", nested=True) as child:
                lt.log_param("lr", lr)
                assert lt.active_run().info.run_id == child.info.run_id
        assert lt.active_run().info.run_id == parent.info.run_id
    children = lt.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(children["params.lr"]) == ["0.01", "0.1"]
    assert lt.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id


def test_a_run_left_active_by_an_earlier_cell_is_ended_not_an_error(tracking_uri):
    first = lt.start_run(run_name="cell 1")  # no end_run: the cell was re-run or raised
    lt.log_metric("loss", 0.5)
    with pytest.warns(UserWarning, match="left active"):
        second = lt.start_run(run_name="cell 1 again")
    assert lt.active_run().info.run_id == second.info.run_id
    stored = lt.get_run(first.info.run_id)
    assert stored.info.status == "FINISHED" and stored.data.metrics == {"loss": 0.5}
    lt.end_run()


def test_starting_a_top_level_run_inside_a_with_block_asks_for_nested(tracking_uri):
    with lt.start_run():
        with pytest.raises(InvalidState, match="nested=True"):
            lt.start_run()


def test_resume_a_run_by_id(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("loss", 1.0, step=0)
    with lt.start_run(run_id=run.info.run_id):
        assert lt.get_run(run.info.run_id).info.status == "RUNNING"
        lt.log_metric("loss", 0.5, step=1)
    stored = lt.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert [m.value for m in lt.Client().get_metric_history(run.info.run_id, "loss")] == [1.0, 0.5]


def test_logging_without_an_active_run_starts_one_like_mlflow(tracking_uri):
    lt.log_metric("x", 2.0)
    run = lt.active_run()
    assert run is not None
    lt.end_run()
    assert lt.last_active_run().data.metrics == {"x": 2.0}


def test_end_run_with_a_status(tracking_uri):
    run = lt.start_run()
    lt.end_run("KILLED")
    assert lt.get_run(run.info.run_id).info.status == "KILLED"
    assert lt.active_run() is None


def test_non_finite_values_are_stored_faithfully(tracking_uri):
    with lt.start_run() as run:
        for step, value in enumerate([math.nan, math.inf, -math.inf, 1.5]):
            lt.log_metric("v", value, step=step)
        lt.log_metric("last_nan", math.nan)
    values = [m.value for m in lt.Client().get_metric_history(run.info.run_id, "v")]
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 1.5]
    assert math.isnan(lt.get_run(run.info.run_id).data.metrics["last_nan"])


def test_latest_metric_is_the_highest_step_not_the_last_logged(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("acc", 0.9, step=10)
        lt.log_metric("acc", 0.1, step=3)  # a late point for an earlier step
    assert lt.get_run(run.info.run_id).data.metrics["acc"] == 0.9


def test_numpy_and_tensor_like_scalars_are_accepted(tracking_uri):
    import numpy as np

    with lt.start_run() as run:
        lt.log_metric("a", np.float32(0.25), step=np.int64(2))
        lt.log_metric("b", np.array(3.0))
    assert lt.get_run(run.info.run_id).data.metrics == {"a": 0.25, "b": 3.0}


def test_set_experiment_by_name_creates_it_once(tracking_uri):
    first = lt.set_experiment("exp")
    second = lt.set_experiment("exp")
    assert first.experiment_id == second.experiment_id != "0"
    with lt.start_run() as run:
        pass
    assert run.info.experiment_id == first.experiment_id


def test_default_experiment_exists(tracking_uri):
    assert lt.get_experiment("0").name == "Default"
    with lt.start_run() as run:
        pass
    assert run.info.experiment_id == "0"


def test_experiment_from_environment(tracking_uri, monkeypatch):
    monkeypatch.setenv("LABTRACK_EXPERIMENT_NAME", "from-env")
    with lt.start_run() as run:
        pass
    assert lt.get_experiment(run.info.experiment_id).name == "from-env"


def test_experiments_delete_restore_and_search(tracking_uri):
    experiment_id = lt.create_experiment("old", tags={"owner": "me"})
    assert lt.get_experiment(experiment_id).tags == {"owner": "me"}
    lt.delete_experiment(experiment_id)
    assert "old" not in [e.name for e in lt.search_experiments()]
    assert "old" in [e.name for e in lt.search_experiments(view_type=lt.ViewType.DELETED_ONLY)]
    with pytest.raises(InvalidState, match="deleted"):
        lt.set_experiment("old")
    lt.restore_experiment(experiment_id)
    assert [e.name for e in lt.search_experiments(filter_string="name LIKE 'ol%'")] == ["old"]


def test_unknown_run_and_experiment_raise_not_found(tracking_uri):
    with pytest.raises(NotFound):
        lt.get_run("0" * 32)
    with pytest.raises(NotFound):
        lt.get_experiment("12345")
    with pytest.raises(NotFound):
        lt.search_runs(experiment_names=["nope"])


def test_delete_tag(tracking_uri):
    with lt.start_run() as run:
        lt.set_tags({"a": 1, "b": 2})
        lt.delete_tag("a")
        with pytest.raises(NotFound):
            lt.delete_tag("a")
    tags = lt.get_run(run.info.run_id).data.tags
    assert "a" not in tags and tags["b"] == "2"


def test_log_param_same_value_again_is_fine_a_new_value_is_an_error(tracking_uri):
    with lt.start_run() as run:
        lt.log_param("lr", 0.1)
        lt.log_param("lr", 0.1)
        with pytest.raises(InvalidState, match="already logged as '0.1'"):
            lt.log_param("lr", 0.2)
        with pytest.raises(InvalidState):
            lt.log_params({"batch": 32, "lr": 0.3})
    # the failed batch wrote nothing, the first value stands
    assert lt.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_bad_input_raises_at_the_call_site_and_keeps_logged_data(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("good", 1.0, step=0)
        for bad_call in (
            lambda: lt.log_metric("x", "not a number"),
            lambda: lt.log_metric("x", [1, 2]),
            lambda: lt.log_metric("", 1.0),
            lambda: lt.log_metric("k" * 251, 1.0),
            lambda: lt.log_metric("../escape", 1.0),
            lambda: lt.log_metric("/abs", 1.0),
            lambda: lt.log_metric("a//b", 1.0),
            lambda: lt.log_metric("x", 1.0, step=math.inf),
            lambda: lt.log_metric("x", 1.0, step=math.nan),
            lambda: lt.log_metric("x", 1.0, step=1.5),
            lambda: lt.log_metric("x", 1.0, step="1"),
            lambda: lt.log_metric(42, 1.0),
            lambda: lt.log_param("p;drop", 1),
            lambda: lt.log_param("p", "v" * 6001),
            lambda: lt.log_params(["not", "a", "dict"]),
            lambda: lt.set_tag("", "v"),
        ):
            with pytest.raises(InvalidParameter):
                bad_call()
        lt.log_metric("good", 2.0, step=1)
    stored = lt.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert [m.value for m in lt.Client().get_metric_history(run.info.run_id, "good")] == [1.0, 2.0]
    assert set(stored.data.metrics) == {"good"}


def test_metric_names_may_look_like_paths_within_their_folder(tracking_uri):
    with lt.start_run() as run:
        lt.log_metric("train/loss", 0.1)
        lt.log_metric("val acc:top-1", 0.9)
    assert set(lt.get_run(run.info.run_id).data.metrics) == {"train/loss", "val acc:top-1"}


def test_log_batch_with_a_conflicting_param_writes_no_tag_either(tracking_uri):
    from labtrack.entities import Param, RunTag

    client = lt.Client()
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", 0.1)
    with pytest.raises(InvalidState):
        client.log_batch(run.info.run_id, params=[Param("lr", "0.2")], tags=[RunTag("note", "x")])
    assert "note" not in client.get_run(run.info.run_id).data.tags


def test_set_experiment_from_many_threads_at_once_creates_it_once(tracking_uri):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = set(
            pool.map(lambda _: fluent.get_or_create_experiment("racing").experiment_id, range(16))
        )
    assert len(ids) == 1


def test_top_level_runs_under_labtrack_run_resume_its_run_and_take_their_tags(
    tracking_uri, monkeypatch
):
    """Under `labtrack run` (LABTRACK_RUN_ID) one execution is one run, as with MLflow's
    MLFLOW_RUN_ID; a resumed run still gets the tags it is started with."""
    launched = lt.Client().create_run("0", run_name="launched")
    monkeypatch.setenv("LABTRACK_RUN_ID", launched.info.run_id)
    with lt.start_run(tags={"team": "vision"}) as first:
        lt.log_param("k", 1)
        with lt.start_run(nested=True) as child:
            lt.log_param("k", 2)
    with lt.start_run(run_name="ignored") as second:
        lt.log_metric("acc", 0.9)
    assert first.info.run_id == second.info.run_id == launched.info.run_id and second.resumed
    run = lt.get_run(launched.info.run_id)
    assert run.info.run_name == "launched" and run.data.tags["team"] == "vision"
    assert run.data.params == {"k": "1"} and run.data.metrics == {"acc": 0.9}
    assert lt.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == launched.info.run_id


def test_a_run_the_store_refuses_to_end_stays_active_and_can_be_ended_again(
    tracking_uri, monkeypatch
):
    run = lt.start_run()
    client = run.client
    real_insert = client.store.metrics.insert_metrics

    def locked(rows, also=None, batch_id=None):
        raise OSError("database is locked")

    monkeypatch.setattr(client.store.metrics, "insert_metrics", locked)
    with pytest.raises(lt.LabtrackError, match="run's end"):
        lt.end_run()
    assert lt.active_run() is run
    monkeypatch.setattr(client.store.metrics, "insert_metrics", real_insert)
    lt.end_run()
    assert lt.active_run() is None
    assert lt.get_run(run.info.run_id).info.status == "FINISHED"


def test_a_relative_sqlite_uri_is_pinned_to_the_working_directory(tmp_path, monkeypatch):
    from labtrack import env

    monkeypatch.chdir(tmp_path)
    assert (
        env.resolve_tracking_uri("sqlite:///runs/lt.db")
        == f"sqlite:///{tmp_path / 'runs' / 'lt.db'}"
    )
    assert env.resolve_tracking_uri("sqlite:////abs/lt.db") == "sqlite:////abs/lt.db"
    assert env.resolve_tracking_uri("sqlite:///:memory:") == "sqlite:///:memory:"
