"""Datasets a run used, as MLflow's ``mlflow.data`` describes them: ``from_pandas`` and
``from_numpy`` give a dataset with a name, a digest, its source, schema and profile, computed
as MLflow computes them, so both tools name the same data the same way.

>>> dataset = lt.data.from_pandas(df, source="data/iris.csv", name="iris")  # doctest: +SKIP
>>> lt.log_input(dataset, context="training")

pandas and numpy are imported when a dataset is made, not with this package.
"""

from labtrack.data.dataset import (
    DatasetSource,
    NumpyDataset,
    PandasDataset,
    from_numpy,
    from_pandas,
)

__all__ = ["DatasetSource", "NumpyDataset", "PandasDataset", "from_numpy", "from_pandas"]
