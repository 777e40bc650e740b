"""Signatures: inferred from examples, stored in MLflow's format, enforced before predict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.models import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature
from labtrack.models.enforcement import conform

FRAME = pd.DataFrame(
    {
        "age": np.array([31, 42], dtype="int64"),
        "height": np.array([1.7, 1.8], dtype="float64"),
        "weight": np.array([70.0, 80.5], dtype="float32"),
        "small": np.array([1, 2], dtype="int32"),
        "name": ["ann", "bob"],
        "member": [True, False],
        "joined": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    }
)


def test_dataframe_gives_named_columns_with_their_types():
    signature = infer_signature(FRAME)
    assert signature.inputs == Schema(
        [
            ColSpec("long", "age"),
            ColSpec("double", "height"),
            ColSpec("float", "weight"),
            ColSpec("integer", "small"),
            ColSpec("string", "name"),
            ColSpec("boolean", "member"),
            ColSpec("datetime", "joined"),
        ]
    )
    assert signature.outputs is None


def test_array_gives_a_tensor_with_a_free_batch_dimension():
    signature = infer_signature(np.zeros((7, 3, 2), dtype="float32"), np.zeros(7, dtype="int64"))
    assert signature.inputs == Schema([TensorSpec("float32", (-1, 3, 2))])
    assert signature.outputs == Schema([TensorSpec("int64", (-1,))])


def test_list_of_dicts_is_a_table():
    assert infer_signature([{"a": 1, "b": "x"}]).inputs == Schema(
        [ColSpec("long", "a"), ColSpec("string", "b")]
    )


def test_mixed_column_cannot_be_inferred():
    with pytest.raises(InvalidParameter, match="column 'mixed'"):
        infer_signature(pd.DataFrame({"mixed": [1, "a"]}))


def test_json_form_is_mlflows_and_round_trips():
    signature = ModelSignature(
        Schema([ColSpec("double", "x"), ColSpec("string", "s", required=False)]),
        Schema([TensorSpec("float32", (-1, 2))]),
    )
    stored = signature.to_dict()
    assert json.loads(stored["inputs"]) == [
        {"type": "double", "name": "x", "required": True},
        {"type": "string", "name": "s", "required": False},
    ]
    assert json.loads(stored["outputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}
    ]
    assert ModelSignature.from_dict(stored) == signature


def test_output_schema_is_inferred_by_predicting_on_the_example(iris, iris_classifier):
    X, _ = iris
    info = lt.log_model(iris_classifier, "model", input_example=X[:4])
    assert info.signature.inputs.input_names() == list(X.columns)
    assert info.signature.outputs == Schema([TensorSpec("int64", (-1,))])
    assert lt.load_model(info.model_uri).metadata.signature == info.signature


def test_a_failing_predict_on_the_example_only_warns():
    def broken(model_input):
        raise RuntimeError("no")

    with pytest.warns(UserWarning, match="could not predict on its input example"):
        info = lt.log_model(broken, "broken", input_example=pd.DataFrame({"x": [1.0]}))
    assert (
        info.signature.inputs == Schema([ColSpec("double", "x")]) and info.signature.outputs is None
    )


def test_explicit_signature_wins(iris_classifier):
    signature = ModelSignature(Schema([TensorSpec("float64", (-1, 4))]))
    info = lt.log_model(
        iris_classifier, "model", signature=signature, input_example=np.ones((1, 4))
    )
    assert info.signature == signature


# -- enforcement through the loaded model ---------------------------------------------------------


@pytest.fixture
def iris_model(iris, iris_classifier):
    X, _ = iris
    return lt.load_model(lt.log_model(iris_classifier, "model", input_example=X[:5]).model_uri)


def test_missing_column_is_named(iris, iris_model):
    X, _ = iris
    expected = r"missing column 'petal width \(cm\)'.*expects 'sepal length \(cm\)' \(double\)"
    with pytest.raises(InvalidParameter, match=expected):
        iris_model.predict(X.drop(columns=["petal width (cm)"]))


def test_wrong_type_is_named(iris, iris_model):
    X, _ = iris
    expected = r"column 'sepal width \(cm\)' must be double, but it holds values of type str"
    with pytest.raises(InvalidParameter, match=expected):
        iris_model.predict(X.assign(**{"sepal width (cm)": "wide"}))


def test_int_to_float_upcast_extra_columns_and_order(iris, iris_model, iris_classifier):
    X, _ = iris
    whole = X.round().astype("int64")  # every column int64: a safe upcast to double
    shuffled = whole[list(reversed(X.columns))].assign(comment="ignored")
    np.testing.assert_array_equal(
        iris_model.predict(shuffled), iris_classifier.predict(whole.astype("float64"))
    )


def test_list_of_dicts_and_plain_rows(iris, iris_model, iris_classifier):
    X, _ = iris
    expected = iris_classifier.predict(X[:3])
    np.testing.assert_array_equal(iris_model.predict(X[:3].to_dict(orient="records")), expected)
    np.testing.assert_array_equal(
        iris_model.predict(X[:3].to_numpy()), expected
    )  # columns by position


def test_column_rules():
    schema = Schema(
        [ColSpec("integer", "n"), ColSpec("float", "f"), ColSpec("string", "s", required=False)]
    )
    ok = conform(
        pd.DataFrame({"f": np.array([0.5], dtype="float32"), "n": np.array([1], dtype="int16")}),
        schema,
    )
    assert list(ok.columns) == ["n", "f"] and ok.dtypes.tolist() == [
        np.int32,
        np.float32,
    ]  # optional s absent
    with pytest.raises(InvalidParameter, match="column 'n' must be integer, but got dtype int64"):
        conform(pd.DataFrame({"n": [1], "f": np.array([0.5], dtype="float32")}), schema)
    with pytest.raises(InvalidParameter, match="column 'f' must be float, but got dtype float64"):
        conform(pd.DataFrame({"n": np.array([1], dtype="int32"), "f": [0.5]}), schema)
    with pytest.raises(
        InvalidParameter, match="column 'n' must be integer, but it has missing values"
    ):
        conform(pd.DataFrame({"n": [1, None], "f": np.array([0.5, 1], dtype="float32")}), schema)
    with pytest.raises(InvalidParameter, match="column 'n' must be integer, but got booleans"):
        conform(pd.DataFrame({"n": [True], "f": np.array([0.5], dtype="float32")}), schema)


def test_lenient_narrows_within_a_kind_when_nothing_is_lost():
    schema = Schema([ColSpec("integer", "n"), ColSpec("float", "f"), ColSpec("datetime", "d")])
    frame = pd.DataFrame({"n": [1, 2], "f": [0.5, 1.5], "d": ["2024-01-01", "2024-01-02"]})
    ok = conform(frame, schema, lenient=True)
    assert ok.dtypes.tolist()[:2] == [np.int32, np.float32]
    assert pd.api.types.is_datetime64_any_dtype(ok["d"])
    with pytest.raises(InvalidParameter, match="column 'n' must be integer"):
        conform(frame.assign(n=[1, 2**40]), schema, lenient=True)
    with pytest.raises(InvalidParameter, match="column 'n' must be integer"):
        conform(frame.assign(n=[1.5, 2.0]), schema, lenient=True)


def test_tensor_rules():
    schema = Schema([TensorSpec("float64", (-1, 2))])
    assert conform([[1, 2]], schema).dtype == np.float64  # int -> float
    assert conform([1.0, 2.0], schema).shape == (1, 2)  # one example, batch dimension added
    with pytest.raises(InvalidParameter, match=r"shape \[-1, 2\] \(-1: any size\), got \[1, 3\]"):
        conform([[1.0, 2.0, 3.0]], schema)
    assert (
        conform(np.array([[1, 2.5]], dtype=object), schema).dtype == np.float64
    )  # numbers as objects
    with pytest.raises(
        InvalidParameter, match=r"must be numeric \(float64\), but holds values of type int, str"
    ):
        conform(np.array([["a", 1]], dtype=object), schema)
    with pytest.raises(InvalidParameter, match="must be float64, but got dtype <U1"):
        conform([["a", "b"]], schema)
    with pytest.raises(InvalidParameter, match="must be int64"):
        conform([[0.5]], Schema([TensorSpec("int64", (-1, 1))]))


def test_model_without_signature_takes_input_as_given():
    info = lt.log_model(lambda data: len(data), "length")
    assert info.signature is None
    assert lt.load_model(info.model_uri).predict([{"a": 1}, {"a": 2}]) == 2
