"""Projects: a notebook or an MLproject folder run as one tracked run, a grid of parameter
values run as a sweep, and a recorded run run again.

>>> import labtrack as lt                                          # doctest: +SKIP
>>> lt.run("train.ipynb", parameters={"C": 10})                    # one run
>>> lt.run("train.ipynb", parameters={"C": [0.1, 1, 10]}, jobs=2, metric="accuracy")  # the best
>>> lt.run("project/", entry_point="main", parameters={"alpha": 0.5})
>>> from labtrack.projects import reproduce
>>> reproduce(run_id)                                              # same source, same params

Modules: ``parameters`` (types, validation, grids), ``mlproject`` (the MLproject file),
``notebook`` and ``command`` (what to execute), ``runner`` (one tracked execution),
``sweep``, ``reproduce``, and ``launch`` (from the user's arguments to runs).
"""

from labtrack.projects.launch import execute, run
from labtrack.projects.reproduce import reproduce

__all__ = ["execute", "reproduce", "run"]
