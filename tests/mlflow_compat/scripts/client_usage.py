"""MlflowClient: experiments, runs, batches, histories, renames, deletes and artifacts."""

import tempfile
import time
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

client = MlflowClient()
experiment_id = client.create_experiment("client", tags={"owner": "ada"})
client.set_experiment_tag(experiment_id, "stage", "dev")
try:
    client.create_experiment("client")
    duplicate = "accepted"
except MlflowException:
    duplicate = "refused"

run = client.create_run(experiment_id, run_name="manual", tags={"source": "client"})
run_id = run.info.run_id
now = int(time.time() * 1000)
client.log_param(run_id, "lr", 0.01)
for step in range(4):
    client.log_metric(run_id, "loss", 1.0 / (step + 1), timestamp=now + step, step=step)
client.log_batch(
    run_id,
    metrics=[Metric("acc", 0.5 + i / 10, now + i, i) for i in range(3)],
    params=[Param("batch_size", "32"), Param("optimizer", "adam")],
    tags=[RunTag("phase", "train")],
)
client.set_tag(run_id, "to-remove", "x")
client.delete_tag(run_id, "to-remove")
with tempfile.TemporaryDirectory() as folder:
    Path(folder, "weights.bin").write_bytes(b"\x00\x01")
    client.log_artifact(run_id, str(Path(folder, "weights.bin")), artifact_path="checkpoints")
client.log_text(run_id, "text body", "notes.txt")
client.log_dict(run_id, {"k": 1}, "meta/info.json")
client.set_terminated(run_id, status="FINISHED")

renamed = client.create_run(experiment_id, run_name="old-name")
client.update_run(renamed.info.run_id, name="new-name")
client.set_terminated(renamed.info.run_id, status="KILLED")

gone = client.create_run(experiment_id, run_name="deleted-then-restored")
client.delete_run(gone.info.run_id)
client.restore_run(gone.info.run_id)
client.set_terminated(gone.info.run_id)

doomed = client.create_experiment("doomed")
client.delete_experiment(doomed)

fetched = client.get_run(run_id)
with tempfile.TemporaryDirectory() as folder:
    local = client.download_artifacts(run_id, "meta", folder)
    downloaded = sorted(
        p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()
    )
print(
    "RESULT",
    {
        "duplicate": duplicate,
        "history": [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")],
        "latest_metrics": fetched.data.metrics,
        "params": fetched.data.params,
        "experiment_tags": {
            k: v
            for k, v in client.get_experiment(experiment_id).tags.items()
            if not k.startswith("mlflow.")
        },
        "by_name": client.get_experiment_by_name("client").experiment_id == experiment_id,
        "deleted_experiment": client.get_experiment(doomed).lifecycle_stage,
        "top_artifacts": [(a.path, a.is_dir) for a in client.list_artifacts(run_id)],
        "downloaded": downloaded,
        "status": fetched.info.status,
    },
)
