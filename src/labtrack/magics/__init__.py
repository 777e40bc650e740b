"""IPython integration: ``%load_ext labtrack`` (or ``import labtrack`` in IPython) adds
``%%track`` and ``%track``."""

from __future__ import annotations


def load_ipython_extension(ipython) -> None:
    from labtrack.magics.track import TrackMagics

    if not getattr(ipython, "_labtrack_magics", None):
        ipython._labtrack_magics = TrackMagics(ipython)
        ipython.register_magics(ipython._labtrack_magics)
        from labtrack.magics import warmup

        warmup.start_after_this_cell(ipython)


def register_if_in_ipython() -> None:
    """Called by ``import labtrack``: costs nothing outside IPython."""
    import sys

    if "IPython" not in sys.modules:
        return
    shell = sys.modules["IPython"].get_ipython()
    if shell is not None:
        load_ipython_extension(shell)
