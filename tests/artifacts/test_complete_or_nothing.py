"""An artifact is listed and downloaded only once it is whole: a copy that fails (a full
disk, a file-size limit, a crash) leaves no truncated file and no temporary file behind.

The failures are real: a tmpfs of 256 KiB fills up (ENOSPC) where mounting is permitted
(root, as in CI); RLIMIT_FSIZE makes writes fail with EFBIG, as a full disk does, anywhere.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter

BIG = 1 << 20  # does not fit on the small disk
SMALL_DISK = "256k"


def all_names(folder: Path) -> set[str]:
    """Every file and folder under ``folder``, relative, hidden ones included."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")}


@pytest.fixture
def small_disk():
    """Mounts a 256 KiB tmpfs on the folders it is given; unmounted after the test."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux (the RLIMIT_FSIZE tests cover the rest)")
    mounted: list[Path] = []

    def mount(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def big_file(tmp_path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(BIG))
    return path


def test_a_full_disk_leaves_no_truncated_artifact_and_no_temporary_file(
    tracking_uri, tmp_path, small_disk, big_file
):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "big.bin").write_bytes(big_file.read_bytes())
    client = lt.Client()
    with lt.start_run() as run:
        root = small_disk(Path(run.info.artifact_uri))
        lt.log_text("kept", "notes.txt")
        with pytest.raises(OSError) as copied:
            lt.log_artifact(str(big_file))
        assert copied.value.errno == errno.ENOSPC
        with pytest.raises(OSError):
            lt.log_text("x" * BIG, "big.txt")
        with pytest.raises(OSError):
            lt.log_dict({"x": "y" * BIG}, "big.json")
        with pytest.raises(OSError):  # a.txt is copied whole, big.bin not at all
            lt.log_artifacts(str(folder), artifact_path="folder")

        assert all_names(root) == {"notes.txt", "folder", "folder/a.txt"}
        run_id = run.info.run_id
        assert [(f.path, f.file_size) for f in client.list_artifacts(run_id)] == [
            ("folder", None),
            ("notes.txt", 4),
        ]
        assert [f.path for f in client.list_artifacts(run_id, "folder")] == ["folder/a.txt"]
        everything = Path(client.download_artifacts(run_id, "", str(tmp_path / "out")))
        assert all_names(everything) == {"notes.txt", "folder", "folder/a.txt"}
        assert (everything / "notes.txt").read_text() == "kept"
        # The failed copies gave their space back: a file that fits is logged whole.
        (tmp_path / "medium.bin").write_bytes(os.urandom(200_000))
        lt.log_artifact(str(tmp_path / "medium.bin"))
        assert (root / "medium.bin").read_bytes() == (tmp_path / "medium.bin").read_bytes()


def test_a_download_that_fills_the_disk_leaves_no_truncated_file(
    tracking_uri, tmp_path, small_disk, big_file
):
    with lt.start_run() as run:
        lt.log_artifact(str(big_file), artifact_path="weights")
        lt.log_text("small", "weights/readme.txt")
    destination = small_disk(tmp_path / "downloads")
    client = lt.Client()
    with pytest.raises(OSError) as failed:
        client.download_artifacts(run.info.run_id, "weights/big.bin", str(destination))
    assert failed.value.errno == errno.ENOSPC
    assert all_names(destination) == set()
    with pytest.raises(OSError):
        client.download_artifacts(run.info.run_id, "weights", str(destination))
    assert all_names(destination) <= {"weights", "weights/readme.txt"}
    assert "weights/big.bin" not in all_names(destination)


CHILD = """
import json, os, resource, signal, sys
import labtrack as lt

uri, big, limit, crash = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "crash"
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash below leaves no core file
# Ignored, SIGXFSZ turns an over-long write into EFBIG, as a full disk gives ENOSPC;
# left at its default it kills the process in the middle of the write.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if crash else signal.SIG_IGN)
lt.set_tracking_uri(uri)
run = lt.start_run()
lt.log_text("kept", "kept.txt")
lt.flush()
print(json.dumps({"run_id": run.info.run_id, "root": run.info.artifact_uri}), flush=True)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
errors = []
for write in (lambda: lt.log_artifact(big), lambda: lt.log_text("x" * (2 * limit), "big.txt")):
    try:
        write()
    except OSError as error:
        errors.append(error.errno)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
lt.end_run()
print(json.dumps({"errors": errors}), flush=True)
"""

LIMIT = 8 << 20  # above what the store's own files grow to while the child runs


def run_child(
    tracking_uri: str, tmp_path: Path, crash: bool
) -> tuple[subprocess.CompletedProcess, dict]:
    if not hasattr(signal, "SIGXFSZ"):
        pytest.skip("needs RLIMIT_FSIZE and SIGXFSZ")
    big = tmp_path / "huge.bin"
    big.write_bytes(os.urandom(LIMIT + (1 << 20)))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CHILD),
            tracking_uri,
            str(big),
            str(LIMIT),
            "crash" if crash else "fail",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = done.stdout.splitlines()
    assert lines, done.stderr
    return done, json.loads(lines[0]) | (json.loads(lines[1]) if len(lines) > 1 else {})


def test_a_file_size_limit_fails_the_call_and_leaves_nothing_behind(tracking_uri, tmp_path):
    done, report = run_child(tracking_uri, tmp_path, crash=False)
    assert done.returncode == 0, done.stderr
    assert report["errors"] == [errno.EFBIG, errno.EFBIG]
    assert all_names(Path(report["root"])) == {"kept.txt"}
    assert [f.path for f in lt.Client().list_artifacts(report["run_id"])] == ["kept.txt"]


def test_a_process_killed_mid_write_leaves_nothing_listed_or_downloaded(tracking_uri, tmp_path):
    done, report = run_child(tracking_uri, tmp_path, crash=True)
    assert done.returncode == -signal.SIGXFSZ, done.stderr
    root = Path(report["root"])
    leftovers = all_names(root) - {"kept.txt"}
    assert len(leftovers) == 1, leftovers  # the half-written temporary file the crash left
    client = lt.Client()
    assert [f.path for f in client.list_artifacts(report["run_id"])] == ["kept.txt"]
    everything = Path(client.download_artifacts(report["run_id"], "", str(tmp_path / "out")))
    assert all_names(everything) == {"kept.txt"}


def test_log_artifacts_refuses_to_write_through_a_symlink_in_the_run_folder(tracking_uri, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    source = tmp_path / "source"
    (source / "link").mkdir(parents=True)
    (source / "link" / "evil.txt").write_text("evil")
    (source / "first.txt").write_text("first")
    with lt.start_run() as run:
        root = Path(run.info.artifact_uri)
        root.mkdir(parents=True, exist_ok=True)
        (root / "link").symlink_to(outside)
        with pytest.raises(InvalidParameter, match="outside"):
            lt.log_artifacts(str(source))
        with pytest.raises(InvalidParameter, match="outside"):  # as log_text refuses the same path
            lt.log_text("evil", "link/evil.txt")
    assert list(outside.iterdir()) == []
    assert not (root / "first.txt").exists()  # every path is checked before anything is written


def test_log_artifacts_copies_nested_and_empty_folders(tracking_uri, tmp_path):
    source = tmp_path / "source"
    (source / "a" / "b").mkdir(parents=True)
    (source / "empty").mkdir()
    (source / "a" / "b" / "c.txt").write_text("c")
    (source / "top.txt").write_text("top")
    with lt.start_run() as run:
        lt.log_artifacts(str(source), artifact_path="x/y")
        lt.log_artifacts(str(source))
    root = Path(run.info.artifact_uri)
    tree = {"a", "a/b", "a/b/c.txt", "empty", "top.txt"}
    assert all_names(root / "x" / "y") == tree
    assert all_names(root) == tree | {"x", "x/y"} | {f"x/y/{name}" for name in tree}
    assert (root / "x" / "y" / "a" / "b" / "c.txt").read_text() == "c"
