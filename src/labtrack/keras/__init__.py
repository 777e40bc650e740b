"""``lt.keras``: Keras 3 integration (any backend). Importing it does not import Keras.

>>> import labtrack as lt            # doctest: +SKIP
>>> lt.keras.autolog()
"""

from labtrack.autolog.keras import autolog

__all__ = ["autolog"]
