"""Autologging: training calls of scikit-learn, Keras and PyTorch Lightning log themselves.

One thin adapter per framework (``sklearn.py``, ``keras.py``, ``pytorch.py``,
``lightning.py``) maps the framework's hooks onto the fluent API; ``_common.py`` holds what
they share. Nothing here imports a framework: each is patched when the user imports it.
Importing this package is cheap (``import labtrack`` does it): the adapters load on use.
"""

from __future__ import annotations

import importlib
import importlib.util


class LabtrackAutologWarning(UserWarning):
    """Autologging failed to log something; the user's training went on unaffected."""


# flavor -> the package that must be installed for it to be enabled
INTEGRATIONS = {"sklearn": "sklearn", "keras": "keras", "pytorch": "torch"}


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, str] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Enable (or, with ``disable=True``, disable) autologging for every installed framework,
    with ``mlflow.autolog()``'s parameters, passed on to each framework's ``autolog``.

    Nothing is imported here: each framework is patched when the notebook imports it, so
    enabling Keras autologging costs nothing in a notebook that only uses scikit-learn.
    ``log_traces`` is accepted and changes nothing: labtrack records no GenAI traces.

    >>> import labtrack as lt                                   # doctest: +SKIP
    >>> lt.autolog()
    >>> from sklearn.linear_model import LogisticRegression
    >>> LogisticRegression().fit(X, y)    # a run with params, training metrics and the model
    """
    for flavor, package in INTEGRATIONS.items():
        if flavor in (exclude_flavors or ()) or importlib.util.find_spec(package) is None:
            continue
        module = importlib.import_module(f"labtrack.autolog.{flavor}")
        module.autolog(
            disable=disable,
            log_models=log_models,
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            log_datasets=log_datasets,
            exclusive=exclusive,
            disable_for_unsupported_versions=disable_for_unsupported_versions,
            silent=silent,
            extra_tags=extra_tags,
        )


__all__ = ["INTEGRATIONS", "LabtrackAutologWarning", "autolog"]
