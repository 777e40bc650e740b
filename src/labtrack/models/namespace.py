"""``log_model`` / ``save_model`` / ``load_model`` of a flavor's namespace (``lt.sklearn``,
``lt.keras``, ``lt.pytorch``).

They are plain functions written out in the flavor's module
(``labtrack.models.flavors.sklearn.log_model``, ...); ``flavor_api`` only looks them up, for
the namespaces that still ask for them by flavor name. A namespace can import them directly:

>>> from labtrack.models.flavors.sklearn import load_model, log_model, save_model
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class FlavorAPI(NamedTuple):
    log_model: Callable[..., Any]
    save_model: Callable[..., Any]
    load_model: Callable[..., Any]


def flavor_api(flavor: str, **_descriptions: str) -> FlavorAPI:
    """The three functions of ``flavor``'s namespace. The descriptions older callers pass
    (``model_arg``, ``what``, ``files``, ``loads``) now live in those functions' docstrings."""
    from labtrack.models import flavors

    module = flavors.by_name(flavor)
    return FlavorAPI(module.log_model, module.save_model, module.load_model)
