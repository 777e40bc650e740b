"""MLflow's hyperparameter tuning tutorial, with a plain loop in place of hyperopt/optuna:
one parent run, a nested child run per trial, the best trial's params and metric on the
parent, and the best model logged there."""

import mlflow
from mlflow.models import infer_signature
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

X, y = make_regression(n_samples=80, n_features=4, noise=0.5, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
mlflow.set_experiment("/hyperparameter-tuning")

with mlflow.start_run(run_name="ridge-search") as parent:
    trials = []
    for alpha in (0.01, 0.1, 1.0):
        with mlflow.start_run(run_name=f"alpha={alpha}", nested=True) as child:
            model = Ridge(alpha=alpha).fit(X_train, y_train)
            rmse = mean_squared_error(y_val, model.predict(X_val)) ** 0.5
            mlflow.log_params({"alpha": alpha})
            mlflow.log_metric("eval_rmse", rmse)
            trials.append((rmse, alpha, model, child.info.run_id))
    best_rmse, best_alpha, best_model, _ = min(trials, key=lambda t: t[0])
    mlflow.log_params({"alpha": best_alpha})
    mlflow.log_metric("eval_rmse", best_rmse)
    info = mlflow.sklearn.log_model(
        best_model,
        name="model",
        input_example=X_train[:2],
        signature=infer_signature(X_train, best_model.predict(X_train)),
    )

children = mlflow.search_runs(
    filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list"
)
best = mlflow.search_runs(
    experiment_names=["/hyperparameter-tuning"],
    order_by=["metrics.eval_rmse ASC"],
    max_results=1,
)
loaded = mlflow.pyfunc.load_model(info.model_uri)
print(
    "RESULT",
    {
        "children": sorted(c.info.run_name for c in children),
        "children_metrics": sorted({k for c in children for k in c.data.metrics}),
        "parent_params": mlflow.get_run(parent.info.run_id).data.params,
        "best_df_columns": sorted(c for c in best.columns if c.startswith(("params.", "metrics."))),
        "predicts": len(loaded.predict(X_val[:3])),
    },
)
