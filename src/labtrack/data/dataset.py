"""``PandasDataset`` and ``NumpyDataset``: MLflow's dataset descriptions of in-memory data.

The digest is MLflow's: an md5 over pandas' hash of (at most) the first 10 000 rows and the
row count and column names (``mlflow.data.digest_utils``), its first 8 hex digits. The schema
is MLflow's JSON (``mlflow_colspec`` for frames, ``mlflow_tensorspec`` for arrays), the profile
its counts.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from labtrack.entities import Dataset
from labtrack.errors import InvalidParameter

MAX_ROWS = 10_000  # MLflow hashes at most this many rows (or array elements)


class DatasetSource:
    """Where a dataset came from: ``source_type`` (``local``, ``http``, ``s3``, ... or
    ``code`` for data made in the code that logs it) and its JSON description."""

    def __init__(self, source_type: str, description: dict[str, Any]):
        self.source_type = source_type
        self.description = description

    @classmethod
    def resolve(cls, source: Any) -> DatasetSource:
        """A source from a URI or path, or, for None, the code that is running (its
        notebook or script, as a run's source tags name it)."""
        if isinstance(source, DatasetSource):
            return source
        if source is None:
            from labtrack.tracking.context import source_tags

            tags = {k: v for k, v in source_tags().items() if k.startswith("mlflow.")}
            return cls("code", {"tags": tags})
        if not isinstance(source, str) or not source:
            raise InvalidParameter(f"a dataset's source is a URI or a path, got {source!r}")
        scheme = urlparse(source).scheme.lower()
        if scheme in ("http", "https"):
            return cls("http", {"url": source})
        if len(scheme) <= 1 or scheme == "file":  # a path (C: on Windows) or file://
            return cls("local", {"uri": source})
        return cls(scheme, {"uri": source})

    def to_json(self) -> str:
        """The source's JSON, as MLflow stores it (``{"uri": ...}``, ``{"url": ...}``)."""
        return json.dumps(self.description)


class _Dataset:
    """What every dataset has: a name (``"dataset"`` unless given), a digest, a source."""

    def __init__(self, source: Any, name: str | None, digest: str | None):
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise InvalidParameter(f"a dataset's name is a non-empty string, got {name!r}")
        self._name = name
        self.source = DatasetSource.resolve(source)
        self.digest = digest or self._compute_digest()

    @property
    def name(self) -> str:
        """The dataset's name, ``"dataset"`` when none was given (as in MLflow)."""
        return self._name if self._name is not None else "dataset"

    def _compute_digest(self) -> str:
        raise NotImplementedError

    def _schema_json(self) -> str | None:
        raise NotImplementedError

    @property
    def profile(self) -> dict:
        """Counts describing the data."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, str | None]:
        """name, digest, source, source_type, schema and profile, as MLflow's ``to_dict``."""
        return {
            "name": self.name,
            "digest": self.digest,
            "source": self.source.to_json(),
            "source_type": self.source.source_type,
            "schema": self._schema_json(),
            "profile": json.dumps(self.profile),
        }

    def to_entity(self) -> Dataset:
        """The ``Dataset`` record the store keeps."""
        d = self.to_dict()
        return Dataset(
            d["name"], d["digest"], d["source_type"], d["source"], d["schema"], d["profile"]
        )

    _to_mlflow_entity = to_entity  # MLflow's name


def _md5(elements) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    for element in elements:
        md5.update(element)
    return md5.hexdigest()[:8]


class PandasDataset(_Dataset):
    """A pandas DataFrame as a dataset (``df``), with an optional ``targets`` column and
    ``predictions`` column."""

    def __init__(self, df, source=None, targets=None, name=None, digest=None, predictions=None):
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise InvalidParameter(f"from_pandas takes a pandas DataFrame, got {type(df).__name__}")
        for what, column in (("targets", targets), ("predictions", predictions)):
            if column is not None and column not in df.columns:
                raise InvalidParameter(f"{what} column {column!r} is not in the DataFrame")
        self.df, self.targets, self.predictions = df, targets, predictions
        super().__init__(source, name, digest)

    def _compute_digest(self) -> str:
        import numpy as np
        import pandas as pd

        df = self.df
        trimmed = df.head(MAX_ROWS)
        # MLflow hashes the string and numeric columns only (others may not hash).
        cell_types = df.map(type) if hasattr(df, "map") else df.applymap(type)  # pandas < 2.1
        string_columns = trimmed.columns[cell_types.eq(str).all(axis=0)]
        numeric_columns = trimmed.select_dtypes(include=[np.number]).columns
        trimmed = trimmed[string_columns.union(numeric_columns)]
        return _md5(
            [pd.util.hash_pandas_object(trimmed).values, np.int64(len(df))]
            + [str(column).encode() for column in df.columns]
        )

    @cached_property
    def schema(self):
        """The columns' ``Schema`` (as a model signature's), or None if it cannot be inferred."""
        from labtrack.models.signature import infer_schema

        try:
            return infer_schema(self.df)
        except Exception:  # a column type signatures do not know: the dataset has no schema
            return None

    def _schema_json(self) -> str | None:
        if self.schema is None:
            return None
        return json.dumps({"mlflow_colspec": [spec.to_dict() for spec in self.schema.inputs]})

    @property
    def profile(self) -> dict:
        """``num_rows`` and ``num_elements``."""
        return {"num_rows": len(self.df), "num_elements": int(self.df.size)}


class NumpyDataset(_Dataset):
    """A numpy array (``features``, or a dict of arrays) as a dataset, with optional
    ``targets``."""

    def __init__(self, features, source=None, targets=None, name=None, digest=None):
        import numpy as np

        for what, value in (("features", features), ("targets", targets)):
            arrays = value.values() if isinstance(value, dict) else [value]
            if (value is not None or what == "features") and not all(
                isinstance(a, np.ndarray) for a in arrays
            ):
                raise InvalidParameter(f"from_numpy's {what} must be numpy arrays")
        self.features, self.targets = features, targets
        super().__init__(source, name, digest)

    def _compute_digest(self) -> str:
        import numpy as np
        import pandas as pd

        elements: list = []

        def add(array) -> None:
            trimmed = array.flatten()[:MAX_ROWS]
            try:
                elements.append(pd.util.hash_array(trimmed))
            except TypeError:
                elements.append(np.int64(trimmed.size))
            elements.extend(np.int64(x) for x in array.shape)

        for item in (self.features, self.targets):
            if isinstance(item, dict):
                for key in sorted(item):
                    add(item[key])
            elif item is not None:
                add(item)
        return _md5(elements)

    @cached_property
    def schema(self):
        """``{"features": Schema, "targets": Schema or None}``, or None if not inferable."""
        from labtrack.models.signature import infer_schema

        try:
            targets = None if self.targets is None else infer_schema(self.targets)
            return {"features": infer_schema(self.features), "targets": targets}
        except Exception:  # an array signatures cannot describe: the dataset has no schema
            return None

    def _schema_json(self) -> str | None:
        if self.schema is None:
            return None
        spec = {k: None if v is None else v.to_json() for k, v in self.schema.items()}
        return json.dumps({"mlflow_tensorspec": spec})

    @property
    def profile(self) -> dict:
        """Shape, size and bytes of the features (and targets)."""

        def attribute(data, name):
            if isinstance(data, dict):
                return {key: _plain(getattr(a, name)) for key, a in data.items()}
            return _plain(getattr(data, name))

        profile = {
            f"features_{n}": attribute(self.features, n) for n in ("shape", "size", "nbytes")
        }
        if self.targets is not None:
            profile.update(
                {f"targets_{n}": attribute(self.targets, n) for n in ("shape", "size", "nbytes")}
            )
        return profile


def _plain(value):
    return list(value) if isinstance(value, tuple) else int(value)


def from_pandas(df, source=None, targets=None, name=None, digest=None, predictions=None):
    """A ``PandasDataset`` of ``df`` (MLflow's ``mlflow.data.from_pandas``): ``source`` a URI
    or path (by default the code that is running), ``targets``/``predictions`` column names,
    ``name`` (``"dataset"``) and ``digest`` (computed as MLflow does when not given)."""
    return PandasDataset(df, source, targets, name, digest, predictions)


def from_numpy(features, source=None, targets=None, name=None, digest=None):
    """A ``NumpyDataset`` of ``features`` (an array or a dict of arrays) and optional
    ``targets`` (MLflow's ``mlflow.data.from_numpy``)."""
    return NumpyDataset(features, source, targets, name, digest)
