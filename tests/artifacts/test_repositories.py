"""``open_repository``: one set of methods for a local folder and an S3 prefix (moto's server,
through the real s3fs), with the same path rules and the same whole-or-nothing writes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labtrack.artifacts import (
    FileInfo,
    LocalArtifactRepository,
    is_local_root,
    open_repository,
)
from labtrack.artifacts.base import CHUNK_SIZE
from labtrack.errors import InvalidParameter, NotFound

from ..conftest_s3 import S3_ENVIRONMENT

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path) -> str:
    """A run's artifact root: a local folder, or a prefix in a new bucket."""
    if request.param == "local":
        return str(tmp_path / "root")
    bucket = request.getfixturevalue("bucket")
    return f"s3://{bucket}/experiments/0/run/artifacts"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_local_roots_keep_the_local_repository(tmp_path):
    assert isinstance(open_repository(str(tmp_path)), LocalArtifactRepository)
    assert isinstance(open_repository(f"file://{tmp_path}"), LocalArtifactRepository)
    assert open_repository(tmp_path).root == tmp_path
    assert is_local_root("C:\\runs") and is_local_root("file:///x") and is_local_root("a/b")
    assert not is_local_root("s3://b") and not is_local_root("mlflow-artifacts:/0/r/artifacts")


def test_write_read_list_download_delete(root, tmp_path):
    repository = open_repository(root)
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.txt").write_text("a")
    (source / "b.bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "weights.bin").write_bytes(b"w" * 10)

    assert repository.write_bytes("notes/readme.md", b"hello") == "notes/readme.md"
    assert repository.log_artifact(tmp_path / "weights.bin", "models/v1") == "models/v1/weights.bin"
    assert repository.log_artifacts(source, "data") == "data"
    assert repository.log_artifacts(source / "sub") == ""  # the root
    assert repository.upload_stream("streamed.bin", io.BytesIO(b"s" * 100)) == "streamed.bin"

    assert repository.list_artifacts() == [
        FileInfo("a.txt", False, 1),
        FileInfo("data", True, None),
        FileInfo("models", True, None),
        FileInfo("notes", True, None),
        FileInfo("streamed.bin", False, 100),
    ]
    assert repository.list_artifacts("data") == [
        FileInfo("data/b.bin", False, 3),
        FileInfo("data/sub", True, None),
    ]
    assert repository.list_artifacts("missing") == []
    assert repository.list_artifacts("notes/readme.md") == []  # a file is not a folder
    assert repository.read_bytes("data/sub/a.txt") == b"a"
    with repository.open_read("models/v1/weights.bin") as stream:
        stream.seek(4)
        assert stream.read(3) == b"www"

    file_copy = repository.download_artifacts("notes/readme.md", tmp_path / "one")
    assert Path(file_copy) == tmp_path / "one" / "readme.md"
    assert Path(file_copy).read_bytes() == b"hello"
    folder_copy = Path(repository.download_artifacts("data", tmp_path / "two"))
    assert folder_copy == tmp_path / "two" / "data"
    assert tree(folder_copy) == {"b.bin": b"\x00\x01\x02", "sub/a.txt": b"a"}
    everything = Path(repository.download_artifacts(None, tmp_path / "all"))
    assert everything.name == ("artifacts" if root.startswith("s3") else "root")
    assert set(tree(everything)) == {
        "data/b.bin",
        "data/sub/a.txt",
        "a.txt",
        "models/v1/weights.bin",
        "notes/readme.md",
        "streamed.bin",
    }

    repository.delete_artifacts("data/sub")
    assert [f.path for f in repository.list_artifacts("data")] == ["data/b.bin"]
    repository.delete_artifacts("notes/readme.md")
    repository.delete_artifacts("never/written")  # nothing to delete is not an error
    assert repository.list_artifacts("notes") == []
    repository.delete_artifacts()
    assert repository.list_artifacts() == []


def test_missing_files_are_not_found(root, tmp_path):
    repository = open_repository(root)
    with pytest.raises(NotFound):
        repository.read_bytes("nope.txt")
    with pytest.raises(NotFound):
        repository.open_read("nope.txt")
    with pytest.raises(NotFound):
        repository.download_artifacts("nope", tmp_path)
    with pytest.raises(NotFound):
        repository.download_artifacts(None, tmp_path)  # nothing logged yet
    with pytest.raises(InvalidParameter, match="name a file"):
        repository.write_bytes("", b"x")
    with pytest.raises(InvalidParameter, match="no such file"):
        repository.log_artifact(tmp_path / "absent.txt")


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "..", "\\..\\x", "C:/x", "a\x00b"],
)
def test_paths_that_leave_the_root_are_refused_for_every_method(root, tmp_path, path):
    repository = open_repository(root)
    (tmp_path / "f.txt").write_text("f")
    calls = [
        lambda: repository.write_bytes(path, b"x"),
        lambda: repository.upload_stream(path, io.BytesIO(b"x")),
        lambda: repository.log_artifact(tmp_path / "f.txt", path),
        lambda: repository.log_artifacts(tmp_path, path),
        lambda: repository.read_bytes(path),
        lambda: repository.open_read(path),
        lambda: repository.list_artifacts(path),
        lambda: repository.download_artifacts(path, tmp_path / "out"),
        lambda: repository.delete_artifacts(path),
        lambda: repository.uri_of(path),
    ]
    for call in calls:
        with pytest.raises(InvalidParameter):
            call()


class Failing(io.RawIOBase):
    """A stream that gives ``size`` bytes, then fails as a dropped connection would."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            raise ConnectionResetError("the source went away")
        count = min(len(buffer), self.left)
        buffer[:count] = b"x" * count
        self.left -= count
        return count


def test_an_upload_that_fails_midway_leaves_nothing(root):
    repository = open_repository(root)
    repository.write_bytes("kept.txt", b"kept")
    # More than a part: on S3 a multipart upload has begun, and must be aborted, not completed.
    with pytest.raises(ConnectionResetError):
        repository.upload_stream("big.bin", Failing(CHUNK_SIZE + 1000))
    assert [f.path for f in repository.list_artifacts()] == ["kept.txt"]


def test_a_failed_multipart_upload_is_aborted_on_s3(bucket, s3_client):
    repository = open_repository(f"s3://{bucket}/run")
    with pytest.raises(ConnectionResetError):
        repository.upload_stream("big.bin", Failing(2 * CHUNK_SIZE + 1))
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_large_stream_is_uploaded_in_parts_and_read_back_in_ranges(bucket, s3_client):
    repository = open_repository(f"s3://{bucket}/run")
    data = os.urandom(2 * CHUNK_SIZE + 12345)
    repository.upload_stream("big.bin", io.BytesIO(data))
    head = s3_client.head_object(Bucket=bucket, Key="run/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-3")  # three parts: a multipart upload
    with repository.open_read("big.bin") as stream:
        stream.seek(CHUNK_SIZE * 2)
        assert stream.read(100) == data[CHUNK_SIZE * 2 : CHUNK_SIZE * 2 + 100]


def test_uri_of_names_the_object(bucket, tmp_path):
    assert open_repository(f"s3://{bucket}/p/").uri_of("a/b.txt") == f"s3://{bucket}/p/a/b.txt"
    assert open_repository(f"s3://{bucket}/p").uri_of() == f"s3://{bucket}/p"
    assert open_repository(tmp_path).uri_of("a/b.txt") == str(tmp_path / "a" / "b.txt")


@pytest.mark.parametrize("variable", ["MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"])
def test_the_endpoint_comes_from_mlflow_or_botocore_variables(
    bucket, s3_endpoint, monkeypatch, variable
):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv(variable, s3_endpoint)
    repository = open_repository(f"s3://{bucket}/run")
    repository.write_bytes("a.txt", b"a")
    assert repository.read_bytes("a.txt") == b"a"


def test_errors_name_no_secret(s3_endpoint, caplog):
    secret = S3_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"]
    for uri in ("s3://user:hunter2@bucket/run", "s3://bucket/run?sig=hunter2"):
        with pytest.raises(InvalidParameter, match="credentials") as refused:
            open_repository(uri)
        assert "hunter2" not in str(refused.value)
    repository = open_repository("s3://no-such-bucket-labtrack/run")
    with caplog.at_level("DEBUG", logger="labtrack"):
        with pytest.raises(NotFound) as missing:
            repository.read_bytes("a.txt")
        with pytest.raises(NotFound) as failed:
            repository.write_bytes("a.txt", b"a")
    for text in (str(missing.value), str(failed.value), caplog.text):
        assert secret not in text
    assert "no-such-bucket-labtrack" in str(missing.value)


@pytest.mark.parametrize(("uri", "package"), [("gs://b/x", "gcsfs"), ("az://c/x", "adlfs")])
def test_a_missing_file_system_package_is_named(uri, package):
    try:
        __import__(package)
    except ImportError:
        pass
    else:
        pytest.skip(f"{package} is installed")
    with pytest.raises(InvalidParameter, match=rf"{package}.*pip install"):
        open_repository(uri)


def test_bad_roots_are_refused():
    with pytest.raises(InvalidParameter, match="non-empty"):
        open_repository("")
    with pytest.raises(InvalidParameter, match="unknown artifact URI scheme"):
        open_repository("nosuchscheme://x/y")
    with pytest.raises(InvalidParameter, match="no bucket"):
        open_repository("s3://")


def test_import_labtrack_loads_no_file_system_package():
    code = (
        "import labtrack, labtrack.artifacts\n"
        "labtrack.artifacts.open_repository('.')\n"
        "import json, sys\nprint(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": ""},
        check=True,
    )
    loaded = set(__import__("json").loads(done.stdout.splitlines()[-1]))
    assert not {"fsspec", "s3fs", "botocore", "aiobotocore", "boto3"} & loaded
