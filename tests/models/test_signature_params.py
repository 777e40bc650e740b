"""Inference params in a model's signature (MLflow's ``ParamSchema``): ``infer_signature(...,
params=)`` records them, ``MLmodel`` stores them in MLflow's JSON form, and a loaded model's
``predict`` fills in the defaults of those the caller leaves out."""

from __future__ import annotations

import json

import pytest
import yaml

import labtrack as lt
from labtrack.errors import InvalidParameter
from labtrack.models.signature import ModelSignature, ParamSchema, ParamSpec, infer_signature


class _Echo(lt.pyfunc.PythonModel):
    """Returns the params it was called with."""

    def predict(self, context, model_input, params=None):
        return [params]


def test_infer_signature_records_params_in_mlflow_form(tmp_path):
    signature = infer_signature(
        {"q": ["a"]}, None, params={"upper": False, "k": 3, "t": 0.5, "s": "x", "ids": [1, 2]}
    )
    assert signature.params == ParamSchema(
        [
            ParamSpec("upper", "boolean", False),
            ParamSpec("k", "long", 3),
            ParamSpec("t", "double", 0.5),
            ParamSpec("s", "string", "x"),
            ParamSpec("ids", "long", [1, 2], (-1,)),
        ]
    )
    lt.pyfunc.save_model(tmp_path / "m", python_model=_Echo(), signature=signature)
    stored = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["signature"]["params"]
    # MLflow's layout of MLmodel's signature.params: a JSON list of specs.
    assert json.loads(stored)[0] == {
        "name": "upper",
        "type": "boolean",
        "default": False,
        "shape": None,
    }
    assert ModelSignature.from_dict({"params": stored}).params == signature.params

    loaded = lt.pyfunc.load_model(str(tmp_path / "m"))
    assert loaded.metadata.signature.params == signature.params
    assert loaded.predict({"q": ["z"]}, params={"k": 7})[0] == {
        "upper": False,
        "k": 7,
        "t": 0.5,
        "s": "x",
        "ids": [1, 2],
    }


def test_a_param_spec_refuses_an_unknown_type():
    with pytest.raises(InvalidParameter, match="param type"):
        ParamSpec("x", "complex", 1)
