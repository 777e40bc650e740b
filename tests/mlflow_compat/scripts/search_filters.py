"""search_runs with MLflow's filter language and ordering, as a DataFrame and as Run objects."""

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

experiment_id = mlflow.create_experiment("search", tags={"purpose": "filters"})
mlflow.set_experiment(experiment_id=experiment_id)
configs = [
    ("svm-rbf", {"kernel": "rbf", "C": "1.0"}, {"acc": 0.91, "loss": 0.3}, {"team": "vision"}),
    (
        "svm-linear",
        {"kernel": "linear", "C": "0.5"},
        {"acc": 0.85, "loss": 0.4},
        {"team": "vision"},
    ),
    ("forest", {"n_estimators": "100"}, {"acc": 0.95, "loss": 0.2}, {"team": "tabular"}),
    ("tiny", {"kernel": "rbf", "C": "0.01"}, {"acc": 0.4}, {"team": "visual-ai"}),
]
for name, params, metrics, tags in configs:
    with mlflow.start_run(run_name=name, tags=tags):
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
with mlflow.start_run(run_name="deleted") as deleted:
    mlflow.log_metric("acc", 0.99)
mlflow.delete_run(deleted.info.run_id)

queries = {
    "acc>0.8": ("metrics.acc > 0.8", ["metrics.acc DESC"]),
    "rbf": ("params.kernel = 'rbf'", ["params.C ASC"]),
    "like": ("tags.team LIKE 'vis%'", ["attributes.run_name ASC"]),
    "ilike": ("tags.team ILIKE 'VIS%' and metrics.acc >= 0.85", ["metrics.acc ASC"]),
    "and": ("params.kernel != 'linear' and metrics.loss < 0.35", ["metrics.loss ASC"]),
    "name": ("attributes.run_name = 'forest'", []),
    "status": ("attributes.status = 'FINISHED' and metrics.acc < 0.5", []),
    "null-order": ("", ["metrics.loss ASC", "attributes.run_name ASC"]),
}
result = {}
for label, (filter_string, order_by) in queries.items():
    frame = mlflow.search_runs(
        experiment_ids=[experiment_id], filter_string=filter_string, order_by=order_by
    )
    result[label] = list(frame["tags.mlflow.runName"])
client = MlflowClient()
runs = client.search_runs(
    [experiment_id],
    "metrics.acc > 0.5",
    ViewType.ACTIVE_ONLY,
    max_results=2,
    order_by=["metrics.acc DESC"],
)
result["client-top2"] = [r.info.run_name for r in runs]
every = client.search_runs(
    [experiment_id], run_view_type=ViewType.ALL, order_by=["metrics.acc DESC"]
)
result["all-views"] = [r.info.run_name for r in every]
deleted_only = mlflow.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
result["deleted"] = list(deleted_only["tags.mlflow.runName"])
as_list = mlflow.search_runs([experiment_id], output_format="list", order_by=["metrics.acc ASC"])
result["as-list"] = [r.info.run_name for r in as_list]
frame = mlflow.search_runs([experiment_id], filter_string="params.kernel = 'rbf'")
result["columns"] = sorted(c for c in frame.columns if c.startswith(("params.", "metrics.")))
result["experiments"] = [
    e.name for e in mlflow.search_experiments(filter_string="tags.purpose = 'filters'")
]
print("RESULT", result)
