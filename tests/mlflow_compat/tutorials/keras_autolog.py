"""MLflow's Keras 3 autolog: mlflow.keras.autolog() then model.fit logs fit's params, the
optimizer's, per-epoch metrics, the model summary and the model."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import mlflow
import mlflow.keras
import numpy as np

rng = np.random.default_rng(0)
data = rng.uniform(size=[32, 4]).astype("float32")
label = rng.integers(2, size=32)
model = keras.Sequential(
    [keras.Input([4]), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)]
)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.Adam(0.001),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
mlflow.keras.autolog()
with mlflow.start_run() as run:
    model.fit(data, label, batch_size=8, epochs=2, validation_data=(data[:8], label[:8]), verbose=0)

client = mlflow.MlflowClient()
r = client.get_run(run.info.run_id)
models = mlflow.search_logged_models(experiment_ids=[r.info.experiment_id], output_format="list")
loaded = mlflow.keras.load_model(f"models:/{models[0].model_id}") if models else None
print(
    "RESULT",
    {
        "params": sorted(r.data.params),
        "metrics": sorted(r.data.metrics),
        "loss_steps": len(client.get_metric_history(run.info.run_id, "loss")),
        "artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id)),
        "logged_models": [m.name for m in models],
        "dataset_contexts": sorted(
            t.value
            for d in r.inputs.dataset_inputs
            for t in d.tags
            if t.key == "mlflow.data.context"
        ),
        "loads": loaded is not None and loaded.predict(data[:2], verbose=0).shape == (2, 2),
    },
)
