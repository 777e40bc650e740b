"""``lt.sklearn``: scikit-learn integration. Importing it does not import scikit-learn.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.sklearn.autolog()
"""

from labtrack.autolog.sklearn import autolog

__all__ = ["autolog"]
