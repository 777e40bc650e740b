"""One Plotly per kernel for the chart widgets' front ends.

The chart widgets' modules (``static/<name>.js``) leave Plotly out: at 1.4 MB it would cross the
kernel channel, and be saved in the notebook's widget state, once per widget. Their front ends
get it once per page instead (``js/shared/plotly.ts``): from the labtrack JupyterLab extension,
which serves ``static/plotly.<hash>.js`` itself, or else from this module's
:class:`PlotlyProvider`, one widget per kernel whose ``source_gzip`` trait carries that file
(gzip, base64: a third of its size on the channel and in a saved notebook). Each
chart widget references the provider (``_plotly``, synced as ``IPY_MODEL_<id>``).

Where the kernel was started by a Jupyter server for a notebook (``JPY_SESSION_NAME`` set), a
live front end is there to ask: the provider starts empty, and the source is sent only if a page
without the extension asks for it. Elsewhere (nbclient and papermill, ``labtrack run``, a plain
IPython) the source is set at once, so a saved notebook draws offline with no kernel.
"""

from __future__ import annotations

import base64
import json
import os
from functools import cache
from pathlib import Path

import ipywidgets
import traitlets as t

STATIC = Path(__file__).parent / "static"


@cache
def manifest() -> dict:
    """``static/manifest.json`` as the build wrote it: Plotly's file and the widgets using it."""
    path = STATIC / "manifest.json"
    if not path.is_file():
        return {"plotly": None, "plotly_widgets": []}
    return json.loads(path.read_text(encoding="utf-8"))


def uses_plotly(bundle_name: str) -> bool:
    """Whether the front end ``static/<bundle_name>.js`` draws with Plotly."""
    return bundle_name in manifest()["plotly_widgets"]


def plotly_source() -> str:
    """The Plotly module the widgets draw with, as built (ES module text)."""
    return (STATIC / _plotly_file()).read_text(encoding="utf-8")


@cache
def plotly_source_gzip() -> str:
    """What the provider sends: base64 of the module's gzip (the build writes the gzip)."""
    return base64.b64encode((STATIC / f"{_plotly_file()}.gz").read_bytes()).decode("ascii")


def _plotly_file() -> str:
    name = manifest()["plotly"]
    if not name:
        from labtrack.errors import LabtrackError

        raise LabtrackError(
            "labtrack's Plotly bundle is missing: reinstall labtrack (pip install labtrack), "
            "or run `npm ci && npm run build` in a source checkout"
        )
    return name


class PlotlyProvider(ipywidgets.Widget):
    """Carries Plotly's module source to front ends that have no labtrack JupyterLab extension.

    Not shown itself; use :func:`provider` for the kernel's one instance. A front end that finds
    ``source_gzip`` empty sends ``{"type": "need"}`` and gets it once through the trait."""

    source_gzip = t.Unicode("").tag(sync=True)

    def __init__(self, *, eager: bool, **kwargs):
        super().__init__(**kwargs)
        if eager:
            self.source_gzip = plotly_source_gzip()
        self.on_msg(self._on_message)

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "need" and not self.source_gzip:
            self.source_gzip = plotly_source_gzip()


_provider: PlotlyProvider | None = None


def front_end_may_have_extension() -> bool:
    """Whether a Jupyter server started this kernel for a notebook: a live page is there, which
    has Plotly from the extension or asks the provider for it."""
    return bool(os.environ.get("JPY_SESSION_NAME"))


def provider() -> PlotlyProvider:
    """The kernel's PlotlyProvider, created on first use (again if it was closed)."""
    global _provider
    if _provider is None or _provider.comm is None:
        _provider = PlotlyProvider(eager=not front_end_may_have_extension())
    return _provider
