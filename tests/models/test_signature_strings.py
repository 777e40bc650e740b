"""A list of strings (a prompt, a batch of texts) as a model's example input: MLflow infers one
unnamed ``string`` column, and the model then takes lists of strings."""

from __future__ import annotations

import labtrack as lt
from labtrack.models.signature import ColSpec, Schema, infer_signature


class _Upper(lt.pyfunc.PythonModel):
    """Upper-cases each text."""

    def predict(self, context, model_input, params=None):
        texts = model_input if isinstance(model_input, list) else model_input.iloc[:, 0]
        return [str(text).upper() for text in texts]


def test_a_list_of_strings_is_one_string_column(tmp_path):
    signature = infer_signature(["a", "b"], ["A", "B"])
    assert signature.inputs == Schema([ColSpec("string")])
    assert signature.outputs == Schema([ColSpec("string")])
    lt.pyfunc.save_model(tmp_path / "m", python_model=_Upper(), signature=signature)
    assert list(lt.pyfunc.load_model(str(tmp_path / "m")).predict(["c", "d"])) == ["C", "D"]
