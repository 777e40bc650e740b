"""The team setup's proof: two processes with their own working folders and labtrack homes,
sharing only a store (PostgreSQL with LABTRACK_TEST_POSTGRES, else a SQLite file) and a
bucket. One logs a model and registers it as ``champion``; the other loads
``models:/iris@champion`` and predicts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labtrack import env

from ..conftest_s3 import s3_environment

LOGGER = """
import json, sys
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
import labtrack as lt

uri, bucket = sys.argv[1:3]
lt.set_tracking_uri(uri)
lt.set_experiment(experiment_id=lt.create_experiment("team", artifact_location=f"s3://{bucket}/team"))
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(X, y)
with lt.start_run() as run:
    info = lt.sklearn.log_model(model, "model", input_example=X[:2], registered_model_name="iris")
lt.Client().set_registered_model_alias("iris", "champion", info.registered_model_version)
print(json.dumps({"artifact_uri": run.info.artifact_uri, "predictions": model.predict(X[:10]).tolist()}))
"""

LOADER = """
import json, sys
from sklearn.datasets import load_iris
import labtrack as lt

lt.set_tracking_uri(sys.argv[1])
X, _ = load_iris(return_X_y=True)
model = lt.pyfunc.load_model("models:/iris@champion")
print(json.dumps({"predictions": [int(value) for value in model.predict(X[:10])]}))
"""


def run_in(folder: Path, code: str, *args: str, environment: dict[str, str]) -> dict:
    """``code`` in a new process working in ``folder``, with ``folder/home`` as its home."""
    (folder / "home").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=folder,
        env={**environment, env.HOME.name: str(folder / "home")},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow  # two processes that import scikit-learn: about 30 s
def test_a_model_registered_on_one_machine_loads_on_another(
    tracking_uri, bucket, s3_endpoint, s3_client, tmp_path
):
    environment = s3_environment(s3_endpoint)
    for name in (env.TRACKING_URI.name, env.ARTIFACTS_URI.name, env.HOME.name):
        environment.pop(name, None)
    logged = run_in(tmp_path / "alice", LOGGER, tracking_uri, bucket, environment=environment)
    assert logged["artifact_uri"].startswith(f"s3://{bucket}/team/")
    shutil.rmtree(tmp_path / "alice")  # nothing of the first machine's files is left

    loaded = run_in(tmp_path / "bob", LOADER, tracking_uri, environment=environment)
    assert loaded["predictions"] == logged["predictions"]
    # The model came from the bucket, into the second machine's own cache.
    cache = tmp_path / "bob" / "home" / "cache" / "models"
    assert [path.name for path in cache.glob("*/*/MLmodel")] == ["MLmodel"]
    if tracking_uri.startswith("sqlite"):  # the store's folder holds the database alone
        store_folder = Path(tracking_uri.removeprefix("sqlite:///")).parent
        assert not (store_folder / "artifacts").exists()
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix="team/")
    assert any(item["Key"].endswith("/artifacts/model/MLmodel") for item in listing["Contents"])
