"""A custom pyfunc model (mlflow.pyfunc.PythonModel) logged with an input example, loaded back
and used for predictions."""

import mlflow
import pandas as pd


class AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n):
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input.apply(lambda column: column + self.n)


frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0.5, 0.25, 0.0]})
mlflow.set_experiment("pyfunc")
with mlflow.start_run(run_name="add-n"):
    mlflow.log_param("n", 5)
    info = mlflow.pyfunc.log_model(
        name="add_n", python_model=AddN(n=5), input_example=frame.iloc[:2]
    )
model = mlflow.pyfunc.load_model(info.model_uri)
print(
    "RESULT",
    {
        "predictions": model.predict(frame).to_dict(orient="list"),
        "inputs": model.metadata.get_input_schema().input_names(),
    },
)
