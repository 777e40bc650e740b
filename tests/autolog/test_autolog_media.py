"""Autolog's pictures and sample predictions: scikit-learn's confusion matrix and binary curves
(only for classifiers with scores), and Keras's and Lightning's opt-in ``log_samples``, a table
of predictions per epoch in the media layout, on tiny real models."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import labtrack as lt
import labtrack.keras  # noqa: F401  (lt.keras)
import labtrack.pytorch  # noqa: F401  (lt.pytorch)
from labtrack.autolog import LabtrackAutologWarning
from labtrack.errors import InvalidParameter
from labtrack.tracking.media import list_media, read_media

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation:DeprecationWarning",  # Keras's torch backend
    "ignore:.*isinstance\\(treespec",  # Lightning's chatter
    "ignore:.*does not have many workers",
)


def _predictions(run_id: str) -> list[tuple[int, dict]]:
    client = lt.Client()
    return [
        (item.step, read_media(client, item))
        for item in list_media(client, run_id, key="samples/predictions")
    ]


def _column(table: dict, name: str) -> list:
    index = table["columns"].index(name)
    return [row[index] for row in table["data"]]


# -- scikit-learn -------------------------------------------------------------------------------


def _binary():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X[:200, :5], y[:200]


def _stump_class():
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Stump(ClassifierMixin, BaseEstimator):
        """A classifier with predict only (a threshold on the first feature): no scores, so
        no ROC or precision-recall curve."""

        def fit(self, X, y):
            self.classes_ = np.unique(y)
            self.threshold_ = float(np.median(X[:, 0]))
            return self

        def predict(self, X):
            return self.classes_[(X[:, 0] <= self.threshold_).astype(int)]

    return Stump


def _artifacts(run_id: str) -> set[str]:
    return {f.path for f in lt.Client().list_artifacts(run_id)}


def test_a_binary_classifier_without_scores_logs_its_confusion_matrix_only(runs):
    lt.sklearn.autolog(log_models=False)
    X, y = _binary()
    with warnings.catch_warnings():
        # No curve attempted and given up with a warning.
        warnings.simplefilter("error", LabtrackAutologWarning)
        _stump_class()().fit(X, y)
    (run,) = runs()
    artifacts = _artifacts(run.info.run_id)
    assert "training_confusion_matrix.png" in artifacts
    assert not {"training_roc_curve.png", "training_precision_recall_curve.png"} & artifacts


def test_decision_function_is_enough_for_the_curves(runs, artifact):
    from PIL import Image
    from sklearn.svm import LinearSVC

    lt.sklearn.autolog(log_models=False)
    X, y = _binary()
    LinearSVC(dual=False).fit(X, y)  # no predict_proba
    (run,) = runs()
    names = ("confusion_matrix", "roc_curve", "precision_recall_curve")
    assert {f"training_{n}.png" for n in names} <= _artifacts(run.info.run_id)
    with Image.open(artifact(run.info.run_id, "training_roc_curve.png")) as image:
        assert image.size[0] > 500 and len(image.getcolors(1 << 16) or ()) > 10


# -- Keras --------------------------------------------------------------------------------------


def _iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype("float32")
    order = np.random.default_rng(0).permutation(len(X))
    return X[order], y[order]


def _keras_classifier():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)]
    )
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    return model


def test_keras_logs_the_first_validation_samples_predictions_each_epoch(runs):
    lt.keras.autolog(log_models=False, log_samples=5)
    X, y = _iris()
    model = _keras_classifier()
    model.fit(X[:120], y[:120], validation_data=(X[120:], y[120:]), epochs=2, verbose=0)
    (run,) = runs()
    tables = _predictions(run.info.run_id)
    assert [step for step, _ in tables] == [0, 1]
    last = tables[-1][1]
    assert last["columns"] == ["sample", "target", "prediction", "score", "correct"]
    assert _column(last, "sample") == [0, 1, 2, 3, 4]
    assert _column(last, "target") == y[120:125].tolist()
    outputs = model.predict(X[120:125], verbose=0)  # the trained model: the last epoch's
    assert _column(last, "prediction") == outputs.argmax(axis=1).tolist()
    assert _column(last, "score") == pytest.approx(outputs.max(axis=1).tolist(), rel=1e-5)
    assert _column(last, "correct") == (outputs.argmax(axis=1) == y[120:125]).tolist()


def test_keras_takes_the_samples_themselves_without_targets(runs):
    X, y = _iris()
    lt.keras.autolog(log_models=False, log_samples=(X[:3],))
    _keras_classifier().fit(X, y, epochs=1, verbose=0)
    ((step, table),) = _predictions(runs()[0].info.run_id)
    assert step == 0 and table["columns"] == ["sample", "prediction", "score"]
    assert len(table["data"]) == 3


def test_keras_without_log_samples_logs_no_predictions(runs):
    lt.keras.autolog(log_models=False)
    X, y = _iris()
    _keras_classifier().fit(X, y, epochs=1, verbose=0)
    assert list_media(lt.Client(), runs()[0].info.run_id) == []


@pytest.mark.parametrize(
    "option, message",
    [
        (0, "at least 1"),
        ("all", "number of samples"),
        (([],), "non-empty"),
        (([1, 2], [1]), "one entry per input"),
    ],
)
def test_bad_log_samples_are_refused_when_autolog_is_called(option, message):
    for autolog in (lt.keras.autolog, lt.pytorch.autolog):
        with pytest.raises(InvalidParameter, match=message):
            autolog(log_samples=option)


# -- Lightning ----------------------------------------------------------------------------------


def test_lightning_logs_the_first_validation_batchs_predictions_each_epoch(tmp_path, runs):
    import torch

    from .test_lightning import DATA, fit

    lt.pytorch.autolog(log_models=False, checkpoint=False, log_samples=4)
    trainer, model = fit(tmp_path, epochs=2)
    (run,) = runs()
    tables = _predictions(run.info.run_id)
    assert [step for step, _ in tables] == [0, 1]
    last = tables[-1][1]
    assert last["columns"] == ["sample", "target", "prediction"]  # a regression: no score
    x, y = DATA[:4]
    assert _column(last, "target") == pytest.approx(y[:, 0].tolist())
    assert model.training  # put back in training mode after each prediction
    with torch.no_grad():
        expected = model.eval()(x)[:, 0].tolist()
    assert _column(last, "prediction") == pytest.approx(expected, rel=1e-5)


def test_lightning_takes_the_samples_themselves(tmp_path, runs):
    from .test_lightning import DATA, fit

    x, y = DATA[10:13]
    lt.pytorch.autolog(log_models=False, checkpoint=False, log_samples=(x.numpy(), y))
    fit(tmp_path, epochs=1)
    ((step, table),) = _predictions(runs()[0].info.run_id)
    assert step == 0 and _column(table, "target") == pytest.approx(y[:, 0].tolist())


def test_a_media_table_reads_as_a_frame():
    """The table read back is pandas' split layout: a DataFrame again in one call."""
    import pandas as pd

    with lt.start_run() as run:
        lt.log_table({"a": [1, 2]}, key="t", step=0)
    (item,) = list_media(lt.Client(), run.info.run_id)
    frame = pd.DataFrame(**read_media(lt.Client(), item))
    assert frame["a"].tolist() == [1, 2]
