"""Nested runs: a parent with children (and a grandchild), found again by parent id."""

import mlflow

mlflow.set_experiment("nested")
with mlflow.start_run(run_name="sweep") as parent:
    mlflow.log_param("search", "grid")
    for c in (0.1, 1.0, 10.0):
        with mlflow.start_run(run_name=f"C={c}", nested=True) as child:
            mlflow.log_param("C", c)
            mlflow.log_metric("accuracy", 0.9 + c / 100)
            if c == 1.0:
                with mlflow.start_run(run_name="C=1.0/refit", nested=True):
                    mlflow.log_metric("accuracy", 0.95)
    mlflow.log_metric("best_accuracy", 0.95)

children = mlflow.search_runs(
    experiment_names=["nested"],
    filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["params.C ASC"],
)
parent_of_child = mlflow.get_parent_run(child.info.run_id)
print(
    "RESULT",
    {
        "children": list(children["tags.mlflow.runName"]),
        "parent_of_last_child": parent_of_child.info.run_name,
        "parent_of_parent": mlflow.get_parent_run(parent.info.run_id),
        "last_active": mlflow.last_active_run().info.run_name,
    },
)
