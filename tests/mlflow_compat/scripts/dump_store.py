"""What a store holds, as JSON on standard output, read through MLflow's client API only: run
under the real MLflow for MLflow's store and under labtrack's alias for labtrack's.
Identifiers, times and provenance tags (which differ on each run) are left out; runs are named
by their run names."""

import json

from mlflow import MlflowClient
from mlflow.entities import ViewType

# Tags that record where and when a run ran, or that only one of the two tools writes.
VOLATILE_PREFIXES = (
    "mlflow.source.",
    "mlflow.git",
    "mlflow.user",
    "mlflow.log-model.history",
    "mlflow.runColor",
    "mlflow.loggedArtifacts",
    "mlflow.databricks",
    "labtrack.",
)
client = MlflowClient()


def artifacts(run_id, path=None):
    """The run's artifact files, without folders that hold a logged model (an MLmodel file):
    MLflow 3 keeps a model's files with the model, not the run (model_artifacts.py compares
    where each tool puts them)."""
    items = client.list_artifacts(run_id, path)
    if path is not None and any(item.path.endswith("/MLmodel") for item in items):
        return []
    found = []
    for item in items:
        found.extend(artifacts(run_id, item.path) if item.is_dir else [item.path])
    return sorted(found)


def kept(tags):
    return {k: v for k, v in tags.items() if not k.startswith(VOLATILE_PREFIXES)}


names = {}
experiments = {}
for experiment in client.search_experiments(view_type=ViewType.ALL):
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
    names.update({run.info.run_id: run.info.run_name for run in runs})
    rows = {}
    for run in runs:
        tags = kept(run.data.tags)
        parent = tags.pop("mlflow.parentRunId", None)
        history = {
            key: [
                [m.step, m.value]
                for m in sorted(
                    client.get_metric_history(run.info.run_id, key),
                    key=lambda m: (m.step, m.timestamp),
                )
            ]
            for key in run.data.metrics
        }
        rows[run.info.run_name] = {
            "status": run.info.status,
            "lifecycle_stage": run.info.lifecycle_stage,
            "params": run.data.params,
            "metrics": history,
            "tags": tags,
            "parent": names.get(parent, parent),
            "artifacts": artifacts(run.info.run_id),
        }
    experiments[experiment.name] = {
        "lifecycle_stage": experiment.lifecycle_stage,
        "tags": kept({k: v for k, v in experiment.tags.items() if not k.startswith("mlflow.")}),
        "runs": rows,
    }
for experiment in experiments.values():  # parents named after every run is known
    for row in experiment["runs"].values():
        row["parent"] = names.get(row["parent"], row["parent"])

models = {}
for model in client.search_registered_models():
    versions = client.search_model_versions(f"name = '{model.name}'")
    models[model.name] = {
        "description": model.description,
        "aliases": dict(model.aliases),
        "versions": sorted(
            [int(v.version), names.get(v.run_id, v.run_id), kept(v.tags), v.current_stage]
            for v in versions
        ),
    }
print(json.dumps({"experiments": experiments, "models": models}, sort_keys=True, indent=1))
