"""MLflow's Keras 3 quickstart: mlflow.keras.MlflowCallback in model.fit logs the model's
params at the start and metrics every epoch."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import mlflow
import numpy as np

rng = np.random.default_rng(0)
data = rng.uniform(size=[16, 28, 28, 3]).astype("float32")
label = rng.integers(2, size=16)
model = keras.Sequential([keras.Input([28, 28, 3]), keras.layers.Flatten(), keras.layers.Dense(2)])
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.Adam(0.001),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
with mlflow.start_run() as run:
    model.fit(
        data, label, batch_size=4, epochs=2, verbose=0, callbacks=[mlflow.keras.MlflowCallback()]
    )
    model_info = mlflow.keras.log_model(model, name="model")

client = mlflow.MlflowClient()
r = client.get_run(run.info.run_id)
loaded = mlflow.pyfunc.load_model(model_info.model_uri)
print(
    "RESULT",
    {
        "params": sorted(r.data.params),
        "metrics": sorted(r.data.metrics),
        "loss_steps": len(client.get_metric_history(run.info.run_id, "loss")),
        "artifacts": sorted(a.path for a in client.list_artifacts(run.info.run_id)),
        "pyfunc_shape": list(np.asarray(loaded.predict(data[:3])).shape),
    },
)
