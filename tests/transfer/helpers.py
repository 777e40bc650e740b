"""What the transfer tests share: a store filled with one of everything, and a snapshot of a
store's contents to compare two stores by."""

from __future__ import annotations

import math

import labtrack as lt
from labtrack.entities import Metric, ViewType
from labtrack.transfer.copy import COPY_TAGS
from labtrack.transfer.sources import ClientSource, walk


def fill(client: lt.Client, experiment: str = "vision", runs: int = 2) -> list[str]:
    """Runs with params, tags, histories (repeated steps, an identical point twice, NaN),
    nested artifacts, a deleted run, and a registered model whose version 2 was deleted, with
    an alias, a stage and tags. Returns the run ids."""
    experiment_id = client.create_experiment(experiment, tags={"team": "vision"})
    ids = []
    for i in range(runs):
        run = client.create_run(experiment_id, start_time=1_000 + i, run_name=f"run-{i}")
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("loss", 1.0 / (step + 1), 10_000 + step, step) for step in range(30)]
            + [
                Metric("loss", 0.5, 20_000, 2),  # the same step again, another value
                Metric("loss", 0.5, 20_000, 2),  # and that point once more
                Metric("acc", float("nan"), 30_000, 0),
                Metric("acc", 0.75 + i / 100, 30_001, 1),
            ],
            params=[lt.entities.Param("lr", str(0.1 * (i + 1))), lt.entities.Param("layers", "3")],
            tags=[lt.entities.RunTag("note", f"run {i}")],
            synchronous=True,
        )
        client.log_text(run_id, f"hello {i}", "notes/hello.txt")
        client.log_dict(run_id, {"i": i}, "deep/er/config.json")
        client.set_terminated(run_id, "FINISHED", end_time=5_000 + i)
        ids.append(run_id)
    client.delete_run(ids[-1])
    client.create_registered_model("classifier", tags={"owner": "ada"}, description="the best")
    for _ in range(3):
        client.create_model_version("classifier", f"runs:/{ids[0]}/notes", run_id=ids[0])
    client.delete_model_version("classifier", 2)
    client.set_model_version_tag("classifier", 1, "validated", "yes")
    client.transition_model_version_stage("classifier", 3, "Staging")
    client.set_registered_model_alias("classifier", "champion", 3)
    return ids


def _value(value: float) -> object:
    return "nan" if math.isnan(value) else value


def snapshot(client: lt.Client, registry: bool = True) -> dict:
    """Everything a store holds that a copy keeps, keyed by names and run ids."""
    source = ClientSource(client)
    experiments = {}
    for experiment in source.experiments():
        runs = {}
        for run in source.runs(experiment):
            info = run.info
            runs[info.run_id] = {
                "info": (
                    info.run_name,
                    info.status,
                    info.start_time,
                    info.end_time,
                    info.lifecycle_stage,
                    info.user_id,
                ),
                "params": run.params,
                "tags": {k: v for k, v in run.tags.items() if k not in COPY_TAGS},
                "metrics": {
                    key: sorted(
                        (m.step, m.timestamp, _value(m.value))
                        for m in source.metric_history(run, key)
                    )
                    for key in run.metric_keys
                },
                "artifacts": {
                    path: source.open_artifact(run, path).read()
                    for path in walk(client.artifact_repository(info.artifact_uri))
                },
            }
        experiments[experiment.name] = {"tags": experiment.tags, "runs": runs}
    result = {"experiments": experiments}
    if registry:
        result["models"] = {
            model.name: (
                model.description,
                model.tags,
                model.aliases,
                [(v.version, v.source, v.run_id, v.stage, v.tags) for v in model.versions],
            )
            for model in source.models()
        }
    return result


def run_count(client: lt.Client) -> int:
    """How many runs a store has, in every experiment."""
    ids = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
    return len(client.search_runs(ids, run_view_type=ViewType.ALL)) if ids else 0


def mlflow_view(client: lt.Client) -> dict:
    """A store as the ``READ`` MLflow script (``conftest.py``) shows one, MLflow 3's logged
    models and the datasets runs used included: what a labtrack store holds after an import
    must read the same."""
    source = ClientSource(client)
    experiments, logged_models = {}, {}
    for experiment in source.experiments():
        for record in source.logged_models(experiment):
            m = record.model
            logged_models[m.model_id] = [
                m.name,
                m.status,
                m.model_type,
                m.source_run_id,
                m.creation_timestamp,
                m.params,
                m.tags,
                sorted(
                    [
                        p.key,
                        p.step,
                        p.timestamp,
                        p.value,
                        p.run_id,
                        p.dataset_name,
                        p.dataset_digest,
                    ]
                    for p in m.metrics
                ),
            ]
        runs = {}
        for run in source.runs(experiment):
            info = run.info
            runs[info.run_id] = {
                "info": [
                    info.run_name,
                    info.status,
                    info.start_time,
                    info.end_time,
                    info.lifecycle_stage,
                ],
                "params": run.params,
                "tags": {k: v for k, v in run.tags.items() if k not in COPY_TAGS},
                "metrics": {
                    key: sorted(
                        [m.step, m.timestamp, _value(m.value)]
                        for m in source.metric_history(run, key)
                    )
                    for key in run.metric_keys
                },
                "artifacts": sorted(source.artifacts(run)),
                "inputs": sorted(
                    [
                        i.dataset.name,
                        i.dataset.digest,
                        i.dataset.source_type,
                        {t.key: t.value for t in i.tags},
                    ]
                    for i in source.run_inputs(run)
                ),
            }
        experiments[experiment.name] = {
            "tags": {k: v for k, v in experiment.tags.items() if not k.startswith("mlflow.")},
            "runs": runs,
        }
    models = {
        model.name: {
            "tags": model.tags,
            "aliases": model.aliases,
            "versions": sorted([v.version, v.run_id, v.stage, v.tags] for v in model.versions),
        }
        for model in source.models()
    }
    return {"experiments": experiments, "models": models, "logged_models": logged_models}
