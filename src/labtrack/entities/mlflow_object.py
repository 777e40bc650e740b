"""What MLflow's entities share: ``dict(entity)`` gives its properties by name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any


class MlflowObject:
    """Mixin of labtrack's entity dataclasses: iterating yields ``(name, value)`` pairs in
    name order, as MLflow's ``_MlflowObject`` does, so ``dict(run.info)`` and
    ``dict(model_version)`` work as in MLflow. ``from_dictionary`` builds one back, ignoring
    keys it does not know."""

    # Fields that are not MLflow properties (labtrack's own extras), left out of dict().
    _HIDDEN: tuple[str, ...] = ()

    @classmethod
    def _properties(cls) -> list[str]:
        """The names ``dict()`` holds: the dataclass's fields, sorted, less the hidden ones."""
        return sorted(f.name for f in dataclasses.fields(cls) if f.name not in cls._HIDDEN)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._properties():
            yield name, getattr(self, name)

    @classmethod
    def from_dictionary(cls, the_dict: dict[str, Any]):
        """An entity from a dict such as ``dict(entity)`` made (unknown keys are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in the_dict.items() if key in known})
