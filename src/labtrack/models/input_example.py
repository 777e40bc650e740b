"""A model's input example, kept as ``input_example.json`` beside its ``MLmodel``.

MLflow's layouts: a DataFrame in pandas' split orient (``{"columns": [...], "data": [...]}``),
an array as ``{"inputs": [...]}``. The example documents the model and is what its
signature (and output schema) is inferred from when none is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labtrack.models.signature import as_frame_or_array

EXAMPLE_FILE = "input_example.json"
MAX_ROWS = 100  # an example documents the input; it is not a data set


def save_input_example(example: Any, folder: str | Path) -> tuple[dict[str, Any], Any]:
    """Write the example; returns (MLmodel's ``saved_input_example_info``, the example as
    a DataFrame or array, cut to MAX_ROWS rows)."""
    import numpy as np
    import pandas as pd

    data = as_frame_or_array(example)
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        data = data.iloc[:MAX_ROWS]
        text = data.to_json(orient="split", index=False, date_format="iso")
        info = {"artifact_path": EXAMPLE_FILE, "type": "dataframe", "pandas_orient": "split"}
    else:
        data = np.asarray(data)[:MAX_ROWS]
        text = json.dumps({"inputs": data.tolist()})
        info = {"artifact_path": EXAMPLE_FILE, "type": "ndarray", "format": "tf-serving"}
    (Path(folder) / EXAMPLE_FILE).write_text(text)
    return info, data


def load_input_example(folder: str | Path, info: dict[str, Any] | None) -> Any:
    """The example a model was saved with (DataFrame or array), or None."""
    if not info:
        return None
    import numpy as np
    import pandas as pd

    from labtrack.artifacts import safe_join

    data = json.loads(safe_join(Path(folder), info.get("artifact_path", EXAMPLE_FILE)).read_text())
    if info.get("type") == "dataframe":
        return pd.DataFrame(data["data"], columns=data["columns"])
    return np.asarray(data["inputs"])
