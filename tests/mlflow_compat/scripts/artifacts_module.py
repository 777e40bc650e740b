"""mlflow.artifacts: download, list and load a run's artifacts by URI."""

import tempfile
from pathlib import Path

import mlflow
import mlflow.artifacts

mlflow.set_experiment("artifacts")
with mlflow.start_run(run_name="files") as run:
    mlflow.log_dict({"a": 1}, "config.json")
    mlflow.log_text("hello", "notes/hello.txt")
uri = f"runs:/{run.info.run_id}"
with tempfile.TemporaryDirectory() as folder:
    local = mlflow.artifacts.download_artifacts(f"{uri}/notes", dst_path=folder)
    downloaded = sorted(p.name for p in Path(local).iterdir())
print(
    "RESULT",
    {
        "dict": mlflow.artifacts.load_dict(f"{uri}/config.json"),
        "text": mlflow.artifacts.load_text(f"{uri}/notes/hello.txt"),
        "listed": sorted(a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)),
        "downloaded": downloaded,
    },
)
