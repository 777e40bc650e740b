"""Models: save and log them with a signature, load them back by URI, predict uniformly.

>>> info = lt.log_model(clf, "model", input_example=X_train[:5])    # doctest: +SKIP
>>> model = lt.load_model(info.model_uri)      # or models:/iris@champion, models:/iris/3, ...
>>> model.predict(X_test)                      # input checked against the signature

Flavors: scikit-learn, PyTorch, Keras 3, and generic Python (a function, an object with
``predict``, or a ``PythonModel``). Importing this package imports none of them, nor numpy.
"""

from labtrack.models.evaluation import EvaluationResult, evaluate
from labtrack.models.load import load_model, load_native
from labtrack.models.metadata import ModelMetadata
from labtrack.models.model_info import Model, get_model_info
from labtrack.models.pyfunc_model import PyFuncModel
from labtrack.models.python_model import PythonModel, PythonModelContext
from labtrack.models.save import ModelInfo, log_model, save_model
from labtrack.models.signature import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature

__all__ = [
    "ColSpec",
    "evaluate",
    "EvaluationResult",
    "get_model_info",
    "infer_signature",
    "load_model",
    "load_native",
    "log_model",
    "Model",
    "ModelInfo",
    "ModelMetadata",
    "ModelSignature",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "save_model",
    "Schema",
    "TensorSpec",
]
